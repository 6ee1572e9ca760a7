// Links on input and deleted streams, as KurrentDB's readers handle them
// (docs/kurrentdb-rules.md §2.2, §3.3, §1.8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, define, catchUp, SOFT_DELETED } from './harness.mjs';
import { runCases } from './cases.mjs';

const messages = (expected) => (lines) => { assert.deepEqual(lines.map((l) => l.message), expected); return true; };
const EMPTY_ID = '00000000-0000-0000-0000-000000000000';

// ReaderStrategy L196-214 (resolveLinkTos: true), CategoryEventFilter; StreamEventReader.DeliverEvent L223-251;
// ResolvedEvent ctor (IsLinkToDeletedStream); kurrent-io/KurrentDB#4490.
runCases([
  {
    name: 'fromCategory gets each link\'s target at its own position, reading only the streams\' rows, a read batch at a time',
    source: `fromCategory('a').when({ $init: () => [], $any: (s, e) => { s.push(e.sequenceNumber + '@' + e.streamId + '/' + e.position); } })`,
    events: [['a-1', 'T'], ['a-2', 'T'], ['a-1', 'T'], ['b-1', 'T'], ['a-2', 'T'], ['a-1', 'T']],
    expect: {
      caughtUp: { position: 5, eventsProcessed: 5 },
      states: { '': { state: ['0@a-1/0', '0@a-2/1', '1@a-1/2', '1@a-2/4', '2@a-1/5'] } },
      // readBatch 3: two batches, each resolved in one transaction that reads the rows of a-1 and a-2
      // (not b-1's) and no event: each link's target is the record it was made for.
      transactions: (all) => {
        const lookups = all.filter((t) => t.stores.includes('streams'));
        return lookups.length === 2 && lookups.every((t) => t.stores.join() === 'streams' && t.requests.join() === 'streams.get,streams.get');
      },
    },
  },
  {
    name: 'a link into a soft-deleted stream is skipped, and so is the delete itself without $deleted',
    source: `fromCategory('a').when({ $init: () => [], $any: (s, e) => { s.push(e.streamId); } })`,
    events: [['a-1', 'T'], ['a-2', 'T'], ['$$a-1', '$metadata', { $tb: SOFT_DELETED }]],
    expect: { caughtUp: { eventsProcessed: 1 }, states: { '': { state: ['a-2'] } } },
  },
  {
    name: 'a link to an event hidden by $tb arrives with no event: only $any sees it',
    source: `fromCategory('a').when({ $any: (s, e) => { log(e.eventType, e.streamId, e.sequenceNumber, e.isJson, e.bodyRaw, e.eventId, e.data === undefined); } })`,
    events: [['a-1', 'T', { n: 0 }], ['a-1', 'T', { n: 1 }]],
    truncated: { 'a-1': 1 },
    expect: {
      caughtUp: { eventsProcessed: 2, logs: messages([`null null -1 false null ${EMPTY_ID} true`, 'T a-1 1 true {"n":1} id-1 false']) },
    },
  },
  {
    name: 'a specific handler never sees a hidden target',
    source: `fromCategory('a').when({ $init: () => ({ n: 0 }), T: (s) => { s.n += 1; } })`,
    events: [['a-1', 'T'], ['a-1', 'T']],
    truncated: { 'a-1': 1 },
    expect: { caughtUp: { eventsProcessed: 1 }, states: { '': { state: { n: 1 } } } },
  },
  {
    // The link has no number to name, so the fault names the record of $all it was made for.
    name: 'foreachStream files a hidden target under the link\'s $o; linkTo of it fails as in KurrentDB',
    source: `fromCategory('a').foreachStream().when({\n  $any: (s, e) => { linkTo('out', e); },\n})`,
    events: [['a-1', 'T']],
    truncated: { 'a-1': 1 },
    expect: { fault: { kind: 'threw', handler: '$any', at: { position: 0, stream: 'a-1', version: 0, type: 'T' }, error: 'Error: Invalid link to event -1@null', line: 2 } },
  },
  {
    name: 'fromStream resolves the links in it and keeps its other events',
    source: `fromStream('picked').when({ $init: () => [], $any: (s, e) => { s.push([e.eventType, e.streamId, e.linkMetadata]); } })`,
    events: [['a-1', 'T', { n: 0 }], ['picked', '$>', '0@a-1', { why: 'first' }], ['picked', 'Note', {}], ['picked', '$>', '0@nowhere'], ['picked', '$>', 'not a link']],
    expect: {
      caughtUp: { eventsProcessed: 2 },
      states: { '': { state: [['T', 'a-1', { why: 'first' }], ['Note', 'picked', null]] } },
    },
  },
  {
    name: 'fromAll() drops links unless $includeLinks',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })`,
    events: [['a-1', 'T'], ['links', '$>', '0@a-1']],
    expect: { caughtUp: { eventsProcessed: 1 } },
  },
  {
    // TransactionFileEventFilter: $$x of a user stream passes, so its $metadata reaches $any.
    name: 'fromAll() reads the metadata streams of user streams, not of system streams',
    source: `fromAll().when({ $init: () => [], $any: (s, e) => { s.push(e.streamId); } })`,
    events: [['a-1', 'T'], ['$$a-1', '$metadata', { $maxCount: 3 }], ['$$$ce-a', '$metadata'], ['$ce-a', '$>', '0@a-1']],
    expect: { states: { '': { state: ['a-1', '$$a-1'] } } },
  },
  {
    // EventByTypeIndexEventFilter: with only specific handlers KurrentDB reads its $et- index,
    // which holds no metadata-stream events.
    name: 'fromAll() with only specific handlers gets no metadata-stream events',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $metadata: (s) => { s.n += 1; } })`,
    events: [['a-1', 'T'], ['$$a-1', '$metadata', { $maxCount: 3 }]],
    expect: { caughtUp: { eventsProcessed: 0 } },
  },
]);

// JPSH ProcessPartitionDeleted L174-181 and HandleDeleted L816-820; StreamDeletedHelper;
// V1 tests transaction_file_reader/when_handling_stream_soft_deleted.
runCases([
  {
    name: 'fromAll + foreachStream: a soft delete calls $deleted(state, null, partition, false), whose return is ignored',
    source: `fromAll().foreachStream().when({
      $init: () => ({ n: 0 }),
      $any: (s) => { s.n += 1; },
      $deleted: (s, e, partition, isSoftDelete) => { s.deleted = [e, partition, isSoftDelete]; return { ignored: true }; },
    })`,
    events: [['a-1', 'T'], ['b-1', 'T'], ['$$a-1', '$metadata', { $tb: SOFT_DELETED }]],
    expect: {
      caughtUp: { eventsProcessed: 2 },
      states: { 'a-1': { state: { n: 1, deleted: [null, 'a-1', false] } }, 'b-1': { state: { n: 1 } } },
    },
  },
  {
    name: 'without $deleted the soft delete is an ordinary $metadata event of the stream\'s partition',
    source: `fromAll().foreachStream().when({ $init: () => [], $any: (s, e) => { s.push(e.eventType); } })`,
    events: [['a-1', 'T'], ['$$a-1', '$metadata', { $tb: SOFT_DELETED }]],
    expect: { states: { 'a-1': { state: ['T', '$metadata'] } } },
  },
  {
    name: 'a $tb below long.MaxValue truncates: it is no delete',
    source: `fromAll().foreachStream().when({ $init: () => [], $any: (s, e) => { s.push(e.eventType); }, $deleted: (s) => { s.push('deleted'); } })`,
    events: [['a-1', 'T'], ['$$a-1', '$metadata', { $tb: 1 }]],
    expect: { states: { 'a-1': { state: ['T', '$metadata'] } } },
  },
  {
    name: 'fromCategory + foreachStream: $by_category\'s delete link calls $deleted for the stream',
    source: `fromCategory('a').foreachStream().when({
      $init: () => ({ n: 0 }),
      $created: () => { log('created'); },
      $any: (s) => { s.n += 1; },
      $deleted: (s, e, partition) => { s.deleted = partition; },
    })`,
    events: [['a-1', 'T'], ['$$a-2', '$metadata', { $tb: SOFT_DELETED }]],
    // a-2 was never seen: it is initialised for $deleted, with no $created.
    expect: {
      caughtUp: { eventsProcessed: 1, logs: messages(['created']) },
      keys: ['a-1', 'a-2'],
      states: { 'a-1': { state: { n: 1 } }, 'a-2': { state: { n: 0, deleted: 'a-2' } } },
    },
  },
]);

test('links are resolved against the store as it is now, whatever batch they are read in', async () => {
  const events = [['a-1', 'T'], ['a-1', 'T'], ['a-1', 'T']];
  const worker = startWorker({ events, truncated: { 'a-1': 2 } });
  await worker.send(define(`fromCategory('a').when({ $init: () => [], $any: (s, e) => { s.push(e.sequenceNumber); } })`, { rules: { readBatch: 1 } }));
  await worker.send(catchUp(events.length - 1));
  assert.deepEqual((await worker.send({ op: 'state', partition: null })).state, [-1, -1, 2]);
  const lookups = worker.indexedDB.transactions.filter((t) => t.stores.includes('streams'));
  assert.equal(lookups.length, 3, 'one transaction per read batch with a link');
});

test('a link to another event is looked up through the index; one to its own record is not', async () => {
  // $by_category re-points a link in a user stream to its target (docs §2, CategorizeEventsByStreamPath).
  const events = [['a-1', 'T'], ['a-links', '$>', '0@a-1'], ['a-2', 'T']];
  const worker = startWorker({ events });
  await worker.send(define(`fromCategory('a').when({ $init: () => [], $any: (s, e) => { s.push(e.streamId + '/' + e.position); } })`, { rules: { readBatch: 5 } }));
  await worker.send(catchUp(2));
  assert.deepEqual((await worker.send({ op: 'state', partition: null })).state, ['a-1/0', 'a-1/1', 'a-2/2']);
  const [lookup] = worker.indexedDB.transactions.filter((t) => t.stores.includes('streams'));
  assert.deepEqual(lookup.stores, ['events', 'streams']);
  assert.deepEqual(lookup.requests.filter((r) => r === 'events.stream_version.get'), ['events.stream_version.get']);
});
