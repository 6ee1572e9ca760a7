//! Catching up: after every append, each running projection folds the new
//! events in its worker, writes its outputs, and saves now and then, as its
//! [`Schedule`](super::scheduler::Schedule) says. A hung or throwing handler
//! becomes a `Faulted` status that names the event; so does any failure to
//! read the store, write outputs or save, since a projection that silently
//! stops or silently loses its progress would teach the wrong thing.

use std::rc::Rc;

use super::host::{unexpected, Projection, ProjectionHost};
use super::output::{write_outputs, OutputError};
use super::protocol::{
    Checkpoint, Emitted, LogLine, Progress, Reply, Request, StoreRules, PROTOCOL_VERSION,
};
use super::worker::{now, ReducerWorker, WorkerFailure};
use super::{HostNews, ProjectionError};
use crate::core::projection::ProjectionStatus;
use crate::storage::ProjectionRows;

/// What one run of the reducer needs: its code, the checkpoint it continues
/// from, and the streams it writes (which it never reads back).
pub(super) struct RunSpec<'a> {
    pub source: &'a str,
    pub checkpoint: Option<&'a str>,
    pub owned_streams: &'a [String],
}

/// A `caughtUp` reply.
pub(super) struct CaughtUp {
    pub progress: Progress,
    pub emitted: Vec<Emitted>,
    pub logs: Vec<LogLine>,
}

/// A run that failed: the reason a person reads, and the source line.
pub(super) struct RunFailed(pub String, pub Option<u32>);

/// How a pass ended.
enum Pass {
    /// Nothing left to fold.
    CaughtUp,
    /// Folded, wrote its outputs, recorded its progress.
    Progressed,
    /// A reset or restart began meanwhile: the pass's work is dropped.
    Stale,
    /// The projection is faulted, stopped or superseded: no more passes.
    Ended,
}

impl ProjectionHost {
    /// Starts a catch-up unless one is under way (which then does one more
    /// pass).
    pub(super) fn kick(self: &Rc<Self>, name: &str) {
        let Ok(projection) = self.get(name) else {
            return;
        };
        if self.is_closed() {
            return;
        }
        if projection.record.borrow().status != ProjectionStatus::Running {
            return;
        }
        if !projection.schedule.borrow_mut().kick() {
            return;
        }
        let host = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            host.catch_up(&projection).await;
            let trailing_save = projection.schedule.borrow_mut().finished();
            projection.wake_waiters();
            if let Some(due) = trailing_save {
                host.save_when_due(&projection, due).await;
            }
        });
    }

    /// Folds new events until none are left.
    async fn catch_up(self: &Rc<Self>, projection: &Rc<Projection>) {
        loop {
            projection.schedule.borrow_mut().begin_pass();
            match self.pass(projection).await {
                Pass::Stale => continue,
                Pass::CaughtUp => return,
                // An adopted row (another tab's command) may ask to run on.
                Pass::Ended if projection.schedule.borrow().another_pass() => continue,
                Pass::Ended => return,
                Pass::Progressed => {}
            }
            if projection.schedule.borrow_mut().progressed(now()) {
                if let Err(error) = self.save_progress(projection).await {
                    self.fault(projection, format!("its checkpoint could not be saved, so its progress would be lost on reload: {error}"), None).await;
                    return;
                }
            }
            if !projection.schedule.borrow().another_pass() {
                return;
            }
        }
    }

    async fn pass(self: &Rc<Self>, projection: &Rc<Projection>) -> Pass {
        // Everything below awaits; a reset or restart meanwhile moves the
        // epoch, and then nothing of this pass may be kept.
        let epoch = projection.epoch.get();
        if self.is_closed() || projection.record.borrow().status != ProjectionStatus::Running {
            return Pass::Ended;
        }
        let head = match self.head().await {
            Ok(head) => head,
            Err(error) => {
                self.fault(
                    projection,
                    format!("could not read the sandbox's last position: {error}"),
                    None,
                )
                .await;
                return Pass::Ended;
            }
        };
        if projection.record.borrow().position >= head {
            return Pass::CaughtUp;
        }
        if !self.still_current(projection).await {
            return Pass::Ended;
        }
        if projection.epoch.get() != epoch {
            return Pass::Stale;
        }
        let worker = match self.worker_for(projection, epoch).await {
            Ok(worker) => worker,
            Err(error) => {
                self.fault(projection, error.to_string(), None).await;
                return Pass::Ended;
            }
        };
        if projection.epoch.get() != epoch {
            return Pass::Stale;
        }
        let record = projection.record.borrow().clone();
        let run = RunSpec {
            source: &record.source,
            checkpoint: record.checkpoint.as_deref(),
            owned_streams: &record.emitted_streams,
        };
        let outcome = self.run_watched(&run, worker, head).await;
        if projection.epoch.get() != epoch {
            return Pass::Stale;
        }
        let (worker, caught_up) = match outcome {
            Ok(done) => done,
            Err(RunFailed(reason, line)) => {
                projection.worker.borrow_mut().take();
                self.fault(projection, reason, line).await;
                return Pass::Ended;
            }
        };
        *projection.worker.borrow_mut() = Some(worker);
        projection.keep_logs(caught_up.logs);
        let mut updated = record.clone();
        let written = write_outputs(&*self.store, &mut updated, &caught_up.emitted, |stream| {
            self.owner_of(stream).filter(|owner| *owner != record.name)
        })
        .await;
        if projection.epoch.get() != epoch {
            return Pass::Stale;
        }
        match written {
            Ok(written) => {
                for appended in written {
                    self.tell(HostNews::Appended {
                        stream: appended.stream,
                        result: appended.result,
                    });
                }
            }
            Err(OutputError::Fault(reason)) => {
                projection.worker.borrow_mut().take();
                self.fault(projection, reason, None).await;
                return Pass::Ended;
            }
            Err(OutputError::Superseded(stored)) => {
                self.adopt(projection, stored.map(|row| *row));
                return Pass::Ended;
            }
        }
        let mut current = projection.record.borrow_mut();
        current.emitted_streams = updated.emitted_streams;
        current.position = caught_up.progress.position;
        current.events_processed = caught_up.progress.events_processed;
        current.partitions = caught_up.progress.partitions;
        let name = current.name.clone();
        drop(current);
        self.changed(&name);
        Pass::Progressed
    }

    /// The trailing save: progress left unsaved by a throttled pass is saved
    /// at `due`, unless a pass, a reset or a delete got there first.
    async fn save_when_due(self: &Rc<Self>, projection: &Rc<Projection>, due: f64) {
        gloo::timers::future::TimeoutFuture::new((due - now()).max(0.0) as u32).await;
        if !self.holds(projection) || !projection.schedule.borrow().trailing_save_due() {
            return;
        }
        if let Err(error) = self.save_progress(projection).await {
            self.fault(projection, format!("its checkpoint could not be saved, so its progress would be lost on reload: {error}"), None).await;
        }
    }

    /// Reads the stored row before a fold: if another tab changed the run,
    /// that row is adopted and the pass ends; if not, the streams it claimed
    /// for this projection are learned, so the fold never reads them back.
    async fn still_current(self: &Rc<Self>, projection: &Rc<Projection>) -> bool {
        let name = projection.record.borrow().name.clone();
        let stored = match self.store.projection(&name).await {
            Ok(stored) => stored,
            Err(error) => {
                self.fault(
                    projection,
                    format!("could not read its own row: {error}"),
                    None,
                )
                .await;
                return false;
            }
        };
        match stored {
            Some(stored) if projection.record.borrow().same_run_as(&stored) => {
                projection.record.borrow_mut().keep_claims_of(&stored);
                true
            }
            stored => {
                self.adopt(projection, stored);
                false
            }
        }
    }

    /// Marks the projection faulted and saves that. A fault that cannot be
    /// saved is still shown on this page; the console says why it is not
    /// durable.
    async fn fault(&self, projection: &Projection, reason: String, line: Option<u32>) {
        if self.is_closed() {
            // The store was taken away mid-pass; that is not the
            // projection's fault, and its saved row stays as it was.
            projection.wake_waiters();
            return;
        }
        projection.record.borrow_mut().fault(reason, line);
        if let Err(error) = self.publish_row(projection).await {
            web_sys::console::error_1(
                &format!("could not save a projection's fault: {error}").into(),
            );
            let name = projection.record.borrow().name.clone();
            self.changed(&name);
        }
        projection.wake_waiters();
    }

    /// Runs the worker up to `head`. A worker that goes silent is ended and
    /// the run repeated from the checkpoint in careful mode, where the
    /// worker names each event before it hands it over, to find the one
    /// whose handler never returned.
    pub(super) async fn run_watched(
        &self,
        run: &RunSpec<'_>,
        worker: Rc<ReducerWorker>,
        head: i64,
    ) -> Result<(Rc<ReducerWorker>, CaughtUp), RunFailed> {
        let limit = self.handler_timeout_ms.get();
        let catch_up = |careful| Request::CatchUp {
            database: self.database.clone(),
            to: head,
            careful,
            owned_streams: run.owned_streams.to_vec(),
        };
        let failure = match worker.request(&catch_up(false), Some(limit)).await {
            Ok(reply) => return caught_up(reply).map(|done| (worker, done)),
            Err(WorkerFailure::Hung { .. }) => {
                let careful = match self.spawn_defined(run).await {
                    Ok((careful, _)) => Rc::new(careful),
                    Err(failure) => return Err(self.run_failed(failure)),
                };
                match careful.request(&catch_up(true), Some(limit)).await {
                    Ok(reply) => return caught_up(reply).map(|done| (careful, done)),
                    Err(failure) => failure,
                }
            }
            Err(failure) => failure,
        };
        Err(self.run_failed(failure))
    }

    fn run_failed(&self, failure: WorkerFailure) -> RunFailed {
        let limit = self.handler_timeout_ms.get();
        match failure {
            WorkerFailure::Hung { started: Some(at) } => RunFailed(
                format!("a handler ran longer than the {limit} ms limit at {at}; the worker was stopped"),
                None,
            ),
            WorkerFailure::Hung { started: None } => RunFailed(
                format!("the projection ran longer than the {limit} ms limit without handling an event; the worker was stopped"),
                None,
            ),
            WorkerFailure::Fault(fault) => RunFailed(fault.reason(), fault.line()),
            WorkerFailure::Broken(reason) => RunFailed(reason, None),
        }
    }

    /// The projection's live worker, started (defined and restored from its
    /// checkpoint) when it has none. A worker started from the checkpoint
    /// is where the checkpoint is, so the row's progress goes back to it.
    /// It is kept only if no reset or restart came while it started.
    pub(super) async fn worker_for(
        &self,
        projection: &Projection,
        epoch: u64,
    ) -> Result<Rc<ReducerWorker>, ProjectionError> {
        if let Some(worker) = projection.worker.borrow().clone() {
            return Ok(worker);
        }
        let record = projection.record.borrow().clone();
        let run = RunSpec {
            source: &record.source,
            checkpoint: record.checkpoint.as_deref(),
            owned_streams: &record.emitted_streams,
        };
        let (worker, progress) = self
            .spawn_defined(&run)
            .await
            .map_err(|failure| ProjectionError::Faulted(failure.reason()))?;
        let worker = Rc::new(worker);
        if projection.epoch.get() == epoch {
            let mut current = projection.record.borrow_mut();
            current.position = progress.position;
            current.events_processed = progress.events_processed;
            current.partitions = progress.partitions;
            drop(current);
            *projection.worker.borrow_mut() = Some(Rc::clone(&worker));
        }
        Ok(worker)
    }

    /// A new worker with the run's source defined and its checkpoint
    /// restored, and the progress that checkpoint stands for.
    pub(super) async fn spawn_defined(
        &self,
        run: &RunSpec<'_>,
    ) -> Result<(ReducerWorker, Progress), WorkerFailure> {
        let worker = ReducerWorker::spawn()?;
        let limit = self.handler_timeout_ms.get();
        let define = Request::Define {
            protocol: PROTOCOL_VERSION,
            source: run.source.to_string(),
            timeout_ms: limit,
            rules: StoreRules::current(),
        };
        match worker.request(&define, Some(limit)).await? {
            Reply::Defined { protocol, .. } if protocol == PROTOCOL_VERSION => {}
            Reply::Defined { protocol, .. } => {
                return Err(WorkerFailure::Broken(format!(
                    "the reducer worker speaks protocol {protocol}, this page {PROTOCOL_VERSION}; reload the page to load the matching worker"
                )))
            }
            other => return Err(WorkerFailure::Broken(unexpected("define", &other).to_string())),
        }
        let Some(text) = run.checkpoint else {
            let start = Progress {
                position: -1,
                events_processed: 0,
                partitions: 0,
            };
            return Ok((worker, start));
        };
        let checkpoint: Checkpoint = serde_json::from_str(text).map_err(|e| {
            WorkerFailure::Broken(format!("the saved checkpoint is not readable: {e}"))
        })?;
        let progress = Progress {
            position: checkpoint.position,
            events_processed: checkpoint.events_processed,
            partitions: checkpoint.partitions.len() as u64,
        };
        match worker
            .request(&Request::Restore { checkpoint }, None)
            .await?
        {
            Reply::Restored { .. } => Ok((worker, progress)),
            other => Err(WorkerFailure::Broken(
                unexpected("restore", &other).to_string(),
            )),
        }
    }
}

fn caught_up(reply: Reply) -> Result<CaughtUp, RunFailed> {
    match reply {
        Reply::CaughtUp {
            progress,
            emitted,
            logs,
        } => Ok(CaughtUp {
            progress,
            emitted,
            logs,
        }),
        other => Err(RunFailed(unexpected("catchUp", &other).to_string(), None)),
    }
}
