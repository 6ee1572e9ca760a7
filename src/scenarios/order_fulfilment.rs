//! Order fulfilment: orders, payments and shipments whose events cause each
//! other, and a process manager that emits, so `$causedBy` appears.

use super::{minutes_after, Check, Compare, Probe, Scenario, ScenarioProjection, Step};
use crate::sample::SampleEvent;

/// 09:00 UTC on Monday 2 November 2026.
const OPENING_MILLIS: i64 = 1_793_610_000_000;

const PLACED_1001: &str = "255edd59-730d-46a6-98ef-db3278705264";
const PAID_1001: &str = "807b6292-4d11-40bc-a718-71308688a79e";
const PLACED_1002: &str = "ebe84cad-b0d9-4729-b150-6f3555d1fc17";
const PAID_1002: &str = "13d74cc8-c7bb-420c-8f7a-e31f7569a8d9";
const PLACED_1003: &str = "daac7ef7-4877-4866-82c6-2a0554226560";

const STATUS: &str = "order-status";

const SHIPMENT_REQUESTER_SOURCE: &str = "\
// A process manager: when a payment is captured, ask the warehouse to ship.
// What it emits carries $causedBy (the payment's id) and the payment's
// $correlationId, so the order's chain goes on through it.
fromCategory('payment')
  .when({
    PaymentCaptured: function (state, event) {
      emit('warehouse-' + event.data.orderId, 'ShipmentRequested', {
        orderId: event.data.orderId,
        address: event.data.address
      });
    }
  });
";

const STATUS_SOURCE: &str = "\
// Where each order is, from every stream that speaks of orders.
fromAll()
  .when({
    $init: function () { return {}; },
    OrderPlaced: function (s, e) { s[e.data.orderId] = 'placed'; },
    OrderCancelled: function (s, e) { s[e.data.orderId] = 'cancelled'; },
    PaymentCaptured: function (s, e) { s[e.data.orderId] = 'paid'; },
    // Emitted once the process manager has caught up, which may be after
    // the warehouse already shipped: a request never undoes a dispatch.
    ShipmentRequested: function (s, e) {
      if (s[e.data.orderId] === 'paid') s[e.data.orderId] = 'awaiting shipment';
    },
    ShipmentDispatched: function (s, e) { s[e.data.orderId] = 'shipped'; }
  });
";

/// `order-status` says `order` (a one-key path) is `status` (JSON text).
const fn status_is(order: &'static [&'static str], status: &'static str) -> Check {
    Check::State {
        probe: Probe {
            projection: STATUS,
            partition: None,
            path: order,
        },
        compare: Compare::Equals(status),
    }
}

const EVENTS: &[SampleEvent] = &[
    event!(
        "order-1001",
        PLACED_1001,
        OPENING_MILLIS,
        "OrderPlaced",
        r#"{"orderId":"order-1001","customer":"Ada Lovelace","items":[{"sku":"KEYB-01","quantity":1}],"total":89.0,"address":"12 St James's Square, London"}"#,
        r#"{"$correlationId":"order-1001"}"#,
    ),
    event!(
        "order-1002",
        PLACED_1002,
        minutes_after(OPENING_MILLIS, 7),
        "OrderPlaced",
        r#"{"orderId":"order-1002","customer":"Grace Hopper","items":[{"sku":"MOUSE-02","quantity":2}],"total":58.0,"address":"1 Navy Yard, Arlington"}"#,
        r#"{"$correlationId":"order-1002"}"#,
    ),
    event!(
        "payment-1001",
        PAID_1001,
        minutes_after(OPENING_MILLIS, 9),
        "PaymentCaptured",
        r#"{"orderId":"order-1001","amount":89.0,"method":"card","address":"12 St James's Square, London"}"#,
        r#"{"$correlationId":"order-1001","$causationId":"255edd59-730d-46a6-98ef-db3278705264"}"#,
    ),
    event!(
        "order-1003",
        PLACED_1003,
        minutes_after(OPENING_MILLIS, 31),
        "OrderPlaced",
        r#"{"orderId":"order-1003","customer":"Alan Turing","items":[{"sku":"DESK-07","quantity":1}],"total":340.0,"address":"Bletchley Park, Milton Keynes"}"#,
        r#"{"$correlationId":"order-1003"}"#,
    ),
    event!(
        "payment-1002",
        PAID_1002,
        minutes_after(OPENING_MILLIS, 44),
        "PaymentCaptured",
        r#"{"orderId":"order-1002","amount":58.0,"method":"paypal","address":"1 Navy Yard, Arlington"}"#,
        r#"{"$correlationId":"order-1002","$causationId":"ebe84cad-b0d9-4729-b150-6f3555d1fc17"}"#,
    ),
    // The warehouse ships from the payment it was shown.
    event!(
        "shipment-1001",
        "bc34a838-2921-475c-b3d2-e49e18c83804",
        minutes_after(OPENING_MILLIS, 3 * 60 + 15),
        "ShipmentDispatched",
        r#"{"orderId":"order-1001","carrier":"DHL","trackingNumber":"JD014600003828"}"#,
        r#"{"$correlationId":"order-1001","$causationId":"807b6292-4d11-40bc-a718-71308688a79e"}"#,
    ),
    event!(
        "order-1004",
        "1b9b2a81-a375-4f9b-b743-4ca03b52fbf2",
        minutes_after(OPENING_MILLIS, 4 * 60 + 2),
        "OrderPlaced",
        r#"{"orderId":"order-1004","customer":"Katherine Johnson","items":[{"sku":"LAMP-03","quantity":1}],"total":45.0,"address":"NASA Langley, Hampton"}"#,
        r#"{"$correlationId":"order-1004"}"#,
    ),
];

pub(super) const SCENARIO: Scenario = Scenario {
    id: "order-fulfilment",
    title: "Order fulfilment",
    story: "A shop's orders go from placed to paid to shipped, each step in \
        its own stream: order-, payment- and shipment-. Every event carries \
        its order's $correlationId and names the event that caused it in \
        $causationId. The shipment-requester projection is a process manager: \
        when a payment is captured it emits a ShipmentRequested to the \
        warehouse- stream, with $causedBy naming the payment. order-status \
        follows every order. Orders 1003 and 1004 are waiting on you.",
    events: EVENTS,
    projections: &[
        ScenarioProjection {
            name: "shipment-requester",
            source: SHIPMENT_REQUESTER_SOURCE,
            emit: true,
        },
        ScenarioProjection {
            name: STATUS,
            source: STATUS_SOURCE,
            emit: false,
        },
    ],
    steps: &[
        Step {
            title: "Pay order 1003",
            hint: "Append a PaymentCaptured with {\"orderId\": \"order-1003\", \"amount\": 340, \"address\": \"Bletchley Park\"} to payment-1003, with metadata {\"$correlationId\": \"order-1003\", \"$causationId\": \"daac7ef7-4877-4866-82c6-2a0554226560\"}. The process manager asks the warehouse to ship: see warehouse-order-1003.",
            check: Check::EventsOfType {
                stream: "warehouse-order-1003",
                event_type: "ShipmentRequested",
                at_least: 1,
            },
        },
        Step {
            title: "Ship it",
            hint: "Append a ShipmentDispatched with {\"orderId\": \"order-1003\", \"carrier\": \"UPS\"} to shipment-1003, its $causationId the ShipmentRequested's id: order-status says shipped, and the correlation page shows the whole chain.",
            check: status_is(&["order-1003"], r#""shipped""#),
        },
        Step {
            title: "Cancel order 1004",
            hint: "Katherine changed her mind before paying: append an OrderCancelled with {\"orderId\": \"order-1004\"} to order-1004. Nothing is shipped for it.",
            check: status_is(&["order-1004"], r#""cancelled""#),
        },
        Step {
            title: "Rewind to before order 1001 was paid",
            hint: "On the time bar, go back to just before payment-1001's PaymentCaptured: order-status shows order-1001 as placed, and no warehouse stream has been written yet.",
            check: Check::CursorBefore {
                stream: "payment-1001",
                id: PAID_1001,
            },
        },
    ],
};
