// Time travel in the vm harness: how long a cursor move takes (a `travel`
// then a `state`, as projectionState(name, { partition, at }) asks), for a
// few snapshot intervals K. Not a test (node --test does not pick it up):
//   node tests/worker/travel-bench.mjs [events=100000] [moves=500] [K,K,...=256,1000,4096]
// The log: `events` events over 100 streams of the category `account`; the
// projection counts each stream's events (fromCategory('account')
// .foreachStream()), as issue 9's target states. Read batches are
// StoreRules::current()'s 5,000 rows. The fake IndexedDB answers each
// request on a later timer turn, so a read the cache cannot answer costs at
// least a millisecond or two, about what a small IndexedDB read costs.
// With --expose-gc it also says how much memory the worker keeps.
import { performance } from 'node:perf_hooks';
import { startWorker, define, travel } from './harness.mjs';
import { random } from './travel-fixture.mjs';

const [events = 100000, moves = 500] = process.argv.slice(2, 4).map(Number);
const intervals = (process.argv[4] ?? '256,1000,4096').split(',').map(Number);
const STREAMS = 100;
const COUNT = `fromCategory('account').foreachStream().when({ $init: () => ({ count: 0 }), $any: (s) => { s.count += 1; } })`;

// A fixed pseudo-random sequence (mulberry32, from the fixture), so every K sees the same moves.

const next = random(1);
const log = Array.from({ length: events }, () => {
  const stream = `account-${Math.floor(next() * STREAMS)}`;
  return next() < 0.5 ? [stream, 'Deposited', { amount: 10 }] : [stream, 'Withdrawn', { amount: 5 }];
});

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const ms = (n) => n.toFixed(2);

for (const every of intervals) {
  const worker = startWorker({ events: log, travel: { every } });
  await worker.send(define(COUNT, { rules: { readBatch: 5000 } }));
  global.gc?.();
  const heap = process.memoryUsage().heapUsed;
  let started = performance.now();
  await worker.send(travel(events - 1));
  const warm = performance.now() - started;
  global.gc?.();
  // What the worker keeps after a travel to the end: snapshots and the cache (with --expose-gc).
  const kept = global.gc ? `, ${((process.memoryUsage().heapUsed - heap) / 2 ** 20).toFixed(1)} MB kept` : '';
  const readsBefore = worker.indexedDB.reads.length;
  const pick = random(2);
  // Every move, and apart those the cache answered and those that read IndexedDB.
  const times = { all: [], cached: [], read: [] };
  for (let i = 0; i < moves; i += 1) {
    const at = Math.floor(pick() * events);
    const partition = `account-${Math.floor(pick() * STREAMS)}`;
    const reads = worker.indexedDB.reads.length;
    started = performance.now();
    const moved = await worker.send(travel(at));
    await worker.send({ op: 'state', partition });
    const took = performance.now() - started;
    if (moved.position !== at) throw new Error(`travel to ${at} answered ${moved.position}`);
    times.all.push(took);
    times[worker.indexedDB.reads.length === reads ? 'cached' : 'read'].push(took);
  }
  const figures = (list) => {
    list.sort((a, b) => a - b);
    return list.length === 0 ? 'none' : `${list.length}: p50 ${ms(percentile(list, 0.5))}, p95 ${ms(percentile(list, 0.95))}, max ${ms(list[list.length - 1])} ms`;
  };
  const estimate = (worker.peek('snapshots.reduce((sum, s) => sum + s.bytes, 0)') / 2 ** 20).toFixed(1);
  console.log(`K=${every} (then ${worker.peek('snapshotEvery')}, ${worker.peek('snapshots.length')} snapshots of about ${estimate} MB, ${worker.peek('cachedRows')} rows cached${kept}): first travel to the end ${ms(warm)} ms`);
  console.log(`  moves ${figures(times.all)}`);
  console.log(`  from the cache ${figures(times.cached)}; reading IndexedDB ${figures(times.read)}`);
}
