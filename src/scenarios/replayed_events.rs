//! Replayed events: why handlers must be idempotent. A retry that keeps its
//! event ids is recognised by the store (KurrentDB's idempotent append:
//! same id, same stream, same expected version, nothing written); a replay
//! that lost its ids is not, and only an idempotent projection survives it.

use super::{minutes_after, Check, Compare, Probe, Scenario, ScenarioProjection, Step};
use crate::sample::SampleEvent;

/// 08:00 UTC on Monday 16 November 2026.
const MORNING_MILLIS: i64 = 1_794_816_000_000;

pub(super) const PAYMENTS: &str = "gateway-payments";
const NAIVE: &str = "naive-revenue";
const IDEMPOTENT: &str = "idempotent-revenue";
const REPLAY_STARTED: &str = "0b39caac-6c4c-4df3-ab3a-7709100c5457";

const PAY_502: &str = r#"{"paymentId":"pay-502","invoice":"INV-1002","amount":80}"#;
const PAY_503: &str = r#"{"paymentId":"pay-503","invoice":"INV-1003","amount":200}"#;
const PAY_502_ID: &str = "61f49227-8b20-4049-9def-c70113440985";
const PAY_503_ID: &str = "69f38cc8-2be5-4fa6-a775-1068ccf66c1a";

/// The gateway's deliveries that the connector sent twice.
const PAY_502_DELIVERY: SampleEvent = event!(
    PAYMENTS,
    PAY_502_ID,
    minutes_after(MORNING_MILLIS, 12),
    "PaymentReceived",
    PAY_502,
    r#"{"$correlationId":"pay-502"}"#,
);
const PAY_503_DELIVERY: SampleEvent = event!(
    PAYMENTS,
    PAY_503_ID,
    minutes_after(MORNING_MILLIS, 13),
    "PaymentReceived",
    PAY_503,
    r#"{"$correlationId":"pay-503"}"#,
);
/// What the replay tool stamps on what it writes again.
const REPLAYED_META: &str =
    r#"{"$correlationId":"replay-1","$causationId":"0b39caac-6c4c-4df3-ab3a-7709100c5457"}"#;

const NAIVE_SOURCE: &str = "\
// Adds up every payment it is handed. Handed the same payment twice, it
// counts it twice: this handler is not idempotent.
fromStream('gateway-payments')
  .when({
    $init: function () { return { total: 0, payments: 0 }; },
    PaymentReceived: function (s, e) {
      s.total += e.data.amount;
      s.payments += 1;
    }
  });
";

const IDEMPOTENT_SOURCE: &str = "\
// Remembers the gateway's paymentId of everything it has counted, and
// counts a payment it has seen before only as a duplicate ignored.
fromStream('gateway-payments')
  .when({
    $init: function () {
      return { total: 0, payments: 0, duplicatesIgnored: 0, seen: {} };
    },
    PaymentReceived: function (s, e) {
      if (s.seen[e.data.paymentId]) {
        s.duplicatesIgnored += 1;
        return;
      }
      s.seen[e.data.paymentId] = true;
      s.total += e.data.amount;
      s.payments += 1;
    }
  });
";

const fn idempotent(path: &'static [&'static str]) -> Probe {
    Probe {
        projection: IDEMPOTENT,
        partition: None,
        path,
    }
}

const EVENTS: &[SampleEvent] = &[
    event!(
        PAYMENTS,
        "55d50d40-c095-4eab-a72b-058051199cc7",
        MORNING_MILLIS,
        "PaymentReceived",
        r#"{"paymentId":"pay-501","invoice":"INV-1001","amount":120}"#,
        r#"{"$correlationId":"pay-501"}"#,
    ),
    PAY_502_DELIVERY,
    PAY_503_DELIVERY,
    // The connector timed out waiting for the store's answer and sent both
    // again, ids and expected versions unchanged: recognised, not written.
    PAY_502_DELIVERY,
    PAY_503_DELIVERY,
    event!(
        PAYMENTS,
        "7587fdac-3386-44ec-9148-ac15cacb9a31",
        minutes_after(MORNING_MILLIS, 40),
        "PaymentReceived",
        r#"{"paymentId":"pay-504","invoice":"INV-1004","amount":45}"#,
        r#"{"$correlationId":"pay-504"}"#,
    ),
    event!(
        "ops-replays",
        REPLAY_STARTED,
        minutes_after(MORNING_MILLIS, 95),
        "ReplayStarted",
        r#"{"source":"gateway-export-2026-11-16.csv","operator":"sam","reason":"the connector crashed at 09:20"}"#,
        r#"{"$correlationId":"replay-1"}"#,
    ),
    // The export kept no ids, so the replay made new ones: the store sees
    // new events, and writes them.
    event!(
        PAYMENTS,
        "1568b3b9-7e12-4cca-8d61-175308a319fb",
        minutes_after(MORNING_MILLIS, 96),
        "PaymentReceived",
        PAY_502,
        REPLAYED_META,
    ),
    event!(
        PAYMENTS,
        "7a01727e-8593-4d51-92a2-e17cd82f8200",
        minutes_after(MORNING_MILLIS, 96) + 400,
        "PaymentReceived",
        PAY_503,
        REPLAYED_META,
    ),
];

pub(super) const SCENARIO: Scenario = Scenario {
    id: "replayed-events",
    title: "Replayed events",
    story: "A payment gateway delivers each payment at least once. The \
        connector appends it to gateway-payments with the delivery's id as \
        the event id. At 08:14 it timed out and sent two payments again with \
        the same ids and expected versions: the store recognised them and \
        wrote nothing, so the stream holds each once. At 09:35 an operator \
        replayed the morning from a CSV export that had lost the ids: new \
        ids, so pay-502 and pay-503 are in the stream twice. naive-revenue \
        counts them twice; idempotent-revenue remembers the payment ids it \
        has seen. Handlers must be idempotent.",
    events: EVENTS,
    projections: &[
        ScenarioProjection {
            name: NAIVE,
            source: NAIVE_SOURCE,
            emit: false,
        },
        ScenarioProjection {
            name: IDEMPOTENT,
            source: IDEMPOTENT_SOURCE,
            emit: false,
        },
    ],
    steps: &[
        Step {
            title: "Receive a new payment, twice",
            hint: "Append a PaymentReceived with {\"paymentId\": \"pay-505\", \"invoice\": \"INV-1005\", \"amount\": 60} to gateway-payments with expected version 5 and an id of your own; then append it again, same id and expected version. The stream's version moves once.",
            check: Check::State {
                probe: idempotent(&["payments"]),
                compare: Compare::AtLeast(5.0),
            },
        },
        Step {
            title: "Deliver one again without its id",
            hint: "Append pay-505's event again with a new id (leave the id empty): the store writes it, naive-revenue counts it again, idempotent-revenue ignores it.",
            check: Check::State {
                probe: idempotent(&["duplicatesIgnored"]),
                compare: Compare::AtLeast(3.0),
            },
        },
        Step {
            title: "Rewind to before the replay",
            hint: "On the time bar, go back to just before ops-replays' ReplayStarted: there the two projections agree.",
            check: Check::CursorBefore {
                stream: "ops-replays",
                id: REPLAY_STARTED,
            },
        },
        Step {
            title: "Make the naive projection idempotent",
            hint: "Edit naive-revenue to skip a paymentId it has seen, save, then reset it: its total matches idempotent-revenue's.",
            check: Check::SameState {
                left: Probe {
                    projection: NAIVE,
                    partition: None,
                    path: &["total"],
                },
                right: idempotent(&["total"]),
            },
        },
    ],
};
