//! A projection as the host holds it: its row, its workers (live, last
//! good, traveler), when it runs, and who waits for it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;

use super::scheduler::Schedule;
use super::travel::Traveler;
use super::worker::ReducerWorker;
use crate::core::projection::ProjectionRecord;

pub(super) struct Projection {
    pub(super) record: RefCell<ProjectionRecord>,
    pub(super) worker: RefCell<Option<Rc<ReducerWorker>>>,
    /// A faulted projection's states as of the last event before the fault,
    /// in a worker of their own: the one that faulted may hold a state its
    /// failing handler changed.
    pub(super) last_good: RefCell<Option<Rc<ReducerWorker>>>,
    /// Its time-travel worker (`travel.rs`), for the run it was defined for.
    pub(super) traveler: RefCell<Option<Traveler>>,
    pub(super) schedule: RefCell<Schedule>,
    /// Moves on a reset or restart: a pass that began before it is stale,
    /// and its worker and progress are thrown away.
    pub(super) epoch: Cell<u64>,
    /// Callers waiting for the projection to catch up or stop.
    waiters: RefCell<Vec<Function>>,
}

impl Projection {
    pub(super) fn new(record: ProjectionRecord) -> Projection {
        Projection {
            record: RefCell::new(record),
            worker: RefCell::new(None),
            last_good: RefCell::new(None),
            traveler: RefCell::new(None),
            schedule: RefCell::default(),
            epoch: Cell::new(0),
            waiters: RefCell::default(),
        }
    }

    /// Drops the workers, and makes any pass under way stale.
    pub(super) fn forget_worker(&self) {
        self.epoch.set(self.epoch.get() + 1);
        self.worker.borrow_mut().take();
        self.last_good.borrow_mut().take();
        self.traveler.borrow_mut().take();
    }

    /// A promise that resolves when the runs end (or the projection stops).
    pub(super) fn wait(&self) -> Promise {
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
