// The raw baseline's rebuild worker, doing what the sandbox's reducer worker
// must do for `fromCategory('account').foreachStream()` summing
// `data.amount`: it opens IndexedDB itself, reads the events store in
// getAll batches (a readonly transaction each, as static/reducer-worker/
// read.js does), keeps the streams of the category, parses their data and
// folds the sum per stream. It returns the sums, so both answers are checked.
// Like the sandbox's worker (fold.js), it opens the database for the
// catch-up and closes it after.

const request = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

/** The database a sandbox page filled, as it is: no version, no upgrade. */
function open(name) {
  const r = indexedDB.open(name);
  r.onupgradeneeded = () => r.transaction.abort();
  return request(r);
}

async function fold({ dbName, readBatch, prefix }) {
  const db = await open(dbName);
  const sums = new Map();
  let events = 0;
  let from = 0;
  for (;;) {
    const rows = await request(db.transaction(['events']).objectStore('events').getAll(IDBKeyRange.lowerBound(from), readBatch));
    for (const row of rows) {
      if (!row.stream.startsWith(prefix)) continue;
      const data = JSON.parse(row.data);
      sums.set(row.stream, (sums.get(row.stream) ?? 0) + data.amount);
      events += 1;
    }
    if (rows.length < readBatch) break;
    from = rows[rows.length - 1].position + 1;
  }
  db.close();
  return { sums: Object.fromEntries(sums), events };
}

self.onmessage = async ({ data: message }) => {
  try {
    if (message.ping) {
      postMessage({ pong: true });
    } else if (message.fold) {
      postMessage(await fold(message.fold));
    }
  } catch (error) {
    postMessage({ error: String(error) });
  }
};
