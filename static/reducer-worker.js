// The reducer worker: runs one projection, written in EventStoreDB's
// projection dialect, off the page's main thread.
//
// It reads the events it needs from the sandbox's IndexedDB itself, in large
// getAll batches (a worker can open IndexedDB), so no event crosses a thread
// boundary one at a time. The page only says how far to go, and is told the
// result. The page also keeps a watchdog: a handler that never returns stops
// this worker's messages, and the page terminates it.
//
// The messages are the typed contract in src/projections/protocol.rs, which
// is the source of truth; the typedefs below mirror it. The page states
// every store rule in `define`; this script states only the protocol
// version it speaks. It is a classic worker script (no modules), and it
// touches no globals but self, postMessage, indexedDB, IDBKeyRange,
// performance, setInterval/clearInterval and setTimeout/clearTimeout, so
// tests can run it in node's vm; and, only to find the line of a syntax
// error, Worker, Blob and URL, which it does without when they are absent.
'use strict';

// ---------------------------------------------------------------------------
// The contract (mirrors src/projections/protocol.rs; change both together).
// ---------------------------------------------------------------------------

/**
 * The store's rules the worker applies, sent with every `define`.
 * @typedef {object} StoreRules
 * @property {string} categorySeparator A stream's category is the text before the first of these.
 * @property {string} systemPrefix Streams whose name starts with this are system streams.
 * @property {string} linkEventType The event type of a link event ...
 * @property {string} linkSeparator ... whose data is the string `${version}${linkSeparator}${stream}`.
 * @property {string} eventsStore The object store of EventRows, keyed by position.
 * @property {number} readBatch How many rows one read asks IndexedDB for.
 * @property {number} heartbeatMs The longest the worker stays silent while it is busy.
 */

/**
 * The worker's whole state at a position: what a restart continues from.
 * @typedef {object} Checkpoint
 * @property {number} position The last global position processed, -1 before any.
 * @property {number} eventsProcessed
 * @property {*} [shared] The shared state of a bi-state projection (null when none).
 * @property {Array<[string, *]>} partitions Partition keys and states, in the order the
 *   partitions were created. The root state of an unpartitioned projection has the key "".
 */

/**
 * Compile the projection. Answered by DefinedReply.
 * @typedef {object} DefineRequest
 * @property {number} id
 * @property {'define'} op
 * @property {number} protocol The protocol version the page speaks.
 * @property {string} source
 * @property {number} timeoutMs The most milliseconds one handler call may take.
 * @property {StoreRules} rules
 */
/**
 * Continue from a saved checkpoint. Answered by RestoredReply.
 * @typedef {object} RestoreRequest
 * @property {number} id
 * @property {'restore'} op
 * @property {Checkpoint} checkpoint
 */
/**
 * Fold every stored event after the worker's position up to `to`, inclusive.
 * Answered by CaughtUpReply.
 * @typedef {object} CatchUpRequest
 * @property {number} id
 * @property {'catchUp'} op
 * @property {string} database The IndexedDB database to read EventRows from.
 * @property {number} to
 * @property {boolean} careful Send a StartingHeartbeat before every event.
 * @property {string[]} ownedStreams Streams this projection writes; it never reads them back.
 */
/**
 * One partition's state (the root with none; the shared state of a bi-state
 * projection) and its result. Answered by StateReply.
 * @typedef {object} StateRequest
 * @property {number} id
 * @property {'state'} op
 * @property {string|null} [partition]
 */
/**
 * Everything needed to continue later. Answered by CheckpointReply.
 * @typedef {object} CheckpointRequest
 * @property {number} id
 * @property {'checkpoint'} op
 */
/**
 * The partition keys. Answered by PartitionsReply.
 * @typedef {object} PartitionsRequest
 * @property {number} id
 * @property {'partitions'} op
 */
/**
 * What the page asks; `id` travels beside the `op`.
 * @typedef {DefineRequest|RestoreRequest|CatchUpRequest|StateRequest|CheckpointRequest|PartitionsRequest} Request
 */

/**
 * How far a projection got.
 * @typedef {object} Progress
 * @property {number} position The last global position processed, -1 before any.
 * @property {number} eventsProcessed
 * @property {number} partitions
 */

/**
 * An event a handler emitted (or linked, with type rules.linkEventType).
 * @typedef {object} Emitted
 * @property {string} stream
 * @property {string} type
 * @property {*} data
 * @property {object} metadata
 * @property {number} sourcePosition The position of the event whose handler emitted it.
 */

/**
 * One `log()` line and the event that produced it (nulls outside a handler).
 * @typedef {object} LogLine
 * @property {string} message
 * @property {number|null} position
 * @property {string|null} stream
 * @property {number|null} version
 * @property {string|null} type
 */

/**
 * Which event something happened at.
 * @typedef {object} EventAt
 * @property {number} position
 * @property {string} stream
 * @property {number} version
 * @property {string} type
 */

/**
 * The source does not compile, or uses the dialect wrongly. A source that
 * does not parse has the line the parser stopped at, found by parsing it
 * again as a nested worker's script; with none, the message says the engine
 * did not say which line.
 * @typedef {{kind: 'definition', message: string, line: number|null}} DefinitionFault
 */
/**
 * A handler (or partitionBy, $init, ...) threw.
 * @typedef {{kind: 'threw', handler: string, at: EventAt, error: string, line: number|null}} ThrewFault
 */
/**
 * A handler returned, but took longer than the limit.
 * @typedef {{kind: 'tooSlow', handler: string, at: EventAt, tookMs: number, limitMs: number}} TooSlowFault
 */
/**
 * The worker could not read the store.
 * @typedef {{kind: 'storage', message: string}} StorageFault
 */
/**
 * The page and the worker do not understand each other.
 * @typedef {{kind: 'protocol', message: string}} ProtocolFault
 */
/**
 * Why the worker could not do what it was asked. The page composes the text
 * a person reads (Fault::reason); the worker only states the facts.
 * @typedef {DefinitionFault|ThrewFault|TooSlowFault|StorageFault|ProtocolFault} Fault
 */

/** @typedef {{id: number, op: 'defined', protocol: number, biState: boolean, partitioned: boolean}} DefinedReply */
/** @typedef {{id: number, op: 'restored', position: number}} RestoredReply */
/**
 * @typedef {{id: number, op: 'caughtUp', emitted: Emitted[], logs: LogLine[]} & Progress} CaughtUpReply
 * `emitted`: what handlers emitted or linked, in order; `logs`: log() lines since the last reply.
 */
/** @typedef {{id: number, op: 'state', state: *, result: *}} StateReply (null when none) */
/** @typedef {{id: number, op: 'checkpoint', checkpoint: Checkpoint}} CheckpointReply */
/** @typedef {{id: number, op: 'partitions', keys: string[]}} PartitionsReply */
/** @typedef {{id: number, op: 'fault', fault: Fault}} FaultReply */
/**
 * What the worker answers, with the request's `id`: exactly one per request.
 * @typedef {DefinedReply|RestoredReply|CaughtUpReply|StateReply|CheckpointReply|PartitionsReply|FaultReply} Reply
 */

/**
 * Messages with no `id`: the worker is alive. `progress`: still busy
 * (folding, or finding the line of a syntax error), `position` is the last
 * event done. `starting`: about to hand this event to its handler (careful
 * runs only).
 * @typedef {{op: 'progress', position: number}} ProgressHeartbeat
 * @typedef {{op: 'starting', at: EventAt}} StartingHeartbeat
 * @typedef {ProgressHeartbeat|StartingHeartbeat} Heartbeat
 */

/**
 * An event as the sandbox's IndexedDB holds it, in the `rules.eventsStore`
 * object store, keyed by `position`. Data and metadata stay JSON text.
 * @typedef {object} EventRow
 * @property {number} position
 * @property {string} stream
 * @property {number} version
 * @property {string} id
 * @property {string} type
 * @property {string} data JSON text
 * @property {string} metadata JSON text
 * @property {string} created ISO 8601 text
 * @property {string} [correlationId] Absent when the metadata has none.
 */

/** Bump with PROTOCOL_VERSION in protocol.rs when a message changes shape. */
const PROTOCOL_VERSION = 2;

const SOURCE_URL = 'projection.js';
// Lines that `new Function` puts before the body.
const FUNCTION_PREFIX_LINES = 2;
// What a nested worker's script says when the source in it parsed.
const PARSED = 'es-sandbox: the source parsed';
// How long a nested worker may take to say whether the source parses.
const PARSE_CHECK_MS = 3000;

// ---------------------------------------------------------------------------
// The worker's state.
// ---------------------------------------------------------------------------

let definition = null;
// The store rules and the handler limit, from the last define.
let timeoutMs = 0;
let categorySeparator = '';
let systemPrefix = '';
let linkEventType = '';
let linkSeparator = '';
let eventsStore = '';
let readBatchSize = 0;
let heartbeatMs = 0;

let position = -1;
let eventsProcessed = 0;
let shared;
let partitions = new Map();
let logs = [];
// The event (EventRow) being handled, so log() and emit() can say which
// event produced a line or an event; null outside a handler.
let current = null;

const categoryOf = (stream) => {
  const at = stream.indexOf(categorySeparator);
  return at < 0 ? stream : stream.slice(0, at);
};

/** An error that carries the structured Fault the page is sent. */
class FaultError extends Error {
  /** @param {Fault} fault */
  constructor(fault) {
    super(fault.message ?? fault.error ?? fault.kind);
    this.fault = fault;
  }
}

const definitionFault = (message, line) => new FaultError({ kind: 'definition', message, line: line ?? null });
const protocolFault = (message) => new FaultError({ kind: 'protocol', message });
const storageFault = (error) => (error instanceof FaultError
  ? error
  : new FaultError({ kind: 'storage', message: error ? errorText(error) : 'IndexedDB gave no reason' }));

/** "Name: message" for an Error, its text for anything else thrown. */
function errorText(error) {
  return error && error.name ? `${error.name}: ${error.message}` : String(error);
}

/** @returns {EventAt} */
function atOf(record) {
  return { position: record.position, stream: record.stream, version: record.version, type: record.type };
}

// ---------------------------------------------------------------------------
// The projection dialect.
// ---------------------------------------------------------------------------

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
    if (def.handlers) throw definitionFault('when() is called twice; give every handler in one when({...})');
    if (!handlers || typeof handlers !== 'object') throw definitionFault('when() takes an object of handlers, such as when({ $init: () => ({}), Deposited: (s, e) => s })');
    for (const [name, fn] of Object.entries(handlers)) {
      if (typeof fn !== 'function') throw definitionFault(`the handler for ${name} is not a function`);
    }
    def.handlers = handlers;
    return output;
  }
  function foreachStream() { def.by = 'stream'; return { when }; }
  function partitionBy(fn) {
    if (typeof fn !== 'function') throw definitionFault('partitionBy() takes a function of the event that returns the partition key');
    def.by = fn;
    return { when };
  }
  const selected = () => ({ foreachStream, partitionBy, when, outputState });
  const source = (kind, names) => {
    if (def.sourceKind) throw definitionFault('a projection has one source: call one of fromAll, fromStream(s), fromCategory/ies once');
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
    emit: (stream, eventType, data, metadata) => emitted(def, 'emit', stream, eventType, data, metadata),
    linkTo: (stream, event, metadata) => emitted(def, 'linkTo', stream, linkEventType, `${event.sequenceNumber}${linkSeparator}${event.streamId}`, metadata),
    log: (...parts) => {
      const message = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
      const at = current ?? {};
      def.logged.push({ message, position: at.position ?? null, stream: at.stream ?? null, version: at.version ?? null, type: at.type ?? null });
    },
  };
}

/** Keeps an emitted event with the source event that caused it. */
function emitted(def, name, stream, eventType, data, metadata) {
  const source = current;
  if (source === null) {
    throw definitionFault(`${name}() can only be called from a handler, where there is an event that causes what it writes`);
  }
  if (typeof stream !== 'string' || stream === '') throw new Error('emit and linkTo need a stream name');
  if (typeof eventType !== 'string' || eventType === '') throw new Error('emit needs an event type');
  const sourceMetadata = source.metadata ? parseJson(source.metadata) : {};
  def.emitted.push({
    stream, type: eventType, data: data === undefined ? null : data,
    metadata: { ...(metadata ?? {}), $causationId: source.id, $correlationId: sourceMetadata?.$correlationId ?? source.id },
    sourcePosition: source.position,
  });
}

/** The line in the projection's source that an error's stack points at. */
function sourceLine(error) {
  const match = String(error && error.stack).match(new RegExp(`${SOURCE_URL.replace('.', '\\.')}:(\\d+):\\d+`));
  const line = match ? Number(match[1]) - FUNCTION_PREFIX_LINES : undefined;
  // A frame in the lines `new Function` adds is not a line of the source.
  return line >= 1 ? line : undefined;
}

async function define(source) {
  const def = { sourceKind: null, names: new Set(), by: null, handlers: null, transforms: [], outputState: false, options: {}, emitted: [], logged: [] };
  const api = dialect(def);
  let body;
  try {
    body = new Function(...Object.keys(api), `${source}\n//# sourceURL=${SOURCE_URL}`);
  } catch (error) {
    const located = await whileBusy(syntaxError(source));
    const message = located?.message ?? error.message;
    const where = located ? '' : '; the engine did not say which line';
    throw definitionFault(`the source does not parse: ${message}${where}`, located?.line);
  }
  current = null;
  try {
    body(...Object.values(api));
  } catch (error) {
    if (error instanceof FaultError) {
      // A misuse of the dialect: its stack names the line that made it.
      if (error.fault.line === null) error.fault.line = sourceLine(error) ?? null;
      throw error;
    }
    throw definitionFault(`the source failed while defining the projection: ${error.name}: ${error.message}`, sourceLine(error));
  }
  if (!def.sourceKind) throw definitionFault('the projection has no source: start with fromAll(), fromStream(s), fromCategory(...) or fromCategories(...)');
  if (!def.handlers) throw definitionFault('the projection has no handlers: add .when({ ... })');
  def.biState = def.options.biState === true;
  return def;
}

/**
 * Where `source` fails to parse, and why: {line, message}, or null when the
 * engine does not say. `new Function` names no line, but a worker's script
 * that does not parse fires `error` on its Worker with the line. So the
 * source is parsed again as a nested worker's script, behind a first line
 * that throws before any of it runs. A script may not `return` at its top
 * level where a function body may; a source that stops there is parsed
 * once more inside a function that is never called. (Not first: a stray
 * closing brace would end that function early, and the parser would stop
 * after the brace instead of at it.) Where there is no Worker (node's vm),
 * this is null.
 */
async function syntaxError(source) {
  if (typeof Worker !== 'function') return null;
  const lines = source.split('\n').length;
  const inSource = (found) => (found && found.line >= 1 && found.line <= lines ? found : null);
  const asScript = await scriptError(`throw ${JSON.stringify(PARSED)};\n${source}`, 1);
  if (asScript && !/Illegal return/.test(asScript.message)) return inSource(asScript);
  // The throw comes first here too: a source that closes the function
  // early must not get code of its own to run at the top level.
  return inSource(await scriptError(`throw ${JSON.stringify(PARSED)};\nfunction __projection__() {\n${source}\n}`, 2));
}

/**
 * Runs `script` in a nested worker: null if it parses (its first line
 * throws PARSED, so none of the source ever runs), else the line of the
 * source (the script's less the `before` lines put ahead of it) and the
 * parser's message.
 */
function scriptError(script, before) {
  return new Promise((resolve) => {
    let url = null;
    let worker = null;
    let timer = null;
    const done = (found) => {
      clearTimeout(timer);
      worker?.terminate();
      if (url !== null) URL.revokeObjectURL(url);
      resolve(found);
    };
    try {
      url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
      worker = new Worker(url);
    } catch {
      // No nested worker here: the fault then says the engine named no line.
      done(null);
      return;
    }
    timer = setTimeout(() => done(null), PARSE_CHECK_MS);
    worker.onerror = (event) => {
      // Handled here: the error is the answer, not a failure of the page.
      event.preventDefault();
      const message = String(event.message);
      done(message.includes(PARSED) ? null : { line: event.lineno - before, message: message.replace(/^Uncaught (SyntaxError: )?/, '') });
    };
  });
}

/**
 * Sends a progress heartbeat every heartbeatMs until `promise` settles: the
 * worker is waiting, not running a handler, and the page's watchdog must not
 * take the silence for a hang.
 */
async function whileBusy(promise) {
  const beating = setInterval(() => postMessage({ op: 'progress', position }), Math.max(1, heartbeatMs));
  try {
    return await promise;
  } finally {
    clearInterval(beating);
  }
}

// ---------------------------------------------------------------------------
// Folding events.
// ---------------------------------------------------------------------------

/** Streams this projection writes; it never reads its own output back. */
let owned = new Set();

function selects(record) {
  if (owned.has(record.stream)) return false;
  if (definition.sourceKind === 'all') return !record.stream.startsWith(systemPrefix);
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

function initialShared() {
  return definition.handlers.$initShared ? definition.handlers.$initShared() : {};
}

/** Applies one event; `record` is as IndexedDB holds it. */
function apply(record) {
  const handlers = definition.handlers;
  const own = Object.prototype.hasOwnProperty.call(handlers, record.type) && !record.type.startsWith('$');
  const handler = own ? handlers[record.type] : handlers.$any;
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
    shared = call(initialShared, [], record, '$initShared');
  }
  let state;
  if (partitions.has(key)) {
    state = partitions.get(key);
  } else {
    state = call(initialState, [], record, '$init');
    if (handlers.$created) state = run(handlers.$created, state, event, record, '$created');
  }
  state = run(handler, state, event, record, own ? record.type : '$any');
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

/** Calls projection code for one event, turning a throw or an overrun into a Fault. */
function call(fn, args, record, name) {
  const started = performance.now();
  let value;
  try {
    value = fn(...args);
  } catch (error) {
    throw new FaultError({ kind: 'threw', handler: name, at: atOf(record), error: errorText(error), line: sourceLine(error) ?? null });
  }
  const took = performance.now() - started;
  if (took > timeoutMs) {
    throw new FaultError({ kind: 'tooSlow', handler: name, at: atOf(record), tookMs: Math.round(took), limitMs: timeoutMs });
  }
  return value;
}

// ---------------------------------------------------------------------------
// Reading the store.
// ---------------------------------------------------------------------------

function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onupgradeneeded = () => {
      request.transaction.abort();
      reject(new FaultError({ kind: 'storage', message: `the sandbox database ${name} does not exist` }));
    };
  });
}

/** @returns {Promise<EventRow[]>} */
function readBatch(db, from, to) {
  return new Promise((resolve, reject) => {
    const range = IDBKeyRange.bound(from, to);
    const request = db.transaction([eventsStore]).objectStore(eventsStore).getAll(range, readBatchSize);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Folds every stored event after `position` up to `to` (inclusive). */
async function catchUp({ database, to, careful, ownedStreams }) {
  owned = new Set(ownedStreams ?? []);
  let db;
  try {
    db = await openDatabase(database);
  } catch (error) {
    throw storageFault(error);
  }
  try {
    // While the worker waits on IndexedDB (a read queued behind a long
    // write), no handler runs, so it says it is alive; a handler that never
    // returns blocks the heartbeat's timer too, and the page's watchdog
    // still sees the silence.
    await whileBusy(fold(db, to, careful));
  } finally {
    current = null;
    db.close();
  }
  const emittedEvents = definition.emitted.splice(0);
  const logged = logs.splice(0);
  return { op: 'caughtUp', position, eventsProcessed, partitions: partitions.size, emitted: emittedEvents, logs: logged };
}

/** Reads and applies the events after `position` up to `to`, batch by batch. */
async function fold(db, to, careful) {
  let lastBeat = performance.now();
  while (position < to) {
    let records;
    try {
      records = await readBatch(db, position + 1, to);
    } catch (error) {
      throw storageFault(error);
    }
    if (records.length === 0) break;
    for (const record of records) {
      if (careful) postMessage({ op: 'starting', at: atOf(record) });
      else if (performance.now() - lastBeat > heartbeatMs) {
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
    if (records.length < readBatchSize) break;
  }
}

function result(state) {
  let value = state;
  try {
    for (const transform of definition.transforms) {
      if (value === null) break;
      value = transform(value);
    }
  } catch (error) {
    if (error instanceof FaultError) throw error;
    throw definitionFault(`the result transform (transformBy or filterBy) threw: ${errorText(error)}`, sourceLine(error));
  }
  return value;
}

function stateOf(partition) {
  if (definition.biState && partition == null) return shared ?? null;
  const key = partition ?? '';
  return partitions.has(key) ? partitions.get(key) : null;
}

// ---------------------------------------------------------------------------
// Requests.
// ---------------------------------------------------------------------------

const isText = (value) => typeof value === 'string' && value !== '';
const isCount = (value) => Number.isInteger(value) && value > 0;

/** Checks define's rules and limit; a page that sends others is not this worker's page. */
function checkDefine({ timeoutMs: limit, rules }) {
  const wrong = (what) => protocolFault(`define sent ${what}; the page and the worker disagree on the protocol`);
  if (typeof limit !== 'number' || !(limit > 0)) throw wrong(`timeoutMs ${JSON.stringify(limit)}, not a positive number of milliseconds`);
  if (!rules || typeof rules !== 'object') throw wrong('no store rules');
  for (const name of ['categorySeparator', 'systemPrefix', 'linkEventType', 'linkSeparator', 'eventsStore']) {
    if (!isText(rules[name])) throw wrong(`rules.${name} ${JSON.stringify(rules[name])}, not a non-empty string`);
  }
  if (!isCount(rules.readBatch)) throw wrong(`rules.readBatch ${JSON.stringify(rules.readBatch)}, not a positive whole number`);
  if (typeof rules.heartbeatMs !== 'number' || !(rules.heartbeatMs >= 0)) throw wrong(`rules.heartbeatMs ${JSON.stringify(rules.heartbeatMs)}, not a number of milliseconds`);
}

function needsDefinition(op) {
  if (definition === null) throw protocolFault(`the worker got '${op}' before a projection was defined; define must come first`);
}

const requests = {
  async define(request) {
    definition = null;
    if (request.protocol !== PROTOCOL_VERSION) {
      // A page from before version 2 states no version.
      const page = request.protocol === undefined ? '1 (it states none)' : JSON.stringify(request.protocol);
      throw protocolFault(`the reducer worker speaks protocol version ${PROTOCOL_VERSION} but the page speaks version ${page}; reload the page to load the matching worker (a stale cached worker looks like this)`);
    }
    checkDefine(request);
    const rules = request.rules;
    timeoutMs = request.timeoutMs;
    categorySeparator = rules.categorySeparator;
    systemPrefix = rules.systemPrefix;
    linkEventType = rules.linkEventType;
    linkSeparator = rules.linkSeparator;
    eventsStore = rules.eventsStore;
    readBatchSize = rules.readBatch;
    heartbeatMs = rules.heartbeatMs;
    const def = await define(String(request.source ?? ''));
    definition = def;
    logs = def.logged;
    return { op: 'defined', protocol: PROTOCOL_VERSION, biState: def.biState, partitioned: def.by !== null };
  },
  restore({ checkpoint }) {
    needsDefinition('restore');
    if (!checkpoint || typeof checkpoint !== 'object' || typeof checkpoint.position !== 'number' || !Array.isArray(checkpoint.partitions)) {
      throw protocolFault('restore sent no checkpoint of {position, eventsProcessed, shared, partitions: [[key, state], ...]}');
    }
    position = checkpoint.position;
    eventsProcessed = checkpoint.eventsProcessed;
    shared = checkpoint.shared ?? undefined;
    partitions = new Map(checkpoint.partitions);
    return { op: 'restored', position };
  },
  catchUp(request) {
    needsDefinition('catchUp');
    return catchUp(request);
  },
  state({ partition }) {
    needsDefinition('state');
    const state = stateOf(partition);
    return { op: 'state', state, result: result(state) };
  },
  checkpoint() {
    needsDefinition('checkpoint');
    return { op: 'checkpoint', checkpoint: { position, eventsProcessed, shared: shared ?? null, partitions: [...partitions] } };
  },
  partitions() {
    needsDefinition('partitions');
    return { op: 'partitions', keys: [...partitions.keys()] };
  },
};

self.onmessage = async ({ data }) => {
  const id = data && typeof data === 'object' ? data.id : undefined;
  try {
    if (!data || typeof data !== 'object') throw protocolFault('the worker got a message that is not a request');
    const op = data.op;
    if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(requests, op)) {
      throw protocolFault(`the worker does not understand request '${op}'`);
    }
    postMessage({ id, ...(await requests[op](data)) });
  } catch (error) {
    const fault = error instanceof FaultError
      ? error.fault
      : { kind: 'protocol', message: `the worker failed on request '${data && data.op}': ${errorText(error)}` };
    postMessage({ id, op: 'fault', fault });
  }
};
