#!/usr/bin/env node
// Pushes an es-sandbox export to a running KurrentDB over gRPC, with the
// official client (@kurrent/kurrentdb-client; AtomPub over HTTP is off by
// default in current KurrentDB, so it is not used).
//
//   node scripts/push-to-kurrentdb.mjs <export.json> [--connection <kurrentdb://…>] [--dry-run]
//
// It reads each stream's state on the cluster first and appends only what
// is missing, with the stream's expected revision, so running it again is
// safe. It then creates the projections as continuous ones, or updates the
// query of those that exist. `--dry-run` loads no client, assumes an empty
// cluster and prints the calls it would make, one JSON line each.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_CONNECTION = 'kurrentdb://localhost:2113?tls=false';

// KurrentDB's MaxAppendSize was 1 MiB up to v25.0; half of it leaves room
// for the gRPC envelope and keeps every append under the limit of any
// version.
export const APPEND_BYTES_LIMIT = 512 * 1024;

const USAGE = `usage: node scripts/push-to-kurrentdb.mjs <export.json> [--connection <kurrentdb://…>] [--dry-run]
  <export.json>   a KurrentDB events export (<sandbox>.kurrentdb.json) or a whole sandbox (<sandbox>.sandbox.json)
  --connection    the cluster's connection string (default ${DEFAULT_CONNECTION})
  --dry-run       print the calls for an empty cluster, one JSON line each; connects to nothing`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The export itself is wrong: its message names the file and the field. */
export class ExportError extends Error {
  name = 'ExportError';
}

/** The push cannot go on: the cluster holds something else, or a call failed. */
export class PushError extends Error {
  name = 'PushError';
}

// ---------------------------------------------------------------------------
// Reading an export

/**
 * Parses either export format into `{ sandbox, streams: [{ stream, events:
 * [{ eventId, eventType, data, metadata }] }], projections: [{ name, query,
 * emitEnabled }] }`, or throws an ExportError naming what was wrong.
 */
export function parseExport(text, fileName = 'the export') {
  const document = parseJson(text, fileName);
  const where = (path) => `${fileName}: ${path}`;
  if (!isObject(document)) throw new ExportError(`${fileName}: the top level is ${describe(document)}; expected an object with "format"`);
  if (document.format === 'kurrentdb-events') {
    requireVersion(document, where);
    return checkKurrentDbExport(document, where);
  }
  if (document.format === 'es-sandbox') {
    requireVersion(document, where);
    return convertSandboxExport(document, where);
  }
  throw new ExportError(where(`"format" is ${describe(document.format)}; expected "kurrentdb-events" (a KurrentDB events export) or "es-sandbox" (a whole sandbox)`));
}

function parseJson(text, fileName) {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 names the offset where parsing stopped, except when the text ends
    // early; a line and column are what an editor can go to.
    const position = /at position (\d+)/.exec(error.message);
    const offset = position ? Number(position[1]) : /end of JSON input/.test(error.message) ? text.length : null;
    if (offset === null) throw new ExportError(`${fileName} is not JSON: ${error.message}`);
    const before = text.slice(0, offset).split('\n');
    const reason = error.message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ at position \d+/, '');
    throw new ExportError(`${fileName} is not JSON: ${reason} at line ${before.length}, column ${before.at(-1).length + 1}`);
  }
}

function requireVersion(document, where) {
  if (document.formatVersion !== 1) {
    throw new ExportError(where(`"formatVersion" is ${describe(document.formatVersion)}; this script reads version 1`));
  }
}

function checkKurrentDbExport(document, where) {
  const streams = requireArray(document.streams, where('"streams"'));
  const seen = new Set();
  const checked = streams.map((entry, index) => {
    const at = `streams[${index}]`;
    if (!isObject(entry)) throw new ExportError(where(`${at} is ${describe(entry)}; expected { stream, events }`));
    const stream = requireStreamName(entry.stream, where(`${at}.stream`));
    if (seen.has(stream)) throw new ExportError(where(`${at}: stream "${stream}" is listed twice`));
    seen.add(stream);
    const events = requireArray(entry.events, where(`${at} ("${stream}").events`));
    if (events.length === 0) throw new ExportError(where(`${at} ("${stream}").events is empty; a stream has at least one event`));
    return { stream, events: events.map((event, i) => checkEvent(event, where(`${at} ("${stream}").events[${i}]`))) };
  });
  const projections = requireArray(document.projections, where('"projections"')).map((entry, index) => {
    const at = where(`projections[${index}]`);
    if (!isObject(entry)) throw new ExportError(`${at} is ${describe(entry)}; expected { name, query, emitEnabled }`);
    return checkProjection(entry.name, entry.query, entry.emitEnabled, at, 'query');
  });
  return { sandbox: document.sandbox, streams: checked, projections };
}

function checkEvent(event, at) {
  if (!isObject(event)) throw new ExportError(`${at} is ${describe(event)}; expected { eventId, eventType, data, metadata }`);
  if (event.eventId === undefined) throw new ExportError(`${at} has no eventId`);
  if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) {
    throw new ExportError(`${at}.eventId is ${describe(event.eventId)}; expected a UUID`);
  }
  if (typeof event.eventType !== 'string' || event.eventType === '') {
    throw new ExportError(`${at}.eventType is ${describe(event.eventType)}; expected a non-empty string`);
  }
  if (event.data === undefined) throw new ExportError(`${at} has no data`);
  if (!isObject(event.metadata)) {
    throw new ExportError(`${at}.metadata is ${describe(event.metadata)}; expected a JSON object ({} when the event has none)`);
  }
  return { eventId: event.eventId, eventType: event.eventType, data: event.data, metadata: event.metadata };
}

function checkProjection(name, query, emitEnabled, at, queryField) {
  if (typeof name !== 'string' || name === '') throw new ExportError(`${at}.name is ${describe(name)}; expected a non-empty string`);
  if (name.startsWith('$')) {
    throw new ExportError(`${at} is the system projection "${name}": KurrentDB has its own, so leave it out of the export`);
  }
  if (typeof query !== 'string') throw new ExportError(`${at} ("${name}").${queryField} is ${describe(query)}; expected the projection's source`);
  if (typeof emitEnabled !== 'boolean') throw new ExportError(`${at} ("${name}").emitEnabled is ${describe(emitEnabled)}; expected true or false`);
  return { name, query, emitEnabled };
}

function requireStreamName(stream, at) {
  if (typeof stream !== 'string' || stream === '') throw new ExportError(`${at} is ${describe(stream)}; expected a stream name`);
  if (stream.startsWith('$')) {
    throw new ExportError(`${at} is the system stream "${stream}": KurrentDB writes its own system streams, so leave it out of the export`);
  }
  return stream;
}

/**
 * A whole sandbox becomes a KurrentDB events export by the exporter's
 * rules: only user streams (not `$`, and not a projection's output, which
 * the projections write again on the cluster), each in version order,
 * ordered by their first event's position; `metadata` null becomes `{}`;
 * `source` becomes `query`. A projection's output is recognised by the tags
 * every event a projection writes carries (`$v` and `$p`). A projection's
 * `running` is not kept: the cluster creates every projection running.
 */
function convertSandboxExport(document, where) {
  const events = requireArray(document.events, where('"events"')).map((event, index) => checkRecorded(event, where(`events[${index}]`)));
  events.sort((a, b) => a.position - b.position);
  const byStream = new Map();
  for (const event of events) {
    if (!byStream.has(event.stream)) byStream.set(event.stream, []);
    byStream.get(event.stream).push(event);
  }
  const streams = [];
  for (const [stream, recorded] of byStream) {
    if (stream.startsWith('$') || recorded.some(isProjectionOutput)) continue;
    recorded.sort((a, b) => a.version - b.version);
    streams.push({
      stream,
      events: recorded.map((event) => ({ eventId: event.id, eventType: event.type, data: event.data, metadata: event.metadata ?? {} })),
    });
  }
  const projections = requireArray(document.projections, where('"projections"')).map((entry, index) => {
    const at = where(`projections[${index}]`);
    if (!isObject(entry)) throw new ExportError(`${at} is ${describe(entry)}; expected { name, source, emitEnabled, running }`);
    return checkProjection(entry.name, entry.source, entry.emitEnabled, at, 'source');
  });
  return { sandbox: document.sandbox, streams, projections };
}

function checkRecorded(event, at) {
  if (!isObject(event)) throw new ExportError(`${at} is ${describe(event)}; expected a recorded event`);
  if (typeof event.stream !== 'string' || event.stream === '') throw new ExportError(`${at}.stream is ${describe(event.stream)}; expected a stream name`);
  for (const field of ['version', 'position']) {
    if (!Number.isSafeInteger(event[field]) || event[field] < 0) {
      throw new ExportError(`${at} ("${event.stream}").${field} is ${describe(event[field])}; expected a whole number from 0`);
    }
  }
  const described = `${at} (${event.version}@${event.stream})`;
  if (event.id === undefined) throw new ExportError(`${described} has no id`);
  if (typeof event.id !== 'string' || !UUID.test(event.id)) throw new ExportError(`${described}.id is ${describe(event.id)}; expected a UUID`);
  if (typeof event.type !== 'string' || event.type === '') throw new ExportError(`${described}.type is ${describe(event.type)}; expected a non-empty string`);
  if (event.data === undefined) throw new ExportError(`${described} has no data`);
  if (event.metadata !== null && !isObject(event.metadata)) {
    throw new ExportError(`${described}.metadata is ${describe(event.metadata)}; expected a JSON object or null`);
  }
  return event;
}

function isProjectionOutput(event) {
  return event.metadata !== null && typeof event.metadata.$v === 'number' && typeof event.metadata.$p === 'number';
}

function requireArray(value, at) {
  if (!Array.isArray(value)) throw new ExportError(`${at} is ${describe(value)}; expected an array`);
  return value;
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value) {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

// ---------------------------------------------------------------------------
// Planning: the export and the cluster's state in, the calls out

/**
 * Decides the calls that bring the cluster up to the export. Pure: the
 * cluster's state comes in as `streams` (stream name → `{ lastRevision,
 * firstEvents: [{ revision, id }] }`, the stream's first events up to the
 * export's count; absent when the stream does not exist) and `projections`
 * (the names of the continuous projections that exist).
 *
 * Returns `{ calls, skipped }`: `appendToStream` calls with `streamState`
 * (`'no_stream'` or the revision, a BigInt, the stream must be at), split so
 * each append stays under `appendBytesLimit`; then a `createProjection` or
 * `updateProjection` per projection. `skipped` names the streams the cluster
 * already has in full. Throws a PushError when a stream on the cluster is
 * not a prefix of the export's (or the export's is not a prefix of it).
 */
export function planPush(exported, cluster = {}, { appendBytesLimit = APPEND_BYTES_LIMIT } = {}) {
  const streamsOnCluster = cluster.streams ?? new Map();
  const projectionsOnCluster = cluster.projections ?? new Set();
  const calls = [];
  const skipped = [];
  for (const { stream, events } of exported.streams) {
    const present = presentCount(stream, events, streamsOnCluster.get(stream));
    if (present >= events.length) {
      skipped.push({ stream, events: events.length, onCluster: present });
      continue;
    }
    let streamState = present === 0 ? 'no_stream' : BigInt(present - 1);
    for (const batch of batchesOf(events.slice(present), appendBytesLimit)) {
      calls.push({ call: 'appendToStream', stream, streamState, events: batch });
      streamState = (streamState === 'no_stream' ? -1n : streamState) + BigInt(batch.length);
    }
  }
  for (const { name, query, emitEnabled } of exported.projections) {
    calls.push({ call: projectionsOnCluster.has(name) ? 'updateProjection' : 'createProjection', name, query, emitEnabled });
  }
  return { calls, skipped };
}

/** How many of the export's events the cluster has, checked id by id. */
function presentCount(stream, events, onCluster) {
  if (!onCluster) return 0;
  const count = onCluster.lastRevision + 1n;
  const expected = count < BigInt(events.length) ? Number(count) : events.length;
  const { firstEvents } = onCluster;
  for (let index = 0; index < expected; index += 1) {
    const found = firstEvents[index];
    if (!found || BigInt(found.revision) !== BigInt(index)) {
      const at = found ? `starts at revision ${found.revision}` : `has no event at revision ${index}`;
      throw new PushError(`stream "${stream}" on the cluster ${at} (it was truncated or deleted there), so the export cannot continue it; ` +
        'push to a cluster without that stream');
    }
    if (found.id !== events[index].eventId) {
      throw new PushError(`stream "${stream}" differs at revision ${index}: the cluster has event id ${found.id}, the export ${events[index].eventId}; ` +
        'something else wrote that stream, so nothing was pushed');
    }
  }
  return Number(count);
}

function batchesOf(events, bytesLimit) {
  const batches = [];
  let batch = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(JSON.stringify(event.data)) + Buffer.byteLength(JSON.stringify(event.metadata));
    if (batch.length > 0 && bytes + size > bytesLimit) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** One call as a JSON line: events by id and type, revisions as numbers. */
export function describeCall(call) {
  const line = { ...call };
  if (call.events) line.events = call.events.map((event) => ({ id: event.eventId, type: event.eventType }));
  return JSON.stringify(line, (_key, value) => (typeof value === 'bigint' ? Number(value) : value));
}

export function summaryOf(exported, plan, { dryRun }) {
  const count = (name) => plan.calls.filter((call) => call.call === name).length;
  const appends = plan.calls.filter((call) => call.call === 'appendToStream');
  return {
    summary: {
      dryRun,
      sandbox: exported.sandbox ?? null,
      streams: exported.streams.length,
      appends: appends.length,
      eventsAppended: appends.reduce((sum, call) => sum + call.events.length, 0),
      streamsAlreadyPushed: plan.skipped.map(({ stream }) => stream),
      projectionsCreated: count('createProjection'),
      projectionsUpdated: count('updateProjection'),
    },
  };
}

// ---------------------------------------------------------------------------
// The cluster: reading its state and making the calls

/**
 * Pushes `exported` through `client` (a KurrentDBClient) with `lib` (the
 * client package's exports); `print` gets each line of output. Stops at
 * the first failed call: each append is atomic, so a run after the cause
 * is fixed picks up where this one stopped.
 */
export async function push(exported, { client, lib, print, connection = 'the cluster' }) {
  const explain = (error) => (error instanceof lib.UnavailableError
    ? `no KurrentDB answers at ${connection} (${error.message}); is it running, and does the connection string's tls= match it?`
    : error.message);
  const streams = new Map();
  for (const { stream, events } of exported.streams) {
    const state = await streamOnCluster(client, lib, stream, events.length, explain);
    if (state) streams.set(stream, state);
  }
  const projections = new Set();
  if (exported.projections.length > 0) {
    try {
      for (const projection of await client.listProjections()) projections.add(projection.name);
    } catch (error) {
      throw new PushError(`listing the cluster's projections failed: ${explain(error)} (KurrentDB runs projections only when started with --run-projections=All)`);
    }
  }
  const plan = planPush(exported, { streams, projections });
  for (const call of plan.calls) {
    try {
      await perform(client, lib, call);
    } catch (error) {
      throw new PushError(`${describeTarget(call)} failed: ${explain(error)}. ` +
        'The calls printed before this line are on the cluster; running the script again continues from there');
    }
    print(describeCall(call));
  }
  return plan;
}

async function streamOnCluster(client, lib, stream, exportCount, explain) {
  let lastRevision = null;
  try {
    for await (const resolved of client.readStream(stream, { direction: lib.BACKWARDS, fromRevision: lib.END, maxCount: 1 })) {
      lastRevision = BigInt(resolved.event.revision);
    }
  } catch (error) {
    if (error instanceof lib.StreamNotFoundError) return null;
    throw new PushError(`reading the last event of "${stream}" failed: ${explain(error)}`);
  }
  if (lastRevision === null) {
    throw new PushError(`stream "${stream}" exists on the cluster but has no event to read (it was truncated there), so the export cannot continue it`);
  }
  const wanted = lastRevision + 1n < BigInt(exportCount) ? lastRevision + 1n : BigInt(exportCount);
  const firstEvents = [];
  if (wanted > 0n) {
    try {
      for await (const resolved of client.readStream(stream, { direction: lib.FORWARDS, fromRevision: lib.START, maxCount: wanted })) {
        firstEvents.push({ revision: BigInt(resolved.event.revision), id: resolved.event.id });
      }
    } catch (error) {
      throw new PushError(`reading the first ${wanted} events of "${stream}" failed: ${explain(error)}`);
    }
  }
  return { lastRevision, firstEvents };
}

function perform(client, lib, call) {
  switch (call.call) {
    case 'appendToStream':
      return client.appendToStream(
        call.stream,
        call.events.map((event) => lib.jsonEvent({ id: event.eventId, type: event.eventType, data: event.data, metadata: event.metadata })),
        { streamState: call.streamState },
      );
    case 'createProjection':
      return client.createProjection(call.name, call.query, { emitEnabled: call.emitEnabled });
    case 'updateProjection':
      return client.updateProjection(call.name, call.query, { emitEnabled: call.emitEnabled });
    default:
      throw new Error(`unknown call ${call.call}`);
  }
}

function describeTarget(call) {
  if (call.call === 'appendToStream') {
    return `appending ${call.events.length} events to "${call.stream}" at ${call.streamState === 'no_stream' ? 'no_stream' : `revision ${call.streamState}`}`;
  }
  return `${call.call} "${call.name}"`;
}

// ---------------------------------------------------------------------------
// The command line

async function loadClient() {
  try {
    return await import('@kurrent/kurrentdb-client');
  } catch (error) {
    if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new PushError('the KurrentDB client is not installed: run `npm ci` in scripts/ (./scripts/setup.sh does it), or use --dry-run');
  }
}

class UsageError extends Error {
  name = 'UsageError';
}

function parseCommandLine(args) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { connection: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'name the export file to push' : `one export file at a time; got ${positionals.length}: ${positionals.join(', ')}`);
  }
  const connection = values.connection ?? DEFAULT_CONNECTION;
  if (connection.trim() === '') throw new UsageError('--connection is empty; give a connection string such as ' + DEFAULT_CONNECTION);
  return { file: positionals[0], connection, dryRun: Boolean(values['dry-run']) };
}

async function readExport(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error.code === 'ENOENT' ? 'no such file' : error.code === 'EISDIR' ? 'it is a directory' : error.message;
    throw new ExportError(`cannot read ${file}: ${reason}`);
  }
  if (file.endsWith('.ndjson')) {
    throw new ExportError(`${basename(file)} is an NDJSON export, which has no projections; push the <sandbox>.kurrentdb.json or <sandbox>.sandbox.json export instead`);
  }
  return parseExport(text, basename(file));
}

export async function main(args, { print = console.log, printError = console.error } = {}) {
  let options;
  try {
    options = parseCommandLine(args);
  } catch (error) {
    printError(`push-to-kurrentdb: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    print(USAGE);
    return 0;
  }
  let client;
  try {
    const exported = await readExport(options.file);
    if (options.dryRun) {
      const plan = planPush(exported);
      for (const call of plan.calls) print(describeCall(call));
      print(JSON.stringify(summaryOf(exported, plan, { dryRun: true })));
      return 0;
    }
    const lib = await loadClient();
    try {
      client = lib.KurrentDBClient.connectionString(options.connection);
    } catch (error) {
      throw new PushError(`the connection string ${JSON.stringify(options.connection)} is not valid: ${error.message}`);
    }
    const plan = await push(exported, { client, lib, print, connection: options.connection });
    print(JSON.stringify(summaryOf(exported, plan, { dryRun: false })));
    return 0;
  } catch (error) {
    if (!(error instanceof ExportError || error instanceof PushError)) throw error;
    printError(`push-to-kurrentdb: ${error.message}`);
    return 1;
  } finally {
    await client?.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
