//! One run of a projection's reducer: a worker defined and restored from a
//! checkpoint, folding up to a position under the watchdog. Catching up,
//! queries and a faulted projection's last good state are all such runs.

use std::rc::Rc;

use super::host::{unexpected, ProjectionHost};
use super::protocol::{
    Checkpoint, Emitted, LogLine, Progress, Reply, Request, StoreRules, PROTOCOL_VERSION,
};
use super::worker::{ReducerWorker, WorkerFailure};
use super::Shape;
use crate::core::projection::ProjectionRecord;

/// What one run of the reducer needs: its code, the checkpoint it continues
/// from, and the streams it writes (which it never reads back).
pub(super) struct RunSpec<'a> {
    pub name: &'a str,
    pub source: &'a str,
    pub emit_enabled: bool,
    pub checkpoint: Option<&'a str>,
    pub owned_streams: &'a [String],
}

impl<'a> RunSpec<'a> {
    /// A run of `source` that is never saved and writes nothing, from the
    /// first event: a query, a Check, a time-travel what-if or comparison.
    pub fn one_time(
        source: &'a str,
        emit_enabled: bool,
        owned_streams: &'a [String],
    ) -> RunSpec<'a> {
        RunSpec {
            name: "",
            source,
            emit_enabled,
            checkpoint: None,
            owned_streams,
        }
    }

    /// A run of the projection `record` describes, from its checkpoint.
    pub fn of(record: &'a ProjectionRecord) -> RunSpec<'a> {
        RunSpec {
            name: &record.name,
            source: &record.source,
            emit_enabled: record.emit_enabled,
            checkpoint: record.checkpoint.as_deref(),
            owned_streams: &record.emitted_streams,
        }
    }
}

/// A `caughtUp` reply.
pub(super) struct CaughtUp {
    pub progress: Progress,
    pub emitted: Vec<Emitted>,
    pub logs: Vec<LogLine>,
}

/// A run that failed: the reason a person reads, the source line, and the
/// position of the event whose handler failed, when one did.
pub(super) struct RunFailed {
    pub reason: String,
    pub line: Option<u32>,
    pub at: Option<i64>,
}

impl RunFailed {
    fn broken(reason: String) -> RunFailed {
        RunFailed {
            reason,
            line: None,
            at: None,
        }
    }
}

/// Puts a run's progress in the projection's row.
pub(super) fn set_progress(record: &mut ProjectionRecord, progress: &Progress) {
    record.position = progress.position;
    record.events_processed = progress.events_processed;
    record.partitions = progress.partitions;
}

/// How many careful runs a projection gets when the worker falls silent
/// before it names any event (see `run_watched`).
const SILENT_START_ATTEMPTS: u32 = 3;

impl ProjectionHost {
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
                let mut attempts = 0;
                loop {
                    let careful = match self.spawn_defined(run).await {
                        Ok((careful, _)) => Rc::new(careful),
                        Err(failure) => return Err(self.run_failed(failure)),
                    };
                    attempts += 1;
                    match careful.request(&catch_up(true), Some(limit)).await {
                        Ok(reply) => return caught_up(reply).map(|done| (careful, done)),
                        // Silent before it named any event: no handler was
                        // running, so the reducer is not to blame. A page
                        // starved of CPU (a slow laptop loading a scenario's
                        // projections at once) delays the heartbeats; try
                        // again before faulting the projection for it.
                        Err(WorkerFailure::Hung { started: None })
                            if attempts < SILENT_START_ATTEMPTS => {}
                        Err(failure) => break failure,
                    }
                }
            }
            Err(failure) => failure,
        };
        Err(self.run_failed(failure))
    }

    /// A new worker from the run's checkpoint, folded up to `to`: for a
    /// faulted projection, its states as of the last event before the
    /// fault. The worker that faulted cannot tell them, since a handler
    /// may have changed its state before it threw.
    pub(super) async fn fold_to(
        &self,
        run: &RunSpec<'_>,
        to: i64,
    ) -> Result<(Rc<ReducerWorker>, CaughtUp), RunFailed> {
        let (worker, _) = self
            .spawn_defined(run)
            .await
            .map_err(|failure| self.run_failed(failure))?;
        self.run_watched(run, Rc::new(worker), to).await
    }

    pub(super) fn run_failed(&self, failure: WorkerFailure) -> RunFailed {
        let limit = self.handler_timeout_ms.get();
        match failure {
            WorkerFailure::Hung { started: Some(at) } => RunFailed {
                reason: format!(
                    "a handler ran longer than the {limit} ms limit at {at}; the worker was stopped"
                ),
                line: None,
                at: Some(at.position),
            },
            WorkerFailure::Hung { started: None } => RunFailed::broken(format!(
                "the projection ran longer than the {limit} ms limit without handling an event; the worker was stopped"
            )),
            WorkerFailure::Fault(fault) => RunFailed {
                reason: fault.reason(),
                line: fault.line(),
                at: fault.at().map(|at| at.position),
            },
            WorkerFailure::Broken(reason) => RunFailed::broken(reason),
        }
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
            name: run.name.to_string(),
            source: run.source.to_string(),
            emit_enabled: run.emit_enabled,
            timeout_ms: limit,
            rules: StoreRules::current(),
        };
        match worker.request(&define, Some(limit)).await? {
            Reply::Defined {
                protocol,
                bi_state,
                partitioned,
                reads,
            } if protocol == PROTOCOL_VERSION => worker.defined_as(
                Shape {
                    partitioned,
                    bi_state,
                },
                reads,
            ),
            Reply::Defined { protocol, .. } => {
                return Err(WorkerFailure::Broken(format!(
                    "the reducer worker speaks protocol {protocol}, this page {PROTOCOL_VERSION}; reload the page to load the matching worker"
                )))
            }
            other => return Err(WorkerFailure::Broken(unexpected("define", &other).to_string())),
        }
        let Some(text) = run.checkpoint else {
            return Ok((worker, Progress::START));
        };
        let checkpoint = Checkpoint::parse(text).map_err(WorkerFailure::Broken)?;
        let progress = checkpoint.progress();
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
        other => Err(RunFailed::broken(unexpected("catchUp", &other).to_string())),
    }
}
