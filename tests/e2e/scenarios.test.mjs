// The scenario gallery and its checked steps: each scenario loads through
// `?scenario=` into a fresh sandbox of its own, its projections run, and its
// guided steps tick as the learner does them, and stay ticked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { startApp, openPage, waitReady, reload, eventually, limit, artifacts } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots = path.resolve(here, '..', '..', 'docs', 'screenshots', 'after');
fs.mkdirSync(screenshots, { recursive: true });

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app.stop(); }, limit);

const steps = (page) => page.locator('.scenario-steps .scenario-step');
const doneFlags = (page) => steps(page).evaluateAll((items) => items.map((item) => item.dataset.done === 'true'));
const progress = (page) => page.getByTestId('scenario-progress');
const timeBar = (page) => page.getByRole('region', { name: 'Time bar' });

/**
 * With five builds sharing two cores, a worker can take longer to answer
 * than the 250 ms watchdog allows, which faults a projection at its start.
 * The page is made patient, and a projection the watchdog stopped is
 * started again until every one has caught up; any other fault fails.
 */
async function patient(page) {
  await page.evaluate(() => window.sandbox.configure({ projectionExecutionTimeout: 5000 }));
  await eventually(() => page.evaluate(async () => {
    for (const projection of await window.sandbox.projections()) {
      if (projection.system) continue;
      try {
        await window.sandbox.projectionState(projection.name);
      } catch (error) {
        if (!/ms limit/.test(error.message)) throw error;
        await window.sandbox.startProjection(projection.name);
        throw error;
      }
    }
  }), 60000);
}

/** Opens `?scenario=<id>` in `page` and waits for the store. */
async function loadScenario(page, id) {
  await page.goto(`${app.base}?scenario=${id}`);
  await waitReady(page);
  await patient(page);
}

async function appendInForm(page, { stream, type, data, metadata }) {
  await page.getByRole('link', { name: 'Append', exact: true }).click();
  await page.getByRole('heading', { name: 'Append an event' }).waitFor();
  await page.getByLabel('Stream', { exact: true }).fill(stream);
  await page.getByLabel('Event type').fill(type);
  await page.getByLabel('Data', { exact: true }).fill(data);
  await page.getByLabel('Metadata').fill(metadata ?? '');
  await page.getByLabel('Expected version').fill('any');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.getByRole('status').getByText(`${type} as`).waitFor();
}

/** axe's serious and critical findings on the page as it is, by rule. */
async function seriousFindings(page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`);
}

async function expectFlags(page, wanted) {
  await eventually(async () => assert.deepEqual(await doneFlags(page), wanted), 15000);
  const done = wanted.filter(Boolean).length;
  assert.equal(await progress(page).textContent(), `${done} of ${wanted.length} done`);
}

test('the gallery lists the four scenarios, each with its story, holdings, steps and link', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.getByRole('link', { name: 'Browse the workshop scenarios' }).click();
  await page.getByRole('heading', { name: 'Scenarios', exact: true }).waitFor();
  const cards = page.locator('.scenario-card');
  assert.equal(await cards.count(), 4);
  const titles = await cards.locator('h2').allTextContents();
  assert.deepEqual(titles, ['Bank account', 'Shopping cart (the ESDB tutorial)', 'Order fulfilment', 'Replayed events']);
  const cart = page.locator('.scenario-card[data-scenario="shopping-cart"]');
  assert.equal(await cart.locator('.holdings').textContent(), '7 events in 4 streams, 2 projections');
  assert.match(await cart.locator('p').first().textContent(), /xbox-one-s-counter projection counts 3/);
  assert.equal(await cart.locator('ol li').count(), 4);
  const replay = page.locator('.scenario-card[data-scenario="replayed-events"]');
  assert.equal(await replay.locator('.holdings').textContent(), '7 events in 2 streams, 2 projections', 'the two retries are not written');
  assert.equal(await replay.getByLabel('Link to hand out').inputValue(), `${app.base}?scenario=replayed-events`);
  assert.equal(await replay.getByRole('link', { name: 'Load' }).getAttribute('href'), './?scenario=replayed-events');
  assert.equal(await page.locator('.scenario-steps').count(), 0, 'no steps panel outside a scenario');
  await page.screenshot({ path: path.join(screenshots, 'scenario-gallery.png'), fullPage: true });
  assert.deepEqual(await seriousFindings(page), [], 'the gallery');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the bank scenario loads into a fresh sandbox and its steps tick as they are done, and stay ticked', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('notes-1', [{ type: 'Noted', data: { mine: true } }]));
  await page.goto(`${app.base}#/scenarios`);
  await waitReady(page);
  await page.locator('.scenario-card[data-scenario="bank-account"]').getByRole('link', { name: 'Load' }).click();
  await page.waitForURL(/\?sandbox=bank-account#\//);
  await waitReady(page);
  await patient(page);
  await page.locator('.sandbox-name', { hasText: 'sandbox: bank-account' }).waitFor();
  assert.match(page.url(), /\?sandbox=bank-account#\//, 'the address names the sandbox, so a reload does not load again');
  await expectFlags(page, [false, false, false, false]);
  const balance = await page.evaluate(() => window.sandbox.projectionState('account-balances', { partition: 'account-ada' }));
  assert.deepEqual(balance, { owner: 'Ada Lovelace', open: true, balance: 425 });

  // 1. Overdraw: only the first step ticks.
  await appendInForm(page, { stream: 'account-ada', type: 'Withdrawn', data: '{"amount": 500, "reference": "car"}' });
  await expectFlags(page, [true, false, false, false]);
  // 2. Rewind one event: before the overdraft.
  await timeBar(page).getByRole('button', { name: 'Back' }).click();
  await expectFlags(page, [true, true, false, false]);
  await timeBar(page).getByRole('button', { name: 'Live', exact: true }).click();
  await expectFlags(page, [true, true, false, false]);
  // 3. Put it right.
  await appendInForm(page, { stream: 'account-ada', type: 'Deposited', data: '{"amount": 200, "reference": "savings"}' });
  await expectFlags(page, [true, true, true, false]);
  assert.deepEqual(await seriousFindings(page), [], 'a page with the steps panel');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, 'scenario-steps.png') });

  await reload(page);
  await patient(page);
  await expectFlags(page, [true, true, true, false]);
  assert.equal(await page.locator('.sandbox-name').textContent(), 'sandbox: bank-account');
  assert.equal(await page.evaluate(async () => (await window.sandbox.stream('account-ada')).version), 8, 'a reload loaded nothing again');

  // 4. A transfer whose receipt names its cause.
  const sent = await page.evaluate(() => window.sandbox.append('account-grace', [{ type: 'TransferSent', data: { amount: 50, to: 'account-ada' }, metadata: { $correlationId: 'transfer-2' } }]));
  const [sentEvent] = await page.evaluate(() => window.sandbox.readStream('account-grace', { direction: 'backwards', limit: 1 }));
  assert.equal(sentEvent.position, sent.position);
  await appendInForm(page, {
    stream: 'account-ada', type: 'TransferReceived', data: '{"amount": 50, "from": "account-grace"}',
    metadata: JSON.stringify({ $correlationId: 'transfer-2', $causationId: sentEvent.id }),
  });
  await expectFlags(page, [true, true, true, true]);

  // The user's own sandbox is untouched.
  const sandboxes = await page.evaluate(() => window.sandbox.sandboxes());
  assert.deepEqual(sandboxes.map((s) => s.name), ['bank-account', 'default']);
  await page.goto(app.base);
  await waitReady(page);
  assert.deepEqual((await page.evaluate(() => window.sandbox.streams())).map((s) => s.stream), ['notes-1']);
  assert.equal(await page.locator('.scenario-steps').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the shopping cart is the tutorial\'s: its Xbox counter says 3, and its steps tick', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await loadScenario(page, 'shopping-cart');
  await page.locator('.sandbox-name', { hasText: 'sandbox: shopping-cart' }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('xbox-one-s-counter')), { count: 3 });
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('shopping-cart-item-counter', { partition: 'shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1164' })), { count: 2 });
  const streams = (await page.evaluate(() => window.sandbox.streams())).map((s) => s.stream).sort();
  assert.deepEqual(streams, [1164, 1165, 1166, 1167].map((n) => `shoppingCart-b989fe21-9469-4017-8d71-9820b8dd${n}`));
  await expectFlags(page, [false, false, false, false]);

  await page.evaluate(() => window.sandbox.append('shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1167', [{ type: 'ItemAdded', data: { Description: 'Xbox One S 2TB (Console)' } }]));
  await expectFlags(page, [true, false, false, false]);
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('xbox-one-s-counter')), { count: 4 });
  await page.evaluate(() => window.sandbox.append('shoppingCart-mine', [{ type: 'ItemAdded', data: { Description: 'Halo 5' } }]));
  await expectFlags(page, [true, true, false, false]);
  const minecraft = await page.evaluate(async () => (await window.sandbox.readStream('shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1166'))[0].position);
  await page.evaluate((at) => window.sandbox.travelTo(at), minecraft - 1);
  await expectFlags(page, [true, true, true, false]);
  await page.evaluate(() => window.sandbox.travelTo('live'));
  assert.equal((await page.evaluate(() => window.sandbox.streams())).length, 5);
  // The tutorial's next step: output the state, then reset.
  const outputting = "fromAll()\n.when({\n    $init: function(){\n        return {\n            count: 0\n        }\n    },\n    ItemAdded: function(s,e){\n        if(e.body.Description.indexOf(\"Xbox One S\") >= 0){\n            s.count += 1;\n        }\n    }\n}).outputState()\n";
  await page.evaluate((source) => window.sandbox.updateProjection('xbox-one-s-counter', source), outputting);
  // As a person does: the saved code has caught up before the reset. (A
  // reset fired while the update's pass still writes can lose the result
  // stream; noted on issue 11.)
  await page.evaluate(() => window.sandbox.projectionState('xbox-one-s-counter'));
  await page.evaluate(() => window.sandbox.resetProjection('xbox-one-s-counter'));
  await expectFlags(page, [true, true, true, true]);
  const results = await page.evaluate(() => window.sandbox.readStream('$projections-xbox-one-s-counter-result', { direction: 'backwards', limit: 1 }));
  assert.deepEqual(results[0].data, { count: 4 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('order fulfilment: the process manager emits with $causedBy, and the steps tick', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await loadScenario(page, 'order-fulfilment');
  const requested = await eventually(async () => {
    const events = await page.evaluate(() => window.sandbox.readStream('warehouse-order-1001'));
    assert.equal(events.length, 1);
    return events[0];
  });
  assert.equal(requested.type, 'ShipmentRequested');
  assert.equal(requested.metadata.$causedBy, '807b6292-4d11-40bc-a718-71308688a79e', 'caused by the payment');
  assert.equal(requested.metadata.$correlationId, 'order-1001');
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('order-status')), {
    'order-1001': 'shipped', 'order-1002': 'awaiting shipment', 'order-1003': 'placed', 'order-1004': 'placed',
  });
  await expectFlags(page, [false, false, false, false]);

  await page.evaluate(() => window.sandbox.append('payment-1003', [{ type: 'PaymentCaptured', data: { orderId: 'order-1003', amount: 340, address: 'Bletchley Park' }, metadata: { $correlationId: 'order-1003', $causationId: 'daac7ef7-4877-4866-82c6-2a0554226560' } }]));
  await expectFlags(page, [true, false, false, false]);
  await page.evaluate(() => window.sandbox.append('order-1004', [{ type: 'OrderCancelled', data: { orderId: 'order-1004' } }]));
  await expectFlags(page, [true, false, true, false]);
  await page.evaluate(() => window.sandbox.append('shipment-1003', [{ type: 'ShipmentDispatched', data: { orderId: 'order-1003', carrier: 'UPS' } }]));
  await expectFlags(page, [true, true, true, false]);
  const paid = await page.evaluate(async () => (await window.sandbox.readStream('payment-1001'))[0].position);
  await page.evaluate((at) => window.sandbox.travelTo(at), paid - 1);
  await expectFlags(page, [true, true, true, true]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('replayed events: the retries are recognised, the naive total double-counts, and the steps tick', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await loadScenario(page, 'replayed-events');
  const payments = await page.evaluate(() => window.sandbox.readStream('gateway-payments'));
  assert.equal(payments.length, 6, 'eight appends, two of them retries with the same ids');
  assert.equal(payments.at(-1).version, 5);
  assert.deepEqual(payments.map((e) => e.data.paymentId), ['pay-501', 'pay-502', 'pay-503', 'pay-504', 'pay-502', 'pay-503']);
  assert.equal((await page.evaluate(() => window.sandbox.projectionState('naive-revenue'))).total, 725);
  assert.equal((await page.evaluate(() => window.sandbox.projectionState('idempotent-revenue'))).total, 445);
  await expectFlags(page, [false, false, false, false]);

  // The same id and expected version twice: written once.
  const first = await page.evaluate(() => window.sandbox.append('gateway-payments', [{ id: '3f0c2b1e-5d6a-4f8b-9c7d-1e2f3a4b5c6d', type: 'PaymentReceived', data: { paymentId: 'pay-505', invoice: 'INV-1005', amount: 60 } }], { expectedVersion: 5 }));
  const again = await page.evaluate(() => window.sandbox.append('gateway-payments', [{ id: '3f0c2b1e-5d6a-4f8b-9c7d-1e2f3a4b5c6d', type: 'PaymentReceived', data: { paymentId: 'pay-505', invoice: 'INV-1005', amount: 60 } }], { expectedVersion: 5 }));
  assert.equal(first.nextExpectedVersion, 6);
  assert.deepEqual(again, first, 'recognised: nothing written');
  await expectFlags(page, [true, false, false, false]);
  await page.evaluate(() => window.sandbox.append('gateway-payments', [{ type: 'PaymentReceived', data: { paymentId: 'pay-505', invoice: 'INV-1005', amount: 60 } }]));
  await expectFlags(page, [true, true, false, false]);
  const replayStarted = await page.evaluate(async () => (await window.sandbox.readStream('ops-replays'))[0].position);
  await page.evaluate((at) => window.sandbox.travelTo(at), replayStarted - 1);
  await expectFlags(page, [true, true, true, false]);
  await page.evaluate(() => window.sandbox.travelTo('live'));
  // The fix: remember the payment ids already counted.
  const source = "fromStream('gateway-payments').when({ $init: function () { return { total: 0, seen: {} }; }, PaymentReceived: function (s, e) { if (s.seen[e.data.paymentId]) return; s.seen[e.data.paymentId] = true; s.total += e.data.amount; } });";
  await page.evaluate((text) => window.sandbox.updateProjection('naive-revenue', text), source);
  await page.evaluate(() => window.sandbox.resetProjection('naive-revenue'));
  await expectFlags(page, [true, true, true, true]);
  await reload(page);
  await patient(page);
  await expectFlags(page, [true, true, true, true]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('scenarios() and loadScenario() script the gallery; an unknown id names the known ones', limit, async () => {
  const { page, context, errors } = await openPage(app);
  assert.deepEqual(await page.evaluate(() => window.sandbox.scenarios()), [
    { id: 'bank-account', title: 'Bank account' },
    { id: 'shopping-cart', title: 'Shopping cart (the ESDB tutorial)' },
    { id: 'order-fulfilment', title: 'Order fulfilment' },
    { id: 'replayed-events', title: 'Replayed events' },
  ]);
  const refused = await page.evaluate(() => window.sandbox.loadScenario('bank').then(() => null, (e) => [e.name, e.message]));
  assert.equal(refused[0], 'InvalidArgument');
  assert.match(refused[1], /"bank-account"/);
  await page.evaluate(() => window.sandbox.loadScenario('replayed-events'));
  await page.waitForURL(/\?sandbox=replayed-events#/);
  await waitReady(page);
  assert.equal(await page.locator('.sandbox-name').textContent(), 'sandbox: replayed-events');
  // A second load of the same scenario gets a sandbox of its own.
  await page.evaluate(() => window.sandbox.loadScenario('replayed-events'));
  await page.waitForURL(/\?sandbox=replayed-events-2#/);
  await waitReady(page);
  assert.equal((await page.evaluate(() => window.sandbox.readStream('gateway-payments'))).length, 6);

  await page.goto(`${app.base}?scenario=no-such-thing`);
  await page.getByRole('heading', { name: 'The scenario could not be loaded' }).waitFor();
  const message = await page.getByRole('alert').textContent();
  assert.match(message, /"no-such-thing"/);
  assert.match(message, /"bank-account", "shopping-cart", "order-fulfilment", "replayed-events"/);
  assert.deepEqual(errors, []);
  await context.close();
});
