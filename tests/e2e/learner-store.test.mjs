// What a learner meets in the store, the sample and the append form (issue
// 12): a sample that shows a real causation chain over weeks of times, a
// sample that will not double a sandbox, an append form that teaches
// optimistic concurrency and idempotency, conflicts worded for their case,
// metadata that links to what it names, and streams a projection writes
// saying so up front.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, reload, waitReady, attempt, eventually, limit } from './harness.mjs';

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const TRANSFER_SENT_ID = '421fd278-8778-459c-91d0-a20a814a59f6';
const DAY = 86_400_000;

const rowTexts = (page, selector) =>
  page.locator(`${selector} tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));

test('the sample is four weeks of a bank whose transfer is a causation chain with fixed ids', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  const all = await page.evaluate(() => window.sandbox.readAll());
  assert.equal(all.length, 20);
  assert.equal(new Set(all.map((e) => e.id)).size, 20, 'every event has its own id');

  const sent = all.find((e) => e.type === 'TransferSent');
  const received = all.find((e) => e.type === 'TransferReceived');
  assert.equal(sent.id, TRANSFER_SENT_ID, 'the sample ids are fixed, so causation can name one');
  assert.deepEqual(sent.metadata, { $correlationId: 'transfer-1' }, 'the chain starts here: no causation');
  assert.deepEqual(received.metadata, { $correlationId: 'transfer-1', $causationId: TRANSFER_SENT_ID });

  const times = all.map((e) => Date.parse(e.created));
  for (let i = 1; i < times.length; i += 1) {
    assert.ok(times[i] > times[i - 1], `${all[i].created} (position ${i}) is after ${all[i - 1].created}`);
  }
  assert.equal(all[0].created, '2026-10-05T09:12:00.000Z');
  assert.ok(times[19] - times[0] > 21 * DAY, `the sample spans weeks: ${all[0].created} to ${all[19].created}`);
  const streams = await page.evaluate(() => window.sandbox.streams());
  const alan = streams.find((s) => s.stream === 'account-alan');
  assert.deepEqual([alan.created, alan.updated], ['2026-10-11T10:47:00.000Z', '2026-11-02T10:00:00.000Z']);

  await reload(page);
  assert.deepEqual(await page.evaluate(() => window.sandbox.readAll()), all, 'the sample as written outlives a reload');
  assert.deepEqual(errors, []);
  await context.close();
});

test('loadSample refuses a sandbox that has events, from a script and from the button', limit, async () => {
  const other = await openPage(app);
  const { context } = other;
  await other.page.getByRole('heading', { name: 'Welcome to your event store' }).waitFor();
  // A second tab of the same sandbox whose news never reaches the first
  // (as in a browser without BroadcastChannel): the first keeps showing the
  // welcome, and its button must still refuse.
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error}`));
  page.on('console', (message) => message.type() === 'error' && errors.push(`console: ${message.text()}`));
  await page.addInitScript(() => { BroadcastChannel.prototype.postMessage = function () {}; });
  await page.goto(app.base);
  await waitReady(page);

  await page.evaluate(() => window.sandbox.append('note-1', { type: 'Noted', data: {} }));
  const refused = await attempt(page, () => window.sandbox.loadSample());
  assert.equal(refused.name, 'SandboxNotEmpty', refused.message);
  assert.match(refused.message, /already has 1 event,/);
  assert.match(refused.message, /\?sandbox=sample/);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 1, 'nothing of the sample was written');

  // The button, in the tab that has not heard of the other tab's events.
  await page.evaluate(() => window.sandbox.append('note-2', { type: 'Noted', data: {} }));
  await other.page.getByRole('button', { name: 'Load the bank account sample' }).click();
  const alert = other.page.getByRole('alert');
  await alert.getByText(/already has 2 events/).waitFor();
  const elsewhere = alert.getByRole('link', { name: 'Open the sandbox "sample" for the sample' });
  assert.equal(await elsewhere.getAttribute('href'), '?sandbox=sample');
  await elsewhere.click();
  await other.page.waitForURL(/\?sandbox=sample/);
  await other.page.getByRole('button', { name: 'Load the bank account sample' }).click();
  await other.page.locator('table.streams').waitFor();
  await eventually(async () => assert.equal((await rowTexts(other.page, 'table.streams')).length, 3));
  const again = await attempt(other.page, () => window.sandbox.loadSample());
  assert.equal(again.name, 'SandboxNotEmpty');
  assert.match(again.message, /already has 20 events/);

  await reload(other.page);
  assert.equal((await other.page.evaluate(() => window.sandbox.readAll())).length, 20, 'the sample went in once');
  await reload(page);
  assert.deepEqual((await page.evaluate(() => window.sandbox.readAll())).map((e) => e.stream), ['note-1', 'note-2']);
  assert.deepEqual([...errors, ...other.errors], []);
  await context.close();
});

test('an append cannot choose when its events were created', limit, async () => {
  const { page, context, errors } = await openPage(app);
  const stamped = await attempt(page, () => window.sandbox.append('ledger-1', [
    { type: 'Posted', data: {} },
    { type: 'Posted', data: {}, created: '2020-01-01T00:00:00.000Z' },
  ]));
  assert.equal(stamped.name, 'InvalidEvent');
  assert.match(stamped.message, /event 1: created is set by the store/);
  const inData = await attempt(page, () => window.sandbox.append('ledger-1', { type: 'Posted', data: { created: 'in the data is fine' } }));
  assert.equal(inData.ok, true, inData.message);
  await reload(page);
  const events = await page.evaluate(() => window.sandbox.readAll());
  assert.equal(events.length, 1, 'the refused batch wrote nothing');
  assert.ok(Date.now() - Date.parse(events[0].created) < 60_000, `stamped by the store: ${events[0].created}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the stream page form expects the version as read, does not move it, and tries idempotency', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/streams/account-ada`);
  await page.getByText('7 events').waitFor();
  const expected = page.getByLabel('Expected version');
  const appendButton = page.getByRole('button', { name: 'Append', exact: true });
  assert.equal(await expected.inputValue(), '6', 'the stream was at version 6 when the page opened');

  await page.getByLabel('Event type').fill('Deposited');
  await page.getByLabel('Data', { exact: true }).fill('{"amount": 5}');
  // A change elsewhere renders the page again; what is typed stays.
  await page.evaluate(() => window.sandbox.append('elsewhere-1', { type: 'Noted', data: {} }));
  await page.waitForTimeout(600);
  assert.equal(await page.getByLabel('Event type').inputValue(), 'Deposited');
  await appendButton.click();
  await page.getByRole('status').getByText('Deposited as 7@account-ada').waitFor();
  assert.equal(await expected.inputValue(), '6', 'a success does not move the expected version');

  // The same click again is a conflict, not a duplicate.
  await appendButton.click();
  const conflict = page.locator('.conflict');
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /Wrong expected version on account-ada: expected 6, actual 7\./);
  assert.match(await conflict.textContent(), /Someone appended first: you expected 6, and the stream is at 7/);
  assert.equal((await page.evaluate(() => window.sandbox.readStream('account-ada'))).length, 8);

  await conflict.getByRole('button', { name: 'Reload the stream' }).click();
  await eventually(async () => assert.equal(await expected.inputValue(), '7'));
  assert.equal(await conflict.count(), 0);
  await page.getByText('8 events').waitFor();

  // A given id, appended twice with the same expected version, is written once.
  const id = '0b6f2a4e-5c1d-4e8f-9a7b-3c2d1e0f9a8b';
  await page.getByLabel('Event id').fill(id);
  await appendButton.click();
  await page.getByRole('status').getByText('Deposited as 8@account-ada').waitFor();
  await appendButton.click();
  await eventually(async () => assert.match(await page.getByRole('status').textContent(),
    /^Already appended: Deposited as 8@account-ada at position 22 .*nothing was written/));
  const ada = await page.evaluate(() => window.sandbox.readStream('account-ada'));
  assert.deepEqual([ada.length, ada[8].id], [9, id]);

  await page.getByRole('button', { name: 'New id' }).click();
  assert.match(await page.getByLabel('Event id').inputValue(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  await page.getByLabel('Event id').fill('not-an-id');
  await appendButton.click();
  await page.locator('.field-error', { hasText: "event id 'not-an-id' is not a UUID" }).waitFor();

  await reload(page);
  await page.getByText('9 events').waitFor();
  assert.equal(await page.getByLabel('Expected version').inputValue(), '8');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a missing stream is an empty page whose link appends its first event', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.goto(`${app.base}#/streams/order-9`);
  const empty = page.getByTestId('empty-stream');
  await empty.getByText(/This stream has no events: reading it finds no stream \(StreamNotFound\)/).waitFor();
  assert.equal(await page.locator('main [role=alert]').count(), 0, 'a missing stream is not an error');
  await empty.getByRole('link', { name: 'Append the first event' }).click();
  await page.getByRole('heading', { name: 'Append an event' }).waitFor();
  assert.equal(await page.getByLabel('Stream', { exact: true }).inputValue(), 'order-9');
  assert.equal(await page.getByLabel('Expected version').inputValue(), 'no_stream');
  await page.getByLabel('Event type').fill('Placed');
  await page.getByLabel('Data', { exact: true }).fill('{}');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.getByRole('status').getByText('Placed as 0@order-9').waitFor();
  await page.goto(`${app.base}#/streams/order-9`);
  await page.getByText('1 events').waitFor();
  assert.equal(await page.getByTestId('empty-stream').count(), 0);
  // An event of a stream that is not there is not an error either.
  await page.goto(`${app.base}#/streams/nowhere-1/0`);
  await page.getByText('There is no event 0@nowhere-1.').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('each kind of conflict is worded for itself, and a missing stream expects no_stream', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.goto(`${app.base}#/streams/order-7`);
  const expected = page.getByLabel('Expected version');
  await eventually(async () => assert.equal(await expected.inputValue(), 'no_stream'));
  await page.getByLabel('Event type').fill('Placed');
  await page.getByLabel('Data', { exact: true }).fill('{}');
  const appendButton = page.getByRole('button', { name: 'Append', exact: true });
  const conflict = page.locator('.conflict');

  await expected.fill('0');
  await appendButton.click();
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /expected 0, actual no_stream\.The stream does not exist yet/);
  assert.doesNotMatch(await conflict.textContent(), /Someone appended first/);

  await expected.fill('no_stream');
  await appendButton.click();
  await page.getByRole('status').getByText('Placed as 0@order-7').waitFor();
  await appendButton.click();
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /The stream exists already \(its last version is 0\), but you expected none\./);
  assert.doesNotMatch(await conflict.textContent(), /Someone appended first/);

  await conflict.getByRole('button', { name: 'Reload the stream' }).click();
  await eventually(async () => assert.equal(await expected.inputValue(), '0'));
  await appendButton.click();
  await page.getByRole('status').getByText('Placed as 1@order-7').waitFor();

  await reload(page);
  await page.getByText('2 events').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('metadata links to the correlation and to the causing event, as text', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/streams/account-grace/3`);
  await page.getByRole('heading', { name: 'TransferReceived' }).waitFor();
  const links = page.getByTestId('metadata-links');
  const cause = links.getByRole('link', { name: TRANSFER_SENT_ID });
  assert.equal(await cause.getAttribute('href'), '#/streams/account-ada/4');
  assert.match(await links.textContent(), /\$causationId.*TransferSent 4@account-ada, the event that caused this one/);
  await cause.click();
  await page.getByRole('heading', { name: 'TransferSent' }).waitFor();
  assert.doesNotMatch(await page.getByTestId('metadata-links').textContent(), /causationId/, 'the first event of the chain has no cause');
  assert.match(await page.locator('.event-view').textContent(),
    /Appending an event with this id to this stream again, at the same expected version, succeeds without writing it twice\./);

  await page.getByTestId('metadata-links').getByRole('link', { name: 'transfer-1' }).click();
  await page.waitForURL(/#\/correlation\/transfer-1$/);
  await page.getByRole('heading', { name: 'Correlation transfer-1' }).waitFor();
  const chain = async () => (await rowTexts(page, 'table.events')).map((r) => [r[0], r[1], r[2]]);
  const expectedChain = [['account-ada', '4', 'TransferSent'], ['account-grace', '3', 'TransferReceived']];
  await eventually(async () => assert.deepEqual(await chain(), expectedChain));
  await reload(page);
  await eventually(async () => assert.deepEqual(await chain(), expectedChain));

  // Ids this sandbox does not have, and values that look like HTML.
  const html = '<img src=x onerror="window.pwned=1">';
  await page.evaluate((html) => window.sandbox.append('odd-1', {
    type: 'Odd', data: {},
    metadata: { $correlationId: html, $causationId: 'not-a-uuid', $causedBy: '00000000-0000-4000-8000-000000000000' },
  }), html);
  await page.goto(`${app.base}#/streams/odd-1/0`);
  await page.getByRole('heading', { name: 'Odd' }).waitFor();
  const odd = await page.getByTestId('metadata-links').textContent();
  // There is no index of ids: a cause is looked for in its effect's correlation.
  assert.match(odd, /\$causationIdnot-a-uuid not found: no event of this correlation has this id/);
  assert.match(odd, /\$causedBy00000000-0000-4000-8000-000000000000 not found: no event of this correlation has this id/);
  await page.getByTestId('metadata-links').getByRole('link', { name: html }).click();
  await page.getByRole('heading', { name: `Correlation ${html}` }).waitFor();
  await eventually(async () => assert.deepEqual((await rowTexts(page, 'table.events')).map((r) => r[0]), ['odd-1']));
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('main img').count(), 0);

  // An event appended without metadata has none, which is not {}.
  await page.goto(`${app.base}#/streams/account-ada/1`);
  await page.getByRole('heading', { name: 'Deposited' }).waitFor();
  assert.equal(await page.getByTestId('event-metadata').textContent(),
    'None: this event was appended without metadata (which is not the same as {}).');
  assert.equal(await page.getByTestId('metadata-links').count(), 0);
  assert.equal((await page.evaluate(() => window.sandbox.readStream('account-ada')))[1].metadata, null);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a stream a projection writes says so up front instead of offering the form', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.evaluate(() => window.sandbox.createProjection('ledger',
    `fromAll().when({ Deposited: (s, e) => { emit('ledger-deposits', 'Noted', { amount: e.data.amount }); } })`, { emit: true }));
  await page.evaluate(() => window.sandbox.projectionState('ledger'));
  await page.goto(`${app.base}#/streams/ledger-deposits`);
  const note = page.getByRole('note');
  await note.getByText(/writes this stream\. An event anyone else appends here faults the projection/).waitFor();
  assert.equal(await note.getByRole('link', { name: 'ledger' }).getAttribute('href'), '#/projections/ledger');
  assert.equal(await page.getByRole('button', { name: 'Append', exact: true }).count(), 0);
  assert.equal(await page.getByLabel('Expected version').count(), 0);

  // A stream nobody owns still has its form.
  await page.goto(`${app.base}#/streams/account-ada`);
  await page.getByRole('button', { name: 'Append', exact: true }).waitFor();
  assert.equal(await page.getByRole('note').count(), 0);

  await reload(page);
  await page.goto(`${app.base}#/streams/ledger-deposits`);
  await page.getByRole('note').getByText(/writes this stream\./).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Append', exact: true }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a sandbox of many streams lists the latest hundred and shows more on request', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(async () => {
    for (let i = 0; i < 130; i += 1) {
      await window.sandbox.append(`item-${i}`, { type: 'Listed', data: { i } });
    }
  });
  await page.evaluate(() => window.sandbox.append('item-0', { type: 'Listed', data: { again: true } }));
  await reload(page);
  const rows = page.locator('table.streams tbody tr');
  await eventually(async () => assert.equal(await rows.count(), 100));
  // Newest first: the last created leads, the first thirty wait, and an
  // append to the oldest does not move it.
  assert.equal((await rowTexts(page, 'table.streams'))[0][0], 'item-129');
  assert.match(await page.locator('.more').innerText(), /100 of 130 streams shown/);
  await page.getByRole('button', { name: 'Show 30 more' }).click();
  await eventually(async () => assert.equal(await rows.count(), 130));
  const last = (await rowTexts(page, 'table.streams'))[129];
  assert.deepEqual([last[0], last[2], last[3]], ['item-0', '1', '2'], 'item-0 stays last, at version 1');
  assert.equal(await page.locator('.more').count(), 0, 'nothing left to show');
  assert.deepEqual(errors, []);
  await context.close();
});
