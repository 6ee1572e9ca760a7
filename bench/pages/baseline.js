// Raw baselines: plain IndexedDB with the same stores, indexes and rows the
// sandbox uses (bench/pages/schema.js), no wrappers. A weak baseline would
// make every ratio a lie, so this does only what the platform needs.
//
// The appends write a database of their own (`name`); the reads open the
// database a sandbox page filled (`es-sandbox/<sandbox>`), read-only and
// without a version, so both sides read identical rows.
(() => {
  const { createSchema, eventRow, streamRow, writesStreamRow, request, openExisting } = window.benchSchema;
  // Callers queue every request, then commit() at once (faster than letting
  // the transaction end with the task), and wait here.
  const done = (tx) => new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });

  function open(name) {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => createSchema(r.result);
    return request(r);
  }

  /**
   * `total` events, `batchSize` per readwrite transaction, one stream per
   * batch: `add` of each event row, and `put` of the stream row when the
   * schema's append writes it (every append up to v4; from v5 only the
   * stream's first), as the sandbox's append writes them.
   */
  async function batchedAppend(name, total, batchSize) {
    const { streamName, event } = window.benchWorkload;
    const db = await open(name);
    const heads = new Map();
    const started = performance.now();
    for (let b = 0, position = 0; position < total; b += 1) {
      const stream = streamName(b);
      const tx = db.transaction(['events', 'streams'], 'readwrite');
      const events = tx.objectStore('events');
      const created = new Date().toISOString();
      const head = heads.get(stream);
      let version = head ? head.version : -1;
      const first = position;
      for (let i = 0; i < batchSize && position < total; i += 1, position += 1) {
        version += 1;
        events.add(eventRow(event(position), stream, version, position, created));
      }
      if (writesStreamRow(head)) tx.objectStore('streams').put(streamRow(stream, version, head ? head.created : created, created, head ? head.firstPosition : first));
      heads.set(stream, { version, created: head ? head.created : created, firstPosition: head ? head.firstPosition : first });
      tx.commit();
      await done(tx);
    }
    const ms = performance.now() - started;
    db.close();
    return ms;
  }

  /**
   * `count` appends of one event, one transaction each. `fair: false` is
   * the physical limit (one `add` of the event row into `events`, with its
   * indexes); `fair: true` also `put`s the stream row on every append, in
   * the same transaction (what the sandbox's append wrote up to schema v4).
   */
  async function singleAppend(name, count, { fair = false } = {}) {
    const { streamName, event } = window.benchWorkload;
    const db = await open(name);
    const heads = new Map();
    const stores = fair ? ['events', 'streams'] : ['events'];
    const started = performance.now();
    for (let i = 0; i < count; i += 1) {
      const stream = streamName(i);
      const created = new Date().toISOString();
      const head = heads.get(stream);
      const version = head ? head.version + 1 : 0;
      const tx = db.transaction(stores, 'readwrite');
      tx.objectStore('events').add(eventRow(event(i), stream, version, i, created));
      const since = head ? head.created : created;
      const firstPosition = head ? head.firstPosition : i;
      if (fair) tx.objectStore('streams').put(streamRow(stream, version, since, created, firstPosition));
      heads.set(stream, { version, created: since, firstPosition });
      tx.commit();
      await done(tx);
    }
    const ms = performance.now() - started;
    db.close();
    return ms;
  }

  /**
   * Fills `name` with the scale layout (bench/pages/workload.js,
   * benchScale.layout) up to position `to` (exclusive), fast: big
   * transactions of puts. Returns the stream heads for the appends after.
   */
  async function fillScale(name, total, streams, tail, from, to, perTransaction = 20000) {
    const { event, layout } = window.benchScale;
    const shape = layout(total, streams, tail);
    const db = await open(name);
    const created = new Date().toISOString();
    let call = 0;
    // The call that holds position `from`.
    while (shape.fillCall(call)[1] <= from) call += 1;
    let position = from;
    while (position < to) {
      const tx = db.transaction(['events', 'streams'], 'readwrite');
      const events = tx.objectStore('events');
      const streamsStore = tx.objectStore('streams');
      const end = Math.min(to, position + perTransaction);
      while (position < end) {
        const [first, last] = shape.fillCall(call);
        const stream = shape.streamName(call);
        const stop = Math.min(last, end);
        for (; position < stop; position += 1) events.put(eventRow(event(position), stream, position - first, position, created));
        streamsStore.put(streamRow(stream, position - first - 1, created, created, first));
        if (position === last) call += 1;
      }
      tx.commit();
      await done(tx);
    }
    db.close();
    return position;
  }

  /**
   * At the scale run's store size: one batched append of `batch` events to
   * `stream` (version `version` + 1 on), then `singles` single appends (add
   * only: the physical limit) to the streams named. Milliseconds of each.
   */
  async function appendsAtSize(name, { stream, version, firstPosition, position, batch, singles }) {
    const { event } = window.benchScale;
    const db = await open(name);
    const created = new Date().toISOString();
    let started = performance.now();
    const tx = db.transaction(['events', 'streams'], 'readwrite');
    const events = tx.objectStore('events');
    for (let i = 0; i < batch; i += 1) events.add(eventRow(event(position + i), stream, version + 1 + i, position + i, created));
    // The stream exists: from schema v5 its row is not written again.
    if (writesStreamRow({})) tx.objectStore('streams').put(streamRow(stream, version + batch, created, created, firstPosition));
    tx.commit();
    await done(tx);
    const batchedMs = performance.now() - started;
    position += batch;
    started = performance.now();
    for (const single of singles) {
      const one = db.transaction(['events'], 'readwrite');
      one.objectStore('events').add(eventRow(event(position), single.stream, single.version, position, new Date().toISOString()));
      one.commit();
      await done(one);
      position += 1;
    }
    const singlesMs = performance.now() - started;
    db.close();
    return { batchedMs, singlesMs };
  }

  /**
   * The whole log as `readAll` gives it, the raw way: one getAll() of the
   * events store of a database a sandbox filled, each row turned into the
   * same RecordedEvent (`{ stream, version, position, id, type, data,
   * metadata, created }`, data and metadata parsed, metadata null when
   * absent). Returns a few events for run.mjs to compare with the sandbox's.
   */
  async function wholeLog(dbName, { keep = false } = {}) {
    const db = await openExisting(dbName);
    const started = performance.now();
    const rows = await request(db.transaction(['events']).objectStore('events').getAll());
    const events = rows.map((row) => ({
      stream: row.stream,
      version: row.version,
      position: row.position,
      id: row.id,
      type: row.type,
      data: JSON.parse(row.data),
      metadata: row.metadata == null ? null : JSON.parse(row.metadata),
      created: row.created,
    }));
    const ms = performance.now() - started;
    db.close();
    if (keep) window.loaded = events;
    return { ms, count: events.length, first: events[0]?.position, last: events[events.length - 1]?.position, samples: window.benchSamples(events) };
  }

  /** One page of `$all` backwards from the end: a `prev` cursor, `limit` rows. */
  async function allPage(dbName, limit) {
    const db = await openExisting(dbName);
    const started = performance.now();
    const rows = [];
    await new Promise((resolve, reject) => {
      const r = db.transaction(['events']).objectStore('events').openCursor(null, 'prev');
      r.onsuccess = () => {
        const cursor = r.result;
        if (!cursor) return resolve();
        rows.push(cursor.value);
        if (rows.length === limit) return resolve();
        cursor.continue();
      };
      r.onerror = () => reject(r.error);
    });
    const ms = performance.now() - started;
    db.close();
    return { ms, count: rows.length, first: rows[0]?.position, last: rows[rows.length - 1]?.position };
  }

  /**
   * The fair rebuild: a worker that opens the database itself, reads the
   * events store in getAll batches of `readBatch` (the sandbox reducer
   * worker's `rules.readBatch`), keeps the `account-` streams, parses their
   * data and folds the sum per stream. The worker is started before the
   * clock starts, as the sandbox's is; it opens the database inside the
   * clock, as the sandbox's does for every catch-up.
   */
  async function rebuild(dbName, readBatch) {
    const worker = new Worker('fold-worker.js');
    const ask = (message) => new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(message);
    });
    await ask({ ping: true });
    const started = performance.now();
    const { sums, events } = await ask({ fold: { dbName, readBatch, prefix: 'account-' } });
    const ms = performance.now() - started;
    worker.terminate();
    return { ms, sums, events };
  }

  /** The page's heap after a full collection: the same measure as the sandbox's page (minus wasm). */
  function heapBytes() {
    gc();
    return performance.memory.usedJSHeapSize;
  }

  window.baseline = { use: window.benchSchema.use, open, batchedAppend, singleAppend, fillScale, appendsAtSize, wholeLog, allPage, rebuild, heapBytes };
})();
