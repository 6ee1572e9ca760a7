// The push script's pure half: reading an export and deciding the calls
// from the export and what the cluster already has. No server, no client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseExport, planPush, ExportError, PushError } from '../../scripts/push-to-kurrentdb.mjs';

const fixture = (name) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
const bank = parseExport(fixture('bank.kurrentdb.json'), 'bank.kurrentdb.json');
const idsOf = (stream) => bank.streams.find((entry) => entry.stream === stream).events.map((event) => event.eventId);
const onCluster = (ids, firstRevision = 0) => ({
  lastRevision: BigInt(firstRevision + ids.length - 1),
  firstEvents: ids.map((id, index) => ({ revision: BigInt(firstRevision + index), id })),
});
const appendsOf = (plan) => plan.calls.filter((call) => call.call === 'appendToStream')
  .map(({ stream, streamState, events }) => ({ stream, streamState, ids: events.map((event) => event.eventId) }));

test('a fresh cluster gets every stream whole, expecting no stream, in the export order, then every projection created', () => {
  const plan = planPush(bank);
  assert.deepEqual(appendsOf(plan), [
    { stream: 'account-ada', streamState: 'no_stream', ids: idsOf('account-ada') },
    { stream: 'account-grace', streamState: 'no_stream', ids: idsOf('account-grace') },
    { stream: 'notes', streamState: 'no_stream', ids: idsOf('notes') },
  ]);
  assert.deepEqual(plan.calls.filter((call) => call.call !== 'appendToStream'), [
    { call: 'createProjection', name: 'balances', query: bank.projections[0].query, emitEnabled: true },
    { call: 'createProjection', name: 'overdrafts', query: bank.projections[1].query, emitEnabled: false },
  ]);
  assert.deepEqual(plan.skipped, []);
});

test('the appended events carry the export\'s ids, types, data and metadata unchanged', () => {
  const [first] = planPush(bank).calls;
  assert.deepEqual(first.events, bank.streams[0].events);
  assert.deepEqual(first.events[0], {
    eventId: '00000000-0000-4000-8000-000000000001',
    eventType: 'AccountOpened',
    data: { owner: 'Ada Lovelace', currency: 'EUR' },
    metadata: { $correlationId: 'onboarding-ada' },
  });
});

test('a stream partly pushed gets only the rest, expecting the revision of its last event there', () => {
  const ada = idsOf('account-ada');
  const plan = planPush(bank, { streams: new Map([['account-ada', onCluster(ada.slice(0, 2))]]) });
  assert.deepEqual(appendsOf(plan)[0], { stream: 'account-ada', streamState: 1n, ids: ada.slice(2) });
  assert.equal(appendsOf(plan)[1].streamState, 'no_stream');
});

test('everything pushed already: nothing is appended, and the projections are updated rather than created', () => {
  const streams = new Map(bank.streams.map(({ stream }) => [stream, onCluster(idsOf(stream))]));
  const plan = planPush(bank, { streams, projections: new Set(['balances', 'overdrafts', '$by_category']) });
  assert.deepEqual(appendsOf(plan), []);
  assert.deepEqual(plan.skipped.map(({ stream }) => stream), ['account-ada', 'account-grace', 'notes']);
  assert.deepEqual(plan.calls.map(({ call, name }) => [call, name]), [['updateProjection', 'balances'], ['updateProjection', 'overdrafts']]);
});

test('a stream the cluster has more of, starting with the export\'s events, is left as it is', () => {
  const grace = [...idsOf('account-grace'), '00000000-0000-4000-8000-0000000000ff'];
  const plan = planPush(bank, { streams: new Map([['account-grace', { lastRevision: 2n, firstEvents: onCluster(grace).firstEvents.slice(0, 2) }]]) });
  assert.deepEqual(appendsOf(plan).map(({ stream }) => stream), ['account-ada', 'notes']);
  assert.deepEqual(plan.skipped, [{ stream: 'account-grace', events: 2, onCluster: 3 }]);
});

test('ids that differ stop the plan, naming the stream, the revision and both ids', () => {
  const ada = idsOf('account-ada');
  const diverged = [ada[0], '00000000-0000-4000-8000-0000000000aa'];
  assert.throws(() => planPush(bank, { streams: new Map([['account-ada', onCluster(diverged)]]) }), (error) => {
    assert.ok(error instanceof PushError);
    assert.match(error.message, /^stream "account-ada" differs at revision 1: the cluster has event id 00000000-0000-4000-8000-0000000000aa, the export 00000000-0000-4000-8000-000000000002/);
    return true;
  });
});

test('a stream truncated on the cluster (its first event is not revision 0) stops the plan', () => {
  const ada = idsOf('account-ada');
  assert.throws(() => planPush(bank, { streams: new Map([['account-ada', onCluster(ada.slice(0, 1), 4)]]) }),
    /^PushError: stream "account-ada" on the cluster starts at revision 4 \(it was truncated or deleted there\)/);
});

test('a long stream is split into appends under the size limit, each expecting the revision the one before left', () => {
  const events = Array.from({ length: 5 }, (_, index) => ({
    eventId: `00000000-0000-4000-8000-00000000010${index}`, eventType: 'Big', data: { text: 'x'.repeat(300) }, metadata: {},
  }));
  const exported = { streams: [{ stream: 'big', events }], projections: [] };
  const plan = planPush(exported, {}, { appendBytesLimit: 700 });
  assert.deepEqual(appendsOf(plan).map(({ streamState, ids }) => [streamState, ids.length]), [['no_stream', 2], [1n, 2], [3n, 1]]);
  const resumed = planPush(exported, { streams: new Map([['big', onCluster(events.slice(0, 3).map((event) => event.eventId))]]) }, { appendBytesLimit: 700 });
  assert.deepEqual(appendsOf(resumed).map(({ streamState, ids }) => [streamState, ids.length]), [[2n, 2]]);
});

test('a whole sandbox converts to the KurrentDB export the exporter writes: user streams only, by first position, null metadata as {}', () => {
  const converted = parseExport(fixture('bank.sandbox.json'), 'bank.sandbox.json');
  assert.deepEqual(converted, bank);
  assert.deepEqual(converted.streams.map(({ stream }) => stream), ['account-ada', 'account-grace', 'notes'],
    'balance-ada (a projection\'s output) and $$balance-ada (a system stream) are left out');
  assert.deepEqual(converted.streams[0].events[1].metadata, {});
});

test('a whole sandbox\'s streams keep version order even when its events arrive out of position order', () => {
  const sandbox = JSON.parse(fixture('bank.sandbox.json'));
  sandbox.events.reverse();
  assert.deepEqual(parseExport(JSON.stringify(sandbox), 'reversed.json'), bank);
});

test('a malformed export is refused with a message that names the field', () => {
  const cases = [
    ['[]', /^bank\.json: the top level is an array; expected an object with "format"$/],
    ['{"format":"kurrentdb-events","formatVersion":2,"streams":[],"projections":[]}', /"formatVersion" is 2; this script reads version 1/],
    ['{"format":"kurrentdb-events","formatVersion":1,"projections":[]}', /^bank\.json: "streams" is missing; expected an array$/],
    ['{"format":"kurrentdb-events","formatVersion":1,"streams":[{"stream":"a","events":[{"eventType":"T","data":{},"metadata":{}}]}],"projections":[]}',
      /^bank\.json: streams\[0\] \("a"\)\.events\[0\] has no eventId$/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseExport(text, 'bank.json'), (error) => error instanceof ExportError && message.test(error.message), text);
  }
});
