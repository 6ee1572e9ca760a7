// The event envelope handlers get, and how results come from states, as
// KurrentDB's Jint runtime has them (docs/kurrentdb-rules.md §1.6, §1.7).
import { runCases } from './cases.mjs';

const created = (position) => new Date(Date.UTC(2024, 0, 1, 0, 0, position)).toISOString();
// A copy of every field the envelope has, as JSON (which shows the lazily parsed ones too).
const copyAll = '$any: (s, e) => JSON.parse(JSON.stringify(e))';

// JPSH CreateEnvelope L823-837 and EventEnvelope L838-1007; JT when_accessing_event_envelope_properties;
// Specs/event-data-spec.json ("metadata": null).
runCases([
  {
    name: 'every field of a JSON event read from its stream',
    source: `fromStream('a-1').when({ ${copyAll} })`,
    events: [['other', 'X'], ['a-1', 'Opened', { x: 1 }, { $correlationId: 'c' }]],
    expect: {
      states: {
        '': {
          state: {
            isJson: true, data: { x: 1 }, body: { x: 1 }, bodyRaw: '{"x":1}', eventType: 'Opened', streamId: 'a-1',
            sequenceNumber: 0, eventId: 'id-1', metadata: { $correlationId: 'c' }, metadataRaw: '{"$correlationId":"c"}',
            linkMetadata: null, linkMetadataRaw: null, partition: '', category: null, created: created(1), position: 1,
          },
        },
      },
    },
  },
  {
    name: 'an event with no metadata has metadata and metadataRaw null',
    source: `fromAll().when({ $any: (s, e) => ({ metadata: e.metadata, metadataRaw: e.metadataRaw }) })`,
    events: [['a-1', 'T', { x: 1 }, null]],
    expect: { states: { '': { state: { metadata: null, metadataRaw: null } } } },
  },
  {
    name: 'JSON null data is null, not undefined',
    source: `fromAll().when({ $any: (s, e) => ({ isNull: e.data === null, raw: e.bodyRaw }) })`,
    events: [['a-1', 'T', null]],
    expect: { states: { '': { state: { isNull: true, raw: 'null' } } } },
  },
  {
    // docs §2.2: through $ce-c the envelope is the target's, with the link's metadata and time
    // (the virtual link's are its target's: it is read at the target's position).
    name: 'through a $ce- link: the target event, category c, the link\'s metadata and timestamp',
    source: `fromCategory('shop').when({ ${copyAll} })`,
    events: [['shop-1', 'Sold', { n: 1 }, { $correlationId: 'k' }]],
    expect: {
      states: {
        '': {
          state: {
            isJson: true, data: { n: 1 }, body: { n: 1 }, bodyRaw: '{"n":1}', eventType: 'Sold', streamId: 'shop-1',
            sequenceNumber: 0, eventId: 'id-0', metadata: { $correlationId: 'k' }, metadataRaw: '{"$correlationId":"k"}',
            linkMetadata: { $o: 'shop-1' }, linkMetadataRaw: '{"$o":"shop-1"}', partition: '', category: 'shop', created: created(0), position: 0,
          },
        },
      },
    },
  },
  {
    // docs §2.2: fromAll() with $includeLinks hands the link on as it is.
    name: 'a link read by fromAll() with $includeLinks is not JSON and not resolved',
    source: `options({ $includeLinks: true });\nfromAll().when({ ${copyAll} })`,
    events: [['x', 'T'], ['links', '$>', '0@x', { $o: 'x' }]],
    expect: {
      states: {
        '': {
          state: {
            isJson: false, bodyRaw: '0@x', eventType: '$>', streamId: 'links', sequenceNumber: 0, eventId: 'id-1',
            metadata: { $o: 'x' }, metadataRaw: '{"$o":"x"}', linkMetadata: null, linkMetadataRaw: null,
            partition: '', category: null, created: created(1), position: 1,
          },
        },
      },
    },
  },
  {
    name: 'a stream reference is not JSON either: its bodyRaw is the stream name',
    source: `fromAll().when({ $any: (s, e) => ({ isJson: e.isJson, bodyRaw: e.bodyRaw, data: e.data === undefined }) })`,
    events: [['refs', '$@', 'account-1']],
    expect: { states: { '': { state: { isJson: false, bodyRaw: 'account-1', data: true } } } },
  },
]);

// JPSH TransformStateToResult L726-748; phase ProcessEventByHandler L248-263;
// JT when_running_a_v8_projection_with_not_passing_filter_by.
runCases([
  {
    name: 'filterBy goes on only when the predicate returns exactly true',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } }).filterBy((s) => 1)`,
    events: [['a', 'T']],
    expect: { states: { '': { state: { n: 1 }, result: null } } },
  },
  {
    name: 'a truthy string does not pass filterBy either',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } }).filterBy(() => 'yes')`,
    events: [['a', 'T']],
    expect: { states: { '': { result: null } } },
  },
  {
    name: 'a transform that mutates its argument never changes the stored state',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } }).transformBy((s) => { s.n += 100; return s; })`,
    events: [['a', 'T'], ['a', 'T'], ['a', 'T']],
    expect: { states: { '': { state: { n: 3 }, result: { n: 103 } } } },
  },
  {
    name: 'a partition with no state has no result, and its transforms are not run for it',
    source: `fromAll().foreachStream().when({ $any: (s) => { s.n = 1; } }).transformBy((s) => s.n + 1)`,
    events: [['a-1', 'T']],
    expect: { states: { 'a-1': { state: { n: 1 }, result: 2 }, 'b-1': { state: null, result: null } } },
  },
  {
    name: 'a transform that gives null ends the chain with a null result',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } }).transformBy(() => null).transformBy(() => 'never')`,
    events: [['a', 'T']],
    expect: { states: { '': { state: { n: 1 }, result: null } } },
  },
  {
    name: 'transforms run in order, each on what the last one gave',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })
      .transformBy((s) => s.n).filterBy((n) => n > 1).transformBy((n) => ({ doubled: n * 2 }))`,
    events: [['a', 'T'], ['a', 'T']],
    expect: { states: { '': { state: { n: 2 }, result: { doubled: 4 } } } },
  },
  {
    name: 'in bi-state a transform gets the pair',
    source: `fromAll().foreachStream().when({ $initShared: () => ({ total: 5 }), $any: ([s, shared]) => { s.n = 1; } })
      .transformBy(([s, shared]) => s.n + shared.total)`,
    events: [['a-1', 'T']],
    // The shared state's own result is itself: KurrentDB keeps no result for it.
    expect: { states: { 'a-1': { state: { n: 1 }, result: 6 }, '': { state: { total: 5 }, result: { total: 5 } } } },
  },
  {
    // JPSH Serializer: NaN and ±Infinity are null; undefined properties are dropped.
    name: 'states are stored as KurrentDB serializes them',
    source: `fromAll().when({ $any: () => ({ nan: NaN, inf: -Infinity, gone: undefined, kept: 1 }) })`,
    events: [['a', 'T']],
    expect: { states: { '': { state: { nan: null, inf: null, kept: 1 } } } },
  },
]);
