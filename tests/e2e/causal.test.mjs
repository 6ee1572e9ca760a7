// Causal chains (issue 11): an order fulfilment flow whose events cause
// each other (orders, payments, shipping, with a fan-out and a projection
// that emits), seen from one event: the chain lists exactly its
// correlation's events, the SVG graph has a box per event and an arrow per
// cause (checked by what points to what, and by where the arrows are
// drawn), a box opens its event; "Append a follow-up" ties a new event to
// the chain, which a reload keeps; "Handled by" lists the projections
// whose handlers ran for an event and what each changed. Every journey
// reloads and fails on any console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { startApp, openPage, reload, eventually, limit } from './harness.mjs';

// The acceptance screenshot.
const graphShot = fileURLToPath(new URL('../../docs/screenshots/after/causal-graph-order-flow.png', import.meta.url));

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const id = (n) => `0c0ffee0-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The flow's events by name: stream, type, id, and the one it was caused by. */
const flow = {
  placed: { stream: 'order-1', type: 'OrderPlaced', id: id(1), data: { order: 'order-1', total: 40 } },
  requested: { stream: 'payment-1', type: 'PaymentRequested', id: id(2), cause: 'placed', data: { order: 'order-1', amount: 40 } },
  received: { stream: 'payment-1', type: 'PaymentReceived', id: id(3), cause: 'requested', data: { order: 'order-1', amount: 40 } },
  shipment: { stream: 'shipment-1', type: 'ShipmentRequested', id: id(4), cause: 'received', data: { order: 'order-1' } },
  invoice: { stream: 'invoice-1', type: 'InvoiceIssued', id: id(5), cause: 'received', data: { order: 'order-1' } },
  shipped: { stream: 'shipment-1', type: 'Shipped', id: id(6), cause: 'shipment', data: { order: 'order-1', carrier: 'DHL' } },
};
const correlation = id(1);

// Emits a receipt for each payment received: its output carries
// `$causedBy` (the payment) and the payment's `$correlationId`.
const receipts = [
  'fromAll().when({',
  '  $init: () => ({ received: 0 }),',
  "  PaymentReceived: (s, e) => { s.received += e.data.amount; emit('receipt-' + e.data.order, 'ReceiptIssued', { order: e.data.order }); },",
  '});',
].join('\n');
// Handles only Shipped: it must not be listed for a payment.
const shippedCount = "fromAll().when({ $init: () => ({ shipped: 0 }), Shipped: (s) => { s.shipped += 1; } });";

/**
 * A page with the order flow appended (the order's own id is its
 * correlation, as KurrentDB's clients start one), a second order that is
 * another correlation, the two projections, and the receipt emitted.
 * Returns the correlation's events as `readByCorrelation` gives them.
 */
async function withOrderFlow() {
  const opened = await openPage(app);
  const { page } = opened;
  await page.evaluate(() => window.sandbox.configure({ projectionExecutionTimeout: 5000 }));
  await page.evaluate(async ([flow, correlation, receipts, shippedCount]) => {
    for (const event of Object.values(flow)) {
      const metadata = { $correlationId: correlation };
      if (event.cause) metadata.$causationId = flow[event.cause].id;
      await window.sandbox.append(event.stream, { id: event.id, type: event.type, data: event.data, metadata });
    }
    await window.sandbox.append('order-2', { type: 'OrderPlaced', data: { order: 'order-2' }, metadata: { $correlationId: 'order-2-work' } });
    await window.sandbox.createProjection('receipts', receipts, { emit: true });
    await window.sandbox.createProjection('shipped-count', shippedCount);
  }, [flow, correlation, receipts, shippedCount]);
  const events = await eventually(async () => {
    const events = await page.evaluate((c) => window.sandbox.readByCorrelation(c), correlation);
    assert.equal(events.length, 7, 'the six events and the emitted receipt');
    return events;
  });
  return { ...opened, events };
}

const byType = (events, type) => events.find((e) => e.type === type);

/** The graph's arrows as "cause type -> effect type (key)", sorted. */
async function arrows(page, events) {
  const edges = await page.locator('[data-testid=causal-graph] line.edge').evaluateAll((lines) => lines.map((l) => ({
    cause: Number(l.dataset.cause), effect: Number(l.dataset.effect), key: l.dataset.key,
  })));
  const type = (position) => events.find((e) => e.position === position)?.type ?? `?${position}`;
  return edges.map((e) => `${type(e.cause)} -> ${type(e.effect)} (${e.key})`).sort();
}

test('the chain of an event lists its correlation and draws who caused whom', limit, async () => {
  const { page, errors, events } = await withOrderFlow();
  await reload(page);
  await page.goto(`${app.base}#/streams/payment-1/1`);
  await page.getByRole('link', { name: 'Causal chain' }).click();
  await eventually(async () => assert.match(page.url(), /#\/chain\/payment-1\/1$/));
  assert.equal(await page.title(), 'Causal chain of 1@payment-1 · es-sandbox');

  // Exactly the correlation's events, in position order, this one marked.
  const rows = page.locator('[data-testid=chain-events] tbody tr');
  await eventually(async () => assert.equal(await rows.count(), 7));
  const listed = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.position)));
  assert.deepEqual(listed, events.map((e) => e.position));
  const current = page.locator('[data-testid=chain-events] tr[aria-current=true]');
  assert.equal(await current.count(), 1);
  assert.match(await current.textContent(), /1@payment-1 \(this event\)PaymentReceived/);
  assert.ok(!(await page.locator('[data-testid=chain-events]').textContent()).includes('order-2'), 'another correlation is not listed');

  // A box per event, an arrow per cause: causation ids and the projection's $causedBy.
  const graph = page.getByTestId('causal-graph');
  assert.match(await graph.locator('title').first().textContent(), /Causation graph of 7 events/);
  const boxes = await graph.locator('a.node').evaluateAll((nodes) => nodes.map((n) => Number(n.dataset.position)));
  assert.deepEqual(boxes, events.map((e) => e.position));
  assert.deepEqual(await arrows(page, events), [
    'OrderPlaced -> PaymentRequested ($causationId)',
    'PaymentReceived -> InvoiceIssued ($causationId)',
    'PaymentReceived -> ReceiptIssued ($causedBy)',
    'PaymentReceived -> ShipmentRequested ($causationId)',
    'PaymentRequested -> PaymentReceived ($causationId)',
    'ShipmentRequested -> Shipped ($causationId)',
  ]);
  const amber = await graph.locator('line.edge.caused-by').evaluateAll((lines) => lines.map((l) => l.dataset.key));
  assert.deepEqual(amber, ['$causedBy'], "the projection's arrow is drawn apart");
  // Each arrow is drawn from its cause's box to its effect's box.
  const drawn = await graph.evaluate((svg) => {
    const box = (position) => svg.querySelector(`a.node[data-position="${position}"] rect`);
    return [...svg.querySelectorAll('line.edge')].map((line) => {
      const [cause, effect] = [box(line.dataset.cause), box(line.dataset.effect)];
      const at = (rect, name) => Number(rect.getAttribute(name));
      return {
        from: [Number(line.getAttribute('x1')), Number(line.getAttribute('y1'))],
        causeBottom: [at(cause, 'x') + at(cause, 'width') / 2, at(cause, 'y') + at(cause, 'height')],
        to: [Number(line.getAttribute('x2')), Number(line.getAttribute('y2'))],
        effectTop: [at(effect, 'x') + at(effect, 'width') / 2, at(effect, 'y')],
      };
    });
  });
  for (const arrow of drawn) {
    assert.deepEqual(arrow.from, arrow.causeBottom);
    assert.deepEqual(arrow.to, arrow.effectTop);
  }
  const received = graph.locator(`a.node[data-position="${byType(events, 'PaymentReceived').position}"]`);
  assert.match(await received.textContent(), /PaymentReceived.*1@payment-1/);
  assert.match(await received.getAttribute('class'), /current/);

  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(blocking.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.mouse.move(0, 0);
  fs.mkdirSync(path.dirname(graphShot), { recursive: true });
  await page.screenshot({ path: graphShot, fullPage: true });

  // A box is a link named by its event: the keyboard reaches it, and it opens the event.
  const placed = graph.getByRole('link', { name: /^OrderPlaced 0@order-1, position 0$/ });
  await placed.focus();
  await page.keyboard.press('Enter');
  await eventually(async () => assert.match(page.url(), /#\/streams\/order-1\/0$/));
  await page.getByRole('heading', { name: 'OrderPlaced' }).waitFor();
  await page.goBack();
  await graph.locator(`a.node[data-position="${byType(events, 'Shipped').position}"]`).click();
  await page.getByRole('heading', { name: 'Shipped' }).waitFor();
  assert.match(page.url(), /#\/streams\/shipment-1\/1$/);
  assert.deepEqual(errors, []);
});

/** Fills in the follow-up's stream, type and data (kept when not given), and appends it. */
async function submitFollowUp(page, stream, type, data) {
  await page.locator('#append-stream').fill(stream);
  await page.locator('#append-type').fill(type);
  if (data) await page.locator('#append-data').fill(data);
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Appended' }).waitFor();
}

test('a follow-up is tied to its cause and shows in the graph after a reload', limit, async () => {
  const { page, errors } = await withOrderFlow();
  await page.goto(`${app.base}#/streams/shipment-1/1`);
  await page.getByRole('button', { name: 'Append a follow-up' }).click();
  await eventually(async () => assert.match(page.url(), /#\/append$/));
  assert.equal(await page.locator('#append-stream').inputValue(), 'shipment-1');
  assert.deepEqual(JSON.parse(await page.locator('#append-metadata').inputValue()), {
    $correlationId: correlation,
    $causationId: flow.shipped.id,
  });
  // The person picks another stream, a type and data.
  await submitFollowUp(page, 'delivery-1', 'DeliveryConfirmed', '{"order": "order-1"}');

  await page.getByRole('link', { name: 'See its causal chain' }).click();
  await eventually(async () => assert.match(page.url(), /#\/chain\/delivery-1\/0$/));
  await reload(page);
  const graph = page.getByTestId('causal-graph');
  await eventually(async () => assert.equal(await graph.locator('a.node').count(), 8));
  const events = await page.evaluate((c) => window.sandbox.readByCorrelation(c), correlation);
  assert.ok((await arrows(page, events)).includes('Shipped -> DeliveryConfirmed ($causationId)'));
  assert.match(await graph.locator('a.node.current').textContent(), /DeliveryConfirmed.*0@delivery-1/);

  // An event with no correlation starts one with its own id, and its
  // follow-up's chain finds it although the correlation index does not.
  await page.evaluate(() => window.sandbox.append('order-3', { type: 'OrderPlaced', data: {} }));
  await page.goto(`${app.base}#/streams/order-3/0`);
  await page.getByRole('button', { name: 'Append a follow-up' }).click();
  const started = JSON.parse(await page.locator('#append-metadata').inputValue());
  const [first] = await page.evaluate(() => window.sandbox.readStream('order-3'));
  assert.deepEqual(started, { $correlationId: first.id, $causationId: first.id });
  await submitFollowUp(page, 'payment-3', 'PaymentRequested');
  await reload(page);
  await page.goto(`${app.base}#/chain/payment-3/0`);
  const rows = page.locator('[data-testid=chain-events] tbody tr');
  await eventually(async () => assert.equal(await rows.count(), 2));
  assert.match(await rows.first().textContent(), /0@order-3 \(its id is the correlation id\)OrderPlaced/);
  const third = [first, ...(await page.evaluate(() => window.sandbox.readStream('payment-3')))];
  assert.deepEqual(await arrows(page, third), ['OrderPlaced -> PaymentRequested ($causationId)']);
  // The event view finds that cause too.
  await page.goto(`${app.base}#/streams/payment-3/0`);
  await eventually(async () => assert.match(await page.getByTestId('metadata-links').textContent(), /\$causationId.*OrderPlaced 0@order-3, the event that caused this one/));
  assert.deepEqual(errors, []);
});

test('"Handled by" lists the projections that handled an event, and what each changed', limit, async () => {
  const { page, errors } = await withOrderFlow();
  await page.evaluate(() => window.sandbox.createProjection('invoice-check', "fromAll().when({ InvoiceIssued: () => { throw new Error('no invoices yet'); } });"));
  await eventually(async () => {
    const rows = await page.evaluate(() => window.sandbox.projections());
    assert.equal(rows.find((row) => row.name === 'invoice-check')?.status, 'Faulted');
  });
  await reload(page);
  await page.evaluate(() => window.sandbox.configure({ projectionExecutionTimeout: 5000 }));

  await page.goto(`${app.base}#/streams/payment-1/1`);
  const handledBy = page.getByTestId('handled-by');
  await handledBy.getByRole('button', { name: 'Ask the projections' }).click();
  const handlers = handledBy.getByTestId('handler');
  await eventually(async () => assert.deepEqual(await handlers.evaluateAll((hs) => hs.map((h) => h.dataset.projection)), ['receipts']));
  const receiptsHandler = handlers.first();
  assert.match(await receiptsHandler.getByTestId('event-partition').textContent(), /root state/);
  const diff = await receiptsHandler.locator('table.diff tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent.trim())));
  // The root state is made on the first event it handles: this one.
  assert.deepEqual(diff, [['(the whole state)', 'added', '—', '{"received":40}']]);
  assert.match(await receiptsHandler.locator('.event-emitted').textContent(), /receipt-order-1.*ReceiptIssued/);
  await receiptsHandler.getByRole('link', { name: 'receipts' }).waitFor();

  // Once asked, it stays on from event to event.
  await page.goto(`${app.base}#/streams/shipment-1/1`);
  await eventually(async () => assert.deepEqual(await handlers.evaluateAll((hs) => hs.map((h) => h.dataset.projection)), ['shipped-count']));

  await page.goto(`${app.base}#/streams/order-1/0`);
  await handledBy.getByTestId('handled-by-none').waitFor();
  assert.match(await handledBy.textContent(), /No projection handled this event/);

  // A faulted projection says so, and that its handler threw here.
  await page.goto(`${app.base}#/streams/invoice-1/0`);
  await eventually(async () => assert.deepEqual(await handlers.evaluateAll((hs) => hs.map((h) => h.dataset.projection)), ['invoice-check']));
  assert.match(await handlers.first().getByTestId('handler-status').textContent(), /invoice-check is Faulted: .*no invoices yet/);
  assert.match(await handlers.first().getByTestId('handler-threw').textContent(), /no invoices yet/);
  assert.deepEqual(errors, []);
});

test('a correlation of hundreds of events draws a hundred and lists them all', limit, async () => {
  const { page, errors } = await openPage(app);
  // A binary tree of 150 events: event n was caused by event (n - 1) / 2.
  await page.evaluate(async (ids) => {
    const events = ids.map((eventId, n) => ({
      id: eventId,
      type: n === 0 ? 'BatchStarted' : 'ItemHandled',
      data: { n },
      metadata: n === 0 ? { $correlationId: 'batch-1' } : { $correlationId: 'batch-1', $causationId: ids[Math.floor((n - 1) / 2)] },
    }));
    await window.sandbox.append('batch-1', events);
  }, Array.from({ length: 150 }, (_, n) => id(1000 + n)));
  await reload(page);
  await page.goto(`${app.base}#/chain/batch-1/149`);
  const rows = page.locator('[data-testid=chain-events] tbody tr');
  await eventually(async () => assert.equal(await rows.count(), 150));
  const graph = page.getByTestId('causal-graph');
  assert.equal(await graph.locator('a.node').count(), 100);
  assert.match(await page.getByTestId('graph-more').textContent(), /100 of 150 events are drawn .*; 50 more are in the list below/);
  // The event is drawn in its place, under every one of its causes.
  const drawn = await graph.locator('a.node').evaluateAll((nodes) => nodes.map((n) => Number(n.dataset.position)));
  for (const position of [149, 74, 36, 17, 8, 3, 1, 0]) assert.ok(drawn.includes(position), `position ${position} drawn`);
  assert.equal(await graph.locator('a.node.current').getAttribute('data-position'), '149');
  const up = await graph.locator('line.edge').evaluateAll((lines) => lines.map((l) => `${l.dataset.cause}->${l.dataset.effect}`));
  for (const edge of ['74->149', '36->74', '17->36', '8->17', '3->8', '1->3', '0->1']) assert.ok(up.includes(edge), edge);
  assert.deepEqual(errors, []);
});
