// The single append, stage by stage: what one append costs as each layer of
// work is added, warm, in one page per row, timed per append inside the
// page (performance.now()), the median of `count` appends after 50 to warm
// up; performance.now() ticks in 0.1 ms steps here (the page is not
// cross-origin isolated), so the mean is printed beside the median.
// BENCHMARKS.md quotes its table.
//
//   node bench/stages.mjs [count]     default 300
//
// Rows:
// - raw `add` of the event row alone: the physical limit, run.mjs's baseline;
// - raw `add` + `put` of the stream row, one transaction: what the sandbox's
//   append wrote up to schema v4 (run.mjs's fair variant; from v5 an append
//   to an existing stream writes its event alone);
// - the same, with the rows built the way the sandbox builds them (emulated:
//   every string field decoded from UTF-8 bytes, as a string crossing from
//   wasm memory is, and set on a fresh object one field at a time, as
//   serde_wasm_bindgen's json_compatible serializer does);
// - `sandbox.append` on a quiet route (`#/help`: no view reads the store
//   there but the time bar's);
// - `sandbox.append` with the stream list on screen (`#/`).
// Every append carries an expected version, as in run.mjs.
import { serveStatic, launchChromium, dist } from '../tests/e2e/harness.mjs';
import { pagesDir, browserFlags, commitOf, openSandbox, openBaseline, buildSchema } from './lib.mjs';

const count = Number(process.argv[2] ?? 300);
const WARM = 50;
const commit = commitOf();

const { server, base } = await serveStatic({ '/': dist, '/bench/': pagesDir });
const browser = await launchChromium(browserFlags);
const schema = await buildSchema(browser, base);
const context = await browser.newContext();

/** Per-append milliseconds of `count` raw appends of the given kind. */
async function raw(kind) {
  const page = await openBaseline(context, base, schema);
  const waits = await page.evaluate(async ([kind, warm, count]) => {
    const { eventRow, streamRow } = window.benchSchema;
    const { streamName, event } = window.benchWorkload;
    const db = await window.baseline.open(`stages-${kind}`);
    const done = (tx) => new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error);
    });
    const utf8 = new TextEncoder();
    const fromWasm = new TextDecoder();
    /**
     * A row rebuilt field by field: each string encoded to UTF-8 (as Rust
     * holds it) and decoded again (as it crosses into JS), then set on a
     * fresh object.
     */
    const built = (row) => {
      const bytes = Object.entries(row).map(([key, value]) => [utf8.encode(key), typeof value === 'string' ? utf8.encode(value) : value]);
      return () => {
        const object = {};
        for (const [key, value] of bytes) object[fromWasm.decode(key)] = value instanceof Uint8Array ? fromWasm.decode(value) : value;
        return object;
      };
    };
    const heads = new Map();
    const waits = [];
    for (let i = 0; i < warm + count; i += 1) {
      const stream = streamName(i);
      const head = heads.get(stream);
      const version = head ? head.version + 1 : 0;
      const input = event(i);
      const started = performance.now();
      const created = new Date().toISOString();
      let eventObject = eventRow(input, stream, version, i, created);
      let row = streamRow(stream, version, head ? head.created : created, created, head ? head.firstPosition : i);
      if (kind === 'built') {
        eventObject = built(eventObject)();
        row = built(row)();
      }
      const tx = db.transaction(kind === 'add' ? ['events'] : ['events', 'streams'], 'readwrite');
      tx.objectStore('events').add(eventObject);
      if (kind !== 'add') tx.objectStore('streams').put(row);
      tx.commit();
      await done(tx);
      if (i >= warm) waits.push(performance.now() - started);
      heads.set(stream, row);
    }
    db.close();
    return waits;
  }, [kind, WARM, count]);
  await page.close();
  return waits;
}

/** Per-append milliseconds of `count` calls of `sandbox.append`, on route `hash`. */
async function sandbox(name, hash) {
  const page = await openSandbox(context, base, name, { hash });
  const waits = await page.evaluate(async ([warm, count]) => {
    const { streamName, event } = window.benchWorkload;
    const versions = new Map();
    const waits = [];
    for (let i = 0; i < warm + count; i += 1) {
      const stream = streamName(i);
      const expectedVersion = versions.has(stream) ? versions.get(stream) : 'no_stream';
      const input = event(i);
      const started = performance.now();
      const result = await window.sandbox.append(stream, input, { expectedVersion });
      if (i >= warm) waits.push(performance.now() - started);
      versions.set(stream, result.nextExpectedVersion);
    }
    return waits;
  }, [WARM, count]);
  if (hash === '#/') await page.waitForSelector('table.streams');
  await page.close();
  return waits;
}

const stages = [
  ['raw: `add` of the event row into `events` (the physical limit; run.mjs\'s baseline)', () => raw('add')],
  ['raw: `add` of the event row + `put` of the stream row, one transaction (what the sandbox wrote per append up to schema v4; run.mjs\'s fair variant)', () => raw('fair')],
  ['raw: the same, each row built field by field from UTF-8 strings (emulating the sandbox\'s wasm → JS row conversion)', () => raw('built')],
  ['`sandbox.append` on a quiet route (`#/help`)', () => sandbox('stages-quiet', '#/help')],
  ['`sandbox.append` with the stream list on screen (`#/`)', () => sandbox('stages-list', '#/')],
];

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const lines = [
  `Commit ${commit.label}, Chromium ${browser.version()}, ${new Date().toISOString().slice(0, 10)}, schema v${schema.version}: ${count} appends of one event per row after ${WARM} to warm up, each timed in the page.`,
  '',
  '| one append as | median ms | mean ms | p10 – p90 ms |',
  '|---|---|---|---|',
];
try {
  for (const [label, run] of stages) {
    const waits = await run();
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
    lines.push(`| ${label} | **${quantile(waits, 0.5).toFixed(2)}** | ${mean.toFixed(2)} | ${quantile(waits, 0.1).toFixed(2)} – ${quantile(waits, 0.9).toFixed(2)} |`);
  }
} finally {
  await browser.close();
  server.close();
}
console.log(lines.join('\n'));
