// Shared by the journeys: serves the built app (dist/) on 127.0.0.1, launches
// Debian's Chromium through playwright-core, and watches each page for
// console errors and uncaught exceptions.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = process.env.DIST || path.resolve(here, '..', '..', 'dist');
export const artifacts = path.resolve(here, 'artifacts');

/**
 * node:test options for every test and hook: a hang fails the run instead of
 * stalling it. A healthy test takes seconds; this is far above that.
 */
export const limit = { timeout: 120_000 };
fs.mkdirSync(artifacts, { recursive: true });

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * A static file server on 127.0.0.1 (a free port). `mounts` maps URL
 * prefixes to folders; '/' must be among them.
 */
export function serveStatic(mounts) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    const prefix = prefixes.find((p) => url.pathname.startsWith(p));
    const root = path.resolve(mounts[prefix]);
    let file = path.resolve(root, '.' + decodeURIComponent(url.pathname.slice(prefix.length - 1)));
    if (!file.startsWith(root)) { response.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (error, body) => {
      if (error) { response.writeHead(404).end(); return; }
      response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${server.address().port}/` }));
  });
}

/** Launches Debian's Chromium headless, with the flags this network needs. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-quic', '--no-first-run', ...extraArgs],
  });
}

/** Starts the static server and the browser; call the returned stop() after. */
export async function startApp() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    throw new Error(`no built app in ${dist}: run trunk build first`);
  }
  const { server, base } = await serveStatic({ '/': dist });
  const browser = await launchChromium();
  return {
    base,
    browser,
    async stop() {
      await browser.close();
      server.close();
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

/**
 * Retries `check` (which throws while the page is not there yet) until it
 * passes or `ms` run out; then throws its last failure. For views that fill
 * in as appends land.
 */
export async function eventually(check, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * A projection that faults on the sample: Alan's balance drops below the
 * 400 it insists on at his Withdrawn of 25 (position 9), handler on line 7.
 */
export const overdraftCheck = [
  "fromCategory('account')",
  '  .foreachStream()',
  '  .when({',
  '    $init: () => ({ balance: 0 }),',
  '    Deposited: (s, e) => { s.balance += e.data.amount; },',
  '    Withdrawn: (s, e) => {',
  "      if (s.balance - e.data.amount < 400) throw new Error('overdrawn by ' + e.data.amount);",
  '      s.balance -= e.data.amount;',
  '    },',
  '  });',
].join('\n');

/** Replaces the code editor's text, as typing it would. */
export async function typeSource(page, text) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

/** The code editor's text (every line is drawn: the sources here are short). */
export async function editorText(page) {
  await page.locator('.cm-content').waitFor();
  return (await page.locator('.cm-content .cm-line').allTextContents()).join('\n');
}
