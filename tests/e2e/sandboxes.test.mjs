// Several named sandboxes, the facilitator's lock, and other tabs of one
// sandbox seeing each other's appends live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp, openPage, reload, waitReady, attempt, eventually, limit } from './harness.mjs';

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots', 'after');

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const append = (page, stream, type, data = {}) =>
  page.evaluate(([s, t, d]) => window.sandbox.append(s, { type: t, data: d }), [stream, type, data]);
const streamNames = (page) =>
  page.evaluate(async () => (await window.sandbox.streams()).map((s) => s.stream).sort());
const header = (page) => page.locator('.sandbox-name').innerText();

/** Clicks a button of the sandboxes page row that names `name`. */
async function rowButton(page, name, label) {
  const row = page.locator('table.sandboxes tr', { has: page.locator('.sandbox-row-name', { hasText: new RegExp(`^${name}$`) }) });
  await row.getByRole('button', { name: label, exact: true }).click();
  return row;
}

test('a learner keeps several sandboxes apart, and duplicates, renames and deletes them from the UI', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await append(page, 'account-ada', 'Opened', { owner: 'Ada' });
  await append(page, 'account-ada', 'Deposited', { amount: 50 });
  assert.equal(await header(page), 'sandbox: default');

  await page.click('.sandbox-name');
  await page.waitForSelector('table.sandboxes');
  await page.fill('#new-sandbox', 'workshop');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByText('Created the sandbox "workshop"').waitFor();
  await rowButton(page, 'workshop', 'Open');
  await page.waitForURL(/\?sandbox=workshop/);
  await waitReady(page);
  assert.equal(await header(page), 'sandbox: workshop');
  await page.getByText('Welcome to your event store').waitFor();
  assert.deepEqual(await streamNames(page), []);
  await append(page, 'cart-1', 'ItemAdded', { sku: 'xbox' });

  // The default sandbox is untouched by the workshop's append.
  await page.goto(`${app.base}#/sandboxes`);
  await waitReady(page);
  assert.equal(await header(page), 'sandbox: default');
  assert.deepEqual(await streamNames(page), ['account-ada']);

  // A checkpoint: a duplicate holds the same events, and moves on alone.
  const row = await rowButton(page, 'default', 'Duplicate');
  await row.getByLabel('Name of the copy').fill('checkpoint');
  await row.getByRole('button', { name: 'Duplicate', exact: true }).click();
  await page.getByText('Duplicated "default" as "checkpoint"').waitFor();
  await rowButton(page, 'checkpoint', 'Open');
  await page.waitForURL(/\?sandbox=checkpoint/);
  await waitReady(page);
  const copied = await page.evaluate(() => window.sandbox.readStream('account-ada'));
  assert.deepEqual(copied.map((e) => [e.version, e.type, e.data]), [[0, 'Opened', { owner: 'Ada' }], [1, 'Deposited', { amount: 50 }]]);
  await append(page, 'account-ada', 'Withdrawn', { amount: 5 });

  // Renaming the open sandbox moves the page with it.
  await page.goto(`${app.base}?sandbox=checkpoint#/sandboxes`);
  await waitReady(page);
  const renaming = await rowButton(page, 'checkpoint', 'Rename');
  await renaming.getByLabel('New name').fill('room reset');
  await renaming.getByRole('button', { name: 'Rename', exact: true }).click();
  await page.waitForURL(/\?sandbox=room(\+|%20)reset/);
  await waitReady(page);
  assert.equal(await header(page), 'sandbox: room reset');
  assert.equal((await page.evaluate(() => window.sandbox.readStream('account-ada'))).length, 3);

  // Delete asks first; "Keep it" keeps it.
  await page.goto(`${app.base}?sandbox=room%20reset#/sandboxes`);
  await waitReady(page);
  const deleting = await rowButton(page, 'workshop', 'Delete');
  await deleting.getByText('Delete "workshop" and everything in it?').waitFor();
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'sandboxes-delete-asks-first.png'), fullPage: true });
  await deleting.getByRole('button', { name: 'Keep it' }).click();
  await rowButton(page, 'workshop', 'Delete');
  await page.getByRole('button', { name: 'Delete for good' }).click();
  await page.getByText('Deleted the sandbox "workshop"').waitFor();

  await reload(page);
  const listed = await page.evaluate(() => window.sandbox.sandboxes());
  assert.deepEqual(listed, [
    { name: 'default', current: false },
    { name: 'room reset', current: true },
  ]);
  await page.goto(app.base);
  await waitReady(page);
  const original = await page.evaluate(() => window.sandbox.readStream('account-ada'));
  assert.equal(original.length, 2, 'the duplicate\'s append stayed in the duplicate');
  assert.deepEqual(errors, []);
  await context.close();
});

test('window.sandbox creates, switches to and deletes sandboxes, with clear errors', limit, async () => {
  const { page, context, errors } = await openPage(app);
  assert.equal(await page.evaluate(() => window.sandbox.createSandbox('  group B ')), 'group B');
  const taken = await attempt(page, () => window.sandbox.createSandbox('group B'));
  assert.equal(taken.ok, false);
  assert.match(taken.message, /a sandbox called "group B" already exists/);
  const bad = await attempt(page, () => window.sandbox.createSandbox('a/b'));
  assert.match(bad.message, /cannot name a sandbox: it contains '\/'/);
  const missing = await attempt(page, () => window.sandbox.useSandbox('nowhere'));
  assert.match(missing.message, /there is no sandbox called "nowhere"/);

  await page.evaluate(() => window.sandbox.useSandbox('group B'));
  await page.waitForURL(/\?sandbox=group(\+|%20)B/);
  await waitReady(page);
  assert.equal(await header(page), 'sandbox: group B');
  await append(page, 'order-1', 'Placed');

  // Deleting the open sandbox moves the page to the default one.
  await page.evaluate(() => window.sandbox.deleteSandbox('group B'));
  await page.waitForURL((url) => !url.search.includes('sandbox='));
  await waitReady(page);
  assert.equal(await header(page), 'sandbox: default');
  const names = (await page.evaluate(() => window.sandbox.sandboxes())).map((s) => s.name);
  assert.deepEqual(names, ['default']);

  // An address naming a sandbox the page could not have made opens nothing.
  await page.goto(`${app.base}?sandbox=a%2Fb`);
  await page.getByText('"a/b" cannot name a sandbox: it contains \'/\'').waitFor();
  await page.goto(app.base);
  await waitReady(page);
  assert.deepEqual((await page.evaluate(() => window.sandbox.sandboxes())).map((s) => s.name), ['default']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a locked sandbox refuses appends in every tab until it is unlocked', limit, async () => {
  const left = await openPage(app);
  const right = await openPage(app, { context: left.context });
  await append(left.page, 'account-ada', 'Opened');

  await left.page.getByRole('button', { name: 'Lock', exact: true }).click();
  await left.page.locator('.tag.locked').waitFor();
  // The other tab shows the lock without a reload, and honours it.
  await right.page.locator('.tag.locked').waitFor();
  const refused = await attempt(right.page, () => window.sandbox.append('account-ada', { type: 'Deposited', data: {} }));
  assert.equal(refused.name, 'SandboxLocked');
  assert.match(refused.message, /locked read-only/);

  // Through the form, the learner reads why.
  await right.page.goto(`${app.base}#/append`);
  await waitReady(right.page);
  await right.page.fill('#append-stream', 'account-ada');
  await right.page.fill('#append-type', 'Deposited');
  await right.page.fill('#append-data', '{"amount": 1}');
  await right.page.getByRole('button', { name: 'Append', exact: true }).click();
  await right.page.getByText('SandboxLocked: the sandbox "default" is locked read-only').waitFor();

  await reload(left.page);
  await left.page.locator('.tag.locked').waitFor();
  assert.equal((await left.page.evaluate(() => window.sandbox.readStream('account-ada'))).length, 1);

  await left.page.evaluate(() => window.sandbox.unlock());
  await right.page.locator('.tag.locked').waitFor({ state: 'detached' });
  await append(right.page, 'account-ada', 'Deposited', { amount: 2 });
  assert.equal((await left.page.evaluate(() => window.sandbox.readStream('account-ada'))).length, 2);
  assert.deepEqual([...left.errors, ...right.errors], []);
  await left.context.close();
});

test('another tab sees appends and projection changes live, from the empty first-run view on', limit, async () => {
  const writer = await openPage(app);
  const watcher = await openPage(app, { context: writer.context });
  await watcher.page.getByText('Welcome to your event store').waitFor();

  // The watcher notes when the stream's row appears, on the shared clock.
  const shown = watcher.page.evaluate(() => new Promise((resolve) => {
    const seen = () => [...document.querySelectorAll('table.streams td')].some((td) => td.textContent === 'account-live');
    new MutationObserver((_, observer) => {
      if (seen()) { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  }));
  const appendedAt = await writer.page.evaluate(async () => {
    await window.sandbox.append('account-live', { type: 'Opened', data: { owner: 'Live' } });
    return performance.timeOrigin + performance.now();
  });
  const shownAt = await shown;
  console.log(`# the other tab showed the append ${Math.round(shownAt - appendedAt)} ms after it resolved`);

  // The stream page follows too.
  await watcher.page.goto(`${app.base}#/streams/account-live`);
  await waitReady(watcher.page);
  await watcher.page.locator('td', { hasText: 'Opened' }).first().waitFor();
  await writer.page.evaluate(() => window.sandbox.createProjection('deposits',
    "fromCategory('account').when({$init: function () { return {total: 0}; }, Deposited: function (s, e) { s.total += e.data.amount; return s; }})"));
  await append(writer.page, 'account-live', 'Deposited', { amount: 30 });
  await watcher.page.locator('td', { hasText: 'Deposited' }).first().waitFor();

  // And the projection's state, on the watcher's projection page.
  await watcher.page.goto(`${app.base}#/projections/deposits`);
  await waitReady(watcher.page);
  const state = () => watcher.page.locator('.json-tree').first().textContent();
  await eventually(async () => assert.match(await state(), /total: 30/));
  await append(writer.page, 'account-live', 'Deposited', { amount: 12 });
  await eventually(async () => assert.match(await state(), /total: 42/));
  await eventually(async () => assert.deepEqual(
    await watcher.page.evaluate(() => window.sandbox.projectionState('deposits')), { total: 42 }));
  assert.deepEqual([...writer.errors, ...watcher.errors], []);
  await writer.context.close();
});
