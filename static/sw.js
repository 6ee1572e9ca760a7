// The offline worker: after one visit, es-sandbox loads and works with the
// network off. This file is a template: Trunk's post_build hook
// (scripts/stamp-service-worker.mjs) writes it into the build as /sw.js with
// BUILD filled in: every file of the build (the app shell: index.html, the
// hashed js, wasm and css, the reducer worker's scripts, the bundled editor,
// the manifest and icons) and a version, a hash over their contents.
//
// - install: precaches the build into a cache named after its version;
// - activate: deletes every other version's cache, then controls open pages;
// - fetch: the build's files come from that cache, and a navigation to the
//   app (its scope, or index.html, with any query such as ?sandbox= or
//   ?scenario=) gets the cached index.html. Anything else (the benchmark
//   pages under bench/, any file not part of the build) is not answered
//   here, so the browser fetches it from the network as if there were no
//   worker.
//
// The events themselves live in IndexedDB, which needs no worker offline.
'use strict';

// Replaced, this one line, by scripts/stamp-service-worker.mjs.
const BUILD = { version: 'unstamped', files: [] };

const CACHE_PREFIX = 'es-sandbox-shell-';
const CACHE = CACHE_PREFIX + BUILD.version;
const SCOPE = new URL(self.registration.scope);
const INDEX = new URL('index.html', SCOPE);
const BENCH = new URL('bench/', SCOPE).pathname;
/** The build's files by absolute URL: the only requests this worker answers. */
const SHELL = new Set(BUILD.files.map((file) => new URL(file, SCOPE).href));

self.addEventListener('install', (event) => {
  addStaticRoutes(event);
  // A new build takes over at once instead of waiting until every tab of
  // the old one is closed: that is what a user expects after a deploy (a
  // reload, at most two, shows the new build), as it was before there was a
  // worker. A tab left open keeps running the code it already loaded; the
  // files it may still load later (the editor, the reducer worker) then come
  // from the new build, exactly as they would from the server without a
  // worker, and the reducer worker's protocol version check reports a
  // mismatch there rather than misbehaving.
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(deleteOtherVersions().then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (isAppNavigation(request, url)) {
    event.respondWith(fromCache(INDEX.href, request));
  } else if (SHELL.has(url.href)) {
    event.respondWith(fromCache(url.href, request));
  }
  // Not answered: the browser goes to the network itself.
});

/** Fetches every file of the build into this version's cache, or none. */
async function precache() {
  const cache = await caches.open(CACHE);
  try {
    await Promise.all(BUILD.files.map(async (file) => {
      const url = new URL(file, SCOPE).href;
      // 'reload': straight from the server, never a stale HTTP cache entry
      // of an older build.
      const response = await fetch(url, { cache: 'reload' });
      if (!response.ok) throw new Error(`precaching ${url}: HTTP ${response.status}`);
      // A host may redirect index.html to the folder; a redirected response
      // cannot answer a navigation, so a copy without the redirect is kept.
      await cache.put(url, response.redirected ? new Response(await response.blob(), response) : response);
    }));
  } catch (error) {
    // The install fails (the previous version stays in charge); a half
    // filled cache would only take up room until the next activation.
    await caches.delete(CACHE);
    throw error;
  }
}

async function deleteOtherVersions() {
  const names = await caches.keys();
  await Promise.all(names
    .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
    .map((name) => caches.delete(name)));
}

/**
 * Where the browser has static routing, two kinds of request never start
 * this worker: the benchmark pages, which must not be slowed by it, go to
 * the network; the build's files come straight from this version's cache
 * (the browser goes to the network if it lacks one), which spares every
 * file the worker's start-up and a trip through the fetch handler (the
 * reducer worker loads eight scripts each time a projection starts, under a
 * watchdog). Elsewhere the fetch handler does the same.
 */
function addStaticRoutes(event) {
  if (typeof event.addRoutes !== 'function' || typeof URLPattern !== 'function') return;
  const bench = { condition: { urlPattern: new URLPattern({ pathname: `${BENCH}*` }) }, source: 'network' };
  const shell = {
    condition: { or: [...SHELL].map((url) => ({ urlPattern: exactly(new URL(url)) })) },
    source: { cacheName: CACHE },
  };
  // A development build (trunk serve) has no files to route.
  const routes = SHELL.size > 0 ? [bench, shell] : [bench];
  event.waitUntil(Promise.resolve()
    .then(() => event.addRoutes(routes))
    // The fetch handler answers the same requests the same way, so offline
    // support need not fail over a route.
    .catch((error) => console.warn(`es-sandbox worker: no static routes, the fetch handler serves everything: ${error}`)));
}

/** A URLPattern matching `url` only (its text taken literally, not as pattern syntax). */
function exactly(url) {
  const literal = (text) => text.replace(/[\\:*?()+{}]/g, '\\$&');
  return new URLPattern({
    protocol: literal(url.protocol.slice(0, -1)),
    hostname: literal(url.hostname),
    port: literal(url.port),
    pathname: literal(url.pathname),
    search: '',
  });
}

function isAppNavigation(request, url) {
  // A development build precaches nothing, so it has no index.html to give.
  if (request.mode !== 'navigate' || url.origin !== SCOPE.origin || !SHELL.has(INDEX.href)) return false;
  return url.pathname === SCOPE.pathname || url.pathname === INDEX.pathname;
}

/**
 * The cached copy of `key`; the network only if the cache lost it (the
 * browser evicts an origin's caches and IndexedDB together, so then there is
 * nothing offline to serve anyway).
 */
async function fromCache(key, request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(key)) ?? fetch(request);
}
