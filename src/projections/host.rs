//! The host: each projection's lifecycle (create, update, stop, start,
//! reset, delete), reading states once caught up, and one-time queries.
//! Catching up lives in `catch_up.rs`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::{Function, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::protocol::{Checkpoint, LogLine, Reply, Request};
use super::scheduler::Schedule;
use super::worker::{ReducerWorker, WorkerFailure};
use super::{HostNews, Lifecycle, PartitionStates, ProjectionError, QueryOutcome};
use crate::core::projection::{
    validate_projection_name, ProjectionMode, ProjectionRecord, ProjectionStatus,
};
use crate::core::{ReadRequest, StoreError};
use crate::storage::indexeddb::IndexedDbStore;
use crate::storage::{EventStore, ProjectionRows};

/// EventStoreDB's `ProjectionExecutionTimeout` default.
pub const DEFAULT_HANDLER_TIMEOUT_MS: u32 = 250;
/// How many `log()` lines a projection keeps (the newest).
const KEPT_LOG_LINES: usize = 500;

pub(super) struct Projection {
    pub(super) record: RefCell<ProjectionRecord>,
    pub(super) logs: RefCell<Vec<LogLine>>,
    pub(super) worker: RefCell<Option<Rc<ReducerWorker>>>,
    pub(super) schedule: RefCell<Schedule>,
    /// Moves on a reset or restart: a pass that began before it is stale,
    /// and its worker and progress are thrown away.
    pub(super) epoch: Cell<u64>,
    /// Callers waiting for the projection to catch up or stop.
    waiters: RefCell<Vec<Function>>,
}

type Listener = Box<dyn Fn(HostNews)>;

pub struct ProjectionHost {
    pub(super) store: Rc<IndexedDbStore>,
    /// Told what the host changed: a projection, or a stream it wrote.
    on_change: RefCell<Option<Listener>>,
    pub(super) database: String,
    pub(super) handler_timeout_ms: Cell<u32>,
    projections: RefCell<BTreeMap<String, Rc<Projection>>>,
    /// The database was closed under the page: nothing runs any more.
    closed: Cell<bool>,
    /// Other tabs of this sandbox: each tab runs its projections, and says
    /// here when it changed one's row (created, stopped, reset, …).
    tabs: RefCell<Option<Tabs>>,
}

/// The channel to this sandbox's other tabs, and its listener.
struct Tabs {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
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
            closed: Cell::new(false),
            tabs: RefCell::default(),
        });
        host.listen_to_other_tabs();
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

    pub(super) fn tell(&self, news: HostNews) {
        if let Some(listener) = &*self.on_change.borrow() {
            listener(news);
        }
    }

    pub(super) fn changed(&self, name: &str) {
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

    /// The database was closed under the page: every worker ends, and no
    /// projection runs again in this page.
    pub fn close(&self) {
        self.closed.set(true);
        for projection in self.projections.borrow().values() {
            projection.forget_worker();
            projection.wake_waiters();
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Applies to workers started from now on, and to every watchdog.
    pub fn set_handler_timeout_ms(&self, ms: u32) {
        self.handler_timeout_ms.set(ms.max(1));
        // Running workers were told the old limit; idle ones restart on demand.
        for projection in self.projections.borrow().values() {
            if !projection.schedule.borrow().is_running() {
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

    pub(super) fn get(&self, name: &str) -> Result<Rc<Projection>, ProjectionError> {
        self.projections
            .borrow()
            .get(name)
            .cloned()
            .ok_or_else(|| ProjectionError::NotFound(name.to_string()))
    }

    /// Whether `projection` is still the one this host holds under its name.
    pub(super) fn holds(&self, projection: &Rc<Projection>) -> bool {
        let name = projection.record.borrow().name.clone();
        self.get(&name).is_ok_and(|p| Rc::ptr_eq(&p, projection))
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
        self.tell_other_tabs(name);
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
    async fn reset(self: &Rc<Self>, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        projection.forget_worker();
        projection.logs.borrow_mut().clear();
        let owned = projection.record.borrow().emitted_streams.clone();
        for stream in &owned {
            self.store.soft_delete(stream).await?;
        }
        projection.record.borrow_mut().reset();
        self.publish_row(&projection).await?;
        self.kick(name);
        Ok(())
    }

    async fn stop(&self, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        projection.record.borrow_mut().status = ProjectionStatus::Stopped;
        self.save(&projection).await?;
        self.tell_other_tabs(name);
        projection.wake_waiters();
        Ok(())
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
        self.publish_row(&projection).await?;
        self.kick(name);
        Ok(())
    }

    async fn delete(&self, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        // A pass under way must end here, not save the row back.
        projection.record.borrow_mut().status = ProjectionStatus::Stopped;
        projection.forget_worker();
        self.projections.borrow_mut().remove(name);
        projection.wake_waiters();
        self.store.delete_projection(name).await?;
        self.tell_other_tabs(name);
        self.changed(name);
        Ok(())
    }

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
        let worker = self.worker_for(&projection).await?;
        worker
            .request(request, None)
            .await
            .map_err(|failure| ProjectionError::Faulted(failure.reason()))
    }

    /// Runs `source` once over the whole log in a worker of its own. It is
    /// never saved and never writes.
    pub async fn query(&self, source: &str) -> Result<QueryOutcome, ProjectionError> {
        let faulted = |failure: WorkerFailure| ProjectionError::Faulted(failure.reason());
        let run = super::catch_up::RunSpec {
            source,
            checkpoint: None,
            owned_streams: &[],
        };
        let worker = Rc::new(self.spawn_defined(&run).await.map_err(faulted)?);
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
    async fn caught_up(self: &Rc<Self>, name: &str) -> Result<Rc<Projection>, ProjectionError> {
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
                    return Err(ProjectionError::Faulted(reason.unwrap_or_default()))
                }
                ProjectionStatus::Stopped | ProjectionStatus::Completed => return Ok(projection),
                ProjectionStatus::Running => {}
            }
            if !projection.schedule.borrow().is_running() && position >= self.head().await? {
                return Ok(projection);
            }
            let woken = projection.wait();
            self.kick(name);
            // The promise only ever resolves: there is no error to handle.
            let _woken = JsFuture::from(woken).await;
        }
    }

    /// The last position in `$all`, -1 when the store is empty.
    pub(super) async fn head(&self) -> Result<i64, StoreError> {
        Ok(self
            .store
            .read_all(ReadRequest::backwards(None, 1))
            .await?
            .first()
            .map_or(-1, |event| event.position as i64))
    }

    /// Writes the projection's row as a person's command left it.
    pub(super) async fn write_row(&self, projection: &Projection) -> Result<(), StoreError> {
        let record = projection.record.borrow().clone();
        self.store.save_projection(&record).await?;
        self.changed(&record.name);
        Ok(())
    }

    /// Writes the row as a command left it, and tells the other tabs.
    pub(super) async fn publish_row(&self, projection: &Projection) -> Result<(), StoreError> {
        self.write_row(projection).await?;
        self.tell_other_tabs(&projection.record.borrow().name);
        Ok(())
    }

    fn listen_to_other_tabs(self: &Rc<Self>) {
        let channel =
            match web_sys::BroadcastChannel::new(&format!("{}/projections", self.database)) {
                Ok(channel) => channel,
                Err(error) => {
                    // Without it each tab still runs correctly on its own; it
                    // only learns of another tab's commands when it next writes.
                    web_sys::console::warn_2(
                        &"other tabs' projection commands will not be heard".into(),
                        &error,
                    );
                    return;
                }
            };
        let host = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |message: web_sys::MessageEvent| {
                let (Some(host), Some(name)) = (host.upgrade(), message.data().as_string()) else {
                    return;
                };
                wasm_bindgen_futures::spawn_local(async move { host.follow(&name).await });
            },
        );
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *self.tabs.borrow_mut() = Some(Tabs {
            channel,
            _on_message: on_message,
        });
    }

    fn tell_other_tabs(&self, name: &str) {
        if let Some(tabs) = &*self.tabs.borrow() {
            if let Err(error) = tabs.channel.post_message(&JsValue::from_str(name)) {
                web_sys::console::warn_2(
                    &"could not tell other tabs of a projection command".into(),
                    &error,
                );
            }
        }
    }

    /// Another tab changed the row of `name`: take the stored row as truth.
    async fn follow(self: &Rc<Self>, name: &str) {
        if self.is_closed() {
            return;
        }
        let stored = match self.store.projection(name).await {
            Ok(stored) => stored,
            Err(error) => {
                web_sys::console::error_1(
                    &format!(
                        "could not read projection '{name}' that another tab changed: {error}"
                    )
                    .into(),
                );
                return;
            }
        };
        match (self.get(name).ok(), stored) {
            (Some(projection), stored) => {
                let same = stored
                    .as_ref()
                    .is_some_and(|stored| projection.record.borrow().same_run_as(stored));
                if !same {
                    self.adopt(&projection, stored);
                }
            }
            (None, Some(stored)) => {
                self.projections
                    .borrow_mut()
                    .insert(name.to_string(), Rc::new(Projection::new(stored)));
                self.changed(name);
                self.kick(name);
            }
            (None, None) => {}
        }
    }

    /// Saves the projection's row, with its worker's states when it has one.
    pub(super) async fn save(&self, projection: &Projection) -> Result<(), ProjectionError> {
        let worker = projection.worker.borrow().clone();
        if let Some(worker) = worker {
            match worker.request(&Request::Checkpoint, None).await {
                Ok(Reply::Checkpoint { checkpoint }) => {
                    projection.record.borrow_mut().checkpoint = Some(checkpoint_text(&checkpoint)?);
                }
                Ok(other) => return Err(unexpected("checkpoint", &other)),
                Err(failure) => return Err(ProjectionError::Faulted(failure.reason())),
            }
        }
        projection.schedule.borrow_mut().saved(super::worker::now());
        self.write_row(projection).await?;
        Ok(())
    }

    /// Another tab changed or deleted the projection: its stored row is the
    /// truth. This tab drops its run and continues from that row.
    pub(super) fn adopt(
        self: &Rc<Self>,
        projection: &Rc<Projection>,
        stored: Option<ProjectionRecord>,
    ) {
        projection.forget_worker();
        let name = projection.record.borrow().name.clone();
        match stored {
            Some(stored) => {
                *projection.record.borrow_mut() = stored;
                projection.logs.borrow_mut().clear();
            }
            None => {
                projection.record.borrow_mut().status = ProjectionStatus::Stopped;
                self.projections.borrow_mut().remove(&name);
            }
        }
        projection.wake_waiters();
        self.changed(&name);
        self.kick(&name);
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.close();
    }
}

impl Projection {
    fn new(record: ProjectionRecord) -> Projection {
        Projection {
            record: RefCell::new(record),
            logs: RefCell::default(),
            worker: RefCell::new(None),
            schedule: RefCell::default(),
            epoch: Cell::new(0),
            waiters: RefCell::default(),
        }
    }

    /// Drops the worker, and makes any pass under way stale.
    pub(super) fn forget_worker(&self) {
        self.epoch.set(self.epoch.get() + 1);
        self.worker.borrow_mut().take();
    }

    pub(super) fn keep_logs(&self, new: Vec<LogLine>) {
        let mut logs = self.logs.borrow_mut();
        logs.extend(new);
        let excess = logs.len().saturating_sub(KEPT_LOG_LINES);
        logs.drain(..excess);
    }

    /// A promise that resolves when the runs end (or the projection stops).
    fn wait(&self) -> Promise {
        let mut waiters = self.waiters.borrow_mut();
        Promise::new(&mut |resolve, _| waiters.push(resolve))
    }

    pub(super) fn wake_waiters(&self) {
        for resolve in self.waiters.borrow_mut().drain(..) {
            if let Err(error) = resolve.call0(&JsValue::UNDEFINED) {
                web_sys::console::error_1(&error);
            }
        }
    }
}

pub(super) fn checkpoint_text(checkpoint: &Checkpoint) -> Result<String, ProjectionError> {
    serde_json::to_string(checkpoint).map_err(|e| {
        ProjectionError::Store(StoreError::Storage(format!(
            "could not encode the checkpoint: {e}"
        )))
    })
}

pub(super) fn unexpected(asked: &str, reply: &Reply) -> ProjectionError {
    ProjectionError::Faulted(format!(
        "the reducer worker answered '{}' to a '{asked}' request; reload the page to load the matching worker",
        reply.op()
    ))
}
