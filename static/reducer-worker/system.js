// The link streams of KurrentDB's system projections ($by_category,
// $by_event_type, $by_correlation_id, $stream_by_category, $streams;
// KurrentDB.Projections.V1/Standard/*.cs), loaded by reducer-worker.js,
// whose state it uses.
//
// The system projections' link streams are not stored: appending would
// then cost four or five writes per event. For each event of `$all` read,
// the functions below say which links the system projections would write;
// a source that reads a link stream reads these links (read.js). The page
// serves the same streams from the store's indexes, and does not let a
// projection fold past where the system projection writing a stream it
// reads has stopped. The rules are in docs/kurrentdb-rules.md §2.
'use strict';

const systemName = (name) => `${rules.systemPrefix}${name}`;

/**
 * Each system projection: the link streams it writes (the one named, or
 * every stream with the prefix), whether its reader passes links
 * (`$includeLinks`), and what it links for an event it reads.
 */
const SYSTEM_PROJECTIONS = [
  // CategorizeEventsByStreamPath, with $includeLinks.
  { prefix: 'ce-', includeLinks: true, links: byCategory },
  // IndexEventsByEventType, without; its $Checkpoint events to `$et` are not links.
  { prefix: 'et-', includeLinks: false, links: byEventType },
  // ByCorrelationId with the default property, without $includeLinks.
  { prefix: 'bc-', includeLinks: false, links: byCorrelationId },
  // CategorizeStreamByPath, with $includeLinks.
  { prefix: 'category-', includeLinks: true, links: streamByCategory },
  // IndexStreams, with $includeLinks.
  { name: 'streams', includeLinks: true, links: indexStreams },
];

/** The system projection whose link stream `stream` is, or null for a stream that is stored. */
function writerOf(stream) {
  return SYSTEM_PROJECTIONS.find(({ name, prefix }) => (name === undefined
    ? stream.startsWith(systemName(prefix))
    : stream === systemName(name))) ?? null;
}

/** The system projections writing any of `streams`, in the order of SYSTEM_PROJECTIONS. */
const writersOf = (streams) => SYSTEM_PROJECTIONS.filter((system) => streams.some((stream) => writerOf(stream) === system));

/**
 * The links `system` writes for a record of `$all`, as far as its reader
 * passes the record (TransactionFileEventFilter: user streams, the
 * metadata streams of user streams, and links only with $includeLinks).
 */
function linksOf(system, record) {
  if (record.type === rules.linkEventType && !system.includeLinks) return [];
  if (isSystemStream(record.stream) && !(isMetastream(record.stream) && !isSystemStream(originalOf(record.stream)))) return [];
  return system.links(record);
}

const pointer = (record) => `${record.version}${rules.linkSeparator}${record.stream}`;
const link = (stream, data, extra) => ({ stream, type: rules.linkEventType, data, extra });

/**
 * `$ce-{category}`: a link to the event (to a link's own target when the
 * event is a link), with `$o` the stream it was read from. A soft delete's
 * `$metadata` in `$$x` is linked under the category of `x`, with `$deleted: -1`.
 */
function byCategory(record) {
  const deleted = softDeletedStreamOf(record);
  const stream = deleted ?? record.stream;
  const category = categoryOf(stream);
  if (category === null) return [];
  const data = record.type === rules.linkEventType ? bodyRawOf(record) : pointer(record);
  const extra = deleted === null ? { $o: stream } : { $o: stream, $deleted: -1 };
  return [link(`${systemName('ce-')}${category}`, data, extra)];
}

/**
 * `$et-{type}`: a link to the event; a soft delete goes to `$et-$deleted`
 * with `$deleted: -1`. KurrentDB's quirk is kept: for any event of a
 * metadata stream `$$x` the link names `x` (StreamDeletedHelper's out
 * parameter), so it says `n@x`, not `n@$$x`.
 */
function byEventType(record) {
  if (record.type === rules.linkEventType) return [];
  const deleted = softDeletedStreamOf(record);
  const stream = isMetastream(record.stream) ? originalOf(record.stream) : record.stream;
  const type = deleted === null ? record.type : systemName('deleted');
  return [link(`${systemName('et-')}${type}`, `${record.version}${rules.linkSeparator}${stream}`, deleted === null ? null : { $deleted: -1 })];
}

/** `$bc-{correlationId}`: a link to an event whose metadata has a `$correlationId`, stamped `$eventTimestamp`. */
function byCorrelationId(record) {
  const raw = metadataRawOf(record);
  if (raw === null) return [];
  let metadata;
  try { metadata = JSON.parse(raw); } catch { return []; }
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return [];
  const value = metadata.$correlationId;
  // Value<string>() of a number is its text; other kinds were not checked in KurrentDB, and are skipped.
  const id = typeof value === 'string' ? value : typeof value === 'number' ? dotnetNumber(value) : null;
  if (id === null) return [];
  return [link(`${systemName('bc-')}${id}`, pointer(record), { $eventTimestamp: microsecondTimestamp(record.created) })];
}

/** `$category-{category}`: for a stream's first event, a stream reference whose data is the stream's name. */
function streamByCategory(record) {
  if (record.version !== 0) return [];
  const category = categoryOf(record.stream);
  if (category === null) return [];
  return [{ stream: `${systemName('category-')}${category}`, type: rules.streamReferenceEventType, data: record.stream, extra: null }];
}

/** `$streams`: for a stream's first event, a link to it. */
function indexStreams(record) {
  return record.version === 0 ? [link(systemName('streams'), pointer(record), null)] : [];
}

/** "yyyy-MM-ddTHH:mm:ss.ffffffZ", as ByCorrelationId formats the event's timestamp. */
function microsecondTimestamp(created) {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(created);
  if (match) return `${match[1]}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
  const date = new Date(created);
  return Number.isNaN(date.getTime()) ? created : microsecondTimestamp(date.toISOString());
}
