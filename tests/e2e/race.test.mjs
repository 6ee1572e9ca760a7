// Two tabs of one browser append to the same stream with the same expected
// version: IndexedDB serialises the transactions, so exactly one wins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, reload } from './harness.mjs';

let app;
before(async () => { app = await startApp(); });
after(async () => { await app?.stop(); });

test('two pages racing on one stream: exactly one append wins', async () => {
  const left = await openPage(app);
  const right = await openPage(app, { context: left.context });
  await left.page.evaluate(() => window.sandbox.append('account-1', { type: 'Opened', data: {} }));

  for (let round = 0; round < 5; round += 1) {
    const expectedVersion = round;
    const tryAppend = (page, who) => page.evaluate(
      ([expectedVersion, who]) => window.sandbox
        .append('account-1', { type: 'Deposited', data: { who } }, { expectedVersion })
        .then(() => 'won', (error) => error.name),
      [expectedVersion, who],
    );
    const outcomes = await Promise.all([tryAppend(left.page, 'left'), tryAppend(right.page, 'right')]);
    assert.deepEqual([...outcomes].sort(), ['WrongExpectedVersion', 'won'], `round ${round}: ${outcomes}`);
  }

  await reload(right.page);
  const events = await right.page.evaluate(() => window.sandbox.readStream('account-1'));
  assert.deepEqual(events.map((e) => e.version), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...left.errors, ...right.errors], []);
  await left.context.close();
});
