// The link streams of KurrentDB's system projections, read through a
// projection's source. They are not stored: the worker reads, for each
// event of $all, the links the system projection would write
// (docs/kurrentdb-rules.md §2; KurrentDB.Projections.V1/Standard/*.cs).
import { SOFT_DELETED } from './harness.mjs';
import { runCases } from './cases.mjs';

const created = (position) => new Date(Date.UTC(2024, 0, 1, 0, 0, position)).toISOString();
// A line a handler logs for each event it gets: where it is, and the link it came through.
const logAll = '$any: (s, e) => { log(e.eventType, e.streamId, e.sequenceNumber, e.position, e.linkMetadataRaw); }';
const lines = (expected) => (logs) => logs.length === expected.length && logs.every((l, i) => l.message === expected[i]);

// CategorizeEventsByStreamPath with StreamCategoryExtractorByFirstSeparator ("first\r\n-", docs §2.1).
const categorised = [
  ['order-1', 'Placed'], ['order-1-a', 'X'], ['order', 'Y'], ['-x', 'Z'], ['$internal-1', 'S'], ['$$order-1', '$metadata', { $maxCount: 2 }],
];
runCases([
  ['order', ['Placed order-1 0 0 {"$o":"order-1"}', 'X order-1-a 0 1 {"$o":"order-1-a"}']],
  // The "last" separator rule would put order-1-a here.
  ['order-1', []],
  // A name with no separator, or starting with it, has no category; nor has a system stream.
  ['', []],
  ['$internal', []],
].map(([category, expected]) => ({
  name: `$ce-${category} holds the events whose stream's text before its first "-" is "${category}"`,
  source: `fromCategory('${category}').when({ ${logAll} })`,
  events: categorised,
  expect: { defined: { reads: [`$ce-${category}`] }, caughtUp: { position: 5, eventsProcessed: expected.length, logs: lines(expected) } },
})));

runCases([
  {
    // CategorizeEventsByStreamPath (with $includeLinks): a link's link is to its own target.
    name: '$ce- links a link in a user stream to its target, under the link\'s own category',
    source: `fromCategory('links').when({ $any: (s, e) => { log(e.eventType, e.streamId, e.sequenceNumber, e.position, e.category, e.linkMetadataRaw); } })`,
    events: [['order-1', 'Placed'], ['links-1', '$>', '0@order-1', { why: 'picked' }]],
    expect: { caughtUp: { eventsProcessed: 1, logs: lines(['Placed order-1 0 1 links {"$o":"links-1"}']) } },
  },
  {
    // CategorizeEventsByStreamPath's deleted-stream link ($deleted: -1, $o) and JPSH ProcessPartitionDeleted.
    name: 'a soft delete reaches $deleted of fromCategory().foreachStream() through $ce-, and the stream\'s events are skipped',
    source: `fromCategory('order').foreachStream().when({
      $init: () => ({ n: 0 }),
      $any: (s) => { s.n += 1; },
      $deleted: (s, e, partition) => { s.deleted = partition; },
    })`,
    events: [['order-1', 'Placed'], ['order-2', 'Placed'], ['$$order-1', '$metadata', { $maxCount: 2 }], ['$$order-1', '$metadata', { $tb: SOFT_DELETED }]],
    expect: {
      caughtUp: { eventsProcessed: 1 },
      keys: ['order-2', 'order-1'],
      states: { 'order-1': { state: { n: 0, deleted: 'order-1' } }, 'order-2': { state: { n: 1 } } },
    },
  },
  {
    name: 'a projection never reads its own streams through a link stream',
    source: `fromCategory('a').when({ ${logAll} })`,
    events: [['a-1', 'T'], ['a-2', 'T']],
    ownedStreams: ['a-2'],
    expect: { caughtUp: { eventsProcessed: 1, logs: lines(['T a-1 0 0 {"$o":"a-1"}']) } },
  },
  {
    // Link streams are not stored; an event stored under such a name is not what the stream holds.
    name: 'an event stored in a link stream\'s name is not read',
    source: `fromCategory('a').when({ ${logAll} })`,
    events: [['a-1', 'T'], ['$ce-a', '$>', '0@a-1']],
    expect: { caughtUp: { eventsProcessed: 1, logs: lines(['T a-1 0 0 {"$o":"a-1"}']) } },
  },
]);

runCases([
  {
    // IndexEventsByEventType, without $includeLinks: no links, of any stream.
    name: '$et-{type} holds the events of that type; links are not indexed',
    source: `fromStreams('$et-T', '$et-$>').when({ ${logAll} })`,
    events: [['a-1', 'T'], ['b', 'T'], ['links', '$>', '0@a-1'], ['a-1', 'U'], ['$projections-p-result', 'T']],
    expect: { caughtUp: { eventsProcessed: 2, logs: lines(['T a-1 0 0 null', 'T b 0 1 null']) } },
  },
  {
    // IndexEventsByEventType: for a $$x event the link names x (StreamDeletedHelper's out parameter),
    // so the $metadata link resolves to x's event of that number.
    name: '$et-$metadata links `n@x` for the event n of $$x, which resolves to x\'s event n',
    source: `fromStream('$et-$metadata').when({ ${logAll} })`,
    events: [['a-1', 'T'], ['$$a-1', '$metadata', { $maxCount: 3 }]],
    expect: { caughtUp: { eventsProcessed: 1, logs: lines(['T a-1 0 1 null']) } },
  },
  {
    // A soft delete goes to $et-$deleted as `n@x` with $deleted: -1. Here x was written again after it,
    // so it exists, and its event 0 is hidden by the undelete's $tb: delivered with no event (docs §3.3).
    name: '$et-$deleted links a soft delete as `n@x`; through fromStream it is an event like another',
    source: `fromStream('$et-$deleted').when({ ${logAll} })`,
    events: [['a-1', 'T'], ['$$a-1', '$metadata', { $tb: SOFT_DELETED }], ['a-1', 'U'], ['$$a-1', '$metadata', { $tb: 1 }]],
    expect: { caughtUp: { eventsProcessed: 1, logs: lines(['null null -1 1 {"$deleted":-1}']) } },
  },
  {
    // ByCorrelationId with the default $correlationId property, without $includeLinks.
    name: '$bc-{id} holds the events whose metadata has that $correlationId, stamped to the microsecond',
    source: `fromStreams('$bc-c-1', '$bc-5').when({ ${logAll} })`,
    events: [
      ['a-1', 'T', {}, { $correlationId: 'c-1' }], ['a-1', 'T', {}, null], ['a-1', 'T', {}, { $correlationId: null }],
      ['a-1', 'T', {}, { other: 1 }], ['b-1', 'T', {}, { $correlationId: 5 }], ['b-1', 'T', {}, [1]],
      ['links', '$>', '0@a-1', { $correlationId: 'c-1' }],
    ],
    expect: {
      caughtUp: {
        eventsProcessed: 2,
        logs: lines([
          `T a-1 0 0 {"$eventTimestamp":"${created(0).slice(0, -1)}000Z"}`,
          'T b-1 0 4 {"$eventTimestamp":"2024-01-01T00:00:04.000000Z"}',
        ]),
      },
    },
  },
  {
    // IndexStreams, with $includeLinks; a user stream's metadata stream passes the filter too.
    name: '$streams holds the first event of every stream, a link\'s first event as the link itself',
    source: `fromStream('$streams').when({ ${logAll} })`,
    events: [['a-1', 'T'], ['a-1', 'U'], ['b', 'T'], ['$$a-1', '$metadata'], ['links', '$>', '0@a-1'], ['$stats-1', 'S']],
    expect: {
      caughtUp: {
        eventsProcessed: 4,
        logs: lines(['T a-1 0 0 null', 'T b 0 2 null', '$metadata $$a-1 0 3 null', '$> links 0 4 null']),
      },
    },
  },
  {
    // CategorizeStreamByPath: a $@ (StreamReference) whose data is the stream's name. Its number in
    // $category-order is not known here: the handler gets null, not a guess.
    name: '$category-{c} holds a $@ for each stream of the category, delivered as it is',
    source: `fromStream('$category-order').when({ $init: () => [], $any: (s, e) => { s.push(JSON.parse(JSON.stringify(e))); } })`,
    events: [['order-1', 'T'], ['order-1', 'U'], ['order', 'T'], ['$$order-2', '$metadata'], ['order-2', 'T']],
    expect: {
      caughtUp: { eventsProcessed: 2 },
      states: {
        '': {
          state: ['order-1', 'order-2'].map((stream, i) => ({
            isJson: false, bodyRaw: stream, eventType: '$@', streamId: '$category-order', sequenceNumber: null, eventId: null,
            metadata: null, metadataRaw: null, linkMetadata: null, linkMetadataRaw: null,
            partition: '', category: null, created: created(4 * i), position: 4 * i,
          })),
        },
      },
    },
  },
  {
    name: 'a fault at a $@ names the event of $all it was written for',
    source: `fromStream('$category-order').when({\n  $any: () => { throw new Error('no'); },\n})`,
    events: [['order-1', 'T']],
    expect: { fault: { kind: 'threw', handler: '$any', at: { position: 0, stream: 'order-1', version: 0, type: 'T' }, error: 'Error: no', line: 2 } },
  },
]);

// MultiStreamEventReader reads each stream, so an event linked from two of them arrives twice;
// here, at one position, in the order of the source's streams. A careful run names each
// (and once an event that gives nothing).
runCases([
  ["'$ce-a', '$et-T'", ['T a-1 0 0 {"$o":"a-1"}', 'T a-1 0 0 null', 'U a-1 1 1 {"$o":"a-1"}', 'T b-1 0 2 null']],
  ["'$et-T', '$ce-a'", ['T a-1 0 0 null', 'T a-1 0 0 {"$o":"a-1"}', 'U a-1 1 1 {"$o":"a-1"}', 'T b-1 0 2 null']],
  ["'a-1', '$ce-a'", ['T a-1 0 0 null', 'T a-1 0 0 {"$o":"a-1"}', 'U a-1 1 1 null', 'U a-1 1 1 {"$o":"a-1"}'], [0, 0, 1, 1, 2]],
].map(([streams, expected, named = [0, 0, 1, 2]]) => ({
  name: `fromStreams(${streams}) gets an event once for each of its streams that holds it`,
  source: `fromStreams(${streams}).when({ ${logAll} })`,
  events: [['a-1', 'T'], ['a-1', 'U'], ['b-1', 'T']],
  careful: true,
  expect: {
    caughtUp: { eventsProcessed: expected.length, logs: lines(expected) },
    heartbeats: (beats) => JSON.stringify(beats.filter((b) => b.op === 'starting').map((b) => b.at.position)) === JSON.stringify(named),
  },
})));

runCases([
  {
    name: 'the link streams\' names follow the rules\' system prefix',
    source: `fromStream('%et-T').when({ ${logAll} })`,
    events: [['a-1', 'T'], ['%a', 'T']],
    rules: { systemPrefix: '%' },
    expect: { caughtUp: { eventsProcessed: 1, logs: lines(['T a-1 0 0 null']) } },
  },
  {
    // The host runs no worker for a system projection; `native:` is a label in JS.
    name: 'a native: source is not a system projection: it is JS',
    source: 'native:$by_category',
    expect: { defineFault: { kind: 'definition', message: 'the source failed while defining the projection: ReferenceError: $by_category is not defined', line: 1 } },
  },
]);
