// What handlers write and what results write, as KurrentDB's Jint runtime
// and emitted streams have them (docs/kurrentdb-rules.md §1.7, §1.9, §1.10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, define, catchUp } from './harness.mjs';
import { runCases } from './cases.mjs';

const AT = { position: 0, stream: 'a-1', version: 0, type: 'T' };
const NOT_ALLOWED = "'emit' is not allowed by the projection/configuration/mode. This projection may not write events: "
  + 'create it with createProjection(name, source, { emit: true }), or tick Emit on its page, to let it.';
const types = (expected) => (emitted) => { assert.deepEqual(emitted.map((e) => `${e.type}>${e.stream}`), expected); return true; };

// A handler's call, and the error it faults with (JPSH Emit L230-258, LinkTo L292-318, LinkStreamTo
// L320-340; JT when_running_a_js_projection_emitting_invalid_events / _invalid_links).
const calls = [
  ["emit('s', 'T')", 'ArgumentException: invalid number of parameters'],
  ["emit(null, 'T', {})", "ArgumentNullException: Value cannot be null. (Parameter 'streamId')"],
  ["emit('  ', 'T', {})", "ArgumentNullException: Value cannot be null. (Parameter 'streamId')"],
  ["emit(5, 'T', {})", "ArgumentException: string expected (Parameter 'streamId')"],
  ["emit('s', '', {})", "ArgumentNullException: Value cannot be null. (Parameter 'eventName')"],
  ["emit('s', {}, {})", "ArgumentException: string expected (Parameter 'eventName')"],
  ["emit('s', 'T', undefined)", "ArgumentNullException: Value cannot be null. (Parameter 'eventBody')"],
  ["emit('s', 'T', 5)", "ArgumentException: object expected (Parameter 'eventBody')"],
  ["emit('s', 'T', {}, 'm')", "ArgumentException: object expected (Parameter 'metadata')"],
  ["emit('s', 'T', {}, undefined)", "ArgumentException: object expected (Parameter 'metadata')"],
  ["linkTo('s')", 'ArgumentException: wrong number of parameters'],
  ["linkTo('s', null)", "ArgumentNullException: Value cannot be null. (Parameter 'event')"],
  ["linkTo('s', { sequenceNumber: '1', streamId: 'x' })", 'Error: Invalid link to event 1@x'],
  ["linkTo('s', {})", 'Error: Invalid link to event undefined@undefined'],
  ["linkTo('s', e, 5)", "ArgumentException: object expected (Parameter 'metaData')"],
  ["linkStreamTo('', 'x')", "ArgumentNullException: Value cannot be null. (Parameter 'streamId')"],
  ["linkStreamTo('s', 5)", "ArgumentException: string expected (Parameter 'linkedStreamId')"],
  // Jint's bug: a third argument reads parameters.At(4), which is no object.
  ["linkStreamTo('s', 'x', {})", 'ArgumentException: The value is not an object'],
  // Jint lets no .NET exception be caught by the script.
  ["try { emit('', 'T', {}); } catch (error) { log('caught'); }", "ArgumentNullException: Value cannot be null. (Parameter 'streamId')"],
];
runCases(calls.map(([call, error]) => ({
  name: `${call} faults: ${error}`,
  source: `fromAll().when({\n  $any: (s, e) => { ${call}; },\n})`,
  events: [['a-1', 'T']],
  expect: { fault: { kind: 'threw', handler: '$any', at: AT, error, line: 2 } },
})));

// EventSubscriptionBasedProjectionProcessingPhase.ValidateEmittedEvents L365-373.
runCases([
  ...["emit('out', 'T', {})", "linkTo('out', e)", "linkStreamTo('out', 'a-1')"].map((call) => ({
    name: `with emitting off, ${call} faults the projection`,
    source: `fromAll().when({\n  $any: (s, e) => { ${call}; },\n})`,
    events: [['a-1', 'T']],
    emitEnabled: false,
    expect: { fault: { kind: 'threw', handler: '$any', at: AT, error: NOT_ALLOWED, line: 2 } },
  })),
  {
    name: 'with emitting off, catching the fault does not help',
    source: `fromAll().when({\n  $any: () => { try { emit('out', 'T', {}); } catch (e) {} },\n})`,
    events: [['a-1', 'T']],
    emitEnabled: false,
    expect: { fault: { kind: 'threw', handler: '$any', at: AT, error: NOT_ALLOWED, line: 2 } },
  },
  {
    name: 'with emitting off, $created may not emit either',
    source: `fromAll().when({\n  $created: () => { emit('out', 'T', {}); },\n  $any: (s) => s,\n})`,
    events: [['a-1', 'T']],
    emitEnabled: false,
    expect: { fault: { kind: 'threw', handler: '$created', at: AT, error: NOT_ALLOWED, line: 2 } },
  },
  {
    // JPSH CopyTo: a no-op; and results are not emits (ResultWriter writes them whatever EmitEventEnabled says).
    name: 'with emitting off, copyTo does nothing and results are still written',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s, e) => { s.n += 1; s.copied = copyTo('out', e); } }).outputState()`,
    events: [['a-1', 'T']],
    emitEnabled: false,
    projection: 'quiet',
    expect: { emitted: [{ stream: '$projections-quiet-result', type: 'Result', data: { n: 1 }, metadata: { $causedBy: 'id-0' }, sourcePosition: 0 }] },
  },
]);

// EmittedStream.MetadataWithCausedByAndCorrelationId L499-519; test V1.Tests emitted_stream/
// when_handling_an_emit_with_caused_by_and_correlation_id; JT when_specifying_meta_data_for_linked_event.
runCases([
  {
    name: 'emitted metadata: the caller\'s keys but $causedBy, then $causedBy, then the source\'s $correlationId',
    source: `fromAll().when({ $any: (s, e) => {
      emit('out', 'A', { when: new Date(0) }, { $causedBy: 'mine', y: 1, gone: undefined });
      emit('out', 'B', {}, { $correlationId: 'given' });
    } })`,
    events: [['a-1', 'T', {}, { $correlationId: 'c-1' }]],
    expect: {
      emitted: [
        { stream: 'out', type: 'A', data: { when: '1970-01-01T00:00:00.000Z' }, metadata: { y: 1, $causedBy: 'id-0', $correlationId: 'c-1' }, sourcePosition: 0 },
        { stream: 'out', type: 'B', data: {}, metadata: { $correlationId: 'given', $causedBy: 'id-0' }, sourcePosition: 0 },
      ],
    },
  },
  {
    name: 'no $correlationId from a source with no metadata, or one that is not JSON',
    source: `options({ $includeLinks: true });\nfromAll().when({ $any: (s, e) => { emit('out', 'A', {}); } })`,
    events: [['a-1', 'T', {}, null], ['links', '$>', '0@a-1', { $correlationId: 'c-2' }]],
    expect: {
      emitted: [
        { stream: 'out', type: 'A', data: {}, metadata: { $causedBy: 'id-0' }, sourcePosition: 0 },
        { stream: 'out', type: 'A', data: {}, metadata: { $causedBy: 'id-1' }, sourcePosition: 1 },
      ],
    },
  },
  {
    name: 'linkTo keeps its metadata values, undefined as null; linkStreamTo writes a $@ of the stream name',
    source: `fromAll().when({ $any: (s, e) => { linkTo('out', e, { a: 'x', b: 1, c: undefined }); linkStreamTo('refs', e.streamId); } })`,
    events: [['a-1', 'T']],
    expect: {
      emitted: [
        { stream: 'out', type: '$>', data: '0@a-1', metadata: { a: 'x', b: 1, c: null, $causedBy: 'id-0' }, sourcePosition: 0 },
        { stream: 'refs', type: '$@', data: 'a-1', metadata: { $causedBy: 'id-0' }, sourcePosition: 0 },
      ],
    },
  },
  {
    name: 'emit with a fifth argument ignores the metadata (only exactly four carry it)',
    source: `fromAll().when({ $any: () => { emit('out', 'A', {}, { x: 1 }, 'more'); } })`,
    events: [['a-1', 'T']],
    expect: { emitted: [{ stream: 'out', type: 'A', data: {}, metadata: { $causedBy: 'id-0' }, sourcePosition: 0 }] },
  },
]);

// ProjectionNamesBuilder, ResultEventEmitter, ResultWriter.WriteRunningResult; phase ProcessEventByHandler L248-263.
runCases([
  {
    name: 'outputState: a Result to $projections-{name}-result whenever the state changes',
    source: `fromAll().when({ $init: () => ({ n: 0 }), A: (s) => { s.n += 1; }, B: (s) => s }).outputState()`,
    events: [['a-1', 'A'], ['a-1', 'B'], ['a-1', 'A']],
    projection: 'counter',
    expect: {
      emitted: [
        { stream: '$projections-counter-result', type: 'Result', data: { n: 1 }, metadata: { $causedBy: 'id-0' }, sourcePosition: 0 },
        { stream: '$projections-counter-result', type: 'Result', data: { n: 2 }, metadata: { $causedBy: 'id-2' }, sourcePosition: 2 },
      ],
    },
  },
  {
    name: 'a Result only when the result changes, after what the handler emitted',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; emit('out', 'Seen', {}); } }).transformBy((s) => s.n > 1)`,
    events: [['a-1', 'T'], ['a-1', 'T'], ['a-1', 'T']],
    projection: 'p',
    expect: { emitted: (e) => e.map((x) => `${x.type}:${JSON.stringify(x.data)}`).join() === 'Seen:{},Result:false,Seen:{},Result:true,Seen:{}' },
  },
  {
    name: 'a partition\'s result goes to $projections-{name}-{partition}-result',
    source: `fromAll().foreachStream().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } }).outputState()`,
    events: [['a-1', 'T'], ['b-1', 'T']],
    projection: 'per',
    expect: { emitted: types(['Result>$projections-per-a-1-result', 'Result>$projections-per-b-1-result']) },
  },
  {
    name: 'outputTo(name, pattern) names the result streams, {0} the partition',
    source: `fromAll().foreachStream().when({ $any: (s) => { s.n = 1; } }).outputState().outputTo('totals', 'totals-{0}-{{x}}')`,
    events: [['a-1', 'T']],
    expect: { emitted: types(['Result>totals-a-1-{x}']) },
  },
  {
    name: 'options({ resultStreamName }) names the root result stream',
    source: `options({ resultStreamName: 'all-counts' });\nfromAll().when({ $any: (s) => { s.n = 1; } }).outputState()`,
    events: [['a-1', 'T']],
    expect: { emitted: types(['Result>all-counts']) },
  },
  {
    // JPSH OutputTo never calls SetOutputState, so outputTo alone writes no results.
    name: 'when().outputTo(name) alone turns no results on',
    source: `fromAll().when({ $any: (s) => { s.n = 1; } }).outputTo('totals')`,
    events: [['a-1', 'T']],
    expect: { emitted: [] },
  },
  {
    name: 'without outputState, transformBy or filterBy there are no results',
    source: `fromAll().when({ $any: (s) => { s.n = 1; } })`,
    events: [['a-1', 'T']],
    expect: { emitted: [] },
  },
]);

test('a restored worker writes no result it wrote before', async () => {
  const source = `fromAll().when({ $init: () => ({ n: 0 }), A: (s) => { s.n += 1; }, B: (s) => s }).outputState()`;
  const events = [['a-1', 'A'], ['a-1', 'B'], ['a-1', 'A']];
  const first = startWorker({ events });
  await first.send(define(source, { name: 'p' }));
  assert.equal((await first.send(catchUp(0))).emitted.length, 1);
  const { checkpoint } = await first.send({ op: 'checkpoint' });
  const second = startWorker({ events });
  await second.send(define(source, { name: 'p' }));
  await second.send({ op: 'restore', checkpoint });
  assert.deepEqual((await second.send(catchUp(2))).emitted.map((e) => [e.data, e.sourcePosition]), [[{ n: 2 }, 2]]);
});
