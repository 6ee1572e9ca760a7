// Accessibility, checked by a real engine: axe-core on every main page and
// state, plus the gaps axe cannot see (focus, names, titles, tab stops).
// The moderate and minor findings are written to artifacts/axe-summary.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { startApp, openPage, reload, artifacts, eventually, limit, overdraftCheck as overdraft } from './harness.mjs';

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const summary = {};

/** Runs axe on the page as it is; fails on any serious or critical finding. */
async function axe(page, state) {
  const results = await new AxeBuilder({ page }).analyze();
  const describe = (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`;
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  summary[state] = {
    serious: blocking.map(describe),
    other: results.violations.filter((v) => !blocking.includes(v)).map(describe),
  };
  fs.writeFileSync(path.join(artifacts, 'axe-summary.json'), JSON.stringify(summary, null, 2));
  assert.deepEqual(blocking.map(describe), [], `axe: serious or critical violations on ${state}`);
}


test('axe finds nothing serious on any main page or state', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.getByRole('heading', { name: 'Welcome to your event store' }).waitFor();
  await axe(page, 'first run');

  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/`);
  await page.locator('table.streams tbody tr').first().waitFor();
  await axe(page, 'stream list');

  await page.goto(`${app.base}#/streams/account-ada`);
  await page.locator('table.events tbody tr').first().waitFor();
  await axe(page, 'stream page');

  await page.goto(`${app.base}#/streams/account-grace/3`);
  await page.getByTestId('event-data').waitFor();
  await axe(page, 'event view');

  await page.goto(`${app.base}#/all`);
  await page.locator('table.events tbody tr').first().waitFor();
  await axe(page, 'all events');

  await page.goto(`${app.base}#/append`);
  await page.getByLabel('Stream', { exact: true }).fill('account-ada');
  await page.getByLabel('Event type').fill('Deposited');
  await page.getByLabel('Data', { exact: true }).fill('{\n  "amount": 5,\n}');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.locator('.field-error', { hasText: 'invalid JSON' }).waitFor();
  await axe(page, 'append form with an error');

  await page.evaluate((source) => window.sandbox.createProjection('balances', source.replace(' < 400', ' < -1000000')), overdraft);
  await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-ada' }));
  await page.goto(`${app.base}#/projections`);
  await page.locator('table.projections tbody tr').first().waitFor();
  await axe(page, 'projections list');

  await page.goto(`${app.base}#/projections/balances`);
  await page.getByTestId('projection-status').waitFor();
  await page.locator('.cm-content').waitFor();
  await axe(page, 'projection page (running)');

  await page.evaluate((source) => window.sandbox.createProjection('overdraft-check', source)
    .then(() => window.sandbox.projectionState('overdraft-check')).catch(() => {}), overdraft);
  await page.goto(`${app.base}#/projections/overdraft-check`);
  await page.getByTestId('fault-reason').waitFor();
  await axe(page, 'projection page (faulted)');

  await page.goto(`${app.base}#/new-projection`);
  await page.locator('.cm-content').waitFor();
  await axe(page, 'new projection');

  await page.goto(`${app.base}#/query`);
  await page.locator('.cm-content').waitFor();
  await axe(page, 'query');

  await page.goto(`${app.base}#/help`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await axe(page, 'help');

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 20, 'nothing was lost');
  assert.deepEqual(errors, []);
  await context.close();
});

test('each view has its own title, a skip link leads to the content, and the code editor has a name', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  const titles = {};
  for (const [hash, ready] of [
    ['#/', 'table.streams'],
    ['#/streams/account-ada', 'table.events'],
    ['#/streams/account-ada/1', '[data-testid="event-data"]'],
    ['#/all', 'table.events'],
    ['#/append', 'form.append-form'],
    ['#/projections', 'h1'],
    ['#/query', '.cm-content'],
    ['#/help', 'h1'],
  ]) {
    await page.goto(`${app.base}${hash}`);
    await page.locator(ready).first().waitFor();
    await eventually(async () => assert.notEqual(await page.title(), 'es-sandbox'));
    titles[hash] = await page.title();
  }
  assert.equal(new Set(Object.values(titles)).size, Object.keys(titles).length, `every view is titled apart: ${JSON.stringify(titles)}`);
  assert.match(titles['#/streams/account-ada'], /account-ada/);
  assert.match(titles['#/streams/account-ada/1'], /1@account-ada/);

  // The first Tab stop skips the navigation.
  await page.goto(`${app.base}#/all`);
  await page.locator('table.events tbody tr').first().waitFor();
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ text: document.activeElement.textContent.trim(), href: document.activeElement.getAttribute('href') }));
  assert.match(first.text, /skip to (the )?content/i);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'content', 'the skip link moves focus to the content');

  // The code editor is named for screen readers.
  await page.goto(`${app.base}#/query`);
  const editor = page.locator('.cm-content');
  await editor.waitFor();
  const name = await editor.evaluate((node) => node.getAttribute('aria-label') || (node.getAttribute('aria-labelledby') && document.getElementById(node.getAttribute('aria-labelledby'))?.textContent));
  assert.match(name ?? '', /source/i);

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 20);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a field error is tied to its field, and focus moves to the first invalid one', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.goto(`${app.base}#/append`);
  await page.getByLabel('Stream', { exact: true }).fill('account-1');
  await page.getByLabel('Event type').fill('');
  await page.getByLabel('Data', { exact: true }).fill('{ nope');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.locator('.field-error').first().waitFor();
  const type = page.getByLabel('Event type');
  assert.equal(await type.getAttribute('aria-invalid'), 'true');
  const describedBy = await type.getAttribute('aria-describedby');
  assert.ok(describedBy, 'the event type field points at its error');
  assert.match(await page.locator(`#${describedBy}`).textContent(), /type/i);
  assert.equal(await page.getByLabel('Data', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'append-type', 'focus is on the first invalid field');
  assert.equal(await page.getByLabel('Stream', { exact: true }).getAttribute('aria-invalid'), null, 'a valid field is not marked');

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 0, 'nothing was written');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the selected partition is marked for assistive technology, and counts read as English', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('account-1', { type: 'Opened', data: { owner: 'Ada' } }));
  await page.evaluate(() => window.sandbox.createProjection('one', `fromAll().foreachStream().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })`));
  await page.evaluate(() => window.sandbox.projectionState('one', { partition: 'account-1' }));
  await page.goto(`${app.base}#/projections/one`);
  await page.getByText('Partitions (1)').waitFor();
  const partition = page.getByRole('button', { name: 'account-1' });
  await partition.click();
  assert.ok(['true', 'page'].includes(await partition.getAttribute('aria-current')) || (await partition.getAttribute('aria-selected')) === 'true',
    'the chosen partition says it is the current one');
  const text = await page.locator('main').textContent();
  assert.doesNotMatch(text, /\b1 (keys|partitions|events)\b/, 'one of a thing is singular');
  await reload(page);
  await page.getByText('Partitions (1)').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('All events reaches the end of its table in few tab stops, and a long sandbox name stays in the header', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/all`);
  await page.locator('table.events tbody tr').first().waitFor();
  const stops = await page.evaluate(() => {
    const table = document.querySelector('table.events');
    const focusable = [...document.querySelectorAll('a[href], button:not([disabled]), input, select, textarea, [tabindex]')]
      .filter((node) => node.tabIndex >= 0);
    return focusable.filter((node) => node.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING || table.contains(node)).length;
  });
  assert.ok(stops <= 40, `${stops} tab stops up to the end of the 20-event table`);

  const long = 'a-workshop-sandbox-with-a-very-long-name-that-goes-on-and-on-and-on';
  const other = await context.newPage();
  await other.goto(`${app.base}?sandbox=${long}`);
  await other.waitForFunction(() => window.sandbox !== undefined);
  await other.evaluate(() => window.sandbox.ready);
  const fits = await other.evaluate(() => {
    const header = document.querySelector('header');
    const name = document.querySelector('.sandbox-name');
    return header.scrollWidth <= header.clientWidth && name.getBoundingClientRect().right <= header.getBoundingClientRect().right;
  });
  assert.ok(fits, 'the sandbox name does not overflow the header');
  assert.match(await other.locator('.sandbox-name').getAttribute('title') ?? '', new RegExp(long), 'the full name is still there to read');

  const placeholderFits = await page.evaluate(() => {
    document.location.hash = '#/';
    return new Promise((resolve) => setTimeout(() => {
      const input = document.querySelector('input[aria-label="Filter streams"], #stream-filter, input[type="search"]');
      if (!input) return resolve('no filter');
      const context = document.createElement('canvas').getContext('2d');
      const style = getComputedStyle(input);
      context.font = `${style.fontSize} ${style.fontFamily}`;
      const text = context.measureText(input.placeholder).width;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      resolve(text <= room ? 'fits' : `placeholder ${Math.round(text)} px in ${Math.round(room)} px`);
    }, 300));
  });
  assert.equal(placeholderFits, 'fits');
  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 20);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a Help page explains the concepts and is always reachable', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/`);
  await page.locator('table.streams').waitFor();
  await page.getByRole('link', { name: 'Help' }).click();
  await page.getByRole('heading', { level: 1, name: /help/i }).waitFor();
  const text = await page.locator('main').textContent();
  for (const concept of [/stream/i, /expected version/i, /\$all/, /projection/i, /categor/i, /correlation/i]) {
    assert.match(text, concept);
  }
  await reload(page);
  await page.getByRole('heading', { level: 1, name: /help/i }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
