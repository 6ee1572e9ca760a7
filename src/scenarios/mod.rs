//! The scenario gallery: small worlds for a workshop, each a story, its
//! events (fixed ids and times, so two tabs loading one agree and tests can
//! name them), the projections that read them, and guided steps whose
//! checks say when a step is done.
//!
//! Everything here is data and pure functions, built on every target; the
//! service loads a scenario (`service::scenario`) and gathers the facts the
//! checks read.

/// A scenario event: stream, id, created (ms since the epoch), type, and
/// data and metadata as JSON text (`{}` metadata: none).
macro_rules! event {
    ($stream:expr, $id:expr, $created_millis:expr, $event_type:expr, $data:expr, $metadata:expr $(,)?) => {
        $crate::sample::SampleEvent {
            stream: $stream,
            id: $id,
            created_millis: $created_millis,
            event_type: $event_type,
            data: $data,
            metadata: $metadata,
        }
    };
}

mod bank;
pub mod check;
mod order_fulfilment;
mod replayed_events;
mod shopping_cart;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};

use crate::core::{ExpectedVersion, StoreError};
use crate::sample::SampleEvent;
pub use check::{Check, Compare, EventFact, Facts, Needs, Probe};

/// A continuous projection a scenario creates.
#[derive(Debug)]
pub struct ScenarioProjection {
    pub name: &'static str,
    pub source: &'static str,
    /// KurrentDB's `emitEnabled`: whether it may write events.
    pub emit: bool,
}

/// One guided step: what to do, and the check that says it is done.
#[derive(Debug)]
pub struct Step {
    pub title: &'static str,
    /// How to do it, naming the page to do it on.
    pub hint: &'static str,
    pub check: Check,
}

pub struct Scenario {
    /// The address's `?scenario=` and the base of the sandbox's name.
    pub id: &'static str,
    pub title: &'static str,
    pub story: &'static str,
    /// In the order they are appended. An event whose id its stream already
    /// holds is a retry: it is appended again with the expected version it
    /// had the first time, and the store recognises it.
    pub events: &'static [SampleEvent],
    pub projections: &'static [ScenarioProjection],
    pub steps: &'static [Step],
}

/// Every scenario, in the gallery's order.
pub const SCENARIOS: &[&Scenario] = &[
    &bank::SCENARIO,
    &shopping_cart::SCENARIO,
    &order_fulfilment::SCENARIO,
    &replayed_events::SCENARIO,
];

/// The scenario called `id`, or an error naming the ones there are.
pub fn find(id: &str) -> Result<&'static Scenario, StoreError> {
    SCENARIOS
        .iter()
        .copied()
        .find(|scenario| scenario.id == id)
        .ok_or_else(|| {
            StoreError::InvalidArgument(format!(
                "there is no scenario called {id:?}; the scenarios are {}",
                known_ids()
            ))
        })
}

/// The scenarios' ids, quoted and comma-separated, for messages.
pub fn known_ids() -> String {
    SCENARIOS
        .iter()
        .map(|scenario| format!("{:?}", scenario.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One append of a scenario's load.
pub struct PlannedAppend {
    pub event: &'static SampleEvent,
    pub expected: ExpectedVersion,
}

/// What a scenario holds once loaded, for its card.
#[derive(Debug, PartialEq, Eq)]
pub struct Holdings {
    pub events: usize,
    pub streams: usize,
    pub projections: usize,
}

impl Scenario {
    /// The appends that load this scenario, one event each so the streams
    /// interleave as traffic would. Each expects the version before it, so
    /// a second load racing the first (another tab) is recognised, as is a
    /// retry within the scenario.
    pub fn planned_appends(&self) -> Vec<PlannedAppend> {
        let mut next: HashMap<&str, u64> = HashMap::new();
        let mut first_expected: HashMap<(&str, &str), ExpectedVersion> = HashMap::new();
        let mut plan = Vec::with_capacity(self.events.len());
        for event in self.events {
            let key = (event.stream, event.id);
            let expected = match first_expected.get(&key) {
                Some(&retried) => retried,
                None => {
                    let expected = match next.get(event.stream) {
                        Some(&version) => ExpectedVersion::Exact(version - 1),
                        None => ExpectedVersion::NoStream,
                    };
                    *next.entry(event.stream).or_insert(0) += 1;
                    first_expected.insert(key, expected);
                    expected
                }
            };
            plan.push(PlannedAppend { event, expected });
        }
        plan
    }

    pub fn holdings(&self) -> Holdings {
        let written: BTreeSet<(&str, &str)> =
            self.events.iter().map(|e| (e.stream, e.id)).collect();
        let streams: BTreeSet<&str> = self.events.iter().map(|e| e.stream).collect();
        Holdings {
            events: written.len(),
            streams: streams.len(),
            projections: self.projections.len(),
        }
    }

    /// Everything the steps' checks read.
    pub fn needs(&self) -> Needs {
        check::needs_of(self.steps.iter().map(|step| &step.check))
    }
}

/// Milliseconds `minutes` after `base`: scenario times read as a clock.
const fn minutes_after(base: i64, minutes: i64) -> i64 {
    base + minutes * 60_000
}
