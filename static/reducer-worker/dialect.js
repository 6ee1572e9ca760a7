// The projection dialect, compiling a projection's source, and finding the
// line of a syntax error (loaded by reducer-worker.js, whose state it uses).
'use strict';

const SOURCE_URL = 'projection.js';
// Lines that `new Function` puts before the body.
const FUNCTION_PREFIX_LINES = 2;
// What a nested worker's script says when the source in it parsed.
const PARSED = 'es-sandbox: the source parsed';
// How long a nested worker may take to say whether the source parses.
const PARSE_CHECK_MS = 3000;

// ---------------------------------------------------------------------------
// The projection dialect.
// ---------------------------------------------------------------------------

/** The projection dialect: the functions a projection's source may call. */
function dialect(def) {
  const output = {};
  const after = (x) => Object.assign(output, x);
  function transformBy(fn) { def.transforms.push(fn); return output; }
  function filterBy(fn) { def.transforms.push((s) => (fn(s) ? s : null)); return output; }
  function outputState() { def.outputState = true; return output; }
  function outputTo(stream, pattern) { def.outputState = true; def.options.resultStreamName = stream; def.options.partitionResultStreamNamePattern = pattern; }
  after({ transformBy, filterBy, outputState, outputTo });
  function when(handlers) {
    if (def.handlers) throw definitionFault('when() is called twice; give every handler in one when({...})');
    if (!handlers || typeof handlers !== 'object') throw definitionFault('when() takes an object of handlers, such as when({ $init: () => ({}), Deposited: (s, e) => s })');
    for (const [name, fn] of Object.entries(handlers)) {
      if (typeof fn !== 'function') throw definitionFault(`the handler for ${name} is not a function`);
    }
    def.handlers = handlers;
    return output;
  }
  function foreachStream() { def.by = 'stream'; return { when }; }
  function partitionBy(fn) {
    if (typeof fn !== 'function') throw definitionFault('partitionBy() takes a function of the event that returns the partition key');
    def.by = fn;
    return { when };
  }
  const selected = () => ({ foreachStream, partitionBy, when, outputState });
  const source = (kind, names) => {
    if (def.sourceKind) throw definitionFault('a projection has one source: call one of fromAll, fromStream(s), fromCategory/ies once');
    def.sourceKind = kind;
    def.names = new Set(names.flat().map(String));
    return selected();
  };
  return {
    fromAll: () => source('all', []),
    fromStream: (stream) => source('streams', [stream]),
    fromStreams: (...streams) => source('streams', streams),
    fromCategory: (category) => source('categories', [category]),
    fromCategories: (...categories) => source('categories', categories),
    options: (o) => { Object.assign(def.options, o); },
    emit: (stream, eventType, data, metadata) => emitted(def, 'emit', stream, eventType, data, metadata),
    linkTo: (stream, event, metadata) => emitted(def, 'linkTo', stream, linkEventType, `${event.sequenceNumber}${linkSeparator}${event.streamId}`, metadata),
    log: (...parts) => {
      const message = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
      const at = current ?? {};
      def.logged.push({ message, position: at.position ?? null, stream: at.stream ?? null, version: at.version ?? null, type: at.type ?? null });
    },
  };
}

/** Keeps an emitted event with the source event that caused it. */
function emitted(def, name, stream, eventType, data, metadata) {
  const source = current;
  if (source === null) {
    throw definitionFault(`${name}() can only be called from a handler, where there is an event that causes what it writes`);
  }
  if (typeof stream !== 'string' || stream === '') throw new Error('emit and linkTo need a stream name');
  if (typeof eventType !== 'string' || eventType === '') throw new Error('emit needs an event type');
  const sourceMetadata = source.metadata ? parseJson(source.metadata) : {};
  def.emitted.push({
    stream, type: eventType, data: data === undefined ? null : data,
    metadata: { ...(metadata ?? {}), $causationId: source.id, $correlationId: sourceMetadata?.$correlationId ?? source.id },
    sourcePosition: source.position,
  });
}

/** The line in the projection's source that an error's stack points at. */
function sourceLine(error) {
  const match = String(error && error.stack).match(new RegExp(`${SOURCE_URL.replace('.', '\\.')}:(\\d+):\\d+`));
  const line = match ? Number(match[1]) - FUNCTION_PREFIX_LINES : undefined;
  // A frame in the lines `new Function` adds is not a line of the source.
  return line >= 1 ? line : undefined;
}

async function define(source) {
  const def = { sourceKind: null, names: new Set(), by: null, handlers: null, transforms: [], outputState: false, options: {}, emitted: [], logged: [] };
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
  if (!def.sourceKind) throw definitionFault('the projection has no source: start with fromAll(), fromStream(s), fromCategory(...) or fromCategories(...)');
  if (!def.handlers) throw definitionFault('the projection has no handlers: add .when({ ... })');
  def.biState = def.options.biState === true;
  return def;
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
  const beating = setInterval(() => postMessage({ op: 'progress', position }), Math.max(1, heartbeatMs));
  try {
    return await promise;
  } finally {
    clearInterval(beating);
  }
}
