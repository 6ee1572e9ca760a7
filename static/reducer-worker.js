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
// - reducer-worker/fold.js: folding events, and reading them from the store.
// The page states every store rule in `define`; the worker states only the
// protocol version it speaks. All of it is classic worker script (no
// modules), and it touches no globals but self, postMessage, importScripts,
// indexedDB, IDBKeyRange, performance, setInterval/clearInterval and
// setTimeout/clearTimeout, so tests can run it in node's vm; and, only to
// find the line of a syntax error, Worker, Blob and URL, which it does
// without when they are absent.
'use strict';

importScripts('reducer-worker/contract.js', 'reducer-worker/dialect.js', 'reducer-worker/fold.js');

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
