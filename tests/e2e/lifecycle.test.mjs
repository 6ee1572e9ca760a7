// IndexedDB's lifecycle and the failures nobody had tried: a newer build in
// another tab, a database from a newer build, a blocked open, a reload right
// after an emitting append, a transaction aborted mid-batch, and two tabs
// running one projection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, reload, waitReady, attempt, eventually, limit } from './harness.mjs';

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

/** Opens `?sandbox=name` in a new page of `context`. */
async function openSandbox(context, name, { ready = true } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error}`));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()}`); });
  await page.goto(`${app.base}?sandbox=${name}`);
  if (ready) await waitReady(page);
  return { page, errors };
}

/** Counts the rows of one object store of a sandbox, with raw IndexedDB. */
const countRows = (page, database, store) => page.evaluate(([database, store]) => new Promise((resolve, reject) => {
  const open = indexedDB.open(database);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction(store).objectStore(store).count();
    request.onsuccess = () => { db.close(); resolve(request.result); };
    request.onerror = () => reject(request.error);
  };
}), [database, store]);

test('a newer build in another tab: this tab lets go at once, says to reload, and loses nothing', limit, async () => {
  const context = await app.browser.newContext();
  const { page: older, errors } = await openSandbox(context, 'upgrade');
  await older.evaluate(() => window.sandbox.append('account-1', [{ type: 'Opened', data: {} }, { type: 'Deposited', data: { amount: 5 } }]));

  // A newer build opens the same database at a higher version. It is never
  // blocked, because the older tab closes its connection on versionchange.
  const newer = await context.newPage();
  await newer.goto(`${app.base}reducer-worker.js`);
  const opened = await newer.evaluate(() => new Promise((resolve) => {
    const request = indexedDB.open('es-sandbox/upgrade', 99);
    let blocked = false;
    request.onblocked = () => { blocked = true; };
    request.onupgradeneeded = () => {};
    request.onsuccess = () => { request.result.close(); resolve({ ok: true, blocked }); };
    request.onerror = () => resolve({ ok: false, error: String(request.error) });
  }));
  assert.deepEqual(opened, { ok: true, blocked: false });

  // The page-wide banner (a view that re-reads meanwhile may show the same
  // error in its own place too).
  const banner = older.getByRole('alert').filter({ hasText: /Reload this page to continue/ });
  await eventually(async () => {
    assert.match(await banner.textContent(), /newer version of es-sandbox opened this sandbox in another tab/);
  });
  assert.equal(await older.getByRole('button', { name: 'Reload' }).count(), 1);
  const append = await attempt(older, () => window.sandbox.append('account-1', { type: 'Deposited', data: { amount: 1 } }));
  assert.equal(append.name, 'SandboxUnavailable');
  assert.match(append.message, /reload this page/);

  // Reloading the older build now finds a database from a newer build: a
  // clear message, nothing deleted, and the page does not hang on loading.
  await older.reload();
  await older.waitForFunction(() => window.sandbox !== undefined);
  const ready = await attempt(older, () => window.sandbox.ready);
  assert.equal(ready.name, 'SandboxUnavailable');
  assert.match(ready.message, /saved by a newer version of es-sandbox/);
  assert.match(ready.message, /Nothing was changed or deleted/);
  assert.match(await older.getByRole('alert').textContent(), /saved by a newer version/);
  assert.equal(await countRows(newer, 'es-sandbox/upgrade', 'events'), 2, 'both events are still stored');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an open blocked by an older tab says so, then goes on once that tab lets go', limit, async () => {
  const context = await app.browser.newContext();
  // An "older build" holds version 1 open and ignores versionchange, so the
  // page's upgrade to the current schema is blocked.
  const holder = await context.newPage();
  await holder.goto(`${app.base}reducer-worker.js`);
  await holder.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open('es-sandbox/blocked', 1);
    request.onupgradeneeded = () => {
      const events = request.result.createObjectStore('events', { keyPath: 'position' });
      events.createIndex('stream_version', ['stream', 'version'], { unique: true });
      events.createIndex('id', 'id', { unique: true });
      request.result.createObjectStore('streams', { keyPath: 'stream' });
    };
    request.onsuccess = () => { window.heldOpen = request.result; resolve(); };
    request.onerror = () => reject(request.error);
  }));

  const { page, errors } = await openSandbox(context, 'blocked', { ready: false });
  await eventually(async () => {
    assert.match(await page.getByRole('alert').textContent(), /Another tab has this sandbox open with an older version/);
  });
  const pending = await page.evaluate(() => Promise.race([
    window.sandbox.ready.then(() => 'ready'),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), 300)),
  ]));
  assert.equal(pending, 'still waiting');

  await holder.evaluate(() => window.heldOpen.close());
  await waitReady(page);
  await page.evaluate(() => window.sandbox.append('account-1', { type: 'Opened', data: {} }));
  await eventually(async () => assert.equal(await page.getByRole('alert').count(), 0));
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

const receipts = `
  fromCategory('order').when({
    $init: () => ({ orders: 0 }),
    Placed: (state, event) => {
      state.orders += 1;
      emit('receipts-' + event.streamId, 'Receipt', { n: event.data.n });
    },
  })`;

/** The `n` of every Receipt, in the order of each receipts stream, by stream. */
const receiptsByStream = (page) => page.evaluate(async () => {
  const out = {};
  for (const row of await window.sandbox.streams()) {
    if (!row.stream.startsWith('receipts-')) continue;
    out[row.stream] = (await window.sandbox.readStream(row.stream)).map((e) => e.data.n);
  }
  return out;
});

/** The checkpoint position saved in the projections store, raw. */
const savedPosition = (page, database, name) => page.evaluate(([database, name]) => new Promise((resolve, reject) => {
  const open = indexedDB.open(database);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction('projections').objectStore('projections').get(name);
    request.onsuccess = () => { db.close(); resolve(request.result ? request.result.position : null); };
    request.onerror = () => reject(request.error);
  };
}), [database, name]);

test('a reload right after emitting appends replays them, and every output lands exactly once', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate((source) => window.sandbox.createProjection('receipts', source, { emit: true }), receipts);
  await page.evaluate(() => window.sandbox.append('order-1', { type: 'Placed', data: { n: 1 } }));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('receipts')), { orders: 1 });

  // Appends within the second after a save are folded and their outputs
  // written, while the saved checkpoint lags behind. The reload comes right
  // then, before the trailing save, so the replay re-emits stored outputs.
  let n = 1;
  for (let attempt = 0; ; attempt += 1) {
    n += 1;
    await page.evaluate((n) => window.sandbox.append(n % 2 ? 'order-1' : 'order-2', { type: 'Placed', data: { n } }), n);
    await page.evaluate(() => window.sandbox.projectionState('receipts'));
    const live = (await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system))))[0].position;
    const saved = await savedPosition(page, 'es-sandbox/default', 'receipts');
    if (saved < live) break;
    assert.ok(attempt < 20, `the saved checkpoint (${saved}) never lagged the live position (${live})`);
  }
  await reload(page);
  // The replay re-emits outputs already stored, mixed with a new one.
  n += 1;
  await page.evaluate((n) => window.sandbox.append('order-1', { type: 'Placed', data: { n } }), n);
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('receipts')), { orders: n });
  const [row] = await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)));
  assert.equal(row.status, 'Running', row.reason ?? '');
  const all = Array.from({ length: n }, (_, i) => i + 1);
  assert.deepEqual(await receiptsByStream(page), {
    'receipts-order-1': all.filter((i) => i % 2),
    'receipts-order-2': all.filter((i) => !(i % 2)),
  });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a transaction aborted in the middle of a 1,000-event batch leaves nothing of it', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('ledger-1', { type: 'Opened', data: {} }));
  // The 500th row of the next batch is one IndexedDB itself refuses to
  // store (a function cannot be cloned): a real DataCloneError, thrown after
  // 499 rows are already queued in the same transaction.
  await page.evaluate(() => {
    const add = IDBObjectStore.prototype.add;
    let calls = 0;
    IDBObjectStore.prototype.add = function (value, key) {
      calls += 1;
      if (window.failNextBatch && calls === 500) {
        window.failNextBatch = false;
        return add.call(this, { ...value, uncloneable: () => {} }, key);
      }
      return add.call(this, value, key);
    };
    window.resetAddCount = () => { calls = 0; };
  });
  const failed = await page.evaluate(async () => {
    window.resetAddCount();
    window.failNextBatch = true;
    const batch = Array.from({ length: 1000 }, (_, i) => ({ type: 'Posted', data: { i } }));
    try {
      await window.sandbox.append('ledger-1', batch);
      return { ok: true };
    } catch (error) {
      return { ok: false, name: error.name, message: error.message };
    }
  });
  assert.equal(failed.ok, false, 'the batch must fail');
  assert.equal(failed.name, 'StorageError');
  assert.match(failed.message, /DataCloneError/);

  const check = async () => {
    assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 1, 'nothing of the batch is in $all');
    assert.equal((await page.evaluate(() => window.sandbox.stream('ledger-1'))).version, 0);
    assert.equal(await countRows(page, 'es-sandbox/default', 'events'), 1, 'nothing of the batch is stored');
  };
  await check();
  await reload(page);
  await check();
  // The next append continues where the store really is.
  const next = await page.evaluate(() => window.sandbox.append('ledger-1', { type: 'Posted', data: { i: 0 } }, { expectedVersion: 0 }));
  assert.deepEqual(next, { nextExpectedVersion: 1, position: 1 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('two tabs running one projection write each output once, and follow each other\'s stop and reset', limit, async () => {
  const context = await app.browser.newContext();
  const a = await openSandbox(context, 'two-tabs');
  await a.page.evaluate((source) => window.sandbox.createProjection('receipts', source, { emit: true }), receipts);
  const b = await openSandbox(context, 'two-tabs');
  assert.deepEqual((await b.page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).map((p) => p.name), ['receipts']);

  // Both tabs append, both fold, both write the same outputs.
  for (let n = 1; n <= 6; n += 1) {
    const tab = n % 2 ? a : b;
    await tab.page.evaluate((n) => window.sandbox.append(`order-${n % 3}`, { type: 'Placed', data: { n } }), n);
  }
  // Reading a state catches up with everything stored, whichever tab wrote it.
  for (const { page } of [a, b]) {
    assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('receipts')), { orders: 6 });
  }
  const expected = {
    'receipts-order-0': [3, 6],
    'receipts-order-1': [1, 4],
    'receipts-order-2': [2, 5],
  };
  assert.deepEqual(await receiptsByStream(a.page), expected);
  assert.deepEqual(await receiptsByStream(b.page), expected);

  // A stops it: B hears of it and stops too, so B's appends write nothing.
  await a.page.evaluate(() => window.sandbox.stopProjection('receipts'));
  await eventually(async () => {
    const [row] = await b.page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)));
    assert.equal(row.status, 'Stopped');
  });
  await b.page.evaluate(() => window.sandbox.append('order-1', { type: 'Placed', data: { n: 7 } }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(await receiptsByStream(a.page), expected, 'a stopped projection writes nothing, in either tab');

  // A resets it: both run the new generation, and its outputs are written
  // once between them, the old ones hidden.
  await a.page.evaluate(() => window.sandbox.resetProjection('receipts'));
  assert.deepEqual(await a.page.evaluate(() => window.sandbox.projectionState('receipts')), { orders: 7 });
  await eventually(async () => {
    const [row] = await b.page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)));
    assert.equal(row.status, 'Running');
  });
  assert.deepEqual(await b.page.evaluate(() => window.sandbox.projectionState('receipts')), { orders: 7 });
  await b.page.evaluate(() => window.sandbox.append('order-2', { type: 'Placed', data: { n: 8 } }));
  assert.deepEqual(await a.page.evaluate(() => window.sandbox.projectionState('receipts')), { orders: 8 });
  assert.deepEqual(await b.page.evaluate(() => window.sandbox.projectionState('receipts')), { orders: 8 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const afterReset = { ...expected, 'receipts-order-1': [1, 4, 7], 'receipts-order-2': [2, 5, 8] };
  assert.deepEqual(await receiptsByStream(a.page), afterReset);
  await reload(a.page);
  assert.deepEqual(await receiptsByStream(a.page), afterReset);
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
  await context.close();
});
