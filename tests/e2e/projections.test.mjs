// Projections in EventStoreDB's dialect, through window.sandbox: the cases
// the ESDB docs teach, faults, the watchdog, and persistence across reloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, reload, limit } from './harness.mjs';

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

/** Appends `[stream, type, data]` triples one by one. */
const appendAll = (page, events) => page.evaluate(async (events) => {
  for (const [stream, type, data, metadata] of events) await window.sandbox.append(stream, { type, data, metadata });
}, events);

const carts = [
  ['shoppingCart-1', 'CartCreated', { id: 1 }],
  ['shoppingCart-1', 'ItemAdded', { Description: 'Xbox One S 1TB (Console)' }],
  ['shoppingCart-2', 'CartCreated', { id: 2 }],
  ['shoppingCart-1', 'ItemAdded', { Description: 'Gears of War 4' }],
  ['shoppingCart-2', 'ItemAdded', { Description: 'Xbox One S Controller' }],
  ['shoppingCart-2', 'ItemAdded', { Description: 'Xbox One S 1TB (Console)' }],
  ['$settings', 'Whatever', {}],
  ['shoppingCart-3', 'CartCreated', { id: 3 }],
];

test("the tutorial's counter, foreachStream counts, and a handler that mutates without returning", limit, async () => {
  const { page, context, errors } = await openPage(app);
  await appendAll(page, carts);
  await page.evaluate(() => window.sandbox.createProjection('xbox-one-s-counter', `
    fromAll().when({
      $init: function () { return { count: 0 }; },
      ItemAdded: function (s, e) {
        if (e.body.Description.indexOf('Xbox One S') >= 0) { s.count += 1; }
      }
    }).outputState()`));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('xbox-one-s-counter')), { count: 3 });
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionResult('xbox-one-s-counter')), { count: 3 });

  await page.evaluate(() => window.sandbox.createProjection('cart-items', `
    fromCategory('shoppingCart').foreachStream().when({
      $init: () => ({ items: 0 }),
      ItemAdded: (s, e) => ({ items: s.items + 1 }),
    })`));
  const state = (partition) => page.evaluate((p) => window.sandbox.projectionState('cart-items', { partition: p }), partition);
  assert.deepEqual(await state('shoppingCart-1'), { items: 2 });
  assert.deepEqual(await state('shoppingCart-2'), { items: 2 });
  assert.equal(await state('shoppingCart-3'), null, 'no ItemAdded handler fired, so no partition');
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionPartitions('cart-items')), ['shoppingCart-1', 'shoppingCart-2']);

  // A live projection follows new appends.
  await page.evaluate(() => window.sandbox.append('shoppingCart-3', { type: 'ItemAdded', data: { Description: 'Xbox One S' } }));
  assert.deepEqual(await state('shoppingCart-3'), { items: 1 });
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('xbox-one-s-counter')), { count: 4 });

  const [listed] = (await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).filter((p) => p.name === 'cart-items');
  assert.deepEqual(
    { status: listed.status, mode: listed.mode, position: listed.position, eventsProcessed: listed.eventsProcessed, partitions: listed.partitions },
    // eventsProcessed counts what passes the event filter (the 5 ItemAdded);
    // the position is $all's last, after the Result events outputState wrote.
    { status: 'Running', mode: 'continuous', position: await page.evaluate(() => window.sandbox.readAll({ direction: 'backwards', limit: 1 }).then(([e]) => e.position)), eventsProcessed: 5, partitions: 3 },
  );
  assert.deepEqual(errors, []);
  await context.close();
});

test('partitionBy, transformBy/filterBy, biState with $initShared and $created, and the envelope', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await appendAll(page, [
    ['order-1', 'Placed', { region: 'eu', total: 10 }, { $correlationId: 'c1' }],
    ['order-2', 'Placed', { region: 'us', total: 5 }],
    ['order-3', 'Placed', { total: 7 }],
    ['order-4', 'Placed', { region: 'eu', total: 1 }],
  ]);
  const q = (source) => page.evaluate((s) => window.sandbox.query(s), source);
  const logLength = () => page.evaluate(() => window.sandbox.readAll().then((all) => all.length));

  const byRegion = await q(`fromCategory('order').partitionBy(e => e.body.region).when({
    $init: () => 0,
    Placed: (s, e) => s + e.body.total,
  })`);
  assert.deepEqual(byRegion.partitions, { eu: 11, us: 5 }, 'an undefined key skips the event');

  const transformed = await q(`fromAll().when({
    $init: () => ({ total: 0 }),
    Placed: (s, e) => { s.total += e.data.total; },
  }).transformBy(s => ({ doubled: s.total * 2 })).filterBy(s => s.doubled > 10)`);
  assert.deepEqual(transformed.state, { total: 23 });
  assert.deepEqual(transformed.result, { doubled: 46 });
  await page.evaluate(() => window.sandbox.createProjection('eu-total', `fromCategory('order').partitionBy(e => e.body.region).when({
    $init: () => ({ total: 0 }),
    Placed: (s, e) => { s.total += e.body.total; },
  }).transformBy(s => ({ totalInCents: s.total * 100 }))`));
  const result = await page.evaluate(() => window.sandbox.projectionResult('eu-total', { partition: 'eu' }));
  assert.deepEqual(result, { totalInCents: 1100 }, 'a continuous projection has a result per partition');
  // eu-total's Result events are written by now; the queries below add none.
  const written = await logLength();
  const filteredOut = await q(`fromAll().when({ $init: () => ({ n: 0 }), Placed: (s) => { s.n++; } }).filterBy(s => s.n > 100)`);
  assert.equal(filteredOut.result, null);

  const bi = await q(`options({ biState: true });
    fromCategory('order').foreachStream().when({
      $init: () => ({ total: 0 }),
      $initShared: () => ({ orders: 0, created: 0 }),
      $created: (s, e) => { s[1].created += 1; },
      Placed: (s, e) => { s[0].total += e.body.total; s[1].orders += 1; return s; },
    })`);
  assert.deepEqual(bi.state, { orders: 4, created: 4 }, 'the shared state is the state of a biState projection');
  assert.deepEqual(bi.partitions['order-1'], { total: 10 });

  const envelope = await q(`fromStream('order-1').when({
    $init: () => null,
    $any: (s, e) => ({ data: e.data, body: e.body, bodyRaw: e.bodyRaw, isJson: e.isJson, eventType: e.eventType,
      streamId: e.streamId, sequenceNumber: e.sequenceNumber, metadata: e.metadata, metadataRaw: e.metadataRaw,
      partition: e.partition, eventId: typeof e.eventId, position: e.position, created: typeof e.created }),
  })`);
  assert.deepEqual(envelope.state, {
    data: { region: 'eu', total: 10 }, body: { region: 'eu', total: 10 }, bodyRaw: '{"region":"eu","total":10}',
    isJson: true, eventType: 'Placed', streamId: 'order-1', sequenceNumber: 0,
    metadata: { $correlationId: 'c1' }, metadataRaw: '{"$correlationId":"c1"}', partition: '',
    eventId: 'string', position: 0, created: 'string',
  });

  const logged = await q(`fromStreams('order-1', 'order-2').when({ $init: () => 0, Placed: (s, e) => { log('saw', e.streamId); return s + 1; } })`);
  assert.equal(logged.state, 2);
  assert.equal(logged.logs.length, 2);
  assert.equal(await logLength(), written, 'queries never write');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a throwing reducer faults with the event and the line, and the store is untouched', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await appendAll(page, [['account-1', 'Opened', {}], ['account-1', 'Deposited', { amount: 5 }]]);
  await page.evaluate(() => window.sandbox.createProjection('broken', 'fromAll().when({\n  $init: () => ({}),\n  Deposited: (s, e) => {\n    return s.missing.field;\n  }\n})'));
  const failure = await page.evaluate(() => window.sandbox.projectionState('broken').then(() => null, (e) => ({ name: e.name, message: e.message })));
  assert.equal(failure.name, 'ProjectionFaulted');
  assert.match(failure.message, /position 1 \(1@account-1, Deposited\)/);
  assert.match(failure.message, /TypeError/);
  assert.match(failure.message, /line 4 of the source/);
  const [row] = await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)));
  assert.equal(row.status, 'Faulted');
  assert.equal(row.reason, failure.message);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 2);

  const syntax = await page.evaluate(() => window.sandbox.query('fromAll().when({\n  A: (s, e) => { s.x = ; }\n})').then(() => null, (e) => e.message));
  assert.match(syntax, /does not parse/);
  assert.match(syntax, /line 2 of the source/);
  const missing = await page.evaluate(() => window.sandbox.projectionState('nope').then(() => null, (e) => e.name));
  assert.equal(missing, 'ProjectionNotFound');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an endless loop in a handler faults on the timeout while the page and other projections go on', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await appendAll(page, [['account-1', 'Opened', {}], ['account-1', 'Withdrawn', { amount: 5 }]]);
  await page.evaluate(() => window.sandbox.createProjection('counter', 'fromAll().when({ $init: () => 0, $any: (n) => n + 1 })'));
  await page.evaluate(() => {
    window.fault = window.sandbox.createProjection('spin', 'fromAll().when({\n  Withdrawn: (s, e) => { while (true) {} }\n})')
      .then(() => window.sandbox.projectionState('spin'))
      .then(() => null, (e) => e.message);
  });
  // While the worker spins, the page still answers a click.
  await page.getByRole('link', { name: 'All events' }).click();
  await page.getByText('2 events').waitFor({ timeout: 2000 });
  const reason = await page.evaluate(() => window.fault);
  assert.match(reason, /longer than the 250 ms limit at position 1 \(1@account-1, Withdrawn\)/);
  await page.evaluate(() => window.sandbox.append('account-1', { type: 'Deposited', data: { amount: 1 } }));
  assert.equal(await page.evaluate(() => window.sandbox.projectionState('counter')), 3, 'the other projection goes on');
  const statuses = Object.fromEntries((await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).map((p) => [p.name, p.status]));
  assert.deepEqual(statuses, { counter: 'Running', spin: 'Faulted' });

  // The limit is a setting.
  assert.deepEqual(await page.evaluate(() => window.sandbox.configure({ projectionExecutionTimeout: 400 })), { projectionExecutionTimeout: 400 });
  const slower = await page.evaluate(() => window.sandbox.query('fromAll().when({ Deposited: () => { while (true) {} } })').then(() => null, (e) => e.message));
  assert.match(slower, /longer than the 400 ms limit at position 2 \(2@account-1, Deposited\)/);
  const bad = await page.evaluate(() => window.sandbox.configure({ projectionExecutionTimeout: 0 }).then(() => null, (e) => e.name));
  assert.equal(bad, 'InvalidArgument');
  assert.deepEqual(errors, []);
  await context.close();
});

test('after a reload, projections resume with their states', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.evaluate(() => window.sandbox.createProjection('balances', `fromCategory('account').foreachStream().when({
    $init: () => ({ balance: 0 }),
    Deposited: (s, e) => { s.balance += e.data.amount; },
    Withdrawn: (s, e) => { s.balance -= e.data.amount; },
  })`));
  const before = await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' }));
  assert.deepEqual(before, { balance: 525 });
  await page.evaluate(() => window.sandbox.stopProjection('balances'));
  await reload(page);
  const [row] = await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)));
  assert.deepEqual([row.name, row.status, row.position], ['balances', 'Stopped', 19]);
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' })), { balance: 525 });
  await page.evaluate(() => window.sandbox.startProjection('balances'));
  await page.evaluate(() => window.sandbox.append('account-ada', { type: 'Deposited', data: { amount: 75 } }));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' })), { balance: 600 });
  await reload(page);
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' })), { balance: 600 });
  await page.evaluate(() => window.sandbox.resetProjection('balances'));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' })), { balance: 600 });

  // Only a re-run from position 0 calls $init again: its random marker
  // changes, and every event is folded once onto the fresh state, not twice.
  await page.evaluate(() => window.sandbox.createProjection('runs', `fromCategory('account').when({
    $init: () => ({ run: Math.random(), seen: 0 }),
    $any: (s) => { s.seen += 1; },
  })`));
  const runs = () => page.evaluate(() => window.sandbox.projectionState('runs'));
  const firstRun = await runs();
  assert.equal(firstRun.seen, 21);
  assert.deepEqual(await runs(), firstRun, 'asking again re-runs nothing');
  await page.evaluate(() => window.sandbox.resetProjection('runs'));
  const secondRun = await runs();
  assert.equal(secondRun.seen, 21, 'after a reset every event is folded once, onto a fresh state');
  assert.notEqual(secondRun.run, firstRun.run, 'a reset runs $init again');
  const [runsRow] = (await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).filter((p) => p.name === 'runs');
  assert.deepEqual([runsRow.status, runsRow.position, runsRow.eventsProcessed], ['Running', 20, 21]);
  await page.evaluate(() => window.sandbox.deleteProjection('runs'));

  // An update keeps the states built so far (KurrentDB's UpdateQuery keeps
  // the checkpoint); a reset runs the new code over every event.
  await page.evaluate(() => window.sandbox.updateProjection('balances', `fromCategory('account').when({ $init: () => 0, $any: (s) => s + 1 })`));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' })), { balance: 600 });
  await page.evaluate(() => window.sandbox.resetProjection('balances'));
  assert.equal(await page.evaluate(() => window.sandbox.projectionState('balances')), 21);
  await page.evaluate(() => window.sandbox.deleteProjection('balances'));
  await reload(page);
  assert.deepEqual((await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('emit and linkTo write once to owned streams; reset hides them and emits again; queries never write', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.evaluate(() => window.sandbox.createProjection('big-deposits', `fromCategory('account').when({
    Deposited: (s, e) => {
      if (e.data.amount >= 500) {
        emit('big-deposits', 'BigDeposit', { amount: e.data.amount, from: e.streamId });
        linkTo('big-deposit-links', e);
      }
    },
  })`, { emit: true }));
  await page.evaluate(() => window.sandbox.projectionState('big-deposits'));
  const read = (stream, options) => page.evaluate(([s, o]) => window.sandbox.readStream(s, o), [stream, options]);
  let emitted = await read('big-deposits');
  assert.deepEqual(emitted.map((e) => [e.version, e.type, e.data]), [
    [0, 'BigDeposit', { amount: 500, from: 'account-ada' }],
    [1, 'BigDeposit', { amount: 1200, from: 'account-grace' }],
  ]);
  assert.ok(emitted[0].metadata.$causedBy, 'an emitted event names the event that caused it');

  const links = await read('big-deposit-links');
  assert.deepEqual(links.map((e) => [e.type, e.data]), [['$>', '1@account-ada'], ['$>', '1@account-grace']]);
  const resolved = await read('big-deposit-links', { resolveLinks: true });
  assert.deepEqual(resolved.map((e) => [e.stream, e.version, e.type, e.link.stream]), [
    ['account-ada', 1, 'Deposited', 'big-deposit-links'],
    ['account-grace', 1, 'Deposited', 'big-deposit-links'],
  ]);

  // An append into one of these streams from outside is not refused; it
  // faults the projection (fidelity.test.mjs).

  // A new big deposit is emitted once, live.
  await page.evaluate(() => window.sandbox.append('account-alan', { type: 'Deposited', data: { amount: 900 } }));
  await page.evaluate(() => window.sandbox.projectionState('big-deposits'));
  emitted = await read('big-deposits');
  assert.deepEqual(emitted.map((e) => e.data.amount), [500, 1200, 900]);

  // Reset: the old output is hidden, versions and positions are not reused.
  const positionsBefore = (await page.evaluate(() => window.sandbox.readAll())).length;
  await page.evaluate(() => window.sandbox.resetProjection('big-deposits'));
  await page.evaluate(() => window.sandbox.projectionState('big-deposits'));
  emitted = await read('big-deposits');
  assert.deepEqual(emitted.map((e) => [e.version, e.data.amount]), [[3, 500], [4, 1200], [5, 900]]);
  assert.ok(emitted[0].position >= positionsBefore, 'positions are never reused');

  // A query may not emit (KurrentDB's one-time projections never do), and writes nothing.
  const refused = await page.evaluate(() => window.sandbox.query(`fromAll().when({ $any: (s, e) => { emit('query-output', 'Echo', {}); } })`).then(() => null, (e) => e.message));
  assert.match(refused, /'emit' is not allowed by the projection\/configuration\/mode/);
  assert.equal(await page.evaluate(() => window.sandbox.stream('query-output')), null);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a log of exactly one worker read batch (5,000 events) is folded to the end', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('meter-1',
    Array.from({ length: 5000 }, (_, n) => ({ type: 'Ticked', data: { n } }))));
  await page.evaluate(() => window.sandbox.createProjection('ticks', `fromStream('meter-1').when({ $init: () => 0, Ticked: (s) => s + 1 })`));
  assert.equal(await page.evaluate(() => window.sandbox.projectionState('ticks')), 5000);
  await page.evaluate(() => window.sandbox.append('meter-1', { type: 'Ticked', data: {} }));
  assert.equal(await page.evaluate(() => window.sandbox.projectionState('ticks')), 5001);
  assert.deepEqual(errors, []);
  await context.close();
});
