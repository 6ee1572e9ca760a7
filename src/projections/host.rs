//! The host: each projection's lifecycle (create, update, stop, start,
//! reset, delete) and its row. Catching up lives in `catch_up.rs`, one run
//! of a worker in `run.rs`, reading states and one-time queries in
//! `states.rs`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use wasm_bindgen_futures::JsFuture;

pub(super) use super::held::Projection;
use super::protocol::{Checkpoint, Progress, Reply, Request};
use super::run::set_progress;
use super::scheduler::RunState;
use super::system::refuse_native_source;
use super::tabs::Tabs;
use super::{HostNews, Lifecycle, ProjectionError};
use crate::core::projection::{
    validate_projection_name, ProjectionMode, ProjectionRecord, ProjectionStatus, SystemProjection,
};
use crate::core::StoreError;
use crate::storage::indexeddb::IndexedDbStore;
use crate::storage::{last_position, EventStore, Fenced, ProjectionRows};

/// EventStoreDB's `ProjectionExecutionTimeout` default.
pub const DEFAULT_HANDLER_TIMEOUT_MS: u32 = 250;

type Listener = Box<dyn Fn(HostNews)>;

pub struct ProjectionHost {
    pub(super) store: Rc<IndexedDbStore>,
    /// Told what the host changed: a projection, or a stream it wrote.
    on_change: RefCell<Option<Listener>>,
    pub(super) database: String,
    pub(super) handler_timeout_ms: Cell<u32>,
    pub(super) projections: RefCell<BTreeMap<String, Rc<Projection>>>,
    /// The database was closed under the page: nothing runs any more.
    closed: Cell<bool>,
    /// Other tabs of this sandbox: each tab runs its projections, and says
    /// here when it changed one's row (created, stopped, reset, …).
    pub(super) tabs: RefCell<Option<Tabs>>,
    /// The last position this page knows `$all` has: where a running system
    /// projection is, without a read per append.
    pub(super) known_head: Cell<i64>,
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
            known_head: Cell::new(-1),
        });
        host.listen_to_other_tabs();
        for record in host.store.projections().await? {
            host.projections
                .borrow_mut()
                .insert(record.name.clone(), Rc::new(Projection::new(record)));
        }
        host.known_head.set(host.head().await?);
        host.ensure_system_projections().await?;
        host.appended();
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
        if let Some((system, _)) = SystemProjection::writing(stream) {
            return Some(system.name.to_string());
        }
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
        // Workers were told the old limit; idle ones restart on demand. One
        // with a save still due keeps its worker, whose states that save needs.
        for projection in self.projections.borrow().values() {
            if projection.schedule.borrow().state() == RunState::Idle {
                projection.worker.borrow_mut().take();
            }
        }
    }

    pub fn handler_timeout_ms(&self) -> u32 {
        self.handler_timeout_ms.get()
    }

    /// Called after every append, with the position of its last event:
    /// live projections catch up at once.
    pub fn appended_up_to(self: &Rc<Self>, position: u64) {
        let position = position as i64;
        if position > self.known_head.get() {
            self.known_head.set(position);
        }
        self.appended();
    }

    /// Live projections catch up at once.
    pub(super) fn appended(self: &Rc<Self>) {
        let names: Vec<String> = self.projections.borrow().keys().cloned().collect();
        for name in names {
            self.kick(&name);
        }
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

    /// A new continuous projection, running; `emit_enabled` as KurrentDB's
    /// `emitEnabled` (off unless asked for).
    pub async fn create(
        self: &Rc<Self>,
        name: &str,
        source: &str,
        emit_enabled: bool,
    ) -> Result<(), ProjectionError> {
        validate_projection_name(name)?;
        refuse_native_source(source)?;
        if self.projections.borrow().contains_key(name) {
            return Err(ProjectionError::Exists(name.to_string()));
        }
        let record = ProjectionRecord {
            emit_enabled,
            ..ProjectionRecord::new(name, source, ProjectionMode::Continuous)
        };
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

    /// New code, as KurrentDB's update: the states and checkpoint are kept,
    /// and the projection goes on from its last saved checkpoint with the
    /// new source (the events after that checkpoint are folded again, by the
    /// new code). A stopped projection stays stopped; a faulted one runs
    /// again. `emit_enabled` is kept when `None`. To start over, reset.
    pub async fn update(
        self: &Rc<Self>,
        name: &str,
        source: &str,
        emit_enabled: Option<bool>,
    ) -> Result<(), ProjectionError> {
        refuse_native_source(source)?;
        self.refuse_for_system(name, |_| {
            "its code is KurrentDB's built-in handler; it can be stopped, started and reset".into()
        })?;
        let projection = self.get(name)?;
        let status = projection.record.borrow().status;
        // The pass under way ends first: none of the old code's work is
        // written after the new code is saved.
        self.quiesce(&projection).await;
        let checkpoint = projection.record.borrow().checkpoint.clone();
        let progress = match checkpoint {
            Some(text) => Checkpoint::parse(&text)
                .map_err(|e| ProjectionError::Store(StoreError::Storage(e)))?
                .progress(),
            None => Progress::START,
        };
        {
            let mut record = projection.record.borrow_mut();
            record.status = status;
            record.update(source, emit_enabled);
            // The new code goes on from the checkpoint: the row must not
            // claim the old code's progress after it, or nothing would fold
            // those events again until the next append.
            set_progress(&mut record, &progress);
        }
        self.publish_row(&projection).await?;
        self.kick(name);
        Ok(())
    }

    /// Back to position 0 and running. The pass under way ends first, so
    /// nothing of the old generation is written after this. The new
    /// generation's row is saved before the old outputs are hidden: from
    /// then on another tab's old run is fenced off, and what it wrote
    /// before is hidden too. The streams it emitted to are soft-deleted
    /// (their versions never reused) and written again by the re-run; a
    /// stream the page had no time to hide is hidden by that re-run
    /// (`output.rs`).
    async fn reset(self: &Rc<Self>, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        self.quiesce(&projection).await;
        projection.record.borrow_mut().reset();
        self.publish_row(&projection).await?;
        let owned = projection.record.borrow().emitted_streams.clone();
        for stream in &owned {
            self.store.soft_delete(stream).await?;
        }
        self.kick_readers_of(&projection);
        self.kick(name);
        Ok(())
    }

    /// Stops the projection's runs in this tab and waits until the pass
    /// under way (if any) has ended, so no write of it lands later. The
    /// status is left `Stopped` in memory; the caller sets what follows.
    async fn quiesce(&self, projection: &Projection) {
        projection.record.borrow_mut().status = ProjectionStatus::Stopped;
        projection.forget_worker();
        while projection.schedule.borrow().is_running() {
            // A pass sees the stopped status and ends; its end wakes this.
            let ended = projection.wait();
            if !projection.schedule.borrow().is_running() {
                break;
            }
            let _ended = JsFuture::from(ended).await;
        }
    }

    async fn stop(&self, name: &str) -> Result<(), ProjectionError> {
        let projection = self.get(name)?;
        self.stop_system(&projection).await?;
        projection.record.borrow_mut().status = ProjectionStatus::Stopped;
        // Only a faulted projection shows its last good states.
        projection.last_good.borrow_mut().take();
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
        self.kick_readers_of(&projection);
        self.kick(name);
        Ok(())
    }

    async fn delete(&self, name: &str) -> Result<(), ProjectionError> {
        self.refuse_for_system(name, |_| {
            "it can be stopped, started and reset, not deleted".into()
        })?;
        let projection = self.get(name)?;
        // A pass under way must end here, not save the row back.
        self.quiesce(&projection).await;
        self.projections.borrow_mut().remove(name);
        projection.wake_waiters();
        self.store.delete_projection(name).await?;
        self.tell_other_tabs(name);
        self.changed(name);
        Ok(())
    }

    /// The last position in `$all`, -1 when the store is empty.
    pub(super) async fn head(&self) -> Result<i64, StoreError> {
        Ok(last_position(&*self.store)
            .await?
            .map_or(-1, |last| last as i64))
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

    /// Saves the projection's row as a command left it (stop), with its
    /// worker's states when it has one.
    pub(super) async fn save(&self, projection: &Projection) -> Result<(), ProjectionError> {
        self.take_checkpoint(projection).await?;
        projection.schedule.borrow_mut().saved(super::worker::now());
        self.write_row(projection).await?;
        Ok(())
    }

    /// Saves a running projection's progress: its worker's states, only
    /// while the stored row is still this run. Otherwise that row is the
    /// truth, and adopted.
    pub(super) async fn save_progress(
        self: &Rc<Self>,
        projection: &Rc<Projection>,
    ) -> Result<(), ProjectionError> {
        self.take_checkpoint(projection).await?;
        let record = projection.record.borrow().clone();
        match self.store.save_progress(&record).await? {
            Fenced::Done(()) => {
                projection.schedule.borrow_mut().saved(super::worker::now());
                self.changed(&record.name);
            }
            Fenced::Superseded(stored) => self.adopt(projection, stored.map(|row| *row)),
        }
        Ok(())
    }

    /// Puts the worker's current states in the row, as its checkpoint.
    async fn take_checkpoint(&self, projection: &Projection) -> Result<(), ProjectionError> {
        let Some(worker) = projection.worker.borrow().clone() else {
            return Ok(());
        };
        match worker.request(&Request::Checkpoint, None).await {
            Ok(Reply::Checkpoint { checkpoint }) => {
                projection.record.borrow_mut().checkpoint = Some(checkpoint_text(&checkpoint)?);
                Ok(())
            }
            Ok(other) => Err(unexpected("checkpoint", &other)),
            Err(failure) => Err(ProjectionError::Faulted(failure.reason())),
        }
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
            Some(stored) => *projection.record.borrow_mut() = stored,
            None => {
                projection.record.borrow_mut().status = ProjectionStatus::Stopped;
                self.projections.borrow_mut().remove(&name);
            }
        }
        projection.wake_waiters();
        self.changed(&name);
        self.kick_readers_of(projection);
        self.kick(&name);
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
