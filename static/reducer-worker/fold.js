// Folding events through a defined projection, and reading them from the
// sandbox's IndexedDB (loaded by reducer-worker.js, whose state it uses).
'use strict';

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
