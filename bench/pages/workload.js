// The benchmark's events, shared by the sandbox runs and the raw baselines so
// both write exactly the same things: about 200 bytes of JSON data, metadata
// with $correlationId/$causationId, 100 streams over 2 categories, 5 types.
(() => {
  const TYPES = ['Opened', 'Deposited', 'Withdrawn', 'Renamed', 'Closed'];
  const STREAMS = 100;
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod';

  /** The stream of batch `b`, or of single event `i`: 50 accounts, 50 orders. */
  const streamName = (n) => `${n % 2 ? 'order' : 'account'}-${Math.floor(n / 2) % (STREAMS / 2)}`;

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
})();
