//! Every scenario against the store's own rules (on the memory store), and
//! every step's check: false on the freshly loaded data, true once done.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::*;
use crate::core::event::{normalize_uuid, validate_batch};
use crate::core::ReadRequest;
use crate::storage::memory::{ready, MemoryStore};
use crate::storage::EventStore;

/// What each scenario's projections hold once they have read the loaded
/// events, worked out by hand from the data (the e2e test sees the
/// projections say so): `(projection, partition, state)`.
fn states_at_load(scenario: &Scenario) -> Vec<(&'static str, &'static str, Value)> {
    match scenario.id {
        "bank-account" => vec![
            (
                "account-balances",
                "account-ada",
                json!({"owner": "Ada Lovelace", "open": true, "balance": 425}),
            ),
            (
                "account-balances",
                "account-grace",
                json!({"owner": "Grace Hopper", "open": true, "balance": 1085}),
            ),
        ],
        "shopping-cart" => vec![("xbox-one-s-counter", "", json!({"count": 3}))],
        "order-fulfilment" => vec![(
            "order-status",
            "",
            json!({"order-1001": "shipped", "order-1002": "awaiting shipment",
                   "order-1003": "placed", "order-1004": "placed"}),
        )],
        "replayed-events" => vec![
            ("naive-revenue", "", json!({"total": 725, "payments": 6})),
            (
                "idempotent-revenue",
                "",
                json!({"total": 445, "payments": 4, "duplicatesIgnored": 2,
                       "seen": {"pay-501": true, "pay-502": true, "pay-503": true, "pay-504": true}}),
            ),
        ],
        other => panic!("no states at load written down for {other}"),
    }
}

fn partitions_at_load(scenario: &Scenario) -> Vec<(&'static str, usize)> {
    match scenario.id {
        "shopping-cart" => vec![("shopping-cart-item-counter", 4)],
        _ => vec![],
    }
}

/// Loads `scenario` as the service does, and returns the store.
fn loaded(scenario: &Scenario) -> MemoryStore {
    let store = MemoryStore::new();
    for append in scenario.planned_appends() {
        let input = append.event.input().unwrap();
        let batch = validate_batch(vec![input], &mut || unreachable!("ids are fixed")).unwrap();
        ready(store.append_with_created(
            append.event.stream,
            batch,
            append.expected,
            append.event.created_millis,
        ))
        .unwrap_or_else(|error| panic!("{} {}: {error}", scenario.id, append.event.id));
    }
    store
}

/// The facts a freshly loaded scenario gives its checks.
fn facts_at_load(scenario: &Scenario, store: &MemoryStore) -> Facts {
    let needs = scenario.needs();
    let mut facts = Facts::default();
    for stream in needs.streams {
        if let Ok(events) = ready(store.read_stream(stream, ReadRequest::forwards(0, 1000))) {
            facts.streams.insert(
                stream.to_string(),
                events
                    .into_iter()
                    .map(|event| EventFact {
                        id: event.id,
                        event_type: event.event_type,
                        position: event.position,
                    })
                    .collect(),
            );
        }
    }
    for (projection, partition, state) in states_at_load(scenario) {
        facts
            .states
            .insert((projection.into(), partition.into()), state);
    }
    for (projection, count) in partitions_at_load(scenario) {
        facts.partitions.insert(projection.into(), count);
    }
    facts
}

/// Changes `facts` as doing what `check` asks would.
fn satisfy(check: &Check, facts: &mut Facts) {
    fn set(facts: &mut Facts, probe: &Probe, value: Value) {
        let key = (
            probe.projection.to_string(),
            probe.partition.unwrap_or_default().to_string(),
        );
        let mut at = facts.states.entry(key).or_insert_with(|| json!({}));
        for step in probe.path {
            at = at
                .as_object_mut()
                .expect("a probe's path goes through objects")
                .entry(step.to_string())
                .or_insert(Value::Null);
        }
        *at = value;
    }
    match *check {
        Check::EventsOfType {
            stream,
            event_type,
            at_least,
        } => {
            let events = facts.streams.entry(stream.into()).or_default();
            for n in 0..at_least {
                events.push(EventFact {
                    id: format!("appended-{n}"),
                    event_type: event_type.into(),
                    position: 10_000 + n as u64,
                });
            }
        }
        Check::State { probe, compare } => {
            let value = match compare {
                Compare::Below(limit) => json!(limit - 1.0),
                Compare::AtLeast(limit) => json!(limit),
                Compare::Equals(wanted) => serde_json::from_str(wanted).unwrap(),
            };
            set(facts, &probe, value);
        }
        Check::SameState { left, right } => {
            set(facts, &left, json!(1));
            set(facts, &right, json!(1));
        }
        Check::Partitions {
            projection,
            at_least,
        } => {
            facts.partitions.insert(projection.into(), at_least);
        }
        Check::CursorBefore { stream, id } => {
            let event = facts.streams[stream].iter().find(|e| e.id == id);
            let event = event.unwrap_or_else(|| panic!("{id} is not in {stream}"));
            facts.cursor = Some(event.position as i64 - 1);
        }
        Check::CursorBeforeLast { stream, event_type } => {
            let event = facts.streams[stream]
                .iter()
                .rev()
                .find(|e| e.event_type == event_type)
                .unwrap_or_else(|| panic!("no {event_type} in {stream}"));
            facts.cursor = Some(event.position as i64 - 1);
        }
        Check::All(checks) => checks.iter().for_each(|check| satisfy(check, facts)),
    }
}

#[test]
fn the_gallery_has_four_scenarios_with_distinct_ids() {
    let ids: Vec<&str> = SCENARIOS.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [
            "bank-account",
            "shopping-cart",
            "order-fulfilment",
            "replayed-events"
        ]
    );
    assert!(find("shopping-cart").is_ok_and(|s| s.id == "shopping-cart"));
    let Err(unknown) = find("nope").map(|s| s.id) else {
        panic!("found a scenario called nope")
    };
    let unknown = unknown.to_string();
    assert!(
        unknown.contains("\"nope\"") && unknown.contains("\"replayed-events\""),
        "{unknown}"
    );
}

#[test]
fn every_scenario_loads_under_the_stores_own_rules() {
    for scenario in SCENARIOS {
        let store = loaded(scenario);
        let holdings = scenario.holdings();
        let all = ready(store.read_all(ReadRequest::forwards(0, 1000))).unwrap();
        assert_eq!(all.len(), holdings.events, "{}", scenario.id);
        let streams: BTreeSet<&str> = all.iter().map(|e| e.stream.as_str()).collect();
        assert_eq!(streams.len(), holdings.streams, "{}", scenario.id);
        for pair in all.windows(2) {
            assert!(
                pair[0].created < pair[1].created,
                "{}: times grow",
                scenario.id
            );
        }
    }
}

#[test]
fn ids_are_lower_case_uuids_and_repeat_only_as_retries_of_the_same_event() {
    for scenario in SCENARIOS {
        for event in scenario.events {
            assert_eq!(normalize_uuid(event.id).as_deref(), Some(event.id));
            let first = scenario.events.iter().find(|e| e.id == event.id).unwrap();
            assert_eq!(
                (first.stream, first.event_type, first.data),
                (event.stream, event.event_type, event.data),
                "{}: {} is reused for another event",
                scenario.id,
                event.id
            );
        }
    }
}

#[test]
fn the_replay_scenarios_retries_are_recognised_and_write_nothing() {
    let scenario = SCENARIOS[3];
    let store = loaded(scenario);
    let payments =
        ready(store.read_stream("gateway-payments", ReadRequest::forwards(0, 100))).unwrap();
    let appended = scenario
        .events
        .iter()
        .filter(|e| e.stream == "gateway-payments")
        .count();
    assert_eq!(appended, 8);
    assert_eq!(payments.len(), 6, "two of the eight appends were retries");
    assert_eq!(payments.last().unwrap().version, 5);
    let payment_ids: Vec<Value> = payments
        .iter()
        .map(|e| serde_json::from_str::<Value>(e.data.get()).unwrap()["paymentId"].clone())
        .collect();
    assert_eq!(
        payment_ids,
        ["pay-501", "pay-502", "pay-503", "pay-504", "pay-502", "pay-503"]
    );
}

#[test]
fn every_scenario_has_a_causal_chain_within_a_correlation() {
    for scenario in SCENARIOS {
        let metadata = |event: &SampleEvent| -> Map<String, Value> {
            serde_json::from_str(event.metadata).unwrap()
        };
        let chained = scenario.events.iter().any(|effect| {
            let effect_metadata = metadata(effect);
            let Some(Value::String(cause_id)) = effect_metadata.get("$causationId") else {
                return false;
            };
            scenario.events.iter().any(|cause| {
                cause.id == cause_id
                    && metadata(cause).get("$correlationId").is_some()
                    && metadata(cause).get("$correlationId")
                        == effect_metadata.get("$correlationId")
            })
        });
        assert!(
            chained,
            "{} has no $causationId naming one of its events",
            scenario.id
        );
    }
}

#[test]
fn projections_are_named_and_their_sources_handle_the_scenarios_events() {
    for scenario in SCENARIOS {
        assert!(!scenario.projections.is_empty(), "{}", scenario.id);
        let types: BTreeSet<&str> = scenario.events.iter().map(|e| e.event_type).collect();
        for projection in scenario.projections {
            assert!(projection.source.contains(".when("), "{}", projection.name);
            assert!(
                types
                    .iter()
                    .any(|t| projection.source.contains(&format!("{t}:"))),
                "{} handles none of {types:?}",
                projection.name
            );
        }
        let emitting: Vec<&str> = scenario
            .projections
            .iter()
            .filter(|p| p.source.contains("emit("))
            .map(|p| p.name)
            .collect();
        for name in emitting {
            let projection = scenario
                .projections
                .iter()
                .find(|p| p.name == name)
                .unwrap();
            assert!(
                projection.emit,
                "{name} emits, so it is created with emit on"
            );
        }
    }
}

#[test]
fn every_step_is_undone_at_load_and_done_when_its_check_is_satisfied() {
    for scenario in SCENARIOS {
        assert!(
            (3..=5).contains(&scenario.steps.len()),
            "{} has {} steps",
            scenario.id,
            scenario.steps.len()
        );
        let store = loaded(scenario);
        let at_load = facts_at_load(scenario, &store);
        for step in scenario.steps {
            assert!(
                !step.check.holds(&at_load),
                "{}: \"{}\" is done before anyone did it",
                scenario.id,
                step.title
            );
            let mut done = at_load.clone();
            satisfy(&step.check, &mut done);
            assert!(
                step.check.holds(&done),
                "{}: \"{}\"",
                scenario.id,
                step.title
            );
        }
    }
}

#[test]
fn inputs_keep_metadata_absent_when_the_scenario_gives_none() {
    let event = &crate::sample::BANK_ACCOUNTS[1];
    assert_eq!(event.metadata, "{}");
    let input = event.input().unwrap();
    assert!(input.metadata.is_none());
    assert_eq!(input.id, Some(Value::String(event.id.into())));
    let opened = crate::sample::BANK_ACCOUNTS[0].input().unwrap();
    assert_eq!(
        opened.metadata.unwrap().get(),
        r#"{"$correlationId":"onboarding-ada"}"#
    );
}

#[test]
fn a_retry_expects_what_the_first_append_expected() {
    let plan = SCENARIOS[3].planned_appends();
    let expected: Vec<ExpectedVersion> = plan
        .iter()
        .filter(|append| append.event.stream == "gateway-payments")
        .map(|append| append.expected)
        .collect();
    use ExpectedVersion::{Exact, NoStream};
    assert_eq!(
        expected,
        [
            NoStream,
            Exact(0),
            Exact(1),
            Exact(0),
            Exact(1),
            Exact(2),
            Exact(3),
            Exact(4)
        ]
    );
}
