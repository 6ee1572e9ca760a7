// Which handler runs, $init/$initShared/$created, partitions and a null
// state, as KurrentDB's Jint runtime and processing phase have them
// (docs/kurrentdb-rules.md §1.3-1.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, define, catchUp, matches } from './harness.mjs';
import { runCases } from './cases.mjs';

const logs = (expected) => (lines) => { matches(lines.map((l) => l.message), expected, 'logs'); return true; };

// JPSH InterpreterRuntime.Handle L714-724, When L553-565, AddHandler L660-688.
runCases([
  {
    name: 'exactly one handler per event: the specific one; $any registered first never runs',
    source: `fromAll().when({ $any: () => { log('any'); }, A: (s, e) => { log('A ' + e.sequenceNumber); } })`,
    events: [['x', 'A'], ['x', 'B'], ['x', 'A']],
    expect: { caughtUp: { eventsProcessed: 2, logs: logs(['A 0', 'A 2']) } },
  },
  {
    name: 'event types match case-sensitively',
    source: `fromAll().when({ deposited: () => { log('lower'); } })`,
    events: [['x', 'Deposited']],
    expect: { caughtUp: { eventsProcessed: 0, logs: [] } },
  },
  {
    name: 'a $-named type of a user stream has its own handler',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $custom: (s) => { s.n += 1; } })`,
    events: [['a-1', '$custom'], ['a-1', 'Other']],
    expect: { caughtUp: { eventsProcessed: 1 }, states: { '': { state: { n: 1 } } } },
  },
  {
    // JPSH Handle: the default handler's state is bodyRaw when the event is not JSON.
    name: 'the default handler keeps a link\'s bare text when links are read',
    source: `options({ $includeLinks: true });\nfromAll();`,
    events: [['x', 'T', { n: 1 }], ['links', '$>', '0@x']],
    expect: { states: { '': { state: '0@x' } } },
  },
  {
    name: 'a handler that returns undefined keeps the mutated state; any other value replaces it',
    source: `fromAll().when({ $init: () => ({ n: 0 }), A: (s) => { s.n += 1; }, B: () => 7 })`,
    events: [['x', 'A'], ['x', 'A'], ['x', 'B']],
    expect: { states: { '': { state: 7 } } },
  },
]);

// JPSH InitializeState/InitializeSharedState L706-712, AddHandler L665-668, HandleCreated L795-799;
// phase ProcessEventByHandler L240-246; JT when_running_a_projection_with_created_handler,
// when_running_bi_state_js_projection.
runCases([
  {
    name: '$created runs before the first event of a partition; its return value is ignored',
    source: `fromAll().foreachStream().when({
      $init: () => ({ n: 0 }),
      $created: (s, e) => { s.created = e.partition + '/' + e.category + '/' + e.eventType; return { replaced: true }; },
      $any: (s) => { s.n += 1; },
    })`,
    events: [['a-1', 'T'], ['b-1', 'U'], ['a-1', 'T']],
    expect: {
      states: { 'a-1': { state: { n: 2, created: 'a-1//T' } }, 'b-1': { state: { n: 1, created: 'b-1//U' } } },
    },
  },
  {
    name: '$created runs for the root partition of an unpartitioned projection too',
    source: `fromAll().when({ $created: () => { log('created'); }, $any: () => { log('event'); } })`,
    events: [['a-1', 'T'], ['a-1', 'T']],
    expect: { caughtUp: { logs: logs(['created', 'event', 'event']) } },
  },
  {
    name: 'every $created registered runs, in order, and what it emits comes first',
    source: `fromAll();
      on_event('$created', () => { emit('out', 'First', {}); });
      on_event('$created', () => { emit('out', 'Second', {}); });
      on_any(() => { emit('out', 'Event', {}); });`,
    events: [['a-1', 'T']],
    expect: { caughtUp: { emitted: (e) => e.map((x) => x.type).join() === 'First,Second,Event' } },
  },
  {
    name: '$initShared alone turns bi-state on',
    source: `fromAll().foreachStream().when({
      $initShared: () => ({ total: 0 }),
      $any: ([s, shared]) => { shared.total += 1; s.n = (s.n || 0) + 1; },
    })`,
    events: [['a-1', 'T'], ['b-1', 'T'], ['a-1', 'T']],
    expect: {
      defined: { biState: true, partitioned: true },
      states: { '': { state: { total: 3 } }, 'a-1': { state: { n: 2 } }, 'b-1': { state: { n: 1 } } },
    },
  },
  {
    name: 'biState by option: the shared state starts as {} without $initShared',
    source: `options({ biState: true });\nfromAll().when({ $any: (pair) => { pair[1].seen = (pair[1].seen || 0) + 1; } })`,
    events: [['a-1', 'T'], ['a-1', 'T']],
    expect: { defined: { biState: true }, states: { '': { state: { seen: 2 } } } },
  },
  {
    // JPSH PrepareOutput: without the array, everything is the partition's state and no shared state is stored.
    name: 'a bi-state handler that returns no array stores it all as the partition state',
    source: `fromAll().foreachStream().when({ $initShared: () => ({ total: 1 }), $any: ([s, shared]) => ({ whole: [s, shared] }) })`,
    events: [['a-1', 'T']],
    expect: { states: { 'a-1': { state: { whole: [{}, { total: 1 }] } }, '': { state: null } } },
  },
]);

// JPSH GetStatePartition L151-160; CommittedEventWorkItem (a null partition skips the event);
// JT when_partitioning_by_custom_rule_returning_a_number; ByStreamStatePartitionSelector.
runCases([
  {
    name: 'partition keys: strings and numbers (as .NET writes them); anything else skips the event',
    source: `fromAll().partitionBy((e) => e.data.k).when({ $init: () => ({ n: 0 }), $any: (s, e) => { s.n += 1; s.p = e.partition; } })`,
    events: [
      ['a', 'T', { k: 42 }], ['a', 'T', { k: 1e21 }], ['a', 'T', { k: 0.5 }], ['a', 'T', { k: 1e-5 }], ['a', 'T', { k: 'eu' }],
      ['a', 'T', { k: true }], ['a', 'T', { k: null }], ['a', 'T', {}], ['a', 'T', { k: { x: 1 } }], ['a', 'T', { k: [1] }],
      ['a', 'T', { k: 42 }],
    ],
    expect: {
      caughtUp: { eventsProcessed: 11, partitions: 5 },
      keys: ['42', '1E+21', '0.5', '1E-05', 'eu'],
      states: { 42: { state: { n: 2, p: '42' } } },
    },
  },
  {
    // docs §1.5: "" is a valid key, the root partition.
    name: 'an empty string is the root partition',
    source: `fromAll().partitionBy(() => '').when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })`,
    events: [['a', 'T'], ['b', 'T']],
    expect: { keys: [''], states: { '': { state: { n: 2 } } } },
  },
  {
    name: 'partitionBy sees the envelope with partition ""',
    source: `fromAll().partitionBy((e) => e.partition + e.streamId).when({ $any: (s, e) => ({ p: e.partition }) })`,
    events: [['a-1', 'T']],
    expect: { keys: ['a-1'], states: { 'a-1': { state: { p: 'a-1' } } } },
  },
  {
    name: 'foreachStream over fromAll: a metadata stream $$x is partition x',
    source: `fromAll().foreachStream().when({ $init: () => [], $any: (s, e) => { s.push(e.eventType); } })`,
    events: [['a-1', 'T'], ['$$a-1', '$metadata', { $maxCount: 5 }], ['$$$internal', '$metadata']],
    expect: { keys: ['a-1'], states: { 'a-1': { state: ['T', '$metadata'] } } },
  },
]);

// Phase SafeProcessEventByHandler L206 (`newState ?? ""`) and InitOrLoadHandlerState L308-319.
runCases([
  {
    name: 'a state set to null reaches the next event of the same partition as null',
    source: `fromAll().when({
      $init: () => { log('init'); return { n: 0 }; },
      $any: (s, e) => (e.eventType === 'Reset' ? null : { got: s }),
    })`,
    events: [['a', 'Reset'], ['a', 'T']],
    expect: { caughtUp: { logs: logs(['init']) }, states: { '': { state: { got: null } } } },
  },
  {
    name: 'after another partition, a null state is initialised again, and $created runs again',
    source: `fromAll().foreachStream().when({
      $init: () => ({ n: 0 }),
      $created: (s, e) => { log('created ' + e.partition); },
      $any: (s, e) => (e.eventType === 'Reset' ? null : { n: (s === null ? 100 : s.n) + 1 }),
    })`,
    // a-1 gets null straight after its Reset (101), but $init's {n: 0} after b-1 came between.
    events: [['a-1', 'T'], ['a-1', 'Reset'], ['a-1', 'T'], ['b-1', 'T'], ['a-1', 'Reset'], ['b-1', 'T'], ['a-1', 'T']],
    expect: {
      caughtUp: { logs: logs(['created a-1', 'created b-1', 'created a-1']) },
      states: { 'a-1': { state: { n: 1 } }, 'b-1': { state: { n: 2 } } },
      keys: ['a-1', 'b-1'],
    },
  },
]);

test('after a restart, a null state is initialised again', async () => {
  const source = `fromAll().when({ $init: () => { log('init'); return { n: 0 }; }, $any: (s, e) => (e.eventType === 'Reset' ? null : { got: s }) })`;
  const events = [['a', 'Reset'], ['a', 'T']];
  const first = startWorker({ events });
  await first.send(define(source));
  await first.send(catchUp(0));
  const { checkpoint } = await first.send({ op: 'checkpoint' });
  matches(checkpoint.partitions, [['', null]]);
  const second = startWorker({ events });
  await second.send(define(source));
  await second.send({ op: 'restore', checkpoint });
  const rest = await second.send(catchUp(1));
  assert.deepEqual(rest.logs.map((l) => l.message), ['init']);
  assert.deepEqual((await second.send({ op: 'state', partition: null })).state, { got: { n: 0 } });
});

test('a state that is not JSON lives while its partition is handled, and is stored as JSON', async () => {
  const worker = startWorker({ events: [['a-1', 'T'], ['a-1', 'T'], ['b-1', 'T'], ['a-1', 'T']] });
  await worker.send(define(`fromAll().foreachStream().when({
    $init: () => ({ at: new Date(0), gone: undefined }),
    $any: (s, e) => { log(e.streamId + ' ' + (s.at instanceof Date)); },
  })`));
  const caught = await worker.send(catchUp(3));
  assert.deepEqual(caught.logs.map((l) => l.message), ['a-1 true', 'a-1 true', 'b-1 true', 'a-1 false']);
  assert.deepEqual((await worker.send({ op: 'state', partition: 'a-1' })).state, { at: '1970-01-01T00:00:00.000Z' });
});

test('fromCategory hands $created the envelope with category ""', async () => {
  const worker = startWorker({ events: [['shop-1', 'Sold']] });
  await worker.send(define(`fromCategory('shop').foreachStream().when({
    $created: (s, e) => { log('created', e.category, e.partition); }, $any: (s, e) => { log('event', e.category, e.partition); },
  })`));
  assert.deepEqual((await worker.send(catchUp(0))).logs.map((l) => l.message), ['created  shop-1', 'event shop shop-1']);
});
