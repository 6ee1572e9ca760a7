// What materialising the system projections' link streams would cost, to
// choose between writing them and serving them from the indexes
// (ARCHITECTURE.md, "Link streams").
//
//   node bench/link-streams.mjs [N]     N events, default 10,000
//
// Each rep appends the same workload twice, in fresh sandboxes, batched
// (1,000 a call) and one at a time (N / 20 calls), and times until all the
// work an append causes is done:
// - served: the appends alone; the link streams are read from the indexes
//   the store keeps anyway, so there is nothing more to write;
// - materialised: the appends, and a running projection that writes what
//   `$by_category` and `$by_event_type` write, a `$>` link per event to
//   its category's and its type's stream, through the same output path
//   (exactly-once ids, checkpoint tags) a system projection would use.
//   The clock stops when that projection has caught up.
// Both sides' link streams are then read and checked to hold the same
// links. It asserts no speed; it prints the medians and their ratio.
import { serveStatic, launchChromium, dist, waitReady } from '../tests/e2e/harness.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] ?? 10_000);
const REPS = 3;
const BATCH = 1000;
const MATERIALISE = `fromAll().when({
  $any: (state, event) => {
    const category = event.streamId.slice(0, event.streamId.indexOf('-'));
    linkTo('ce-' + category, event);
    linkTo('et-' + event.eventType, event);
  },
})`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { server, base } = await serveStatic({ '/': dist, '/bench/': path.join(here, 'pages') });
const browser = await launchChromium();

async function fresh(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}?sandbox=${name}`);
  await waitReady(page);
  await page.addScriptTag({ url: '/bench/workload.js' });
  return { context, page };
}

/** Appends the workload; with `materialise`, waits for the links too. */
function appendAll(page, { total, batch, materialise }) {
  return page.evaluate(async ([total, batch, materialise, source]) => {
    const { streamName, event } = window.benchWorkload;
    if (materialise) await window.sandbox.createProjection('links', source, { emit: true });
    const started = performance.now();
    for (let b = 0, position = 0; position < total; b += 1) {
      const events = [];
      for (let i = 0; i < batch && position < total; i += 1, position += 1) events.push(event(position));
      await window.sandbox.append(streamName(b), batch === 1 ? events[0] : events);
    }
    if (materialise) await window.sandbox.projectionState('links');
    return performance.now() - started;
  }, [total, batch, materialise, MATERIALISE]);
}

/** The link streams' data, `$ce-`/`$et-` served, or `ce-`/`et-` written. */
function links(page, prefix) {
  return page.evaluate(async (prefix) => {
    const out = {};
    for (const name of ['ce-account', 'ce-order', 'et-Opened', 'et-Deposited', 'et-Withdrawn', 'et-Renamed', 'et-Closed']) {
      const events = await window.sandbox.readStream(prefix + name).catch(() => []);
      out[name] = events.map((e) => e.data);
    }
    return out;
  }, prefix);
}

const results = [];
for (const [label, batch, total] of [['batched', BATCH, N], ['single', 1, Math.max(50, N / 20)]]) {
  const times = { served: [], materialised: [] };
  for (let rep = 0; rep < REPS; rep += 1) {
    for (const side of ['served', 'materialised']) {
      const { context, page } = await fresh(`links-${label}-${side}-${rep}`);
      times[side].push(await appendAll(page, { total, batch, materialise: side === 'materialised' }));
      if (rep === 0) {
        const served = await links(page, '$');
        const written = side === 'materialised' ? await links(page, '') : served;
        if (JSON.stringify(served) !== JSON.stringify(written)) throw new Error(`${label}: the written links differ from the served ones`);
        if (Object.values(served).flat().length !== 2 * total) throw new Error(`${label}: ${Object.values(served).flat().length} links for ${total} events`);
      }
      await context.close();
    }
  }
  const served = median(times.served);
  const materialised = median(times.materialised);
  results.push({ label, events: total, served, materialised, ratio: served / materialised });
}
for (const r of results) {
  console.log(`${r.label} append of ${r.events} events: served ${r.served.toFixed(0)} ms, materialised ${r.materialised.toFixed(0)} ms (materialised takes ${r.ratio ? (1 / r.ratio).toFixed(2) : '?'}× as long)`);
}
await browser.close();
server.close();
