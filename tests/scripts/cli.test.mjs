// The push script as a user runs it: `node scripts/push-to-kurrentdb.mjs`
// in a child process, its output lines parsed, its exit code checked.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/push-to-kurrentdb.mjs', import.meta.url));
const fixture = (name) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'push-to-kurrentdb-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(args, scriptPath = script) {
  return new Promise((resolve) => {
    execFile(process.execPath, [scriptPath, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

function writeExport(name, content) {
  const path = join(scratch, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const kurrentDbExport = (streams, projections = []) => ({ format: 'kurrentdb-events', formatVersion: 1, sandbox: 't', exported: '2026-11-27T18:00:00.000Z', streams, projections });
const anEvent = { eventId: '00000000-0000-4000-8000-000000000001', eventType: 'Opened', data: {}, metadata: {} };

test('--dry-run prints one JSON line per call for an empty cluster, then a summary', { timeout: 30_000 }, async () => {
  const { code, stdout, stderr } = await run([fixture('bank.kurrentdb.json'), '--dry-run']);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines.slice(0, 3).map(({ call, stream, streamState, events }) => ({ call, stream, streamState, types: events.map((event) => event.type) })), [
    { call: 'appendToStream', stream: 'account-ada', streamState: 'no_stream', types: ['AccountOpened', 'Deposited', 'TransferSent'] },
    { call: 'appendToStream', stream: 'account-grace', streamState: 'no_stream', types: ['AccountOpened', 'TransferReceived'] },
    { call: 'appendToStream', stream: 'notes', streamState: 'no_stream', types: ['Noted'] },
  ]);
  assert.deepEqual(lines[0].events[0], { id: '00000000-0000-4000-8000-000000000001', type: 'AccountOpened' });
  const exported = JSON.parse(readFileSync(fixture('bank.kurrentdb.json'), 'utf8'));
  assert.deepEqual(lines.slice(3, 5), exported.projections.map(({ name, query, emitEnabled }) => ({ call: 'createProjection', name, query, emitEnabled })));
  assert.deepEqual(lines[5], {
    summary: {
      dryRun: true, sandbox: 'bank', streams: 3, appends: 3, eventsAppended: 6, streamsAlreadyPushed: [], projectionsCreated: 2, projectionsUpdated: 0,
    },
  });
  assert.equal(lines.length, 6);
});

test('--dry-run of the whole-sandbox file prints the same calls as its KurrentDB export', { timeout: 30_000 }, async () => {
  const [fromSandbox, fromKurrentDb] = await Promise.all([
    run([fixture('bank.sandbox.json'), '--dry-run']),
    run([fixture('bank.kurrentdb.json'), '--dry-run']),
  ]);
  assert.equal(fromSandbox.code, 0, fromSandbox.stderr);
  assert.equal(fromSandbox.stdout, fromKurrentDb.stdout);
});

test('--dry-run needs no installed client: the script alone, away from scripts/node_modules, still plans', { timeout: 30_000 }, async () => {
  const alone = join(scratch, 'push-to-kurrentdb.mjs');
  copyFileSync(script, alone);
  const { code, stdout, stderr } = await run([fixture('bank.kurrentdb.json'), '--dry-run'], alone);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim().split('\n').length, 6);
  const live = await run([fixture('bank.kurrentdb.json')], alone);
  assert.equal(live.code, 1);
  assert.match(live.stderr, /^push-to-kurrentdb: the KurrentDB client is not installed: run `npm ci` in scripts\//);
});

test('bad input exits non-zero with one message naming what was wrong', { timeout: 60_000 }, async () => {
  const cases = [
    [[join(scratch, 'missing.json')], 1, /cannot read .*missing\.json: no such file/],
    [[writeExport('truncated.json', '{\n  "format": "kurrentdb-events",\n  "streams": [\n')], 1, /^push-to-kurrentdb: truncated\.json is not JSON: .* at line 4, column 1$/m],
    [[writeExport('comma.json', '{\n  "format": "kurrentdb-events",\n}')], 1, /^push-to-kurrentdb: comma\.json is not JSON: .* at line 3, column 1$/m],
    [[writeExport('ndjson.json', '{"stream":"a"}\n{"stream":"b"}\n')], 1, /^push-to-kurrentdb: ndjson\.json is not JSON: .* at line 2, column 1$/m],
    [[writeExport('sandbox.ndjson', '{"stream":"a"}\n')], 1, /sandbox\.ndjson is an NDJSON export, which has no projections; push the <sandbox>\.kurrentdb\.json or <sandbox>\.sandbox\.json export instead/],
    [[writeExport('format.json', { format: 'ndjson', formatVersion: 1 })], 1,
      /format\.json: "format" is "ndjson"; expected "kurrentdb-events" \(a KurrentDB events export\) or "es-sandbox" \(a whole sandbox\)/],
    [[writeExport('no-id.json', kurrentDbExport([{ stream: 'account-ada', events: [anEvent, { ...anEvent, eventId: undefined }] }]))], 1,
      /no-id\.json: streams\[0\] \("account-ada"\)\.events\[1\] has no eventId/],
    [[writeExport('bad-id.json', kurrentDbExport([{ stream: 'a', events: [{ ...anEvent, eventId: 'evt-1' }] }]))], 1,
      /bad-id\.json: streams\[0\] \("a"\)\.events\[0\]\.eventId is "evt-1"; expected a UUID/],
    [[writeExport('no-type.json', kurrentDbExport([{ stream: 'a', events: [{ ...anEvent, eventType: '' }] }]))], 1, /events\[0\]\.eventType is ""; expected a non-empty string/],
    [[writeExport('null-meta.json', kurrentDbExport([{ stream: 'a', events: [{ ...anEvent, metadata: null }] }]))], 1,
      /events\[0\]\.metadata is null; expected a JSON object \(\{\} when the event has none\)/],
    [[writeExport('system.json', kurrentDbExport([{ stream: '$ce-account', events: [anEvent] }]))], 1, /streams\[0\]\.stream is the system stream "\$ce-account"/],
    [[writeExport('empty.json', kurrentDbExport([{ stream: 'a', events: [] }]))], 1, /streams\[0\] \("a"\)\.events is empty; a stream has at least one event/],
    [[writeExport('twice.json', kurrentDbExport([{ stream: 'a', events: [anEvent] }, { stream: 'a', events: [anEvent] }]))], 1, /streams\[1\]: stream "a" is listed twice/],
    [[writeExport('query.json', kurrentDbExport([], [{ name: 'balances', emitEnabled: false }]))], 1, /projections\[0\] \("balances"\)\.query is missing; expected the projection's source/],
    [[writeExport('by-category.json', kurrentDbExport([], [{ name: '$by_category', query: 'native', emitEnabled: false }]))], 1,
      /projections\[0\] is the system projection "\$by_category"/],
    [[writeExport('sandbox-id.json', { format: 'es-sandbox', formatVersion: 1, events: [{ stream: 'a', version: 0, position: 0, type: 'T', data: {}, metadata: null }], projections: [] })], 1,
      /sandbox-id\.json: events\[0\] \(0@a\) has no id/],
    [[], 2, /name the export file to push/],
    [[fixture('bank.kurrentdb.json'), '--dryrun'], 2, /Unknown option '--dryrun'/],
  ];
  for (const [args, expectedCode, message] of cases) {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, expectedCode, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, message, args.join(' '));
    assert.equal(stdout, '', `${args.join(' ')} prints no call`);
  }
});
