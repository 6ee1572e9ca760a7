//! Time travel on the host side: each projection's states as of any
//! position, what one event did, what-if runs, and comparing reducers.
//!
//! **One runtime.** Every answer comes from a reducer worker running the
//! projection's own source through the same dialect and fold as the live
//! projection, in travel mode (`protocol.rs`: a throwing handler is
//! recorded and its event left out; nothing is written). Each projection
//! has one traveler worker of its own beside its live one, which keeps
//! snapshots as it folds, so a move of the cursor folds at most a
//! snapshot's interval of events. Requests to a traveler go through a gate,
//! one at a time: a travel and the state read after it must not interleave
//! with another's.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::compare::{divergences, Divergence};
use super::host::{unexpected, Projection, ProjectionHost};
use super::protocol::{EventChange, Fault, Reply, Request, TraceStep};
use super::run::RunSpec;
use super::states::{faulted, partition_states_of, state_of, view_of};
use super::system::keeps_no_state;
use super::worker::ReducerWorker;
use super::{ProjectionError, ProjectionView};
use crate::core::diff::{diff, PathChange};
use serde_json::Value;

/// A projection's traveler: its worker, for the run it was defined for.
pub(super) struct Traveler {
    worker: Rc<ReducerWorker>,
    gate: Rc<Gate>,
}

/// A projection as of a position, and the handlers that threw up to there.
pub struct ViewAt {
    pub view: ProjectionView,
    pub faults: Vec<Fault>,
}

/// What one event did to a projection, with the diff of the partition it
/// touched.
pub struct ChangeAt {
    pub change: EventChange,
    pub diff: Vec<PathChange>,
    pub shared_diff: Vec<PathChange>,
}

/// Two reducers over the same events up to `at`.
pub struct Comparison {
    pub at: i64,
    pub current: ProjectionView,
    pub draft: ProjectionView,
    pub draft_faults: Vec<Fault>,
    /// Per partition, the first position where the states differ; the
    /// first of them is the first difference.
    pub divergences: Vec<Divergence>,
}

impl ProjectionHost {
    /// A partition's state and result as of `at` (-1: before any event).
    pub async fn state_at(
        self: &Rc<Self>,
        name: &str,
        partition: Option<&str>,
        at: i64,
    ) -> Result<(Option<Value>, Option<Value>), ProjectionError> {
        let (traveler, _guard, _) = self.traveled(name, at).await?;
        state_of(&traveler, partition).await
    }

    /// The partition keys as of `at`.
    pub async fn partitions_at(
        self: &Rc<Self>,
        name: &str,
        at: i64,
    ) -> Result<Vec<String>, ProjectionError> {
        let (traveler, _guard, _) = self.traveled(name, at).await?;
        Ok(partition_states_of(&traveler)
            .await?
            .into_iter()
            .map(|(key, _)| key)
            .collect())
    }

    /// Everything a projection's page shows of its states, as of `at`.
    pub async fn view_at(self: &Rc<Self>, name: &str, at: i64) -> Result<ViewAt, ProjectionError> {
        let (traveler, _guard, faults) = self.traveled(name, at).await?;
        Ok(ViewAt {
            view: view_of(&traveler).await?,
            faults,
        })
    }

    /// What the event at `position` did to the projection; `None` when the
    /// projection left it out (its source or its handlers did not take it).
    pub async fn change_at(
        self: &Rc<Self>,
        name: &str,
        position: i64,
    ) -> Result<Option<ChangeAt>, ProjectionError> {
        let projection = self.traveling(name)?;
        let (worker, gate) = self.traveler_of(&projection).await?;
        let _guard = gate.enter().await;
        let request = Request::Change {
            database: self.database.clone(),
            at: position,
            owned_streams: projection.record.borrow().emitted_streams.clone(),
        };
        let change = match self.ask(&projection, &worker, &request).await? {
            Reply::Changed { change } => *change,
            other => return Err(unexpected("change", &other)),
        };
        if !change.handled {
            return Ok(None);
        }
        let diff = diff(change.before.as_ref(), change.after.as_ref());
        let shared_diff = diff_of(change.shared_before.as_ref(), change.shared_after.as_ref());
        Ok(Some(ChangeAt {
            change,
            diff,
            shared_diff,
        }))
    }

    /// A one-time run of `source` as of `at`, leaving out the events at
    /// `skip`: it writes nothing, and its own worker ends with it.
    pub async fn query_at(
        self: &Rc<Self>,
        source: &str,
        at: i64,
        skip: &[i64],
    ) -> Result<ViewAt, ProjectionError> {
        // A query never emits (KurrentDB's one-time projections cannot).
        let worker = self.one_time(source, false).await?;
        let faults = self.travel(&worker, at, skip, &[]).await?;
        Ok(ViewAt {
            view: view_of(&worker).await?,
            faults,
        })
    }

    /// The projection `name` and a draft of its source, both run over the
    /// events up to `at` (capped at what the projection may read), side
    /// by side, with where their states first differ.
    pub async fn compare(
        self: &Rc<Self>,
        name: &str,
        draft: &str,
        at: i64,
    ) -> Result<Comparison, ProjectionError> {
        let projection = self.traveling(name)?;
        let record = projection.record.borrow().clone();
        // Travel writes nothing; with the projection's own emit setting,
        // an emitting handler runs as it does live instead of faulting.
        let current = self.one_time(&record.source, record.emit_enabled).await?;
        let candidate = self.one_time(draft, record.emit_enabled).await?;
        let head = self.head().await?;
        let at = at.min(self.readable_head(&record.reads, head));
        let owned = &record.emitted_streams;
        let current_trace = self.trace(&current, at, owned).await?;
        let draft_trace = self.trace(&candidate, at, owned).await?;
        let draft_faults = self.travel(&candidate, at, &[], owned).await?;
        Ok(Comparison {
            at,
            current: view_of(&current).await?,
            draft: view_of(&candidate).await?,
            draft_faults,
            divergences: divergences(&current_trace, &draft_trace),
        })
    }

    /// The projection's traveler, moved to `at` (capped at what it may
    /// read), held by the gate until the guard drops.
    async fn traveled(
        self: &Rc<Self>,
        name: &str,
        at: i64,
    ) -> Result<(Rc<ReducerWorker>, GateGuard, Vec<Fault>), ProjectionError> {
        let projection = self.traveling(name)?;
        let (worker, gate) = self.traveler_of(&projection).await?;
        let guard = gate.enter().await;
        // The worker stops at the log's end by itself; only a stopped system
        // projection's link streams bound it further.
        let reads = projection.record.borrow().reads.clone();
        let at = at.min(self.readable_head(&reads, i64::MAX));
        let owned = projection.record.borrow().emitted_streams.clone();
        let faults = match self.travel(&worker, at, &[], &owned).await {
            Ok(faults) => faults,
            Err(error) => {
                // A hung worker is gone; the next travel starts another.
                projection.traveler.borrow_mut().take();
                return Err(error);
            }
        };
        Ok((worker, guard, faults))
    }

    /// The projection, unless it is a system projection (no state to see).
    fn traveling(&self, name: &str) -> Result<Rc<Projection>, ProjectionError> {
        self.refuse_for_system(name, keeps_no_state)?;
        self.get(name)
    }

    async fn traveler_of(
        self: &Rc<Self>,
        projection: &Rc<Projection>,
    ) -> Result<(Rc<ReducerWorker>, Rc<Gate>), ProjectionError> {
        if let Some(traveler) = &*projection.traveler.borrow() {
            return Ok((Rc::clone(&traveler.worker), Rc::clone(&traveler.gate)));
        }
        let epoch = projection.epoch.get();
        let record = projection.record.borrow().clone();
        let run = RunSpec {
            checkpoint: None,
            ..RunSpec::of(&record)
        };
        let (worker, _) = self
            .spawn_defined(&run)
            .await
            .map_err(|failure| ProjectionError::Faulted(self.run_failed(failure).reason))?;
        let worker = Rc::new(worker);
        let gate = Rc::new(Gate::default());
        // A reset or update meanwhile made this worker's source stale.
        if projection.epoch.get() == epoch {
            *projection.traveler.borrow_mut() = Some(Traveler {
                worker: Rc::clone(&worker),
                gate: Rc::clone(&gate),
            });
        }
        Ok((worker, gate))
    }

    /// A defined worker for `source` that saves and writes nothing.
    async fn one_time(
        &self,
        source: &str,
        emit_enabled: bool,
    ) -> Result<Rc<ReducerWorker>, ProjectionError> {
        let run = RunSpec::one_time(source, emit_enabled, &[]);
        let (worker, _) = self
            .spawn_defined(&run)
            .await
            .map_err(|failure| ProjectionError::Faulted(self.run_failed(failure).reason))?;
        Ok(Rc::new(worker))
    }

    async fn travel(
        &self,
        worker: &ReducerWorker,
        at: i64,
        skip: &[i64],
        owned: &[String],
    ) -> Result<Vec<Fault>, ProjectionError> {
        let request = Request::Travel {
            database: self.database.clone(),
            at,
            skip: skip.to_vec(),
            owned_streams: owned.to_vec(),
        };
        match self.watched(worker, &request).await? {
            Reply::Traveled { faults, .. } => Ok(faults),
            other => Err(unexpected("travel", &other)),
        }
    }

    async fn trace(
        &self,
        worker: &ReducerWorker,
        to: i64,
        owned: &[String],
    ) -> Result<Vec<TraceStep>, ProjectionError> {
        let request = Request::Trace {
            database: self.database.clone(),
            to,
            owned_streams: owned.to_vec(),
        };
        match self.watched(worker, &request).await? {
            Reply::Traced { steps } => Ok(steps),
            other => Err(unexpected("trace", &other)),
        }
    }

    /// A request to a projection's traveler; a hung one is dropped.
    async fn ask(
        &self,
        projection: &Projection,
        worker: &ReducerWorker,
        request: &Request,
    ) -> Result<Reply, ProjectionError> {
        let reply = self.watched(worker, request).await;
        if reply.is_err() {
            projection.traveler.borrow_mut().take();
        }
        reply
    }

    /// A request under the watchdog: a handler that never returns ends the
    /// worker, and the answer says so.
    async fn watched(
        &self,
        worker: &ReducerWorker,
        request: &Request,
    ) -> Result<Reply, ProjectionError> {
        let limit = self.handler_timeout_ms.get();
        worker.request(request, Some(limit)).await.map_err(|failure| {
            match failure {
                super::worker::WorkerFailure::Hung { .. } => ProjectionError::Faulted(format!(
                    "a handler ran longer than the {limit} ms limit while traveling; the worker was stopped"
                )),
                other => faulted(other),
            }
        })
    }
}

fn diff_of(before: Option<&Value>, after: Option<&Value>) -> Vec<PathChange> {
    if before.is_none() && after.is_none() {
        return Vec::new();
    }
    diff(before, after)
}

/// One caller at a time: a travel and the reads after it belong together.
#[derive(Default)]
pub(super) struct Gate {
    busy: Cell<bool>,
    waiting: RefCell<VecDeque<Function>>,
}

pub(super) struct GateGuard(Rc<Gate>);

impl Gate {
    async fn enter(self: &Rc<Self>) -> GateGuard {
        while self.busy.get() {
            let turn = Promise::new(&mut |resolve, _| self.waiting.borrow_mut().push_back(resolve));
            // The promise only ever resolves: there is no error to handle.
            let _turn = JsFuture::from(turn).await;
        }
        self.busy.set(true);
        GateGuard(Rc::clone(self))
    }
}

impl Drop for GateGuard {
    fn drop(&mut self) {
        self.0.busy.set(false);
        if let Some(next) = self.0.waiting.borrow_mut().pop_front() {
            if let Err(error) = next.call0(&JsValue::UNDEFINED) {
                web_sys::console::error_1(&error);
            }
        }
    }
}
