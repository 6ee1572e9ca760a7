// A person's journey through the UI: first run, the sample, browsing, the
// event view, appending (good, bad JSON, conflict), and a reload that proves
// nothing was lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startApp, openPage, reload, artifacts, eventually, limit } from './harness.mjs';

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const rowTexts = (page, selector) =>
  page.locator(`${selector} tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));

test('first run, sample, browse, append, bad JSON, conflict, reload', limit, async () => {
  const { page, context, errors } = await openPage(app);

  // First run: an explanation and the sample button, no empty table.
  await page.getByRole('heading', { name: 'Welcome to your event store' }).waitFor();
  await page.getByRole('button', { name: 'Load the bank account sample' }).click();
  // The list replaces the welcome as soon as the first event lands, and fills in.
  await page.locator('table.streams').waitFor();
  await eventually(async () => {
    const streams = await rowTexts(page, 'table.streams');
    assert.deepEqual(streams.map(([name, category, version, count]) => [name, category, version, count]).sort(), [
      ['account-ada', 'account', '6', '7'],
      ['account-alan', 'account', '5', '6'],
      ['account-grace', 'account', '6', '7'],
    ]);
  });

  // The filter takes substrings and * patterns.
  // The store reads the page for a filter, so the rows settle when it answers.
  await page.getByLabel('Filter streams').fill('*-ada');
  await eventually(async () => assert.deepEqual((await rowTexts(page, 'table.streams')).map((r) => r[0]), ['account-ada']));
  await page.getByLabel('Filter streams').fill('gr');
  await eventually(async () => assert.deepEqual((await rowTexts(page, 'table.streams')).map((r) => r[0]), ['account-grace']));
  await page.getByLabel('Filter streams').fill('');

  // The stream page: newest first, with a toggle.
  await page.getByRole('link', { name: 'account-ada' }).click();
  await page.getByRole('heading', { name: 'account-ada' }).waitFor();
  await page.locator('table.events tbody tr').first().waitFor();
  let rows = await rowTexts(page, 'table.events');
  assert.deepEqual(rows.map((r) => r[0]), ['6', '5', '4', '3', '2', '1', '0']);
  assert.deepEqual(rows[6].slice(1, 2), ['AccountOpened']);
  await page.screenshot({ path: path.join(artifacts, 'stream-page.png'), fullPage: true });
  await page.getByLabel('Newest first').uncheck();
  await page.waitForFunction(() => document.querySelector('table.events tbody tr td')?.textContent === '0');

  // The event view: pretty data, then "Append another like this".
  await page.locator('table.events tbody tr').nth(1).getByRole('link', { name: 'Deposited' }).click();
  await page.getByRole('heading', { name: 'Deposited' }).waitFor();
  assert.equal(await page.getByTestId('event-data').textContent(), '{\n  "amount": 500,\n  "reference": "salary"\n}');
  await page.getByRole('button', { name: 'Append another like this' }).click();
  await page.getByRole('heading', { name: 'Append an event' }).waitFor();
  assert.equal(await page.getByLabel('Stream', { exact: true }).inputValue(), 'account-ada');
  assert.equal(await page.getByLabel('Event type').inputValue(), 'Deposited');
  assert.match(await page.getByLabel('Data', { exact: true }).inputValue(), /"amount": 500/);

  await page.getByLabel('Data', { exact: true }).fill('{"amount": 999, "reference": "bonus"}');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.getByRole('status').getByText('Deposited as 7@account-ada').waitFor();
  assert.match(await page.getByRole('status').textContent(), /at position 20/);
  assert.equal(await page.getByLabel('Stream', { exact: true }).inputValue(), 'account-ada', 'stream stays filled');
  assert.equal(await page.getByLabel('Event type').inputValue(), 'Deposited', 'type stays filled');

  // Invalid JSON: line and column under the field, nothing written.
  await page.getByLabel('Data', { exact: true }).fill('{\n  "amount": 5,\n}');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  const jsonError = page.locator('.field-error', { hasText: 'invalid JSON' });
  await jsonError.waitFor();
  assert.match(await jsonError.textContent(), /line 3, column 1/);

  // A conflict: expected vs actual.
  await page.getByLabel('Data', { exact: true }).fill('{"amount": 1}');
  await page.getByLabel('Expected version').fill('3');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  const conflict = page.locator('.conflict');
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /Wrong expected version on account-ada: expected 3, actual 7/);
  await page.screenshot({ path: path.join(artifacts, 'append-conflict.png'), fullPage: true });

  // The exact version that matches goes through.
  await page.getByLabel('Expected version').fill('7');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.getByRole('status').getByText('Deposited as 8@account-ada').waitFor();

  // $all shows everything, newest first.
  await page.getByRole('link', { name: 'All events' }).click();
  await page.getByText('22 events').waitFor();
  rows = await rowTexts(page, 'table.events');
  assert.deepEqual(rows[0].slice(0, 3), ['account-ada', '8', 'Deposited']);

  // Reload: nothing was lost.
  await reload(page);
  await page.goto(`${app.base}#/streams/account-ada`);
  await page.getByText('9 events').waitFor();
  rows = await rowTexts(page, 'table.events');
  assert.deepEqual(rows.slice(0, 3).map((r) => r[0]), ['8', '7', '6']);
  await page.goto(`${app.base}#/`);
  await page.locator('table.streams').waitFor();
  assert.equal((await rowTexts(page, 'table.streams')).length, 3);
  assert.deepEqual(errors, []);
  await context.close();
});

test('lists update without a reload when a script appends', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('cart-1', { type: 'ItemAdded', data: { sku: 'A' } }));
  await page.locator('table.streams').waitFor();
  await page.evaluate(() => window.sandbox.append('cart-2', { type: 'ItemAdded', data: { sku: 'B' } }));
  await page.getByRole('link', { name: 'cart-2' }).waitFor();
  await page.getByRole('link', { name: 'cart-2' }).click();
  await page.getByText('1 events').waitFor();
  await page.evaluate(() => window.sandbox.append('cart-2', { type: 'ItemRemoved', data: { sku: 'B' } }));
  await page.getByText('2 events').waitFor();
  assert.deepEqual((await rowTexts(page, 'table.events')).map((r) => r[1]), ['ItemRemoved', 'ItemAdded']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('event data is shown as text, never run as HTML', limit, async () => {
  const { page, context, errors } = await openPage(app);
  const payload = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
  await page.evaluate((html) => window.sandbox.append('xss-1', { type: '<b>Bold</b>', data: { html } }), payload);
  await page.goto(`${app.base}#/streams/xss-1/0`);
  await page.getByTestId('event-data').waitFor();
  assert.match(await page.getByTestId('event-data').textContent(), /<img src=x onerror=\\"window.pwned=1\\">/);
  assert.equal(await page.getByRole('heading', { name: '<b>Bold</b>' }).count(), 1);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.locator('main img, main b').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('paging through a long stream reads one page at a time', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('bulk-1',
    Array.from({ length: 120 }, (_, n) => ({ type: n % 2 ? 'Odd' : 'Even', data: { n } }))));
  await page.goto(`${app.base}#/streams/bulk-1`);
  await page.getByText('page 1 of 3').waitFor();
  assert.equal((await rowTexts(page, 'table.events'))[0][0], '119');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('page 2 of 3').waitFor();
  assert.equal((await rowTexts(page, 'table.events'))[0][0], '69');
  await page.getByRole('button', { name: 'Oldest' }).click();
  await page.getByText('page 3 of 3').waitFor();
  const last = await rowTexts(page, 'table.events');
  assert.deepEqual([last[0][0], last.at(-1)[0], last.length], ['19', '0', 20]);
  assert.deepEqual(errors, []);
  await context.close();
});
