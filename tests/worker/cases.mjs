// Runs table-driven cases against the worker (see harness.mjs), so every
// test file states its cases and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, define, catchUp, matches } from './harness.mjs';

/**
 * Each case: `source` and `events`, optional `rules`, `timeoutMs`, `name`,
 * `emitEnabled`, `careful`, `ownedStreams`, `to`, `store`, `database`,
 * `failReads`, `truncated` (stream → truncateBefore); `expect` holds what
 * the worker must answer: defined, defineFault, caughtUp (fields of the
 * reply), emitted (a shorthand for caughtUp.emitted), fault (of the
 * catchUp), checkpoint (a predicate), states ({partition, or '' for none:
 * {state, result}}), keys, reads (of the events store) and transactions
 * (predicates), heartbeats (a predicate of the heartbeats sent).
 */
export function runCases(cases) {
  for (const c of cases) test(c.name, () => runCase(c));
}

export async function runCase(c) {
  const worker = startWorker({ events: c.events, store: c.store, truncated: c.truncated });
  const lastPosition = (c.events?.length ?? 0) - 1;
  const defined = await worker.send(define(c.source, { rules: c.rules, timeoutMs: c.timeoutMs, name: c.projection, emitEnabled: c.emitEnabled }));
  if (c.expect.defineFault) {
    matches(defined, { id: 1, op: 'fault', fault: c.expect.defineFault }, 'define reply');
    return;
  }
  assert.equal(defined.op, 'defined', JSON.stringify(defined));
  for (const [field, value] of Object.entries(c.expect.defined ?? {})) matches(defined[field], value, `defined.${field}`);

  worker.indexedDB.failReads = Boolean(c.failReads);
  const caught = await worker.send(catchUp(c.to ?? lastPosition, {
    careful: c.careful, ownedStreams: c.ownedStreams, database: c.database,
  }));
  assert.equal(worker.indexedDB.opened, worker.indexedDB.closed, 'every connection is closed');
  if (c.expect.fault) {
    matches(caught, { id: 2, op: 'fault', fault: c.expect.fault }, 'catchUp reply');
  } else {
    assert.equal(caught.op, 'caughtUp', JSON.stringify(caught));
    const expected = { ...c.expect.caughtUp, ...(c.expect.emitted ? { emitted: c.expect.emitted } : {}) };
    for (const [field, value] of Object.entries(expected)) matches(caught[field], value, `caughtUp.${field}`);
  }
  if (c.expect.checkpoint) {
    const { checkpoint } = await worker.send({ op: 'checkpoint' });
    assert.ok(c.expect.checkpoint(checkpoint), JSON.stringify(checkpoint));
  }
  for (const [partition, expected] of Object.entries(c.expect.states ?? {})) {
    const reply = await worker.send({ op: 'state', partition: partition === '' ? null : partition });
    for (const [field, value] of Object.entries(expected)) matches(reply[field], value, `state(${partition}).${field}`);
  }
  if (c.expect.keys) {
    const { keys } = await worker.send({ op: 'partitions' });
    assert.deepEqual(keys, c.expect.keys);
  }
  if (c.expect.reads) assert.ok(c.expect.reads(worker.indexedDB.reads), JSON.stringify(worker.indexedDB.reads));
  if (c.expect.transactions) assert.ok(c.expect.transactions(worker.indexedDB.transactions), JSON.stringify(worker.indexedDB.transactions));
  if (c.expect.heartbeats) {
    const beats = worker.heartbeats();
    assert.ok(c.expect.heartbeats(beats), JSON.stringify(beats));
  }
}
