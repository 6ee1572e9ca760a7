//! The ESDB "getting started with projections" tutorial: four shopping
//! carts with the tutorial's streams, event ids and data, and its
//! `xbox-one-s-counter` (which counts 3) and `shopping-cart-item-counter`.
//! Its `TimeStamp` metadata is kept; the correlation ids (one web session a
//! cart) and the recommendation chains are this sandbox's additions.

use super::{minutes_after, Check, Compare, Probe, Scenario, ScenarioProjection, Step};
use crate::sample::SampleEvent;

/// 2016-12-23T07:00:00.922Z, the tutorial's first TimeStamp
/// (08:00:00.9225401+01:00) to the millisecond.
const FIRST_ITEM_MILLIS: i64 = 1_482_476_400_922;

const CART_1164: &str = "shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1164";
const CART_1165: &str = "shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1165";
const CART_1166: &str = "shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1166";
const CART_1167: &str = "shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1167";
const CONSOLE_1166: &str = "b989fe21-9469-4017-8d71-9820b8dd1166";

pub(super) const COUNTER: &str = "xbox-one-s-counter";
const ITEM_COUNTER: &str = "shopping-cart-item-counter";

/// The tutorial's projection, word for word.
const COUNTER_SOURCE: &str = "\
fromAll()
.when({
    $init: function(){
        return {
            count: 0
        }
    },
    ItemAdded: function(s,e){
        if(e.body.Description.indexOf(\"Xbox One S\") >= 0){
            s.count += 1;
        }
    }
})
";

/// The tutorial's count per cart, a state per stream of the category.
const ITEM_COUNTER_SOURCE: &str = "\
fromCategory('shoppingCart')
.foreachStream()
.when({
    $init: function(){
        return {
            count: 0
        }
    },
    ItemAdded: function(s,e){
        s.count += 1;
    }
})
";

/// The tutorial's carts, each file's events in turn. The accessory added
/// after a console names the console's event as its cause: the shop's
/// "bought together" suggestion put it there.
const EVENTS: &[SampleEvent] = &[
    event!(
        CART_1164,
        "b989fe21-9469-4017-8d71-9820b8dd1164",
        FIRST_ITEM_MILLIS,
        "ItemAdded",
        r#"{"Description":"Xbox One S 1TB (Console)"}"#,
        r#"{"TimeStamp":"2016-12-23T08:00:00.9225401+01:00","$correlationId":"session-1164"}"#,
    ),
    event!(
        CART_1164,
        "b989fe21-9469-4017-8d71-9820b8dd1174",
        minutes_after(FIRST_ITEM_MILLIS, 5),
        "ItemAdded",
        r#"{"Description":"Gears of War 4"}"#,
        r#"{"TimeStamp":"2016-12-23T08:05:00.9225401+01:00","$correlationId":"session-1164","$causationId":"b989fe21-9469-4017-8d71-9820b8dd1164"}"#,
    ),
    event!(
        CART_1165,
        "b989fe21-9469-4017-8d71-9820b8dd1165",
        minutes_after(FIRST_ITEM_MILLIS, 60),
        "ItemAdded",
        r#"{"Description":"Xbox One S 500GB (Console)"}"#,
        r#"{"TimeStamp":"2016-12-23T09:00:00.9225401+01:00","$correlationId":"session-1165"}"#,
    ),
    event!(
        CART_1165,
        "b989fe21-9469-4017-8d71-9820b8dd1175",
        minutes_after(FIRST_ITEM_MILLIS, 65),
        "ItemAdded",
        r#"{"Description":"Xbox One Elite Controller"}"#,
        r#"{"TimeStamp":"2016-12-23T09:05:00.9225401+01:00","$correlationId":"session-1165","$causationId":"b989fe21-9469-4017-8d71-9820b8dd1165"}"#,
    ),
    event!(
        CART_1166,
        CONSOLE_1166,
        minutes_after(FIRST_ITEM_MILLIS, 120),
        "ItemAdded",
        r#"{"Description":"Xbox One S Minecraft Edition (Console)"}"#,
        r#"{"TimeStamp":"2016-12-23T10:00:00.9225401+01:00","$correlationId":"session-1166"}"#,
    ),
    event!(
        CART_1166,
        "b989fe21-9469-4017-8d71-9820b8dd1176",
        minutes_after(FIRST_ITEM_MILLIS, 125),
        "ItemAdded",
        r#"{"Description":"Fifa 2016 (Xbox)"}"#,
        r#"{"TimeStamp":"2016-12-23T10:05:00.9225401+01:00","$correlationId":"session-1166","$causationId":"b989fe21-9469-4017-8d71-9820b8dd1166"}"#,
    ),
    // The tutorial stamps this one 10:00 too; it is appended after cart
    // 1166's, and a store's times grow with its positions.
    event!(
        CART_1167,
        "b989fe21-9469-4017-8d71-9820b8dd1167",
        minutes_after(FIRST_ITEM_MILLIS, 126),
        "ItemAdded",
        r#"{"Description":"Xbox One Elite (Console)"}"#,
        r#"{"TimeStamp":"2016-12-23T10:00:00.9225401+01:00","$correlationId":"session-1167"}"#,
    ),
];

pub(super) const SCENARIO: Scenario = Scenario {
    id: "shopping-cart",
    title: "Shopping cart (the ESDB tutorial)",
    story: "The EventStoreDB projections tutorial, as its docs give it: four \
        shopping carts, shoppingCart-b989fe21-…-1164 to -1167, filled on 23 \
        December 2016. Three of the consoles added are an Xbox One S, so the \
        xbox-one-s-counter projection counts 3; shopping-cart-item-counter \
        counts the items of each cart, one partition per stream. Add to the \
        carts, open one of your own, and follow the tutorial's next step.",
    events: EVENTS,
    projections: &[
        ScenarioProjection {
            name: COUNTER,
            source: COUNTER_SOURCE,
            emit: false,
        },
        ScenarioProjection {
            name: ITEM_COUNTER,
            source: ITEM_COUNTER_SOURCE,
            emit: false,
        },
    ],
    steps: &[
        Step {
            title: "Add another Xbox One S",
            hint: "On the Append page, append an ItemAdded with {\"Description\": \"Xbox One S 2TB (Console)\"} to shoppingCart-b989fe21-9469-4017-8d71-9820b8dd1167: xbox-one-s-counter goes to 4.",
            check: Check::State {
                probe: Probe {
                    projection: COUNTER,
                    partition: None,
                    path: &["count"],
                },
                compare: Compare::AtLeast(4.0),
            },
        },
        Step {
            title: "Open a cart of your own",
            hint: "Append an ItemAdded to a new stream such as shoppingCart-mine: shopping-cart-item-counter gets a fifth partition.",
            check: Check::Partitions {
                projection: ITEM_COUNTER,
                at_least: 5,
            },
        },
        Step {
            title: "Rewind to before the Minecraft Edition",
            hint: "On the time bar, go back to just before the Xbox One S Minecraft Edition was added to cart …1166: the counter said 2 then.",
            check: Check::CursorBefore {
                stream: CART_1166,
                id: CONSOLE_1166,
            },
        },
        Step {
            title: "Output the state to a stream",
            hint: "As the tutorial's next step: edit xbox-one-s-counter to end with .outputState(), save, then reset it. Its result stream $projections-xbox-one-s-counter-result appears.",
            check: Check::EventsOfType {
                stream: "$projections-xbox-one-s-counter-result",
                event_type: "Result",
                at_least: 1,
            },
        },
    ],
};
