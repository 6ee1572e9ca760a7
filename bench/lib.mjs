// Shared by bench/run.mjs, bench/scale.mjs and bench/stages.mjs: the commit a
// run measures, the refusal to record from a dirty tree, the page probes,
// the memory measure, statistics and the marker-delimited tables.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { waitReady } from '../tests/e2e/harness.mjs';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..');
export const pagesDir = path.join(here, 'pages');

/** The flags every benchmark browser needs: precise heap sizes and gc(). */
export const browserFlags = ['--enable-precise-memory-info', '--js-flags=--expose-gc'];

/**
 * Chromium with a profile on disk (`userDataDir`), for the scale run: the
 * contexts `launchChromium` makes are off the record, and Chromium keeps
 * their IndexedDB in memory under a small quota, which a million events on
 * both sides exceed (QuotaExceededError), and which no user's sandbox has.
 * The same flags as tests/e2e/harness.mjs `launchChromium`.
 */
export function launchPersistent(userDataDir, extraArgs = []) {
  const { chromium } = createRequire(path.join(root, 'tests/e2e/harness.mjs'))('playwright-core');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-quic', '--no-first-run', ...extraArgs],
  });
}

/**
 * The commit the run measures: `git rev-parse --short HEAD`, plus "-dirty"
 * when `git status --porcelain` lists anything at all (untracked files too).
 */
export function commitOf() {
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trimEnd();
  const head = git('rev-parse', '--short', 'HEAD');
  const status = git('status', '--porcelain');
  return { label: status ? `${head}-dirty` : head, dirty: status !== '', status };
}

/**
 * A run that records (writes BENCHMARKS.md) must measure a commit: exits
 * with status 2, before anything runs, when the tree is dirty.
 */
export function refuseDirty(commit, what) {
  if (!commit.dirty) return;
  const listed = commit.status.split('\n').slice(0, 10).map((line) => `    ${line}`).join('\n');
  console.error(`bench: refusing to run: ${what} writes BENCHMARKS.md, and every row must name the commit it measured, but the working tree is dirty:\n${listed}\nCommit first (then every row names that commit), or pass --no-write to measure without recording (the rows then say ${commit.label}).`);
  process.exit(2);
}

/** The sandbox reducer worker's getAll batch (`read_batch` in src/projections/protocol.rs). */
export function sandboxReadBatch() {
  const source = fs.readFileSync(path.join(root, 'src/projections/protocol.rs'), 'utf8');
  const found = source.match(/read_batch:\s*(\d+)/);
  if (!found) throw new Error('cannot find read_batch in src/projections/protocol.rs');
  return Number(found[1]);
}

/**
 * An init script for both sides' pages: records when `table.streams` (the
 * stream list) and `table.events` first reach the DOM, as performance.now()
 * in the MutationObserver's callback (relative to navigation start), and
 * keeps the sandbox's wasm instance for the memory measure.
 */
export function probes() {
  addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
  const watch = (selector, key) => new MutationObserver((_, observer) => {
    if (document.querySelector(selector)) {
      window[key] = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
  watch('table.streams', '__streamsShownAt');
}

/**
 * The page's memory, the same measure on both sides: the JS heap after a
 * full collection, plus the wasm memory on the sandbox's page (it is the
 * page's memory too).
 */
export function pageMemory(page) {
  return page.evaluate(() => {
    gc();
    const heap = performance.memory.usedJSHeapSize;
    const wasm = window.__wasm ? window.__wasm.memory.buffer.byteLength : 0;
    return { heap, wasm, total: heap + wasm };
  });
}

/** Opens the sandbox `name` in a new page of `context` (probes installed), ready. */
export async function openSandbox(context, base, name, { hash = '' } = {}) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`sandbox page error: ${error}`));
  await page.addInitScript(probes);
  await page.goto(`${base}?sandbox=${name}${hash}`);
  await waitReady(page);
  await addScripts(page, ['workload.js']);
  return page;
}

/**
 * The IndexedDB schema the build under test writes: its version and the
 * indexes of its `streams` store, from a sandbox page's own database. The
 * raw baselines mirror it (bench/pages/schema.js, `benchSchema.use`).
 */
export async function buildSchema(browserOrContext, base) {
  const own = typeof browserOrContext.newContext === 'function';
  const context = own ? await browserOrContext.newContext() : browserOrContext;
  const page = await openSandbox(context, base, 'bench-schema');
  const schema = await page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('es-sandbox/bench-schema');
    r.onsuccess = () => {
      const db = r.result;
      resolve({ version: db.version, streamIndexes: [...db.transaction(['streams']).objectStore('streams').indexNames] });
      db.close();
    };
    r.onerror = () => reject(r.error);
  }));
  await (own ? context.close() : page.close());
  return schema;
}

/** A page of the raw baselines (bench/pages/baseline.html), writing `schema` (from buildSchema). */
export async function openBaseline(context, base, schema) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`baseline page error: ${error}`));
  await page.goto(`${base}bench/baseline.html`);
  await page.evaluate(({ version, streamIndexes }) => window.benchSchema.use(version, streamIndexes), schema);
  return page;
}

/** Adds bench/pages scripts that the page (after a navigation) lacks. */
export async function addScripts(page, files) {
  for (const file of files) {
    const global = { 'workload.js': 'benchWorkload', 'schema.js': 'benchSchema', 'baseline.js': 'baseline' }[file];
    if (!(await page.evaluate((g) => Boolean(window[g]), global))) await page.addScriptTag({ url: `/bench/${file}` });
  }
}

/** Waits until the probe saw `table.streams`; returns its time from navigation start. */
export async function streamsShown(page, timeout = 600_000) {
  await page.waitForFunction(() => window.__streamsShownAt !== undefined, null, { timeout, polling: 50 });
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('table.streams tbody tr')];
    return {
      at: window.__streamsShownAt,
      rows: rows.length,
      // Stream, category, version, count: what both sides must show alike.
      cells: rows.map((tr) => [...tr.cells].slice(0, 4).map((td) => td.textContent.trim()).join(' | ')),
    };
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const stats = (xs) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs), runs: xs });

export function percentiles(waits) {
  const sorted = [...waits].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  return { count: waits.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

/** Throws (failing the run) unless `ok`: a benchmark that computes a wrong answer measures nothing. */
export function check(ok, message) {
  if (!ok) throw new Error(`wrong answer: ${message}`);
}

export const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
export const ms = (x) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
export const rate = (millis, n) => `${Math.round(n / (millis / 1000)).toLocaleString('en')} ev/s`;

/** Replaces what lies between `start` and `end` in `file` with `text`. */
export function writeBetween(file, start, end, text) {
  const current = fs.readFileSync(file, 'utf8');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} … ${end} markers`);
  fs.writeFileSync(file, `${current.slice(0, from + start.length)}\n${text}\n${current.slice(to)}`);
}

/** The rebuild scenario's projection: a per-account sum, on both sides. */
export const REBUILD_SOURCE = `fromCategory('account').foreachStream().when({
  $init: () => ({ sum: 0 }),
  $any: (state, event) => { state.sum += event.data.amount; },
})`;

/**
 * Resets `bench-sum` (created and caught up, untimed, on first use) and
 * times until its state is back; returns the time and every partition's sum,
 * which the caller checks against the raw fold.
 */
export function sandboxRebuild(page) {
  return page.evaluate(async (source) => {
    const names = (await window.sandbox.projections()).map((p) => p.name);
    if (!names.includes('bench-sum')) {
      await window.sandbox.createProjection('bench-sum', source);
      await window.sandbox.projectionState('bench-sum');
    }
    const started = performance.now();
    await window.sandbox.resetProjection('bench-sum');
    await window.sandbox.projectionState('bench-sum', { partition: 'account-0' });
    const ms = performance.now() - started;
    const sums = {};
    for (const partition of await window.sandbox.projectionPartitions('bench-sum')) {
      sums[partition] = (await window.sandbox.projectionState('bench-sum', { partition })).sum;
    }
    return { ms, sums };
  }, REBUILD_SOURCE);
}
