// Time travel in the reducer worker: `travel`, `change` and `trace` go through
// the same fold as catchUp. The first tests are issue 9's "one runtime" test
// at the worker layer: for every position of a small log, the state one
// worker travels to equals the state of a fresh worker that caught up to it
// (or, past the throwing event, of one whose log does not have it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, define, catchUp, travel, change, trace, rows, streamRows, matches, DATABASE, SOFT_DELETED,
} from './harness.mjs';
import { ACCOUNTS_60, THROWS_AT, ignoring, random, shuffled, fnv1a } from './travel-fixture.mjs';

/** foreachStream with $created, results through transformBy, emit, log, a state set to null, and a throw. */
const LEDGER = `fromCategory('account').foreachStream().when({
  $init: () => ({ balance: 0, n: 0 }),
  $created: (s, e) => { s.created = e.sequenceNumber; },
  Opened: (s, e) => { s.owner = e.data.owner; s.n += 1; },
  Deposited: (s, e) => {
    s.balance += e.data.amount; s.n += 1;
    if (e.data.amount > 90) emit('big', 'Big', { stream: e.streamId, amount: e.data.amount });
  },
  Withdrawn: (s, e) => {
    s.balance -= e.data.amount; s.n += 1;
    log('withdrew', e.data.amount, 'from', e.streamId);
    if (s.balance < 0) throw new Error('overdrawn by ' + -s.balance);
  },
  Closed: () => null,
  Reopened: (s) => (s === null ? { balance: 0, n: 1, reopened: true } : s),
}).transformBy((s) => (s === null ? null : { owner: s.owner === undefined ? null : s.owner, balance: s.balance }))`;

/** Bi-state, partitionBy (no key for some events), outputState; the throw comes after both states changed. */
const SHARED = `options({ biState: true });
fromAll().partitionBy((e) => (e.data.amount > 50 ? 'large' : e.data.amount > 20 ? 'medium' : undefined)).when({
  $init: () => ({ moves: 0 }),
  $initShared: () => ({ total: 0, events: 0 }),
  Deposited: ([s, shared], e) => { s.moves += 1; shared.total += e.data.amount; shared.events += 1; return [s, shared]; },
  Withdrawn: ([s, shared], e) => {
    s.moves += 1; shared.events += 1;
    if (e.data.boom) throw new Error('boom');
    shared.total -= e.data.amount;
    return [s, shared];
  },
}).outputState()`;

/** Each projection's source, and the partition an event of the log goes to (null: none). */
const PROJECTIONS = {
  LEDGER: [LEDGER, (row) => (row.stream.startsWith('account-') ? row.stream : null)],
  SHARED: [SHARED, (row) => {
    const { amount } = JSON.parse(row.data);
    if (row.stream.startsWith('$') || !['Deposited', 'Withdrawn'].includes(row.type)) return null;
    return amount > 50 ? 'large' : amount > 20 ? 'medium' : null;
  }],
};
// Snapshots at every position, at every 4th with a cache too small for the log, and thinned.
const TUNINGS = [{ every: 1 }, { every: 4, cacheRows: 7 }, { every: 1, maxSnapshots: 5 }];

/** Everything a worker answers about its state: keys, every state and result, the checkpoint. */
async function world(worker) {
  const { keys } = await worker.send({ op: 'partitions' });
  const states = {};
  for (const key of [null, ...keys]) {
    const { state, result } = await worker.send({ op: 'state', partition: key });
    states[key] = { state, result };
  }
  const { checkpoint } = await worker.send({ op: 'checkpoint' });
  return { keys, states, checkpoint };
}

const worlds = new Map();
/**
 * For each position p from -1: the world of a fresh worker caught up to p
 * over the log without the throwing event, and what the event at p emitted
 * and logged (a catchUp to p - 1, then to p).
 */
async function reference(source) {
  if (!worlds.has(source)) {
    const log = ignoring(ACCOUNTS_60, [THROWS_AT]);
    const list = [];
    for (let p = -1; p < ACCOUNTS_60.length; p += 1) {
      const fresh = startWorker({ databases: log });
      await fresh.send(define(source));
      await fresh.send(catchUp(p - 1));
      const { emitted, logs } = await fresh.send(catchUp(p));
      list.push({ ...(await world(fresh)), emitted, logs });
    }
    worlds.set(source, list);
  }
  return worlds.get(source);
}
const at = (list, p) => list[p + 1];

/** The fault a live fold stops at. */
async function liveFault(source) {
  const live = startWorker({ events: ACCOUNTS_60 });
  await live.send(define(source));
  const reply = await live.send(catchUp(ACCOUNTS_60.length - 1));
  assert.equal(reply.op, 'fault');
  return reply.fault;
}

for (const [name, [source, partitionOf]] of Object.entries(PROJECTIONS)) {
  for (const tuning of TUNINGS) {
    test(`${name}: travel to every position, in random order and twice, equals a fresh fold to it (${JSON.stringify(tuning)})`, async () => {
      const expected = await reference(source);
      const fault = await liveFault(source);
      matches(fault, { kind: 'threw', handler: 'Withdrawn', at: { position: THROWS_AT, stream: /^account-/, version: Number.isInteger, type: 'Withdrawn' }, error: /^Error: /, line: Number.isInteger });
      const worker = startWorker({ events: ACCOUNTS_60, travel: tuning });
      await worker.send(define(source));
      const positions = [...ACCOUNTS_60.keys(), -1];
      for (const p of shuffled([...positions, ...positions], random(tuning.every * 31 + (tuning.cacheRows ?? 0)))) {
        const reply = await worker.send(travel(p));
        matches(reply, { id: reply.id, op: 'traveled', position: p, faults: p >= THROWS_AT ? [fault] : [] }, `travel(${p})`);
        assert.deepEqual(await world(worker), (({ emitted, logs, ...rest }) => rest)(at(expected, p)), `the world as of ${p}`);
      }
      if (tuning.maxSnapshots) assert.ok(worker.peek('snapshots.length') <= tuning.maxSnapshots && worker.peek('snapshotEvery') > 1, 'thinned');
      if (tuning.cacheRows) assert.ok(worker.peek('cachedRows') <= tuning.cacheRows, 'the cache keeps its bound');
      assert.equal(worker.indexedDB.opened, worker.indexedDB.closed, 'every connection is closed');
    });
  }

  test(`${name}: change at every position says what that event did, and leaves the worker there`, async () => {
    const expected = await reference(source);
    const fault = await liveFault(source);
    const worker = startWorker({ events: ACCOUNTS_60, travel: { every: 4 } });
    const { biState } = await worker.send(define(source));
    const log = rows(ACCOUNTS_60);
    for (const p of shuffled([...ACCOUNTS_60.keys()], random(5))) {
      const before = at(expected, p - 1);
      const after = at(expected, p);
      const reply = await worker.send(change(p));
      const partition = reply.partition;
      const stateIn = (w) => w.states[partition]?.state ?? null;
      const shared = (w) => (biState ? w.states.null.state : null);
      if (p === THROWS_AT) {
        matches(reply, {
          id: reply.id, op: 'changed', handled: true, partition: partitionOf(log[p]), before: () => true, after: () => true,
          sharedBefore: () => true, sharedAfter: () => true, logs: () => true, emitted: [], fault,
        });
        assert.deepEqual([reply.before, reply.after, reply.sharedBefore, reply.sharedAfter], [stateIn(before), stateIn(before), shared(before), shared(before)]);
      } else {
        const handled = partitionOf(log[p]) !== null;
        assert.equal(after.checkpoint.eventsProcessed > before.checkpoint.eventsProcessed, handled || log[p].type in { Deposited: 1, Withdrawn: 1 } && !log[p].stream.startsWith('$'));
        matches(reply, {
          id: reply.id, op: 'changed', handled, partition: partitionOf(log[p]), before: () => true, after: () => true,
          sharedBefore: () => true, sharedAfter: () => true, logs: after.logs, emitted: after.emitted, fault: null,
        }, `change(${p})`);
        if (handled) assert.deepEqual([reply.before, reply.after], [stateIn(before), stateIn(after)], `change(${p}) of ${partition}`);
        assert.deepEqual([reply.sharedBefore, reply.sharedAfter], [shared(before), shared(after)]);
      }
      assert.deepEqual(await world(worker), (({ emitted, logs, ...rest }) => rest)(after), `the worker is at ${p}`);
    }
  });

  test(`${name}: trace notes the partition and the hash of its state after every handled event`, async () => {
    const expected = await reference(source);
    const worker = startWorker({ events: ACCOUNTS_60, travel: { every: 8 } });
    await worker.send(define(source));
    // A trace starts from before any event, wherever the worker was.
    await worker.send(travel(45));
    const { steps } = await worker.send(trace(ACCOUNTS_60.length - 1));
    const want = [];
    for (let p = 0; p < ACCOUNTS_60.length; p += 1) {
      const { partition, handled } = await worker.send(change(p));
      if (!handled || p === THROWS_AT) continue;
      const state = at(expected, p).states[partition].state;
      want.push({ position: p, partition, hash: fnv1a(state === null ? '' : JSON.stringify(state)) });
    }
    assert.deepEqual(steps, want);
    assert.ok(steps.length > 30);
  });
}

test('what-if: the skipped events are left out, and travelling without them comes back to the real state', async () => {
  const skip = [10, 15, 21, 43];
  const worker = startWorker({ events: ACCOUNTS_60, travel: { every: 2 } });
  await worker.send(define(LEDGER));
  const real = await reference(LEDGER);
  await worker.send(travel(59));
  const reads = worker.indexedDB.reads.length;
  const snapshots = worker.peek('snapshots.length');
  for (const p of [59, 20, 40, 12, 3, 25]) {
    const fresh = startWorker({ databases: ignoring(ACCOUNTS_60, [...skip, THROWS_AT]) });
    await fresh.send(define(LEDGER));
    await fresh.send(catchUp(p));
    matches(await worker.send(travel(p, { skip })), { id: Number.isInteger, op: 'traveled', position: p, faults: (f) => f.length === (p >= THROWS_AT ? 1 : 0) });
    assert.deepEqual(await world(worker), await world(fresh), `what-if as of ${p}`);
  }
  // The snapshots before the first skipped position were kept for the what-if.
  assert.ok(worker.peek('snapshots.every((s, i) => i === 0 || s.position > snapshots[i - 1].position)'));
  await worker.send(travel(59));
  assert.deepEqual(await world(worker), (({ emitted, logs, ...rest }) => rest)(at(real, 59)));
  assert.equal(worker.indexedDB.reads.length, reads, 'scrubbing and what-ifs read IndexedDB once');
  assert.ok(worker.peek('snapshots.length') >= snapshots - 1);
  // change and trace leave out what the last travel left out.
  await worker.send(travel(3, { skip: [5] }));
  matches(await worker.send(change(5)), { id: Number.isInteger, op: 'changed', handled: false, partition: null, before: null, after: null, sharedBefore: null, sharedAfter: null, logs: [], emitted: [], fault: null });
  assert.ok(!(await worker.send(trace(10))).steps.some((s) => s.position === 5));
});

test('a state that cannot be stored faults the event that made it, which travel steps past', async () => {
  const source = `fromCategory('a').foreachStream().when({ $init: () => ({ n: 0 }), T: (s) => { s.n += 1; }, Cycle: (s) => { s.self = s; } })`;
  const events = [['a-1', 'T'], ['a-1', 'Cycle'], ['a-2', 'T'], ['a-1', 'T'], ['a-2', 'T']];
  const live = startWorker({ events });
  await live.send(define(source));
  const { fault } = await live.send(catchUp(4));
  matches(fault, { kind: 'threw', handler: 'Cycle', at: { position: 1, stream: 'a-1', version: 1, type: 'Cycle' }, error: /^TypeError/, line: null });
  const worker = startWorker({ events, travel: { every: 1 } });
  await worker.send(define(source));
  for (const p of [4, 1, 0, 2, 3]) {
    const fresh = startWorker({ databases: ignoring(events, [1]) });
    await fresh.send(define(source));
    await fresh.send(catchUp(p));
    matches(await worker.send(travel(p)), { id: Number.isInteger, op: 'traveled', position: p, faults: p >= 1 ? [fault] : [] });
    assert.deepEqual(await world(worker), await world(fresh), `as of ${p}`);
  }
  matches(await worker.send(change(1)), {
    id: Number.isInteger, op: 'changed', handled: true, partition: 'a-1', before: { n: 1 }, after: { n: 1 }, sharedBefore: null, sharedAfter: null, logs: [], emitted: [], fault,
  });
});

test('a handler too slow is stepped past, and a long travel sends heartbeats', async () => {
  const source = `fromAll().when({ $init: () => ({ n: 0 }), T: (s) => { s.n += 1; }, Slow: (s) => { s.n += 100; const t = Date.now(); while (Date.now() - t < 30) {} } })`;
  const events = [['a-1', 'T'], ['a-1', 'Slow'], ['a-1', 'T'], ['a-1', 'Slow'], ['a-1', 'T']];
  const worker = startWorker({ events });
  await worker.send(define(source, { timeoutMs: 20, rules: { heartbeatMs: 10 } }));
  const reply = await worker.send(travel(4));
  const slow = (position) => ({ kind: 'tooSlow', handler: 'Slow', at: { position, stream: 'a-1', version: position, type: 'Slow' }, tookMs: (ms) => ms >= 20, limitMs: 20 });
  matches(reply, { id: 2, op: 'traveled', position: 4, faults: [slow(1), slow(3)] });
  assert.deepEqual((await worker.send({ op: 'state', partition: null })).state, { n: 3 });
  const beats = worker.heartbeats();
  assert.ok(beats.length >= 2 && beats.every((b) => b.op === 'progress'), JSON.stringify(beats));
  matches(await worker.send(change(3)), {
    id: 4, op: 'changed', handled: true, partition: '', before: { n: 2 }, after: { n: 2 }, sharedBefore: null, sharedAfter: null, logs: [], emitted: [], fault: slow(3),
  });
});

test('change: an event the projection ignores, one not in the log, and a $deleted notification', async () => {
  const source = `fromCategory('order').foreachStream().when({
    $init: () => ({ n: 0 }),
    Placed: (s) => { s.n += 1; },
    $deleted: (s, e, partition) => { s.deleted = partition; },
  })`;
  const events = [['order-1', 'Placed'], ['customer-1', 'Placed'], ['order-1', 'Shipped'], ['$$order-1', '$metadata', { $tb: SOFT_DELETED }]];
  const worker = startWorker({ events });
  await worker.send(define(source));
  const ignored = { handled: false, partition: null, before: null, after: null, sharedBefore: null, sharedAfter: null, logs: [], emitted: [], fault: null };
  matches(await worker.send(change(1)), { id: 2, op: 'changed', ...ignored });
  matches(await worker.send(change(2)), { id: 3, op: 'changed', ...ignored });
  // The soft delete hides order-1's events (the streams row says so now), so the partition is created by $deleted.
  matches(await worker.send(change(3)), { id: 4, op: 'changed', ...ignored, handled: true, partition: 'order-1', after: { n: 0, deleted: 'order-1' } });
  matches(await worker.send(change(9)), { id: 5, op: 'changed', ...ignored });
  matches(await worker.send(travel(9)), { id: 6, op: 'traveled', position: 3, faults: [] });
});

test('scrubbing reads IndexedDB once, and opens nothing when the cache answers', async () => {
  const worker = startWorker({ events: ACCOUNTS_60 });
  await worker.send(define(LEDGER));
  await worker.send(travel(59));
  const { reads, opened } = { reads: worker.indexedDB.reads.length, opened: worker.indexedDB.opened };
  assert.equal(reads, 20, 'a read batch of 3 rows');
  for (const p of [3, 50, 17, 59, 0, 31]) await worker.send(travel(p));
  await worker.send(change(44));
  await worker.send(trace(59));
  assert.deepEqual([worker.indexedDB.reads.length, worker.indexedDB.opened], [reads, opened]);
  // A cache of 6 rows keeps the last two batches of 3, and reads the rest again.
  const small = startWorker({ events: ACCOUNTS_60, travel: { every: 4, cacheRows: 6 } });
  await small.send(define(LEDGER));
  await small.send(travel(59));
  await small.send(travel(56));
  assert.equal(small.indexedDB.reads.length, 20, 'a travel to a snapshot reads nothing');
  await small.send(travel(10));
  assert.deepEqual(small.indexedDB.reads.slice(20).map((r) => [r.lower, r.upper]), [[9, 10]], 'from the snapshot at 8, only what it lacks');
  assert.equal(small.peek('cachedRows'), 5);
});

test('snapshots keep to their byte budget: every other one goes, and K doubles', async () => {
  // A state that grows with every event: each snapshot holds a longer text.
  const source = `fromAll().when({ $init: () => ({ seen: [] }), $any: (s, e) => { s.seen.push(e.position); } })`;
  const events = Array.from({ length: 60 }, (_, i) => [`s-${i % 3}`, 'T']);
  const worker = startWorker({ events, travel: { every: 1, snapshotBytes: 800 } });
  await worker.send(define(source));
  await worker.send(travel(59));
  assert.ok(worker.peek('snapshots.reduce((sum, s) => sum + s.bytes, 0)') <= 800);
  assert.ok(worker.peek('snapshotEvery') >= 4, `K ${worker.peek('snapshotEvery')}`);
  for (const p of [30, 2, 58, 17]) {
    await worker.send(travel(p));
    assert.deepEqual((await worker.send({ op: 'state', partition: null })).state, { seen: [...Array(p + 1).keys()] });
  }
  // A snapshot alone over the budget is not kept.
  const tiny = startWorker({ events, travel: { every: 1, snapshotBytes: 10 } });
  await tiny.send(define(source));
  await tiny.send(travel(59));
  assert.equal(tiny.peek('snapshots.length'), 0);
  await tiny.send(travel(5));
  assert.deepEqual((await tiny.send({ op: 'state', partition: null })).state, { seen: [0, 1, 2, 3, 4, 5] });
});

test('a traveling worker refuses catchUp until a restore, and a new world starts over', async () => {
  const worker = startWorker({ events: ACCOUNTS_60 });
  await worker.send(define(LEDGER));
  await worker.send(catchUp(10));
  const { checkpoint } = await worker.send({ op: 'checkpoint' });
  // The first travel starts over from before any event.
  matches(await worker.send(travel(10)), { id: Number.isInteger, op: 'traveled', position: 10, faults: [] });
  assert.deepEqual((await worker.send({ op: 'checkpoint' })).checkpoint, checkpoint);
  matches(await worker.send(catchUp(20)), { id: Number.isInteger, op: 'fault', fault: { kind: 'protocol', message: /'catchUp' after it traveled in time.*restore a checkpoint/ } });
  matches(await worker.send({ op: 'restore', checkpoint }), { id: Number.isInteger, op: 'restored', position: 10 });
  assert.equal((await worker.send(catchUp(20))).position, 20);
  assert.equal(worker.peek('traveling'), false);
  // Another database (or other owned streams) is another world: everything travel built goes.
  await worker.send(travel(20));
  const other = startWorker({ databases: { ...ignoring(ACCOUNTS_60, []), other: ignoring(ACCOUNTS_60.slice(0, 5), [])[DATABASE] } });
  await other.send(define(LEDGER));
  await other.send(travel(20));
  matches(await other.send(travel(20, { database: 'other' })), { id: Number.isInteger, op: 'traveled', position: 4, faults: [] });
  assert.equal(other.peek('cachedRows'), 5);
  matches(await other.send(travel(20, { database: 'missing' })), { id: Number.isInteger, op: 'fault', fault: { kind: 'storage', message: /missing does not exist/ } });
  matches(await other.send(travel(3)), { id: Number.isInteger, op: 'traveled', position: 3, faults: [] });
});

test('travel, change and trace check what they are sent', async () => {
  const worker = startWorker({ events: ACCOUNTS_60 });
  for (const request of [travel(1), change(1), trace(1)]) {
    matches(await worker.send(request), { id: Number.isInteger, op: 'fault', fault: { kind: 'protocol', message: new RegExp(`'${request.op}'.*define must come first`) } });
  }
  await worker.send(define(LEDGER));
  for (const [request, message] of [
    [travel(1.5), /travel sent at 1\.5, not a position \(a whole number from -1\)/],
    [travel(-2), /travel sent at -2/],
    [change(-1), /change sent at -1, not a position \(a whole number from 0\)/],
    [trace('7'), /trace sent to "7"/],
    [travel(3, { skip: ['1'] }), /travel sent skip that is not a list of positions/],
    [{ ...travel(3), skip: undefined }, /travel sent skip that is not/],
    [{ ...travel(3), database: null }, /travel sent database null/],
    [{ ...change(3), ownedStreams: 'x' }, /change sent ownedStreams that are not a list/],
  ]) {
    matches(await worker.send(request), { id: Number.isInteger, op: 'fault', fault: { kind: 'protocol', message } });
  }
  matches(await worker.send(travel(-1)), { id: Number.isInteger, op: 'traveled', position: -1, faults: [] });
  assert.deepEqual((await worker.send({ op: 'partitions' })).keys, []);
});

test('the trace hash is the 32-bit FNV-1a of the UTF-8 bytes', () => {
  const worker = startWorker();
  for (const [text, hash] of [['', 0x811c9dc5], ['a', 0xe40c292c], ['foobar', 0xbf9cf968]]) {
    assert.equal(worker.peek(`fnv1a(${JSON.stringify(text)})`), hash);
    assert.equal(fnv1a(text), hash);
  }
  const text = '{"owner":"Zoë","mark":"€","crab":"🦀"}';
  assert.equal(worker.peek(`fnv1a(${JSON.stringify(text)})`), fnv1a(text));
});

test('the fixture: one overdrawn withdrawal, null states, system and other streams', () => {
  const log = rows(ACCOUNTS_60);
  assert.equal(log.length, 60);
  assert.deepEqual(log.filter((r) => r.type === 'Withdrawn' && JSON.parse(r.data).boom).map((r) => r.position), [THROWS_AT]);
  assert.ok(log.some((r) => r.type === 'Closed') && log.some((r) => r.stream.startsWith('$')) && log.some((r) => r.stream.startsWith('customer-')));
  assert.deepEqual(streamRows(log).map((r) => r.stream).sort(), [...new Set(log.map((r) => r.stream))].sort());
});
