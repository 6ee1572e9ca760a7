// Offline and installable: after one visit the service worker (static/sw.js,
// stamped by scripts/stamp-service-worker.mjs) has the whole build, so with
// the network off AND the server stopped the app still loads, keeps its
// events, appends, reads, runs projections and opens the editor. A new build
// replaces the old one's cache. The manifest and icons make it installable.
// Each test has a server of its own, since some stop or change it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic, launchChromium, dist, openPage, reload, waitReady, eventually, limit } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_PREFIX = 'es-sandbox-shell-';

let browser;
/** Every test's server, stopped at the end even when a test failed midway. */
const servers = [];
before(async () => { browser = await launchChromium(); }, limit);
after(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => server.stop()));
}, limit);

/** A server of `folder` (and bench/pages under /bench/) that remembers every path asked for. */
async function serve(folder) {
  const { server, base } = await serveStatic({ '/': folder, '/bench/': path.join(root, 'bench', 'pages') });
  const requested = [];
  server.on('request', (request) => requested.push(new URL(request.url, base).pathname));
  const served = {
    base,
    requested,
    /** Stops it for good, open connections included: nothing more can come from it. */
    async stop() {
      if (!server.listening) return;
      await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    },
  };
  servers.push(served);
  return served;
}

/** Waits until the page's worker is active and controls the page (clients.claim, no reload). */
async function untilControlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 10000 });
}

const cacheNames = (page) => page.evaluate(() => caches.keys());

/** The version the served sw.js carries (its BUILD line). */
function versionOf(folder) {
  const [, version] = fs.readFileSync(path.join(folder, 'sw.js'), 'utf8').match(/^const BUILD = \{"version":"([0-9a-f]+)"/m) ?? [];
  assert.ok(version, `${folder}/sw.js has a stamped version`);
  return version;
}

/** A copy of the build that a test may change, removed after the test. */
function copyOfBuild(t) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'es-sandbox-offline-'));
  t.after(() => fs.rmSync(folder, { recursive: true, force: true }));
  fs.cpSync(dist, folder, { recursive: true });
  return folder;
}

/** Changes the copy's index.html to say `marker` (a <meta name="build">), as a rebuild would change it. */
function markBuild(folder, marker) {
  const indexFile = path.join(folder, 'index.html');
  fs.writeFileSync(indexFile, fs.readFileSync(indexFile, 'utf8')
    .replace(/<meta name="build"[^>]*>|<title>/, `<meta name="build" content="${marker}" /><title>`));
}

/** What Trunk's post_build hook does to a build. */
const stampWorker = (folder) => execFileSync('node', [path.join(root, 'scripts', 'stamp-service-worker.mjs'), folder]);

const shownBuild = (page) => page.locator('meta[name="build"]').getAttribute('content');

const appendAll = (page, events) => page.evaluate(async (events) => {
  for (const [stream, type, data] of events) await window.sandbox.append(stream, { type, data });
}, events);

const readAll = (page) => page.evaluate(async () => (await window.sandbox.readAll()).map((e) => [e.stream, e.type, e.data]));

const counter = "fromAll().when({ $init: () => ({ count: 0 }), $any: (s) => { s.count += 1; } })";

test('after one visit the app loads and works with the network off and the server gone', limit, async () => {
  const server = await serve(dist);
  const { page, context, errors } = await openPage({ browser, base: server.base });
  await untilControlled(page);
  const online = [
    ['order-1', 'OrderPlaced', { total: 30 }],
    ['order-1', 'OrderShipped', {}],
    ['order-2', 'OrderPlaced', { total: 12 }],
  ];
  await appendAll(page, online);
  await page.evaluate((source) => window.sandbox.createProjection('counted', source), counter);
  await eventually(async () => assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('counted')), { count: 3 }));

  await context.setOffline(true);
  await server.stop();
  await assert.rejects(fetch(server.base), 'the server is really gone');
  const askedBefore = server.requested.length;

  await reload(page);
  assert.deepEqual(await readAll(page), online, 'the events appended online are there');
  const appended = await page.evaluate(() => window.sandbox.append('order-2', { type: 'OrderShipped', data: {} }));
  assert.deepEqual(appended, { nextExpectedVersion: 1, position: 3 });
  assert.deepEqual(await readAll(page), [...online, ['order-2', 'OrderShipped', {}]]);
  // The projection resumed after the reload: its reducer worker's scripts came from the cache.
  await eventually(async () => assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('counted')), { count: 4 }));
  await page.evaluate(() => window.sandbox.createProjection('shipped', "fromAll().when({ $init: () => ({ n: 0 }), OrderShipped: (s) => { s.n += 1; } })"));
  await eventually(async () => assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('shipped')), { n: 2 }));

  // The projection editor loads editor.js only when shown.
  await page.goto(`${server.base}#/new-projection`);
  await page.locator('.cm-editor').waitFor();
  await page.locator('.cm-content').click();
  await page.keyboard.insertText('fromAll()');
  assert.match(await page.locator('.cm-content').textContent(), /fromAll\(\)/);

  // Another sandbox, by query, is the app too.
  await page.goto(`${server.base}?sandbox=offline-other`);
  await waitReady(page);
  assert.deepEqual(await page.evaluate(() => window.sandbox.append('note-1', { type: 'Noted', data: {} })), { nextExpectedVersion: 0, position: 0 });

  await page.goto(server.base);
  await waitReady(page);
  assert.equal((await readAll(page)).length, 4, 'nothing was lost across the offline reloads');
  assert.equal(server.requested.length, askedBefore, 'nothing reached the server');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a new build replaces the old one: its worker takes over and the old cache is deleted', limit, async (t) => {
  const folder = copyOfBuild(t);
  const server = await serve(folder);
  const { page, context, errors } = await openPage({ browser, base: server.base });
  const infos = [];
  page.on('console', (message) => { if (message.type() === 'info') infos.push(message.text()); });
  await untilControlled(page);
  const first = versionOf(folder);
  assert.deepEqual(await cacheNames(page), [CACHE_PREFIX + first]);
  await appendAll(page, [['visit-1', 'Visited', { build: 1 }]]);

  // A new build: one file changes, and the post_build hook stamps sw.js again.
  markBuild(folder, 'next');
  stampWorker(folder);
  const next = versionOf(folder);
  assert.notEqual(next, first, 'a changed build has a new version');

  // The reload is answered by the old worker, and makes the browser look for a new sw.js.
  await reload(page);
  await eventually(async () => assert.deepEqual(await cacheNames(page), [CACHE_PREFIX + next]), 20000);
  await eventually(() => assert.ok(infos.some((text) => /newer version is installed/.test(text)), 'the page was told'));

  await reload(page);
  assert.equal(await shownBuild(page), 'next', 'the new build is served');
  assert.deepEqual(await readAll(page), [['visit-1', 'Visited', { build: 1 }]]);
  await appendAll(page, [['visit-1', 'Visited', { build: 2 }]]);
  assert.equal((await readAll(page)).length, 2);

  // The new build works offline on its own.
  await context.setOffline(true);
  await server.stop();
  await reload(page);
  assert.equal(await shownBuild(page), 'next');
  assert.equal((await readAll(page)).length, 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a trunk serve build precaches nothing, so a rebuild shows on the first reload', limit, async (t) => {
  const folder = copyOfBuild(t);
  // What trunk serve's autoreload script, which the stamp looks for, would open (inert here).
  const indexFile = path.join(folder, 'index.html');
  fs.writeFileSync(indexFile, fs.readFileSync(indexFile, 'utf8').replace('</body>', "<script>void '/.well-known/trunk/ws';</script></body>"));
  markBuild(folder, 'first');
  stampWorker(folder);
  const server = await serve(folder);
  const { page, context, errors } = await openPage({ browser, base: server.base });
  await untilControlled(page);
  markBuild(folder, 'rebuilt');
  await reload(page);
  assert.equal(await shownBuild(page), 'rebuilt');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the manifest makes the app installable, its icons are served, and bench pages bypass the worker', limit, async () => {
  const server = await serve(dist);
  const { page, context, errors } = await openPage({ browser, base: server.base });
  await untilControlled(page);
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.equal(manifest.url, `${server.base}manifest.webmanifest`);
  assert.deepEqual(manifest.errors, []);
  const parsed = JSON.parse(manifest.data);
  assert.equal(parsed.start_url, './');
  assert.equal(parsed.display, 'standalone');
  // Chromium lists every reason it would not offer to install; a test's
  // browser context is always incognito, which is the one reason allowed here.
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors.map((e) => e.errorId), ['in-incognito']);

  for (const icon of parsed.icons) {
    const response = await fetch(new URL(icon.src, manifest.url));
    assert.equal(response.status, 200, icon.src);
    assert.equal(response.headers.get('content-type'), icon.type, icon.src);
    const body = Buffer.from(await response.arrayBuffer());
    if (icon.type === 'image/png') {
      const [width, height] = icon.sizes.split('x').map(Number);
      assert.deepEqual([body.readUInt32BE(16), body.readUInt32BE(20)], [width, height], `${icon.src} is ${icon.sizes}`);
    } else {
      assert.match(body.toString('utf8'), /^<svg /, icon.src);
    }
  }

  // The worker's static route sends bench/ to the network without starting
  // it (workerStart stays 0), where the app's own navigation goes through it.
  const workerStart = () => page.evaluate(() => performance.getEntriesByType('navigation')[0].workerStart);
  await reload(page);
  assert.ok(await workerStart() > 0, 'the app is answered by the worker');
  await page.goto(`${server.base}bench/baseline.html`);
  assert.ok(server.requested.includes('/bench/baseline.html'), 'the bench page came from the server');
  assert.equal(await workerStart(), 0, 'the worker was not involved in the bench page');
  assert.deepEqual(errors, []);
  await context.close();
  await server.stop();
});
