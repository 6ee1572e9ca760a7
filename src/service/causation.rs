//! Causal chains and who handled an event: the reads behind the chain page
//! and the event view's "Handled by".

use crate::core::event::normalize_uuid;
use crate::core::metadata::causation_ids_of;
use crate::core::projection::ProjectionStatus;
use crate::core::{ReadRequest, RecordedEvent, StoreError};
use crate::projections::ChangeAt;
use crate::storage::event_just_before;

use super::Sandbox;

/// At most this many events of a correlation are read for its chain: a
/// correlation is one piece of work, a few events, and a runaway one (a
/// script tagging everything with one id) must not load the whole log.
pub const CHAIN_READ_LIMIT: usize = 1000;

/// At most this many causes named from outside the correlation are looked
/// up (each is a read), so a chain of hundreds stays one quick page.
const OUTSIDE_CAUSE_LOOKUPS: usize = 20;

/// The events of one piece of work, in position order.
pub struct CausalChain {
    /// What the chain is read by: the event's `$correlationId`, or its own
    /// id when it has none (the id its follow-ups carry as theirs).
    pub correlation: String,
    /// The event has no `$correlationId`: the chain is keyed by its id.
    pub keyed_by_own_id: bool,
    /// The correlation's events, the event itself, the event the
    /// correlation is named after and the causes found outside it.
    pub events: Vec<RecordedEvent>,
    /// The correlation has more than [`CHAIN_READ_LIMIT`] events; the rest
    /// were not read.
    pub truncated: bool,
}

impl CausalChain {
    /// Whether `event` carries the chain's correlation (rather than being
    /// here as a cause, or as the event the correlation is named after).
    pub fn carries_correlation(&self, event: &RecordedEvent) -> bool {
        event.correlation_id().as_deref() == Some(self.correlation.as_str())
    }

    fn holds(&self, id: &str) -> bool {
        self.events.iter().any(|event| event.id == id)
    }

    /// Adds `event` in its place by position, unless it is here already.
    fn add(&mut self, event: RecordedEvent) {
        if let Err(at) = self
            .events
            .binary_search_by_key(&event.position, |e| e.position)
        {
            self.events.insert(at, event);
        }
    }
}

/// A projection whose handlers ran for an event, or that could not say.
pub struct Handler {
    pub name: String,
    pub status: ProjectionStatus,
    /// Why it faulted, when it did.
    pub reason: Option<String>,
    /// The last position it processed live.
    pub position: i64,
    /// What its handlers did with the event, or why that could not be told.
    pub change: Result<ChangeAt, String>,
}

impl Sandbox {
    /// The chain `event` belongs to.
    pub async fn causal_chain(&self, event: &RecordedEvent) -> Result<CausalChain, StoreError> {
        let (correlation, keyed_by_own_id) = match event.correlation_id() {
            Some(correlation) => (correlation, false),
            None => (event.id.clone(), true),
        };
        let mut events = self
            .read_by_correlation(&correlation, ReadRequest::forwards(0, CHAIN_READ_LIMIT + 1))
            .await?;
        let truncated = events.len() > CHAIN_READ_LIMIT;
        events.truncate(CHAIN_READ_LIMIT);
        let mut chain = CausalChain {
            correlation,
            keyed_by_own_id,
            events,
            truncated,
        };
        chain.add(event.clone());
        if let Some(named_after) = self.named_after(&chain).await? {
            chain.add(named_after);
        }
        for cause in self.outside_causes(&chain).await? {
            chain.add(cause);
        }
        Ok(chain)
    }

    /// The event whose id the correlation is, when it is not in the chain
    /// and is among the events just before the chain's first.
    async fn named_after(&self, chain: &CausalChain) -> Result<Option<RecordedEvent>, StoreError> {
        let Some(id) = normalize_uuid(&chain.correlation) else {
            return Ok(None);
        };
        match chain.events.first() {
            Some(first) if !chain.holds(&id) => {
                event_just_before(&*self.store, first.position, &id).await
            }
            _ => Ok(None),
        }
    }

    /// The causes the chain's events name that are not in it, where a
    /// cause is looked for (`Sandbox::cause_of`: a projection output's
    /// `$p`, the effect's correlation).
    async fn outside_causes(&self, chain: &CausalChain) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut wanted: Vec<(&RecordedEvent, String)> = Vec::new();
        for effect in &chain.events {
            let named = effect
                .metadata
                .as_deref()
                .map(causation_ids_of)
                .unwrap_or_default();
            for (_, id) in named {
                let Some(id) = normalize_uuid(&id) else {
                    continue;
                };
                if !chain.holds(&id) && !wanted.iter().any(|(_, seen)| *seen == id) {
                    wanted.push((effect, id));
                }
            }
        }
        let mut found = Vec::new();
        for (effect, id) in wanted.into_iter().take(OUTSIDE_CAUSE_LOOKUPS) {
            if let Some(cause) = self.cause_of(effect, &id).await? {
                found.push(cause);
            }
        }
        Ok(found)
    }

    /// The user projections whose handlers ran for the event at
    /// `position`, in name order, from time travel's per-event change (the
    /// projection's own reducer, whatever its status); a projection that
    /// could not be asked is listed with the reason. System projections
    /// keep no state and are left out.
    pub async fn handlers_of(&self, position: u64) -> Vec<Handler> {
        let host = self.projections();
        let mut handlers = Vec::new();
        for record in host.list() {
            if record.system_projection().is_some() {
                continue;
            }
            let change = match host.change_at(&record.name, position as i64).await {
                Ok(None) => continue,
                Ok(Some(change)) => Ok(change),
                Err(error) => Err(error.to_string()),
            };
            handlers.push(Handler {
                name: record.name,
                status: record.status,
                reason: record.reason,
                position: record.position,
                change,
            });
        }
        handlers
    }
}
