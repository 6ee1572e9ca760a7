// The reducer worker: runs one projection, written in EventStoreDB's
// projection dialect, off the page's main thread.
//
// It reads the events it needs from the sandbox's IndexedDB itself, in large
// getAll batches (a worker can open IndexedDB), so no event crosses a thread
// boundary one at a time. The page only says how far to go, and is told the
// result. The page also keeps a watchdog: a handler that never returns stops
// this worker's messages, and the page terminates it.
//
// Messages in:  define, restore, catchUp, state, checkpoint, partitions
// Messages out: defined, restored, progress, starting, caughtUp, state,
//               checkpoint, partitions, fault
'use strict';

const SOURCE_URL = 'projection.js';
// Lines that `new Function` puts before the body.
const FUNCTION_PREFIX_LINES = 2;
const READ_BATCH = 5000;
const HEARTBEAT_MS = 50;

let definition = null;
let timeoutMs = 250;
let position = -1;
let eventsProcessed = 0;
let shared;
let partitions = new Map();
let logs = [];
// The event being handled, so log() can say which event produced a line.
let current = null;

const categoryOf = (stream) => {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
};

class Fault extends Error {
  constructor(reason, line) {
    super(reason);
    this.line = line;
  }
}

/** The projection dialect: the functions a projection's source may call. */
function dialect(def) {
  const output = {};
  const after = (x) => Object.assign(output, x);
  function transformBy(fn) { def.transforms.push(fn); return output; }
  function filterBy(fn) { def.transforms.push((s) => (fn(s) ? s : null)); return output; }
  function outputState() { def.outputState = true; return output; }
  function outputTo(stream, pattern) { def.outputState = true; def.options.resultStreamName = stream; def.options.partitionResultStreamNamePattern = pattern; }
  after({ transformBy, filterBy, outputState, outputTo });
  function when(handlers) {
    if (def.handlers) throw new Fault('when() is called twice; give every handler in one when({...})');
    if (!handlers || typeof handlers !== 'object') throw new Fault('when() takes an object of handlers, such as when({ $init: () => ({}), Deposited: (s, e) => s })');
    for (const [name, fn] of Object.entries(handlers)) {
      if (typeof fn !== 'function') throw new Fault(`the handler for ${name} is not a function`);
    }
    def.handlers = handlers;
    return output;
  }
  function foreachStream() { def.by = 'stream'; return { when }; }
  function partitionBy(fn) {
    if (typeof fn !== 'function') throw new Fault('partitionBy() takes a function of the event that returns the partition key');
    def.by = fn;
    return { when };
  }
  const selected = () => ({ foreachStream, partitionBy, when, outputState });
  const source = (kind, names) => {
    if (def.sourceKind) throw new Fault('a projection has one source: call one of fromAll, fromStream(s), fromCategory/ies once');
    def.sourceKind = kind;
    def.names = new Set(names.flat().map(String));
    return selected();
  };
  return {
    fromAll: () => source('all', []),
    fromStream: (stream) => source('streams', [stream]),
    fromStreams: (...streams) => source('streams', streams),
    fromCategory: (category) => source('categories', [category]),
    fromCategories: (...categories) => source('categories', categories),
    options: (o) => { Object.assign(def.options, o); },
    emit: (stream, eventType, data, metadata) => emitted(def, stream, eventType, data, metadata),
    linkTo: (stream, event, metadata) => emitted(def, stream, '$>', `${event.sequenceNumber}@${event.streamId}`, metadata),
    log: (...parts) => {
      const message = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
      const at = current ?? {};
      def.logged.push({ message, position: at.position ?? null, stream: at.stream ?? null, version: at.version ?? null, type: at.type ?? null });
    },
  };
}

/** Keeps an emitted event with the source event that caused it. */
function emitted(def, stream, eventType, data, metadata) {
  if (typeof stream !== 'string' || stream === '') throw new Error('emit and linkTo need a stream name');
  if (typeof eventType !== 'string' || eventType === '') throw new Error('emit needs an event type');
  const source = current ?? {};
  const sourceMetadata = source.metadata ? parseJson(source.metadata) : {};
  def.emitted.push({
    stream, type: eventType, data: data === undefined ? null : data,
    metadata: { ...(metadata ?? {}), $causationId: source.id, $correlationId: sourceMetadata.$correlationId ?? source.id },
    sourcePosition: source.position,
  });
}

/** The line in the projection's source that an error's stack points at. */
function sourceLine(error) {
  const match = String(error && error.stack).match(new RegExp(`${SOURCE_URL.replace('.', '\\.')}:(\\d+):\\d+`));
  return match ? Number(match[1]) - FUNCTION_PREFIX_LINES : undefined;
}

function define(source) {
  const def = { sourceKind: null, names: new Set(), by: null, handlers: null, transforms: [], outputState: false, options: {}, emitted: [], logged: [] };
  const api = dialect(def);
  let body;
  try {
    body = new Function(...Object.keys(api), `${source}\n//# sourceURL=${SOURCE_URL}`);
  } catch (error) {
    throw new Fault(`the source does not parse: ${error.message}`, syntaxErrorLine(source));
  }
  try {
    body(...Object.values(api));
  } catch (error) {
    if (error instanceof Fault) throw error;
    throw new Fault(`the source failed while defining the projection: ${error.name}: ${error.message}`, sourceLine(error));
  }
  if (!def.sourceKind) throw new Fault('the projection has no source: start with fromAll(), fromStream(s), fromCategory(...) or fromCategories(...)');
  if (!def.handlers) throw new Fault('the projection has no handlers: add .when({ ... })');
  def.biState = def.options.biState === true;
  return def;
}

/**
 * `new Function` reports no line for a syntax error. Compiling ever longer
 * prefixes of the source finds the first line after which the error is no
 * longer "unexpected end of input", which is where the mistake is.
 */
function syntaxErrorLine(source) {
  const lines = source.split('\n');
  let low = 1;
  let high = lines.length;
  const fails = (n) => {
    try { new Function(lines.slice(0, n).join('\n')); return false; } catch (e) { return !/end of input|missing \)|Unexpected end/.test(e.message); }
  };
  if (!fails(lines.length)) return undefined;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (fails(mid)) high = mid; else low = mid + 1;
  }
  return low;
}

/** Streams this projection writes; it never reads its own output back. */
let owned = new Set();

function selects(record) {
  if (owned.has(record.stream)) return false;
  if (definition.sourceKind === 'all') return !record.stream.startsWith('$');
  if (definition.sourceKind === 'streams') return definition.names.has(record.stream);
  return definition.names.has(categoryOf(record.stream));
}

function parseJson(text) {
  try { return JSON.parse(text); } catch { return text; }
}

function envelope(record) {
  const data = parseJson(record.data);
  return {
    data, body: data, bodyRaw: record.data, isJson: true,
    eventType: record.type, streamId: record.stream, sequenceNumber: record.version,
    metadata: parseJson(record.metadata), metadataRaw: record.metadata,
    partition: '', eventId: record.id, position: record.position, created: record.created,
  };
}

function initialState() {
  return definition.handlers.$init ? definition.handlers.$init() : {};
}

function where(record) {
  return `position ${record.position} (${record.version}@${record.stream}, ${record.type})`;
}

/** Applies one event; `record` is as IndexedDB holds it. */
function apply(record) {
  const handlers = definition.handlers;
  const handler = Object.prototype.hasOwnProperty.call(handlers, record.type) && !record.type.startsWith('$')
    ? handlers[record.type]
    : handlers.$any;
  if (!handler) return;
  const event = envelope(record);
  let key = '';
  if (definition.by === 'stream') key = record.stream;
  else if (definition.by) {
    key = call(definition.by, [event], record, 'partitionBy');
    if (key === undefined || key === null || key === '') return;
    key = String(key);
  }
  event.partition = key;
  if (shared === undefined && definition.biState) {
    shared = definition.handlers.$initShared ? definition.handlers.$initShared() : {};
  }
  let state;
  if (partitions.has(key)) {
    state = partitions.get(key);
  } else {
    state = call(initialState, [], record, '$init');
    if (handlers.$created) state = run(handlers.$created, state, event, record, '$created');
  }
  state = run(handler, state, event, record, record.type);
  partitions.set(key, state);
}

/** Calls a state handler: it may mutate the state and return nothing, or return a new one. */
function run(handler, state, event, record, name) {
  if (definition.biState) {
    const pair = [state, shared];
    const returned = call(handler, [pair, event], record, name);
    const next = returned === undefined ? pair : returned;
    shared = next[1];
    return next[0];
  }
  const returned = call(handler, [state, event], record, name);
  return returned === undefined ? state : returned;
}

function call(fn, args, record, name) {
  const started = performance.now();
  let value;
  try {
    value = fn(...args);
  } catch (error) {
    throw new Fault(`${name} threw at ${where(record)}: ${error && error.name ? `${error.name}: ${error.message}` : String(error)}`, sourceLine(error));
  }
  const took = performance.now() - started;
  if (took > timeoutMs) {
    throw new Fault(`${name} ran ${Math.round(took)} ms at ${where(record)}, longer than the ${timeoutMs} ms limit`);
  }
  return value;
}

function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onupgradeneeded = () => {
      request.transaction.abort();
      reject(new Error(`the sandbox database ${name} does not exist`));
    };
  });
}

function readBatch(db, from, to) {
  return new Promise((resolve, reject) => {
    const range = IDBKeyRange.bound(from, to);
    const request = db.transaction(['events']).objectStore('events').getAll(range, READ_BATCH);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Folds every stored event after `position` up to `to` (inclusive). */
async function catchUp({ database, to, careful, ownedStreams }) {
  owned = new Set(ownedStreams ?? []);
  const db = await openDatabase(database);
  let lastBeat = performance.now();
  try {
    // Reads while there is something after `position` up to `to`.
    while (position < to) {
      const records = await readBatch(db, position + 1, to);
      if (records.length === 0) break;
      for (const record of records) {
        if (careful) postMessage({ op: 'starting', position: record.position });
        else if (performance.now() - lastBeat > HEARTBEAT_MS) {
          postMessage({ op: 'progress', position });
          lastBeat = performance.now();
        }
        if (selects(record)) {
          current = record;
          apply(record);
          eventsProcessed += 1;
        }
        position = record.position;
      }
      if (records.length < READ_BATCH) break;
    }
  } finally {
    db.close();
  }
  const emittedEvents = definition.emitted.splice(0);
  const logged = logs.splice(0);
  return { op: 'caughtUp', position, eventsProcessed, partitions: partitions.size, emitted: emittedEvents, logs: logged };
}

function result(state) {
  let value = state;
  for (const transform of definition.transforms) {
    if (value === null) break;
    value = transform(value);
  }
  return value;
}

function stateOf(partition) {
  if (definition.biState && partition == null) return shared ?? null;
  const key = partition ?? '';
  return partitions.has(key) ? partitions.get(key) : null;
}

const handlers = {
  define({ source, timeout }) {
    timeoutMs = timeout ?? timeoutMs;
    definition = define(source);
    logs = definition.logged;
    return { op: 'defined', biState: definition.biState, partitioned: definition.by !== null, sourceKind: definition.sourceKind };
  },
  restore({ checkpoint }) {
    position = checkpoint.position;
    eventsProcessed = checkpoint.eventsProcessed;
    shared = checkpoint.shared ?? undefined;
    partitions = new Map(checkpoint.partitions);
    return { op: 'restored', position };
  },
  catchUp: (message) => catchUp(message),
  state({ partition }) {
    const state = stateOf(partition);
    return { op: 'state', state, result: result(state) };
  },
  checkpoint() {
    return { op: 'checkpoint', checkpoint: { position, eventsProcessed, shared: shared ?? null, partitions: [...partitions] } };
  },
  partitions() {
    return { op: 'partitions', keys: [...partitions.keys()] };
  },
};

self.onmessage = async ({ data }) => {
  try {
    postMessage({ id: data.id, ...(await handlers[data.op](data)) });
  } catch (error) {
    const fault = error instanceof Fault ? error : new Fault(`${error && error.name}: ${error && error.message}`);
    postMessage({ id: data.id, op: 'fault', reason: fault.message, line: fault.line ?? null, position });
  }
};
