//! The system projections (`$by_category`, `$by_event_type`,
//! `$by_correlation_id`, `$stream_by_category`, `$streams`) as the host
//! runs them.
//!
//! Their link streams are served from the store's indexes rather than
//! written (`link_streams.rs`; the measured reason is in ARCHITECTURE.md),
//! so a system projection has no worker: running, it has processed every
//! event at once; stopped, it stays where it stopped. What it has
//! processed bounds what its link streams show, and what a projection
//! reading them (`fromCategory(c)` reads `$ce-c`) may fold: with
//! `$by_category` stopped, a `fromCategory` projection sees nothing new,
//! as in KurrentDB.

use std::rc::Rc;

use super::host::{Projection, ProjectionHost};
use super::link_streams::read_link_stream;
use super::ProjectionError;
use crate::core::projection::{
    ProjectionRecord, ProjectionStatus, SystemProjection, NATIVE_SOURCE_PREFIX, SYSTEM_PROJECTIONS,
};
use crate::core::{ReadRequest, RecordedEvent, StoreError};
use crate::storage::ProjectionRows;

impl ProjectionHost {
    /// Adds the system projections a sandbox lacks (a new one, or one made
    /// before they existed), running.
    pub(super) async fn ensure_system_projections(&self) -> Result<(), StoreError> {
        for system in &SYSTEM_PROJECTIONS {
            if self.projections.borrow().contains_key(system.name) {
                continue;
            }
            let record = ProjectionRecord::system(system);
            self.store.save_projection(&record).await?;
            self.projections
                .borrow_mut()
                .insert(system.name.to_string(), Rc::new(Projection::new(record)));
        }
        Ok(())
    }

    /// A system projection's pass: it has processed everything up to `head`.
    pub(super) fn system_pass(&self, projection: &Projection, head: i64) {
        let mut record = projection.record.borrow_mut();
        if record.position < head {
            record.events_processed += (head - record.position) as u64;
            record.position = head;
        }
    }

    /// A system projection stops where `$all` ends now (when it was
    /// running): its link streams show no later event until it starts
    /// again. Any other projection is left as it is.
    pub(super) async fn stop_system(&self, projection: &Projection) -> Result<(), StoreError> {
        let running = {
            let record = projection.record.borrow();
            record.system_projection().is_some() && record.status == ProjectionStatus::Running
        };
        if running {
            self.system_pass(projection, self.head().await?);
        }
        Ok(())
    }

    /// A system projection moved (stopped, started, reset, or another tab
    /// did so): the projections reading its link streams may fold again.
    pub(super) fn kick_readers_of(self: &Rc<Self>, projection: &Projection) {
        if projection.record.borrow().system_projection().is_some() {
            self.appended();
        }
    }

    /// How far a projection that reads `reads` may fold when `$all` ends at
    /// `head`: no further than the system projection writing each link
    /// stream it reads has processed.
    pub(super) fn readable_head(&self, reads: &[String], head: i64) -> i64 {
        reads
            .iter()
            .filter_map(|stream| SystemProjection::writing(stream))
            .map(|(system, _)| self.processed_by(system))
            .fold(head, i64::min)
    }

    /// The last position a system projection has processed; -1 when it
    /// has none (deleted from the store by hand, say).
    pub(super) fn processed_by(&self, system: &SystemProjection) -> i64 {
        let projections = self.projections.borrow();
        let Some(projection) = projections.get(system.name) else {
            return -1;
        };
        let record = projection.record.borrow();
        if record.status == ProjectionStatus::Running {
            // It runs with no worker and processes every event at once;
            // its row may lag by one pass.
            i64::MAX
        } else {
            record.position
        }
    }

    /// Refuses what only user projections allow, saying `why` of the
    /// system projection `name` is.
    pub(super) fn refuse_for_system(
        &self,
        name: &str,
        why: impl Fn(&SystemProjection) -> String,
    ) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        let system = projection.record.borrow().system_projection();
        match system {
            Some(system) => Err(StoreError::InvalidArgument(format!(
                "{name} is a system projection: {}",
                why(system)
            ))
            .into()),
            None => Ok(()),
        }
    }
}

impl ProjectionHost {
    /// A page of a link stream (`$ce-account`), as far as its system
    /// projection has processed; `None` when `stream` is not one.
    pub async fn read_link_stream(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Option<Vec<RecordedEvent>>, StoreError> {
        let Some((system, _)) = SystemProjection::writing(stream) else {
            return Ok(None);
        };
        read_link_stream(&*self.store, stream, request, self.processed_by(system)).await
    }
}

/// Why a system projection has no state to read.
pub(super) fn keeps_no_state(system: &SystemProjection) -> String {
    format!(
        "it keeps no state; it indexes the log into {}",
        system.writes
    )
}

/// A user's source may not name a built-in handler.
pub(super) fn refuse_native_source(source: &str) -> Result<(), ProjectionError> {
    if source.trim_start().starts_with(NATIVE_SOURCE_PREFIX) {
        return Err(StoreError::InvalidArgument(format!(
            "a source starting with '{NATIVE_SOURCE_PREFIX}' names one of KurrentDB's built-in handlers, which only the system projections use; write the projection in JavaScript"
        ))
        .into());
    }
    Ok(())
}
