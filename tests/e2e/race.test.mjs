// Two tabs of one browser append to the same stream with the same expected
// version: IndexedDB serialises the transactions, so exactly one wins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, reload, limit } from './harness.mjs';

let app;
before(async () => { app = await startApp(); }, limit);
after(async () => { await app?.stop(); }, limit);

test('two pages racing on one stream: exactly one append wins', limit, async () => {
  const left = await openPage(app);
  const right = await openPage(app, { context: left.context });
  await left.page.evaluate(() => window.sandbox.append('account-1', { type: 'Opened', data: {} }));

  // Both pages fire at one instant of the shared clock, a little ahead, and
  // report when their append started and settled. A round where one page
  // happened to start only after the other had settled is no race: it is
  // counted out, and another round is run in its place.
  const race = (page, who, expectedVersion, fireAt) => page.evaluate(
    async ([expectedVersion, who, fireAt]) => {
      const now = () => performance.timeOrigin + performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, fireAt - 20 - now())));
      while (now() < fireAt) { /* the last milliseconds: spin, for precision */ }
      const started = now();
      const outcome = await window.sandbox
        .append('account-1', { type: 'Deposited', data: { who } }, { expectedVersion })
        .then(() => 'won', (error) => error.name);
      return { outcome, started, settled: now() };
    },
    [expectedVersion, who, fireAt],
  );
  let rounds = 0;
  let raced = 0;
  while (raced < 5 && rounds < 20) {
    const fireAt = Date.now() + 500;
    const runs = await Promise.all([race(left.page, 'left', rounds, fireAt), race(right.page, 'right', rounds, fireAt)]);
    const outcomes = runs.map((r) => r.outcome);
    assert.deepEqual([...outcomes].sort(), ['WrongExpectedVersion', 'won'], `round ${rounds}: ${outcomes}`);
    const [a, b] = runs;
    if (a.started < b.settled && b.started < a.settled) raced += 1;
    rounds += 1;
  }
  assert.equal(raced, 5, `only ${raced} of ${rounds} rounds had both appends in flight at once`);

  await reload(right.page);
  const events = await right.page.evaluate(() => window.sandbox.readStream('account-1'));
  assert.deepEqual(events.map((e) => e.version), Array.from({ length: rounds + 1 }, (_, v) => v));
  assert.deepEqual([...left.errors, ...right.errors], []);
  await left.context.close();
});
