// Where a single append's time goes: a CPU profile (Chrome DevTools
// Protocol, sampled every 50 µs) of `count` warm appends of one event, on
// the raw physical limit (one `add` per transaction) and on the sandbox
// with the stream list on screen and on a quiet route, printed as self time
// per append for the top functions. BENCHMARKS.md quotes it. Function names
// need a wasm with its name section:
//
//   sed 's/data-wasm-opt="z"/data-wasm-opt="0"/' index.html > profile.html
//   CARGO_PROFILE_RELEASE_STRIP=none trunk build profile.html --release=true --dist /tmp/profile-dist
//   rm profile.html; DIST=/tmp/profile-dist node bench/profile-append.mjs [count]
import { serveStatic, launchChromium, dist } from '../tests/e2e/harness.mjs';
import { pagesDir, browserFlags, openSandbox, openBaseline, buildSchema } from './lib.mjs';

const count = Number(process.argv[2] ?? 2000);
const TOP = 15;
const { server, base } = await serveStatic({ '/': dist, '/bench/': pagesDir });
const browser = await launchChromium(browserFlags);
const schema = await buildSchema(browser, base);
const context = await browser.newContext();

/** Self time per append (µs) by function, over `run(n)` after 200 to warm up. */
async function profiled(page, run) {
  await run(200);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  const ms = await run(count);
  const { profile } = await cdp.send('Profiler.stop');
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const { functionName, url } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}`.trim();
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return { perAppend: ms / count, self: [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP) };
}

const sides = {
  'raw: one `add` per transaction (the physical limit)': async () => {
    const page = await openBaseline(context, base, schema);
    // A database per run: the baseline numbers its positions from 0.
    return profiled(page, (n) => page.evaluate(([name, n]) => window.baseline.singleAppend(name, n), [`profile-raw-${n}`, n]));
  },
  'sandbox, the stream list on screen (`#/`)': () => sandbox('profile-list', '#/'),
  'sandbox, a quiet route (`#/help`)': () => sandbox('profile-quiet', '#/help'),
};

async function sandbox(name, hash) {
  const page = await openSandbox(context, base, name, { hash });
  return profiled(page, (n) => page.evaluate(async (n) => {
    const { streamName, event } = window.benchWorkload;
    const state = (window.__profileState ??= { next: 0, versions: new Map() });
    const started = performance.now();
    for (let k = 0; k < n; k += 1) {
      const i = state.next++;
      const stream = streamName(i);
      const expectedVersion = state.versions.has(stream) ? state.versions.get(stream) : 'no_stream';
      const result = await window.sandbox.append(stream, event(i), { expectedVersion });
      state.versions.set(stream, result.nextExpectedVersion);
    }
    return performance.now() - started;
  }, n));
}

for (const [title, side] of Object.entries(sides)) {
  const { perAppend, self } = await side();
  console.log(`\n${title}: ${perAppend.toFixed(3)} ms an append; self time, µs an append:`);
  for (const [key, micros] of self) console.log(`${(micros / count).toFixed(1).padStart(8)}  ${key.slice(0, 140)}`);
}
await browser.close();
server.close();
