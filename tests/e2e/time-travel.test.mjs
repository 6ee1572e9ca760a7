// Time travel: the time bar on every page moves one cursor, and the stream
// list, stream pages, All events and the event view follow it; appends in
// the past still land at the end; the API's `at`/`to` agree with a
// computation by hand at every position.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { startApp, openPage, reload, eventually, limit } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots = path.resolve(here, '..', '..', 'docs', 'screenshots', 'after');

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

const cursor = (page) => page.evaluate(() => window.sandbox.cursor());
const rowTexts = (page, selector) =>
  page.locator(`${selector} tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
/** The versions of the stream page's rows, and which of them are greyed. */
const streamRows = (page) =>
  page.locator('table.events tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({ version: Number(r.cells[0].textContent), later: r.classList.contains('later') })));
const slider = (page) => page.getByRole('slider', { name: 'Position in $all' });
const timeBar = (page) => page.getByRole('region', { name: 'Time bar' });

/** axe on the page as it is: nothing serious or critical. */
async function axeClean(page, state) {
  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(blocking.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${state}`);
}

/** The stream's version and count as of `at`, by hand from `$all`. */
function byHand(all, stream, at) {
  const mine = all.filter((e) => e.stream === stream && e.position <= at);
  return mine.length === 0 ? null : { version: mine.at(-1).version, count: mine.length };
}

test('stepping and dragging the time bar rewinds a stream page and the stream list, then live again', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  const all = await page.evaluate(() => window.sandbox.readAll());
  const last = all.length - 1;
  await page.goto(`${app.base}#/streams/account-ada`);
  await page.locator('table.events tbody tr').first().waitFor();
  await eventually(async () => assert.equal(await slider(page).getAttribute('max'), String(last)));
  assert.equal(await page.getByTestId('time-bar-where').textContent(), 'Live');
  assert.ok((await streamRows(page)).every((r) => !r.later), 'nothing is greyed while live');

  // The slider, set as a keyboard or a drag would: the cursor follows.
  await slider(page).fill('9');
  assert.equal(await cursor(page), 9);
  const at9 = byHand(all, 'account-ada', 9);
  await eventually(async () => assert.equal(await page.getByTestId('as-of').textContent(),
    `As of position 9: version ${at9.version}, ${at9.count} of 7 events`));
  let rows = await streamRows(page);
  const adaPosition = (version) => all.find((e) => e.stream === 'account-ada' && e.version === version).position;
  assert.deepEqual(rows.map((r) => r.later), rows.map((r) => adaPosition(r.version) > 9), 'exactly the events after the cursor are greyed');
  assert.ok(rows.some((r) => r.later));
  await eventually(async () => assert.match(await page.getByTestId('time-bar-event').textContent(), new RegExp(`^9: ${all[9].type} ${all[9].version}@${all[9].stream}`)));

  // Step back one event with the button.
  await timeBar(page).getByRole('button', { name: 'Back' }).click();
  assert.equal(await cursor(page), 8);
  await eventually(async () => assert.match(await page.getByTestId('time-bar-where').textContent(), /^As of position 8 \(/));
  assert.match(await slider(page).getAttribute('aria-valuetext'), new RegExp(`^Position 8 of ${last}: ${all[8].type}`));
  const at8 = byHand(all, 'account-ada', 8);
  await eventually(async () => assert.match(await page.getByTestId('as-of').textContent(), new RegExp(`version ${at8.version}, ${at8.count} of 7`)));

  // Hide the later events: the stream exactly as it was.
  await page.getByLabel('Hide events after the cursor').check();
  await eventually(async () => {
    rows = await streamRows(page);
    assert.deepEqual(rows.map((r) => r.version), [...Array(at8.count).keys()].reverse());
  });
  assert.ok(rows.every((r) => !r.later));

  // A real drag with the mouse: many moves, one cursor, and every view ends
  // on the position where the drag stopped.
  const box = await slider(page).boundingBox();
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
  await page.mouse.down();
  for (let step = 0; step <= 30; step += 1) {
    await page.mouse.move(box.x + box.width * (0.9 - step * 0.02), box.y + box.height / 2);
  }
  await page.mouse.up();
  const dropped = await cursor(page);
  assert.ok(typeof dropped === 'number' && dropped >= 0 && dropped < last, `the drag left the cursor in the past, at ${dropped}`);
  assert.equal(await slider(page).inputValue(), String(dropped));
  const atDrop = byHand(all, 'account-ada', dropped);
  await eventually(async () => {
    const text = await page.getByTestId('as-of').textContent();
    assert.equal(text, atDrop
      ? `As of position ${dropped}: version ${atDrop.version}, ${atDrop.count} of 7 events`
      : `As of position ${dropped}: not created yet (7 events live)`);
    assert.match(await page.getByTestId('time-bar-event').textContent(), new RegExp(`^${dropped}: ${all[dropped].type}`));
  });

  // The stream list as of the cursor: versions and counts then, streams
  // not yet created left out.
  await page.getByRole('link', { name: 'Streams', exact: true }).first().click();
  await timeBar(page).getByRole('button', { name: 'Back' }).waitFor();
  await slider(page).fill('4');
  const listAt = async (at) => {
    const expected = ['account-ada', 'account-alan', 'account-grace']
      .map((s) => [s, byHand(all, s, at)]).filter(([, then]) => then)
      .map(([s, then]) => [s, String(then.version), String(then.count)]);
    await eventually(async () => {
      assert.match(await page.getByTestId('as-of').textContent(), new RegExp(`^As of position ${at}:`));
      const shown = (await rowTexts(page, 'table.streams')).map(([s, , version, count]) => [s, version, count]);
      assert.deepEqual(shown.sort(), expected.sort());
    });
  };
  await listAt(4);
  await page.keyboard.press('Home');
  await eventually(async () => assert.match(await page.getByTestId('as-of').textContent(), /Before the first event/));
  assert.equal(await page.locator('table.streams').count(), 0, 'no stream exists before the first event');
  await page.keyboard.press('ArrowRight');
  await listAt(0);

  // Back to live.
  await timeBar(page).getByRole('button', { name: 'Live', exact: true }).click();
  assert.equal(await cursor(page), 'live');
  await eventually(async () => assert.deepEqual((await rowTexts(page, 'table.streams')).map(([s, , v, c]) => [s, v, c]).sort(), [
    ['account-ada', '6', '7'], ['account-alan', '5', '6'], ['account-grace', '6', '7'],
  ]));
  assert.equal(await page.getByTestId('as-of').count(), 0);
  await page.goto(`${app.base}#/streams/account-ada`);
  await eventually(async () => {
    const live = await streamRows(page);
    assert.equal(live.length, 7);
    assert.ok(live.every((r) => !r.later));
  });

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 20, 'nothing was lost');
  assert.equal(await cursor(page), 'live', 'a reload opens live');
  assert.deepEqual(errors, []);
  await context.close();
});

test('"Travel here" on an event row, and in the event view, moves the cursor to that event', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/all`);
  await page.locator('table.events tbody tr').first().waitFor();
  // Newest first: the row of position 5 is the 15th of 20.
  const row = page.locator('table.events tbody tr').nth(14);
  assert.equal(await row.locator('td').nth(4).textContent(), '5');
  await row.getByRole('button', { name: /Travel here/ }).click();
  assert.equal(await cursor(page), 5);
  await eventually(async () => {
    assert.equal(await page.locator('table.events tbody tr[aria-current="true"] td.num').last().textContent(), '5');
    assert.match(await page.getByTestId('as-of').textContent(), /^As of position 5: 6 of 20 events/);
  });
  const greyed = await page.locator('table.events tbody tr.later').count();
  assert.equal(greyed, 14, 'the 14 events after position 5 are greyed');

  // The event view says when its event is after the cursor, and travels.
  const later = await page.evaluate(() => window.sandbox.readAll({ from: 12, limit: 1 }).then((e) => e[0]));
  await page.goto(`${app.base}#/streams/${later.stream}/${later.version}`);
  await page.getByTestId('after-cursor').waitFor();
  assert.match(await page.getByTestId('after-cursor').textContent(), /after the cursor \(position 5\)/);
  await page.getByRole('button', { name: 'View the world as of this event' }).click();
  assert.equal(await cursor(page), 12);
  await eventually(async () => assert.equal(await page.getByTestId('after-cursor').count(), 0));
  assert.match(await page.getByTestId('time-bar-where').textContent(), /^As of position 12/);

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 20);
  assert.deepEqual(errors, []);
  await context.close();
});

test('←, →, Home, End and Space move the cursor; typing in a field or the editor does not', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/`);
  await page.locator('table.streams').waitFor();
  await eventually(async () => assert.equal(await slider(page).getAttribute('max'), '19'));

  await page.keyboard.press('ArrowLeft');
  assert.equal(await cursor(page), 18);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await cursor(page), 17);
  await page.keyboard.press('ArrowRight');
  assert.equal(await cursor(page), 18);
  await page.keyboard.press('ArrowRight');
  assert.equal(await cursor(page), 'live', 'stepping onto the last event goes live');
  await page.keyboard.press('Home');
  assert.equal(await cursor(page), -1);
  await page.keyboard.press('ArrowRight');
  assert.equal(await cursor(page), 0);
  await page.keyboard.press('End');
  assert.equal(await cursor(page), 'live');

  // Space plays (from the end, it starts over) and pauses.
  await timeBar(page).getByLabel('Play speed', { exact: false }).selectOption('20');
  await page.locator('h1').click();
  await page.keyboard.press('Space');
  await eventually(async () => assert.equal(await timeBar(page).getByRole('button', { name: 'Pause' }).getAttribute('aria-pressed'), 'true'));
  await eventually(async () => assert.ok((await cursor(page)) >= 3));
  await page.keyboard.press('Space');
  const paused = await cursor(page);
  await page.waitForTimeout(300);
  assert.equal(await cursor(page), paused, 'paused');
  assert.equal(await timeBar(page).getByRole('button', { name: 'Play' }).getAttribute('aria-pressed'), 'false');
  // Play to the end: it goes live and stops.
  await timeBar(page).getByLabel('Play speed', { exact: false }).selectOption('100');
  await timeBar(page).getByRole('button', { name: 'Play' }).click();
  await eventually(async () => assert.equal(await cursor(page), 'live'));
  await timeBar(page).getByRole('button', { name: 'Play' }).waitFor();

  // Real pacing: the events' own gaps, the whole log in 30 s; it moves.
  await timeBar(page).getByLabel('Play speed', { exact: false }).selectOption('real');
  await page.locator('h1').click();
  await page.keyboard.press('Space');
  assert.equal(await cursor(page), -1, 'from live, play starts over');
  await eventually(async () => assert.ok((await cursor(page)) >= 1), 8000);
  await page.keyboard.press('Space');
  await page.keyboard.press('End');
  assert.equal(await cursor(page), 'live');

  // Typing in a field moves nothing.
  await page.getByLabel('Filter streams').click();
  for (const key of ['ArrowLeft', 'Home', 'End', 'Space', 'ArrowRight']) await page.keyboard.press(key);
  assert.equal(await cursor(page), 'live');
  await page.keyboard.type('ada');
  assert.match(await page.getByLabel('Filter streams').inputValue(), /ada/);
  await page.goto(`${app.base}#/append`);
  await page.getByLabel('Event type').click();
  await page.keyboard.type('Moved ');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Home');
  assert.equal(await cursor(page), 'live');
  assert.equal(await page.getByLabel('Event type').inputValue(), 'Moved ');
  // A cursor moved meanwhile (the console, the bar playing), or an append
  // by a script, leaves what is typed alone.
  await page.evaluate(() => window.sandbox.travelTo(4));
  await page.evaluate(() => window.sandbox.append('cart-1', { type: 'Added', data: {} }));
  await page.waitForTimeout(400);
  assert.equal(await page.getByLabel('Event type').inputValue(), 'Moved ');
  await page.evaluate(() => window.sandbox.travelTo('live'));
  // Nor in the code editor (CodeMirror).
  await page.goto(`${app.base}#/query`);
  await page.locator('.cm-content').click();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Space');
  await page.keyboard.press('Home');
  assert.equal(await cursor(page), 'live');

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 21);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an append while in the past lands at the end, and the bar offers to jump to live', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  await page.goto(`${app.base}#/streams/account-ada`);
  await page.locator('table.events tbody tr').first().waitFor();
  await page.evaluate(() => window.sandbox.travelTo(5));
  await page.getByTestId('as-of').waitFor();

  // From the console.
  const result = await page.evaluate(() => window.sandbox.append('account-ada', { type: 'Deposited', data: { amount: 1 } }));
  assert.deepEqual(result, { nextExpectedVersion: 7, position: 20 });
  const banner = page.getByTestId('appended-after');
  await eventually(async () => assert.equal(await banner.locator('span').textContent(),
    'Appended at position 20, after the cursor at 5: you are looking at the past.'));
  assert.equal(await cursor(page), 5, 'the cursor stays where it was');

  // From this tab's form: it still works, and still lands at the end.
  await page.getByLabel('Event type').fill('Deposited');
  await page.getByLabel('Data', { exact: true }).fill('{"amount": 2}');
  await page.getByLabel('Expected version').fill('7');
  await page.getByRole('button', { name: 'Append', exact: true }).click();
  await page.getByRole('status').getByText('Deposited as 8@account-ada').waitFor();
  await eventually(async () => assert.match(await banner.locator('span').textContent(), /^Appended at position 21, after the cursor at 5/));
  const tail = await page.evaluate(() => window.sandbox.readAll({ direction: 'backwards', limit: 2 }));
  assert.deepEqual(tail.map((e) => [e.position, e.stream, e.version]), [[21, 'account-ada', 8], [20, 'account-ada', 7]]);
  // The new events are after the cursor, so greyed.
  await eventually(async () => {
    const rows = await streamRows(page);
    assert.deepEqual(rows.slice(0, 2), [{ version: 8, later: true }, { version: 7, later: true }]);
  });

  await banner.getByRole('button', { name: 'Jump to live' }).click();
  assert.equal(await cursor(page), 'live');
  await eventually(async () => assert.equal(await banner.count(), 0));
  await eventually(async () => assert.ok((await streamRows(page)).every((r) => !r.later)));

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 22, 'both appends were kept');
  assert.deepEqual(errors, []);
  await context.close();
});

test('travelTo from the console moves the time bar; the screenshot of the bar mid-log', limit, async () => {
  const { page, context, errors } = await openPage(app);
  await page.evaluate(() => window.sandbox.loadSample());
  const all = await page.evaluate(() => window.sandbox.readAll());
  await page.goto(`${app.base}#/streams/account-grace`);
  await page.locator('table.events tbody tr').first().waitFor();

  await page.evaluate(() => window.sandbox.travelTo(7));
  await eventually(async () => {
    assert.equal(await slider(page).inputValue(), '7');
    assert.match(await page.getByTestId('time-bar-where').textContent(), new RegExp(`^As of position 7 \\(${all[7].created}\\)`));
    assert.match(await slider(page).getAttribute('aria-valuetext'), new RegExp(`^Position 7 of 19: ${all[7].type} ${all[7].version}@${all[7].stream}`));
  });
  await page.evaluate(() => window.sandbox.travelTo(11));
  await eventually(async () => assert.equal(await slider(page).inputValue(), '11'));
  await page.getByTestId('as-of').waitFor();
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, 'time-bar.png'), fullPage: true });
  await axeClean(page, 'a stream page in the past, its later events greyed');
  await page.getByLabel('Hide events after the cursor').check();
  await eventually(async () => assert.equal(await page.locator('table.events tbody tr').count(), 4));
  await axeClean(page, 'a stream page in the past, its later events hidden');
  await page.evaluate(() => window.sandbox.append('account-grace', { type: 'Deposited', data: { amount: 3 } }));
  await page.getByTestId('appended-after').waitFor();
  await axeClean(page, 'the banner of an append after the cursor');

  // Jump to a time: the last event at or before it.
  const time = timeBar(page).getByLabel('Time', { exact: true });
  await time.fill('yesterday-ish');
  await timeBar(page).getByRole('button', { name: 'Jump to time' }).click();
  await eventually(async () => assert.match(await timeBar(page).getByRole('alert').textContent(), /is not a time/));
  assert.equal(await time.getAttribute('aria-invalid'), 'true');
  await time.fill(all[5].created);
  await time.press('Enter');
  await eventually(async () => assert.equal(await cursor(page), 5));
  assert.equal(await timeBar(page).getByRole('alert').count(), 0);
  const between = new Date(Date.parse(all[5].created) + 1000).toISOString();
  await time.fill(between);
  await time.press('Enter');
  await eventually(async () => assert.equal(await cursor(page), await page.evaluate((t) => window.sandbox.positionAt(t), between)));

  await page.evaluate(() => window.sandbox.travelTo('live'));
  await eventually(async () => {
    assert.equal(await page.getByTestId('time-bar-where').textContent(), 'Live');
    assert.equal(await slider(page).inputValue(), '20');
  });
  assert.equal(await timeBar(page).getByRole('button', { name: 'Live', exact: true }).isDisabled(), true);

  // The Time travel page shows the event at the cursor in full.
  await page.goto(`${app.base}#/time-travel`);
  await page.evaluate(() => window.sandbox.travelTo(3));
  await eventually(async () => assert.equal(await page.getByTestId('event-at-cursor-data').textContent(),
    JSON.stringify(all[3].data, null, 2)));
  await page.getByRole('heading', { name: 'The event at the cursor, position 3' }).waitFor();
  await axeClean(page, 'the Time travel page');

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 21);
  assert.deepEqual(errors, []);
  await context.close();
});

test('streams({ at }), readAll({ to }), readStream(s, { to }) and positionAt agree with a computation by hand at every position', limit, async () => {
  const { page, context, errors } = await openPage(app);
  // A small log over three streams, appended a few milliseconds apart so
  // that times differ, and with one batch (two events, one time).
  const plan = [['cart-1', 1], ['cart-2', 1], ['cart-1', 2], ['order-9', 1], ['cart-2', 1], ['cart-1', 1], ['order-9', 1]];
  for (const [stream, n] of plan) {
    await page.evaluate(([stream, n]) => window.sandbox.append(stream,
      Array.from({ length: n }, (_, i) => ({ type: i % 2 ? 'Removed' : 'Added', data: { i } }))), [stream, n]);
    await page.waitForTimeout(5);
  }
  const all = await page.evaluate(() => window.sandbox.readAll());
  assert.equal(all.length, 8);
  const streams = ['cart-1', 'cart-2', 'order-9'];

  for (let at = -1; at < all.length; at += 1) {
    const seen = all.filter((e) => e.position <= at);
    const expected = streams
      .map((stream) => [stream, seen.filter((e) => e.stream === stream)])
      .filter(([, events]) => events.length > 0)
      .sort(([, a], [, b]) => a[0].position - b[0].position)
      .map(([stream, events]) => ({
        stream, category: stream.split('-')[0], version: events.at(-1).version, count: events.length,
        created: events[0].created, updated: events.at(-1).created,
      }));
    const got = await page.evaluate((at) => window.sandbox.streams({ at }), at);
    assert.deepEqual(got, expected, `streams({ at: ${at} })`);

    assert.deepEqual(await page.evaluate((at) => window.sandbox.readAll({ to: at }), at), seen, `readAll({ to: ${at} })`);
    assert.deepEqual(
      await page.evaluate((at) => window.sandbox.readAll({ to: at, direction: 'backwards', limit: 3 }), at),
      seen.slice(-3).reverse(), `readAll({ to: ${at}, backwards })`);
    for (const stream of streams) {
      const mine = seen.filter((e) => e.stream === stream);
      const read = await page.evaluate(([stream, at]) => window.sandbox.readStream(stream, { to: at })
        .catch((error) => error.name), [stream, at]);
      assert.deepEqual(read, mine.length ? mine : 'StreamNotFound', `readStream(${stream}, { to: ${at} })`);
    }
    if (at >= 0) {
      const time = all[at].created;
      const byHandPosition = Math.max(...all.filter((e) => e.created <= time).map((e) => e.position));
      assert.equal(await page.evaluate((time) => window.sandbox.positionAt(time), time), byHandPosition, `positionAt(${time})`);
    }
  }
  assert.equal(await page.evaluate(() => window.sandbox.positionAt('2000-01-01T00:00:00Z')), -1);
  assert.equal(await page.evaluate(() => window.sandbox.positionAt('2999-01-01T00:00:00Z')), all.length - 1);

  // The UI agrees too: the stream list as of each position.
  await page.goto(`${app.base}#/`);
  await page.locator('table.streams').waitFor();
  for (let at = 0; at < all.length; at += 1) {
    await page.evaluate((at) => window.sandbox.travelTo(at), at);
    const expected = await page.evaluate((at) => window.sandbox.streams({ at }), at);
    await eventually(async () => {
      assert.match(await page.getByTestId('as-of').textContent(), new RegExp(`^As of position ${at}:`));
      const shown = (await rowTexts(page, 'table.streams')).map(([s, , v, c]) => [s, Number(v), Number(c)]).sort();
      assert.deepEqual(shown, expected.map((s) => [s.stream, s.version, s.count]).sort(), `the list at ${at}`);
    });
  }

  await reload(page);
  assert.equal((await page.evaluate(() => window.sandbox.readAll())).length, 8);
  assert.deepEqual(errors, []);
  await context.close();
});
