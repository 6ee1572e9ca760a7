//! A guided step's check: a small condition over facts the service gathers
//! from the store, the projections and the time-travel cursor. Evaluating
//! it is pure, so every scenario's checks are tested natively.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// One place in a projection's state: a partition (`None`: the root state)
/// and a path of keys into its JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    pub projection: &'static str,
    pub partition: Option<&'static str>,
    pub path: &'static [&'static str],
}

/// How a value found by a [`Probe`] is compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Compare {
    /// A number below this one.
    Below(f64),
    /// A number at or above this one.
    AtLeast(f64),
    /// Equal to this JSON (text, so it can live in a `const`).
    Equals(&'static str),
}

/// What must hold for a step to be done.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// `stream` holds at least `at_least` events of `event_type`.
    EventsOfType {
        stream: &'static str,
        event_type: &'static str,
        at_least: usize,
    },
    /// The value at `probe` compares as asked.
    State { probe: Probe, compare: Compare },
    /// Both probes find the same value (and find one).
    SameState { left: Probe, right: Probe },
    /// The projection has at least this many partitions.
    Partitions {
        projection: &'static str,
        at_least: usize,
    },
    /// The time-travel cursor is before the event `id` of `stream`.
    CursorBefore {
        stream: &'static str,
        id: &'static str,
    },
    /// The time-travel cursor is before the newest event of `event_type`
    /// in `stream` (one the learner appended, whose id nobody knows ahead).
    CursorBeforeLast {
        stream: &'static str,
        event_type: &'static str,
    },
    /// Every one of these holds.
    All(&'static [Check]),
}

/// One event as a check sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFact {
    pub id: String,
    pub event_type: String,
    pub position: u64,
}

/// What the checks are evaluated over: only what they name is gathered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Each named stream's events in order; a stream with none is absent.
    pub streams: BTreeMap<String, Vec<EventFact>>,
    /// Each probed state, by projection and partition (`""`: the root).
    pub states: BTreeMap<(String, String), Value>,
    pub partitions: BTreeMap<String, usize>,
    /// The cursor's position; `None` when live.
    pub cursor: Option<i64>,
}

/// What the service must gather for a set of checks.
#[derive(Debug, Default, PartialEq)]
pub struct Needs {
    pub streams: BTreeSet<&'static str>,
    /// Projection and partition.
    pub states: BTreeSet<(&'static str, Option<&'static str>)>,
    pub partitions: BTreeSet<&'static str>,
}

impl Facts {
    fn events(&self, stream: &str) -> &[EventFact] {
        self.streams.get(stream).map_or(&[], Vec::as_slice)
    }

    fn value_at(&self, probe: &Probe) -> Option<&Value> {
        let key = (
            probe.projection.to_string(),
            probe.partition.unwrap_or_default().to_string(),
        );
        probe
            .path
            .iter()
            .try_fold(self.states.get(&key)?, |value, step| value.get(step))
    }

    fn cursor_before(&self, event: Option<&EventFact>) -> bool {
        match (self.cursor, event) {
            (Some(at), Some(event)) => at < event.position as i64,
            _ => false,
        }
    }
}

impl Check {
    pub fn holds(&self, facts: &Facts) -> bool {
        match *self {
            Check::EventsOfType {
                stream,
                event_type,
                at_least,
            } => {
                let count = facts
                    .events(stream)
                    .iter()
                    .filter(|event| event.event_type == event_type)
                    .count();
                count >= at_least
            }
            Check::State { probe, compare } => facts
                .value_at(&probe)
                .is_some_and(|value| compare.accepts(value)),
            Check::SameState { left, right } => {
                matches!((facts.value_at(&left), facts.value_at(&right)), (Some(a), Some(b)) if a == b)
            }
            Check::Partitions {
                projection,
                at_least,
            } => facts.partitions.get(projection).copied().unwrap_or(0) >= at_least,
            Check::CursorBefore { stream, id } => {
                facts.cursor_before(facts.events(stream).iter().find(|event| event.id == id))
            }
            Check::CursorBeforeLast { stream, event_type } => facts.cursor_before(
                facts
                    .events(stream)
                    .iter()
                    .rev()
                    .find(|event| event.event_type == event_type),
            ),
            Check::All(checks) => checks.iter().all(|check| check.holds(facts)),
        }
    }

    /// Adds what this check reads to `needs`.
    pub fn add_needs(&self, needs: &mut Needs) {
        let mut probe = |probe: &Probe| {
            needs.states.insert((probe.projection, probe.partition));
        };
        match self {
            Check::EventsOfType { stream, .. }
            | Check::CursorBefore { stream, .. }
            | Check::CursorBeforeLast { stream, .. } => {
                needs.streams.insert(stream);
            }
            Check::State { probe: p, .. } => probe(p),
            Check::SameState { left, right } => {
                probe(left);
                probe(right);
            }
            Check::Partitions { projection, .. } => {
                needs.partitions.insert(projection);
            }
            Check::All(checks) => checks.iter().for_each(|check| check.add_needs(needs)),
        }
    }
}

impl Compare {
    fn accepts(&self, value: &Value) -> bool {
        match *self {
            Compare::Below(limit) => value.as_f64().is_some_and(|n| n < limit),
            Compare::AtLeast(limit) => value.as_f64().is_some_and(|n| n >= limit),
            Compare::Equals(json) => {
                serde_json::from_str::<Value>(json).is_ok_and(|wanted| &wanted == value)
            }
        }
    }
}

/// Everything `checks` read.
pub fn needs_of<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Needs {
    let mut needs = Needs::default();
    for check in checks {
        check.add_needs(&mut needs);
    }
    needs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BALANCE: Probe = Probe {
        projection: "balances",
        partition: Some("account-ada"),
        path: &["balance"],
    };

    fn event(id: &str, event_type: &str, position: u64) -> EventFact {
        EventFact {
            id: id.into(),
            event_type: event_type.into(),
            position,
        }
    }

    fn facts_with_balance(balance: Value) -> Facts {
        let mut facts = Facts::default();
        facts.states.insert(
            ("balances".into(), "account-ada".into()),
            json!({ "balance": balance }),
        );
        facts
    }

    #[test]
    fn a_state_check_reads_the_partition_at_its_path() {
        let overdrawn = Check::State {
            probe: BALANCE,
            compare: Compare::Below(0.0),
        };
        assert!(!overdrawn.holds(&facts_with_balance(json!(425))));
        assert!(overdrawn.holds(&facts_with_balance(json!(-5))));
        assert!(
            !overdrawn.holds(&facts_with_balance(json!("-5"))),
            "text is no number"
        );
        assert!(!overdrawn.holds(&Facts::default()), "no state, not done");
    }

    #[test]
    fn equals_compares_json_values() {
        let shipped = Check::State {
            probe: BALANCE,
            compare: Compare::Equals(r#""shipped""#),
        };
        assert!(shipped.holds(&facts_with_balance(json!("shipped"))));
        assert!(!shipped.holds(&facts_with_balance(json!("paid"))));
    }

    #[test]
    fn same_state_needs_both_values_and_equal_ones() {
        let right = Probe {
            partition: Some("account-grace"),
            ..BALANCE
        };
        let agree = Check::SameState {
            left: BALANCE,
            right,
        };
        let mut facts = facts_with_balance(json!(10));
        assert!(!agree.holds(&facts), "one side missing");
        facts.states.insert(
            ("balances".into(), "account-grace".into()),
            json!({ "balance": 20 }),
        );
        assert!(!agree.holds(&facts));
        facts.states.insert(
            ("balances".into(), "account-grace".into()),
            json!({ "balance": 10 }),
        );
        assert!(agree.holds(&facts));
    }

    #[test]
    fn events_of_type_count_within_the_stream() {
        let two_deposits = Check::EventsOfType {
            stream: "account-ada",
            event_type: "Deposited",
            at_least: 2,
        };
        let mut facts = Facts::default();
        facts.streams.insert(
            "account-ada".into(),
            vec![event("a", "Deposited", 0), event("b", "Withdrawn", 1)],
        );
        assert!(!two_deposits.holds(&facts));
        facts
            .streams
            .get_mut("account-ada")
            .unwrap()
            .push(event("c", "Deposited", 5));
        assert!(two_deposits.holds(&facts));
    }

    #[test]
    fn the_cursor_must_be_set_and_before_the_event() {
        let before = Check::CursorBefore {
            stream: "s",
            id: "b",
        };
        let before_last = Check::CursorBeforeLast {
            stream: "s",
            event_type: "Withdrawn",
        };
        let mut facts = Facts::default();
        facts.streams.insert(
            "s".into(),
            vec![
                event("a", "Withdrawn", 2),
                event("b", "Deposited", 4),
                event("c", "Withdrawn", 7),
            ],
        );
        assert!(!before.holds(&facts), "live is not before anything");
        facts.cursor = Some(4);
        assert!(!before.holds(&facts), "at the event is not before it");
        assert!(
            before_last.holds(&facts),
            "4 is before the last Withdrawn at 7"
        );
        facts.cursor = Some(3);
        assert!(before.holds(&facts));
        facts.cursor = Some(-1);
        assert!(before.holds(&facts));
        let unknown = Check::CursorBefore {
            stream: "s",
            id: "zzz",
        };
        assert!(!unknown.holds(&facts));
    }

    #[test]
    fn partitions_and_all() {
        let both = Check::All(&[
            Check::Partitions {
                projection: "p",
                at_least: 2,
            },
            Check::CursorBefore {
                stream: "s",
                id: "a",
            },
        ]);
        let mut facts = Facts::default();
        facts.partitions.insert("p".into(), 2);
        assert!(!both.holds(&facts));
        facts.streams.insert("s".into(), vec![event("a", "X", 3)]);
        facts.cursor = Some(0);
        assert!(both.holds(&facts));
    }

    #[test]
    fn needs_name_every_stream_state_and_partition_count() {
        let check = Check::All(&[
            Check::SameState {
                left: BALANCE,
                right: Probe {
                    projection: "other",
                    partition: None,
                    path: &[],
                },
            },
            Check::EventsOfType {
                stream: "s",
                event_type: "X",
                at_least: 1,
            },
            Check::Partitions {
                projection: "p",
                at_least: 1,
            },
        ]);
        let needs = needs_of([&check]);
        assert_eq!(needs.streams.into_iter().collect::<Vec<_>>(), ["s"]);
        assert_eq!(
            needs.states.into_iter().collect::<Vec<_>>(),
            [("balances", Some("account-ada")), ("other", None)]
        );
        assert_eq!(needs.partitions.into_iter().collect::<Vec<_>>(), ["p"]);
    }
}
