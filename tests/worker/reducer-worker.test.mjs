// The reducer worker in node's vm: `node --test tests/worker/`.
// Each case defines a projection, folds its events, and checks the values
// the worker computed; every message is also checked against protocol.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startWorker, define, catchUp, rows, matches, RULES, PROTOCOL_VERSION, DATABASE,
} from './harness.mjs';

const accounts = [
  ['account-ada', 'Opened', { owner: 'Ada' }],
  ['account-ada', 'Deposited', { amount: 100 }],
  ['account-alan', 'Opened', { owner: 'Alan' }],
  ['account-ada', 'Withdrawn', { amount: 30 }],
  ['account-alan', 'Deposited', { amount: 50 }],
  ['$stats-1', 'StatsCollected', { cpu: 1 }],
  ['customer-ada', 'Registered', { region: 'eu' }],
  ['account-alan', 'Withdrawn', { amount: 75 }],
  ['customer-alan', 'Registered', { region: 'uk' }],
  ['customer-grace', 'Registered', { region: 'eu' }],
  ['customer-x', 'Registered', {}],
];

const balances = `
fromCategory('account')
  .foreachStream()
  .when({
    $init: () => ({ balance: 0 }),
    Deposited: (s, e) => { s.balance += e.data.amount; },
    Withdrawn: (s, e) => {
      s.balance -= e.data.amount;
      if (s.balance < 0) throw new Error('overdrawn by ' + -s.balance);
    },
  });`;

const positive = (n) => Number.isInteger(n) && n > 0;

/**
 * Cases: `source` and `events` (or `rows`), optional `rules`, `timeoutMs`,
 * `careful`, `ownedStreams`; `expect` holds what the worker must answer:
 * defined, defineFault, caughtUp (fields of the reply), fault (of the
 * catchUp), states ({partition or '' for none: {state, result}}), keys,
 * heartbeats (a function of the heartbeats sent).
 */
const cases = [
  {
    name: 'fromAll counts events by type and skips system streams',
    source: `fromAll().when({
      $init: () => ({}),
      $any: (s, e) => { s[e.eventType] = (s[e.eventType] || 0) + 1; },
    })`,
    events: accounts,
    expect: {
      defined: { protocol: 2, biState: false, partitioned: false },
      caughtUp: { position: 10, eventsProcessed: 10, partitions: 1, emitted: [], logs: [] },
      states: { '': { state: { Opened: 2, Deposited: 2, Withdrawn: 2, Registered: 4 }, result: { Opened: 2, Deposited: 2, Withdrawn: 2, Registered: 4 } } },
      keys: [''],
    },
  },
  {
    name: 'the system prefix comes from the rules',
    source: `fromAll().when({ $init: () => ({ streams: [] }), $any: (s, e) => { s.streams.push(e.streamId); } })`,
    events: [['$stats', 'A'], ['%internal', 'A'], ['plain', 'A']],
    rules: { systemPrefix: '%' },
    expect: {
      caughtUp: { position: 2, eventsProcessed: 2 },
      states: { '': { state: { streams: ['$stats', 'plain'] } } },
    },
  },
  {
    name: 'fromCategory + foreachStream keeps a state per stream, in creation order',
    source: balances,
    events: accounts.slice(0, 7),
    expect: {
      defined: { protocol: 2, biState: false, partitioned: true },
      caughtUp: { position: 6, eventsProcessed: 5, partitions: 2 },
      states: {
        'account-ada': { state: { balance: 70 }, result: { balance: 70 } },
        'account-alan': { state: { balance: 50 }, result: { balance: 50 } },
        'customer-ada': { state: null, result: null },
        '': { state: null, result: null },
      },
      keys: ['account-ada', 'account-alan'],
    },
  },
  {
    name: 'the category rule comes from the rules: split on the first "_"',
    source: `fromCategory('shop').foreachStream().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })`,
    events: [['shop_1', 'Sold'], ['shop-3', 'Sold'], ['shop_2', 'Sold'], ['shop_1', 'Sold'], ['shop_x_y', 'Sold'], ['shop', 'Sold'], ['shops_1', 'Sold']],
    rules: { categorySeparator: '_' },
    expect: {
      caughtUp: { position: 6, eventsProcessed: 5, partitions: 4 },
      keys: ['shop_1', 'shop_2', 'shop_x_y', 'shop'],
      states: { shop_1: { state: { n: 2 } }, 'shop-3': { state: null } },
    },
  },
  {
    name: 'fromCategories: a name without the separator is its own category',
    source: `fromCategories('customer', 'audit').when({ $init: () => ({ seen: [] }), $any: (s, e) => { s.seen.push(e.streamId); } })`,
    events: [['audit', 'Noted'], ['customer-1', 'Registered'], ['customers-2', 'Registered'], ['audit-2', 'Noted'], ['account-1', 'Opened']],
    expect: {
      caughtUp: { eventsProcessed: 3 },
      states: { '': { state: { seen: ['audit', 'customer-1', 'audit-2'] } } },
    },
  },
  {
    name: 'fromStream selects one stream',
    source: `fromStream('account-alan').when({ $init: () => ({ types: [] }), $any: (s, e) => { s.types.push(e.eventType + '@' + e.sequenceNumber); } })`,
    events: accounts,
    expect: {
      caughtUp: { position: 10, eventsProcessed: 3, partitions: 1 },
      states: { '': { state: { types: ['Opened@0', 'Deposited@1', 'Withdrawn@2'] } } },
    },
  },
  {
    name: 'fromStreams selects several streams, in global order',
    source: `fromStreams(['customer-ada', 'customer-grace'], 'account-ada').when({
      $init: () => [], $any: (s, e) => { s.push(e.streamId + ':' + e.position); },
    })`,
    events: accounts,
    expect: {
      caughtUp: { eventsProcessed: 5 },
      states: { '': { state: ['account-ada:0', 'account-ada:1', 'account-ada:3', 'customer-ada:6', 'customer-grace:9'] } },
    },
  },
  {
    name: 'partitionBy keys partitions by the function; no key skips the event',
    source: `fromCategory('customer').partitionBy((e) => e.data.region).when({
      $init: () => ({ customers: [] }),
      Registered: (s, e) => { s.customers.push(e.streamId.split('-')[1] + '/' + e.partition); },
    })`,
    events: accounts,
    expect: {
      defined: { protocol: 2, biState: false, partitioned: true },
      caughtUp: { eventsProcessed: 4, partitions: 2 },
      keys: ['eu', 'uk'],
      states: {
        eu: { state: { customers: ['ada/eu', 'grace/eu'] } },
        uk: { state: { customers: ['alan/uk'] } },
      },
    },
  },
  {
    name: '$init and $any: a returned state replaces, undefined keeps the mutated one',
    source: `fromAll().when({
      $init: () => ({ n: 0, last: null }),
      $any: (s, e) => (e.eventType === 'Opened' ? { n: s.n + 1, last: e.data.owner } : undefined),
      Deposited: (s, e) => { s.n += 10; },
    })`,
    events: accounts.slice(0, 5),
    expect: { states: { '': { state: { n: 22, last: 'Alan' } } } },
  },
  {
    name: 'an event type starting with $ goes to $any, not to its own handler',
    source: `fromAll().when({
      $init: () => ({ any: 0, own: 0 }), $any: (s) => { s.any += 1; }, '$>': (s) => { s.own += 1; },
    })`,
    events: [['links', '$>', '0@x'], ['x', 'T']],
    expect: { states: { '': { state: { any: 2, own: 0 } } } },
  },
  {
    name: 'biState with $initShared: partition state and shared state',
    source: `options({ biState: true });
      fromCategory('account').foreachStream().when({
        $init: () => ({ balance: 0 }),
        $initShared: () => ({ total: 0, moves: 0 }),
        Deposited: ([s, shared], e) => { s.balance += e.data.amount; shared.total += e.data.amount; shared.moves += 1; return [s, shared]; },
        Withdrawn: ([s, shared], e) => [{ balance: s.balance - e.data.amount }, { total: shared.total - e.data.amount, moves: shared.moves + 1 }],
      });`,
    events: accounts.slice(0, 5),
    expect: {
      defined: { protocol: 2, biState: true, partitioned: true },
      caughtUp: { eventsProcessed: 5, partitions: 2 },
      states: {
        '': { state: { total: 120, moves: 3 }, result: { total: 120, moves: 3 } },
        'account-ada': { state: { balance: 70 } },
        'account-alan': { state: { balance: 50 } },
      },
    },
  },
  {
    name: '$created runs once when a partition is created',
    source: `fromCategory('account').foreachStream().when({
      $init: () => ({ created: [], n: 0 }),
      $created: (s, e) => { s.created.push(e.eventType + '@' + e.sequenceNumber); },
      $any: (s) => { s.n += 1; },
    })`,
    events: accounts,
    expect: {
      states: {
        'account-ada': { state: { created: ['Opened@0'], n: 3 } },
        'account-alan': { state: { created: ['Opened@0'], n: 3 } },
      },
    },
  },
  {
    name: 'transformBy and filterBy make the result; the state stays',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })
      .transformBy((s) => ({ count: s.n, doubled: s.n * 2 }))
      .filterBy((r) => r.count > 3)`,
    events: accounts.slice(0, 4),
    expect: { states: { '': { state: { n: 4 }, result: { count: 4, doubled: 8 } } } },
  },
  {
    name: 'filterBy that refuses gives a null result',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } }).filterBy((s) => s.n > 100).transformBy(() => 'never')`,
    events: accounts.slice(0, 4),
    expect: { states: { '': { state: { n: 4 }, result: null } } },
  },
  {
    name: 'outputState defines, and the result is the state',
    source: `fromStream('account-ada').when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } }).outputState()`,
    events: accounts,
    expect: { caughtUp: { eventsProcessed: 3 }, states: { '': { state: { n: 3 }, result: { n: 3 } } } },
  },
  {
    name: 'emit and linkTo: emitted events in order, with their source position and metadata',
    source: `fromCategory('order').when({
      Placed: (s, e) => {
        emit('audit', 'Seen', { order: e.streamId, n: e.data.n }, { by: 'test' });
        linkTo('placed', e);
      },
    })`,
    events: [
      ['order-1', 'Placed', { n: 1 }, { $correlationId: 'c-1' }],
      ['other', 'Placed', { n: 9 }],
      ['order-2', 'Placed', { n: 2 }],
    ],
    expect: {
      caughtUp: {
        position: 2, eventsProcessed: 2, logs: [],
        emitted: [
          { stream: 'audit', type: 'Seen', data: { order: 'order-1', n: 1 }, metadata: { by: 'test', $causationId: 'id-0', $correlationId: 'c-1' }, sourcePosition: 0 },
          { stream: 'placed', type: '$>', data: '0@order-1', metadata: { $causationId: 'id-0', $correlationId: 'c-1' }, sourcePosition: 0 },
          { stream: 'audit', type: 'Seen', data: { order: 'order-2', n: 2 }, metadata: { by: 'test', $causationId: 'id-2', $correlationId: 'id-2' }, sourcePosition: 2 },
          { stream: 'placed', type: '$>', data: '0@order-2', metadata: { $causationId: 'id-2', $correlationId: 'id-2' }, sourcePosition: 2 },
        ],
      },
    },
  },
  {
    name: 'linkTo writes the link type and format of the rules',
    source: `fromAll().when({ $any: (s, e) => { linkTo('all-links', e); } })`,
    events: [['a-1', 'T'], ['a-1', 'T']],
    rules: { linkEventType: '$link', linkSeparator: '#' },
    expect: {
      caughtUp: {
        emitted: [
          { stream: 'all-links', type: '$link', data: '0#a-1', metadata: { $causationId: 'id-0', $correlationId: 'id-0' }, sourcePosition: 0 },
          { stream: 'all-links', type: '$link', data: '1#a-1', metadata: { $causationId: 'id-1', $correlationId: 'id-1' }, sourcePosition: 1 },
        ],
      },
    },
  },
  {
    name: 'log lines name the event that produced them',
    source: `log('defining');
      fromStream('account-ada').when({ Deposited: (s, e) => { log('deposit', e.data, 3); } })`,
    events: accounts,
    expect: {
      caughtUp: {
        logs: [
          { message: 'defining', position: null, stream: null, version: null, type: null },
          { message: 'deposit {"amount":100} 3', position: 1, stream: 'account-ada', version: 1, type: 'Deposited' },
        ],
      },
    },
  },
  {
    name: 'owned streams are never read back',
    source: `fromAll().when({ $init: () => ({ n: 0, streams: [] }), $any: (s, e) => { s.n += 1; s.streams.push(e.streamId); } })`,
    events: [['a-1', 'T'], ['out', 'Seen'], ['a-2', 'T'], ['out-2', 'Seen']],
    ownedStreams: ['out'],
    expect: {
      caughtUp: { position: 3, eventsProcessed: 3 },
      states: { '': { state: { n: 3, streams: ['a-1', 'a-2', 'out-2'] } } },
    },
  },
  {
    name: 'the events store comes from the rules',
    source: `fromAll().when({ $init: () => ({ n: 0 }), $any: (s) => { s.n += 1; } })`,
    events: accounts,
    store: 'rows',
    rules: { eventsStore: 'rows' },
    expect: { caughtUp: { position: 10, eventsProcessed: 10 }, states: { '': { state: { n: 10 } } } },
  },
  {
    name: 'more events than one read batch: every batch is read and folded',
    source: `fromAll().when({ $init: () => ({ sum: 0, n: 0 }), Added: (s, e) => { s.sum += e.data.x; s.n += 1; } })`,
    events: Array.from({ length: 11 }, (_, i) => ['numbers', 'Added', { x: i + 1 }]),
    rules: { readBatch: 3 },
    expect: {
      caughtUp: { position: 10, eventsProcessed: 11 },
      states: { '': { state: { sum: 66, n: 11 } } },
      reads: (reads) => reads.length === 4 && reads.every((r) => r.count === 3 && r.upper === 10)
        && reads.map((r) => r.lower).join() === '0,3,6,9',
    },
  },
  {
    name: 'catchUp stops at `to`, inclusive',
    source: `fromAll().when({ $init: () => [], $any: (s, e) => { s.push(e.position); } })`,
    events: accounts,
    to: 4,
    expect: { caughtUp: { position: 4, eventsProcessed: 5 }, states: { '': { state: [0, 1, 2, 3, 4] } } },
  },
  {
    name: 'careful mode sends a starting heartbeat naming every event, selected or not',
    source: `fromStream('account-ada').when({ $any: (s) => s })`,
    events: accounts.slice(0, 4),
    careful: true,
    expect: {
      caughtUp: { eventsProcessed: 3 },
      heartbeats: (beats) => {
        matches(beats, [
          { op: 'starting', at: { position: 0, stream: 'account-ada', version: 0, type: 'Opened' } },
          { op: 'starting', at: { position: 1, stream: 'account-ada', version: 1, type: 'Deposited' } },
          { op: 'starting', at: { position: 2, stream: 'account-alan', version: 0, type: 'Opened' } },
          { op: 'starting', at: { position: 3, stream: 'account-ada', version: 2, type: 'Withdrawn' } },
        ], 'heartbeats');
        return true;
      },
    },
  },
  {
    name: 'a busy fold sends progress heartbeats at the heartbeat interval',
    source: `fromAll().when({ $any: (s) => { const t = Date.now(); while (Date.now() - t < 2) {} } })`,
    events: accounts.slice(0, 5),
    rules: { heartbeatMs: 1 },
    expect: {
      heartbeats: (beats) => beats.length >= 2 && beats.every((b, i) => b.op === 'progress' && b.position >= -1 && (i === 0 || b.position >= beats[i - 1].position)),
    },
  },
  {
    name: 'a quiet fold sends no heartbeat inside the interval',
    source: `fromAll().when({ $any: (s) => s })`,
    events: accounts,
    rules: { heartbeatMs: 60000 },
    expect: { heartbeats: (beats) => beats.length === 0 },
  },

  // Definition faults: each keeps the text people read today.
  {
    // Node's vm has no Worker, which finding the line takes (see
    // syntax-line.test.mjs, and the e2e layer in Chromium).
    name: 'a syntax error with no Worker to find its line says the engine named none',
    source: 'fromAll()\n  .when({\n    $any: (s, e) => { s.n = ; },\n  });',
    expect: { defineFault: { kind: 'definition', message: "the source does not parse: Unexpected token ';'; the engine did not say which line", line: null } },
  },
  {
    name: 'when() twice',
    source: `const p = fromAll();\np.when({ $any: (s) => s });\np.when({ $any: (s) => s });`,
    expect: { defineFault: { kind: 'definition', message: 'when() is called twice; give every handler in one when({...})', line: 3 } },
  },
  {
    name: 'no source',
    source: `options({ biState: false });`,
    expect: { defineFault: { kind: 'definition', message: 'the projection has no source: start with fromAll(), fromStream(s), fromCategory(...) or fromCategories(...)', line: null } },
  },
  {
    name: 'no handlers',
    source: `fromAll();`,
    expect: { defineFault: { kind: 'definition', message: 'the projection has no handlers: add .when({ ... })', line: null } },
  },
  {
    name: 'two sources',
    source: `fromAll();\nfromStream('x').when({ $any: (s) => s });`,
    expect: { defineFault: { kind: 'definition', message: 'a projection has one source: call one of fromAll, fromStream(s), fromCategory/ies once', line: 2 } },
  },
  {
    name: 'a handler that is not a function',
    source: `fromAll().when({ Deposited: 5 });`,
    expect: { defineFault: { kind: 'definition', message: 'the handler for Deposited is not a function', line: 1 } },
  },
  {
    name: 'partitionBy without a function',
    source: `fromAll()\n.partitionBy('region')`,
    expect: { defineFault: { kind: 'definition', message: 'partitionBy() takes a function of the event that returns the partition key', line: 2 } },
  },
  {
    name: 'the source throws while defining',
    source: `fromAll().when({ $any: (s) => s });\n\nnotDefinedAnywhere();`,
    expect: { defineFault: { kind: 'definition', message: 'the source failed while defining the projection: ReferenceError: notDefinedAnywhere is not defined', line: 3 } },
  },
  {
    name: 'emit outside a handler is a definition fault',
    source: `fromAll().when({ $any: (s) => s });\nemit('out', 'T', {});`,
    expect: { defineFault: { kind: 'definition', message: /^emit\(\) can only be called from a handler/, line: 2 } },
  },
  {
    name: 'linkTo outside a handler is a definition fault',
    source: `fromAll().when({ $any: (s) => s });\nlinkTo('out', { sequenceNumber: 0, streamId: 'x' });`,
    expect: { defineFault: { kind: 'definition', message: /^linkTo\(\) can only be called from a handler/, line: 2 } },
  },

  // Faults while folding.
  {
    name: 'a handler that throws: threw, with the handler, the event and the line',
    source: balances,
    events: accounts,
    expect: {
      fault: {
        kind: 'threw', handler: 'Withdrawn',
        at: { position: 7, stream: 'account-alan', version: 2, type: 'Withdrawn' },
        error: 'Error: overdrawn by 25', line: 9,
      },
      // The fold stops at the last event done.
      checkpoint: (c) => c.position === 6 && c.eventsProcessed === 5,
    },
  },
  {
    name: 'a non-Error thrown is stated as text',
    source: `fromAll().when({\n  $any: (s, e) => { throw 'nope ' + e.position; },\n});`,
    events: [['a-1', 'T']],
    expect: { fault: { kind: 'threw', handler: '$any', at: { position: 0, stream: 'a-1', version: 0, type: 'T' }, error: 'nope 0', line: null } },
  },
  {
    name: 'partitionBy that throws names partitionBy',
    source: `fromAll()\n  .partitionBy((e) => e.data.region.toUpperCase())\n  .when({ $any: (s) => s });`,
    events: [['customer-1', 'Registered', { region: 'eu' }], ['customer-2', 'Registered', {}]],
    expect: {
      fault: {
        kind: 'threw', handler: 'partitionBy', at: { position: 1, stream: 'customer-2', version: 0, type: 'Registered' },
        error: /^TypeError: Cannot read properties of undefined/, line: 2,
      },
    },
  },
  {
    name: 'emit with no stream name is a threw fault',
    source: `fromAll().when({\n  $any: () => { emit('', 'T', {}); },\n});`,
    events: [['a-1', 'T']],
    expect: { fault: { kind: 'threw', handler: '$any', at: { position: 0, stream: 'a-1', version: 0, type: 'T' }, error: 'Error: emit and linkTo need a stream name', line: (l) => l === null || l === 2 } },
  },
  {
    name: 'a handler slower than the limit: tooSlow',
    source: `fromAll().when({ Slow: (s) => { const t = Date.now(); while (Date.now() - t < 5) {} } })`,
    events: [['a-1', 'Fast'], ['a-1', 'Slow']],
    timeoutMs: 1,
    expect: {
      fault: { kind: 'tooSlow', handler: 'Slow', at: { position: 1, stream: 'a-1', version: 1, type: 'Slow' }, tookMs: (ms) => ms >= 4, limitMs: 1 },
    },
  },
  {
    name: 'a database that does not exist is a storage fault',
    source: `fromAll().when({ $any: (s) => s })`,
    events: accounts,
    database: 'es-sandbox/elsewhere',
    expect: { fault: { kind: 'storage', message: 'the sandbox database es-sandbox/elsewhere does not exist' } },
  },
  {
    name: 'an events store that is not there is a storage fault',
    source: `fromAll().when({ $any: (s) => s })`,
    events: accounts,
    rules: { eventsStore: 'missing' },
    expect: { fault: { kind: 'storage', message: 'NotFoundError: No objectStore named missing in this database' } },
  },
  {
    name: 'a failing read is a storage fault',
    source: `fromAll().when({ $any: (s) => s })`,
    events: accounts,
    failReads: true,
    expect: { fault: { kind: 'storage', message: 'UnknownError: the disk is on fire' } },
  },
];

for (const c of cases) {
  test(c.name, async () => {
    const worker = startWorker({ events: c.events, store: c.store });
    const lastPosition = (c.events?.length ?? 0) - 1;
    const defined = await worker.send(define(c.source, { rules: c.rules, timeoutMs: c.timeoutMs }));
    if (c.expect.defineFault) {
      matches(defined, { id: 1, op: 'fault', fault: c.expect.defineFault }, 'define reply');
      return;
    }
    assert.equal(defined.op, 'defined', JSON.stringify(defined));
    if (c.expect.defined) matches(defined, { id: 1, op: 'defined', ...c.expect.defined }, 'defined');

    worker.indexedDB.failReads = Boolean(c.failReads);
    const caught = await worker.send(catchUp(c.to ?? lastPosition, {
      careful: c.careful, ownedStreams: c.ownedStreams, database: c.database,
    }));
    assert.equal(worker.indexedDB.opened, worker.indexedDB.closed, 'every connection is closed');
    if (c.expect.fault) {
      matches(caught, { id: 2, op: 'fault', fault: c.expect.fault }, 'catchUp reply');
    } else {
      assert.equal(caught.op, 'caughtUp', JSON.stringify(caught));
      for (const [field, value] of Object.entries(c.expect.caughtUp ?? {})) matches(caught[field], value, `caughtUp.${field}`);
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
    if (c.expect.heartbeats) {
      const beats = worker.heartbeats();
      assert.ok(c.expect.heartbeats(beats), JSON.stringify(beats));
    }
  });
}

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
  const events = accounts.slice(0, 8).map(([stream, type, data]) => [stream, type, data]);
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
  await worker.send(define(`fromAll().when({ $any: (s, e) => { emit('out', 'Saw', e.position); log('saw', e.position); } })`));
  const first = await worker.send(catchUp(0));
  assert.deepEqual(first.emitted.map((e) => [e.data, e.sourcePosition]), [[0, 0]]);
  assert.deepEqual(first.logs.map((l) => l.message), ['saw 0']);
  const second = await worker.send(catchUp(1));
  assert.deepEqual(second.emitted.map((e) => [e.data, e.sourcePosition]), [[1, 1]]);
  assert.deepEqual(second.logs.map((l) => l.message), ['saw 1']);
});

test('a protocol version the worker does not speak is a protocol fault that says to reload', async () => {
  const worker = startWorker({ events: accounts });
  const reply = await worker.send(define(`fromAll().when({ $any: (s) => s })`, { protocol: 1 }));
  matches(reply, { id: 1, op: 'fault', fault: { kind: 'protocol', message: /speaks protocol version 2 but the page speaks version 1; reload/ } });
  assert.match(reply.fault.message, /stale cached worker/);
  matches(await worker.send(catchUp(10)), { id: 2, op: 'fault', fault: { kind: 'protocol', message: /define must come first/ } });
  // A version-1 page sent `timeout` and no protocol at all.
  matches(await worker.send({ op: 'define', source: 'fromAll().when({})', timeout: 250 }), {
    id: 3, op: 'fault', fault: { kind: 'protocol', message: /speaks protocol version 2 but the page speaks version 1 \(it states none\); reload/ },
  });
  matches(await worker.send(define('fromAll().when({})', { protocol: 3 })), {
    id: 4, op: 'fault', fault: { kind: 'protocol', message: /but the page speaks version 3;/ },
  });
  assert.equal(PROTOCOL_VERSION, 2);
});

test('define without store rules is a protocol fault', async () => {
  const worker = startWorker();
  for (const [request, field] of [
    [{ op: 'define', protocol: 2, source: 'fromAll().when({})', timeoutMs: 250 }, /no store rules/],
    [define('fromAll().when({})', { rules: { readBatch: 0 } }), /rules\.readBatch 0/],
    [define('fromAll().when({})', { rules: { categorySeparator: '' } }), /rules\.categorySeparator ""/],
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

test('a result transform that throws is a definition fault with its line', async () => {
  const worker = startWorker({ events: [['a-1', 'T']] });
  await worker.send(define(`fromAll().when({ $init: () => ({}), $any: (s) => s })\n  .transformBy((s) => s.missing.deeper)`));
  await worker.send(catchUp(0));
  matches(await worker.send({ op: 'state', partition: null }), {
    id: 3, op: 'fault',
    fault: { kind: 'definition', message: /^the result transform \(transformBy or filterBy\) threw: TypeError/, line: 2 },
  });
});

test('the worker has no store rule of its own', async () => {
  // The same events, read with two sets of rules, fold differently.
  const events = [['a_b-c', 'T'], ['a-b_c', 'T'], ['a', 'T']];
  const source = `fromCategory('a').when({ $init: () => [], $any: (s, e) => { s.push(e.streamId); } })`;
  const seen = {};
  for (const separator of ['-', '_']) {
    const worker = startWorker({ events });
    await worker.send(define(source, { rules: { categorySeparator: separator } }));
    await worker.send(catchUp(2));
    seen[separator] = (await worker.send({ op: 'state', partition: null })).state;
  }
  assert.deepEqual(seen, { '-': ['a-b_c', 'a'], _: ['a_b-c', 'a'] });
});

test('rows() builds EventRows as the store writes them', () => {
  const [row] = rows([['s-1', 'T', { a: 1 }, { $correlationId: 'c' }]]);
  assert.deepEqual(row, {
    position: 0, stream: 's-1', version: 0, id: 'id-0', type: 'T', data: '{"a":1}',
    metadata: '{"$correlationId":"c"}', created: '2024-01-01T00:00:00.000Z', correlationId: 'c',
  });
  assert.equal(RULES.readBatch, 3);
  assert.equal(DATABASE, 'es-sandbox/test');
});
