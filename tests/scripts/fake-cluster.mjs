// An in-memory stand-in for a KurrentDB node, shaped like the parts of
// @kurrent/kurrentdb-client the push script calls. It keeps KurrentDB's
// expected-revision rule, so a wrong revision in the script fails a test,
// and it records which client methods and package exports were used, so a
// test can check each of them exists in the real package.

export class StreamNotFoundError extends Error {
  name = 'StreamNotFoundError';
}

export class UnavailableError extends Error {
  name = 'UnavailableError';
}

export class WrongExpectedVersionError extends Error {
  name = 'WrongExpectedVersionError';
}

/** The package exports the script uses, as the real package has them. */
export const fakeLib = {
  BACKWARDS: 'backwards',
  FORWARDS: 'forwards',
  START: 'start',
  END: 'end',
  StreamNotFoundError,
  UnavailableError,
  jsonEvent: ({ type, data, metadata, id }) => ({ id, contentType: 'application/json', type, data, metadata }),
};

/**
 * `streams`: stream name → the ids already on the cluster, in revision
 * order. `projections`: names of continuous projections that exist.
 */
export function fakeCluster({ streams = {}, projections = [] } = {}) {
  const stored = new Map(Object.entries(streams).map(([name, ids]) => [name, ids.map((id) => ({ id, type: 'Existing', data: {}, metadata: {} }))]));
  const projectionsByName = new Map(projections.map((name) => [name, { query: 'fromAll()', emitEnabled: false }]));
  const methodsCalled = new Set();
  const appends = [];
  const failures = new Map();

  const recorded = (name) => {
    const events = stored.get(name);
    if (!events) throw new StreamNotFoundError(`${name} not found`);
    return events.map((event, revision) => ({ event: { ...event, streamId: name, revision: BigInt(revision) } }));
  };

  const client = {
    readStream(name, { direction = fakeLib.FORWARDS, fromRevision = fakeLib.START, maxCount = Number.MAX_SAFE_INTEGER } = {}) {
      methodsCalled.add('readStream');
      const fromEnd = direction === fakeLib.BACKWARDS;
      if (fromRevision !== (fromEnd ? fakeLib.END : fakeLib.START)) {
        throw new Error(`the fake reads only forwards from START or backwards from END; got ${direction} from ${fromRevision}`);
      }
      return (async function* read() {
        const events = recorded(name);
        if (fromEnd) events.reverse();
        yield* events.slice(0, Number(maxCount));
      })();
    },
    async appendToStream(name, events, { streamState = 'any' } = {}) {
      methodsCalled.add('appendToStream');
      if (failures.has(name)) throw failures.get(name);
      const existing = stored.get(name);
      const actual = existing ? BigInt(existing.length - 1) : 'no_stream';
      if (streamState !== 'any' && streamState !== actual) {
        throw new WrongExpectedVersionError(`expected ${streamState}, actual ${actual} in ${name}`);
      }
      for (const event of events) {
        if (event.contentType !== 'application/json') throw new Error(`an event not made by jsonEvent: ${JSON.stringify(event)}`);
      }
      appends.push({ stream: name, streamState, ids: events.map((event) => event.id) });
      stored.set(name, [...(existing ?? []), ...events]);
      return { success: true, nextExpectedRevision: BigInt(stored.get(name).length - 1) };
    },
    async listProjections() {
      methodsCalled.add('listProjections');
      return [...projectionsByName.keys()].map((name) => ({ name }));
    },
    async createProjection(name, query, { emitEnabled = false } = {}) {
      methodsCalled.add('createProjection');
      if (projectionsByName.has(name)) throw new Error(`Conflict: projection ${name} exists`);
      projectionsByName.set(name, { query, emitEnabled });
    },
    async updateProjection(name, query, { emitEnabled } = {}) {
      methodsCalled.add('updateProjection');
      const projection = projectionsByName.get(name);
      if (!projection) throw new Error(`projection ${name} not found`);
      projectionsByName.set(name, { query, emitEnabled: emitEnabled ?? projection.emitEnabled });
    },
  };

  return {
    client,
    methodsCalled,
    appends,
    /** The ids of a stream on the cluster, in revision order. */
    ids: (name) => (stored.get(name) ?? []).map((event) => event.id),
    stored: (name) => stored.get(name) ?? [],
    projection: (name) => projectionsByName.get(name),
    /** Makes every later append to `name` fail with `error`; without one, they succeed again. */
    failAppendsTo: (name, error) => (error ? failures.set(name, error) : failures.delete(name)),
    /** Another writer appends to `name` behind the script's back. */
    appendFromOutside: (name, id) => stored.set(name, [...(stored.get(name) ?? []), { id, type: 'Outside', data: {}, metadata: {} }]),
  };
}
