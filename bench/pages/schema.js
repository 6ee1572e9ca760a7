// The sandbox's IndexedDB schema and rows, written out in plain JS for the
// raw baselines (bench/pages/baseline.js, first-screen.js, stages.mjs).
// Mirrors src/storage/indexeddb/schema.rs (the stores and indexes of each
// schema version) and src/storage/rows.rs (EventRow, the streams row): a
// baseline that maintains fewer indexes or writes less would make every
// ratio flatter than the truth, and one that writes more, rosier.
//
// The schema version is the one the build under test made: the harness reads
// it from a sandbox database and calls `benchSchema.use(version)`; the raw
// first screen takes it from the database it opens. A version this file does
// not know fails the run, so a schema change cannot slip past the baselines.
(() => {
  const g = typeof window === 'undefined' ? self : window;
  const KNOWN = [4, 5];
  /** Every index `streams` has had (schema.rs); another one fails the run. */
  const STREAM_INDEXES = ['category', 'truncate_before', 'first_position'];

  /** `truncateBefore` of a soft-deleted stream (i64::MAX, stored as the double 2^63). */
  const SOFT_DELETED_AT_LEAST = 2 ** 63 - 1024;

  /** `category_of` in src/core/event.rs. */
  function categoryOf(stream) {
    if (stream.startsWith('$')) return undefined;
    const dash = stream.indexOf('-');
    return dash > 0 ? stream.slice(0, dash) : undefined;
  }

  /**
   * The EventRow the sandbox stores for one input event: `metadata` and
   * `correlationId` are absent when the event has none.
   */
  function eventRow(input, stream, version, position, created) {
    const row = { position, stream, version, id: crypto.randomUUID(), type: input.type, data: JSON.stringify(input.data) };
    if (input.metadata != null) row.metadata = JSON.stringify(input.metadata);
    row.created = created;
    const correlation = input.metadata?.$correlationId;
    if (typeof correlation === 'string') row.correlationId = correlation;
    return row;
  }

  /**
   * What one schema version stores. Up to v4 a `streams` row holds the
   * head (version, count, last update) and every append `put`s it; from v5
   * it holds only what changes on creation, soft delete and undelete, and
   * is written only then (the head is the stream's last event, read from
   * the `[stream, version]` index).
   */
  function shapeOf(version, streamIndexes = null) {
    if (!KNOWN.includes(version)) {
      throw new Error(`bench/pages/schema.js mirrors sandbox schemas v${KNOWN.join(', v')}, but the build under test made v${version}: mirror schema.rs and rows.rs there first`);
    }
    const unknown = (streamIndexes ?? []).filter((name) => !STREAM_INDEXES.includes(name));
    if (unknown.length) {
      throw new Error(`the build under test has indexes on streams that bench/pages/schema.js does not mirror: ${unknown.join(', ')}`);
    }
    const headInRow = version < 5;
    // v5's `first_position` index (the stream list's order) came in a
    // later commit than v5 itself; the build's own database says which.
    const byFirstPosition = version >= 5 && (streamIndexes ?? STREAM_INDEXES).includes('first_position');
    return {
      version,
      headInRow,
      byFirstPosition,
      /** The stores and indexes, as `upgrade` in schema.rs leaves them. */
      createSchema(db) {
        const events = db.createObjectStore('events', { keyPath: 'position' });
        events.createIndex('stream_version', ['stream', 'version'], { unique: true });
        // v2
        events.createIndex('type_position', ['type', 'position']);
        events.createIndex('correlation_position', ['correlationId', 'position']);
        const streams = db.createObjectStore('streams', { keyPath: 'stream' });
        streams.createIndex('category', 'category');
        // v3
        db.createObjectStore('projections', { keyPath: 'name' });
        // v4: the unique `id` index is gone; streams gain the sparse truncate_before.
        streams.createIndex('truncate_before', 'truncateBefore');
        // v5: `first_position` on streams (the stream list's order).
        if (byFirstPosition) streams.createIndex('first_position', 'firstPosition');
      },
      /** Whether an append to a stream whose head is `head` (undefined: a new stream) writes its row. */
      writesStreamRow: (head) => headInRow || head === undefined,
      /** The stored streams row; `truncateBefore` is absent while 0. */
      streamRow(stream, lastVersion, created, updated, firstPosition) {
        const row = { stream };
        const category = categoryOf(stream);
        if (category !== undefined) row.category = category;
        if (headInRow) Object.assign(row, { version: lastVersion, count: lastVersion + 1, created, updated });
        else row.created = created;
        row.firstPosition = firstPosition;
        return row;
      },
    };
  }

  let current = null;
  /** Picks the schema the raw baselines write: the version, and the indexes `streams` has. */
  function use(version, streamIndexes) {
    current = shapeOf(version, streamIndexes);
    return current.version;
  }
  const shape = () => {
    if (!current) throw new Error('benchSchema.use(version) was not called: which schema does the build under test write?');
    return current;
  };

  const isDeleted = (row) => (row.truncateBefore ?? 0) >= SOFT_DELETED_AT_LEAST;
  const isSystem = (row) => row.stream.startsWith('$');

  const request = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

  /** Opens a database another page made, as it is: no version, so no upgrade. */
  function openExisting(name) {
    const r = indexedDB.open(name);
    r.onupgradeneeded = () => r.transaction.abort();
    return request(r);
  }

  g.benchSchema = {
    KNOWN, STREAM_INDEXES, use, shape, shapeOf, categoryOf, eventRow, isDeleted, isSystem, request, openExisting,
    createSchema: (db) => shape().createSchema(db),
    streamRow: (...args) => shape().streamRow(...args),
    writesStreamRow: (head) => shape().writesStreamRow(head),
  };
})();
