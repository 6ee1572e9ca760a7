// The reducer worker's messages (loaded by reducer-worker.js). They mirror
// src/projections/protocol.rs, the source of truth: change both together.
'use strict';

// ---------------------------------------------------------------------------
// The contract (mirrors src/projections/protocol.rs; change both together).
// ---------------------------------------------------------------------------

/**
 * The store's rules the worker applies, sent with every `define`.
 * @typedef {object} StoreRules
 * @property {string} categorySeparator A stream's category is the text before the first of
 *   these, when that text is not empty and the stream is not a system stream; any other
 *   stream has none (KurrentDB's `$by_category` "first" rule).
 * @property {string} systemPrefix Streams whose name starts with this are system streams;
 *   twice, it starts a metadata stream (`$$x` holds the metadata of `x`).
 * @property {string} linkEventType The event type of a link event ...
 * @property {string} linkSeparator ... whose data is the JSON string `${version}${linkSeparator}${stream}`.
 * @property {string} streamReferenceEventType The event type of a stream reference
 *   (`linkStreamTo`), whose data is the JSON string of the stream's name.
 * @property {string} metadataEventType The event type of a stream's metadata, written to its
 *   metadata stream; `{"$tb": n}` with n ≥ 2^53 soft-deletes the stream.
 * @property {string} resultEventType The event type of what outputState() writes.
 * @property {string} eventsStore The object store of EventRows, keyed by position.
 * @property {string} streamsStore The object store of StreamRows, keyed by `stream`.
 * @property {string} streamVersionIndex The index of the events store on [stream, version],
 *   through which links resolve.
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
 * @property {string} name The projection's name: its result streams are named after it.
 * @property {string} source JS in the projection dialect.
 * @property {boolean} emitEnabled Whether emit, linkTo and linkStreamTo may write; when false
 *   the first call faults the projection.
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
 * Time travel: fold to `at` (inclusive) from the nearest snapshot at or before
 * it (or from where the worker is, when that is nearer), as the live
 * projection would have, except that a handler that throws or runs too long is
 * noted and its event left out (so the events after it can be seen), and the
 * events at `skip` are left out (a what-if). Nothing emitted or logged is
 * kept. Answered by TraveledReply; `state`, `partitions` and `checkpoint` then
 * answer as of `at`. The first travel (or one with another `database` or
 * `ownedStreams`) starts over from before any event; a worker that traveled
 * refuses catchUp until a restore or define. Snapshots are kept for one skip
 * set: a travel with another drops those from the first position where the
 * sets differ. A left-out position is a whole record of `$all`.
 * @typedef {object} TravelRequest
 * @property {number} id
 * @property {'travel'} op
 * @property {string} database
 * @property {number} at A position, -1 before any event.
 * @property {number[]} skip
 * @property {string[]} ownedStreams
 */
/**
 * What the event at `at` did: travel to just before it (leaving out what the
 * last travel left out: its skip set and the faults), then fold it alone.
 * Answered by ChangedReply; the worker is then at `at`.
 * @typedef {object} ChangeRequest
 * @property {number} id
 * @property {'change'} op
 * @property {string} database
 * @property {number} at A position, 0 or more.
 * @property {string[]} ownedStreams
 */
/**
 * A fold from before any event to `to` in travel mode (with the last travel's
 * skip set), noting after each event a handler took the partition it touched
 * and a hash of that partition's state text. Answered by TracedReply; the
 * worker is then at `to`.
 * @typedef {object} TraceRequest
 * @property {number} id
 * @property {'trace'} op
 * @property {string} database
 * @property {number} to A position, -1 before any event.
 * @property {string[]} ownedStreams
 */
/**
 * What the page asks; `id` travels beside the `op`.
 * @typedef {DefineRequest|RestoreRequest|CatchUpRequest|StateRequest|CheckpointRequest|PartitionsRequest|TravelRequest|ChangeRequest|TraceRequest} Request
 */

/**
 * How far a projection got.
 * @typedef {object} Progress
 * @property {number} position The last global position processed, -1 before any.
 * @property {number} eventsProcessed
 * @property {number} partitions
 */

/**
 * An event a handler emitted (or linked, with type rules.linkEventType), or a result.
 * @typedef {object} Emitted
 * @property {string} stream
 * @property {string} type
 * @property {*} data The JSON value to store: a link's is the string "n@stream", a stream
 *   reference's the stream's name.
 * @property {object} metadata The caller's keys but `$causedBy`, then `$causedBy` (the
 *   source event's id) and `$correlationId` (the source's, unless the caller gave one).
 *   The page adds the checkpoint tags.
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

/**
 * @typedef {{id: number, op: 'defined', protocol: number, biState: boolean, partitioned: boolean, reads: string[]}} DefinedReply
 * `reads`: the streams the projection reads (`$ce-c` for fromCategory('c'), the named
 * ones for fromStream(s)); none for fromAll(). The page lets a projection that reads a
 * link stream fold no further than the system projection writing it has processed.
 */
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
 * @typedef {{id: number, op: 'traveled', position: number, faults: Array<ThrewFault|TooSlowFault>}} TraveledReply
 * `position`: the last position of the log at or before `at` (`at` itself unless it is
 * past the end), -1 before any event. `faults`: the handlers that threw or ran too long
 * at or before it, oldest first; their events were left out.
 */
/**
 * What one event did to a projection, as the worker saw it.
 * @typedef {object} EventChange
 * @property {boolean} handled Whether a handler ran for it (or `$deleted`); false when
 *   the source, the event filter, partitionBy or `skip` left it out, or there is no
 *   event at that position.
 * @property {string|null} partition The partition it touched ("" the root), when handled.
 * @property {*} before That partition's state just before (null when it did not exist) ...
 * @property {*} after ... and just after; equal to `before` when the handler faulted.
 * @property {*} sharedBefore A bi-state projection's shared state before (else null) ...
 * @property {*} sharedAfter ... and after.
 * @property {LogLine[]} logs Its log() lines, with those a faulting handler wrote before
 *   it threw (they tell why).
 * @property {Emitted[]} emitted What it emitted, linked or made a result of; none when it
 *   faulted, as nothing of it would be written.
 * @property {ThrewFault|TooSlowFault|null} fault The handler threw or ran too long: the
 *   event is left out.
 */
/** @typedef {{id: number, op: 'changed'} & EventChange} ChangedReply */
/**
 * After one handled event: the partition it touched and the 32-bit FNV-1a hash
 * (unsigned) of the UTF-8 bytes of that partition's state text (of "" when it
 * has none; in bi-state, the partition's slot).
 * @typedef {{position: number, partition: string, hash: number}} TraceStep
 */
/** @typedef {{id: number, op: 'traced', steps: TraceStep[]}} TracedReply */
/**
 * What the worker answers, with the request's `id`: exactly one per request.
 * @typedef {DefinedReply|RestoredReply|CaughtUpReply|StateReply|CheckpointReply|PartitionsReply|FaultReply|TraveledReply|ChangedReply|TracedReply} Reply
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
 * @property {string|null} [metadata] JSON text; absent or null when the event has none.
 * @property {string} created ISO 8601 text
 * @property {string} [correlationId] Absent when the metadata has none.
 */

/**
 * A stream as the `rules.streamsStore` object store holds it, keyed by `stream`:
 * written when the stream is created, soft-deleted or undeleted, so it has no
 * version (rows from before schema v5 have a stale one; never read it).
 * @typedef {object} StreamRow
 * @property {string} stream
 * @property {number} [truncateBefore] Versions below it are hidden (absent: 0); 2^53 or
 *   more (KurrentDB writes long.MaxValue) when the stream is soft-deleted.
 * @property {string} [category] Absent when the stream has none.
 * @property {number} firstPosition
 */

/** Bump with PROTOCOL_VERSION in protocol.rs when a message changes shape. */
const PROTOCOL_VERSION = 4;
