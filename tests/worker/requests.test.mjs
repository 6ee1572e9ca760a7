// The reducer worker's requests: checkpoints, and requests in the wrong
// order or shape; every message is also checked against protocol.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, define, catchUp, rows, streamRows, matches, RULES, PROTOCOL_VERSION, DATABASE, SOFT_DELETED, ACCOUNTS as accounts,
} from './harness.mjs';

// ---------------------------------------------------------------------------
// Checkpoints, and requests in the wrong order or shape.
// ---------------------------------------------------------------------------

const ledger = `options({ biState: true });
fromCategory('account').foreachStream().when({
  $init: () => ({ balance: 0, moves: [] }),
  $initShared: () => ({ total: 0 }),
  $any: ([s, shared], e) => {
    const amount = e.data.amount || 0;
    s.balance += e.eventType === 'Withdrawn' ? -amount : amount;
    s.moves.push(e.sequenceNumber);
    shared.total += amount;
    return [s, shared];
  },
});`;

async function everything(worker) {
  const { keys } = await worker.send({ op: 'partitions' });
  const states = {};
  for (const key of [null, ...keys]) states[key] = (await worker.send({ op: 'state', partition: key })).state;
  return { keys, states, checkpoint: (await worker.send({ op: 'checkpoint' })).checkpoint };
}

test('checkpoint then restore in a fresh worker continues the fold as one run would', async () => {
  const events = accounts.slice(0, 8);
  const once = startWorker({ events });
  await once.send(define(ledger));
  const all = await once.send(catchUp(7));
  assert.equal(all.eventsProcessed, 6);
  const whole = await everything(once);
  assert.deepEqual(whole.states, {
    null: { total: 255 },
    'account-ada': { balance: 70, moves: [0, 1, 2] },
    'account-alan': { balance: -25, moves: [0, 1, 2] },
  });

  const first = startWorker({ events });
  await first.send(define(ledger));
  const half = await first.send(catchUp(3));
  matches(half, { id: 2, op: 'caughtUp', position: 3, eventsProcessed: 4, partitions: 2, emitted: [], logs: [] });
  const { checkpoint } = await first.send({ op: 'checkpoint' });
  matches(checkpoint, {
    position: 3, eventsProcessed: 4, shared: { total: 130 },
    partitions: [['account-ada', { balance: 70, moves: [0, 1, 2] }], ['account-alan', { balance: 0, moves: [0] }]],
  });

  const second = startWorker({ events });
  await second.send(define(ledger));
  matches(await second.send({ op: 'restore', checkpoint: JSON.parse(JSON.stringify(checkpoint)) }), { id: 2, op: 'restored', position: 3 });
  const rest = await second.send(catchUp(7));
  matches(rest, { id: 3, op: 'caughtUp', position: 7, eventsProcessed: 6, partitions: 2, emitted: [], logs: [] });
  assert.deepEqual(await everything(second), whole);
  assert.deepEqual(second.indexedDB.reads.map((r) => r.lower), [4, 7], 'reads start after the checkpoint');
});

test('a catchUp to where the worker already is reads nothing new', async () => {
  const worker = startWorker({ events: accounts });
  await worker.send(define(`fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })`));
  await worker.send(catchUp(10));
  const reads = worker.indexedDB.reads.length;
  matches(await worker.send(catchUp(10)), { id: 3, op: 'caughtUp', position: 10, eventsProcessed: 10, partitions: 1, emitted: [], logs: [] });
  assert.equal(worker.indexedDB.reads.length, reads);
  assert.deepEqual((await worker.send({ op: 'state', partition: null })).state, { n: 10 });
});

test('emitted events and log lines are handed over once', async () => {
  const worker = startWorker({ events: [['a-1', 'T'], ['a-1', 'T']] });
  await worker.send(define(`fromAll().when({ $any: (s, e) => { emit('out', 'Saw', { at: e.position }); log('saw', e.position); } })`));
  const first = await worker.send(catchUp(0));
  assert.deepEqual(first.emitted.map((e) => [e.data.at, e.sourcePosition]), [[0, 0]]);
  assert.deepEqual(first.logs.map((l) => l.message), ['saw 0']);
  const second = await worker.send(catchUp(1));
  assert.deepEqual(second.emitted.map((e) => [e.data.at, e.sourcePosition]), [[1, 1]]);
  assert.deepEqual(second.logs.map((l) => l.message), ['saw 1']);
});

test('a protocol version the worker does not speak is a protocol fault that says to reload', async () => {
  const worker = startWorker({ events: accounts });
  const reply = await worker.send(define(`fromAll().when({ $any: (s) => s })`, { protocol: 1 }));
  matches(reply, { id: 1, op: 'fault', fault: { kind: 'protocol', message: /speaks protocol version 4 but the page speaks version 1; reload/ } });
  assert.match(reply.fault.message, /stale cached worker/);
  matches(await worker.send(catchUp(10)), { id: 2, op: 'fault', fault: { kind: 'protocol', message: /define must come first/ } });
  // A version-1 page sent `timeout` and no protocol at all.
  matches(await worker.send({ op: 'define', source: 'fromAll().when({})', timeout: 250 }), {
    id: 3, op: 'fault', fault: { kind: 'protocol', message: /speaks protocol version 4 but the page speaks version 1 \(it states none\); reload/ },
  });
  matches(await worker.send(define('fromAll().when({})', { protocol: 2 })), {
    id: 4, op: 'fault', fault: { kind: 'protocol', message: /but the page speaks version 2;/ },
  });
  // Version 3 had no travel, change or trace.
  matches(await worker.send(define('fromAll().when({})', { protocol: 3 })), {
    id: 5, op: 'fault', fault: { kind: 'protocol', message: /but the page speaks version 3;/ },
  });
  assert.equal(PROTOCOL_VERSION, 4);
});

test('define without store rules is a protocol fault', async () => {
  const worker = startWorker();
  for (const [request, field] of [
    [{ op: 'define', protocol: 4, name: 'p', emitEnabled: false, source: 'fromAll().when({})', timeoutMs: 250 }, /no store rules/],
    [define('fromAll().when({})', { rules: { readBatch: 0 } }), /rules\.readBatch 0/],
    [define('fromAll().when({})', { rules: { categorySeparator: '' } }), /rules\.categorySeparator ""/],
    [define('fromAll().when({})', { rules: { streamsStore: undefined } }), /rules\.streamsStore undefined/],
    [define('fromAll().when({})', { rules: { streamVersionIndex: 7 } }), /rules\.streamVersionIndex 7/],
    [define('fromAll().when({})', { rules: { resultEventType: '' } }), /rules\.resultEventType ""/],
    [{ ...define('fromAll().when({})'), name: undefined }, /name undefined/],
    [{ ...define('fromAll().when({})'), emitEnabled: 'yes' }, /emitEnabled "yes"/],
    [define('fromAll().when({})', { timeoutMs: 0 }), /timeoutMs 0/],
    [{ ...define('fromAll().when({})'), timeoutMs: null }, /timeoutMs null/],
  ]) {
    const reply = await worker.send(request);
    matches(reply, { id: reply.id, op: 'fault', fault: { kind: 'protocol', message: field } });
  }
});

test('an unknown op is a protocol fault that names it', async () => {
  const worker = startWorker();
  matches(await worker.send({ op: 'xyz' }), { id: 1, op: 'fault', fault: { kind: 'protocol', message: "the worker does not understand request 'xyz'" } });
  matches(await worker.send({ op: 'toString' }), { id: 2, op: 'fault', fault: { kind: 'protocol', message: "the worker does not understand request 'toString'" } });
  matches(await worker.send({ op: 'stateOf' }), { id: 3, op: 'fault', fault: { kind: 'protocol', message: "the worker does not understand request 'stateOf'" } });
  const [reply] = await worker.raw(null);
  matches(reply, { id: undefined, op: 'fault', fault: { kind: 'protocol', message: /not a request/ } });
});

test('every request but define needs a definition first', async () => {
  const worker = startWorker({ events: accounts });
  for (const request of [
    catchUp(10), { op: 'state', partition: null }, { op: 'checkpoint' }, { op: 'partitions' },
    { op: 'restore', checkpoint: { position: 1, eventsProcessed: 1, shared: null, partitions: [] } },
  ]) {
    const reply = await worker.send(request);
    matches(reply, { id: reply.id, op: 'fault', fault: { kind: 'protocol', message: new RegExp(`'${request.op}'.*define must come first`) } });
  }
  // A define that fails leaves the worker undefined too.
  await worker.send(define('fromAll().when({ $any: (s) => s })'));
  matches(await worker.send(define('fromAll(')), { id: 7, op: 'fault', fault: { kind: 'definition', message: /^the source does not parse/, line: null } });
  matches(await worker.send({ op: 'partitions' }), { id: 8, op: 'fault', fault: { kind: 'protocol', message: /define must come first/ } });
});

test('restore without a checkpoint is a protocol fault', async () => {
  const worker = startWorker();
  await worker.send(define('fromAll().when({ $any: (s) => s })'));
  matches(await worker.send({ op: 'restore' }), { id: 2, op: 'fault', fault: { kind: 'protocol', message: /restore sent no checkpoint/ } });
});

test('a result transform that throws faults the event that changed the state (phase ProcessEventByHandler)', async () => {
  const source = `fromAll().when({ $init: () => ({}), $any: (s) => s })\n  .transformBy((s) => s.missing.deeper)`;
  const worker = startWorker({ events: [['a-1', 'T']] });
  await worker.send(define(source));
  matches(await worker.send(catchUp(0)), {
    id: 2, op: 'fault',
    fault: { kind: 'threw', handler: 'transformBy', at: { position: 0, stream: 'a-1', version: 0, type: 'T' }, error: /^TypeError/, line: 2 },
  });
  // A result the page asks for outside any event (a restored state) is a definition fault.
  const restored = startWorker({ events: [['a-1', 'T']] });
  await restored.send(define(source));
  await restored.send({ op: 'restore', checkpoint: { position: 0, eventsProcessed: 1, shared: null, partitions: [['', {}]] } });
  matches(await restored.send({ op: 'state', partition: null }), {
    id: 3, op: 'fault',
    fault: { kind: 'definition', message: /^the result transform \(transformBy or filterBy\) threw: TypeError/, line: 2 },
  });
});

test('the worker has no store rule of its own', async () => {
  // The same events, categorised by $by_category under two separators, fall in different categories.
  const events = [['a_b-c', 'T'], ['a-b_c', 'T'], ['a', 'T']];
  const seen = {};
  for (const separator of ['-', '_']) {
    const worker = startWorker({ events });
    await worker.send(define(`fromCategory('a').when({ $init: () => [], $any: (s, e) => { s.push(e.streamId); } })`, { rules: { categorySeparator: separator } }));
    await worker.send(catchUp(2));
    seen[separator] = (await worker.send({ op: 'state', partition: null })).state;
  }
  assert.deepEqual(seen, { '-': ['a-b_c'], _: ['a_b-c'] });
});

test('rows() builds EventRows as the store writes them, and streamRows() their streams', () => {
  const [row, bare] = rows([['s-1', 'T', { a: 1 }, { $correlationId: 'c' }], ['s', 'U', {}, null]]);
  assert.deepEqual(row, {
    position: 0, stream: 's-1', version: 0, id: 'id-0', type: 'T', data: '{"a":1}',
    metadata: '{"$correlationId":"c"}', created: '2024-01-01T00:00:00.000Z', correlationId: 'c',
  });
  assert.ok(!('metadata' in bare), 'metadata null: a row with none');
  const deleted = rows([['s-1', 'T'], ['$$s-1', '$metadata', { $tb: SOFT_DELETED }]]);
  assert.deepEqual(streamRows(deleted).find((r) => r.stream === 's-1'), { stream: 's-1', firstPosition: 0, version: 0, category: 's', truncateBefore: SOFT_DELETED });
  assert.equal(RULES.readBatch, 3);
  assert.equal(DATABASE, 'es-sandbox/test');
});
