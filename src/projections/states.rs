//! Reading a projection: its states, partitions and result once it has
//! caught up, a faulted one's states as of its last good event, and
//! one-time queries. Waiting is on the projection's runs, never on a timer.

use std::rc::Rc;

use serde_json::Value;
use wasm_bindgen_futures::JsFuture;

use super::host::{unexpected, Projection, ProjectionHost};
use super::protocol::{Reply, Request};
use super::run::{RunFailed, RunSpec};
use super::system::keeps_no_state;
use super::worker::{ReducerWorker, WorkerFailure};
use super::{PartitionStates, ProjectionError, ProjectionView, QueryOutcome, RunFault};
use crate::core::projection::ProjectionStatus;
use crate::core::StoreError;

pub(super) fn faulted(failure: WorkerFailure) -> ProjectionError {
    ProjectionError::Faulted(failure.reason())
}

impl ProjectionHost {
    /// The state of a partition (the root with none, the shared state of a
    /// biState projection) and its result, once everything appended so far
    /// is processed.
    pub async fn state(
        self: &Rc<Self>,
        name: &str,
        partition: Option<&str>,
    ) -> Result<(Option<Value>, Option<Value>), ProjectionError> {
        let worker = self.caught_up_worker(name).await?;
        state_of(&worker, partition).await
    }

    /// [`state`](Self::state) as far as the projection has processed, at
    /// once: KurrentDB's projections are eventually consistent, and this
    /// shows it.
    pub async fn state_so_far(
        self: &Rc<Self>,
        name: &str,
        partition: Option<&str>,
    ) -> Result<(Option<Value>, Option<Value>), ProjectionError> {
        self.refuse_for_system(name, keeps_no_state)?;
        let projection = self.get(name)?;
        let record = projection.record.borrow().clone();
        if record.status == ProjectionStatus::Faulted {
            return Err(ProjectionError::Faulted(
                record
                    .reason
                    .unwrap_or_else(|| "the projection is faulted".into()),
            ));
        }
        let worker = self
            .worker_for(&projection, projection.epoch.get())
            .await
            .map_err(faulted)?;
        // A worker just started from the checkpoint may be behind the log:
        // it goes on catching up, as a live projection does.
        self.kick(name);
        state_of(&worker, partition).await
    }

    /// Every partition's state, once caught up, in creation order.
    pub async fn partition_states(
        self: &Rc<Self>,
        name: &str,
    ) -> Result<PartitionStates, ProjectionError> {
        let worker = self.caught_up_worker(name).await?;
        partition_states_of(&worker).await
    }

    pub async fn partitions(self: &Rc<Self>, name: &str) -> Result<Vec<String>, ProjectionError> {
        let worker = self.caught_up_worker(name).await?;
        match worker
            .request(&Request::Partitions, None)
            .await
            .map_err(faulted)?
        {
            Reply::Partitions { keys } => Ok(keys),
            other => Err(unexpected("partitions", &other)),
        }
    }

    /// Everything a projection's page shows of its states, once caught up.
    pub async fn view(self: &Rc<Self>, name: &str) -> Result<ProjectionView, ProjectionError> {
        let worker = self.caught_up_worker(name).await?;
        view_of(&worker).await
    }

    /// A faulted projection's states as of the last event before the fault,
    /// which its row's progress names. They are folded again from the
    /// checkpoint when this page has not kept them (after a reload, or when
    /// another tab saw the fault).
    pub async fn last_good_view(
        self: &Rc<Self>,
        name: &str,
    ) -> Result<ProjectionView, ProjectionError> {
        let projection = self.get(name)?;
        let kept = projection.last_good.borrow().clone();
        let worker = match kept {
            Some(worker) => worker,
            None => self.fold_last_good(&projection).await?,
        };
        view_of(&worker).await
    }

    async fn fold_last_good(
        &self,
        projection: &Projection,
    ) -> Result<Rc<ReducerWorker>, ProjectionError> {
        let epoch = projection.epoch.get();
        let record = projection.record.borrow().clone();
        if record.status != ProjectionStatus::Faulted {
            return Err(ProjectionError::Faulted(format!(
                "projection '{}' is {}, not faulted",
                record.name, record.status
            )));
        }
        let (worker, _) = self
            .fold_to(&RunSpec::of(&record), record.position)
            .await
            .map_err(|failed| ProjectionError::Faulted(failed.reason))?;
        if projection.epoch.get() == epoch {
            *projection.last_good.borrow_mut() = Some(Rc::clone(&worker));
        }
        Ok(worker)
    }

    /// The projection's worker once it has caught up.
    async fn caught_up_worker(
        self: &Rc<Self>,
        name: &str,
    ) -> Result<Rc<ReducerWorker>, ProjectionError> {
        self.refuse_for_system(name, keeps_no_state)?;
        let projection = self.caught_up(name).await?;
        self.worker_for(&projection, projection.epoch.get())
            .await
            .map_err(faulted)
    }

    /// Runs `source` once over the whole log in a worker of its own. It is
    /// never saved and never writes.
    pub async fn query(&self, source: &str) -> Result<QueryOutcome, ProjectionError> {
        self.dry_run(source, &[]).await.map_err(|fault| fault.error)
    }

    /// [`query`](Self::query), with the source line a fault points at: for
    /// trying a draft before it is saved. `owned_streams` are the streams
    /// the projection writes, which its saved run never reads back, so the
    /// draft's run does not either.
    pub async fn dry_run(
        &self,
        source: &str,
        owned_streams: &[String],
    ) -> Result<QueryOutcome, RunFault> {
        // KurrentDB's one-time and transient projections never emit, and
        // write no results.
        let run = RunSpec::one_time(source, false, owned_streams);
        let failed = |failed: RunFailed| RunFault {
            error: ProjectionError::Faulted(failed.reason),
            line: failed.line,
        };
        let plain = |error: ProjectionError| RunFault { error, line: None };
        let (worker, _) = self
            .spawn_defined(&run)
            .await
            .map_err(|failure| failed(self.run_failed(failure)))?;
        let head = self.head().await.map_err(|e| plain(e.into()))?;
        // A query sees what a live projection would: `fromCategory` no
        // further than `$by_category` has processed.
        let head = self.readable_head(&worker.reads(), head);
        let (worker, caught_up) = self
            .run_watched(&run, Rc::new(worker), head)
            .await
            .map_err(failed)?;
        let view = view_of(&worker).await.map_err(plain)?;
        Ok(QueryOutcome {
            state: view.state,
            result: view.result,
            partitions: view.partitions,
            logs: caught_up.logs,
            shape: view.shape,
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
                self.worker_for(&projection, projection.epoch.get())
                    .await
                    .map_err(faulted)?;
                continue;
            }
            let head = self.head().await?;
            let head = self.readable_head(&projection.record.borrow().reads, head);
            if !projection.schedule.borrow().is_running() && position >= head {
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

pub(super) async fn state_of(
    worker: &ReducerWorker,
    partition: Option<&str>,
) -> Result<(Option<Value>, Option<Value>), ProjectionError> {
    let request = Request::State {
        partition: partition.map(str::to_string),
    };
    match worker.request(&request, None).await.map_err(faulted)? {
        Reply::State { state, result } => Ok((state, result)),
        other => Err(unexpected("state", &other)),
    }
}

pub(super) async fn partition_states_of(
    worker: &ReducerWorker,
) -> Result<PartitionStates, ProjectionError> {
    match worker
        .request(&Request::Checkpoint, None)
        .await
        .map_err(faulted)?
    {
        Reply::Checkpoint { checkpoint } => Ok(checkpoint.partitions),
        other => Err(unexpected("checkpoint", &other)),
    }
}

pub(super) async fn view_of(worker: &ReducerWorker) -> Result<ProjectionView, ProjectionError> {
    let (state, result) = state_of(worker, None).await?;
    Ok(ProjectionView {
        shape: worker.shape(),
        state,
        result,
        partitions: partition_states_of(worker).await?,
    })
}
