// Folding what the source reads through a defined projection, as KurrentDB's
// processing phase (EventProcessingProjectionProcessingPhase.cs, "phase")
// and Jint runtime (JintProjectionStateHandler.cs, "JPSH") do (loaded by
// reducer-worker.js, whose state it uses).
//
// States are kept as KurrentDB keeps them: serialized, per partition. The
// partition whose handler ran last keeps its live object (the phase's
// `_handlerPartition`), so a state that is not plain JSON survives only
// until another partition is handled, and a state set to null reaches the
// next event of the same partition as null but is initialised again after
// any other. The live state is serialized when it is left (or asked for),
// and after every event when results are on, which need the comparison.
'use strict';

/**
 * The envelope a handler gets (JPSH `CreateEnvelope`). Its fields are own
 * and enumerable, as Jint's are; metadata and linkMetadata are parsed when
 * first read (then they are own fields too), and JSON.stringify and log()
 * show them either way. A class, since an object literal with getters costs
 * several times as much per event.
 */
class Envelope {
  constructor(item, partition, category) {
    const row = item.event;
    const link = item.link;
    this.isJson = row !== null && isJsonRow(row);
    this.bodyRaw = row === null ? null : bodyRawOf(row);
    // JSON data is parsed at once: a handler nearly always reads it.
    const data = this.isJson && this.bodyRaw !== null && BLANK.test(this.bodyRaw) === false ? JSON.parse(this.bodyRaw) : undefined;
    this.data = data;
    this.body = data;
    this.eventType = row === null ? null : row.type;
    this.streamId = row === null ? null : row.stream;
    this.sequenceNumber = row === null ? -1 : row.version;
    this.eventId = row === null ? EMPTY_ID : row.id;
    this.metadataRaw = row === null ? null : metadataRawOf(row);
    this.linkMetadataRaw = link === null ? null : metadataRawOf(link);
    this.partition = partition;
    this.category = category;
    // The timestamp of the event read: a link's own when the event came through one.
    this.created = item.record.created;
    this.position = item.record.position;
  }

  get metadata() { return ownParsed(this, 'metadata', this.metadataRaw); }

  get linkMetadata() { return ownParsed(this, 'linkMetadata', this.linkMetadataRaw); }

  toJSON() {
    return { ...this, metadata: this.metadata, linkMetadata: this.linkMetadata };
  }
}

const BLANK = /^\s*$/;

/** Parses `raw` into an own field `name` of `envelope` (null when there is none). */
function ownParsed(envelope, name, raw) {
  const value = raw === null ? null : JSON.parse(raw);
  Object.defineProperty(envelope, name, { value, enumerable: true, writable: false, configurable: false });
  return value;
}

const envelope = (item, partition, category) => new Envelope(item, partition, category);

/** The event being handled: which it is and what it causes; where it is, when first asked. */
class EventContext {
  constructor(item) {
    this.item = item;
    this.emits = [];
    this.raised = null;
    this.atValue = null;
    this.sourceValue = null;
  }

  get at() { return this.atValue ?? (this.atValue = atOf(this.item)); }

  get source() { return this.sourceValue ?? (this.sourceValue = sourceOf(this.item.event ?? null)); }
}

/** Calls projection code for the current event, turning a throw or an overrun into a Fault. */
function call(fn, args, name) {
  const started = performance.now();
  let value;
  try {
    value = fn(...args);
  } catch (error) {
    throw threw(name, current.raised ?? error);
  }
  // A dialect error the source caught still faults, as Jint's .NET exceptions do.
  if (current.raised !== null) throw threw(name, current.raised);
  const took = performance.now() - started;
  if (took > timeoutMs) {
    throw new FaultError({ kind: 'tooSlow', handler: name, at: current.at, tookMs: Math.round(took), limitMs: timeoutMs });
  }
  return value;
}

const threw = (name, error) => new FaultError({ kind: 'threw', handler: name, at: current.at, error: errorText(error), line: sourceLine(error) ?? null });

// ---------------------------------------------------------------------------
// Partitions.
// ---------------------------------------------------------------------------

/** JPSH `GetStatePartition` and ByStreamStatePartitionSelector; null skips the event. */
function partitionOf(item, category) {
  if (definition.by === null) return '';
  if (definition.by === 'stream') {
    if (item.link !== null) {
      const origin = parseMaybe(metadataRawOf(item.link))?.$o;
      if (typeof origin === 'string') return origin;
    }
    const stream = item.event?.stream ?? null;
    if (stream === null) return null;
    return isMetastream(stream) ? originalOf(stream) : stream;
  }
  const key = call(definition.by, [envelope(item, '', category)], 'partitionBy');
  if (typeof key === 'string') return key;
  return typeof key === 'number' ? dotnetNumber(key) : null;
}

function parseMaybe(text) {
  if (text === null) return null;
  try { return JSON.parse(text); } catch { return null; }
}

/**
 * The phase's `InitOrLoadHandlerState`: makes `key` the live partition,
 * from its stored state, or from $init when it has none. True when it was
 * initialised (then $created runs).
 */
function load(key) {
  if (live !== null && live.key === key) return false;
  flush();
  const text = stored.get(key) ?? null;
  const initialised = text === null;
  if (initialised) stored.set(key, null);
  let state = initialised ? (definition.init ? call(definition.init, [], '$init') : {}) : parseState(text);
  if (definition.biState) {
    const shared = sharedText === null ? (definition.initShared ? call(definition.initShared, [], '$initShared') : {}) : parseState(sharedText);
    state = [state, shared];
  }
  live = { key, state, dirty: initialised, context: current, handler: '$init' };
  return initialised;
}

/** Stores the live state (JPSH `PrepareOutput`): in bi-state, slot 0 is the partition's, slot 1 the shared one. */
function flush() {
  if (live === null || !live.dirty) return;
  const state = live.state;
  try {
    if (definition.biState && Array.isArray(state)) {
      stored.set(live.key, serialize(state[0]));
      const shared = state.length > 1 ? serialize(state[1]) : null;
      if (shared !== null) sharedText = shared;
    } else {
      stored.set(live.key, serialize(state));
    }
  } catch (error) {
    // A state that cannot be serialized faults the event whose handler made it.
    throw new FaultError({ kind: 'threw', handler: live.handler, at: live.context.at, error: errorText(error), line: null });
  }
  live.dirty = false;
}

// ---------------------------------------------------------------------------
// One event.
// ---------------------------------------------------------------------------

/**
 * Runs what the current item calls for. What it emits stays in
 * `current.emits`: the caller keeps it only if it all succeeds (catchUp
 * hands it on; travel keeps none).
 */
function apply(item) {
  if (item.deleted !== undefined) {
    deleted(item.deleted);
  } else {
    handle(item);
    eventsProcessed += 1;
  }
}

/** What the source gets at a record of `$all`: what select() makes of each row it reads there. */
function itemsAt(record, rowsThere, resolved) {
  const items = [];
  for (const row of rowsThere) {
    const item = select(record, row, resolved);
    if (item !== null) items.push(item);
  }
  return items;
}

function handle(item) {
  const category = definition.sourceKind === 'category' ? definition.category : null;
  const key = partitionOf(item, category);
  if (key === null) return;
  if (load(key)) {
    // $created's return value is ignored (JPSH `HandleCreated`): only mutations count.
    for (const fn of definition.created) call(fn, [live.state, envelope(item, key, '')], '$created');
  }
  const event = envelope(item, key, category);
  const own = event.eventType !== null && definition.handlers.get(event.eventType);
  live.context = current;
  live.dirty = true;
  live.handler = own ? event.eventType : definition.any ? '$any' : 'the default handler';
  // JPSH `ProcessEvent`: a JSON event with blank data reaches no handler.
  if (!(event.isJson && (event.bodyRaw === null || BLANK.test(event.bodyRaw)))) {
    let next;
    if (own) next = call(own, [live.state, event], event.eventType);
    else if (definition.any) next = call(definition.any, [live.state, event], '$any');
    // The default handler: the state becomes the event's body.
    else next = event.isJson ? event.data : event.bodyRaw;
    if (next !== undefined) live.state = next;
  }
  settle(key);
}

/** `$deleted(state, null, partition, isSoftDelete)`: isSoftDelete is always false in the V1 phase. */
function deleted(key) {
  load(key);
  live.context = current;
  live.dirty = true;
  live.handler = '$deleted';
  if (definition.deleted) call(definition.deleted, [live.state, null, key, false], '$deleted');
  settle(key);
}

/**
 * With results on, stores the state now and, when it changed, works out
 * the result; a new result is written to the partition's result stream.
 * Otherwise the state is stored when it is left.
 */
function settle(key) {
  if (!definition.producesResults) return;
  const before = stored.get(key) ?? null;
  flush();
  const after = stored.get(key) ?? null;
  if (after === before) return;
  // Known unless the worker was restored since; then it is what the old state gives
  // (a partition with no state had no result).
  const oldResult = results.has(key) ? results.get(key) : before === null ? null : resultTextOf(before);
  const result = resultTextOf(after, live.state);
  results.set(key, result);
  // A result that becomes null is KurrentDB's ResultRemoved, which the rules do not name.
  if (result !== null && result !== oldResult) current.emits.push(resultEmitted(key, result));
}

/**
 * The result for a stored state: the transforms' output on a copy of the
 * state (of the live one, as serialized, in bi-state the pair), or the state.
 */
function resultTextOf(stateText, liveState) {
  if (!definition.definesStateTransform) return stateText;
  const copy = liveState === undefined ? parseState(stateText) : toJson(liveState);
  return serialize(transformed(copy));
}

/** JPSH `TransformStateToResult`: filterBy goes on only on exactly `true`; a null state ends it. */
function transformed(state) {
  let value = state;
  for (const { kind, fn } of definition.transforms) {
    if (kind === 'transform') {
      value = call(fn, [value], 'transformBy');
    } else if (call(fn, [value], 'filterBy') !== true) {
      return null;
    }
    if (value === null || value === undefined) return null;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Catching up.
// ---------------------------------------------------------------------------

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
  return { op: 'caughtUp', position, eventsProcessed, partitions: stored.size, emitted: emittedEvents, logs: logged };
}

/** Reads and applies the events after `position` up to `to`, batch by batch. */
async function fold(db, to, careful) {
  let lastBeat = performance.now();
  while (position < to) {
    let records;
    let reads;
    let resolved;
    try {
      records = await readBatch(db, position + 1, to);
      reads = records.map(rowsRead);
      resolved = await resolveLinks(db, records, reads);
    } catch (error) {
      throw storageFault(error);
    }
    if (records.length === 0) break;
    for (let i = 0; i < records.length; i += 1) {
      const record = records[i];
      const items = itemsAt(record, reads[i], resolved);
      if (careful) {
        // A careful run names every event it reads, selected or not.
        if (items.length === 0) postMessage({ op: 'starting', at: atOf({ record }) });
      } else if (performance.now() - lastBeat > rules.heartbeatMs) {
        postMessage({ op: 'progress', position });
        lastBeat = performance.now();
      }
      for (const item of items) {
        if (careful) postMessage({ op: 'starting', at: atOf(item) });
        current = new EventContext(item);
        apply(item);
        for (const emit of current.emits) definition.emitted.push(emit);
      }
      position = record.position;
    }
    if (records.length < rules.readBatch) break;
  }
}

// ---------------------------------------------------------------------------
// Asked for by the page.
// ---------------------------------------------------------------------------

/** One partition's state and result (null: the root, or a bi-state's shared state). */
function stateAndResult(partition) {
  flush();
  const shared = definition.biState && partition == null;
  const key = partition ?? '';
  const text = shared ? sharedText : stored.get(key) ?? null;
  // The shared state's result is itself (KurrentDB keeps none for it); no state has no result.
  let result = text;
  if (!shared && text !== null) result = definition.producesResults && results.has(key) ? results.get(key) : asked(() => resultTextOf(text));
  return { state: parseState(text), result: parseState(result) };
}

/** Runs a transform for the page, outside any event: a throw or an overrun is a definition fault. */
function asked(work) {
  current = { at: null, source: null, emits: [], raised: null };
  try {
    return work();
  } catch (error) {
    if (!(error instanceof FaultError)) throw error;
    const { kind, error: thrown, tookMs, limitMs, line } = error.fault;
    if (kind === 'threw') throw definitionFault(`the result transform (transformBy or filterBy) threw: ${thrown}`, line);
    if (kind === 'tooSlow') throw definitionFault(`the result transform (transformBy or filterBy) took ${tookMs} ms, over the ${limitMs} ms limit`);
    throw error;
  } finally {
    current = null;
  }
}
