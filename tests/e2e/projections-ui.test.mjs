// The projections pages: create in the editor, watch the state follow
// appends, a fault with its reason and marked line, the partition browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startApp, openPage, reload, artifacts, eventually, limit, overdraftCheck } from './harness.mjs';

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

test('create a projection in the editor, append, and watch its state change', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.getByRole('link', { name: 'Projections' }).click();
  await page.getByRole('link', { name: 'New projection' }).click();
  await page.locator('.cm-editor').waitFor();
  await page.getByLabel('Name').fill('balances');
  await page.getByRole('button', { name: 'Balance per account (foreachStream)' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'balances' }).waitFor();
  await page.getByText('Partitions (3)').waitFor();
  await page.getByRole('button', { name: 'account-ada' }).click();
  await page.getByText('State of account-ada').waitFor();
  await eventually(async () => assert.match(await page.locator('.partition-browser .json-tree').textContent(), /balance: 425/));

  await page.evaluate(() => window.sandbox.append('account-ada', { type: 'Deposited', data: { amount: 100 } }));
  await page.getByRole('button', { name: 'account-ada' }).click();
  await eventually(async () => assert.match(await page.locator('.partition-browser .json-tree').textContent(), /balance: 525/));

  await page.getByLabel('Search partitions').fill('gr');
  assert.deepEqual(await page.locator('.partition-keys button').allTextContents(), ['account-grace']);
  await page.getByRole('button', { name: 'account-grace' }).click();
  await page.getByText('State of account-grace').waitFor();
  await page.screenshot({ path: path.join(artifacts, 'partition-browser.png'), fullPage: true });

  // A linked event's page leads to the event it points at.
  await page.evaluate(() => window.sandbox.createProjection('deposit-links', `fromCategory('account').when({ Deposited: (s, e) => { linkTo('deposits', e); } })`, { emit: true }));
  await page.evaluate(() => window.sandbox.projectionState('deposit-links'));
  await page.goto(`${app.base}#/streams/deposits/0`);
  await page.getByRole('link', { name: '1@account-ada' }).click();
  await page.getByRole('heading', { name: 'Deposited' }).waitFor();
  assert.match(await page.getByTestId('event-data').textContent(), /"amount": 500/);

  await page.goto(`${app.base}#/projections/balances`);
  await reload(page);
  await page.getByTestId('projection-status').waitFor();
  assert.equal(await page.getByTestId('projection-status').textContent(), 'Running');

  // Stop, start, and a reset that asks first.
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await eventually(async () => assert.equal(await page.getByTestId('projection-status').textContent(), 'Stopped'));
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await eventually(async () => assert.equal(await page.getByTestId('projection-status').textContent(), 'Running'));

  // The reset is watched on a projection whose $init draws a random marker
  // per partition: only a re-run from 0 changes it.
  await page.evaluate(() => window.sandbox.createProjection('runs', `fromCategory('account').foreachStream().when({
    $init: () => ({ run: Math.random(), seen: 0 }),
    $any: (s) => { s.seen += 1; },
  })`));
  const marker = () => page.evaluate(() => window.sandbox.projectionState('runs', { partition: 'account-ada' }));
  const row = async () => {
    const [found] = (await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).filter((p) => p.name === 'runs');
    return [found.status, found.position, found.eventsProcessed];
  };
  const firstRun = await marker();
  const firstRow = await row();
  await page.goto(`${app.base}#/projections/runs`);
  await page.getByTestId('projection-status').waitFor();
  const summary = () => page.locator('.toolbar .muted').first().textContent();
  await eventually(async () => assert.match(await summary(), /position 2\d · 2\d events processed · 3 partitions/));
  const firstSummary = await summary();

  // Dismissed: nothing is reset, even given the time a reset takes.
  let asked = 0;
  page.once('dialog', (dialog) => { asked += 1; return dialog.dismiss(); });
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await eventually(async () => assert.equal(asked, 1, 'the reset asks first'));
  await page.waitForTimeout(1000);
  assert.deepEqual(await marker(), firstRun, 'a dismissed reset re-runs nothing');
  assert.deepEqual(await row(), firstRow);
  assert.equal(await summary(), firstSummary);
  assert.equal(await page.getByTestId('projection-status').textContent(), 'Running');

  // Accepted: it runs again from 0, onto fresh states.
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await eventually(async () => assert.notEqual((await marker()).run, firstRun.run, 'an accepted reset runs $init again'));
  assert.equal((await marker()).seen, firstRun.seen);
  await eventually(async () => assert.deepEqual(await row(), firstRow));
  await eventually(async () => assert.equal(await summary(), firstSummary));
  await page.getByText('Partitions (3)').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a faulted projection shows the reason and marks the line', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.evaluate((source) => window.sandbox.createProjection('overdraft-check', source).then(() => window.sandbox.projectionState('overdraft-check')).catch(() => {}), overdraftCheck);
  await page.goto(`${app.base}#/projections/overdraft-check`);
  const banner = page.getByTestId('fault-reason');
  await banner.waitFor();
  assert.match(await banner.textContent(), /Withdrawn threw at position \d+ \(\d+@account-\w+, Withdrawn\): Error: overdrawn by \d+ \(line 7 of the source\)/);
  assert.equal(await page.getByTestId('projection-status').textContent(), 'Faulted');
  await page.locator('.cm-fault-line[data-fault-line="7"]').waitFor();
  await page.screenshot({ path: path.join(artifacts, 'projection-faulted.png'), fullPage: true });
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 20, 'the store is unchanged');

  // Deleting asks first; dismissed, nothing is deleted, even given the time
  // a delete takes.
  const names = async () => (await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).map((p) => p.name);
  let asked = 0;
  page.once('dialog', (dialog) => { asked += 1; return dialog.dismiss(); });
  await page.getByRole('button', { name: 'Delete' }).click();
  await eventually(async () => assert.equal(asked, 1, 'the delete asks first'));
  await page.waitForTimeout(1000);
  assert.deepEqual(await names(), ['overdraft-check']);
  assert.equal(await page.getByTestId('projection-status').textContent(), 'Faulted');
  // Accepted: it is gone from the store and the page goes back to the list.
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await eventually(async () => assert.deepEqual(await names(), []));
  await page.getByRole('heading', { name: 'Projections' }).waitFor();
  await reload(page);
  assert.deepEqual(await names(), [], 'the delete outlives a reload');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a query runs once and shows state, partitions and log', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/query`);
  await page.locator('.cm-editor').waitFor();
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByRole('heading', { name: 'State' }).waitFor();
  assert.match(await page.locator('.views .json-tree').first().textContent(), /Deposited: 7/);
  assert.equal((await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).length, 0, 'a query is not saved');
  assert.deepEqual(errors, []);
  await context.close();
});
