// The benchmark harness: each scenario runs the sandbox and its raw baseline
// in the same headless Chromium, alternating, and reports min/median/max and
// the ratio of medians (sandbox ÷ baseline as throughput: higher is better).
//
//   node bench/run.mjs            full run: N = 100,000, 3 repetitions
//   node bench/run.mjs --smoke    every scenario once at N = 1,000 (CI)
//
// Writes bench/results/latest.json and, in a full run, the table in
// BENCHMARKS.md. It asserts no speed: targets are reported, not enforced.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { serveStatic, launchChromium, dist, waitReady } from '../tests/e2e/harness.mjs';
import { scrub, percentiles } from './scrub.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const smoke = process.argv.includes('--smoke');
const N = smoke ? 1000 : 100_000;
const SINGLE = smoke ? 100 : 2000;
const REPS = smoke ? 1 : 3;
const BATCH = 1000;
const REBUILD_SOURCE = `fromCategory('account').foreachStream().when({
  $init: () => ({ sum: 0 }),
  $any: (state, event) => { state.sum += event.data.amount; },
})`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stats = (xs) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs), runs: xs });

const { server, base } = await serveStatic({ '/': dist, '/bench/': path.join(here, 'pages') });
const browser = await launchChromium(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
const chromiumVersion = browser.version();

/** Records when the stream list first shows, and keeps the wasm instance. */
function probes() {
  addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
  new MutationObserver((_, observer) => {
    if (document.querySelector('table.streams')) {
      window.__streamsShownAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
}

async function sandboxPage(context, name) {
  const page = await context.newPage();
  await page.addInitScript(probes);
  await page.goto(`${base}?sandbox=${name}`);
  await waitReady(page);
  await page.addScriptTag({ url: '/bench/workload.js' });
  return page;
}

async function baselinePage(context) {
  const page = await context.newPage();
  await page.goto(`${base}bench/baseline.html`);
  return page;
}

const sandboxRuns = {
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
  /** Navigation start to `ready` resolved and the stream list on screen. */
  async coldLoad(page) {
    await page.reload();
    await waitReady(page);
    await page.waitForFunction(() => window.__streamsShownAt !== undefined, null, { timeout: 120000 });
    return page.evaluate(() => window.__streamsShownAt);
  },
  /** Reset a foreachStream sum over every stored event, until its state is back. */
  async rebuild(page) {
    return page.evaluate(async (source) => {
      const names = (await window.sandbox.projections()).map((p) => p.name);
      if (!names.includes('bench-sum')) {
        await window.sandbox.createProjection('bench-sum', source);
        await window.sandbox.projectionState('bench-sum', { partition: 'account-0' });
      }
      const started = performance.now();
      await window.sandbox.resetProjection('bench-sum');
      const state = await window.sandbox.projectionState('bench-sum', { partition: 'account-0' });
      if (!state || typeof state.sum !== 'number') throw new Error('the rebuilt projection has no state');
      return performance.now() - started;
    }, REBUILD_SOURCE);
  },
  /** Appends one event at a time; how long until a live projection shows it. */
  async liveLatency(page, count) {
    return page.evaluate(async (count) => {
      const waits = [];
      for (let i = 0; i < count; i += 1) {
        const before = (await window.sandbox.projectionState('bench-sum', { partition: 'account-0' })).sum;
        const started = performance.now();
        await window.sandbox.append('account-0', { type: 'Deposited', data: { amount: 1 } });
        const after = (await window.sandbox.projectionState('bench-sum', { partition: 'account-0' })).sum;
        if (after !== before + 1) throw new Error(`the live projection missed an append: ${before} → ${after}`);
        waits.push(performance.now() - started);
      }
      return waits;
    }, count);
  },
  async memory(page) {
    return page.evaluate(() => {
      gc();
      return performance.memory.usedJSHeapSize + window.__wasm.memory.buffer.byteLength;
    });
  },
};

const baselineRuns = {
  batchedAppend: (page, name, total) => page.evaluate(([n, t, b]) => window.baseline.batchedAppend(n, t, b), [name, total, BATCH]),
  singleAppend: (page, name, count) => page.evaluate(([n, c]) => window.baseline.singleAppend(n, c), [name, count]),
  /** Navigation start to the whole events store loaded with getAll. */
  async coldLoad(page, name, total) {
    await page.reload();
    const { count } = await page.evaluate((n) => window.baseline.coldLoad(n), name);
    if (count !== total) throw new Error(`baseline cold load read ${count} of ${total} events`);
    return page.evaluate(() => performance.now());
  },
  memory: (page, name) => page.evaluate((n) => window.baseline.loadedHeapBytes(n), name),
  async rebuild(page, name) {
    const { ms, partitions } = await page.evaluate((n) => window.baseline.rebuild(n), name);
    if (partitions !== 50 && !smoke) throw new Error(`baseline fold saw ${partitions} account streams`);
    return ms;
  },
};

const samples = {};
// Append → projectionState showing it, per append; no baseline to compare.
const liveWaits = [];
// A time-travel cursor move → the state as of there, per move.
const scrubWaits = [];
const add = (key, side, value) => {
  samples[key] ??= { sandbox: [], baseline: [] };
  samples[key][side].push(value);
};

async function sandboxRep(rep) {
  const context = await browser.newContext();
  const page = await sandboxPage(context, `bench-${rep}`);
  add('batched', 'sandbox', await sandboxRuns.batchedAppend(page, N));
  const total = (await page.evaluate(() => window.sandbox.readAll({ direction: 'backwards', limit: 1 })))[0].position + 1;
  if (total !== N) throw new Error(`sandbox holds ${total} events, expected ${N}`);
  add('coldLoad', 'sandbox', await sandboxRuns.coldLoad(page));
  add('memory', 'sandbox', await sandboxRuns.memory(page));
  add('rebuild', 'sandbox', await sandboxRuns.rebuild(page));
  liveWaits.push(...(await sandboxRuns.liveLatency(page, smoke ? 5 : 20)));
  scrubWaits.push(...(await scrub(page, { total: N, batch: BATCH, samples: smoke ? 10 : 200 })));
  const single = await sandboxPage(context, `bench-single-${rep}`);
  add('single', 'sandbox', await sandboxRuns.singleAppend(single, SINGLE));
  await context.close();
}

async function baselineRep(rep) {
  const context = await browser.newContext();
  const page = await baselinePage(context);
  add('batched', 'baseline', await baselineRuns.batchedAppend(page, `raw-${rep}`, N));
  add('coldLoad', 'baseline', await baselineRuns.coldLoad(page, `raw-${rep}`, N));
  add('memory', 'baseline', await baselineRuns.memory(page, `raw-${rep}`));
  add('rebuild', 'baseline', await baselineRuns.rebuild(page, `raw-${rep}`));
  add('single', 'baseline', await baselineRuns.singleAppend(page, `raw-single-${rep}`, SINGLE));
  await context.close();
}

for (let rep = 0; rep < REPS; rep += 1) {
  // Alternate which side goes first, so drift on a shared machine hits both.
  const order = rep % 2 ? [baselineRep, sandboxRep] : [sandboxRep, baselineRep];
  for (const run of order) await run(rep);
  console.log(`repetition ${rep + 1} of ${REPS} done`);
}

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

const scenario = (key, name, unit, target, targetText, { perEvent, higherIsBetter }) => {
  const s = stats(samples[key].sandbox);
  const b = stats(samples[key].baseline);
  // Times become throughput ratios (baseline time ÷ sandbox time); memory
  // stays a plain ratio of bytes, where lower is better.
  const ratio = higherIsBetter ? b.median / s.median : s.median / b.median;
  return { key, name, unit, perEvent, sandbox: s, baseline: b, ratio, target: targetText, met: target(ratio) };
};

const results = {
  date: new Date().toISOString(),
  chromium: chromiumVersion,
  mode: smoke ? 'smoke' : 'full',
  n: N,
  single: SINGLE,
  repetitions: REPS,
  scenarios: [
    scenario('batched', `batched append, ${N} events, ${BATCH} per call`, 'ms', (r) => r >= 0.5, 'ratio ≥ 0.5', { perEvent: N, higherIsBetter: true }),
    scenario('single', `single append, ${SINGLE} appends of 1 event`, 'ms', (r) => r >= 0.7, 'ratio ≥ 0.7', { perEvent: SINGLE, higherIsBetter: true }),
    scenario('coldLoad', `cold load of ${N} events (navigation → ready + stream list)`, 'ms', (r) => r >= 0.5, 'ratio ≥ 0.5', { perEvent: N, higherIsBetter: true }),
    scenario('rebuild', `projection rebuild, foreachStream sum over ${N} events`, 'ms', (r) => r >= 0.5, 'ratio ≥ 0.5', { perEvent: N, higherIsBetter: true }),
    scenario('memory', `memory after the cold load of ${N} events`, 'bytes', (r) => r <= 3, '≤ 3× baseline', { higherIsBetter: false }),
  ],
  size: sizes(),
};
results.size.met = results.size.wasmGzip < 400 * 1024;
const sortedWaits = [...liveWaits].sort((a, b) => a - b);
results.live = {
  appends: liveWaits.length,
  median: median(liveWaits),
  p95: sortedWaits[Math.min(sortedWaits.length - 1, Math.floor(sortedWaits.length * 0.95))],
  max: Math.max(...liveWaits),
};
results.live.met = results.live.p95 < 100;
results.scrub = percentiles(scrubWaits);
results.scrub.met = results.scrub.p95 < 16;

await browser.close();
server.close();

fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', smoke ? 'smoke.json' : 'latest.json'), JSON.stringify(results, null, 2) + '\n');

const fmt = (x, unit) => unit === 'bytes' ? `${(x / 1048576).toFixed(1)} MiB` : `${x.toFixed(0)} ms`;
const rate = (ms, n) => n ? ` (${Math.round(n / (ms / 1000)).toLocaleString('en')} ev/s)` : '';
const rows = results.scenarios.map((s) =>
  `| ${s.name} | ${fmt(s.sandbox.min, s.unit)} / **${fmt(s.sandbox.median, s.unit)}**${rate(s.sandbox.median, s.perEvent)} / ${fmt(s.sandbox.max, s.unit)} | ${fmt(s.baseline.min, s.unit)} / **${fmt(s.baseline.median, s.unit)}**${rate(s.baseline.median, s.perEvent)} / ${fmt(s.baseline.max, s.unit)} | ${s.ratio.toFixed(2)} | ${s.target} | ${s.met ? 'met' : 'missed'} |`);
rows.push(`| live projection: append → \`projectionState\` shows it (${results.live.appends} appends, ${N.toLocaleString('en')} events stored) | median **${results.live.median.toFixed(0)} ms**, p95 ${results.live.p95.toFixed(0)} ms, max ${results.live.max.toFixed(0)} ms | — | — | p95 < 100 ms | ${results.live.met ? 'met' : 'missed'} |`);
rows.push(`| time travel: a cursor move to a random position → \`projectionState(name, { partition, at })\`, foreachStream counter over 100 streams (${results.scrub.moves} moves, ${N.toLocaleString('en')} events) | p50 **${results.scrub.p50.toFixed(1)} ms**, p95 ${results.scrub.p95.toFixed(1)} ms, max ${results.scrub.max.toFixed(1)} ms | — | — | p95 < 16 ms | ${results.scrub.met ? 'met' : 'missed'} |`);
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
rows.push(`| size, gzip -9: release wasm (raw ${kb(results.size.wasmRaw)}); JS glue ${kb(results.size.glueGzip)}; editor bundle ${kb(results.size.editorGzip)} and reducer worker ${kb(results.size.workerGzip)}, both loaded only by the projection views | wasm **${kb(results.size.wasmGzip)}** | — | — | wasm < 400 KB gzip | ${results.size.met ? 'met' : 'missed'} |`);
const table = [
  `Chromium ${results.chromium}, ${results.date.slice(0, 10)}, N = ${N.toLocaleString('en')}, ${REPS} repetitions, alternating sides.`,
  '',
  '| scenario | sandbox min / **median** / max | raw baseline min / **median** / max | ratio | target | |',
  '|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);

if (!smoke) {
  const file = path.join(root, 'BENCHMARKS.md');
  const start = '<!-- table:start -->';
  const end = '<!-- table:end -->';
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.slice(0, text.indexOf(start) + start.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
}
// A scenario passes when both sides completed every repetition; speed is
// reported above, never asserted. The size, live and scrub rows always
// complete (a wrong scrub answer throws).
const incomplete = results.scenarios.filter((s) => !(s.sandbox.runs.length === REPS && s.baseline.runs.length === REPS));
const completed = results.scenarios.length - incomplete.length + 3;
console.log(`bench: ${completed} passed, ${incomplete.length} failed`);
process.exit(incomplete.length ? 1 : 0);
