// The benchmark's events, shared by the sandbox runs and the raw baselines so
// both write exactly the same things.
//
// window.benchWorkload (bench/run.mjs, scrub.mjs, stages.mjs): about 200
// bytes of JSON data, metadata with $correlationId/$causationId, 100 streams
// over 2 categories, 5 types.
//
// window.benchScale (bench/scale.mjs): about 500 bytes per event (the JSON
// of { type, data, metadata }), over `streams` streams (10,000 at a million
// events), half `account-*` and half `order-*`.
(() => {
  const TYPES = ['Opened', 'Deposited', 'Withdrawn', 'Renamed', 'Closed'];
  const STREAMS = 100;
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod';

  /** Stream `n` of `streams`: even numbers are accounts, odd ones orders. */
  const nameOf = (n, streams) => `${n % 2 ? 'order' : 'account'}-${Math.floor(n / 2) % (streams / 2)}`;

  /** The stream of batch `b`, or of single event `i`: 50 accounts, 50 orders. */
  const streamName = (n) => nameOf(n, STREAMS);

  function event(i) {
    return {
      type: TYPES[i % TYPES.length],
      data: {
        amount: (i * 37) % 1000,
        currency: 'EUR',
        reference: `ref-${i}`,
        note: filler.slice(0, 40 + (i % 30)),
        tags: ['bench', `t${i % 7}`],
        at: 1764000000000 + i,
      },
      metadata: { $correlationId: `corr-${Math.floor(i / 10)}`, $causationId: `cause-${i}` },
    };
  }

  window.benchWorkload = { STREAMS, streamName, event };

  // The scale run's events: the same fields, plus a customer and an address,
  // so JSON.stringify(scaleEvent(i)) is about 500 characters (464 to 526, 504 on average).
  const longFiller = `${filler} tempor incididunt ut labore et dolore magna aliqua ut enim ad minim veniam`;
  function scaleEvent(i) {
    const base = event(i);
    return {
      type: base.type,
      data: {
        ...base.data,
        note: longFiller.slice(0, 75 + (i % 40)),
        tags: [...base.data.tags, `region-${i % 13}`],
        customer: { id: `cust-${i % 9973}`, name: `Customer number ${i % 9973}`, tier: ['gold', 'silver', 'bronze'][i % 3] },
        address: { street: `${1 + (i % 200)} Long Example Street`, city: 'Amsterdam', postcode: `10${i % 90}AB`, country: 'NL' },
      },
      metadata: { ...base.metadata, source: 'bench-scale' },
    };
  }

  /**
   * The scale layout for `total` events over `streams` streams: the log
   * without its last `tail` events is `streams` appends, one per stream
   * (stream c gets append c, of about fill / streams events), so every
   * stream exists; `fillCall(c)` is that append's [from, to) positions.
   */
  function scaleLayout(total, streams, tail) {
    const fill = total - tail;
    const start = (c) => Math.floor((c * fill) / streams);
    return {
      fill,
      streams,
      streamName: (n) => nameOf(n, streams),
      fillCall: (c) => [start(c), start(c + 1)],
    };
  }

  /** The events both sides' whole-log reads are compared on: first, middle, last. */
  window.benchSamples = (events) => [0, events.length >> 1, events.length - 1].map((i) => events[i]);

  window.benchScale = { event: scaleEvent, layout: scaleLayout, nameOf };
})();
