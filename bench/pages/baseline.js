// Raw baselines: plain IndexedDB with the same stores and indexes the sandbox
// uses, batched transactions, getAll, no wrappers. A weak baseline would make
// every ratio a lie, so this does only what the platform needs.
(() => {
  const request = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  // Callers queue every request, then commit() at once (faster than letting
  // the transaction end with the task), and wait here.
  const done = (tx) => new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });

  function open(name) {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => {
      const db = r.result;
      const events = db.createObjectStore('events', { keyPath: 'position' });
      events.createIndex('stream_version', ['stream', 'version'], { unique: true });
      events.createIndex('id', 'id', { unique: true });
      events.createIndex('type_position', ['type', 'position']);
      events.createIndex('correlation_position', ['correlationId', 'position']);
      const streams = db.createObjectStore('streams', { keyPath: 'stream' });
      streams.createIndex('category', 'category');
    };
    return request(r);
  }

  /** The record the sandbox stores for one input event. */
  function record(input, stream, version, position, created) {
    return {
      position, stream, version, id: crypto.randomUUID(), type: input.type,
      data: JSON.stringify(input.data), metadata: JSON.stringify(input.metadata),
      created, correlationId: input.metadata.$correlationId,
    };
  }

  function streamRow(stream, version, created, firstPosition) {
    return { stream, category: stream.split('-')[0], version, count: version + 1, created, updated: created, firstPosition };
  }

  /** `total` events, `batchSize` per readwrite transaction, one stream per batch. */
  async function batchedAppend(name, total, batchSize) {
    const { streamName, event } = window.benchWorkload;
    const db = await open(name);
    const versions = new Map();
    const started = performance.now();
    for (let b = 0, position = 0; position < total; b += 1) {
      const stream = streamName(b);
      const tx = db.transaction(['events', 'streams'], 'readwrite');
      const events = tx.objectStore('events');
      const created = new Date().toISOString();
      let version = versions.get(stream) ?? -1;
      const first = position;
      for (let i = 0; i < batchSize && position < total; i += 1, position += 1) {
        version += 1;
        events.put(record(event(position), stream, version, position, created));
      }
      versions.set(stream, version);
      tx.objectStore('streams').put(streamRow(stream, version, created, first));
      tx.commit();
      await done(tx);
    }
    const ms = performance.now() - started;
    db.close();
    return ms;
  }

  /** `count` transactions of one put each. */
  async function singleAppend(name, count) {
    const { streamName, event } = window.benchWorkload;
    const db = await open(name);
    const versions = new Map();
    const started = performance.now();
    for (let i = 0; i < count; i += 1) {
      const stream = streamName(i);
      const version = (versions.get(stream) ?? -1) + 1;
      versions.set(stream, version);
      const tx = db.transaction(['events'], 'readwrite');
      tx.objectStore('events').put(record(event(i), stream, version, i, new Date().toISOString()));
      tx.commit();
      await done(tx);
    }
    const ms = performance.now() - started;
    db.close();
    return ms;
  }

  /** The whole events store in one getAll; keeps the array for the memory probe. */
  async function coldLoad(name) {
    const started = performance.now();
    const db = await open(name);
    const rows = await request(db.transaction(['events']).objectStore('events').getAll());
    const ms = performance.now() - started;
    window.loaded = rows;
    db.close();
    return { ms, count: rows.length };
  }

  /** Heap taken by the getAll array: heap with it minus heap without it. */
  async function loadedHeapBytes(name) {
    window.loaded = null;
    gc();
    const before = performance.memory.usedJSHeapSize;
    await coldLoad(name);
    gc();
    return performance.memory.usedJSHeapSize - before;
  }

  /** getAll, one postMessage of every event to a worker, a JS fold there. */
  async function rebuild(name) {
    const worker = new Worker('fold-worker.js');
    const started = performance.now();
    const db = await open(name);
    const rows = await request(db.transaction(['events']).objectStore('events').getAll());
    db.close();
    const partitions = await new Promise((resolve) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.postMessage(rows);
    });
    const ms = performance.now() - started;
    worker.terminate();
    return { ms, partitions };
  }

  window.baseline = { batchedAppend, singleAppend, coldLoad, loadedHeapBytes, rebuild };
})();
