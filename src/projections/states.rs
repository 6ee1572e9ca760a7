//! Reading a projection: its states, partitions and result once it has
//! caught up, and one-time queries. Waiting is on the projection's runs,
//! never on a timer.

use std::rc::Rc;

use serde_json::Value;
use wasm_bindgen_futures::JsFuture;

use super::catch_up::RunSpec;
use super::host::{unexpected, Projection, ProjectionHost};
use super::protocol::{Reply, Request};
use super::worker::WorkerFailure;
use super::{PartitionStates, ProjectionError, QueryOutcome};
use crate::core::projection::ProjectionStatus;
use crate::core::StoreError;

impl ProjectionHost {
    /// The state of a partition (the root with none, the shared state of a
    /// biState projection) and its result, once everything appended so far
    /// is processed.
    pub async fn state(
        self: &Rc<Self>,
        name: &str,
        partition: Option<&str>,
    ) -> Result<(Option<Value>, Option<Value>), ProjectionError> {
        let request = Request::State {
            partition: partition.map(str::to_string),
        };
        match self.ask(name, &request).await? {
            Reply::State { state, result } => Ok((state, result)),
            other => Err(unexpected("state", &other)),
        }
    }

    /// Every partition's state, once caught up, in creation order.
    pub async fn partition_states(
        self: &Rc<Self>,
        name: &str,
    ) -> Result<PartitionStates, ProjectionError> {
        match self.ask(name, &Request::Checkpoint).await? {
            Reply::Checkpoint { checkpoint } => Ok(checkpoint.partitions),
            other => Err(unexpected("checkpoint", &other)),
        }
    }

    pub async fn partitions(self: &Rc<Self>, name: &str) -> Result<Vec<String>, ProjectionError> {
        match self.ask(name, &Request::Partitions).await? {
            Reply::Partitions { keys } => Ok(keys),
            other => Err(unexpected("partitions", &other)),
        }
    }

    /// Asks a projection's worker once it has caught up.
    async fn ask(self: &Rc<Self>, name: &str, request: &Request) -> Result<Reply, ProjectionError> {
        let projection = self.caught_up(name).await?;
        let worker = self.worker_for(&projection, projection.epoch.get()).await?;
        worker
            .request(request, None)
            .await
            .map_err(|failure| ProjectionError::Faulted(failure.reason()))
    }

    /// Runs `source` once over the whole log in a worker of its own. It is
    /// never saved and never writes.
    pub async fn query(&self, source: &str) -> Result<QueryOutcome, ProjectionError> {
        let faulted = |failure: WorkerFailure| ProjectionError::Faulted(failure.reason());
        let run = RunSpec {
            source,
            checkpoint: None,
            owned_streams: &[],
        };
        let (worker, _) = self.spawn_defined(&run).await.map_err(faulted)?;
        let worker = Rc::new(worker);
        let head = self.head().await?;
        let (worker, caught_up) = self
            .run_watched(&run, worker, head)
            .await
            .map_err(|failure| ProjectionError::Faulted(failure.0))?;
        let (state, result) = match worker
            .request(&Request::State { partition: None }, None)
            .await
            .map_err(faulted)?
        {
            Reply::State { state, result } => (state, result),
            other => return Err(unexpected("state", &other)),
        };
        let partitions = match worker
            .request(&Request::Checkpoint, None)
            .await
            .map_err(faulted)?
        {
            Reply::Checkpoint { checkpoint } => checkpoint.partitions,
            other => return Err(unexpected("checkpoint", &other)),
        };
        Ok(QueryOutcome {
            state,
            result,
            partitions,
            logs: caught_up.logs,
        })
    }

    /// Waits until the projection has processed everything appended so far,
    /// or stopped. It waits on the projection's runs, never on a timer.
    pub(super) async fn caught_up(
        self: &Rc<Self>,
        name: &str,
    ) -> Result<Rc<Projection>, ProjectionError> {
        loop {
            if self.is_closed() {
                return Err(StoreError::Unavailable(
                    "this tab let go of the sandbox because a newer version opened it; reload this page".into(),
                )
                .into());
            }
            let projection = self.get(name)?;
            let (status, position, reason) = {
                let record = projection.record.borrow();
                (record.status, record.position, record.reason.clone())
            };
            match status {
                ProjectionStatus::Faulted => {
                    return Err(ProjectionError::Faulted(
                        reason.unwrap_or_else(|| "the projection is faulted".into()),
                    ))
                }
                ProjectionStatus::Stopped | ProjectionStatus::Completed => return Ok(projection),
                ProjectionStatus::Running => {}
            }
            if projection.worker.borrow().is_none() && !projection.schedule.borrow().is_running() {
                // A worker starts where the saved checkpoint is, which may
                // be behind the row's progress: start it, then look again.
                self.worker_for(&projection, projection.epoch.get()).await?;
                continue;
            }
            if !projection.schedule.borrow().is_running() && position >= self.head().await? {
                return Ok(projection);
            }
            let woken = projection.wait();
            self.kick(name);
            // Only a running catch-up wakes waiters; if none runs (the
            // projection stopped or faulted meanwhile), look again instead.
            let running = projection.record.borrow().status == ProjectionStatus::Running
                && projection.schedule.borrow().is_running();
            if running {
                // The promise only ever resolves: there is no error to handle.
                let _woken = JsFuture::from(woken).await;
            }
        }
    }
}
