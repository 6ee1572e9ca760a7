// Runs static/reducer-worker.js (and the scripts it imports) in a node `vm` context, with an in-memory
// IndexedDB that implements exactly what the worker uses, and checks every
// message it sends against the shapes of src/projections/protocol.rs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';
import { performance } from 'node:perf_hooks';

// REDUCER_WORKER=path runs the tests against another copy of the script.
const WORKER_PATH = process.env.REDUCER_WORKER ?? new URL('../../static/reducer-worker.js', import.meta.url);
const WORKER_URL = new URL(WORKER_PATH, import.meta.url);
/** A classic script, compiled once: the worker's entry, or one it imports. */
const scripts = new Map();
function script(url) {
  if (!scripts.has(url.href)) {
    scripts.set(url.href, new vm.Script(fs.readFileSync(url, 'utf8'), { filename: url.pathname.split('/').pop() }));
  }
  return scripts.get(url.href);
}

export const PROTOCOL_VERSION = 4;
export const DATABASE = 'es-sandbox/test';

/** StoreRules::current() in protocol.rs, with a small read batch. */
export const RULES = Object.freeze({
  categorySeparator: '-',
  systemPrefix: '$',
  linkEventType: '$>',
  linkSeparator: '@',
  streamReferenceEventType: '$@',
  metadataEventType: '$metadata',
  resultEventType: 'Result',
  eventsStore: 'events',
  streamsStore: 'streams',
  streamVersionIndex: 'stream_version',
  readBatch: 3,
  heartbeatMs: 50,
});

/** KurrentDB's `$tb` for a soft-deleted stream (long.MaxValue), as JS reads it. */
export const SOFT_DELETED = 9223372036854775807;

/**
 * EventRows as the store writes them, from [stream, type, data?, metadata?]:
 * positions from 0, versions per stream from 0. Metadata `null` is a row
 * with none (the field absent).
 */
export function rows(events) {
  const versions = new Map();
  return events.map(([stream, type, data = {}, metadata = {}], position) => {
    const version = versions.get(stream) ?? 0;
    versions.set(stream, version + 1);
    const row = {
      position, stream, version, id: `id-${position}`, type, data: JSON.stringify(data),
    };
    if (metadata !== null) row.metadata = JSON.stringify(metadata);
    row.created = new Date(Date.UTC(2024, 0, 1, 0, 0, position)).toISOString();
    if (typeof metadata?.$correlationId === 'string') row.correlationId = metadata.$correlationId;
    return row;
  });
}

/**
 * The streams rows for `events` (rows): the last version, where the stream
 * began, its category by the first "-", and `truncateBefore` from the last
 * `$tb` written to its metadata stream `$$stream`, or from `truncated`.
 */
export function streamRows(eventRows, truncated = {}) {
  const streams = new Map();
  for (const row of eventRows) {
    const known = streams.get(row.stream) ?? { stream: row.stream, firstPosition: row.position };
    known.version = row.version;
    const at = row.stream.indexOf('-');
    if (at > 0 && !row.stream.startsWith('$')) known.category = row.stream.slice(0, at);
    streams.set(row.stream, known);
  }
  for (const row of eventRows) {
    const tb = row.type === '$metadata' && row.stream.startsWith('$$') ? JSON.parse(row.data).$tb : undefined;
    if (typeof tb === 'number' && streams.has(row.stream.slice(2))) streams.get(row.stream.slice(2)).truncateBefore = tb;
  }
  for (const [stream, tb] of Object.entries(truncated)) streams.get(stream).truncateBefore = tb;
  return [...streams.values()];
}

/**
 * The part of IndexedDB the worker uses: open(name) with onsuccess /
 * onerror / onupgradeneeded, db.transaction([store, ...]).objectStore(store)
 * .getAll(range, count) / .get(key) / .index(name).get(key),
 * IDBKeyRange.bound(lo, hi), db.close(). `transactions` keeps the stores
 * and the requests of each transaction.
 */
export class FakeIndexedDB {
  /** @param {Record<string, Record<string, object[]>>} databases name → store → rows */
  constructor(databases) {
    this.databases = databases;
    this.reads = [];
    this.transactions = [];
    this.opened = 0;
    this.closed = 0;
    this.failReads = false;
    this.sorted = new WeakMap();
  }

  open(name) {
    const request = { result: undefined, error: null, transaction: null, onsuccess: null, onerror: null, onupgradeneeded: null };
    setTimeout(() => {
      const stores = this.databases[name];
      if (!stores) {
        let aborted = false;
        request.transaction = { abort: () => { aborted = true; } };
        request.onupgradeneeded?.({ target: request });
        assert.ok(aborted, 'the worker aborts the upgrade of a database that does not exist');
        request.error = { name: 'AbortError', message: 'The transaction was aborted.' };
        request.onerror?.({ target: request });
        return;
      }
      this.opened += 1;
      request.result = this.connection(stores);
      request.onsuccess?.({ target: request });
    }, 0);
    return request;
  }

  /** A request that answers with `answer()` on a later turn, as IndexedDB's do. */
  request(answer) {
    const request = { result: undefined, error: null, onsuccess: null, onerror: null };
    setTimeout(() => {
      if (this.failReads) {
        request.error = { name: 'UnknownError', message: 'the disk is on fire' };
        request.onerror?.({ target: request });
        return;
      }
      request.result = structuredClone(answer());
      request.onsuccess?.({ target: request });
    }, 0);
    return request;
  }

  /**
   * The rows of a store keyed by position in `range`, at most `count`:
   * by binary search when the rows are in position order (as rows() makes
   * them; the benchmark's 100,000 rows), else by filtering.
   */
  range(rows, { lower, upper }, count = Infinity) {
    if (!this.sorted.has(rows)) this.sorted.set(rows, rows.every((row, i) => i === 0 || rows[i - 1].position < row.position));
    if (!this.sorted.get(rows)) {
      return rows.filter((row) => row.position >= lower && row.position <= upper).sort((a, b) => a.position - b.position).slice(0, count);
    }
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (rows[mid].position < lower) low = mid + 1;
      else high = mid;
    }
    const found = [];
    for (let i = low; i < rows.length && rows[i].position <= upper && found.length < count; i += 1) found.push(rows[i]);
    return found;
  }

  connection(stores) {
    const fake = this;
    let open = true;
    const INDEXES = { stream_version: (row) => [row.stream, row.version] };
    const KEYS = { streams: (row) => row.stream };

    return {
      close() { assert.ok(open, 'closed twice'); open = false; fake.closed += 1; },
      transaction(names) {
        assert.ok(open, 'a transaction on a closed connection');
        assert.ok(Array.isArray(names), 'transaction() takes the store names');
        for (const name of names) {
          if (!(name in stores)) {
            throw Object.assign(new Error(`No objectStore named ${name} in this database`), { name: 'NotFoundError' });
          }
        }
        const transaction = { stores: [...names], requests: [] };
        fake.transactions.push(transaction);
        return {
          objectStore(name) {
            assert.ok(names.includes(name), `objectStore(${name}) outside the transaction's scope`);
            return {
              getAll(range, count) {
                fake.reads.push({ store: name, lower: range.lower, upper: range.upper, count });
                transaction.requests.push(`${name}.getAll`);
                return fake.request(() => fake.range(stores[name], range, count));
              },
              get(key) {
                transaction.requests.push(`${name}.get`);
                const keyOf = KEYS[name] ?? ((row) => row.position);
                return fake.request(() => stores[name].find((row) => keyOf(row) === key));
              },
              index(index) {
                assert.ok(index in INDEXES, `no index ${index} on ${name}`);
                return {
                  get(key) {
                    transaction.requests.push(`${name}.${index}.get`);
                    return fake.request(() => stores[name].find((row) => JSON.stringify(INDEXES[index](row)) === JSON.stringify(key)));
                  },
                };
              },
            };
          },
        };
      },
    };
  }
}

export const FakeIDBKeyRange = {
  bound(lower, upper) {
    assert.ok(typeof lower === 'number' && typeof upper === 'number' && lower <= upper,
      `IDBKeyRange.bound(${lower}, ${upper}) would throw DataError`);
    return { lower, upper };
  },
};

/**
 * Nested workers as Chromium runs them, for the worker's search for the line
 * of a syntax error (node's vm has no Worker): a Worker's script comes from
 * a Blob URL; a script that does not parse fires `error` with the parser's
 * message and line, and one that throws fires `error` with what it threw.
 * `scripts` keeps every script started; `live()` counts the workers not
 * terminated and the URLs not revoked.
 */
export function nestedWorkers() {
  const urls = new Map();
  const scripts = [];
  // Calls of `ran()` from a nested script: a source that ran at all.
  const ran = [];
  const running = new Set();
  let next = 0;
  class Blob {
    constructor(parts) { this.text = parts.join(''); }
  }
  const URL = {
    createObjectURL(blob) {
      const url = `blob:nested/${next++}`;
      urls.set(url, blob.text);
      return url;
    },
    revokeObjectURL(url) { urls.delete(url); },
  };
  class Worker {
    constructor(url) {
      assert.ok(urls.has(url), `new Worker(${url}) of a URL that was made and not revoked`);
      const text = urls.get(url);
      scripts.push(text);
      running.add(this);
      this.onerror = null;
      setTimeout(() => this.run(text), 0);
    }

    run(text) {
      if (!running.has(this)) return;
      const fail = (message, lineno) => {
        let handled = false;
        this.onerror?.({ message, lineno, preventDefault: () => { handled = true; } });
        assert.ok(handled, 'the worker handles a nested worker\'s error, so the page logs none');
      };
      let script;
      try {
        script = new vm.Script(text, { filename: 'nested.js' });
      } catch (error) {
        fail(`Uncaught SyntaxError: ${error.message}`, Number(/^nested\.js:(\d+)/.exec(error.stack)[1]));
        return;
      }
      try {
        script.runInNewContext({ ran: () => ran.push(true) });
      } catch (error) {
        fail(`Uncaught ${error}`, 0);
      }
    }

    terminate() { running.delete(this); }
  }
  return { globals: { Worker, Blob, URL }, scripts, ran, live: () => running.size + urls.size };
}

/**
 * A worker in a fresh vm context. `send(request)` gives the request an id,
 * hands it to self.onmessage and resolves with its reply; `messages` keeps
 * everything posted, `heartbeats()` the messages with no id. `globals` adds
 * to what the context offers (see nestedWorkers). `travel` overrides the
 * worker's time-travel numbers (TRAVEL in travel.js), so that small logs
 * have snapshots, thinning and evictions.
 */
export function startWorker({ events = [], store = 'events', database = DATABASE, databases, globals = {}, truncated, travel } = {}) {
  const eventRows = rows(events);
  const indexedDB = new FakeIndexedDB(databases ?? { [database]: { [store]: eventRows, streams: streamRows(eventRows, truncated) } });
  const messages = [];
  const context = {
    ...globals,
    indexedDB,
    IDBKeyRange: FakeIDBKeyRange,
    performance: { now: () => performance.now() },
    setInterval,
    clearInterval,
    setTimeout,
    clearTimeout,
    // What a real postMessage does: a structured clone (so nothing of the
    // worker's realm leaks into assertions, and functions fail loudly).
    postMessage: (message) => {
      const copy = structuredClone(message);
      checkShape(copy);
      messages.push(copy);
    },
  };
  context.self = context;
  // As in a worker: each script runs in the one global scope, relative to
  // the entry script's address.
  context.importScripts = (...names) => {
    for (const name of names) script(new URL(name, WORKER_URL)).runInContext(context);
  };
  vm.createContext(context);
  script(WORKER_URL).runInContext(context);
  assert.equal(typeof context.onmessage, 'function', 'the worker sets self.onmessage');
  if (travel) vm.runInContext(`Object.assign(TRAVEL, ${JSON.stringify(travel)})`, context);
  let nextId = 1;
  return {
    indexedDB,
    messages,
    heartbeats: () => messages.filter((m) => !isReply(m)),
    async send(request) {
      const id = nextId++;
      const before = messages.length;
      await context.onmessage({ data: structuredClone({ id, ...request }) });
      const replies = messages.slice(before).filter(isReply);
      assert.equal(replies.length, 1, `exactly one reply to ${request.op}: ${JSON.stringify(replies)}`);
      assert.equal(replies[0].id, id, 'the reply carries the request id');
      return replies[0];
    },
    /** The value of an expression in the worker's global scope (its state, for white-box checks). */
    peek: (expression) => vm.runInContext(expression, context),
    /** Sends a message as is (no id added), for malformed requests. */
    async raw(data) {
      const before = messages.length;
      await context.onmessage({ data });
      return messages.slice(before);
    },
  };
}

/** A define; emitting is on unless a case turns it off (KurrentDB's default is off). */
export const define = (source, { rules = {}, timeoutMs = 250, protocol = PROTOCOL_VERSION, name = 'test', emitEnabled = true } = {}) =>
  ({ op: 'define', protocol, name, source, emitEnabled, timeoutMs, rules: { ...RULES, ...rules } });

export const catchUp = (to, { careful = false, ownedStreams = [], database = DATABASE } = {}) =>
  ({ op: 'catchUp', database, to, careful, ownedStreams });

export const travel = (at, { skip = [], ownedStreams = [], database = DATABASE } = {}) =>
  ({ op: 'travel', database, at, skip, ownedStreams });

export const change = (at, { ownedStreams = [], database = DATABASE } = {}) => ({ op: 'change', database, at, ownedStreams });

export const trace = (to, { ownedStreams = [], database = DATABASE } = {}) => ({ op: 'trace', database, to, ownedStreams });

// ---------------------------------------------------------------------------
// The shapes of protocol.rs, checked on every message the worker posts.
// ---------------------------------------------------------------------------

const isInt = (v) => Number.isInteger(v);
const isCount = (v) => Number.isInteger(v) && v >= 0;
const isText = (v) => typeof v === 'string';
const orNull = (check) => (v) => v === null || check(v);

function exactly(object, fields, what) {
  assert.ok(object && typeof object === 'object' && !Array.isArray(object), `${what} is an object`);
  assert.deepEqual(Object.keys(object).sort(), Object.keys(fields).sort(), `${what} has exactly the fields of protocol.rs`);
  for (const [name, check] of Object.entries(fields)) {
    assert.ok(check(object[name]), `${what}.${name} has the type of protocol.rs: ${JSON.stringify(object[name])}`);
  }
  return true;
}

const eventAt = (v) => exactly(v, { position: isInt, stream: isText, version: isCount, type: isText }, 'EventAt');
const emitted = (v) => exactly(v, {
  stream: isText, type: isText, data: () => true,
  metadata: (m) => m !== null && typeof m === 'object', sourcePosition: isInt,
}, 'Emitted');
const logLine = (v) => exactly(v, {
  message: isText, position: orNull(isInt), stream: orNull(isText), version: orNull(isCount), type: orNull(isText),
}, 'LogLine');
const checkpoint = (v) => exactly(v, {
  position: isInt, eventsProcessed: isCount, shared: () => true,
  partitions: (p) => Array.isArray(p) && p.every((e) => Array.isArray(e) && e.length === 2 && isText(e[0])),
}, 'Checkpoint');
const FAULTS = {
  definition: { message: isText, line: orNull(isCount) },
  threw: { handler: isText, at: eventAt, error: isText, line: orNull(isCount) },
  tooSlow: { handler: isText, at: eventAt, tookMs: isCount, limitMs: isCount },
  storage: { message: isText },
  protocol: { message: isText },
};
const fault = (v) => {
  assert.ok(v && v.kind in FAULTS, `a fault kind of protocol.rs: ${JSON.stringify(v)}`);
  return exactly(v, { kind: isText, ...FAULTS[v.kind] }, `Fault::${v.kind}`);
};
// What travel steps past: a handler's fault.
const handlerFault = (v) => fault(v) && (v.kind === 'threw' || v.kind === 'tooSlow');
const isU32 = (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const traceStep = (v) => exactly(v, { position: isInt, partition: isText, hash: isU32 }, 'TraceStep');

const REPLIES = {
  defined: {
    protocol: (v) => v === PROTOCOL_VERSION, biState: (v) => typeof v === 'boolean', partitioned: (v) => typeof v === 'boolean',
    reads: (v) => Array.isArray(v) && v.every(isText),
  },
  restored: { position: isInt },
  caughtUp: {
    position: isInt, eventsProcessed: isCount, partitions: isCount,
    emitted: (v) => Array.isArray(v) && v.every(emitted), logs: (v) => Array.isArray(v) && v.every(logLine),
  },
  state: { state: () => true, result: () => true },
  checkpoint: { checkpoint },
  partitions: { keys: (v) => Array.isArray(v) && v.every(isText) },
  fault: { fault },
  traveled: { position: isInt, faults: (v) => Array.isArray(v) && v.every(handlerFault) },
  // EventChange, flattened.
  changed: {
    handled: (v) => typeof v === 'boolean', partition: orNull(isText), before: () => true, after: () => true,
    sharedBefore: () => true, sharedAfter: () => true,
    logs: (v) => Array.isArray(v) && v.every(logLine), emitted: (v) => Array.isArray(v) && v.every(emitted), fault: orNull(handlerFault),
  },
  traced: { steps: (v) => Array.isArray(v) && v.every(traceStep) },
};
const HEARTBEATS = {
  progress: { position: isInt },
  starting: { at: eventAt },
};

/** Replies carry the request's id; heartbeats carry none. */
export const isReply = (message) => Object.hasOwn(REPLIES, message.op);

export function checkShape(message) {
  if (isReply(message)) {
    // Only a message that was no request at all gets a fault with no id.
    const id = message.op === 'fault' && message.id === undefined ? () => true : isCount;
    exactly(message, { id, op: isText, ...REPLIES[message.op] }, `Reply::${message.op}`);
  } else {
    assert.ok(!('id' in message), `a heartbeat has no id: ${JSON.stringify(message)}`);
    assert.ok(message.op in HEARTBEATS, `a heartbeat op of protocol.rs: ${JSON.stringify(message)}`);
    exactly(message, { op: isText, ...HEARTBEATS[message.op] }, `Heartbeat::${message.op}`);
  }
}

/**
 * Compares `actual` with `expected`: objects must have exactly the expected
 * keys, a RegExp matches text, a function is a predicate.
 */
export function matches(actual, expected, path = 'value') {
  if (typeof expected === 'function') {
    assert.ok(expected(actual), `${path}: ${JSON.stringify(actual)} does not satisfy ${expected}`);
  } else if (expected instanceof RegExp) {
    assert.match(String(actual), expected, path);
  } else if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object', `${path}: expected an object, got ${JSON.stringify(actual)}`);
    assert.equal(Array.isArray(actual), Array.isArray(expected), `${path}: array or object`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const key of Object.keys(expected)) matches(actual[key], expected[key], `${path}.${key}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

/** Two accounts, two customers and a system stream, interleaved: the events most cases fold. */
export const ACCOUNTS = [
  ['account-ada', 'Opened', { owner: 'Ada' }],
  ['account-ada', 'Deposited', { amount: 100 }],
  ['account-alan', 'Opened', { owner: 'Alan' }],
  ['account-ada', 'Withdrawn', { amount: 30 }],
  ['account-alan', 'Deposited', { amount: 50 }],
  ['$stats-1', 'StatsCollected', { cpu: 1 }],
  ['customer-ada', 'Registered', { region: 'eu' }],
  ['account-alan', 'Withdrawn', { amount: 75 }],
  ['customer-alan', 'Registered', { region: 'uk' }],
  ['customer-grace', 'Registered', { region: 'eu' }],
  ['customer-x', 'Registered', {}],
];
