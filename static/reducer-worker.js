// The reducer worker: runs one projection, written in EventStoreDB's
// projection dialect, off the page's main thread.
//
// It reads the events it needs from the sandbox's IndexedDB itself, in large
// getAll batches (a worker can open IndexedDB), so no event crosses a thread
// boundary one at a time. The page only says how far to go, and is told the
// result. The page also keeps a watchdog: a handler that never returns stops
// this worker's messages, and the page terminates it.
//
// This file holds the worker's state and answers the page's requests; the
// rest is in classic scripts beside it, one concern each:
// - reducer-worker/contract.js: the messages, mirroring the typed contract in
//   src/projections/protocol.rs (the source of truth);
// - reducer-worker/dialect.js: the projection dialect, compiling a source,
//   and finding a syntax error's line;
// - reducer-worker/output.js: what handlers write (emit, linkTo, results),
//   and the JSON states and outputs go through;
// - reducer-worker/read.js: reading the store, and what each source reads;
// - reducer-worker/fold.js: folding what was read through the projection;
// - reducer-worker/system.js: what KurrentDB's system projections link, which
//   is what a link stream (`$ce-c`, `$et-T`, ...) holds: they are not stored;
// - reducer-worker/travel.js: time travel (travel, change, trace) through the
//   same fold, with snapshots and a cache of what was read.
// The page states every store rule in `define`; the worker states only the
// protocol version it speaks. All of it is classic worker script (no
// modules), and it touches no globals but self, postMessage, importScripts,
// indexedDB, IDBKeyRange, performance, setInterval/clearInterval and
// setTimeout/clearTimeout, so tests can run it in node's vm; and, only to
// find the line of a syntax error, Worker, Blob and URL, which it does
// without when they are absent.
'use strict';

importScripts(
  'reducer-worker/contract.js', 'reducer-worker/dialect.js', 'reducer-worker/output.js',
  'reducer-worker/read.js', 'reducer-worker/fold.js', 'reducer-worker/system.js', 'reducer-worker/travel.js',
);

// ---------------------------------------------------------------------------
// The worker's state.
// ---------------------------------------------------------------------------

let definition = null;
// The store rules (StoreRules) and the rest of the last define.
let rules = null;
let timeoutMs = 0;
let projectionName = '';
let emitEnabled = false;

let position = -1;
let eventsProcessed = 0;
// Partition → its state as JSON text (null: none), in the order partitions
// were created; the root of an unpartitioned projection is "".
let stored = new Map();
// A bi-state projection's shared state as JSON text (null: none yet).
let sharedText = null;
// Partition → its last result as JSON text, when results are on and known.
let results = new Map();
// The partition handled last, with its live state: {key, state, dirty, at, handler}.
let live = null;
let logs = [];
// The event being handled ({at, source, emits, raised}), so log() and emit()
// can say which event produced a line or an event; null outside a handler.
let current = null;

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

// ---------------------------------------------------------------------------
// Requests.
// ---------------------------------------------------------------------------

const isText = (value) => typeof value === 'string' && value !== '';
const isCount = (value) => Number.isInteger(value) && value > 0;

const RULE_NAMES = [
  'categorySeparator', 'systemPrefix', 'linkEventType', 'linkSeparator', 'streamReferenceEventType',
  'metadataEventType', 'resultEventType', 'eventsStore', 'streamsStore', 'streamVersionIndex',
];

/** Checks define's rules and limit; a page that sends others is not this worker's page. */
function checkDefine({ timeoutMs: limit, rules: sent, name, emitEnabled: emit }) {
  const wrong = (what) => protocolFault(`define sent ${what}; the page and the worker disagree on the protocol`);
  if (typeof limit !== 'number' || !(limit > 0)) throw wrong(`timeoutMs ${JSON.stringify(limit)}, not a positive number of milliseconds`);
  if (typeof name !== 'string') throw wrong(`name ${JSON.stringify(name)}, not a string`);
  if (typeof emit !== 'boolean') throw wrong(`emitEnabled ${JSON.stringify(emit)}, not true or false`);
  if (!sent || typeof sent !== 'object') throw wrong('no store rules');
  for (const rule of RULE_NAMES) {
    if (!isText(sent[rule])) throw wrong(`rules.${rule} ${JSON.stringify(sent[rule])}, not a non-empty string`);
  }
  if (!isCount(sent.readBatch)) throw wrong(`rules.readBatch ${JSON.stringify(sent.readBatch)}, not a positive whole number`);
  if (typeof sent.heartbeatMs !== 'number' || !(sent.heartbeatMs >= 0)) throw wrong(`rules.heartbeatMs ${JSON.stringify(sent.heartbeatMs)}, not a number of milliseconds`);
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
    rules = request.rules;
    timeoutMs = request.timeoutMs;
    projectionName = request.name;
    emitEnabled = request.emitEnabled;
    const def = await define(String(request.source ?? ''));
    definition = def;
    logs = def.logged;
    forget();
    return {
      op: 'defined', protocol: PROTOCOL_VERSION, biState: def.biState === true, partitioned: def.by !== null, reads: def.reads,
    };
  },
  restore({ checkpoint }) {
    needsDefinition('restore');
    if (!checkpoint || typeof checkpoint !== 'object' || typeof checkpoint.position !== 'number' || !Array.isArray(checkpoint.partitions)) {
      throw protocolFault('restore sent no checkpoint of {position, eventsProcessed, shared, partitions: [[key, state], ...]}');
    }
    forget();
    position = checkpoint.position;
    eventsProcessed = checkpoint.eventsProcessed;
    sharedText = serialize(checkpoint.shared);
    stored = new Map(checkpoint.partitions.map(([key, state]) => [key, serialize(state)]));
    return { op: 'restored', position };
  },
  catchUp(request) {
    needsDefinition('catchUp');
    if (traveling) throw protocolFault('the worker got \'catchUp\' after it traveled in time: its state is an as-of one, not the live projection\'s; restore a checkpoint (or define again) to catch up with it');
    return catchUp(request);
  },
  state({ partition }) {
    needsDefinition('state');
    return { op: 'state', ...stateAndResult(partition) };
  },
  checkpoint() {
    needsDefinition('checkpoint');
    flush();
    return {
      op: 'checkpoint',
      checkpoint: { position, eventsProcessed, shared: parseState(sharedText), partitions: [...stored].map(([key, text]) => [key, parseState(text)]) },
    };
  },
  partitions() {
    needsDefinition('partitions');
    return { op: 'partitions', keys: [...stored.keys()] };
  },
  travel(request) {
    needsDefinition('travel');
    return inTravel(request, 'at', -1, travel);
  },
  change(request) {
    needsDefinition('change');
    return inTravel(request, 'at', 0, change);
  },
  trace(request) {
    needsDefinition('trace');
    return inTravel(request, 'to', -1, trace);
  },
};

/** Starts over: no position, no states, no live partition (as after a restart), and no time travel. */
function forget() {
  position = -1;
  eventsProcessed = 0;
  stored = new Map();
  sharedText = null;
  results = new Map();
  live = null;
  leaveTravel();
}

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
