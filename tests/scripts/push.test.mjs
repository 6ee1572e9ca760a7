// The push's I/O half, against an in-memory cluster that keeps KurrentDB's
// expected-revision rule (fake-cluster.mjs), and a check that every client
// method and package export it uses exists in the installed
// @kurrent/kurrentdb-client. No KurrentDB server runs here, so the live
// push itself is untested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseExport, push, PushError } from '../../scripts/push-to-kurrentdb.mjs';
import { fakeCluster, fakeLib, WrongExpectedVersionError, UnavailableError } from './fake-cluster.mjs';

const bank = parseExport(readFileSync(new URL('fixtures/bank.kurrentdb.json', import.meta.url), 'utf8'), 'bank.kurrentdb.json');
const idsOf = (stream) => bank.streams.find((entry) => entry.stream === stream).events.map((event) => event.eventId);
const script = fileURLToPath(new URL('../../scripts/push-to-kurrentdb.mjs', import.meta.url));
const clientPackage = new URL('../../scripts/node_modules/@kurrent/kurrentdb-client/package.json', import.meta.url);

async function pushTo(cluster) {
  const printed = [];
  await push(bank, { client: cluster.client, lib: fakeLib, print: (line) => printed.push(JSON.parse(line)), connection: 'kurrentdb://fake' });
  return printed;
}

// Every client method and export the push uses, gathered by pushing the
// fixture twice (creating, then updating, the projections).
async function apiUsed() {
  const cluster = fakeCluster();
  await pushTo(cluster);
  await pushTo(cluster);
  return { methods: [...cluster.methodsCalled].sort(), exports: Object.keys(fakeLib).sort() };
}

test('a push to an empty cluster writes every stream with its ids and creates the projections', async () => {
  const cluster = fakeCluster();
  const printed = await pushTo(cluster);
  for (const { stream, events } of bank.streams) {
    assert.deepEqual(cluster.ids(stream), idsOf(stream), stream);
    assert.deepEqual(cluster.stored(stream).map(({ type, data, metadata }) => ({ eventType: type, data, metadata })),
      events.map(({ eventType, data, metadata }) => ({ eventType, data, metadata })), stream);
  }
  assert.deepEqual(cluster.appends.map(({ stream, streamState }) => [stream, streamState]), [['account-ada', 'no_stream'], ['account-grace', 'no_stream'], ['notes', 'no_stream']]);
  assert.deepEqual(cluster.projection('balances'), { query: bank.projections[0].query, emitEnabled: true });
  assert.deepEqual(cluster.projection('overdrafts'), { query: bank.projections[1].query, emitEnabled: false });
  assert.deepEqual(printed.map(({ call }) => call), ['appendToStream', 'appendToStream', 'appendToStream', 'createProjection', 'createProjection']);
});

test('pushing again writes nothing and updates the projections\' queries', async () => {
  const cluster = fakeCluster();
  await pushTo(cluster);
  const printed = await pushTo(cluster);
  assert.equal(cluster.appends.length, 3, 'the second push appended nothing');
  assert.deepEqual(printed.map(({ call, name }) => [call, name]), [['updateProjection', 'balances'], ['updateProjection', 'overdrafts']]);
  assert.deepEqual(cluster.ids('account-ada'), idsOf('account-ada'));
});

test('a push that stopped part way continues from each stream\'s revision on the cluster', async () => {
  const ada = idsOf('account-ada');
  const cluster = fakeCluster({ streams: { 'account-ada': ada.slice(0, 2) }, projections: ['balances'] });
  await pushTo(cluster);
  assert.deepEqual(cluster.appends[0], { stream: 'account-ada', streamState: 1n, ids: ada.slice(2) });
  assert.deepEqual(cluster.ids('account-ada'), ada);
  assert.deepEqual(cluster.projection('balances'), { query: bank.projections[0].query, emitEnabled: true });
});

test('a stream another writer wrote differently is not touched, and the message names it and the revision', async () => {
  const cluster = fakeCluster({ streams: { 'account-grace': [idsOf('account-grace')[0], '00000000-0000-4000-8000-0000000000bb'] } });
  await assert.rejects(pushTo(cluster), (error) => error instanceof PushError && /^stream "account-grace" differs at revision 1:/.test(error.message));
  assert.equal(cluster.appends.length, 0, 'nothing is appended once a stream diverges');
});

test('an append refused mid-push stops there, and a second run finishes the job', async () => {
  const cluster = fakeCluster();
  cluster.failAppendsTo('account-grace', new WrongExpectedVersionError('expected no_stream, actual 0'));
  await assert.rejects(pushTo(cluster), (error) => error instanceof PushError
    && error.message.startsWith('appending 2 events to "account-grace" at no_stream failed: expected no_stream, actual 0. The calls printed before this line are on the cluster'));
  assert.deepEqual(cluster.appends.map(({ stream }) => stream), ['account-ada']);
  cluster.failAppendsTo('account-grace');
  const printed = await pushTo(cluster);
  assert.deepEqual(cluster.appends.map(({ stream, streamState }) => [stream, streamState]),
    [['account-ada', 'no_stream'], ['account-grace', 'no_stream'], ['notes', 'no_stream']]);
  assert.deepEqual(printed.map(({ call }) => call), ['appendToStream', 'appendToStream', 'createProjection', 'createProjection']);
  for (const { stream } of bank.streams) assert.deepEqual(cluster.ids(stream), idsOf(stream), stream);
});

test('an unreachable cluster is named in the message', async () => {
  const cluster = fakeCluster();
  cluster.client.readStream = () => (async function* unreachable() { throw new UnavailableError('14 UNAVAILABLE: connect ECONNREFUSED'); })();
  await assert.rejects(pushTo(cluster), /reading the last event of "account-ada" failed: no KurrentDB answers at kurrentdb:\/\/fake \(14 UNAVAILABLE: connect ECONNREFUSED\)/);
});

const installed = existsSync(clientPackage);
const notInstalled = !installed && 'scripts/node_modules has no @kurrent/kurrentdb-client (run npm ci in scripts/)';

test('every client method and package export the push uses exists in @kurrent/kurrentdb-client', { skip: notInstalled }, async () => {
  const lib = await import(new URL('../../scripts/node_modules/@kurrent/kurrentdb-client/dist/index.js', import.meta.url));
  const { methods, exports } = await apiUsed();
  assert.deepEqual(methods, ['appendToStream', 'createProjection', 'listProjections', 'readStream', 'updateProjection']);
  const client = lib.KurrentDBClient.connectionString('kurrentdb://localhost:2113?tls=false');
  try {
    for (const method of [...methods, 'dispose']) assert.equal(typeof client[method], 'function', `client.${method}`);
  } finally {
    await client.dispose();
  }
  for (const name of exports) {
    assert.equal(typeof lib[name], typeof fakeLib[name], `the package's ${name}`);
    if (typeof fakeLib[name] === 'string') assert.equal(lib[name], fakeLib[name], `the package's ${name}`);
  }
  const args = { id: '00000000-0000-4000-8000-000000000001', type: 'Opened', data: { a: 1 }, metadata: { $correlationId: 'c' } };
  assert.deepEqual(lib.jsonEvent(args), fakeLib.jsonEvent(args), 'jsonEvent keeps the id, type, data and metadata given');
});

test('the live push through the real client names a cluster that does not answer', { skip: notInstalled, timeout: 60_000 }, async () => {
  const fixture = fileURLToPath(new URL('fixtures/bank.kurrentdb.json', import.meta.url));
  const connection = 'kurrentdb://127.0.0.1:1?tls=false';
  const { code, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [script, fixture, '--connection', connection], { timeout: 50_000 }, (error, out, err) => resolve({ code: error ? error.code : 0, stdout: out, stderr: err }));
  });
  assert.equal(code, 1, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /^push-to-kurrentdb: reading the last event of "account-ada" failed: no KurrentDB answers at kurrentdb:\/\/127\.0\.0\.1:1\?tls=false/);
});
