// Shared by the journeys: serves the built app (dist/) on 127.0.0.1, launches
// Debian's Chromium through playwright-core, and watches each page for
// console errors and uncaught exceptions.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import net from 'node:net';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = process.env.DIST || path.resolve(here, '..', '..', 'dist');
export const artifacts = path.resolve(here, 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

async function waitForHttp(url, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not come up`);
}

/** Starts the static server and the browser; call the returned stop() after. */
export async function startApp() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    throw new Error(`no built app in ${dist}: run trunk build first`);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dist], {
    stdio: 'ignore',
  });
  await waitForHttp(base);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-quic', '--no-first-run'],
  });
  return {
    base,
    browser,
    async stop() {
      await browser.close();
      server.kill();
    },
  };
}

/**
 * A page in a fresh context (so IndexedDB starts empty), with every console
 * error and uncaught exception collected in `errors`.
 */
export async function openPage(app, { context } = {}) {
  const ctx = context ?? (await app.browser.newContext({ viewport: { width: 1280, height: 900 } }));
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(app.base);
  await waitReady(page);
  return { page, context: ctx, errors };
}

/** Waits until window.sandbox.ready has resolved. */
export async function waitReady(page) {
  await page.waitForFunction(() => window.sandbox !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => window.sandbox.ready);
}

/** Reloads and waits for the store again: the proof that nothing was lost. */
export async function reload(page) {
  await page.reload();
  await waitReady(page);
}

/** Runs `fn` in the page and returns {ok, value} or {ok: false, name, message, ...}. */
export async function attempt(page, fn, ...args) {
  return page.evaluate(
    async ([source, args]) => {
      try {
        // eslint-disable-next-line no-new-func
        const value = await new Function(`return (${source})`)()(...args);
        return { ok: true, value };
      } catch (error) {
        return { ok: false, name: error.name, message: error.message, stream: error.stream, expected: error.expected, actual: error.actual };
      }
    },
    [fn.toString(), args],
  );
}
