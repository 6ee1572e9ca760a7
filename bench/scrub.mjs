// Time travel's scrub: a cursor move to a random position, timed through
// `projectionState(name, { partition, at })` on a `foreachStream` counting
// projection over the benchmark's 100 streams. Every answer is checked
// against the count worked out from the workload's layout.
//
//   node bench/scrub.mjs [N]     N events (default 1,000,000), for information
//
// bench/run.mjs runs the same scrub at its N and reports it in BENCHMARKS.md.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic, launchChromium, dist, waitReady } from '../tests/e2e/harness.mjs';

export const COUNTER = `fromAll().foreachStream().when({
  $init: () => ({ n: 0 }),
  $any: (state) => { state.n += 1; },
})`;

/**
 * Scrubs `samples` random positions of a sandbox filled by the batched
 * append (`batch` events per call, stream `streamName(b)` for batch b):
 * returns the milliseconds of each move.
 */
export async function scrub(page, { total, batch, samples }) {
  // A reload (the cold load) drops the workload's script.
  if (!(await page.evaluate(() => Boolean(window.benchWorkload)))) await page.addScriptTag({ url: '/bench/workload.js' });
  return page.evaluate(async ([total, batch, samples, source]) => {
    const { streamName } = window.benchWorkload;
    const names = (await window.sandbox.projections()).map((p) => p.name);
    if (!names.includes('bench-count')) await window.sandbox.createProjection('bench-count', source);
    await window.sandbox.projectionState('bench-count', { partition: streamName(0) });
    // Events of `stream` at positions up to `at`, from the layout.
    const counted = (stream, at) => {
      let n = 0;
      for (let b = 0; b * batch <= at && b * batch < total; b += 1) {
        if (streamName(b) === stream) n += Math.min(at, b * batch + batch - 1, total - 1) - b * batch + 1;
      }
      return n;
    };
    // A fixed sequence, so runs compare.
    let seed = 7;
    const random = () => { seed = (seed * 48271) % 2147483647; return seed / 2147483647; };
    const waits = [];
    for (let i = 0; i < samples; i += 1) {
      const at = Math.floor(random() * total);
      const stream = streamName(Math.floor(at / batch));
      const started = performance.now();
      const state = await window.sandbox.projectionState('bench-count', { partition: stream, at });
      waits.push(performance.now() - started);
      const expected = counted(stream, at);
      if (state?.n !== expected) throw new Error(`scrub to ${at}: ${stream} counted ${state?.n}, expected ${expected}`);
    }
    return waits;
  }, [total, batch, samples, COUNTER]);
}

export function percentiles(waits) {
  const sorted = [...waits].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  return { moves: waits.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const total = Number(process.argv[2] ?? 1_000_000);
  const batch = 1000;
  const { server, base } = await serveStatic({ '/': dist, '/bench/': path.join(here, 'pages') });
  const browser = await launchChromium();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}?sandbox=scrub-${total}`);
  await waitReady(page);
  await page.addScriptTag({ url: '/bench/workload.js' });
  const filled = await page.evaluate(async ([total, batch]) => {
    const { streamName, event } = window.benchWorkload;
    const started = performance.now();
    for (let b = 0, position = 0; position < total; b += 1) {
      const events = [];
      for (let i = 0; i < batch && position < total; i += 1, position += 1) events.push(event(position));
      await window.sandbox.append(streamName(b), events);
    }
    return performance.now() - started;
  }, [total, batch]);
  console.log(`filled ${total.toLocaleString('en')} events in ${(filled / 1000).toFixed(0)} s`);
  const result = percentiles(await scrub(page, { total, batch, samples: 200 }));
  console.log(`scrub over ${total.toLocaleString('en')} events: ${result.moves} moves, p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms`);
  await browser.close();
  server.close();
}
