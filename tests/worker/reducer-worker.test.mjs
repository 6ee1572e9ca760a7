// The reducer worker in node's vm: `node --test tests/worker/`.
// Each case defines a projection, folds its events, and checks the values
// the worker computed; every message is also checked against protocol.rs.
import { matches, ACCOUNTS as accounts } from './harness.mjs';
import { runCases } from './cases.mjs';

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

/** Cases for runCases (cases.mjs). */
const cases = [
  {
    name: 'fromAll counts events by type and skips system streams',
    source: `fromAll().when({
      $init: () => ({}),
      $any: (s, e) => { s[e.eventType] = (s[e.eventType] || 0) + 1; },
    })`,
    events: accounts,
    expect: {
      defined: { protocol: 4, biState: false, partitioned: false, reads: [] },
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
    // Only Deposited and Withdrawn have handlers, so only they are read (JPSH AddHandler: IncludeEvent).
    name: 'fromCategory + foreachStream keeps a state per stream, in creation order',
    source: balances,
    events: accounts.slice(0, 7),
    expect: {
      defined: { protocol: 4, biState: false, partitioned: true, reads: ['$ce-account'] },
      caughtUp: { position: 6, eventsProcessed: 3, partitions: 2 },
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
    // docs/kurrentdb-rules.md §2.2: fromCategory(c) reads the stream $ce-c. It is not stored: the
    // worker reads the links $by_category would write, and the page stops the fold where $by_category stopped.
    name: 'fromCategory reads $ce-{c}, which is not stored: the links $by_category would write',
    source: `fromCategory('account').foreachStream().when({ $any: (s) => s })`,
    events: accounts,
    expect: { defined: { reads: ['$ce-account'], partitioned: true }, caughtUp: { position: 10, eventsProcessed: 6, partitions: 2 }, keys: ['account-ada', 'account-alan'] },
  },
  {
    // JPSH FromCategory: several categories become the streams $ce-a, $ce-b, read with no category.
    name: 'fromCategories reads each $ce- stream as a stream: the target events, category null',
    source: `fromCategories('customer', 'audit').when({ $init: () => ({ seen: [] }), $any: (s, e) => { s.seen.push(e.streamId + '/' + e.category); } })`,
    events: [['audit', 'Noted'], ['customer-1', 'Registered'], ['customers-2', 'Registered'], ['audit-2', 'Noted'], ['account-1', 'Opened']],
    expect: {
      defined: { reads: ['$ce-customer', '$ce-audit'], partitioned: false },
      caughtUp: { eventsProcessed: 2 },
      states: { '': { state: { seen: ['customer-1/null', 'audit-2/null'] } } },
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
    source: `fromStreams('customer-ada', 'customer-grace', 'account-ada').when({
      $init: () => [], $any: (s, e) => { s.push(e.streamId + ':' + e.position); },
    })`,
    events: accounts,
    expect: {
      defined: { reads: ['customer-ada', 'customer-grace', 'account-ada'] },
      caughtUp: { eventsProcessed: 5 },
      states: { '': { state: ['account-ada:0', 'account-ada:1', 'account-ada:3', 'customer-ada:6', 'customer-grace:9'] } },
    },
  },
  {
    // JPSH FromStreams: an array first argument is the whole list; what follows it is ignored.
    name: 'fromStreams with an array takes the array alone',
    source: `fromStreams(['customer-ada', 'customer-grace'], 'account-ada').when({ $init: () => [], $any: (s, e) => { s.push(e.streamId); } })`,
    events: accounts,
    expect: { defined: { reads: ['customer-ada', 'customer-grace'] }, states: { '': { state: ['customer-ada', 'customer-grace'] } } },
  },
  {
    name: 'partitionBy keys partitions by the function; no key skips the event',
    source: `fromCategory('customer').partitionBy((e) => e.data.region).when({
      $init: () => ({ customers: [] }),
      Registered: (s, e) => { s.customers.push(e.streamId.split('-')[1] + '/' + e.partition); },
    })`,
    events: accounts,
    expect: {
      defined: { protocol: 4, biState: false, partitioned: true, reads: ['$ce-customer'] },
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
    })`,
    events: accounts.slice(0, 5),
    expect: { states: { '': { state: { n: 2, last: 'Alan' } } } },
  },
  {
    // JPSH When/AddHandler: a specific handler after $any turns AllEvents off, so $any never
    // runs (kurrent-io/KurrentDB#5143); other $-named keys are event types too (dispatch.test.mjs).
    name: '$any registered before a specific handler never runs',
    source: `fromAll().when({ $init: () => ({ any: 0, own: 0 }), $any: (s) => { s.any += 1; }, T: (s) => { s.own += 1; } })`,
    events: [['x', 'U'], ['x', 'T'], ['x', 'U']],
    expect: { caughtUp: { eventsProcessed: 1 }, states: { '': { state: { any: 0, own: 1 } } } },
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
      defined: { protocol: 4, biState: true, partitioned: true, reads: ['$ce-account'] },
      caughtUp: { eventsProcessed: 3, partitions: 2 },
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
      // The source position is the link's, in $all (its target's: the link is not stored);
      // $causedBy names the target (EmittedStream, docs 1.10).
      caughtUp: {
        position: 2, eventsProcessed: 2, logs: [],
        emitted: [
          { stream: 'audit', type: 'Seen', data: { order: 'order-1', n: 1 }, metadata: { by: 'test', $causedBy: 'id-0', $correlationId: 'c-1' }, sourcePosition: 0 },
          { stream: 'placed', type: '$>', data: '0@order-1', metadata: { $causedBy: 'id-0', $correlationId: 'c-1' }, sourcePosition: 0 },
          { stream: 'audit', type: 'Seen', data: { order: 'order-2', n: 2 }, metadata: { by: 'test', $causedBy: 'id-2' }, sourcePosition: 2 },
          { stream: 'placed', type: '$>', data: '0@order-2', metadata: { $causedBy: 'id-2' }, sourcePosition: 2 },
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
          { stream: 'all-links', type: '$link', data: '0#a-1', metadata: { $causedBy: 'id-0' }, sourcePosition: 0 },
          { stream: 'all-links', type: '$link', data: '1#a-1', metadata: { $causedBy: 'id-1' }, sourcePosition: 1 },
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
    // JPSH RestrictProperties: fromAll() returns one object, and after when() it offers no when().
    name: 'when() twice',
    source: `const p = fromAll();\np.when({ $any: (s) => s });\np.when({ $any: (s) => s });`,
    expect: { defineFault: { kind: 'definition', message: 'when() cannot be called after when(): only transformBy(), filterBy(), outputState(), outputTo(), $defines_state_transform() may follow when(), as in KurrentDB', line: 3 } },
  },
  {
    name: 'no source',
    source: `options({ biState: false });`,
    expect: { defineFault: { kind: 'definition', message: 'the projection has no source: start with fromAll(), fromStream(s), fromCategory(...) or fromCategories(...)', line: null } },
  },
  {
    // JT with_no_when_statement.returns_event_data_as_state: the default handler (JPSH Handle).
    name: 'no when() at all: the state is the last event\'s body',
    source: `fromAll();`,
    events: [['a-1', 'T', { n: 1 }], ['a-1', 'T', { n: 2 }], ['$internal', 'T', { n: 3 }]],
    expect: { caughtUp: { eventsProcessed: 2 }, states: { '': { state: { n: 2 }, result: { n: 2 } } } },
  },
  {
    name: 'two sources',
    source: `fromAll();\nfromStream('x').when({ $any: (s) => s });`,
    expect: { defineFault: { kind: 'definition', message: 'a projection has one source: call one of fromAll, fromStream(s), fromCategory/ies once', line: 2 } },
  },
  {
    // JPSH When: keys whose value is not a function are ignored; with none left, the default handler runs.
    name: 'a when() key that is not a function is ignored',
    source: `fromAll().when({ Deposited: 5 });`,
    events: [['a-1', 'Opened', { n: 1 }], ['a-1', 'Deposited', { n: 2 }]],
    expect: { caughtUp: { eventsProcessed: 2 }, states: { '': { state: { n: 2 } } } },
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
    // `at` is the link's $all position (its target's: the link is not stored), and the event the handler got.
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
      checkpoint: (c) => c.position === 6 && c.eventsProcessed === 3,
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
    expect: { fault: { kind: 'threw', handler: '$any', at: { position: 0, stream: 'a-1', version: 0, type: 'T' }, error: "ArgumentNullException: Value cannot be null. (Parameter 'streamId')", line: 2 } },
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

runCases(cases);
