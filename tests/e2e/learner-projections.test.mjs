// What a learner meets writing projections (issue 12): templates that are
// true of the sample, a partitioned projection's missing root state, a
// fault's progress and last good state, the real line of a syntax error, a
// check before saving, drafts that survive, and log lines that outlive a
// reload. Every journey reloads and fails on any console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp, openPage, reload, attempt, eventually, limit, overdraftCheck, typeSource, editorText } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots = path.resolve(here, '..', '..', 'docs', 'screenshots', 'after');

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

/** A page with the sample loaded, and the sample's events. */
async function withSample() {
  const opened = await openPage(app);
  await opened.page.evaluate(() => window.sandbox.loadSample());
  const events = await opened.page.evaluate(() => window.sandbox.readAll());
  return { ...opened, events };
}


/** The state shown for a partition picked in the partition browser within `scope`. */
async function partitionState(scope, key) {
  await scope.getByRole('button', { name: key, exact: true }).click();
  await scope.getByText(`State of ${key}`).waitFor();
  return scope.locator('.partition-browser .json-tree').textContent();
}

/** Each account's true balance after `events`: every event that moves money counts. */
function balances(events) {
  const sign = { Deposited: 1, TransferReceived: 1, Withdrawn: -1, TransferSent: -1 };
  const found = {};
  for (const event of events) {
    if (!event.stream.startsWith('account-')) continue;
    found[event.stream] = (found[event.stream] ?? 0) + (sign[event.type] ?? 0) * (event.data.amount ?? 0);
  }
  return found;
}

const summary = (page) => page.locator('.toolbar .muted').first().textContent();

test('the Balance per account template counts transfers and says unhandled events are skipped silently', limit, async () => {
  const { page, context, errors, events } = await withSample();
  const expected = balances(events);
  assert.ok(events.some((e) => e.type === 'TransferSent'), 'the sample has a transfer');
  await page.goto(`${app.base}#/new-projection`);
  await page.locator('.cm-editor').waitFor();
  await page.getByRole('button', { name: 'Balance per account (foreachStream)' }).click();
  assert.match(await editorText(page), /no handler are skipped silently, which is exactly how balances go wrong/);
  await page.getByLabel('Name').fill('balances');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'balances' }).waitFor();
  await page.getByText('Partitions (3)').waitFor();
  await eventually(async () => assert.match(await partitionState(page, 'account-ada'), new RegExp(`balance: ${expected['account-ada']}(?!\\d)`)));
  for (const [account, balance] of Object.entries(expected)) {
    assert.deepEqual(await page.evaluate((p) => window.sandbox.projectionState('balances', { partition: p }), account), { balance });
  }

  await reload(page);
  await page.getByText('Partitions (3)').waitFor();
  assert.match(await partitionState(page, 'account-ada'), new RegExp(`balance: ${expected['account-ada']}(?!\\d)`));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('balances', { partition: 'account-grace' })), { balance: expected['account-grace'] });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a partitioned projection says it has no root state and points at its partitions, on its page and in a query', limit, async () => {
  const { page, context, errors, events } = await withSample();
  const types = new Set(events.map((e) => e.type));

  // The partitionBy template keys by something every event has.
  await page.goto(`${app.base}#/query`);
  await page.locator('.cm-editor').waitFor();
  await page.getByRole('button', { name: 'Totals by a key (partitionBy)' }).click();
  await page.getByRole('button', { name: 'Run' }).click();
  const outcome = page.getByTestId('trial-outcome');
  await outcome.getByText(`Partitions (${types.size})`).waitFor();
  await outcome.getByTestId('no-root-state').waitFor();
  assert.match(await outcome.getByTestId('no-root-state').textContent(), /no state of its own.*Pick a partition below/);
  assert.equal(await outcome.getByRole('heading', { name: 'State', exact: true }).count(), 0, 'no "State null" for a partitioned query');
  const deposits = events.filter((e) => e.type === 'Deposited');
  assert.match(await partitionState(outcome, 'Deposited'), new RegExp(`events: ${deposits.length}(?!\\d)[^]*amount: ${deposits.reduce((sum, e) => sum + e.data.amount, 0)}(?!\\d)`));

  // A saved partitioned projection says the same on its page.
  await page.evaluate(() => window.sandbox.createProjection('per-stream', "fromCategory('account').foreachStream().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })"));
  await page.goto(`${app.base}#/projections/per-stream`);
  await page.getByTestId('no-root-state').waitFor();
  await page.getByText('Partitions (3)').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'State', exact: true }).count(), 0);

  await reload(page);
  await page.getByTestId('no-root-state').waitFor();
  await page.goto(`${app.base}#/query`);
  // The template picked before the reload is still the query's text.
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByTestId('trial-outcome').getByText(`Partitions (${types.size})`).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

/** Folds `events` as the overdraft-check (harness.mjs) does: the fault, and the last good states. */
function overdraftRun(events) {
  const states = new Map();
  let processed = 0;
  for (const event of events) {
    if (!event.stream.startsWith('account-')) continue;
    const handled = event.type === 'Deposited' || event.type === 'Withdrawn';
    if (handled) {
      const balance = states.get(event.stream) ?? 0;
      if (event.type === 'Withdrawn' && balance - event.data.amount < 400) {
        return { at: event, lastGood: event.position - 1, processed, states };
      }
      states.set(event.stream, balance + (event.type === 'Deposited' ? 1 : -1) * event.data.amount);
      // KurrentDB counts the events that pass the projection's event
      // filter: with only specific handlers, those of their types.
      processed += 1;
    }
  }
  throw new Error('the sample never overdraws');
}


// Takes the money first, logs, then throws: the worker that threw holds a
// state its handler changed, which the last good state must not show.
const overdraftMutating = [
  "fromCategory('account')",
  '  .foreachStream()',
  '  .when({',
  '    $init: () => ({ balance: 0 }),',
  "    Deposited: (s, e) => { s.balance += e.data.amount; log('in', e.data.amount); },",
  '    Withdrawn: (s, e) => {',
  '      s.balance -= e.data.amount;',
  "      log('out', e.data.amount);",
  "      if (s.balance < 400) throw new Error('overdrawn to ' + s.balance);",
  '    },',
  '  });',
].join('\n');

test('a faulted projection shows its progress up to the fault and its states as of the last good event', limit, async () => {
  const { page, context, errors, events } = await withSample();
  const run = overdraftRun(events);
  const stream = run.at.stream;
  await page.evaluate((source) => window.sandbox.createProjection('overdraft-check', source)
    .then(() => window.sandbox.projectionState('overdraft-check')).catch(() => {}), overdraftCheck);
  await page.goto(`${app.base}#/projections/overdraft-check`);
  await page.getByTestId('fault-reason').waitFor();
  assert.match(await page.getByTestId('fault-reason').textContent(), new RegExp(`threw at position ${run.at.position} \\(`));

  const checkPage = async () => {
    await eventually(async () => assert.equal(await summary(page), `position ${run.lastGood} · ${run.processed} events processed · ${run.states.size} partitions`));
    assert.match(await page.getByTestId('fault-progress').textContent(), new RegExp(`processed ${run.processed} events up to position ${run.lastGood}\\. The states below are as of that event`));
    const lastGood = page.getByTestId('last-good');
    await lastGood.getByText(`Partitions (${run.states.size})`).waitFor();
    assert.match(await partitionState(lastGood, stream), new RegExp(`balance: ${run.states.get(stream)}(?!\\d)`));
    const [row] = await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)));
    assert.deepEqual([row.status, row.position, row.eventsProcessed, row.partitions], ['Faulted', run.lastGood, run.processed, run.states.size]);
    const state = await attempt(page, () => window.sandbox.projectionState('overdraft-check'));
    assert.equal(state.name, 'ProjectionFaulted', 'reading a faulted projection still rejects');
  };
  await checkPage();
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'projection-faulted.png'), fullPage: true });
  await reload(page);
  await checkPage();

  // A handler that changed its state and then threw: the last good state
  // is the one before that event, and the log lines stop there too.
  await page.evaluate((source) => window.sandbox.createProjection('overdraft-mutating', source)
    .then(() => window.sandbox.projectionState('overdraft-mutating')).catch(() => {}), overdraftMutating);
  await page.goto(`${app.base}#/projections/overdraft-mutating`);
  await page.getByTestId('fault-reason').waitFor();
  const mutating = events.filter((e) => e.stream.startsWith('account-'));
  const balance = new Map();
  let faultAt = null;
  const logged = [];
  for (const event of mutating) {
    if (event.type !== 'Deposited' && event.type !== 'Withdrawn') continue;
    const next = (balance.get(event.stream) ?? 0) + (event.type === 'Deposited' ? 1 : -1) * event.data.amount;
    if (event.type === 'Withdrawn' && next < 400) { faultAt = event; break; }
    balance.set(event.stream, next);
    logged.push(`${event.type === 'Deposited' ? 'in' : 'out'} ${event.data.amount}`);
  }
  const lastGood = page.getByTestId('last-good');
  assert.match(await partitionState(lastGood, faultAt.stream), new RegExp(`balance: ${balance.get(faultAt.stream)}(?!\\d)`));
  const logLines = () => page.locator('table.log tbody td code').allTextContents();
  await eventually(async () => assert.deepEqual(await logLines(), logged));
  // Started again, it faults at the same event, and logs nothing twice.
  const again = await page.evaluate(() => window.sandbox.startProjection('overdraft-mutating')
    .then(() => window.sandbox.projectionState('overdraft-mutating')).then(() => 'no fault', (e) => e.name));
  assert.equal(again, 'ProjectionFaulted');
  await eventually(async () => assert.deepEqual(await logLines(), logged));
  await reload(page);
  await page.getByTestId('fault-progress').waitFor();
  await eventually(async () => assert.deepEqual(await logLines(), logged));
  assert.match(await partitionState(page.getByTestId('last-good'), faultAt.stream), new RegExp(`balance: ${balance.get(faultAt.stream)}(?!\\d)`));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a syntax error names the line the parser stopped at, and the editor marks it', limit, async () => {
  const { page, context, errors } = await withSample();
  // A multi-line template literal before the mistake on line 6.
  const late = 'fromAll()\n  .when({\n    $any: (s, e) => {\n      log(`event\nseen`);\n      s.n = ;\n    },\n  });';
  // A stray brace on line 8, with more source after it.
  const stray = [
    "fromCategory('account')",
    '  .foreachStream()',
    '  .when({',
    '    $init: () => ({ balance: 0 }),',
    '    Deposited: (s, e) => { s.balance += e.data.amount; },',
    '  });',
    '',
    '}',
    "log('defined');",
  ].join('\n');
  for (const [name, source, text, line] of [['late', late, "Unexpected token ';'", 6], ['stray', stray, "Unexpected token '}'", 8]]) {
    await page.evaluate(([n, s]) => window.sandbox.createProjection(n, s), [name, source]);
    await page.goto(`${app.base}#/projections/${name}`);
    await eventually(async () => assert.equal(
      await page.getByTestId('fault-reason').textContent(),
      `Faulted: the source does not parse: ${text} (line ${line} of the source)`,
    ));
    await page.locator(`.cm-fault-line[data-fault-line="${line}"]`).waitFor();
  }
  // The query API says the same.
  const queried = await attempt(page, (s) => window.sandbox.query(s), stray);
  assert.equal(queried.message, "the source does not parse: Unexpected token '}' (line 8 of the source)");

  await reload(page);
  await page.getByTestId('fault-reason').waitFor();
  await page.locator('.cm-fault-line[data-fault-line="8"]').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('Check runs a draft over the log without saving it, and shows its fault with the line or its states', limit, async () => {
  const { page, context, errors, events } = await withSample();
  const counting = "fromCategory('account')\n  .foreachStream()\n  .when({\n    $init: () => ({ n: 0 }),\n    $any: (s) => { s.n += 1; },\n  });";
  await page.evaluate((source) => window.sandbox.createProjection('counts', source), counting);
  const adaEvents = events.filter((e) => e.stream === 'account-ada').length;
  const state = () => page.evaluate(() => window.sandbox.projectionState('counts', { partition: 'account-ada' }));
  assert.deepEqual(await state(), { n: adaEvents });
  await page.goto(`${app.base}#/projections/counts`);
  await page.locator('.cm-editor').waitFor();

  const throwing = counting.replace('$any: (s) => { s.n += 1; },', "$any: (s) => { s.n += 1; },\n    Withdrawn: (s) => { throw new Error('no withdrawals'); },");
  await typeSource(page, throwing);
  await page.getByRole('button', { name: 'Check' }).click();
  const firstWithdrawal = events.find((e) => e.type === 'Withdrawn');
  const fault = page.getByTestId('trial-fault');
  await fault.waitFor();
  assert.match(await fault.textContent(), new RegExp(`^Withdrawn threw at position ${firstWithdrawal.position} .*Error: no withdrawals \\(line 6 of the source\\)$`));
  await page.locator('.cm-fault-line[data-fault-line="6"]').waitFor();
  // Nothing was saved: the projection runs its saved source.
  assert.equal(await page.getByTestId('projection-status').textContent(), 'Running');
  assert.deepEqual(await state(), { n: adaEvents });

  const doubling = counting.replace('s.n += 1', 's.n += 2');
  await typeSource(page, doubling);
  await page.getByRole('button', { name: 'Check' }).click();
  const outcome = page.getByTestId('trial-outcome');
  await outcome.waitFor();
  assert.equal(await page.locator('.cm-fault-line').count(), 0, 'a check without a fault marks no line');
  assert.match(await partitionState(outcome, 'account-ada'), new RegExp(`n: ${2 * adaEvents}(?!\\d)`));
  assert.deepEqual(await state(), { n: adaEvents }, 'the saved projection is untouched');
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, events.length, 'a check writes nothing');

  // A new projection can be checked before it exists.
  await page.goto(`${app.base}#/new-projection`);
  await page.locator('.cm-editor').waitFor();
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByTestId('trial-outcome').getByText('Partitions (3)').waitFor();
  assert.deepEqual((await page.evaluate(() => window.sandbox.projections().then((ps) => ps.filter((p) => !p.system)))).map((p) => p.name), ['counts'], 'checking creates nothing');

  await reload(page);
  await page.goto(`${app.base}#/projections/counts`);
  await page.getByTestId('draft-note').waitFor();
  assert.equal(await editorText(page), doubling, 'the checked draft is still the draft');
  assert.deepEqual(await state(), { n: adaEvents });
  assert.deepEqual(errors, []);
  await context.close();
});

test('drafts are kept per sandbox, and leaving one unsaved asks first', limit, async () => {
  const { page, context, errors } = await withSample();
  const saved = "fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })";
  await page.evaluate((source) => window.sandbox.createProjection('counter', source), saved);
  await page.goto(`${app.base}#/projections/counter`);
  await page.locator('.cm-editor').waitFor();
  assert.equal(await page.getByTestId('draft-note').count(), 0);
  const edited = `${saved}\n// half-way through an idea`;
  await typeSource(page, edited);
  await page.getByTestId('draft-note').waitFor();

  // Leaving by a link asks; "no" stays, "yes" goes.
  const questions = [];
  page.once('dialog', (dialog) => { questions.push(dialog.message()); return dialog.dismiss(); });
  await page.getByRole('link', { name: 'Streams' }).click();
  await eventually(async () => assert.equal(questions.length, 1));
  assert.match(questions[0], /not saved.*draft/);
  assert.equal(new URL(page.url()).hash, '#/projections/counter');
  page.once('dialog', (dialog) => { questions.push(dialog.message()); return dialog.accept(); });
  await page.getByRole('link', { name: 'Streams' }).click();
  await page.getByRole('link', { name: 'account-ada' }).waitFor();
  await page.goto(`${app.base}#/projections/counter`);
  await page.getByTestId('draft-note').waitFor();
  assert.equal(await editorText(page), edited);

  // The skip link moves within the view: no question, and focus goes on.
  const asked = questions.length;
  page.on('dialog', (dialog) => { questions.push(dialog.message()); return dialog.dismiss(); });
  await page.getByRole('link', { name: 'Skip to content' }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'content');
  page.removeAllListeners('dialog');
  assert.equal(questions.length, asked, 'the skip link asks nothing');

  // A reload asks too (the browser's own prompt), and the draft survives it.
  const kinds = [];
  const onDialog = (dialog) => { kinds.push(dialog.type()); return dialog.accept(); };
  page.on('dialog', onDialog);
  await reload(page);
  page.off('dialog', onDialog);
  assert.deepEqual(kinds, ['beforeunload']);
  await page.getByTestId('draft-note').waitFor();
  assert.equal(await editorText(page), edited);

  // The query's and a new projection's drafts are kept too, per sandbox.
  await page.goto(`${app.base}#/query`);
  await page.locator('.cm-editor').waitFor();
  await page.getByRole('button', { name: 'Per stream and overall (biState)' }).click();
  await page.goto(`${app.base}#/new-projection`);
  await page.getByLabel('Name').fill('not-yet');
  await page.goto(`${app.base}#/query`);
  await page.getByTestId('draft-note').waitFor();
  assert.match(await editorText(page), /biState: true/);
  await page.goto(`${app.base}#/new-projection`);
  assert.equal(await page.getByLabel('Name').inputValue(), 'not-yet');
  const other = await context.newPage();
  await other.goto(`${app.base}?sandbox=elsewhere#/query`);
  await other.locator('.cm-editor').waitFor();
  assert.doesNotMatch(await editorText(other), /biState/, 'another sandbox has drafts of its own');
  assert.equal(await other.getByTestId('draft-note').count(), 0);
  await other.close();

  // Discarding asks, and puts the saved source back.
  await page.goto(`${app.base}#/projections/counter`);
  await page.getByTestId('draft-note').waitFor();
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Discard draft' }).click();
  await eventually(async () => assert.equal(await editorText(page), saved));
  assert.equal(await page.getByTestId('draft-note').count(), 0);

  // Saving ends the draft: the saved source is the text.
  const better = saved.replace('s.n += 1', 's.n += 10');
  await typeSource(page, better);
  await page.getByTestId('draft-note').waitFor();
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Save and reset' }).click();
  await eventually(async () => assert.equal(await page.getByTestId('draft-note').count(), 0));
  // Saved: leaving asks nothing.
  const afterSave = [];
  page.on('dialog', (dialog) => { afterSave.push(dialog.message()); return dialog.dismiss(); });
  await page.getByRole('link', { name: 'Streams' }).click();
  await page.getByRole('link', { name: 'account-ada' }).waitFor();
  page.removeAllListeners('dialog');
  assert.deepEqual(afterSave, [], 'a saved source leaves no draft to ask about');
  await page.goto(`${app.base}#/projections/counter`);
  await reload(page);
  await page.locator('.cm-editor').waitFor();
  assert.equal(await editorText(page), better);
  assert.equal(await page.getByTestId('draft-note').count(), 0);
  assert.equal(await page.evaluate(() => window.sandbox.projectionState('counter')).then((s) => s.n), (await page.evaluate(() => window.sandbox.readAll())).length * 10);
  assert.deepEqual(errors, []);
  await context.close();
});

test('log() lines outlive a reload, only the newest 500 are kept, and a reset clears them', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.append('ticks-1', Array.from({ length: 510 }, (_, n) => ({ type: 'Ticked', data: { n } }))));
  await page.evaluate(() => window.sandbox.createProjection('ticker', "fromStream('ticks-1').when({\n  $init: () => ({ n: 0 }),\n  Ticked: (s, e) => { s.n += 1; log('tick', e.data.n); },\n})"));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('ticker')), { n: 510 });
  await page.goto(`${app.base}#/projections/ticker`);
  const messages = () => page.locator('table.log tbody td code').allTextContents();
  const expected = Array.from({ length: 500 }, (_, i) => `tick ${i + 10}`);
  await eventually(async () => assert.deepEqual(await messages(), expected));

  await reload(page);
  await page.getByTestId('projection-status').waitFor();
  await eventually(async () => assert.deepEqual(await messages(), expected));

  // More events after the reload add to the kept lines, once each.
  await page.evaluate(() => window.sandbox.append('ticks-1', { type: 'Ticked', data: { n: 510 } }));
  await eventually(async () => assert.deepEqual(await messages(), [...expected.slice(1), 'tick 510']));
  await reload(page);
  await eventually(async () => assert.deepEqual(await messages(), [...expected.slice(1), 'tick 510']));

  // An update keeps the state and the lines logged so far; a reset clears them.
  await page.evaluate(() => window.sandbox.updateProjection('ticker', "fromStream('ticks-1').when({ $init: () => ({ n: 0 }), Ticked: (s) => { s.n += 1; } })"));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('ticker')), { n: 511 });
  await eventually(async () => assert.deepEqual(await messages(), [...expected.slice(1), 'tick 510']));
  await page.evaluate(() => window.sandbox.resetProjection('ticker'));
  assert.deepEqual(await page.evaluate(() => window.sandbox.projectionState('ticker')), { n: 511 });
  await page.getByText('Nothing logged').waitFor();
  await reload(page);
  await page.getByTestId('projection-status').waitFor();
  await page.getByText('Nothing logged').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
