// Time travel (loaded by reducer-worker.js, whose state it uses): the
// projection as of any position of `$all` (travel), what one event did to
// it (change), and the partition and state hash after every event (trace),
// for the page's time bar, stepper, what-if and reducer comparison.
//
// One runtime, never a second engine: travel folds with the very functions
// catchUp folds with (itemsAt, apply and flush in fold.js), so an as-of
// state is the live fold's. It differs in three ways only:
// - a handler that throws or runs too long does not end the fold: its
//   Fault is noted and its event left out, as if skipped, so the stepper
//   can step past it. Its effects are undone by going back to the state
//   before it (the nearest snapshot, folded forward again; handlers are
//   taken to be deterministic, as a replay from a checkpoint takes them),
//   not by copying every state before every event: a fold that never
//   faults costs what catchUp costs;
// - the events at the positions in `skip` are left out (what-if);
// - nothing emitted or logged is kept: travel never writes.
// A left-out position is a whole record of `$all`: every item the source
// reads there (a source reading one event through two link streams).
//
// A worker that has traveled travels only: catchUp is refused (its state
// is not the live projection's), and restore or define make it a live
// worker again, forgetting snapshots and cached reads.
'use strict';

/**
 * The numbers of time travel; the tests lower them to exercise snapshots on
 * small logs.
 * - every: K, a snapshot each K positions (the first record folded in each
 *   slot of K positions), so a travel folds fewer than K events once a fold
 *   has been there.
 *   Chosen with tests/worker/travel-bench.mjs: 100,000 events, a
 *   foreachStream count over 100 streams, 1,000 random travel + state round
 *   trips after one travel to the end; the cache then holds half the log,
 *   so half the moves read IndexedDB (the fake's, a timer turn a request).
 *   p50 / p95 / max in ms, all moves (those the cache answered):
 *     K =   128: 3.5 / 6.6 / 29   (0.4 / 1.0)
 *     K =   256: 3.2 / 5.9 / 13   (0.7 / 1.3)
 *     K = 1,000: 4.2 / 12 / 19    (1.9 / 4.9)
 *     K = 4,096: 13 / 39 / 86     (8.3 / 24)
 *   Below 256 a move is no faster (the read dominates) and the snapshots
 *   take twice the memory.
 * - maxSnapshots, snapshotBytes: the bound on their memory. At most this
 *   many snapshots, holding at most about this many bytes (an estimate: 40
 *   a map entry, 1 a character of each state text not already held by the
 *   snapshot before it, since unchanged states are shared); beyond either,
 *   every other snapshot goes and K doubles, and a single snapshot over the
 *   budget is not kept. The benchmark's 100,000 events make 391 snapshots
 *   of about 2 MB; 1,000,000 events make 3,907 of about 20 MB.
 * - cacheRows, cacheBatches: the read batches kept, least recently used
 *   going first: at most this many rows and batches. 50,000 rows of the
 *   benchmark's fromCategory source (each with the link it is read through)
 *   take about 40 MB.
 */
const TRAVEL = { every: 256, maxSnapshots: 4096, snapshotBytes: 64 * 2 ** 20, cacheRows: 50000, cacheBatches: 1000 };
// About what a map entry costs: its key and value pointers and its share of the table.
const ENTRY_BYTES = 40;

// Whether the worker travels, and in which world (the database and the
// streams it never reads back): the snapshots and cached reads are of it.
let traveling = false;
let world = null;
// Positions left out by request, and by fault (position → Fault).
let skipped = new Set();
let faulted = new Map();
// Snapshots by position, at most one a slot of snapshotEvery positions.
let snapshots = [];
let snapshotEvery = TRAVEL.every;
// The state just after the last fault stepped past: where a fault soon
// after it goes back to, so a handler that throws on many events costs a
// fold, not a fold from a snapshot per fault.
let pastFault = null;
// Read batches ({from, last, records, reads, resolved}; every record from
// `from` to `last` is there), least recently used first.
let cached = [];
let cachedRows = 0;
// The database of the request under way: {name, db}, opened at the first
// read the cache cannot answer (a travel that hits the cache opens nothing).
let connection = null;
// When the request under way last sent a heartbeat (a fault's going back folds again, in between).
let lastBeat = 0;

/** The state before any event: where a travel with no snapshot starts. */
const BEFORE_ANY = {
  position: -1, eventsProcessed: 0, stored: new Map(), sharedText: null, results: new Map(), liveKey: null, liveText: null,
};

/** Drops everything travel built (forget() calls it): the worker is a live one again. */
function leaveTravel() {
  traveling = false;
  world = null;
  skipped = new Set();
  faulted = new Map();
  snapshots = [];
  snapshotEvery = TRAVEL.every;
  pastFault = null;
  cached = [];
  cachedRows = 0;
}

// ---------------------------------------------------------------------------
// Requests.
// ---------------------------------------------------------------------------

const isPosition = (value, lowest) => Number.isInteger(value) && value >= lowest;

/** Checks a travel, change or trace request, then runs it in travel mode with its database. */
async function inTravel(request, field, lowest, work) {
  const wrong = (what) => protocolFault(`${request.op} sent ${what}; the page and the worker disagree on the protocol`);
  const { database, ownedStreams, skip } = request;
  if (typeof database !== 'string') throw wrong(`database ${JSON.stringify(database)}, not a string`);
  if (!isPosition(request[field], lowest)) throw wrong(`${field} ${JSON.stringify(request[field])}, not a position (a whole number from ${lowest})`);
  if (!Array.isArray(ownedStreams) || !ownedStreams.every((s) => typeof s === 'string')) throw wrong('ownedStreams that are not a list of stream names');
  if (request.op === 'travel' && !(Array.isArray(skip) && skip.every((p) => isPosition(p, 0)))) throw wrong('skip that is not a list of positions');
  const key = JSON.stringify([database, [...ownedStreams].sort()]);
  if (!traveling || key !== world) {
    forget();
    traveling = true;
    world = key;
    owned = new Set(ownedStreams);
  }
  connection = { name: database, db: null };
  lastBeat = performance.now();
  try {
    return await whileBusy(work(request));
  } catch (error) {
    // A fold stopped mid-event (a storage fault, a bug) leaves no state to go on from.
    forget();
    throw error;
  } finally {
    current = null;
    logs.length = 0;
    connection.db?.close();
    connection = null;
  }
}

/** Travel: the state as of `at` with `skip` left out, from the nearest snapshot or from where the worker is. */
async function travel({ at, skip }) {
  useSkip(skip);
  await travelTo(at);
  return { op: 'traveled', position, faults: [...faulted].filter(([p]) => p <= position).sort((a, b) => a[0] - b[0]).map(([, f]) => f) };
}

async function travelTo(at) {
  const from = nearest(at);
  if (position > at || position < (from?.position ?? -1)) restore(from);
  await foldTravel(at, null);
}

/**
 * Change: travel to just before `at` (leaving out what the last travel
 * left out), then fold the event at `at` alone and say what it did. The
 * log lines a throwing handler wrote before it threw are kept, since they
 * tell why; what it emitted is not, since it would never be written.
 */
async function change({ at }) {
  await travelTo(at - 1);
  const reply = {
    op: 'changed', handled: false, partition: null, before: null, after: null, sharedBefore: null, sharedAfter: null, logs: [], emitted: [], fault: null,
  };
  // The fold went up to the last record before `at`, so this is the record at `at`, or none.
  const { records, reads, resolved } = await readTravel(position + 1, at);
  if (records.length === 0) return reply;
  const storedBefore = new Map(stored);
  const sharedBefore = sharedText;
  let key = null;
  logs.length = 0;
  const watch = {
    item(touched, done) {
      key ??= touched;
      if (done) reply.emitted.push(...current.emits);
    },
  };
  try {
    // An event that faulted before runs again, so the stepper shows its fault (and its log lines) in place.
    if (!skipped.has(at)) foldRecord(records[0], reads[0], resolved, watch);
    // It ran through: a fault noted there before (a handler too slow only then) no longer holds.
    if (faulted.has(at)) forgetFrom(at);
    moveTo(at);
    flush();
  } catch (error) {
    reply.logs = logs.splice(0);
    await stepPast(error);
    reply.fault = error.fault;
    reply.emitted = [];
    await foldTravel(at, null);
  }
  if (reply.fault === null) reply.logs = logs.splice(0);
  reply.handled = key !== null || reply.fault !== null;
  reply.partition = key;
  if (key !== null) {
    reply.before = parseState(storedBefore.get(key) ?? null);
    reply.after = reply.fault === null ? parseState(stored.get(key) ?? null) : reply.before;
  }
  if (definition.biState) {
    reply.sharedBefore = parseState(sharedBefore);
    reply.sharedAfter = parseState(sharedText);
  }
  return reply;
}

/**
 * Trace: a fold from before any event to `to` in travel mode, noting after
 * each event a handler took the partition and a hash of its state text.
 */
async function trace({ to }) {
  restore(null);
  const steps = [];
  await foldTravel(to, {
    item(touched, done) {
      if (!done || touched === null) return;
      flush();
      steps.push({ position: current.item.record.position, partition: touched, hash: fnv1a(stored.get(touched) ?? '') });
    },
    // A fault stepped past undoes its event and the ones folded after it: they are traced again.
    rewound(at) {
      while (steps.length > 0 && steps[steps.length - 1].position >= at) steps.pop();
    },
  });
  return { op: 'traced', steps };
}

/** The 32-bit FNV-1a hash of a text's UTF-8 bytes (a state text has no lone surrogate). */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  const byte = (b) => { hash = Math.imul(hash ^ b, 0x01000193); };
  for (let i = 0; i < text.length; i += 1) {
    const c = text.codePointAt(i);
    if (c < 0x80) {
      byte(c);
    } else if (c < 0x800) {
      byte(0xc0 | (c >> 6)); byte(0x80 | (c & 63));
    } else if (c < 0x10000) {
      byte(0xe0 | (c >> 12)); byte(0x80 | ((c >> 6) & 63)); byte(0x80 | (c & 63));
    } else {
      byte(0xf0 | (c >> 18)); byte(0x80 | ((c >> 12) & 63)); byte(0x80 | ((c >> 6) & 63)); byte(0x80 | (c & 63));
      i += 1;
    }
  }
  return hash >>> 0;
}

// ---------------------------------------------------------------------------
// Folding in travel mode.
// ---------------------------------------------------------------------------

/**
 * Folds to `to`, stepping past faults. `watch` (or null) hears of each
 * item folded: item(partition touched or null, whether it succeeded), and
 * rewound(position) when a fault there undid what was folded from it on.
 */
async function foldTravel(to, watch) {
  for (;;) {
    try {
      await forward(to, watch);
      // Stored now, a state that cannot be serialized faults its event here, not when the page asks.
      flush();
      return;
    } catch (error) {
      const at = await stepPast(error);
      watch?.rewound(at);
    }
  }
}

/** Folds the records after `position` up to `to`; a handler's FaultError comes out mid-event. */
async function forward(to, watch) {
  while (position < to) {
    const { records, reads, resolved, more } = await readTravel(position + 1, to);
    for (let i = 0; i < records.length; i += 1) {
      if (performance.now() - lastBeat > rules.heartbeatMs) {
        postMessage({ op: 'progress', position });
        lastBeat = performance.now();
      }
      advance(records[i], reads[i], resolved, watch);
    }
    logs.length = 0;
    if (!more) break;
  }
}

/** Folds one record of `$all`, unless it is left out, and moves the worker to it. */
function advance(record, rowsThere, resolved, watch) {
  if (!skipped.has(record.position) && !faulted.has(record.position)) foldRecord(record, rowsThere, resolved, watch);
  moveTo(record.position);
}

/** Applies what the source gets at `record`, as catchUp does. */
function foldRecord(record, rowsThere, resolved, watch) {
  for (const item of itemsAt(record, rowsThere, resolved)) {
    current = new EventContext(item);
    let done = false;
    try {
      apply(item);
      done = true;
    } finally {
      // The partition the item touched is live, and was made so by this item.
      watch?.item(live !== null && live.context === current ? live.key : null, done);
    }
  }
}

/**
 * Steps past a handler's fault (anything else is thrown on): notes it, goes
 * back to the state just before its event, and leaves the event out. Says
 * the event's position.
 */
async function stepPast(error) {
  if (!(error instanceof FaultError) || (error.fault.kind !== 'threw' && error.fault.kind !== 'tooSlow')) throw error;
  // A state that cannot be stored faults the event that made it, which may be before the one under way.
  const at = error.fault.at.position;
  // A fault noted there before (change runs its event again) leaves what was folded after it as it is.
  if (!faulted.has(at)) forgetFrom(at);
  faulted.set(at, error.fault);
  restore(nearest(at - 1));
  await foldTravel(at - 1, null);
  // The fold went up to the last record before the event: nothing lies between.
  moveTo(at);
  pastFault = capture();
  return at;
}

/** Leaves out the positions in `skip`; what was folded with another skip set from where they differ goes. */
function useSkip(skip) {
  const next = new Set(skip);
  let first = Infinity;
  for (const p of next) if (!skipped.has(p)) first = Math.min(first, p);
  for (const p of skipped) if (!next.has(p)) first = Math.min(first, p);
  skipped = next;
  if (first === Infinity) return;
  forgetFrom(first);
  if (position >= first) restore(nearest(first - 1));
}

/** Drops the snapshots and faults that took the events from `first` on as they were folded. */
function forgetFrom(first) {
  snapshots = snapshots.filter((s) => s.position < first);
  if (pastFault !== null && pastFault.position >= first) pastFault = null;
  for (const p of faulted.keys()) if (p >= first) faulted.delete(p);
}

// ---------------------------------------------------------------------------
// Snapshots.
// ---------------------------------------------------------------------------

/**
 * The fold's state as a snapshot: the maps of stored texts copied (the texts
 * are shared; states are kept as JSON text anyway), the live partition's
 * state as text, as a checkpoint keeps it.
 */
function capture() {
  flush();
  return {
    position, eventsProcessed, stored: new Map(stored), sharedText, results: new Map(results),
    liveKey: live === null ? null : live.key, liveText: live === null ? null : serialize(live.state), bytes: 0,
  };
}

/**
 * Makes a snapshot's state the fold's (null: the state before any event).
 * The live partition stays live (so a state set to null reaches its next
 * event as null, as in one fold), parsed from its text: a state that is not
 * plain JSON (a Date, a Map) comes back as its JSON, as after a restore
 * from a checkpoint.
 */
function restore(snapshot) {
  const s = snapshot ?? BEFORE_ANY;
  position = s.position;
  eventsProcessed = s.eventsProcessed;
  stored = new Map(s.stored);
  sharedText = s.sharedText;
  results = new Map(s.results);
  live = s.liveKey === null ? null : { key: s.liveKey, state: parseState(s.liveText), dirty: false, context: null, handler: '$init' };
}

/** The snapshot nearest at or before `at` (the state past the last fault counts), or null. */
function nearest(at) {
  const snapshot = snapshots[snapshotsUpTo(at) - 1] ?? null;
  if (pastFault !== null && pastFault.position <= at && (snapshot === null || pastFault.position > snapshot.position)) return pastFault;
  return snapshot;
}

/** How many snapshots are at or before `at`. */
function snapshotsUpTo(at) {
  let low = 0;
  let high = snapshots.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (snapshots[mid].position <= at) low = mid + 1;
    else high = mid;
  }
  return low;
}

const slotOf = (p) => Math.floor(p / snapshotEvery);

/** Moves the worker to `to`, taking a snapshot there when it is the first in its slot to have one. */
function moveTo(to) {
  const from = position;
  position = to;
  if (slotOf(to) === slotOf(from)) return;
  const i = snapshotsUpTo(to);
  if (i > 0 && slotOf(snapshots[i - 1].position) === slotOf(to)) return;
  const snapshot = capture();
  snapshot.bytes = bytesOf(snapshot, snapshots[i - 1]);
  snapshots.splice(i, 0, snapshot);
  if (i + 1 < snapshots.length) snapshots[i + 1].bytes = bytesOf(snapshots[i + 1], snapshot);
  thin();
}

/** About how many bytes a snapshot holds that the one before it does not. */
function bytesOf(snapshot, before) {
  let bytes = ENTRY_BYTES * (snapshot.stored.size + snapshot.results.size) + (snapshot.liveText?.length ?? 0);
  if (snapshot.sharedText !== before?.sharedText) bytes += snapshot.sharedText?.length ?? 0;
  for (const [map, old] of [[snapshot.stored, before?.stored], [snapshot.results, before?.results]]) {
    for (const [key, text] of map) if (text !== null && text !== old?.get(key)) bytes += text.length;
  }
  return bytes;
}

/** Keeps every other snapshot and doubles K until the snapshots are within their bounds. */
function thin() {
  const over = () => snapshots.length > TRAVEL.maxSnapshots || snapshots.reduce((sum, s) => sum + s.bytes, 0) > TRAVEL.snapshotBytes;
  while (over()) {
    if (snapshots.length <= 1) {
      snapshots = [];
      return;
    }
    snapshotEvery *= 2;
    snapshots = snapshots.filter((s, i, all) => i === 0 || slotOf(s.position) !== slotOf(all[i - 1].position));
    snapshots.forEach((s, i) => { s.bytes = bytesOf(s, snapshots[i - 1]); });
  }
}

// ---------------------------------------------------------------------------
// Reading, through a bounded cache.
// ---------------------------------------------------------------------------

/**
 * The records from `from` up to `to` (at most a read batch), what the
 * source reads at each and the links resolved, from the cache or else from
 * IndexedDB; `more`: records up to `to` may follow. Scrubbing back and
 * forth reads IndexedDB once. The cache holds what was read: a link's
 * target hidden since (a truncation) still shows until the batch leaves it.
 */
async function readTravel(from, to) {
  for (let n = cached.length - 1; n >= 0; n -= 1) {
    const batch = cached[n];
    if (batch.from > from || batch.last < from) continue;
    cached.splice(n, 1);
    cached.push(batch);
    let i = 0;
    while (batch.records[i].position < from) i += 1;
    let end = i;
    while (end < batch.records.length && end - i < rules.readBatch && batch.records[end].position <= to) end += 1;
    const more = end < batch.records.length ? end - i === rules.readBatch && batch.records[end].position <= to : batch.last < to;
    return { records: batch.records.slice(i, end), reads: batch.reads.slice(i, end), resolved: batch.resolved, more };
  }
  let records;
  let reads;
  let resolved;
  try {
    connection.db ??= await openDatabase(connection.name);
    records = await readBatch(connection.db, from, to);
    reads = records.map(rowsRead);
    resolved = await resolveLinks(connection.db, records, reads);
  } catch (error) {
    throw storageFault(error);
  }
  if (records.length === 0) return { records, reads, resolved, more: false };
  cached.push({ from, last: records[records.length - 1].position, records, reads, resolved });
  cachedRows += records.length;
  while (cached.length > 1 && (cachedRows > TRAVEL.cacheRows || cached.length > TRAVEL.cacheBatches)) cachedRows -= cached.shift().records.length;
  return { records, reads, resolved, more: records.length === rules.readBatch };
}
