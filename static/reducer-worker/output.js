// What a projection writes: emit, linkTo, linkStreamTo, copyTo and log as
// KurrentDB's Jint runtime has them (JintProjectionStateHandler.cs, "JPSH"),
// the metadata KurrentDB puts on what is written (EmittedStream.cs), result
// streams, and the JSON both go through (loaded by reducer-worker.js, whose
// state it uses).
'use strict';

// What ResolvedEvent says for a link whose target is gone: no event id.
const EMPTY_ID = '00000000-0000-0000-0000-000000000000';
// KurrentDB writes long.MaxValue as `$tb` to soft-delete; any $tb this big says the same.
const SOFT_DELETED_TB = 2 ** 53;

/** An Error worded as the .NET exception JPSH throws, e.g. "Value cannot be null. (Parameter 'streamId')". */
function dotnetError(type, message, param) {
  const error = new Error(param ? `${message} (Parameter '${param}')` : message);
  error.name = type;
  return error;
}

/**
 * Jint lets no .NET exception be caught by the script, so a dialect error
 * is remembered: the handler faults with it even if the source catches it.
 */
function raise(error) {
  if (current !== null && current.raised === null) current.raised = error;
  throw error;
}

/** JPSH `EnsureNonNullStringValue`. */
function nonBlankString(value, param) {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (value === null || value === undefined || typeof value === 'string') raise(dotnetError('ArgumentNullException', 'Value cannot be null.', param));
  return raise(dotnetError('ArgumentException', 'string expected', param));
}

/** JPSH `EnsureNonNullObjectValue`. */
function objectValue(value, param) {
  if (value === null || value === undefined) raise(dotnetError('ArgumentNullException', 'Value cannot be null.', param));
  if (typeof value !== 'object' && typeof value !== 'function') raise(dotnetError('ArgumentException', 'object expected', param));
  return value;
}

/** The functions a handler writes with. */
function outputs(def) {
  const handlerOnly = (name) => {
    // Outside an event: while the source is defined, or in a transform the page asked for.
    if (current === null || current.at === null) {
      throw definitionFault(`${name}() can only be called from a handler, where there is an event that causes what it writes`);
    }
  };
  return {
    emit(...args) {
      handlerOnly('emit');
      if (args.length < 3) raise(dotnetError('ArgumentException', 'invalid number of parameters'));
      const stream = nonBlankString(args[0], 'streamId');
      const type = nonBlankString(args[1], 'eventName');
      const body = objectValue(args[2], 'eventBody');
      // Only exactly four arguments carry metadata (JPSH `Emit`).
      if (args.length === 4 && (args[3] === null || (typeof args[3] !== 'object' && typeof args[3] !== 'function'))) {
        raise(dotnetError('ArgumentException', 'object expected', 'metadata'));
      }
      const extra = args.length === 4 ? ownValues(args[3], true) : null;
      write(stream, type, toJson(body), extra);
      return undefined;
    },
    linkTo(...args) {
      handlerOnly('linkTo');
      if (args.length !== 2 && args.length !== 3) raise(dotnetError('ArgumentException', 'wrong number of parameters'));
      const stream = nonBlankString(args[0], 'streamId');
      const event = objectValue(args[1], 'event');
      const number = event.sequenceNumber;
      const from = event.streamId;
      if (typeof number !== 'number' || typeof from !== 'string') raise(new Error(`Invalid link to event ${String(number)}@${String(from)}`));
      const extra = args.length === 3 ? ownValues(objectValue(args[2], 'metaData'), false) : null;
      write(stream, rules.linkEventType, `${Math.trunc(number)}${rules.linkSeparator}${from}`, extra);
      return undefined;
    },
    linkStreamTo(...args) {
      handlerOnly('linkStreamTo');
      const stream = nonBlankString(args[0], 'streamId');
      const linked = nonBlankString(args[1], 'linkedStreamId');
      // Jint's bug, kept: with metadata it reads parameters.At(4), which is
      // undefined, and AsObject() throws (JPSH `LinkStreamTo`), so a third
      // argument always faults the projection.
      if (args.length === 3) raise(dotnetError('ArgumentException', 'The value is not an object'));
      write(stream, rules.streamReferenceEventType, linked, null);
      return undefined;
    },
    // A no-op in Jint (JPSH `CopyTo`); the legacy V8 runtime copied the event.
    copyTo: () => undefined,
    log: (...parts) => {
      const message = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
      const at = current?.at ?? {};
      def.logged.push({ message, position: at.position ?? null, stream: at.stream ?? null, version: at.version ?? null, type: at.type ?? null });
    },
  };
}

/**
 * The metadata values a caller gave, as JSON values: emit drops undefined
 * ones (JPSH `Emit`); linkTo keeps them (as null).
 */
function ownValues(object, dropUndefined) {
  const values = {};
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key !== 'string') continue;
    const value = object[key];
    if (value === undefined && dropUndefined) continue;
    values[key] = value === undefined ? null : toJson(value);
  }
  return values;
}

/** Keeps a handler's write with the event it came from, unless emitting is off. */
function write(stream, type, data, extra) {
  if (!emitEnabled) {
    raise(Object.assign(new Error(`'emit' is not allowed by the projection/configuration/mode. This projection may not write events: create it with createProjection(name, source, { emit: true }), or tick Emit on its page, to let it.`), { name: '' }));
  }
  current.emits.push({ stream, type, data, metadata: emittedMetadata(extra, current.source), sourcePosition: current.at.position });
}

/**
 * KurrentDB's `MetadataWithCausedByAndCorrelationId`: the caller's keys but
 * `$causedBy`, then `$causedBy` (the source event's id), then the source's
 * `$correlationId`, unless the caller gave one or the source is not JSON.
 */
function emittedMetadata(extra, source) {
  const metadata = {};
  let correlated = false;
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (key === '$causedBy') continue;
    if (key === '$correlationId') correlated = true;
    metadata[key] = value;
  }
  if (source.id && source.id !== EMPTY_ID) metadata.$causedBy = source.id;
  if (!correlated && source.isJson) {
    const correlationId = correlationIdOf(source.metadataRaw);
    if (correlationId) metadata.$correlationId = correlationId;
  }
  return metadata;
}

/** `ParseCheckpointTagCorrelationId`: the metadata's `$correlationId` as text, or null. */
function correlationIdOf(metadataRaw) {
  if (!metadataRaw) return null;
  let metadata;
  try { metadata = JSON.parse(metadataRaw); } catch { return null; }
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return null;
  const value = metadata.$correlationId;
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The source an emitted event names: the event a handler got (the link's target, not the link). */
function sourceOf(event) {
  if (event === null) return { id: EMPTY_ID, isJson: false, metadataRaw: null };
  return { id: event.id, isJson: isJsonRow(event), metadataRaw: metadataRawOf(event) };
}

// ---------------------------------------------------------------------------
// Results (ProjectionNamesBuilder, ResultEventEmitter).
// ---------------------------------------------------------------------------

/** The stream a partition's result goes to; the root partition is "". */
function resultStreamOf(partition) {
  const prefix = `${rules.systemPrefix}projections-${projectionName}`;
  if (partition === '') return definition.options.resultStreamName ?? `${prefix}-result`;
  return formatPattern(definition.options.partitionResultStreamNamePattern ?? `${prefix}-{0}-result`, partition);
}

/** A Result event for a partition's new result (JSON text), caused by the current event. */
function resultEmitted(partition, resultText) {
  return {
    stream: resultStreamOf(partition), type: rules.resultEventType, data: JSON.parse(resultText),
    metadata: emittedMetadata(null, current.source), sourcePosition: current.at.position,
  };
}

// ---------------------------------------------------------------------------
// JSON.
// ---------------------------------------------------------------------------

/**
 * Compact JSON as KurrentDB's serialiser writes it (JPSH `Serializer`):
 * undefined properties dropped, NaN and ±Infinity as null, BigInt as a
 * string; null/undefined is no state at all (null here).
 */
function serialize(value) {
  if (value === undefined || value === null) return null;
  let text;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    text = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return text === undefined ? null : text;
}

const parseState = (text) => (text === null || text === undefined || text === '' ? null : JSON.parse(text));
const toJson = (value) => parseState(serialize(value));

/** A number as .NET's double.ToString() writes it, which is how KurrentDB names a numeric partition. */
function dotnetNumber(n) {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Object.is(n, -0)) return '-0';
  const size = Math.abs(n);
  if (size !== 0 && (size >= 1e15 || size < 1e-4)) {
    const [digits, exponent] = n.toExponential().split('e');
    const e = Number(exponent);
    return `${digits}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(n);
}
