import { startApp, openPage } from './harness.mjs';
const app = await startApp();
const { page, errors } = await openPage(app);
await page.evaluate(() => window.sandbox.loadSample());
const out = await page.evaluate(async () => {
  const r = {};
  await window.sandbox.createProjection('balances', `
    fromCategory('account').foreachStream().when({
      $init: () => ({ balance: 0, n: 0 }),
      Deposited: (s, e) => { s.balance += e.data.amount; s.n++; },
      Withdrawn: (s, e) => { s.balance -= e.body.amount; s.n++; },
    })`);
  r.ada = await window.sandbox.projectionState('balances', { partition: 'account-ada' });
  r.list = await window.sandbox.projections();
  r.parts = await window.sandbox.projectionPartitions('balances');
  await window.sandbox.append('account-ada', { type: 'Deposited', data: { amount: 1000 } });
  r.ada2 = await window.sandbox.projectionState('balances', { partition: 'account-ada' });
  r.q = await window.sandbox.query(`fromAll().when({ $init: () => 0, $any: (s, e) => s + 1 })`);
  await window.sandbox.createProjection('bad', `fromAll().when({ Deposited: (s, e) => { throw new Error('nope ' + e.data.amount) } })`);
  r.bad = await window.sandbox.projectionState('bad').catch((e) => [e.name, e.message]);
  await window.sandbox.createProjection('loop', `fromAll().when({\n  Withdrawn: (s, e) => { while (true) {} }\n})`);
  const t = performance.now();
  r.loop = await window.sandbox.projectionState('loop').catch((e) => [e.name, e.message]);
  r.loopMs = performance.now() - t;
  r.syntax = await window.sandbox.query(`fromAll().when({\n  A: (s, e) => { s.x = ; }\n})`).catch((e) => [e.name, e.message]);
  r.list2 = await window.sandbox.projections();
  return r;
});
console.log(JSON.stringify(out, null, 1));
console.log(errors);
await app.stop();
