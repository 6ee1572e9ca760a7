// The benchmark harness: each scenario runs the sandbox and a raw baseline
// that does the same work, in the same headless Chromium, alternating which
// side goes first, and reports min/median/max and the ratio of medians
// (raw time ÷ sandbox time, so higher is better; memory: sandbox bytes ÷
// raw bytes, lower is better). Every answer is checked: both sides of the
// whole-log read return the same N events, both first screens show the same
// number of stream rows, both rebuilds compute the same sum per stream.
//
//   node bench/run.mjs              full run: N = 100,000, 3 repetitions;
//                                   writes BENCHMARKS.md and
//                                   bench/results/latest.json, and refuses
//                                   to start from a dirty tree
//   node bench/run.mjs --no-write   the full run without recording (any tree)
//   node bench/run.mjs --smoke      every scenario once at N = 2,000 (CI):
//                                   asserts the answers, never a speed
//
// Exits non-zero when a scenario fails or computes a wrong answer.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { serveStatic, launchChromium, dist, waitReady } from '../tests/e2e/harness.mjs';
import { scrub, percentiles as scrubPercentiles } from './scrub.mjs';
import {
  here, root, pagesDir, browserFlags, commitOf, refuseDirty, sandboxReadBatch, probes, pageMemory,
  openSandbox, openBaseline, buildSchema, addScripts, streamsShown, median, stats, check, mib, rate, writeBetween, sandboxRebuild,
} from './lib.mjs';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const record = !smoke && !args.includes('--no-write');
const commit = commitOf();
if (record) refuseDirty(commit, 'the full run');
// run.sh asks this much before it builds.
if (args.includes('--preflight')) process.exit(0);

const N = smoke ? 2000 : 100_000;
// Smoke mode appends 100 per call, so its 2,000 events reach 20 streams.
const BATCH = smoke ? 100 : 1000;
const SINGLE = smoke ? 100 : 2000;
const REPS = smoke ? 1 : 3;
const READ_BATCH = sandboxReadBatch();
// The workload's streams (bench/pages/workload.js).
const STREAMS = 100;
/** Streams the batched append creates: batch b goes to streamName(b). */
const STREAMS_FILLED = Math.min(STREAMS, Math.ceil(N / BATCH));
/** Rows the stream list shows at first (ROWS_PER_PAGE in src/ui/stream_list.rs). */
const LIST_ROWS = 100;

const { server, base } = await serveStatic({ '/': dist, '/bench/': pagesDir });
const browser = await launchChromium(browserFlags);
const chromiumVersion = browser.version();
// The raw baselines write the schema the build under test writes.
const SCHEMA_OF_BUILD = await buildSchema(browser, base);
const SCHEMA = SCHEMA_OF_BUILD.version;

const samples = {};
const add = (key, side, value) => {
  samples[key] ??= { sandbox: [], baseline: [] };
  samples[key][side].push(value);
};
// Append → projectionState showing it, per append; no baseline to compare.
const liveWaits = [];
// A time-travel cursor move → the state as of there, per move.
const scrubWaits = [];
const notes = new Set();

// ---------------------------------------------------------------------------
// The sandbox's side.
// ---------------------------------------------------------------------------

const sandboxSide = {
  /** `sandbox.append`, BATCH events per call, expected version checked. */
  async batchedAppend(page, total) {
    return page.evaluate(async ([total, batchSize]) => {
      const { streamName, event } = window.benchWorkload;
      const versions = new Map();
      const started = performance.now();
      for (let b = 0, position = 0; position < total; b += 1) {
        const stream = streamName(b);
        const batch = [];
        for (let i = 0; i < batchSize && position < total; i += 1, position += 1) batch.push(event(position));
        const expectedVersion = versions.has(stream) ? versions.get(stream) : 'no_stream';
        const result = await window.sandbox.append(stream, batch, { expectedVersion });
        versions.set(stream, result.nextExpectedVersion);
      }
      return performance.now() - started;
    }, [total, BATCH]);
  },
  /** `count` calls of `sandbox.append` with one event, expected version checked. */
  async singleAppend(page, count) {
    return page.evaluate(async (count) => {
      const { streamName, event } = window.benchWorkload;
      const versions = new Map();
      const started = performance.now();
      for (let i = 0; i < count; i += 1) {
        const stream = streamName(i);
        const expectedVersion = versions.has(stream) ? versions.get(stream) : 'no_stream';
        const result = await window.sandbox.append(stream, event(i), { expectedVersion });
        versions.set(stream, result.nextExpectedVersion);
      }
      return performance.now() - started;
    }, count);
  },
  /** `sandbox.readAll` of the whole log, forwards; kept for the memory row. */
  async wholeLog(page, total) {
    return page.evaluate(async (total) => {
      const started = performance.now();
      const events = await window.sandbox.readAll({ direction: 'forwards', limit: total });
      const ms = performance.now() - started;
      window.__kept = events;
      return { ms, count: events.length, first: events[0]?.position, last: events[events.length - 1]?.position, samples: window.benchSamples(events) };
    }, total);
  },
  /**
   * Resets a foreachStream sum projection and waits until its state is
   * back; then reads every partition's state, for the answer check.
   */
  rebuild: sandboxRebuild,
  /** Appends one event at a time; how long until a live projection shows it. */
  async liveLatency(page, count) {
    return page.evaluate(async (count) => {
      const waits = [];
      for (let i = 0; i < count; i += 1) {
        const before = (await window.sandbox.projectionState('bench-sum', { partition: 'account-0' })).sum;
        const started = performance.now();
        await window.sandbox.append('account-0', { type: 'Deposited', data: { amount: 1 } });
        const after = (await window.sandbox.projectionState('bench-sum', { partition: 'account-0' })).sum;
        if (after !== before + 1) throw new Error(`wrong answer: the live projection missed an append: ${before} → ${after}`);
        waits.push(performance.now() - started);
      }
      return waits;
    }, count);
  },
};

// ---------------------------------------------------------------------------
// The raw side (bench/pages/baseline.js, first-screen.js, fold-worker.js).
// ---------------------------------------------------------------------------

const baselinePage = (context) => openBaseline(context, base, SCHEMA_OF_BUILD);

/** The raw first screen of the sandbox database `dbName`, loaded once to warm the caches. */
async function rawFirstScreenPage(context, dbName) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`first-screen page error: ${error}`));
  await page.addInitScript(probes);
  await page.goto(`${base}bench/first-screen.html?db=${encodeURIComponent(dbName)}`);
  await page.evaluate(() => window.firstScreen);
  return page;
}

// ---------------------------------------------------------------------------
// One repetition.
// ---------------------------------------------------------------------------

const both = (rep, sandbox, raw) => (rep % 2 ? [raw, sandbox] : [sandbox, raw]);
const sequence = async (steps) => { for (const step of steps) await step(); };

async function repetition(rep) {
  const context = await browser.newContext();
  const sandboxName = `bench-${rep}`;
  const dbName = `es-sandbox/${sandboxName}`;

  // Batched append: each side fills its own database with the same events.
  await sequence(both(rep, async () => {
    const page = await openSandbox(context, base, sandboxName);
    add('batched', 'sandbox', await sandboxSide.batchedAppend(page, N));
    const last = await page.evaluate(() => window.sandbox.readAll({ direction: 'backwards', limit: 1 }));
    check(last[0]?.position === N - 1, `the sandbox holds ${last[0]?.position + 1} events after the batched append, expected ${N}`);
    await page.close();
  }, async () => {
    const page = await baselinePage(context);
    add('batched', 'baseline', await page.evaluate(([n, t, b]) => window.baseline.batchedAppend(n, t, b), [`raw-${rep}`, N, BATCH]));
    await page.close();
  }));

  // First screen, whole-log read, the memory after each, and the rebuild:
  // both sides read the database the sandbox filled. One page at a time,
  // so the heap measured is that page's alone.
  await sequence(both(rep, async () => {
    const page = await openSandbox(context, base, sandboxName);
    await page.reload();
    await waitReady(page);
    const shown = await streamsShown(page);
    check(shown.rows === Math.min(LIST_ROWS, STREAMS_FILLED), `the sandbox's first screen shows ${shown.rows} stream rows, expected ${Math.min(LIST_ROWS, STREAMS_FILLED)}`);
    add('firstScreen', 'sandbox', shown.at);
    screens.sandbox = shown.cells;
    add('memoryFirstScreen', 'sandbox', (await pageMemory(page)).total);
    await addScripts(page, ['workload.js']);
    const read = await sandboxSide.wholeLog(page, N);
    check(read.count === N && read.first === 0 && read.last === N - 1, `the sandbox's whole-log read returned ${read.count} events, positions ${read.first}…${read.last}, expected ${N}, 0…${N - 1}`);
    add('wholeLog', 'sandbox', read.ms);
    wholeLogAnswers.sandbox = read.samples;
    add('memoryWholeLog', 'sandbox', (await pageMemory(page)).total);
    await page.evaluate(() => { window.__kept = null; });
    const rebuilt = await sandboxSide.rebuild(page);
    add('rebuild', 'sandbox', rebuilt.ms);
    rebuildAnswers.sandbox = rebuilt.sums;
    await page.close();
  }, async () => {
    const page = await rawFirstScreenPage(context, dbName);
    await page.reload();
    const shown = await streamsShown(page);
    const screen = await page.evaluate(() => window.firstScreen);
    notes.add(`raw first screen read: ${screen.read}`);
    check(shown.rows === Math.min(LIST_ROWS, STREAMS_FILLED), `the raw first screen shows ${shown.rows} stream rows, expected ${Math.min(LIST_ROWS, STREAMS_FILLED)}`);
    add('firstScreen', 'baseline', shown.at);
    screens.baseline = shown.cells;
    add('memoryFirstScreen', 'baseline', (await pageMemory(page)).total);
    await addScripts(page, ['workload.js', 'baseline.js']);
    const read = await page.evaluate((db) => window.baseline.wholeLog(db, { keep: true }), dbName);
    check(read.count === N && read.first === 0 && read.last === N - 1, `the raw whole-log read returned ${read.count} events, positions ${read.first}…${read.last}, expected ${N}, 0…${N - 1}`);
    add('wholeLog', 'baseline', read.ms);
    wholeLogAnswers.baseline = read.samples;
    add('memoryWholeLog', 'baseline', (await pageMemory(page)).total);
    await page.evaluate(() => { window.loaded = null; });
    const rebuilt = await page.evaluate(([db, batch]) => window.baseline.rebuild(db, batch), [dbName, READ_BATCH]);
    add('rebuild', 'baseline', rebuilt.ms);
    rebuildAnswers.baseline = rebuilt.sums;
    await page.close();
  }));
  checkRebuildAnswers();
  checkWholeLogAnswers();
  const differ = screens.sandbox.findIndex((row, i) => row !== screens.baseline[i]);
  check(differ < 0, `the first screens differ at row ${differ + 1}: sandbox "${screens.sandbox[differ]}", raw "${screens.baseline[differ]}"`);

  // The live projection and time travel's scrub, on the sandbox only.
  {
    const page = await openSandbox(context, base, sandboxName);
    liveWaits.push(...(await sandboxSide.liveLatency(page, smoke ? 5 : 20)));
    scrubWaits.push(...(await scrub(page, { total: N, batch: BATCH, samples: smoke ? 10 : 200 })));
    await page.close();
  }

  // Single appends, each into a fresh database.
  await sequence(both(rep, async () => {
    const page = await openSandbox(context, base, `bench-single-${rep}`);
    add('single', 'sandbox', await sandboxSide.singleAppend(page, SINGLE));
    await page.close();
  }, async () => {
    const page = await baselinePage(context);
    add('single', 'baseline', await page.evaluate(([n, c]) => window.baseline.singleAppend(n, c), [`raw-single-${rep}`, SINGLE]));
    add('singleFair', 'baseline', await page.evaluate(([n, c]) => window.baseline.singleAppend(n, c, { fair: true }), [`raw-single-fair-${rep}`, SINGLE]));
    await page.close();
  }));
  samples.singleFair.sandbox = samples.single.sandbox;
  await context.close();
}

const rebuildAnswers = {};
/** A few events of both whole-log reads: they must be the same events. */
const wholeLogAnswers = {};
function checkWholeLogAnswers() {
  const { sandbox, baseline } = wholeLogAnswers;
  check(JSON.stringify(sandbox) === JSON.stringify(baseline), `the whole-log reads differ: sandbox ${JSON.stringify(sandbox).slice(0, 300)}, raw ${JSON.stringify(baseline).slice(0, 300)}`);
}
/** Both first screens' rows (stream, category, version, count), in order. */
const screens = {};
/** Both rebuilds must have folded the same sum for the same streams. */
function checkRebuildAnswers() {
  const { sandbox, baseline } = rebuildAnswers;
  const keys = Object.keys(baseline).sort();
  const expected = Math.ceil(STREAMS_FILLED / 2);
  check(keys.length === expected, `the raw rebuild folded ${keys.length} account streams, expected ${expected}`);
  check(JSON.stringify(Object.keys(sandbox).sort()) === JSON.stringify(keys), `the rebuilds' partitions differ: sandbox ${Object.keys(sandbox).sort().join(',')}, raw ${keys.join(',')}`);
  const wrong = keys.filter((key) => sandbox[key] !== baseline[key]);
  check(wrong.length === 0, `the rebuilds' sums differ for ${wrong.map((k) => `${k} (sandbox ${sandbox[k]}, raw ${baseline[k]})`).join(', ')}`);
}

let failure;
try {
  for (let rep = 0; rep < REPS; rep += 1) {
    await repetition(rep);
    console.log(`repetition ${rep + 1} of ${REPS} done`);
  }
} catch (error) {
  failure = error;
}
await browser.close();
server.close();
if (failure) {
  console.error(`bench: failed: ${failure.stack ?? failure}`);
  console.log('bench: failed');
  process.exit(1);
}

// ---------------------------------------------------------------------------
// Results.
// ---------------------------------------------------------------------------

function sizes() {
  const files = fs.readdirSync(dist);
  const wasm = files.find((f) => f.endsWith('_bg.wasm'));
  const glue = files.find((f) => f.endsWith('.js') && f.startsWith('es-sandbox'));
  const gz = (f) => zlib.gzipSync(fs.readFileSync(path.join(dist, f)), { level: 9 }).length;
  return {
    wasmRaw: fs.statSync(path.join(dist, wasm)).size,
    wasmGzip: gz(wasm),
    glueGzip: gz(glue),
    // Loaded only by the projection views.
    editorGzip: gz('editor.js'),
    // The worker's entry and the scripts it imports.
    workerGzip: ['reducer-worker.js', ...fs.readdirSync(path.join(dist, 'reducer-worker')).map((f) => `reducer-worker/${f}`)]
      .reduce((sum, f) => sum + gz(f), 0),
  };
}

/**
 * A compared row. Times become throughput ratios (raw time ÷ sandbox time);
 * memory stays a plain ratio of bytes (lower is better). `target` is null
 * for rows given for information.
 */
const scenario = (key, name, unit, target, { perEvent = null } = {}) => {
  const s = stats(samples[key].sandbox);
  const b = stats(samples[key].baseline);
  const ratio = unit === 'bytes' ? s.median / b.median : b.median / s.median;
  return {
    key, name, unit, perEvent, sandbox: s, baseline: b, ratio,
    target: target?.text ?? 'information', met: target ? target.test(ratio) : null,
  };
};
const atLeast = (x) => ({ text: `ratio ≥ ${x}`, test: (r) => r >= x });
const atMost = (x) => ({ text: `≤ ${x}× raw`, test: (r) => r <= x });

const results = {
  date: new Date().toISOString(),
  commit: commit.label,
  chromium: chromiumVersion,
  mode: smoke ? 'smoke' : 'full',
  n: N,
  batch: BATCH,
  single: SINGLE,
  repetitions: REPS,
  readBatch: READ_BATCH,
  schema: SCHEMA_OF_BUILD,
  notes: [...notes],
  scenarios: [
    scenario('batched', `batched append, ${N.toLocaleString('en')} events, ${BATCH.toLocaleString('en')} per call (raw: \`add\` of each event row + \`put\` of the stream row ${SCHEMA < 5 ? 'every call' : 'when the call creates the stream'}, one transaction per call)`, 'ms', atLeast(0.9), { perEvent: N }),
    scenario('single', `single append, ${SINGLE.toLocaleString('en')} appends of 1 event (raw: the physical limit, one \`add\` of the event row per transaction)`, 'ms', atLeast(0.8), { perEvent: SINGLE }),
    scenario('singleFair', `single append, fair variant (raw: \`add\` of the event row + \`put\` of the stream row per transaction)`, 'ms', null, { perEvent: SINGLE }),
    scenario('firstScreen', `first screen of ${N.toLocaleString('en')} events (navigation start → the stream list's table in the DOM)`, 'ms', atLeast(0.8)),
    scenario('wholeLog', `whole log read, ${N.toLocaleString('en')} events (\`readAll({ limit })\` forwards; raw: \`getAll()\` turned into the same RecordedEvents, data parsed; answers compared)`, 'ms', atLeast(0.8), { perEvent: N }),
    scenario('rebuild', `projection rebuild, foreachStream sum over ${N.toLocaleString('en')} events (raw: a worker reading IndexedDB in getAll batches of ${READ_BATCH.toLocaleString('en')}; sums checked equal)`, 'ms', atLeast(0.8), { perEvent: N }),
    scenario('memoryFirstScreen', 'memory after the first screen (gc\'d JS heap + wasm memory; raw: the first-screen page\'s gc\'d heap)', 'bytes', atMost(1.5)),
    scenario('memoryWholeLog', 'memory after the whole log read, the events kept (same measure)', 'bytes', null),
  ],
  size: sizes(),
};
results.size.met = results.size.wasmGzip < 300 * 1024;
const sortedWaits = [...liveWaits].sort((a, b) => a - b);
results.live = {
  appends: liveWaits.length,
  median: median(liveWaits),
  p95: sortedWaits[Math.min(sortedWaits.length - 1, Math.floor(sortedWaits.length * 0.95))],
  max: Math.max(...liveWaits),
};
results.live.met = results.live.p95 < 100;
results.scrub = scrubPercentiles(scrubWaits);
results.scrub.met = results.scrub.p95 < 16;

const fmt = (x, unit) => (unit === 'bytes' ? mib(x) : `${x.toFixed(0)} ms`);
const side = (s, unit, perEvent) => `${fmt(s.min, unit)} / **${fmt(s.median, unit)}**${perEvent ? ` (${rate(s.median, perEvent)})` : ''} / ${fmt(s.max, unit)}`;
const verdict = (met) => (met === null ? '—' : met ? 'met' : 'missed');
const c = commit.label;
const rows = results.scenarios.map((s) =>
  `| ${s.name} | ${c} | ${side(s.sandbox, s.unit, s.perEvent)} | ${side(s.baseline, s.unit, s.perEvent)} | ${s.ratio.toFixed(2)} | ${s.target} | ${verdict(s.met)} |`);
rows.push(`| live projection: append → \`projectionState\` shows it (${results.live.appends} appends, ${N.toLocaleString('en')} events stored) | ${c} | median **${results.live.median.toFixed(0)} ms**, p95 ${results.live.p95.toFixed(0)} ms, max ${results.live.max.toFixed(0)} ms | — | — | p95 < 100 ms | ${verdict(results.live.met)} |`);
rows.push(`| time travel: a cursor move to a random position → \`projectionState(name, { partition, at })\`, foreachStream counter over ${STREAMS_FILLED} streams (${results.scrub.moves} moves, ${N.toLocaleString('en')} events) | ${c} | p50 **${results.scrub.p50.toFixed(1)} ms**, p95 ${results.scrub.p95.toFixed(1)} ms, max ${results.scrub.max.toFixed(1)} ms | — | — | p95 < 16 ms | ${verdict(results.scrub.met)} |`);
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
rows.push(`| size, gzip -9: release wasm (raw ${kb(results.size.wasmRaw)}); JS glue ${kb(results.size.glueGzip)}; editor bundle ${kb(results.size.editorGzip)} and reducer worker ${kb(results.size.workerGzip)}, both loaded only by the projection views | ${c} | wasm **${kb(results.size.wasmGzip)}** | — | — | wasm < 300 KB gzip | ${verdict(results.size.met)} |`);
const table = [
  `Commit ${c}, Chromium ${results.chromium}, ${results.date.slice(0, 10)}, N = ${N.toLocaleString('en')}, ${REPS} repetition${REPS === 1 ? '' : 's'}, alternating sides; schema v${SCHEMA} on both sides.`,
  '',
  '| scenario | commit | sandbox min / **median** / max | raw baseline min / **median** / max | ratio | target | |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);
for (const note of notes) console.log(`note: ${note}`);

fs.mkdirSync(path.join(here, 'results'), { recursive: true });
// Only a recording run writes latest.json (tracked, the table's source);
// smoke.json and *.tmp are ignored by git.
const out = smoke ? 'smoke.json' : record ? 'latest.json' : 'unrecorded.tmp';
fs.writeFileSync(path.join(here, 'results', out), JSON.stringify(results, null, 2) + '\n');
if (record) writeBetween(path.join(root, 'BENCHMARKS.md'), '<!-- table:start -->', '<!-- table:end -->', table);

// Every scenario completed on both sides, every repetition, with the right
// answers (a wrong one threw above). Speed is reported, never asserted.
const incomplete = results.scenarios.filter((s) => !(s.sandbox.runs.length === REPS && s.baseline.runs.length === REPS));
const completed = results.scenarios.length - incomplete.length + 3;
console.log(`bench: ${completed} passed, ${incomplete.length} failed (commit ${c}${record ? ', BENCHMARKS.md written' : ', nothing recorded'})`);
process.exit(incomplete.length ? 1 : 0);
