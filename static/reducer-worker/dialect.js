// The projection dialect as KurrentDB's Jint runtime has it
// (JintProjectionStateHandler.cs, "JPSH" below), compiling a projection's
// source, and finding the line of a syntax error (loaded by
// reducer-worker.js, whose state it uses).
'use strict';

const SOURCE_URL = 'projection.js';
// Lines that `new Function` puts before the body.
const FUNCTION_PREFIX_LINES = 2;
// What a nested worker's script says when the source in it parsed.
const PARSED = 'es-sandbox: the source parsed';
// How long a nested worker may take to say whether the source parses.
const PARSE_CHECK_MS = 3000;

// JPSH `_availableProperties`: each call swaps the methods the one chained
// object offers (`RestrictProperties`), so what may follow what is exactly this.
const AVAILABLE = {
  fromStream: ['when', 'partitionBy', 'outputState'],
  fromStreams: ['when', 'partitionBy', 'outputState'],
  fromAll: ['when', 'partitionBy', 'outputState', 'foreachStream'],
  fromCategory: ['when', 'partitionBy', 'outputState', 'foreachStream'],
  when: ['transformBy', 'filterBy', 'outputState', 'outputTo', '$defines_state_transform'],
  foreachStream: ['when'],
  outputState: ['transformBy', 'filterBy', 'outputTo'],
  partitionBy: ['when'],
  transformBy: ['transformBy', 'filterBy', 'outputState', 'outputTo'],
  filterBy: ['transformBy', 'filterBy', 'outputState', 'outputTo'],
  outputTo: [],
};

// JPSH `_setters`: the only options, matched case-insensitively.
const OPTIONS = {
  $includeLinks: 'boolean', reorderEvents: 'boolean', processingLag: 'number', resultStreamName: 'string', biState: 'boolean',
};

// ---------------------------------------------------------------------------
// The definition.
// ---------------------------------------------------------------------------

function newDefinition() {
  return {
    sourceKind: null, category: null, streams: [], reads: [], by: null,
    handlers: new Map(), any: null, init: null, initShared: null, created: [], deleted: null,
    // JPSH's constructor starts with AllEvents(); a specific handler turns it off.
    allEvents: true, handlesDeleted: false,
    transforms: [], producesResults: false, definesStateTransform: false,
    options: { $includeLinks: false, reorderEvents: false, processingLag: null, resultStreamName: null, partitionResultStreamNamePattern: null, biState: false },
    executing: false, emitted: [], logged: [],
  };
}

/** What KurrentDB says, then what we add to explain it. */
const explained = (kurrent, ours) => definitionFault(`${kurrent}${ours ? `: ${ours}` : ''}`);

/** The functions a projection's source may call, writing into `def`. */
function dialect(def) {
  // The restriction state and the name the source called to get there.
  let state = null;
  let called = null;
  const duringDefinition = (name) => {
    if (def.executing) throw new ReferenceError(`${name} is not defined while handlers run: KurrentDB removes it once the projection is defined`);
  };
  const restrict = (next, name) => { state = next; called = name; return chain; };
  const offered = (name) => {
    duringDefinition(name);
    if (state === null || !AVAILABLE[state].includes(name)) {
      const allowed = state === null ? [] : AVAILABLE[state];
      const after = called === null ? 'before a source (fromAll, fromStream(s), fromCategory/ies)' : `after ${called}()`;
      const then = allowed.length ? `only ${allowed.map((m) => `${m}()`).join(', ')} may follow ${called}()` : 'nothing may follow it';
      throw definitionFault(`${name}() cannot be called ${after}: ${then}, as in KurrentDB`);
    }
  };
  const addHandler = (name, fn) => {
    // JPSH `AddHandler`; the order of registration matters, as there.
    switch (name) {
      case '$init': def.init = fn; break;
      case '$initShared': def.options.biState = true; def.initShared = fn; break;
      case '$any': def.any = fn; def.allEvents = true; break;
      case '$created': def.created.push(fn); break;
      case '$deleted':
        if (def.options.biState) throw explained('Cannot handle deletes in bi-state projections', 'register $deleted before $initShared, or drop one of them');
        def.handlesDeleted = true; def.deleted = fn; break;
      default:
        def.allEvents = false;
        if (def.handlers.has(name)) throw explained(`An item with the same key has already been added. Key: ${name}`, `a handler for ${name} is registered twice`);
        def.handlers.set(name, fn);
    }
  };
  const source = (kind, name) => {
    duringDefinition(name);
    if (def.sourceKind) throw definitionFault('a projection has one source: call one of fromAll, fromStream(s), fromCategory/ies once');
    def.sourceKind = kind;
  };
  const streamsOf = (list, param) => list.map((s) => {
    if (typeof s !== 'string') throw definitionFault(`${param === 'streams' ? 'fromStreams()' : 'fromCategories()'} takes names as strings, not ${describe(s)} (KurrentDB: ArgumentException "${param}")`);
    return s;
  });
  const fromCategory = (name, args) => {
    if (args.length === 0) throw definitionFault(`${name}() needs a category; KurrentDB ignores the call and the projection then has no source`);
    if (args.length === 1 && !Array.isArray(args[0])) {
      if (typeof args[0] !== 'string') throw definitionFault(`${name}() takes a category name as a string, not ${describe(args[0])} (KurrentDB: ArgumentException "category")`);
      source('category', name);
      def.category = args[0];
      def.reads = [`${rules.systemPrefix}ce-${args[0]}`];
    } else {
      // Several categories are read as the streams $ce-a, $ce-b (JPSH `FromCategory`).
      source('streams', name);
      def.streams = streamsOf(args.length === 1 ? args[0] : args, 'categories').map((c) => `${rules.systemPrefix}ce-${c}`);
      def.reads = [...new Set(def.streams)];
    }
    return restrict('fromCategory', name);
  };
  const chain = {
    when(handlers) {
      offered('when');
      // Only own string keys whose values are functions count; the rest is ignored, as in JPSH `When`.
      if (handlers !== null && (typeof handlers === 'object' || typeof handlers === 'function')) {
        for (const key of Reflect.ownKeys(handlers)) {
          if (typeof key === 'string' && typeof handlers[key] === 'function') addHandler(key, handlers[key]);
        }
      }
      return restrict('when', 'when');
    },
    partitionBy(fn) {
      offered('partitionBy');
      if (typeof fn !== 'function') throw definitionFault('partitionBy() takes a function of the event that returns the partition key');
      def.by = fn;
      return restrict('partitionBy', 'partitionBy');
    },
    foreachStream() { offered('foreachStream'); def.by = 'stream'; return restrict('foreachStream', 'foreachStream'); },
    outputState() { offered('outputState'); def.producesResults = true; return restrict('outputState', 'outputState'); },
    transformBy(fn) { return transform('transformBy', 'transform', fn); },
    filterBy(fn) { return transform('filterBy', 'filter', fn); },
    outputTo(...args) {
      offered('outputTo');
      if (args.length !== 1 && args.length !== 2) throw definitionFault('outputTo() takes a result stream name and, optionally, a partition result stream pattern (KurrentDB: "invalid number of parameters")');
      if (typeof args[0] !== 'string') throw definitionFault(`outputTo() takes the result stream's name as a string, not ${describe(args[0])} (KurrentDB: "expected string value (Parameter 'resultStream')")`);
      if (args.length === 2 && typeof args[1] !== 'string') throw definitionFault(`outputTo() takes the partition result stream pattern as a string, not ${describe(args[1])} (KurrentDB: "expected string value (Parameter 'partitionResultStreamPattern')")`);
      // Blank names are unset (SourceDefinitionBuilder). outputTo alone turns no results on: JPSH `OutputTo` never calls SetOutputState.
      def.options.resultStreamName = blankToNull(args[0]);
      if (args.length === 2) def.options.partitionResultStreamNamePattern = checkedPattern(blankToNull(args[1]));
      return restrict('outputTo', 'outputTo');
    },
    $defines_state_transform() {
      offered('$defines_state_transform');
      def.definesStateTransform = true;
      def.producesResults = true;
      return undefined;
    },
  };
  function transform(name, kind, fn) {
    offered(name);
    if (typeof fn !== 'function') throw definitionFault(`${name}() takes a function of the state (KurrentDB: "expected function")`);
    def.transforms.push({ kind, fn });
    def.definesStateTransform = true;
    def.producesResults = true;
    return restrict(name, name);
  }
  function options(o) {
    duringDefinition('options');
    // JPSH `SetOptions`: anything but an object is ignored; every own key counts (an array's `length` too).
    if (o === null || (typeof o !== 'object' && typeof o !== 'function')) return undefined;
    for (const key of Reflect.ownKeys(o)) {
      if (typeof key !== 'string') continue;
      const name = Object.keys(OPTIONS).find((known) => known.toLowerCase() === key.toLowerCase());
      if (!name) throw explained(`Unrecognized option: ${key}`, `the options are ${Object.keys(OPTIONS).join(', ')}`);
      const value = o[key];
      if (typeof value !== OPTIONS[name]) throw explained('Invalid value', `the option ${name} takes a ${OPTIONS[name]}, not ${describe(value)}`);
      if (name === 'processingLag') def.options.processingLag = Math.trunc(value);
      else if (name === 'resultStreamName') def.options.resultStreamName = blankToNull(value);
      else def.options[name] = value;
    }
    return undefined;
  }
  return {
    fromAll: () => { source('all', 'fromAll'); return restrict('fromAll', 'fromAll'); },
    fromStream: (stream) => {
      if (typeof stream !== 'string') throw definitionFault(`fromStream() takes a stream name as a string, not ${describe(stream)} (KurrentDB: ArgumentException "stream")`);
      source('streams', 'fromStream');
      def.streams = [stream];
      def.reads = [stream];
      return restrict('fromStream', 'fromStream');
    },
    fromStreams: (...args) => {
      const streams = streamsOf(Array.isArray(args[0]) ? args[0] : args, 'streams');
      source('streams', 'fromStreams');
      def.streams = streams;
      def.reads = [...new Set(streams)];
      return restrict('fromStreams', 'fromStreams');
    },
    fromCategory: (...args) => fromCategory('fromCategory', args),
    fromCategories: (...args) => fromCategory('fromCategories', args),
    options,
    on_event: (...args) => {
      duringDefinition('on_event');
      if (args.length !== 2) throw definitionFault('on_event() takes an event type and a handler (KurrentDB: "invalid number of parameters")');
      if (typeof args[0] !== 'string') throw definitionFault('on_event() takes the event type as a string (KurrentDB: ArgumentException "eventName")');
      if (typeof args[1] !== 'function') throw definitionFault('on_event() takes a handler function (KurrentDB: ArgumentException "eventHandler")');
      addHandler(args[0], args[1]);
    },
    on_any: (...args) => {
      duringDefinition('on_any');
      if (args.length !== 1) throw definitionFault('on_any() takes a handler (KurrentDB: "invalid number of parameters")');
      if (typeof args[0] !== 'function') throw definitionFault('on_any() takes a handler function (KurrentDB: ArgumentException "eventHandler")');
      addHandler('$any', args[0]);
    },
    ...outputs(def),
  };
}

const blankToNull = (text) => (text.trim() === '' ? null : text);

function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || typeof value === 'function') return String(value === undefined ? 'undefined' : 'a function');
  try { return JSON.stringify(value) ?? String(value); } catch { return String(value); }
}

/**
 * A partition result stream pattern is a .NET format string whose `{0}`
 * is the partition (ProjectionNamesBuilder); one that String.Format would
 * refuse is refused here, when it is defined.
 */
function checkedPattern(pattern) {
  if (pattern === null) return null;
  try { formatPattern(pattern, ''); } catch {
    throw definitionFault(`the partition result stream pattern ${JSON.stringify(pattern)} is not a .NET format string: write {0} where the partition goes, {{ and }} for braces`);
  }
  return pattern;
}

/** String.Format(pattern, partition) for the one argument KurrentDB passes. */
function formatPattern(pattern, partition) {
  let out = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if ((c === '{' || c === '}') && pattern[i + 1] === c) { out += c; i += 1; continue; }
    if (c === '}') throw new Error('Input string was not in a correct format.');
    if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0 || !/^\s*0\s*(,\s*-?\d+\s*)?(:[^{}]*)?$/.test(pattern.slice(i + 1, end))) throw new Error('Input string was not in a correct format.');
      out += partition;
      i = end;
      continue;
    }
    out += c;
  }
  return out;
}

/** The line in the projection's source that an error's stack points at. */
function sourceLine(error) {
  const match = String(error && error.stack).match(new RegExp(`${SOURCE_URL.replace('.', '\\.')}:(\\d+):\\d+`));
  const line = match ? Number(match[1]) - FUNCTION_PREFIX_LINES : undefined;
  // A frame in the lines `new Function` adds is not a line of the source.
  return line >= 1 ? line : undefined;
}

async function define(source) {
  const def = newDefinition();
  const api = dialect(def);
  let body;
  try {
    body = new Function(...Object.keys(api), `${source}\n//# sourceURL=${SOURCE_URL}`);
  } catch (error) {
    const located = await whileBusy(syntaxError(source));
    const message = located?.message ?? error.message;
    const where = located ? '' : '; the engine did not say which line';
    throw definitionFault(`the source does not parse: ${message}${where}`, located?.line);
  }
  current = null;
  try {
    body(...Object.values(api));
  } catch (error) {
    if (error instanceof FaultError) {
      // A misuse of the dialect: its stack names the line that made it.
      if (error.fault.line === null) error.fault.line = sourceLine(error) ?? null;
      throw error;
    }
    throw definitionFault(`the source failed while defining the projection: ${error.name}: ${error.message}`, sourceLine(error));
  }
  checkSources(def);
  // What read.js needs of `reads`: each stream's place, the stored ones, and who writes the others.
  def.streamOrder = new Map(def.reads.map((stream, i) => [stream, i]));
  def.storedStreams = new Set(def.reads.filter((stream) => writerOf(stream) === null));
  def.writers = writersOf(def.reads);
  def.biState = def.options.biState === true;
  def.executing = true;
  return def;
}

/** What KurrentDB's ReaderStrategy.Create refuses when the projection starts; here, when it is defined. */
function checkSources(def) {
  if (!def.sourceKind) throw definitionFault('the projection has no source: start with fromAll(), fromStream(s), fromCategory(...) or fromCategories(...)');
  if (def.sourceKind === 'streams' && def.streams.length === 0) throw explained('None of streams and categories are included', 'fromStreams() was given no stream');
  if (def.allEvents && def.handlers.size > 0) {
    throw explained('Both AllEvents and specific event filters cannot be set', `$any was registered after ${[...def.handlers.keys()].join(', ')}; KurrentDB refuses that order (with $any first, $any silently never runs). Handle the types inside $any instead`);
  }
  if (def.by === 'stream' && def.sourceKind === 'streams') {
    throw explained('foreachStream projections are not supported on stream based sources', 'fromCategories(...) and fromCategory with several categories read the streams $ce-…; foreachStream() needs fromAll() or fromCategory() with one category');
  }
  if (def.options.reorderEvents) {
    if (def.sourceKind === 'all') throw explained('Event reordering cannot be used with fromAll()');
    if (!(def.sourceKind === 'streams' && def.streams.length > 1)) throw explained('Event reordering is only available in fromStreams([]) projections');
    if (!(def.options.processingLag >= 50)) throw explained('Event reordering requires processing lag at least of 50ms', 'set options({ processingLag: 50 }) or more');
  }
  if (def.handlesDeleted && def.by !== 'stream') throw explained('Deleted stream notifications are only supported with foreachStream()', '$deleted needs fromAll().foreachStream() or fromCategory(c).foreachStream()');
}

/**
 * Where `source` fails to parse, and why: {line, message}, or null when the
 * engine does not say. `new Function` names no line, but a worker's script
 * that does not parse fires `error` on its Worker with the line. So the
 * source is parsed again as a nested worker's script, behind a first line
 * that throws before any of it runs. A script may not `return` at its top
 * level where a function body may; a source that stops there is parsed
 * once more inside a function that is never called. (Not first: a stray
 * closing brace would end that function early, and the parser would stop
 * after the brace instead of at it.) Where there is no Worker (node's vm),
 * this is null.
 */
async function syntaxError(source) {
  if (typeof Worker !== 'function') return null;
  const lines = source.split('\n').length;
  const inSource = (found) => (found && found.line >= 1 && found.line <= lines ? found : null);
  const asScript = await scriptError(`throw ${JSON.stringify(PARSED)};\n${source}`, 1);
  if (asScript && !/Illegal return/.test(asScript.message)) return inSource(asScript);
  // The throw comes first here too: a source that closes the function
  // early must not get code of its own to run at the top level.
  return inSource(await scriptError(`throw ${JSON.stringify(PARSED)};\nfunction __projection__() {\n${source}\n}`, 2));
}

/**
 * Runs `script` in a nested worker: null if it parses (its first line
 * throws PARSED, so none of the source ever runs), else the line of the
 * source (the script's less the `before` lines put ahead of it) and the
 * parser's message.
 */
function scriptError(script, before) {
  return new Promise((resolve) => {
    let url = null;
    let worker = null;
    let timer = null;
    const done = (found) => {
      clearTimeout(timer);
      worker?.terminate();
      if (url !== null) URL.revokeObjectURL(url);
      resolve(found);
    };
    try {
      url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
      worker = new Worker(url);
    } catch {
      // No nested worker here: the fault then says the engine named no line.
      done(null);
      return;
    }
    timer = setTimeout(() => done(null), PARSE_CHECK_MS);
    worker.onerror = (event) => {
      // Handled here: the error is the answer, not a failure of the page.
      event.preventDefault();
      const message = String(event.message);
      done(message.includes(PARSED) ? null : { line: event.lineno - before, message: message.replace(/^Uncaught (SyntaxError: )?/, '') });
    };
  });
}

/**
 * Sends a progress heartbeat every heartbeatMs until `promise` settles: the
 * worker is waiting, not running a handler, and the page's watchdog must not
 * take the silence for a hang.
 */
async function whileBusy(promise) {
  const beating = setInterval(() => postMessage({ op: 'progress', position }), Math.max(1, rules.heartbeatMs));
  try {
    return await promise;
  } finally {
    clearInterval(beating);
  }
}
