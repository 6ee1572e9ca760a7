//! A scenario in this sandbox: loading one, which one it holds, and how far
//! its guided steps are done. The steps' checks are pure
//! (`scenarios::check`); this gathers the facts they read, through the
//! store, the projection host and the cursor.
//!
//! Which scenario a sandbox holds, and which steps are ticked, live in its
//! settings. Ticks are sticky: a step done stays done, so "rewind to before
//! the overdraft" keeps its tick once the cursor is back at live, and after
//! a reload.

use super::sandboxes::{load_soon, read_setting, Visit};
use super::Sandbox;
use crate::core::{ReadRequest, StoreError};
use crate::projections::ProjectionError;
use crate::scenarios::{self, EventFact, Facts, Scenario};

/// The setting naming the scenario a sandbox was loaded with.
const SCENARIO: &str = "scenario";
/// The setting listing the steps ticked so far, as indexes: `0,2`.
const TICKED: &str = "scenario-ticked";

/// More events than a workshop's stream holds; a check reads no further.
const EVENTS_READ: usize = 10_000;

impl Sandbox {
    /// Loads the scenario `id` into this sandbox, which must be empty (as
    /// for the sample: mixed with other events it would teach nothing),
    /// creates its projections, and records it in the sandbox's settings.
    ///
    /// The events have fixed ids and each expects the version before it,
    /// so two tabs loading at once write them once.
    pub async fn load_scenario(&self, id: &str) -> Result<&'static Scenario, StoreError> {
        let scenario = scenarios::find(id)?;
        let events = self.event_count().await?;
        if events > 0 {
            return Err(StoreError::SandboxNotEmpty { events });
        }
        for append in scenario.planned_appends() {
            let event = append.event;
            self.write(
                event.stream,
                vec![event.input()?],
                append.expected,
                Some(event.created_millis),
            )
            .await?;
        }
        for projection in scenario.projections {
            match self
                .projections
                .create(projection.name, projection.source, projection.emit)
                .await
            {
                // Another tab loading the same scenario created it first:
                // the same name with the same source.
                Ok(()) | Err(ProjectionError::Exists(_)) => {}
                Err(ProjectionError::Store(error)) => return Err(error),
                Err(error) => {
                    return Err(StoreError::Storage(format!(
                        "the scenario's projection {} could not be created: {error}",
                        projection.name
                    )))
                }
            }
        }
        self.save_setting(SCENARIO, Some(scenario.id), "the scenario")?;
        self.save_setting(TICKED, None, "the scenario's progress")?;
        Ok(scenario)
    }

    /// The scenario this sandbox was loaded with, if any.
    pub fn scenario(&self) -> Option<&'static Scenario> {
        let id = read_setting(&self.name, SCENARIO)?;
        // A setting naming a scenario this build no longer has shows no
        // steps rather than an error on every page.
        scenarios::find(&id).ok()
    }

    /// For each step of this sandbox's scenario, whether it is done: ticked
    /// before, or its check holds now (then it is ticked for good). Empty
    /// when the sandbox holds no scenario.
    pub async fn scenario_progress(&self) -> Result<Vec<bool>, StoreError> {
        let Some(scenario) = self.scenario() else {
            return Ok(Vec::new());
        };
        let facts = self.facts_for(scenario).await?;
        let mut ticked = self.ticked_steps();
        let mut changed = false;
        let done: Vec<bool> = scenario
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                if ticked.contains(&index) {
                    return true;
                }
                let holds = step.check.holds(&facts);
                if holds {
                    ticked.push(index);
                    changed = true;
                }
                holds
            })
            .collect();
        if changed {
            let list: Vec<String> = ticked.iter().map(usize::to_string).collect();
            self.save_setting(TICKED, Some(&list.join(",")), "the scenario's progress")?;
        }
        Ok(done)
    }

    fn ticked_steps(&self) -> Vec<usize> {
        read_setting(&self.name, TICKED)
            .unwrap_or_default()
            .split(',')
            // Anything else in the list was not written here; it ticks nothing.
            .filter_map(|index| index.parse().ok())
            .collect()
    }

    /// What the scenario's checks read, as of now.
    async fn facts_for(&self, scenario: &Scenario) -> Result<Facts, StoreError> {
        let needs = scenario.needs();
        let mut facts = Facts {
            cursor: self.cursor().bound(),
            ..Facts::default()
        };
        for stream in needs.streams {
            let events = match self
                .read_stream(stream, ReadRequest::forwards(0, EVENTS_READ))
                .await
            {
                Ok(events) => events,
                // Not written yet: a stream with no events.
                Err(StoreError::StreamNotFound { .. }) => continue,
                Err(error) => return Err(error),
            };
            let events = events.into_iter().map(|event| EventFact {
                id: event.id,
                event_type: event.event_type,
                position: event.position,
            });
            facts.streams.insert(stream.to_string(), events.collect());
        }
        for (projection, partition) in needs.states {
            let state = match self.projections.state(projection, partition).await {
                Ok((state, _result)) => state,
                Err(error) => unusable(error)?,
            };
            if let Some(state) = state {
                let key = (
                    projection.to_string(),
                    partition.unwrap_or_default().to_string(),
                );
                facts.states.insert(key, state);
            }
        }
        for projection in needs.partitions {
            match self.projections.partitions(projection).await {
                Ok(keys) => {
                    facts.partitions.insert(projection.to_string(), keys.len());
                }
                Err(error) => unusable(error)?,
            }
        }
        Ok(facts)
    }
}

/// A projection the learner deleted, or broke, holds no state a check can
/// read: its checks are simply not done (its own page says what is wrong).
/// Only the store failing is an error.
fn unusable<T: Default>(error: ProjectionError) -> Result<T, StoreError> {
    match error {
        ProjectionError::NotFound(_) | ProjectionError::Faulted(_) => Ok(T::default()),
        ProjectionError::Exists(name) => Err(StoreError::Storage(format!(
            "reading the projection {name} answered that it exists already"
        ))),
        ProjectionError::Store(error) => Err(error),
    }
}

/// Loads the page on `?scenario=<id>`, which makes a fresh sandbox holding
/// the scenario (see `ui::start`). The load starts after the caller's task
/// ends, so a promise resolved now still reaches a script that awaits it.
pub fn open_scenario(scenario: &Scenario) {
    load_soon(
        scenario_address(scenario),
        Visit::Assign,
        "could not load the scenario",
    );
}

/// The address that loads `scenario` into a fresh sandbox, relative to the
/// page: the link a facilitator hands out.
pub fn scenario_address(scenario: &Scenario) -> String {
    // Scenario ids are fixed slugs, so they need no escaping.
    format!("./?scenario={}", scenario.id)
}
