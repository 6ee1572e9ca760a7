// Reading the sandbox's IndexedDB, and choosing what each source reads as
// KurrentDB's readers and filters do (ReaderStrategy.cs and the event
// filters in KurrentDB.Projections.V1; loaded by reducer-worker.js, whose
// state it uses).
//
// The worker always reads `$all` by position, so a checkpoint is a position;
// a source that reads streams picks their events out of it, and reads a
// link stream (`$ce-c` for fromCategory('c')) as the links its system
// projection would write for each event (system.js). A link read is
// resolved to its target, all the links of one read batch in one
// transaction.
'use strict';

/** Streams this projection writes; it never reads them back. */
let owned = new Set();

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

const settled = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/** @returns {Promise<EventRow[]>} */
function readBatch(db, from, to) {
  const range = IDBKeyRange.bound(from, to);
  return settled(db.transaction([rules.eventsStore]).objectStore(rules.eventsStore).getAll(range, rules.readBatch));
}

// ---------------------------------------------------------------------------
// Stream names and rows.
// ---------------------------------------------------------------------------

const isSystemStream = (stream) => stream.startsWith(rules.systemPrefix);
const isMetastream = (stream) => stream.startsWith(rules.systemPrefix + rules.systemPrefix);
const originalOf = (metastream) => metastream.slice(2 * rules.systemPrefix.length);

/**
 * KurrentDB's `$by_category` rule ("first" and the separator): the text
 * before the first separator, when it is not empty and the stream is not a
 * system stream; otherwise no category.
 */
function categoryOf(stream) {
  if (isSystemStream(stream)) return null;
  const at = stream.indexOf(rules.categorySeparator);
  return at > 0 ? stream.slice(0, at) : null;
}

/** Links and stream references are not JSON in KurrentDB; their data is a bare string. */
const isJsonRow = (row) => row.type !== rules.linkEventType && row.type !== rules.streamReferenceEventType;
const metadataRawOf = (row) => (typeof row.metadata === 'string' && row.metadata !== '' ? row.metadata : null);

/** The data as KurrentDB's bodyRaw: the JSON text, or a link's bare "n@stream". */
function bodyRawOf(row) {
  if (typeof row.data !== 'string' || row.data === '') return null;
  if (isJsonRow(row)) return row.data;
  try {
    const text = JSON.parse(row.data);
    return typeof text === 'string' ? text : row.data;
  } catch {
    return row.data;
  }
}

/** The stream a link points at and the version there, or null when it is not a link. */
function linkTarget(row) {
  const text = bodyRawOf(row);
  if (text === null) return null;
  const at = text.indexOf(rules.linkSeparator);
  const version = Number(text.slice(0, at));
  const stream = text.slice(at + rules.linkSeparator.length);
  return at > 0 && Number.isInteger(version) && version >= 0 && stream !== '' ? { stream, version } : null;
}

/** KurrentDB's StreamDeletedHelper: a `$metadata` event in `$$x` whose `$tb` is long.MaxValue soft-deletes `x`. */
function softDeletedStreamOf(row) {
  if (row === null || row.type !== rules.metadataEventType || !isMetastream(row.stream)) return null;
  let metadata;
  try { metadata = JSON.parse(row.data); } catch { return null; }
  return metadata && typeof metadata.$tb === 'number' && metadata.$tb >= SOFT_DELETED_TB ? originalOf(row.stream) : null;
}

// ---------------------------------------------------------------------------
// What each source reads.
// ---------------------------------------------------------------------------

/**
 * The rows the source reads at a record of `$all`, in the order of the
 * source's streams: the record itself when the source reads `$all` or the
 * record's stream, and a row for each link a system projection would write
 * for the record into a link stream the source reads (system.js), as
 * KurrentDB's multi-stream reader reads one event once for each stream
 * that links it.
 */
function rowsRead(record) {
  if (owned.has(record.stream)) return [];
  if (definition.sourceKind === 'all') return [record];
  const rows = definition.storedStreams.has(record.stream) ? [record] : [];
  for (const system of definition.writers) {
    for (const link of linksOf(system, record)) {
      if (definition.streamOrder.has(link.stream)) rows.push(linkRow(record, link));
    }
  }
  if (rows.length > 1) rows.sort((a, b) => definition.streamOrder.get(a.stream) - definition.streamOrder.get(b.stream));
  return rows;
}

/**
 * A link a system projection would write for `record`, as a stored
 * EventRow would hold it, at the record's position and time. Its number
 * in its stream (and its own id) are not known without counting the
 * stream, so they are null. A handler never sees them but on a `$@`
 * stream reference, which it gets as it is (sequenceNumber and eventId
 * null): through a `$>` it gets the target, and a fault names the record.
 */
function linkRow(record, { stream, type, data, extra }) {
  const row = { position: record.position, stream, version: null, id: null, type, data: JSON.stringify(data) };
  if (extra !== null) row.metadata = JSON.stringify(extra);
  row.created = record.created;
  return row;
}

/**
 * The targets of the links in the batch's rows (`reads`, one list a
 * record), by link row: {event} when it is there, {event: null} when it is
 * hidden by `$tb` or not there (KurrentDB's NotFound), nothing when its
 * stream is soft-deleted or does not exist (NoStream), which skips the
 * link. Each stream's row is read once a batch, through the index only the
 * targets that are not the record their link was written for (a record
 * that is itself a link, or `$et-`'s metadata-stream quirk): a link stream
 * read costs no event read of its own.
 */
async function resolveLinks(db, records, reads) {
  const wanted = [];
  if (definition.sourceKind !== 'all') {
    records.forEach((record, i) => {
      for (const row of reads[i]) {
        const target = row.type === rules.linkEventType ? linkTarget(row) : null;
        if (target === null) continue;
        const self = target.stream === record.stream && target.version === record.version ? record : null;
        wanted.push({ row, target, self });
      }
    });
  }
  const resolved = new Map();
  if (wanted.length === 0) return resolved;
  const elsewhere = wanted.some(({ self }) => self === null);
  const transaction = db.transaction(elsewhere ? [rules.eventsStore, rules.streamsStore] : [rules.streamsStore]);
  const byVersion = elsewhere ? transaction.objectStore(rules.eventsStore).index(rules.streamVersionIndex) : null;
  const streamRows = transaction.objectStore(rules.streamsStore);
  const streams = new Map();
  const events = new Map();
  for (const { target: { stream, version }, self } of wanted) {
    if (!streams.has(stream)) streams.set(stream, settled(streamRows.get(stream)));
    const key = `${version}${rules.linkSeparator}${stream}`;
    if (self === null && !events.has(key)) events.set(key, settled(byVersion.get([stream, version])));
  }
  const [streamList, eventList] = await Promise.all([Promise.all(streams.values()), Promise.all(events.values())]);
  const streamOf = new Map([...streams.keys()].map((name, i) => [name, streamList[i] ?? null]));
  const eventOf = new Map([...events.keys()].map((key, i) => [key, eventList[i] ?? null]));
  for (const { row: link, target: { stream, version }, self } of wanted) {
    const row = streamOf.get(stream);
    const event = self ?? eventOf.get(`${version}${rules.linkSeparator}${stream}`);
    const truncateBefore = row?.truncateBefore ?? 0;
    // A metadata stream may have no row of its own; its event then speaks for it.
    if (row === null && event === null) continue;
    if (truncateBefore >= SOFT_DELETED_TB) continue;
    resolved.set(link, { event: event === null || version < truncateBefore ? null : event });
  }
  return resolved;
}

/**
 * What the projection gets from a row it reads at a record of `$all`:
 * null (nothing), an event ({record, event, link}; `event` null for a link
 * to a hidden event), or a partition-deleted notification ({record,
 * deleted: stream}).
 */
function select(record, row, resolved) {
  switch (definition.sourceKind) {
    case 'all': return selectFromAll(record);
    // CategoryEventFilter: only resolved links of $ce-c.
    case 'category': return throughLink(record, row, resolved, definition.handlesDeleted);
    default: {
      if (row.type === rules.linkEventType) return throughLink(record, row, resolved, false);
      // StreamEventReader hands no deleted-stream event on as an event.
      if (softDeletedStreamOf(row) !== null) return null;
      return passes(row.type) ? { record, event: row, link: null } : null;
    }
  }
}

/** A link read with resolveLinkTos, as StreamEventReader delivers it. */
function throughLink(record, link, resolved, notifiesDeletes) {
  const found = resolved.get(link);
  if (found === undefined) return null;
  if (found.event === null) return passes(null) ? { record, event: null, link } : null;
  const deleted = softDeletedStreamOf(found.event);
  if (deleted !== null) return notifiesDeletes ? { record, deleted } : null;
  return passes(found.event.type) ? { record, event: found.event, link } : null;
}

/**
 * TransactionFileEventFilter: user streams and the metadata streams of user
 * streams, links only with $includeLinks (and then as they are). With only
 * specific handlers KurrentDB reads its `$et-` index instead, which holds
 * no metadata-stream events and no links.
 */
function selectFromAll(record) {
  const deleted = softDeletedStreamOf(record);
  if (deleted !== null && !isSystemStream(deleted) && definition.handlesDeleted) return { record, deleted };
  const isLink = record.type === rules.linkEventType;
  if (!definition.allEvents) {
    if (isSystemStream(record.stream) || isLink || !definition.handlers.has(record.type)) return null;
    return { record, event: record, link: null };
  }
  if (isLink && !definition.options.$includeLinks) return null;
  if (isSystemStream(record.stream) && !(isMetastream(record.stream) && !isSystemStream(originalOf(record.stream)))) return null;
  return { record, event: record, link: null };
}

/** The event filter: every type, or the types that have handlers (none for a link's hidden target). */
const passes = (type) => definition.allEvents || (type !== null && definition.handlers.has(type));

/**
 * Which event a fault or log line names: the $all position read, and the
 * event the handler got; the record read from `$all` when there is none,
 * or it has no number (a link stream's `$@`).
 */
function atOf(item) {
  const got = item.event ?? item.record;
  const row = got.version === null ? item.record : got;
  return { position: item.record.position, stream: row.stream, version: row.version, type: row.type };
}
