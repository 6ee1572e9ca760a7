// An NDJSON import of N events (default 100,000): `window.sandbox.importNdjson`
// against a raw-IndexedDB baseline doing the same work (parse the same lines,
// write the same event and stream rows, in one readwrite transaction), in the
// same headless Chromium, alternating which side goes first. Both sides'
// rows are then checked equal. Then the all-or-nothing proof: a file whose
// line N − 1 (99,999) is corrupted, and one whose line N − 1 conflicts with
// the sandbox, are refused with that line, and the sandbox's event count and
// last position are unchanged, after a reload too.
//
//   node bench/import.mjs [N]
//
// It prints the figures; it asserts answers, never a speed, and is not in CI.
import { serveStatic, launchChromium, dist, waitReady } from '../tests/e2e/harness.mjs';
import { pagesDir, browserFlags, buildSchema, openBaseline, median, check, ms, rate, addScripts } from './lib.mjs';

const N = Number(process.argv[2] ?? 100_000);
const REPS = 3;

const { server, base } = await serveStatic({ '/': dist, '/bench/': pagesDir });
const browser = await launchChromium(browserFlags);
const schema = await buildSchema(browser, base);

/**
 * The export both sides import, made in the page (so 30 MB do not cross
 * the wire): the workload's events (bench/pages/workload.js) over its 100
 * streams, each line a RecordedEvent as `exportNdjson()` writes it. Ids and
 * times are fixed, so both sides store identical rows. `streamPrefix`
 * renames every stream; `change(lines)` alters the text before it is kept.
 */
function makeExport(page, { streamPrefix = '', change = null } = {}) {
  return page.evaluate(([n, prefix, change]) => {
    const { streamName, event } = window.benchWorkload;
    const versions = new Map();
    const lines = new Array(n);
    for (let i = 0; i < n; i += 1) {
      const stream = prefix + streamName(i % 100);
      const version = versions.get(stream) ?? 0;
      versions.set(stream, version + 1);
      const { type, data, metadata } = event(i);
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const created = new Date(1764000000000 + i * 1000).toISOString();
      lines[i] = JSON.stringify({ stream, version, position: i, id, type, data, metadata, created });
    }
    if (change) new Function('lines', change)(lines);
    window.__export = lines.join('\n') + '\n';
    return window.__export.length;
  }, [N, streamPrefix, change]);
}

/** The rows of a database's `events` and `streams`, digested in the page. */
function digest(page, database) {
  return page.evaluate(async (name) => {
    const db = await window.benchSchema.openExisting(name);
    const all = (store) => window.benchSchema.request(db.transaction([store]).objectStore(store).getAll());
    const text = (rows) => rows.map((row) => JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]))).join('\n');
    let hash = 2166136261;
    const fold = (s) => { for (let i = 0; i < s.length; i += 1) { hash ^= s.charCodeAt(i); hash = Math.imul(hash, 16777619); } };
    const events = await all('events');
    const streams = await all('streams');
    fold(text(events));
    fold(text(streams));
    db.close();
    return { events: events.length, streams: streams.length, hash: hash >>> 0, last: events.at(-1)?.position };
  }, database);
}

async function sandboxSide(rep) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`sandbox page error: ${error}`));
  const name = `bench-import-${rep}`;
  await page.goto(`${base}?sandbox=${name}`);
  await waitReady(page);
  await addScripts(page, ['workload.js', 'schema.js']);
  const bytes = await makeExport(page);
  const result = await page.evaluate(async () => {
    const started = performance.now();
    const { imported } = await window.sandbox.importNdjson(window.__export);
    return { ms: performance.now() - started, imported };
  });
  check(result.imported === N, `the sandbox imported ${result.imported} of ${N}`);
  return { ms: result.ms, bytes, rows: await digest(page, `es-sandbox/${name}`), page, context, name };
}

async function rawSide(rep) {
  const context = await browser.newContext();
  const page = await openBaseline(context, base, schema);
  await addScripts(page, ['workload.js']);
  await makeExport(page);
  const name = `raw-import-${rep}`;
  const elapsed = await page.evaluate(async (name) => {
    const { createSchema, streamRow, categoryOf, request } = window.benchSchema;
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => createSchema(open.result);
    const db = await request(open);
    const started = performance.now();
    const tx = db.transaction(['events', 'streams'], 'readwrite');
    const events = tx.objectStore('events');
    const heads = new Map();
    let position = 0;
    for (const line of window.__export.split('\n')) {
      if (line === '') continue;
      const e = JSON.parse(line);
      const row = { position, stream: e.stream, version: e.version, id: e.id, type: e.type, data: JSON.stringify(e.data) };
      if (e.metadata != null) row.metadata = JSON.stringify(e.metadata);
      row.created = e.created;
      const correlation = e.metadata?.$correlationId;
      if (typeof correlation === 'string') row.correlationId = correlation;
      events.add(row);
      if (!heads.has(e.stream)) heads.set(e.stream, { created: e.created, firstPosition: position, version: e.version });
      position += 1;
    }
    const streams = tx.objectStore('streams');
    for (const [stream, head] of heads) streams.put(streamRow(stream, head.version, head.created, head.created, head.firstPosition));
    void categoryOf;
    const done = new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
    tx.commit();
    await done;
    const ms = performance.now() - started;
    db.close();
    return ms;
  }, name);
  const rows = await digest(page, name);
  await context.close();
  return { ms: elapsed, rows };
}

const sandboxTimes = [];
const rawTimes = [];
let kept = null;
for (let rep = 0; rep < REPS; rep += 1) {
  const order = rep % 2 ? ['raw', 'sandbox'] : ['sandbox', 'raw'];
  let sandbox;
  let raw;
  for (const side of order) {
    if (side === 'sandbox') sandbox = await sandboxSide(rep);
    else raw = await rawSide(rep);
  }
  check(sandbox.rows.events === N && raw.rows.events === N, `rows: sandbox ${sandbox.rows.events}, raw ${raw.rows.events}`);
  check(JSON.stringify(sandbox.rows) === JSON.stringify(raw.rows),
    `the two sides stored different rows: ${JSON.stringify(sandbox.rows)} vs ${JSON.stringify(raw.rows)}`);
  sandboxTimes.push(sandbox.ms);
  rawTimes.push(raw.ms);
  console.log(`rep ${rep + 1}: sandbox ${ms(sandbox.ms)}, raw ${ms(raw.ms)} (${(sandbox.bytes / 1e6).toFixed(1)} MB, rows equal: ${sandbox.rows.events} events, ${sandbox.rows.streams} streams)`);
  if (kept) await kept.context.close();
  kept = sandbox;
}
const s = median(sandboxTimes);
const r = median(rawTimes);
console.log(`\nNDJSON import of ${N.toLocaleString('en')} events, median of ${REPS}: sandbox ${ms(s)} (${rate(s, N)}), raw IndexedDB ${ms(r)} (${rate(r, N)}), ratio raw/sandbox ${(r / s).toFixed(2)}`);

// All or nothing, into the last sandbox (N events): line N − 1 corrupted,
// then line N − 1 well formed but conflicting.
const { page } = kept;
const state = () => page.evaluate(async () => {
  const [last] = await window.sandbox.readAll({ direction: 'backwards', limit: 1 });
  const streams = await window.sandbox.streams();
  return { lastPosition: last?.position ?? -1, events: (last?.position ?? -1) + 1, streams: streams.length };
});
const before = await state();
const line = N - 1;
const attempts = {
  corrupted: `lines[${line - 1}] = lines[${line - 1}].replace('"version":', '"version":"three","was":');`,
  conflicting: `lines[${line - 1}] = lines[${line - 1}].replace(/"stream":"[^"]*","version":\\d+/, '"stream":"${'account-0'}","version":0');`,
};
for (const [what, change] of Object.entries(attempts)) {
  await makeExport(page, { streamPrefix: 'again-', change });
  const outcome = await page.evaluate(async () => {
    const started = performance.now();
    try {
      await window.sandbox.importNdjson(window.__export);
      return { ok: true };
    } catch (error) {
      return { ok: false, name: error.name, message: error.message, ms: performance.now() - started };
    }
  });
  check(!outcome.ok && outcome.name === 'ImportError' && outcome.message.startsWith(`line ${line}:`),
    `the ${what} line ${line} was not refused by line: ${JSON.stringify(outcome)}`);
  const after = await state();
  check(JSON.stringify(after) === JSON.stringify(before), `the ${what} import changed the sandbox: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  await page.reload();
  await waitReady(page);
  await addScripts(page, ['workload.js', 'schema.js']);
  const reloaded = await state();
  check(JSON.stringify(reloaded) === JSON.stringify(before), `after a reload the ${what} import shows: ${JSON.stringify(reloaded)}`);
  console.log(`${what} line ${line.toLocaleString('en')}: ${outcome.name} "${outcome.message.slice(0, 140)}" after ${ms(outcome.ms)}; events ${after.events.toLocaleString('en')}, last position ${after.lastPosition.toLocaleString('en')}, streams ${after.streams}: unchanged, after a reload too`);
}
await kept.context.close();
await browser.close();
server.close();
