//! Catching up: after every append, each running projection folds the new
//! events in its worker, writes its outputs, and saves now and then, as its
//! [`Schedule`](super::scheduler::Schedule) says. A hung or throwing handler
//! becomes a `Faulted` status that names the event; so does any failure to
//! read the store, write outputs or save, since a projection that silently
//! stops or silently loses its progress would teach the wrong thing. A
//! fault at an event keeps how far the projection got before it: its
//! progress, log lines and states as of the event before, folded again
//! from the checkpoint.

use std::rc::Rc;

use super::host::{Projection, ProjectionHost};
use super::output::{confirm_still_current, write_outputs, OutputError};
use super::run::{set_progress, RunFailed, RunSpec};
use super::worker::{now, ReducerWorker, WorkerFailure};
use super::HostNews;
use crate::core::projection::ProjectionStatus;

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
        if projection.record.borrow().system_projection().is_some() {
            // It has no worker: it has processed what this page knows is
            // there. Its row is saved when it stops (an append should cost
            // no more writes); after a reload it is here again at once.
            self.system_pass(&projection, self.known_head.get());
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
        if head > self.known_head.get() {
            // Another tab appended, or a projection wrote its outputs.
            self.known_head.set(head);
        }
        let head = self.readable_head(&projection.record.borrow().reads, head);
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
            Err(failure) => {
                let failed = self.run_failed(failure);
                self.fault(projection, failed.reason, failed.line).await;
                return Pass::Ended;
            }
        };
        if projection.epoch.get() != epoch {
            return Pass::Stale;
        }
        // Known for certain only now that the worker defined the source.
        let head = self.readable_head(&worker.reads(), head);
        let record = projection.record.borrow().clone();
        let run = RunSpec::of(&record);
        let outcome = self.run_watched(&run, worker, head).await;
        if projection.epoch.get() != epoch {
            return Pass::Stale;
        }
        let (worker, caught_up) = match outcome {
            Ok(done) => done,
            Err(RunFailed { reason, line, at }) => {
                projection.worker.borrow_mut().take();
                if let Some(at) = at {
                    self.keep_last_good(projection, &run, at - 1, epoch).await;
                    if projection.epoch.get() != epoch {
                        return Pass::Stale;
                    }
                    // A Stop that came during the re-run is the person's
                    // word; the fault is not written over it.
                    if projection.record.borrow().status != ProjectionStatus::Running {
                        projection.wake_waiters();
                        return Pass::Ended;
                    }
                }
                self.fault(projection, reason, line).await;
                return Pass::Ended;
            }
        };
        *projection.worker.borrow_mut() = Some(worker);
        projection.record.borrow_mut().keep_logs(caught_up.logs);
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
        set_progress(&mut current, &caught_up.progress);
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
        let mut record = projection.record.borrow().clone();
        match confirm_still_current(&*self.store, &mut record).await {
            Ok(_) => {
                projection.record.borrow_mut().keep_claims_of(&record);
                true
            }
            Err(OutputError::Superseded(stored)) => {
                self.adopt(projection, stored.map(|row| *row));
                false
            }
            Err(OutputError::Fault(reason)) => {
                self.fault(projection, reason, None).await;
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

    /// Before a fault at an event is recorded: the projection as it stood
    /// after the events before it, folded again from the checkpoint up to
    /// `to`. Its progress and log lines go in the row, and its worker is
    /// kept for reading its states.
    async fn keep_last_good(
        &self,
        projection: &Projection,
        run: &RunSpec<'_>,
        to: i64,
        epoch: u64,
    ) {
        // This repeats a fold that ran without a fault a moment ago, so it
        // fails only when a handler behaves differently the second time
        // (one that draws random numbers, say) or the store fails. The
        // fault is still recorded, with the progress the row had; the
        // projection's page asks for the states again and shows why there
        // are none.
        let Ok((worker, caught_up)) = self.fold_to(run, to).await else {
            return;
        };
        if projection.epoch.get() != epoch {
            return;
        }
        let mut record = projection.record.borrow_mut();
        set_progress(&mut record, &caught_up.progress);
        record.keep_logs(caught_up.logs);
        *projection.last_good.borrow_mut() = Some(worker);
    }

    /// The projection's live worker, started (defined and restored from its
    /// checkpoint) when it has none. A worker started from the checkpoint
    /// is where the checkpoint is, so the row's progress goes back to it.
    /// It is kept only if no reset or restart came while it started.
    pub(super) async fn worker_for(
        &self,
        projection: &Projection,
        epoch: u64,
    ) -> Result<Rc<ReducerWorker>, WorkerFailure> {
        if let Some(worker) = projection.worker.borrow().clone() {
            return Ok(worker);
        }
        let record = projection.record.borrow().clone();
        let (worker, progress) = self.spawn_defined(&RunSpec::of(&record)).await?;
        let worker = Rc::new(worker);
        if projection.epoch.get() == epoch {
            let mut record = projection.record.borrow_mut();
            set_progress(&mut record, &progress);
            record.reads = worker.reads();
            drop(record);
            *projection.worker.borrow_mut() = Some(Rc::clone(&worker));
        }
        Ok(worker)
    }
}
