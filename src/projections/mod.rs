//! The projection runtime's host side: each projection's lifecycle, its
//! worker, scheduling after appends, checkpoints, and turning a hung or
//! throwing handler into a `Faulted` status that names the event.
//!
//! **Invariant:** reducer code never runs on the page's thread, and a failing
//! reducer cannot touch the store: the worker only reads, and the host writes
//! nothing but the projection's own row.

mod worker;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::core::event::{derived_uuid, validate_event, InputEvent};
use crate::core::projection::{
    validate_projection_name, ProjectionMode, ProjectionRecord, ProjectionStatus,
};
use crate::core::{AppendResult, ExpectedVersion, ReadRequest, StoreError};
use crate::storage::indexeddb::IndexedDbStore;
use crate::storage::EventStore;
use worker::{ReducerWorker, Reply, WorkerFailure};

/// EventStoreDB's `ProjectionExecutionTimeout` default.
pub const DEFAULT_HANDLER_TIMEOUT_MS: u32 = 250;
/// How often a running projection's states are saved while it keeps busy.
const CHECKPOINT_EVERY_MS: f64 = 1000.0;

#[derive(Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
enum Request<'a> {
    Define {
        source: &'a str,
        timeout: u32,
    },
    Restore {
        checkpoint: &'a RawValue,
    },
    #[serde(rename_all = "camelCase")]
    CatchUp {
        database: &'a str,
        to: f64,
        careful: bool,
        owned_streams: &'a [String],
    },
    State {
        partition: Option<&'a str>,
    },
    Checkpoint,
    Partitions,
}

/// Errors of the projection API, beyond the store's own.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectionError {
    NotFound(String),
    Faulted(String),
    Exists(String),
    Store(StoreError),
}

impl ProjectionError {
    pub fn name(&self) -> &'static str {
        match self {
            ProjectionError::NotFound(_) => "ProjectionNotFound",
            ProjectionError::Faulted(_) => "ProjectionFaulted",
            ProjectionError::Exists(_) => "ProjectionExists",
            ProjectionError::Store(error) => error.name(),
        }
    }
}

impl std::fmt::Display for ProjectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProjectionError::NotFound(name) => write!(f, "there is no projection called '{name}'"),
            ProjectionError::Faulted(reason) => f.write_str(reason),
            ProjectionError::Exists(name) => {
                write!(f, "a projection called '{name}' exists already")
            }
            ProjectionError::Store(error) => write!(f, "{error}"),
        }
    }
}

impl From<StoreError> for ProjectionError {
    fn from(error: StoreError) -> Self {
        ProjectionError::Store(error)
    }
}

/// Partition keys and states, in the order the partitions were created.
pub type PartitionStates = Vec<(String, Box<RawValue>)>;

/// What a person or a script can do to a projection by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Stop,
    /// Runs again; a faulted one from its last good checkpoint.
    Start,
    /// Runs again from position 0.
    Reset,
    Delete,
}

/// What the host tells the service about.
pub enum HostNews {
    /// A projection's status, progress or states moved.
    Projection(String),
    /// A projection appended emitted or linked events to a stream.
    Appended {
        stream: String,
        result: AppendResult,
    },
}

/// An event a handler emitted (or linked), as the worker reports it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Emitted {
    stream: String,
    #[serde(rename = "type")]
    event_type: String,
    data: Box<RawValue>,
    metadata: Box<RawValue>,
    source_position: Option<i64>,
}

/// What a one-time query returns.
#[derive(Serialize)]
pub struct QueryOutcome {
    pub state: Option<Box<RawValue>>,
    /// `{ key: state }` to scripts.
    #[serde(serialize_with = "as_object")]
    pub partitions: PartitionStates,
    pub result: Option<Box<RawValue>>,
    pub logs: Option<Box<RawValue>>,
}

/// One `log()` line and the event that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LogLine {
    pub message: String,
    pub position: Option<i64>,
    pub stream: Option<String>,
    pub version: Option<u64>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
}

/// How many log lines a projection keeps (the newest).
const KEPT_LOG_LINES: usize = 500;

struct Projection {
    record: RefCell<ProjectionRecord>,
    logs: RefCell<Vec<LogLine>>,
    worker: RefCell<Option<Rc<ReducerWorker>>>,
    busy: Cell<bool>,
    dirty: Cell<bool>,
    last_saved: Cell<f64>,
    /// Progress made since the last save, which a trailing save will keep.
    unsaved: Cell<bool>,
    save_scheduled: Cell<bool>,
    /// Moves on a reset or restart: a run that began before it is stale, and
    /// its worker and progress are thrown away.
    epoch: Cell<u64>,
}

pub struct ProjectionHost {
    store: Rc<IndexedDbStore>,
    /// Told what the host changed: a projection, or a stream it wrote.
    on_change: RefCell<Option<Box<dyn Fn(HostNews)>>>,
    database: String,
    handler_timeout_ms: Cell<u32>,
    projections: RefCell<BTreeMap<String, Rc<Projection>>>,
}

impl ProjectionHost {
    /// Loads the saved projections and resumes the running ones from their
    /// checkpoints.
    pub async fn start(
        store: Rc<IndexedDbStore>,
        database: String,
    ) -> Result<Rc<ProjectionHost>, StoreError> {
        let host = Rc::new(ProjectionHost {
            store,
            on_change: RefCell::new(None),
            database,
            handler_timeout_ms: Cell::new(DEFAULT_HANDLER_TIMEOUT_MS),
            projections: RefCell::default(),
        });
        for record in host.store.projections().await? {
            let name = record.name.clone();
            host.projections
                .borrow_mut()
                .insert(name.clone(), Rc::new(Projection::new(record)));
            host.kick(&name);
        }
        Ok(host)
    }

    pub fn on_change(&self, listener: impl Fn(HostNews) + 'static) {
        *self.on_change.borrow_mut() = Some(Box::new(listener));
    }

    fn tell(&self, news: HostNews) {
        if let Some(listener) = &*self.on_change.borrow() {
            listener(news);
        }
    }

    fn changed(&self, name: &str) {
        self.tell(HostNews::Projection(name.to_string()));
    }

    /// The projection that writes `stream`, if one does.
    pub fn owner_of(&self, stream: &str) -> Option<String> {
        self.projections
            .borrow()
            .values()
            .find(|p| {
                p.record
                    .borrow()
                    .emitted_streams
                    .iter()
                    .any(|s| s == stream)
            })
            .map(|p| p.record.borrow().name.clone())
    }

    /// Applies to workers started from now on, and to every watchdog.
    pub fn set_handler_timeout_ms(&self, ms: u32) {
        self.handler_timeout_ms.set(ms.max(1));
        // Running workers were told the old limit; they restart on demand.
        for projection in self.projections.borrow().values() {
            if !projection.busy.get() {
                projection.worker.borrow_mut().take();
            }
        }
    }

    pub fn handler_timeout_ms(&self) -> u32 {
        self.handler_timeout_ms.get()
    }

    /// Called after every append: live projections catch up at once.
    pub fn appended(self: &Rc<Self>) {
        let names: Vec<String> = self.projections.borrow().keys().cloned().collect();
        for name in names {
            self.kick(&name);
        }
    }

    /// The newest `log()` lines of a projection, oldest first.
    pub fn logs(&self, name: &str) -> Result<Vec<LogLine>, ProjectionError> {
        Ok(self.get(name)?.logs.borrow().clone())
    }

    /// One projection's row.
    pub fn record(&self, name: &str) -> Result<ProjectionRecord, ProjectionError> {
        Ok(self.get(name)?.record.borrow().clone())
    }

    pub fn list(&self) -> Vec<ProjectionRecord> {
        self.projections
            .borrow()
            .values()
            .map(|p| p.record.borrow().clone())
            .collect()
    }

    fn get(&self, name: &str) -> Result<Rc<Projection>, ProjectionError> {
        self.projections
            .borrow()
            .get(name)
            .cloned()
            .ok_or_else(|| ProjectionError::NotFound(name.to_string()))
    }

    pub async fn create(self: &Rc<Self>, name: &str, source: &str) -> Result<(), ProjectionError> {
        validate_projection_name(name)?;
        if self.projections.borrow().contains_key(name) {
            return Err(ProjectionError::Exists(name.to_string()));
        }
        let record = ProjectionRecord::new(name, source, ProjectionMode::Continuous);
        self.store.save_projection(&record).await?;
        self.projections
            .borrow_mut()
            .insert(name.to_string(), Rc::new(Projection::new(record)));
        self.kick(name);
        Ok(())
    }

    pub async fn apply(
        self: &Rc<Self>,
        name: &str,
        change: Lifecycle,
    ) -> Result<(), ProjectionError> {
        match change {
            Lifecycle::Stop => self.stop(name).await,
            Lifecycle::Start => self.start_again(name).await,
            Lifecycle::Reset => self.reset(name).await,
            Lifecycle::Delete => self.delete(name).await,
        }
    }

    /// New source: the states are thrown away and it runs again from 0.
    pub async fn update(self: &Rc<Self>, name: &str, source: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        projection.record.borrow_mut().source = source.to_string();
        self.reset(name).await
    }

    /// Back to position 0. The streams it emitted to are soft-deleted (hidden,
    /// their versions never reused) and written again by the re-run.
    pub async fn reset(self: &Rc<Self>, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        projection.forget_worker();
        projection.logs.borrow_mut().clear();
        let owned = projection.record.borrow().emitted_streams.clone();
        for stream in &owned {
            self.store.soft_delete(stream).await?;
        }
        projection.record.borrow_mut().reset();
        self.save(&projection).await?;
        self.kick(name);
        Ok(())
    }

    async fn stop(&self, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        projection.record.borrow_mut().status = ProjectionStatus::Stopped;
        self.save(&projection).await
    }

    async fn start_again(self: &Rc<Self>, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        {
            let mut record = projection.record.borrow_mut();
            if record.status == ProjectionStatus::Faulted {
                // A faulted projection starts over from its last good
                // checkpoint, with a fresh worker.
                projection.forget_worker();
            }
            record.status = ProjectionStatus::Running;
            record.reason = None;
            record.fault_line = None;
        }
        self.save(&projection).await?;
        self.kick(name);
        Ok(())
    }

    async fn delete(&self, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        // A run under way must end here, not save the row back.
        projection.record.borrow_mut().status = ProjectionStatus::Stopped;
        projection.forget_worker();
        self.projections.borrow_mut().remove(name);
        self.store.delete_projection(name).await?;
        self.changed(name);
        Ok(())
    }

    /// The state of a partition (the root with none, the shared state of a
    /// biState projection), once everything appended so far is processed.
    pub async fn state(
        self: &Rc<Self>,
        name: &str,
        partition: Option<&str>,
    ) -> Result<(Option<Box<RawValue>>, Option<Box<RawValue>>), ProjectionError> {
        let reply = self.ask(name, &Request::State { partition }).await?;
        Ok((reply.state, reply.result))
    }

    /// Every partition's state, once caught up, in creation order.
    pub async fn partition_states(
        self: &Rc<Self>,
        name: &str,
    ) -> Result<PartitionStates, ProjectionError> {
        let reply = self.ask(name, &Request::Checkpoint).await?;
        Ok(partitions_of(reply.checkpoint.as_deref()))
    }

    pub async fn partitions(self: &Rc<Self>, name: &str) -> Result<Vec<String>, ProjectionError> {
        let reply = self.ask(name, &Request::Partitions).await?;
        Ok(reply.keys.unwrap_or_default())
    }

    /// Asks a projection's worker once it has caught up.
    async fn ask(
        self: &Rc<Self>,
        name: &str,
        request: &Request<'_>,
    ) -> Result<Reply, ProjectionError> {
        let projection = self.caught_up(name).await?;
        let worker = self.worker_for(&projection).await?;
        worker
            .request(request, None)
            .await
            .map_err(|failure| ProjectionError::Faulted(describe(&failure)))
    }

    /// Runs `source` once over the whole log in a worker of its own. It is
    /// never saved and never writes.
    pub async fn query(&self, source: &str) -> Result<QueryOutcome, ProjectionError> {
        let faulted = |failure: WorkerFailure| ProjectionError::Faulted(describe(&failure));
        let mut record = ProjectionRecord::new("(query)", source, ProjectionMode::Continuous);
        let worker = Rc::new(self.spawn_defined(&record).await.map_err(faulted)?);
        let head = self.head().await?;
        let (worker, reply) = self
            .run_watched(&mut record, worker, head)
            .await
            .map_err(ProjectionError::Faulted)?;
        let state = worker
            .request(&Request::State { partition: None }, None)
            .await
            .map_err(faulted)?;
        let checkpoint = worker
            .request(&Request::Checkpoint, None)
            .await
            .map_err(faulted)?;
        Ok(QueryOutcome {
            state: state.state,
            result: state.result,
            partitions: partitions_of(checkpoint.checkpoint.as_deref()),
            logs: reply.logs,
        })
    }

    /// Waits until the projection has processed everything appended so far.
    async fn caught_up(self: &Rc<Self>, name: &str) -> Result<Rc<Projection>, ProjectionError> {
        loop {
            let projection = self.get(name)?;
            let (status, position, reason) = {
                let record = projection.record.borrow();
                (record.status, record.position, record.reason.clone())
            };
            match status {
                ProjectionStatus::Faulted => {
                    return Err(ProjectionError::Faulted(reason.unwrap_or_default()))
                }
                ProjectionStatus::Stopped | ProjectionStatus::Completed => return Ok(projection),
                ProjectionStatus::Running => {}
            }
            if position >= self.head().await? && !projection.busy.get() {
                return Ok(projection);
            }
            self.kick(name);
            gloo::timers::future::TimeoutFuture::new(5).await;
        }
    }

    /// The last position in `$all`, -1 when the store is empty.
    async fn head(&self) -> Result<i64, StoreError> {
        Ok(self
            .store
            .read_all(ReadRequest::backwards(None, 1))
            .await?
            .first()
            .map_or(-1, |event| event.position as i64))
    }

    fn kick(self: &Rc<Self>, name: &str) {
        let Ok(projection) = self.get(name) else {
            return;
        };
        if projection.record.borrow().status != ProjectionStatus::Running {
            return;
        }
        if projection.busy.get() {
            projection.dirty.set(true);
            return;
        }
        projection.busy.set(true);
        let host = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            host.catch_up(&projection).await;
            projection.busy.set(false);
            host.save_later(&projection).await;
        });
    }

    /// Saves progress left unsaved by a throttled run, once the checkpoint
    /// interval has passed, unless a run or a delete got there first.
    async fn save_later(&self, projection: &Rc<Projection>) {
        if !projection.unsaved.get() || projection.save_scheduled.get() {
            return;
        }
        projection.save_scheduled.set(true);
        let wait = CHECKPOINT_EVERY_MS - (now() - projection.last_saved.get());
        gloo::timers::future::TimeoutFuture::new(wait.max(0.0) as u32).await;
        projection.save_scheduled.set(false);
        let name = projection.record.borrow().name.clone();
        let still_here = self.get(&name).is_ok_and(|p| Rc::ptr_eq(&p, projection));
        if still_here && projection.unsaved.get() && !projection.busy.get() {
            let _ = self.save(projection).await;
        }
    }

    /// Folds new events until none are left, saving now and then.
    async fn catch_up(&self, projection: &Rc<Projection>) {
        loop {
            projection.dirty.set(false);
            if projection.record.borrow().status != ProjectionStatus::Running {
                return;
            }
            let head = match self.head().await {
                Ok(head) => head,
                Err(_) => return,
            };
            if projection.record.borrow().position >= head {
                return;
            }
            let worker = match self.worker_for(projection).await {
                Ok(worker) => worker,
                Err(ProjectionError::Faulted(reason)) => {
                    projection.record.borrow_mut().fault(reason, None);
                    let _ = self.save(projection).await;
                    return;
                }
                Err(_) => return,
            };
            let epoch = projection.epoch.get();
            let mut record = projection.record.borrow().clone();
            let outcome = self.run_watched(&mut record, worker, head).await;
            if projection.epoch.get() != epoch {
                continue;
            }
            match outcome {
                Ok((worker, reply)) => {
                    *projection.worker.borrow_mut() = Some(worker);
                    projection.keep_logs(reply.logs.as_deref());
                    if let Err(reason) = self
                        .write_emitted(projection, reply.emitted.as_deref())
                        .await
                    {
                        projection.worker.borrow_mut().take();
                        projection.record.borrow_mut().fault(reason, None);
                        let _ = self.save(projection).await;
                        return;
                    }
                    let mut current = projection.record.borrow_mut();
                    current.position = record.position;
                    current.events_processed = record.events_processed;
                    current.partitions = record.partitions;
                    let name = current.name.clone();
                    drop(current);
                    self.changed(&name);
                }
                Err(_) => {
                    projection.worker.borrow_mut().take();
                    let mut current = projection.record.borrow_mut();
                    current.fault(record.reason.clone().unwrap_or_default(), record.fault_line);
                    drop(current);
                    let _ = self.save(projection).await;
                    return;
                }
            }
            // A save pulls every partition's state from the worker and writes
            // it, so it happens at most once per CHECKPOINT_EVERY_MS; what is
            // not saved yet is saved by the trailing save `kick` schedules, and
            // a reload in between simply replays from the older checkpoint.
            if now() - projection.last_saved.get() > CHECKPOINT_EVERY_MS {
                let _ = self.save(projection).await;
            } else {
                projection.unsaved.set(true);
            }
            if !projection.dirty.get() {
                return;
            }
        }
    }

    /// Appends what the handlers emitted, in order, to the projection's own
    /// streams. Ids derive from the projection, its generation and the source
    /// event, so a batch written again after a crash is an idempotent no-op.
    async fn write_emitted(
        &self,
        projection: &Projection,
        emitted: Option<&RawValue>,
    ) -> Result<(), String> {
        let Some(raw) = emitted else { return Ok(()) };
        let emitted: Vec<Emitted> = serde_json::from_str(raw.get())
            .map_err(|e| format!("the worker reported unreadable emitted events: {e}"))?;
        if emitted.is_empty() {
            return Ok(());
        }
        let (name, generation) = {
            let record = projection.record.borrow();
            (record.name.clone(), record.generation)
        };
        let mut index_in_source = 0usize;
        let mut previous_source = None;
        let mut i = 0;
        while i < emitted.len() {
            let stream = emitted[i].stream.clone();
            self.claim(projection, &stream).await?;
            let mut batch = Vec::new();
            while i < emitted.len() && emitted[i].stream == stream {
                let event = &emitted[i];
                if previous_source != Some(event.source_position) {
                    previous_source = Some(event.source_position);
                    index_in_source = 0;
                }
                let id = derived_uuid(&[
                    &name,
                    &generation.to_string(),
                    &event.source_position.unwrap_or(-1).to_string(),
                    &index_in_source.to_string(),
                ]);
                index_in_source += 1;
                let input = InputEvent {
                    event_type: Some(serde_json::Value::String(event.event_type.clone())),
                    data: Some(event.data.clone()),
                    metadata: Some(event.metadata.clone()),
                    id: Some(serde_json::Value::String(id)),
                };
                batch.push(
                    validate_event(batch.len(), input, &mut || {
                        unreachable!("the id is derived")
                    })
                    .map_err(|e| format!("emitted an invalid event to {stream}: {e}"))?,
                );
                i += 1;
            }
            let result = self
                .store
                .append(&stream, batch, ExpectedVersion::Any)
                .await
                .map_err(|e| format!("could not write emitted events to {stream}: {e}"))?;
            self.tell(HostNews::Appended { stream, result });
        }
        Ok(())
    }

    /// Makes `stream` this projection's own, or says why it cannot be.
    async fn claim(&self, projection: &Projection, stream: &str) -> Result<(), String> {
        if projection
            .record
            .borrow()
            .emitted_streams
            .iter()
            .any(|s| s == stream)
        {
            return Ok(());
        }
        if let Some(owner) = self.owner_of(stream) {
            return Err(format!(
                "cannot emit to {stream}: projection '{owner}' writes that stream"
            ));
        }
        let existing = self.store.stream(stream).await.map_err(|e| e.to_string())?;
        if existing.is_some_and(|row| !row.is_deleted()) {
            return Err(format!(
                "cannot emit to {stream}: it already has events that this projection did not write"
            ));
        }
        projection
            .record
            .borrow_mut()
            .emitted_streams
            .push(stream.to_string());
        Ok(())
    }

    /// Runs the worker up to `head`. A worker that goes silent is ended and
    /// the run repeated from the last checkpoint in careful mode, where the
    /// worker names each event before it hands it over, to find the one whose
    /// handler never returned. On failure `record` carries the fault.
    async fn run_watched(
        &self,
        record: &mut ProjectionRecord,
        worker: Rc<ReducerWorker>,
        head: i64,
    ) -> Result<(Rc<ReducerWorker>, Reply), String> {
        let limit = self.handler_timeout_ms.get();
        let owned = record.emitted_streams.clone();
        let catch_up = |careful| Request::CatchUp {
            database: &self.database,
            to: head as f64,
            careful,
            owned_streams: &owned,
        };
        let failure = match worker.request(&catch_up(false), Some(limit)).await {
            Ok(reply) => return Ok((worker, self.progressed(record, reply))),
            Err(WorkerFailure::Hung { .. }) => {
                let careful = match self.spawn_defined(record).await {
                    Ok(careful) => Rc::new(careful),
                    Err(failure) => return Err(self.faulted(record, failure).await),
                };
                match careful.request(&catch_up(true), Some(limit)).await {
                    Ok(reply) => return Ok((careful, self.progressed(record, reply))),
                    Err(failure) => failure,
                }
            }
            Err(failure) => failure,
        };
        Err(self.faulted(record, failure).await)
    }

    fn progressed(&self, record: &mut ProjectionRecord, reply: Reply) -> Reply {
        record.position = reply.position.unwrap_or(record.position);
        record.events_processed = reply.events_processed.unwrap_or(record.events_processed);
        record.partitions = reply.partitions.unwrap_or(record.partitions);
        reply
    }

    /// Marks `record` faulted and returns the reason.
    async fn faulted(&self, record: &mut ProjectionRecord, failure: WorkerFailure) -> String {
        let (reason, line) = match failure {
            WorkerFailure::Hung { started: Some(position) } => {
                let at = match self
                    .store
                    .read_all(ReadRequest::forwards(position as u64, 1))
                    .await
                    .ok()
                    .and_then(|events| events.into_iter().next())
                {
                    Some(event) => format!(
                        "position {} ({}@{}, {})",
                        event.position, event.version, event.stream, event.event_type
                    ),
                    None => format!("position {position}"),
                };
                (
                    format!(
                        "a handler ran longer than the {} ms limit at {at}; the worker was stopped",
                        self.handler_timeout_ms.get()
                    ),
                    None,
                )
            }
            WorkerFailure::Hung { started: None } => (
                format!(
                    "the projection ran longer than the {} ms limit without handling an event; the worker was stopped",
                    self.handler_timeout_ms.get()
                ),
                None,
            ),
            WorkerFailure::Fault { reason, line, .. } => (fault_text(&reason, line), line),
            WorkerFailure::Broken(reason) => (reason, None),
        };
        record.fault(reason.clone(), line);
        reason
    }

    /// The projection's live worker, started (defined and restored from its
    /// checkpoint) when it has none.
    async fn worker_for(
        &self,
        projection: &Projection,
    ) -> Result<Rc<ReducerWorker>, ProjectionError> {
        if let Some(worker) = projection.worker.borrow().clone() {
            return Ok(worker);
        }
        let record = projection.record.borrow().clone();
        let worker = Rc::new(
            self.spawn_defined(&record)
                .await
                .map_err(|failure| ProjectionError::Faulted(describe(&failure)))?,
        );
        *projection.worker.borrow_mut() = Some(Rc::clone(&worker));
        Ok(worker)
    }

    async fn spawn_defined(
        &self,
        record: &ProjectionRecord,
    ) -> Result<ReducerWorker, WorkerFailure> {
        let worker = ReducerWorker::spawn()?;
        worker
            .request(
                &Request::Define {
                    source: &record.source,
                    timeout: self.handler_timeout_ms.get(),
                },
                Some(self.handler_timeout_ms.get()),
            )
            .await?;
        if let Some(checkpoint) = &record.checkpoint {
            let checkpoint = RawValue::from_string(checkpoint.clone()).map_err(|e| {
                WorkerFailure::Broken(format!("the saved checkpoint is not JSON: {e}"))
            })?;
            worker
                .request(
                    &Request::Restore {
                        checkpoint: &checkpoint,
                    },
                    None,
                )
                .await?;
        }
        Ok(worker)
    }

    /// Saves the projection's row, with its worker's states when it has one.
    async fn save(&self, projection: &Projection) -> Result<(), ProjectionError> {
        let worker = projection.worker.borrow().clone();
        if let Some(worker) = worker {
            if let Ok(reply) = worker.request(&Request::Checkpoint, None).await {
                projection.record.borrow_mut().checkpoint =
                    reply.checkpoint.map(|raw| raw.get().to_string());
            }
        }
        projection.last_saved.set(now());
        projection.unsaved.set(false);
        let record = projection.record.borrow().clone();
        self.store.save_projection(&record).await?;
        self.changed(&record.name);
        Ok(())
    }
}

impl Projection {
    /// Drops the worker, and makes any run under way stale.
    fn forget_worker(&self) {
        self.epoch.set(self.epoch.get() + 1);
        self.worker.borrow_mut().take();
    }

    fn keep_logs(&self, logs: Option<&RawValue>) {
        let Some(new) = logs.and_then(|raw| serde_json::from_str::<Vec<LogLine>>(raw.get()).ok())
        else {
            return;
        };
        let mut logs = self.logs.borrow_mut();
        logs.extend(new);
        let excess = logs.len().saturating_sub(KEPT_LOG_LINES);
        logs.drain(..excess);
    }

    fn new(record: ProjectionRecord) -> Projection {
        Projection {
            record: RefCell::new(record),
            logs: RefCell::default(),
            worker: RefCell::new(None),
            busy: Cell::new(false),
            dirty: Cell::new(false),
            last_saved: Cell::new(0.0),
            unsaved: Cell::new(false),
            save_scheduled: Cell::new(false),
            epoch: Cell::new(0),
        }
    }
}

fn as_object<S: serde::Serializer>(
    pairs: &PartitionStates,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(key, state)| (key, state)))
}

/// The partitions of a checkpoint, in creation order.
fn partitions_of(checkpoint: Option<&RawValue>) -> PartitionStates {
    #[derive(serde::Deserialize)]
    struct Checkpoint {
        partitions: Vec<(String, Box<RawValue>)>,
    }
    checkpoint
        .and_then(|raw| serde_json::from_str::<Checkpoint>(raw.get()).ok())
        .map(|c| c.partitions)
        .unwrap_or_default()
}

/// A fault's reason, with the source line when the engine named one.
fn fault_text(reason: &str, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{reason} (line {line} of the source)"),
        None => reason.to_string(),
    }
}

fn describe(failure: &WorkerFailure) -> String {
    match failure {
        WorkerFailure::Fault { reason, line, .. } => fault_text(reason, *line),
        WorkerFailure::Hung { .. } => "the worker stopped answering".into(),
        WorkerFailure::Broken(reason) => reason.clone(),
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}
