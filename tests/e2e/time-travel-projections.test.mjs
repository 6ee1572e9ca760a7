// Time travel on a projection's page (issue 9): the page follows the
// cursor (states as of p, what the event at p did), a what-if skip beside
// the real states, a draft reducer compared with the saved one and applied
// keeping the checkpoint, stepping past a throwing handler, and the one
// runtime: every as-of state equals the live state recorded at that point.
// Every journey reloads and fails on any console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { startApp, openPage, reload, eventually, limit, typeSource, editorText, overdraftCheck } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots = path.resolve(here, '..', '..', 'docs', 'screenshots', 'after');
fs.mkdirSync(screenshots, { recursive: true });

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

// The sample's balances, moved by deposits and withdrawals only (so that
// transfers are events this projection ignores), with a log line a deposit.
const balances = [
  "fromCategory('account')",
  '  .foreachStream()',
  '  .when({',
  '    $init: () => ({ balance: 0 }),',
  "    Deposited: (s, e) => { s.balance += e.data.amount; log('deposit', e.data.amount); },",
  '    Withdrawn: (s, e) => { s.balance -= e.data.amount; },',
  '  });',
].join('\n');

/**
 * A handler limit far above the default 250 ms, for this page's life: these
 * journeys test time travel, not the watchdog, and a loaded machine (two
 * shared cores) can starve a worker that long. Set again after a reload.
 */
const patient = (page) => page.evaluate(() => window.sandbox.configure({ projectionExecutionTimeout: 5000 }));

async function reloadPatient(page) {
  await reload(page);
  await patient(page);
}

/** A page with the sample loaded and `source` running as `name`, on its page. */
async function withProjection(name, source) {
  const opened = await openPage(app);
  const { page } = opened;
  await patient(page);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.evaluate(([name, source]) => window.sandbox.createProjection(name, source), [name, source]);
  await page.evaluate((name) => window.sandbox.projectionState(name, { partition: 'account-ada' }).catch(() => null), name);
  await page.goto(`${app.base}#/projections/${name}`);
  await page.getByTestId('projection-status').waitFor();
  const events = await page.evaluate(() => window.sandbox.readAll());
  return { ...opened, events };
}

const travelTo = (page, to) => page.evaluate((to) => window.sandbox.travelTo(to), to);
const liveState = (page, name, partition) => page.evaluate(([name, partition]) => window.sandbox.projectionState(name, { partition }), [name, partition]);

/** Fails on any serious or critical axe-core finding on the page as it is. */
async function axeClean(page, state) {
  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(blocking.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${state}`);
}

/** A full-page screenshot from the top, where the time bar sits. */
async function shoot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(screenshots, name), fullPage: true });
}


/** The diff table's rows within `scope`, as [path, op, before, after]. */
async function diffRows(scope) {
  return scope.locator('table.diff tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent.trim())));
}

/** One side-by-side row's cells: [left JSON, right JSON] of the state of `of`. */
async function pairOf(scope, of) {
  const cells = scope.locator(`tr[data-of="${of}"] td pre`);
  return [JSON.parse(await cells.nth(0).textContent()), JSON.parse(await cells.nth(1).textContent())];
}

test('the projection page follows the cursor: states as of p and what the event at p did, then live again', limit, async () => {
  const { page, errors, events } = await withProjection('balances', balances);
  const live = await liveState(page, 'balances', 'account-ada');
  assert.deepEqual(live, { balance: 525 });
  await page.getByTestId('travel-live').waitFor();

  // Position 8: Ada's refund of 75, on top of 500 - 40.
  await travelTo(page, 8);
  const banner = page.getByTestId('as-of-banner');
  await eventually(async () => assert.match(await banner.textContent(), /^As of position 8/));
  const change = page.getByTestId('event-change');
  await eventually(async () => assert.match(await change.getByTestId('event-partition').textContent(), /partition account-ada/));
  assert.match(await change.getByTestId('event-at-cursor').textContent(), /Deposited · 3@account-ada/);
  assert.deepEqual(await diffRows(change), [['balance', 'replaced', '460', '535']]);
  assert.deepEqual(JSON.parse(await change.getByTestId('state-before').textContent()), { balance: 460 });
  assert.deepEqual(JSON.parse(await change.getByTestId('state-after').textContent()), { balance: 535 });
  assert.match(await change.locator('table.log').textContent(), /deposit 75/, 'the log() line the event wrote');
  // The partition browser follows the partition the event touched.
  const asOf = page.getByTestId('as-of-states');
  await eventually(async () => assert.match(await asOf.getByText('State of account-ada').textContent(), /account-ada/));
  assert.match(await asOf.locator('.partition-browser .json-tree').textContent(), /balance: 535/);
  assert.match(await asOf.getByRole('heading', { name: /Partitions/ }).textContent(), /Partitions \(3\)/);
  await shoot(page, 'time-travel-projection.png');
  await axeClean(page, 'a projection as of a position, with its per-event diff');

  // The keyboard steps the cursor (the time bar's ←): Grace's rent at 7.
  await page.getByRole('heading', { name: 'balances' }).click();
  await page.keyboard.press('ArrowLeft');
  await eventually(async () => assert.equal(await page.evaluate(() => window.sandbox.cursor()), 7));
  await eventually(async () => assert.deepEqual(await diffRows(page.getByTestId('event-change')), [['balance', 'replaced', '1200', '1000']]));
  await eventually(async () => assert.match(await page.getByTestId('as-of-banner').textContent(), /^As of position 7/));

  // An event the projection has no handler for says so.
  await travelTo(page, events.findIndex((e) => e.type === 'TransferSent'));
  await page.getByTestId('event-ignored').waitFor();
  assert.equal(await page.getByTestId('diff').count(), 0);

  // Break on a type: play from the start stops at the first withdrawal
  // this projection handles; "next" finds the one after.
  const withdrawals = events.filter((e) => e.type === 'Withdrawn').map((e) => e.position);
  await travelTo(page, 0);
  await page.getByLabel('Break on event type').fill('Withdrawn');
  await page.getByRole('button', { name: 'Play to break' }).click();
  const stopped = page.getByTestId('break-outcome');
  await eventually(async () => assert.equal(await stopped.textContent(), `Stopped at a Withdrawn event, at position ${withdrawals[0]}.`));
  assert.equal(await page.evaluate(() => window.sandbox.cursor()), withdrawals[0]);
  await page.getByTestId('break-hit').waitFor();
  await page.getByRole('button', { name: 'Next Withdrawn' }).click();
  await eventually(async () => assert.equal(await stopped.textContent(), `Stopped at a Withdrawn event, at position ${withdrawals[1]}.`));
  assert.equal(await page.evaluate(() => window.sandbox.cursor()), withdrawals[1]);

  // The time bar's own Play stops at the break too, and is paused there.
  await travelTo(page, withdrawals[1]);
  const bar = page.getByRole('region', { name: 'Time bar' });
  await bar.getByLabel('Play speed', { exact: false }).selectOption('5');
  await bar.getByRole('button', { name: 'Play', exact: true }).click();
  await eventually(async () => assert.equal(await stopped.textContent(), `Stopped at a Withdrawn event, at position ${withdrawals[2]}.`));
  assert.equal(await page.evaluate(() => window.sandbox.cursor()), withdrawals[2]);
  assert.equal(await bar.getByRole('button', { name: 'Play', exact: true }).getAttribute('aria-pressed'), 'false');

  // Before any event: every state is $init's, and no partition exists.
  await travelTo(page, -1);
  await eventually(async () => assert.match(await page.getByTestId('event-change').textContent(), /before the first event/));

  // Live again: the page shows the projection now.
  await page.getByTestId('as-of-banner').waitFor();
  await page.getByRole('button', { name: 'Back to live' }).click();
  await page.getByTestId('travel-live').waitFor();
  assert.equal(await page.evaluate(() => window.sandbox.cursor()), 'live');
  assert.equal(await page.getByTestId('as-of-banner').count(), 0);
  await page.getByText('Partitions (3)').waitFor();

  await reloadPatient(page);
  await page.getByTestId('projection-status').waitFor();
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, events.length);
  assert.deepEqual(await liveState(page, 'balances', 'account-ada'), live);
  assert.deepEqual(errors, []);
});

test('a what-if skip changes the what-if state and leaves the real one and the log alone', limit, async () => {
  const { page, errors, events } = await withProjection('balances', balances);
  const real = await liveState(page, 'balances', 'account-ada');

  // Skip Ada's groceries (40, position 3) from the event at the cursor.
  await travelTo(page, 3);
  const toggle = page.getByTestId('skip-this-event');
  await toggle.waitFor();
  await toggle.check();
  const whatIf = page.getByTestId('what-if');
  await eventually(async () => assert.match(await whatIf.getByTestId('skipped').textContent(), /Skipped:3 ×/));
  await whatIf.getByText('up to position 3, the cursor').waitFor();
  await eventually(async () => assert.deepEqual(await pairOf(whatIf, 'account-ada'), [{ balance: 460 }, { balance: 500 }]));

  // Live: the what-if runs to the last event; a range skips Grace's rent
  // and everything up to 8 too.
  await travelTo(page, 'live');
  await whatIf.getByLabel('Skip positions from').fill('7');
  await whatIf.getByLabel('to', { exact: true }).fill('8');
  await whatIf.getByRole('button', { name: 'Skip these' }).click();
  await eventually(async () => assert.match(await whatIf.getByTestId('skipped').textContent(), /3 ×7–8 ×/));
  await eventually(async () => assert.deepEqual(await pairOf(whatIf, 'account-ada'), [real, { balance: real.balance + 40 - 75 }]));
  assert.deepEqual(await pairOf(whatIf, 'account-grace'), [await liveState(page, 'balances', 'account-grace'), { balance: (await liveState(page, 'balances', 'account-grace')).balance + 200 }]);
  assert.match(await whatIf.textContent(), /The log itself is never changed/);
  await axeClean(page, 'a what-if beside the real states');

  // The real projection and the log are untouched.
  assert.deepEqual(await liveState(page, 'balances', 'account-ada'), real);
  assert.deepEqual(await page.evaluate(() => window.sandbox.readAll()), events);
  const row = (await page.evaluate(() => window.sandbox.projections())).find((p) => p.name === 'balances');
  assert.equal(row.status, 'Running');

  // Unskipping a run takes it out.
  await whatIf.getByRole('button', { name: 'Stop skipping 7–8' }).click();
  await eventually(async () => assert.deepEqual(await pairOf(whatIf, 'account-ada'), [real, { balance: real.balance + 40 }]));

  await reloadPatient(page);
  await page.getByTestId('projection-status').waitFor();
  assert.deepEqual(await page.evaluate(() => window.sandbox.readAll()), events);
  assert.deepEqual(await liveState(page, 'balances', 'account-ada'), real);
  assert.deepEqual(errors, []);
});

test('compare a draft reducer with the saved one, jump to the first difference, then Apply keeping the checkpoint', limit, async () => {
  const { page, errors, events } = await withProjection('balances', balances);
  const before = await liveState(page, 'balances', 'account-ada');
  const built = (await page.evaluate(() => window.sandbox.projections())).find((p) => p.name === 'balances');

  // The draft charges a fee of 1 per withdrawal.
  const draft = balances.replace('s.balance -= e.data.amount;', 's.balance -= e.data.amount + 1;');
  await typeSource(page, draft);
  await page.getByTestId('draft-note').waitFor();
  const compare = page.getByTestId('compare');
  await compare.getByRole('button', { name: 'Compare with the saved reducer' }).click();
  const first = compare.getByTestId('first-difference');
  await first.waitFor();
  const firstWithdrawal = events.find((e) => e.type === 'Withdrawn');
  assert.match(await first.textContent(), new RegExp(`partition ${firstWithdrawal.stream}, at position ${firstWithdrawal.position}`));
  const outcome = compare.getByTestId('compare-outcome');
  assert.deepEqual(await pairOf(outcome, 'account-ada'), [before, { balance: before.balance - 2 }]);
  // Each partition's first divergence is marked on its row.
  for (const stream of ['account-ada', 'account-grace', 'account-alan']) {
    const position = events.find((e) => e.type === 'Withdrawn' && e.stream === stream).position;
    assert.equal(await outcome.locator(`tr[data-of="${stream}"] [data-testid="first-divergence"]`).textContent(), `first differs at position ${position}`);
  }
  assert.match(await compare.getByTestId('apply-choices').textContent(), /Apply saves the draft and keeps the state built up to position 19/);
  await shoot(page, 'compare-reducers.png');
  await axeClean(page, 'two reducers side by side');

  await first.getByRole('button', { name: 'Jump to first difference' }).click();
  await eventually(async () => assert.equal(await page.evaluate(() => window.sandbox.cursor()), firstWithdrawal.position));
  await eventually(async () => assert.match(await page.getByTestId('as-of-banner').textContent(), new RegExp(`^As of position ${firstWithdrawal.position}`)));
  await eventually(async () => assert.match(await page.getByTestId('event-at-cursor').textContent(), /Withdrawn/));

  // Apply: the draft is saved, and the state built so far is kept.
  await travelTo(page, 'live');
  await compare.getByRole('button', { name: 'Apply', exact: true }).click();
  await eventually(async () => assert.equal(await page.getByTestId('draft-note').count(), 0));
  assert.deepEqual(await liveState(page, 'balances', 'account-ada'), before, 'Apply keeps the state: nothing is rebuilt from 0');
  const applied = (await page.evaluate(() => window.sandbox.projections())).find((p) => p.name === 'balances');
  assert.equal(applied.position, built.position);
  assert.equal(applied.eventsProcessed, built.eventsProcessed);
  // From the checkpoint on, the new reducer runs.
  await page.evaluate(() => window.sandbox.append('account-ada', { type: 'Withdrawn', data: { amount: 10 } }));
  await eventually(async () => assert.deepEqual(await liveState(page, 'balances', 'account-ada'), { balance: before.balance - 11 }));

  await reloadPatient(page);
  await page.getByTestId('projection-status').waitFor();
  assert.deepEqual(await liveState(page, 'balances', 'account-ada'), { balance: before.balance - 11 });
  assert.equal(await editorText(page), draft, 'the applied draft is the saved source');
  assert.equal(await page.getByTestId('draft-note').count(), 0);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, events.length + 1);
  assert.deepEqual(errors, []);
});

test('the stepper shows a throwing event in place, and stepping past it shows what the next event does', limit, async () => {
  // Alan's balance drops below 400 at his Withdrawn of 25 (line 7 throws);
  // transfers out count too, so the event after it does something.
  // The harness's overdraft check, plus a handler for transfers out.
  const overdraft = overdraftCheck.replace('\n  });', '\n    TransferSent: (s, e) => { s.balance -= e.data.amount; },\n  });');
  assert.match(overdraft, /TransferSent/);
  const { page, errors, events } = await withProjection('overdraft', overdraft);
  await eventually(async () => assert.equal(await page.getByTestId('projection-status').textContent(), 'Faulted'));
  const throwing = events.findIndex((e) => e.type === 'Withdrawn' && e.stream === 'account-alan');
  const liveRow = (await page.evaluate(() => window.sandbox.projections())).find((p) => p.name === 'overdraft');

  await travelTo(page, throwing);
  const fault = page.getByTestId('event-fault');
  await fault.waitFor();
  assert.match(await fault.textContent(), new RegExp(`Withdrawn threw at position ${throwing} .*Error: overdrawn by 25 \\(line 7 of the source\\)`));
  assert.match(await fault.textContent(), /Line 7 of the source: if \(s\.balance - e\.data\.amount < 400\)/);
  assert.match(await page.getByTestId('step-past-hint').textContent(), /The log and the live projection are untouched/);
  const { version } = events[throwing];
  assert.match(await page.getByTestId('event-at-cursor').textContent(), new RegExp(`Withdrawn · ${version}@account-alan`));

  await fault.getByRole('button', { name: 'Step past it' }).click();
  await eventually(async () => assert.equal(await page.evaluate(() => window.sandbox.cursor()), throwing + 1));
  const next = events[throwing + 1];
  assert.equal(next.type, 'TransferSent');
  const change = page.getByTestId('event-change');
  await eventually(async () => assert.match(await change.getByTestId('event-partition').textContent(), new RegExp(`partition ${next.stream}`)));
  assert.deepEqual(await diffRows(change), [['balance', 'replaced', '535', '435']]);
  // The earlier fault is listed with the states as of here.
  const faults = page.getByTestId('travel-faults');
  await faults.waitFor();
  assert.equal(await faults.getByTestId('travel-fault').count(), 1);
  assert.match(await faults.textContent(), new RegExp(`${version}@account-alan \\(position ${throwing}\\): Withdrawn threw`));
  await shoot(page, 'stepper-fault.png');
  await axeClean(page, 'a fault stepped past');

  // The live projection and the log are untouched.
  const row = (await page.evaluate(() => window.sandbox.projections())).find((p) => p.name === 'overdraft');
  assert.equal(row.status, 'Faulted');
  assert.equal(row.position, liveRow.position);
  assert.deepEqual(await page.evaluate(() => window.sandbox.readAll()), events);

  await reloadPatient(page);
  await page.getByTestId('projection-status').waitFor();
  assert.equal(await page.getByTestId('projection-status').textContent(), 'Faulted');
  assert.deepEqual(await page.evaluate(() => window.sandbox.readAll()), events);
  assert.deepEqual(errors, []);
});

test('one runtime: for every position, the state as of p is the live state right after the p-th append, and each change is the step between them', limit, async () => {
  const { page, errors } = await openPage(app);
  await patient(page);
  const name = 'tally';
  await page.evaluate((name) => window.sandbox.createProjection(name, `fromCategory('c')
    .foreachStream()
    .when({
      $init: () => ({ n: 0, sum: 0 }),
      Added: (s, e) => { s.n += 1; s.sum += e.data.k; s.last = e.data.k; },
      Removed: (s, e) => { s.sum -= e.data.k; if (s.sum < 0) { delete s.last; } },
    })`), name);
  const streams = ['c-a', 'c-b', 'c-c'];
  const recorded = [];
  for (let p = 0; p < 30; p += 1) {
    const stream = streams[(p * 7) % 3];
    const type = p % 5 === 4 ? 'Removed' : p % 7 === 6 ? 'Noted' : 'Added';
    await page.evaluate(([stream, type, k]) => window.sandbox.append(stream, { type, data: { k } }), [stream, type, (p * 13) % 11]);
    const states = {};
    for (const partition of streams) states[partition] = await page.evaluate(([name, partition]) => window.sandbox.projectionState(name, { partition }), [name, partition]);
    recorded.push({ stream, type, states });
  }
  assert.ok(recorded.some((r) => r.type === 'Noted'), 'some events no handler takes');

  for (let p = 0; p < recorded.length; p += 1) {
    for (const partition of streams) {
      const asOf = await page.evaluate(([name, partition, at]) => window.sandbox.projectionState(name, { partition, at }), [name, partition, p]);
      assert.deepEqual(asOf, recorded[p].states[partition], `${partition} as of ${p}`);
    }
    const change = await page.evaluate(([name, p]) => window.sandbox.projectionChange(name, p), [name, p]);
    const { stream, type } = recorded[p];
    const before = p === 0 ? null : recorded[p - 1].states[stream];
    const after = recorded[p].states[stream];
    if (type === 'Noted') {
      assert.equal(change, null, `position ${p} is ignored`);
      assert.deepEqual(before, after);
      continue;
    }
    assert.equal(change.partition, stream);
    assert.deepEqual(change.before, before, `before ${p}`);
    assert.deepEqual(change.after, after, `after ${p}`);
    assert.deepEqual(change.diff, expectedDiff(before, after), `diff at ${p}`);
  }

  await reloadPatient(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 30);
  assert.deepEqual(await page.evaluate((name) => window.sandbox.projectionState(name, { partition: 'c-a' }), name), recorded.at(-1).states['c-a']);
  assert.deepEqual(errors, []);
});

/** The diff of two flat states, as projectionChange reports one. */
function expectedDiff(before, after) {
  if (before === null) return [{ path: '', op: 'added', before: null, after }];
  const changes = [];
  for (const [key, value] of Object.entries(before)) {
    if (!(key in after)) changes.push({ path: key, op: 'removed', before: value, after: null });
    else if (after[key] !== value) changes.push({ path: key, op: 'replaced', before: value, after: after[key] });
  }
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before)) changes.push({ path: key, op: 'added', before: null, after: value });
  }
  return changes;
}
