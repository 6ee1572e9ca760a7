// The raw first screen: what the sandbox's landing view (src/ui/stream_list.rs)
// must do, in plain JS. It opens the sandbox's own database by name
// (`?db=es-sandbox/<sandbox>`), read-only and without a version (no
// upgrade), reads the stream rows the sandbox's list reads, and renders the
// same table (`table.streams`, the same five columns) into the DOM. The
// harness's MutationObserver stops the clock when the table is there, as on
// the sandbox's page.
//
// Also the raw stream page (`rawScreens.streamPage`): the newest page of one
// stream's events, read through the `[stream, version]` index and rendered
// as the sandbox's event table (`table.events`, the same columns).
(() => {
  const { request, openExisting, isDeleted, isSystem } = window.benchSchema;
  /** The rows the list shows at first (ROWS_PER_PAGE in stream_list.rs). */
  const ROWS = 100;
  /** A page of events (PAGE_SIZE in src/ui/event_table.rs). */
  const EVENTS_PAGE = 50;

  const dbName = new URLSearchParams(location.search).get('db');
  const connection = openExisting(dbName);

  /**
   * The first page of the list as the sandbox's list reads it, for the
   * schema of the database opened, system and soft-deleted streams left out:
   * - v4: every streams row (getAll; each holds its head), newest `updated`
   *   first (a stable sort of creation order), the first ROWS;
   * - v5 with the `first_position` index (reads.rs `stream_rows_page`):
   *   the names in order of creation (getAllKeys of that index), less the
   *   soft-deleted ones (getAllKeys of `truncate_before` from 2^63 on), the
   *   ROWS newest, then each one's row and head (its last event, one step of
   *   a `prev` cursor over its `[stream, version]` entries), every request
   *   issued before any is awaited, in one transaction (heads.rs);
   * - v5 before that index: every streams row (getAll), the ROWS newest
   *   created, then each one's head, likewise.
   */
  async function streamsPage(db) {
    const tx = db.transaction(['streams', 'events']);
    const store = tx.objectStore('streams');
    const { headInRow, byFirstPosition } = window.benchSchema.shapeOf(db.version, [...store.indexNames]);
    if (headInRow) {
      const all = (await request(store.getAll())).filter((row) => !isDeleted(row));
      // The object store is ordered by name; the sandbox sorts by creation,
      all.sort((a, b) => a.firstPosition - b.firstPosition);
      // then, stably, newest `updated` first.
      all.sort((a, b) => (a.updated < b.updated ? 1 : a.updated > b.updated ? -1 : 0));
      const visible = all.filter((row) => !isSystem(row));
      return { rows: visible.slice(0, ROWS), read: `v4: getAll of every streams row, sorted by update, the first ${ROWS}`, total: visible.length };
    }
    const index = tx.objectStore('events').index('stream_version');
    const lastOf = (stream) => request(index.openCursor(IDBKeyRange.bound([stream, 0], [stream, Number.MAX_VALUE]), 'prev'));
    const withHead = (row, cursor) => {
      const last = cursor.value;
      return { ...row, version: last.version, count: Math.max(0, last.version + 1 - (row.truncateBefore ?? 0)), updated: last.created };
    };
    if (byFirstPosition) {
      const names = request(store.index('first_position').getAllKeys());
      const deleted = request(store.index('truncate_before').getAllKeys(IDBKeyRange.lowerBound(2 ** 63)));
      const gone = new Set(await deleted);
      const visible = (await names).filter((name) => !gone.has(name) && !name.startsWith('$'));
      const page = visible.reverse().slice(0, ROWS);
      const lookups = page.map((name) => [request(store.get(name)), lastOf(name)]);
      const rows = [];
      for (const [row, last] of lookups) rows.push(withHead(await row, await last));
      return { rows, read: `v5: the first_position index's keys, the ${ROWS} newest, their rows and heads`, total: visible.length };
    }
    const all = (await request(store.getAll())).filter((row) => !isDeleted(row));
    all.sort((a, b) => a.firstPosition - b.firstPosition);
    const visible = all.filter((row) => !isSystem(row));
    const page = visible.reverse().slice(0, ROWS);
    const lasts = page.map((row) => lastOf(row.stream));
    const rows = [];
    for (let i = 0; i < page.length; i += 1) rows.push(withHead(page[i], await lasts[i]));
    return { rows, read: `v5: getAll of every streams row, the ${ROWS} newest created, their heads from the [stream, version] index`, total: visible.length };
  }

  const cell = (text, className) => {
    const td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  };
  const headRow = (cells) => {
    const thead = document.createElement('thead');
    const tr = thead.appendChild(document.createElement('tr'));
    for (const [text, className] of cells) {
      const th = tr.appendChild(document.createElement('th'));
      if (className) th.className = className;
      th.textContent = text;
    }
    return thead;
  };

  /** The same table the sandbox renders: built off the page, inserted once. */
  function renderStreams(rows) {
    const section = document.createElement('section');
    section.appendChild(document.createElement('h1')).textContent = 'Streams';
    const table = document.createElement('table');
    table.className = 'streams';
    table.appendChild(headRow([['Stream'], ['Category'], ['Version', 'num'], ['Count', 'num'], ['Last updated']]));
    const tbody = table.appendChild(document.createElement('tbody'));
    for (const row of rows) {
      const tr = tbody.appendChild(document.createElement('tr'));
      const link = document.createElement('a');
      link.href = `#/streams/${encodeURIComponent(row.stream)}`;
      link.textContent = row.stream;
      tr.appendChild(document.createElement('td')).appendChild(link);
      tr.append(cell(row.category ?? ''), cell(String(row.version), 'num'), cell(String(row.count), 'num'), cell(row.updated, 'time'));
    }
    section.appendChild(table);
    document.getElementById('main').replaceChildren(section);
  }

  const main = new Promise((resolve) => {
    if (document.readyState === 'loading') addEventListener('DOMContentLoaded', resolve, { once: true });
    else resolve();
  });

  window.firstScreen = (async () => {
    const db = await connection;
    const page = await streamsPage(db);
    await main;
    renderStreams(page.rows);
    return { rows: page.rows.length, read: page.read, total: page.total };
  })();

  /** The newest EVENTS_PAGE events of `stream`, rendered as the sandbox's event table. */
  async function streamPage(stream) {
    const started = performance.now();
    const db = await connection;
    const index = db.transaction(['events']).objectStore('events').index('stream_version');
    const rows = [];
    await new Promise((resolve, reject) => {
      const r = index.openCursor(IDBKeyRange.bound([stream, 0], [stream, Infinity]), 'prev');
      r.onsuccess = () => {
        const cursor = r.result;
        if (!cursor) return resolve();
        rows.push(cursor.value);
        if (rows.length === EVENTS_PAGE) return resolve();
        cursor.continue();
      };
      r.onerror = () => reject(r.error);
    });
    const section = document.createElement('section');
    section.appendChild(document.createElement('h1')).textContent = stream;
    const table = document.createElement('table');
    table.className = 'events';
    table.appendChild(headRow([['Version', 'num'], ['Type'], ['Created'], ['Position', 'num'], ['Time travel']]));
    const tbody = table.appendChild(document.createElement('tbody'));
    for (const row of rows) {
      const tr = tbody.appendChild(document.createElement('tr'));
      const link = document.createElement('a');
      link.href = `#/streams/${encodeURIComponent(row.stream)}/${row.version}`;
      link.textContent = row.type;
      tr.append(cell(String(row.version), 'num'));
      tr.appendChild(document.createElement('td')).appendChild(link);
      tr.append(cell(row.created, 'time'), cell(String(row.position), 'num'));
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'travel-here';
      button.textContent = 'Travel here';
      tr.appendChild(document.createElement('td')).appendChild(button);
    }
    section.appendChild(table);
    document.getElementById('main').replaceChildren(section);
    return { ms: performance.now() - started, rows: rows.length, newest: rows[0]?.version };
  }

  window.rawScreens = { streamPage };
})();
