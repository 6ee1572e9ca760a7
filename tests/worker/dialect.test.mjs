// The definition API as KurrentDB's Jint runtime has it: what may follow
// what, options(), argument checks, and the source checks KurrentDB makes
// when a projection starts (docs/kurrentdb-rules.md §1.1, §1.2).
import { runCases } from './cases.mjs';

const refused = (name, source, message, line = null) => ({ name, source, expect: { defineFault: { kind: 'definition', message, line } } });
const accepted = (name, source, defined) => ({ name, source, events: [], expect: { defined } });

// JPSH `_availableProperties` L452-465 and `RestrictProperties` L690-704.
runCases([
  refused('foreachStream() is not offered after fromStream()', "fromStream('a')\n  .foreachStream()",
    'foreachStream() cannot be called after fromStream(): only when(), partitionBy(), outputState() may follow fromStream(), as in KurrentDB', 2),
  refused('foreachStream() is not offered after fromStreams()', "fromStreams('a', 'b').foreachStream()",
    'foreachStream() cannot be called after fromStreams(): only when(), partitionBy(), outputState() may follow fromStreams(), as in KurrentDB', 1),
  refused('after foreachStream() only when()', 'fromAll().foreachStream().partitionBy((e) => e.streamId)',
    'partitionBy() cannot be called after foreachStream(): only when() may follow foreachStream(), as in KurrentDB', 1),
  refused('after partitionBy() only when()', 'fromAll().partitionBy((e) => e.streamId).foreachStream()',
    'foreachStream() cannot be called after partitionBy(): only when() may follow partitionBy(), as in KurrentDB', 1),
  refused('after outputState() no when()', 'fromAll().outputState().when({})',
    'when() cannot be called after outputState(): only transformBy(), filterBy(), outputTo() may follow outputState(), as in KurrentDB', 1),
  refused('nothing follows outputTo()', "fromAll().when({}).outputTo('out').outputState()",
    'outputState() cannot be called after outputTo(): nothing may follow it, as in KurrentDB', 1),
  refused('foreachStream() after when() is not offered', 'fromAll().when({}).foreachStream()',
    'foreachStream() cannot be called after when(): only transformBy(), filterBy(), outputState(), outputTo(), $defines_state_transform() may follow when(), as in KurrentDB', 1),
  accepted('the longest chain KurrentDB allows', "fromAll().when({ $any: (s) => s }).outputState().transformBy((s) => s).filterBy(() => true).outputTo('r', 'r-{0}')",
    { partitioned: false, reads: [] }),
  accepted('fromCategory with one category offers foreachStream()', "fromCategory('a').foreachStream().when({ $any: (s) => s })",
    { partitioned: true, reads: ['$ce-a'] }),
  accepted('fromCategories with one name is one category (JPSH FromCategory)', "fromCategories('a').foreachStream().when({})",
    { partitioned: true, reads: ['$ce-a'] }),
  accepted('$defines_state_transform() turns results on and ends the chain', "fromAll().when({}).$defines_state_transform()", { partitioned: false }),
  // JPSH FromCategory L524-551 and ReaderStrategy.Create: several categories are streams.
  refused('fromCategory with several categories reads streams, which foreachStream refuses', "fromCategory('a', 'b').foreachStream().when({})",
    /^foreachStream projections are not supported on stream based sources: /),
  refused('fromCategories([...]) is streams too, even with one', "fromCategories(['a']).foreachStream().when({})",
    /^foreachStream projections are not supported on stream based sources: /),
  accepted('fromCategories reads $ce- streams', "fromCategories(['a', 'b']).when({})", { partitioned: false, reads: ['$ce-a', '$ce-b'] }),
  {
    // JPSH SwitchToExecutionMode L807-813: the definition functions are gone while handlers run.
    name: 'a handler cannot call the definition functions',
    source: 'fromAll().when({\n  $any: () => { fromAll(); },\n})',
    events: [['a-1', 'T']],
    expect: { fault: { kind: 'threw', handler: '$any', at: { position: 0, stream: 'a-1', version: 0, type: 'T' }, error: /^ReferenceError: fromAll is not defined while handlers run/, line: 2 } },
  },
]);

// JPSH `_setters` L467-474 and `SetOptions` L774-787.
runCases([
  refused('an unknown option', 'options({ foo: 1 });\nfromAll().when({})',
    'Unrecognized option: foo: the options are $includeLinks, reorderEvents, processingLag, resultStreamName, biState', 1),
  refused('an option named by an array\'s own key', 'options([]);', /^Unrecognized option: length: /, 1),
  accepted('option names match case-insensitively', 'options({ BISTATE: true, $INCLUDELINKS: true });\nfromAll().when({})', { biState: true }),
  accepted('options() of something that is not an object is ignored', 'options(5); options(null);\nfromAll().when({})', { biState: false }),
  refused('biState takes a boolean', "options({ biState: 'yes' });", 'Invalid value: the option biState takes a boolean, not "yes"', 1),
  refused('processingLag takes a number', "options({ processingLag: '50' });", 'Invalid value: the option processingLag takes a number, not "50"', 1),
  refused('resultStreamName takes a string', 'options({ resultStreamName: 5 });', 'Invalid value: the option resultStreamName takes a string, not 5', 1),
  refused('$includeLinks takes a boolean', 'options({ $includeLinks: 1 });', 'Invalid value: the option $includeLinks takes a boolean, not 1', 1),
  // ReaderStrategy.Create: the reordering checks.
  refused('reorderEvents with fromAll()', 'options({ reorderEvents: true });\nfromAll().when({})', 'Event reordering cannot be used with fromAll()'),
  refused('reorderEvents with one stream', "options({ reorderEvents: true });\nfromStream('a').when({})", 'Event reordering is only available in fromStreams([]) projections'),
  refused('reorderEvents without enough lag', "options({ reorderEvents: true, processingLag: 10 });\nfromStreams('a', 'b').when({})",
    /^Event reordering requires processing lag at least of 50ms/),
  accepted('reorderEvents with fromStreams and 50 ms of lag', "options({ reorderEvents: true, processingLag: 50 });\nfromStreams('a', 'b').when({})", { reads: ['a', 'b'] }),
]);

// JPSH argument checks L514-636, AddHandler L660-688, and ReaderStrategy.Create.
runCases([
  refused('fromStream of a number', 'fromStream(5)', 'fromStream() takes a stream name as a string, not 5 (KurrentDB: ArgumentException "stream")', 1),
  refused('fromCategory of a number', 'fromCategory(5)', 'fromCategory() takes a category name as a string, not 5 (KurrentDB: ArgumentException "category")', 1),
  refused('fromCategory with a number among several', "fromCategory('a', 5)", 'fromCategories() takes names as strings, not 5 (KurrentDB: ArgumentException "categories")', 1),
  refused('fromStreams with a number', "fromStreams('a', 5)", 'fromStreams() takes names as strings, not 5 (KurrentDB: ArgumentException "streams")', 1),
  refused('fromStreams of nothing', 'fromStreams([]).when({})', 'None of streams and categories are included: fromStreams() was given no stream'),
  refused('transformBy of something that is not a function', 'fromAll().when({}).transformBy(5)', 'transformBy() takes a function of the state (KurrentDB: "expected function")', 1),
  refused('filterBy of something that is not a function', 'fromAll().when({}).filterBy(null)', 'filterBy() takes a function of the state (KurrentDB: "expected function")', 1),
  refused('outputTo of a number', 'fromAll().when({}).outputTo(5)', /^outputTo\(\) takes the result stream's name as a string, not 5 \(KurrentDB: "expected string value \(Parameter 'resultStream'\)"\)$/, 1),
  refused('outputTo with a pattern that is not a string', "fromAll().when({}).outputTo('r', 5)", /Parameter 'partitionResultStreamPattern'/, 1),
  refused('outputTo with no arguments', 'fromAll().when({}).outputTo()', /invalid number of parameters/, 1),
  refused('outputTo with a pattern .NET cannot format', "fromAll().when({}).outputTo('r', 'r-{1}')", /^the partition result stream pattern "r-\{1\}" is not a \.NET format string/, 1),
  refused('on_event with one argument', "fromAll();\non_event('A');", /^on_event\(\) takes an event type and a handler \(KurrentDB: "invalid number of parameters"\)$/, 2),
  refused('the same event type twice', "fromAll();\non_event('A', (s) => s);\non_event('A', (s) => s);", 'An item with the same key has already been added. Key: A: a handler for A is registered twice', 3),
  accepted('on_event and on_any register handlers as when() keys do', "fromAll();\non_any((s) => s);\non_event('A', (s) => s);", { partitioned: false }),
  // kurrent-io/KurrentDB#5143: with $any after a specific handler, AllEvents and the filter are both set.
  refused('$any after a specific handler', 'fromAll().when({ A: (s) => s, $any: (s) => s })', /^Both AllEvents and specific event filters cannot be set: /),
  refused('$deleted after bi-state is on', "fromCategory('a').foreachStream().when({ $initShared: () => ({}), $deleted: (s) => s })", /^Cannot handle deletes in bi-state projections/, 1),
  accepted('$deleted before $initShared is not refused (JPSH AddHandler order)', "fromCategory('a').foreachStream().when({ $deleted: (s) => s, $initShared: () => ({}) })", { biState: true }),
  refused('$deleted without foreachStream', 'fromAll().when({ $deleted: (s) => s })', /^Deleted stream notifications are only supported with foreachStream\(\)/),
  refused('fromCategory() with no category', 'fromCategory().when({})', /^fromCategory\(\) needs a category/, 1),
]);
