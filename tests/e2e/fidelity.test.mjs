// What KurrentDB does, end to end: an update keeps the checkpoint, emitting
// is governed, a foreign write into an emitted stream faults the
// projection, results go to KurrentDB's result streams, reads can choose
// not to wait, and the system projections index the log into link streams
// that fromCategory() reads. Every case reloads and checks nothing was lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp, openPage, reload, limit, attempt, eventually } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots = path.resolve(here, '..', '..', 'docs', 'screenshots', 'after');

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const deposit = (page, stream, amount) => page.evaluate(([s, a]) => window.sandbox.append(s, { type: 'Deposited', data: { amount: a } }), [stream, amount]);
const state = (page, name, options) => page.evaluate(([n, o]) => window.sandbox.projectionState(n, o), [name, options]);
const listed = async (page, name) => (await page.evaluate(() => window.sandbox.projections())).find((p) => p.name === name);

// KurrentDB: ManagedProjection.UpdateQuery keeps the epoch, so the state
// carries over (Management.Tests updating_projections/updating_projection_sources).
test('updateProjection keeps the state built so far and goes on with the new code; a reset starts over', limit, async () => {
  const { page, errors } = await openPage(app);
  await deposit(page, 'account-1', 5);
  await deposit(page, 'account-1', 7);
  await page.evaluate(() => window.sandbox.createProjection('total', `
    fromAll().when({ $init: () => ({ sum: 0, seen: 0 }), Deposited: (s, e) => { s.sum += e.data.amount; s.seen += 1; } })`));
  assert.deepEqual(await state(page, 'total'), { sum: 12, seen: 2 });
  // The new code doubles: only events after the checkpoint are doubled.
  await page.evaluate(() => window.sandbox.updateProjection('total', `
    fromAll().when({ $init: () => ({ sum: 0, seen: 0 }), Deposited: (s, e) => { s.sum += 2 * e.data.amount; s.seen += 1; } })`));
  await deposit(page, 'account-1', 1);
  assert.deepEqual(await state(page, 'total'), { sum: 14, seen: 3 }, 'the state before the update was kept, not rebuilt by the new code');
  await reload(page);
  assert.deepEqual(await state(page, 'total'), { sum: 14, seen: 3 }, 'and it outlives a reload');
  await page.evaluate(() => window.sandbox.resetProjection('total'));
  assert.deepEqual(await state(page, 'total'), { sum: 26, seen: 3 }, 'a reset runs the new code over every event');
  assert.deepEqual(errors, []);
});

test('the projection page offers Save and Save and reset, and says what each does to the state', limit, async () => {
  const { page, errors } = await openPage(app);
  await deposit(page, 'account-1', 5);
  await page.evaluate(() => window.sandbox.createProjection('ui-total', `fromAll().when({ $init: () => ({ sum: 0 }), Deposited: (s, e) => { s.sum += e.data.amount; } })`));
  await state(page, 'ui-total');
  await page.goto(page.url().replace(/#.*$/, '') + '#/projections/ui-total');
  await page.getByRole('button', { name: 'Save', exact: true }).waitFor();
  const help = await page.getByTestId('save-help').textContent();
  assert.match(help, /Save keeps the state built up to position 0/);
  assert.match(help, /Save and reset throws that state away/);
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'projection-save-and-reset.png'), fullPage: true });
  // Save a new source with the page's button: the state is kept.
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText('fromAll().when({ $init: () => ({ sum: 0 }), Deposited: (s, e) => { s.sum += 100; } })');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await eventually(async () => assert.equal(await page.getByTestId('draft-note').count(), 0, 'saved'));
  await deposit(page, 'account-1', 1);
  await eventually(async () => assert.deepEqual(await state(page, 'ui-total'), { sum: 105 }));
  await reload(page);
  assert.deepEqual(await state(page, 'ui-total'), { sum: 105 });
  assert.deepEqual(errors, []);
});

// KurrentDB: EventSubscriptionBasedProjectionProcessingPhase.ValidateEmittedEvents;
// emitEnabled is off unless asked for (ProjectionManagement.Create).
test('emit faults unless the projection allows emitting; emitted events carry $causedBy', limit, async () => {
  const { page, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('account-1', { type: 'Deposited', data: { amount: 500 }, metadata: { $correlationId: 'c-9' } }));
  const source = `fromAll().when({ Deposited: (s, e) => { emit('big-deposits', 'BigDeposit', { amount: e.data.amount }); } })`;
  await page.evaluate((source) => window.sandbox.createProjection('no-emit', source), source);
  const fault = await attempt(page, () => window.sandbox.projectionState('no-emit'));
  assert.equal(fault.name, 'ProjectionFaulted');
  assert.match(fault.message, /'emit' is not allowed by the projection\/configuration\/mode/);
  assert.equal((await attempt(page, () => window.sandbox.readStream('big-deposits'))).name, 'StreamNotFound', 'nothing was emitted');

  await page.evaluate((source) => window.sandbox.createProjection('with-emit', source, { emit: true }), source);
  await state(page, 'with-emit');
  assert.equal((await listed(page, 'with-emit')).emitEnabled, true);
  const [emitted] = await page.evaluate(() => window.sandbox.readStream('big-deposits'));
  const [cause] = await page.evaluate(() => window.sandbox.readStream('account-1'));
  assert.equal(emitted.metadata.$causedBy, cause.id);
  assert.equal(emitted.metadata.$correlationId, 'c-9', 'copied from the source event');
  assert.equal(emitted.metadata.$causationId, undefined, 'KurrentDB writes $causedBy');
  await reload(page);
  assert.equal((await listed(page, 'with-emit')).emitEnabled, true, 'the setting outlives a reload');
  assert.equal((await page.evaluate(() => window.sandbox.readStream('big-deposits'))).length, 1);
  assert.deepEqual(errors, []);
});

// KurrentDB: EmittedStream faults with this reason when the last event of
// a stream it emits to is not its own; an append there is not refused.
test('an append into an emitted stream lands, and faults the projection with KurrentDB\'s reason', limit, async () => {
  const { page } = await openPage(app);
  await deposit(page, 'account-1', 5);
  await page.evaluate(() => window.sandbox.createProjection('copier', `fromAll().when({ Deposited: (s, e) => { emit('copies', 'Copied', {}); } })`, { emit: true }));
  await state(page, 'copier');
  await page.evaluate(() => window.sandbox.append('copies', { type: 'Intruder', data: {} }));
  await deposit(page, 'account-1', 6);
  const fault = await attempt(page, () => window.sandbox.projectionState('copier'));
  assert.equal(fault.name, 'ProjectionFaulted');
  assert.match(fault.message, /The 'copies' stream managed by projection copier has been written to from the outside\./);
  await reload(page);
  assert.equal((await listed(page, 'copier')).status, 'Faulted');
  assert.deepEqual((await page.evaluate(() => window.sandbox.readStream('copies'))).map((e) => e.type), ['Copied', 'Intruder']);
});

// KurrentDB: ProjectionNamesBuilder, $projections-{name}-result and
// $projections-{name}-{partition}-result; ResultEventEmitter writes Result.
test('outputState writes Result events to the projection\'s result streams', limit, async () => {
  const { page, errors } = await openPage(app);
  await deposit(page, 'account-1', 5);
  await deposit(page, 'account-2', 7);
  await page.evaluate(() => window.sandbox.createProjection('sums', `
    fromCategory('account').foreachStream().when({ $init: () => ({ sum: 0 }), Deposited: (s, e) => { s.sum += e.data.amount; } }).outputState()`));
  await state(page, 'sums', { partition: 'account-1' });
  const results = await page.evaluate(() => window.sandbox.readStream('$projections-sums-account-1-result'));
  assert.deepEqual(results.map((e) => [e.type, e.data]), [['Result', { sum: 5 }]]);
  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readStream('$projections-sums-account-2-result'))).length, 1);
  assert.deepEqual(errors, []);
});

test('projectionState with { wait: false } answers with what is processed so far', limit, async () => {
  const { page, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.createProjection('eventual', `fromAll().when({
    $init: () => ({ n: 0 }),
    // About a second and a half for the whole batch below.
    Ticked: (s) => { const until = performance.now() + 0.12; while (performance.now() < until); s.n += 1; },
  })`));
  assert.equal(await state(page, 'eventual'), null, 'nothing to count yet');
  const total = 12000;
  await page.evaluate((total) => window.sandbox.append('ticks-1', Array.from({ length: total }, () => ({ type: 'Ticked', data: {} }))), total);
  const soFar = await state(page, 'eventual', { wait: false });
  assert.ok(soFar === null || soFar.n < total, `not caught up yet: ${JSON.stringify(soFar)}`);
  assert.deepEqual(await state(page, 'eventual'), { n: total }, 'waiting gives everything');
  assert.equal((await attempt(page, () => window.sandbox.projectionState('eventual', { wait: 'no' }))).name, 'InvalidArgument');
  await reload(page);
  assert.deepEqual(await state(page, 'eventual'), { n: total });
  assert.deepEqual(await state(page, 'eventual', { wait: false }), { n: total }, 'processed by now');
  assert.deepEqual(errors, []);
});

// KurrentDB: ProjectionManager.CreateSystemProjections; the Standard
// handlers write $ce-, $et-, $bc-, $category- and $streams.
test('the system projections are listed and index the log into link streams that resolve', limit, async () => {
  const { page, errors } = await openPage(app);
  await page.evaluate(async () => {
    await window.sandbox.append('account-1', { type: 'Opened', data: {} });
    await window.sandbox.append('order-1', { type: 'Placed', data: {}, metadata: { $correlationId: 'c-1' } });
    await window.sandbox.append('account-1', { type: 'Deposited', data: { amount: 5 }, metadata: { $correlationId: 'c-1' } });
    await window.sandbox.append('nodash', { type: 'Opened', data: {} });
  });
  const systems = (await page.evaluate(() => window.sandbox.projections())).filter((p) => p.system).map((p) => [p.name, p.status, p.emitEnabled]);
  assert.deepEqual(systems.map(([name]) => name).sort(), ['$by_category', '$by_correlation_id', '$by_event_type', '$stream_by_category', '$streams']);
  assert.ok(systems.every(([, status, emit]) => status === 'Running' && emit));
  const read = (stream, options) => page.evaluate(([s, o]) => window.sandbox.readStream(s, o), [stream, options]);
  const ce = await read('$ce-account');
  assert.deepEqual(ce.map((e) => [e.version, e.type, e.data]), [[0, '$>', '0@account-1'], [1, '$>', '1@account-1']]);
  assert.equal(ce[0].metadata.$o, 'account-1');
  const resolved = await read('$ce-account', { resolveLinks: true });
  assert.deepEqual(resolved.map((e) => [e.type, e.link.stream]), [['Opened', '$ce-account'], ['Deposited', '$ce-account']]);
  assert.deepEqual((await read('$et-Opened')).map((e) => e.data), ['0@account-1', '0@nodash']);
  assert.deepEqual((await read('$bc-c-1')).map((e) => e.data), ['0@order-1', '1@account-1']);
  assert.deepEqual((await read('$category-account')).map((e) => [e.type, e.data]), [['$@', 'account-1']]);
  assert.deepEqual((await read('$streams')).map((e) => e.data), ['0@account-1', '0@order-1', '0@nodash']);
  assert.equal((await attempt(page, () => window.sandbox.deleteProjection('$by_category'))).name, 'InvalidArgument');
  await reload(page);
  assert.equal((await read('$ce-account')).length, 2);
  assert.deepEqual(errors, []);
});

test('with $by_category stopped, a fromCategory projection sees nothing new, and its page says why', limit, async () => {
  const { page, errors } = await openPage(app);
  await deposit(page, 'account-1', 5);
  await page.evaluate(() => window.sandbox.createProjection('category-sum', `
    fromCategory('account').when({ $init: () => ({ sum: 0 }), Deposited: (s, e) => { s.sum += e.data.amount; } })`));
  assert.deepEqual(await state(page, 'category-sum'), { sum: 5 });
  await page.evaluate(() => window.sandbox.stopProjection('$by_category'));
  await deposit(page, 'account-1', 7);
  assert.deepEqual(await state(page, 'category-sum'), { sum: 5 }, 'the new event is not in $ce-account yet');
  assert.equal((await page.evaluate(() => window.sandbox.readStream('$ce-account'))).length, 1);
  // Stopping it again does not move it on.
  await page.evaluate(() => window.sandbox.stopProjection('$by_category'));
  assert.equal((await page.evaluate(() => window.sandbox.readStream('$ce-account'))).length, 1);
  assert.deepEqual(await state(page, 'category-sum'), { sum: 5 });
  await reload(page);
  await page.goto(page.url().replace(/#.*$/, '') + '#/projections/category-sum');
  const notice = page.getByTestId('stalled-read');
  await notice.waitFor();
  assert.match(await notice.textContent(), /reads \$ce-account, which the system projection \$by_category writes\. \$by_category is Stopped/);
  assert.match(await page.getByTestId('projection-lag').textContent(), /1 event behind/);
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'fromcategory-with-by-category-stopped.png'), fullPage: true });
  await page.evaluate(() => window.sandbox.startProjection('$by_category'));
  assert.deepEqual(await state(page, 'category-sum'), { sum: 12 }, 'started again, it catches up');
  await reload(page);
  assert.deepEqual(await state(page, 'category-sum'), { sum: 12 });
  assert.deepEqual(errors, []);
});
