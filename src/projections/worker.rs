//! The page's side of one reducer worker (`static/reducer-worker.js`):
//! requests with typed replies (`protocol.rs`), and the watchdog that ends a
//! worker whose handler never returns.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use gloo::timers::callback::Interval;
use js_sys::{Function, Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::protocol::{Envelope, EventAt, Fault, Heartbeat, Reply, Request};
use super::Shape;
use crate::js::error_text;

/// Where Trunk copies the worker script (see `index.html`).
const WORKER_URL: &str = "/reducer-worker.js";
/// How often the watchdog looks, and how much silence beyond the handler
/// limit it allows for the worker's own reading and messaging.
const WATCH_EVERY_MS: u32 = 25;
const SLACK_MS: f64 = 150.0;
/// What the watchdog rejects pending requests with.
const HUNG: &str = "hung";

/// Why a request did not get the reply it asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerFailure {
    /// The worker answered with a fault.
    Fault(Fault),
    /// No message for longer than the handler limit: the worker was ended.
    /// `started` is the event the worker last said it was starting (in
    /// careful runs).
    Hung { started: Option<EventAt> },
    /// The worker could not be started or talked to, or broke the protocol.
    Broken(String),
}

impl WorkerFailure {
    /// The text a person reads.
    pub fn reason(&self) -> String {
        match self {
            WorkerFailure::Fault(fault) => fault.reason(),
            WorkerFailure::Hung { .. } => "the worker stopped answering".into(),
            WorkerFailure::Broken(reason) => reason.clone(),
        }
    }
}

struct Shared {
    pending: RefCell<HashMap<u32, (Function, Function)>>,
    next_id: Cell<u32>,
    last_heard: Cell<f64>,
    last_started: RefCell<Option<EventAt>>,
}

pub struct ReducerWorker {
    worker: web_sys::Worker,
    /// How its definition keeps states, once it is defined.
    shape: Cell<Shape>,
    /// The streams its definition reads (`$ce-{c}` for `fromCategory`).
    reads: RefCell<Vec<String>>,
    shared: Rc<Shared>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl ReducerWorker {
    pub fn spawn() -> Result<ReducerWorker, WorkerFailure> {
        let worker = web_sys::Worker::new(WORKER_URL).map_err(|e| {
            WorkerFailure::Broken(format!(
                "could not start the reducer worker: {}",
                error_text(&e)
            ))
        })?;
        let shared = Rc::new(Shared {
            pending: RefCell::default(),
            next_id: Cell::new(1),
            last_heard: Cell::new(now()),
            last_started: RefCell::default(),
        });
        let heard = Rc::clone(&shared);
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |message: web_sys::MessageEvent| heard.receive(message.data()),
        );
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(ReducerWorker {
            worker,
            shape: Cell::default(),
            reads: RefCell::default(),
            shared,
            _on_message: on_message,
        })
    }

    /// Notes what its `defined` reply said.
    pub fn defined_as(&self, shape: Shape, reads: Vec<String>) {
        self.shape.set(shape);
        *self.reads.borrow_mut() = reads;
    }

    pub fn reads(&self) -> Vec<String> {
        self.reads.borrow().clone()
    }

    pub fn shape(&self) -> Shape {
        self.shape.get()
    }

    /// Sends one request and waits for its reply. With `limit_ms`, the
    /// watchdog ends the worker when it stays silent longer than that.
    pub async fn request(
        &self,
        request: &Request,
        limit_ms: Option<u32>,
    ) -> Result<Reply, WorkerFailure> {
        let id = self.shared.next_id.get();
        self.shared.next_id.set(id + 1);
        let json = serde_json::to_string(&Envelope { id, request })
            .map_err(|e| WorkerFailure::Broken(format!("could not encode a request: {e}")))?;
        let payload = JSON::parse(&json).map_err(|e| WorkerFailure::Broken(error_text(&e)))?;

        let mut settle = None;
        let reply = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let (resolve, reject) =
            settle.ok_or_else(|| WorkerFailure::Broken("Promise did not run".into()))?;
        self.shared
            .pending
            .borrow_mut()
            .insert(id, (resolve, reject));
        self.shared.last_heard.set(now());
        self.shared.last_started.borrow_mut().take();
        self.worker.post_message(&payload).map_err(|e| {
            WorkerFailure::Broken(format!("could not message the worker: {}", error_text(&e)))
        })?;

        let _watchdog = limit_ms.map(|limit| {
            let shared = Rc::clone(&self.shared);
            let worker = self.worker.clone();
            let last_look = Cell::new(now());
            Interval::new(WATCH_EVERY_MS, move || {
                // A look that comes late means this page was busy, and the
                // worker's heartbeats may be queued behind it: silence is
                // judged on the next look, after they have been heard.
                let late = now() - last_look.replace(now()) > f64::from(WATCH_EVERY_MS) * 4.0;
                if !late && now() - shared.last_heard.get() > f64::from(limit) + SLACK_MS {
                    worker.terminate();
                    shared.settle_all_as_hung();
                }
            })
        });
        let text = match JsFuture::from(reply).await {
            // `receive` settles with the reply's JSON text.
            Ok(text) => text.as_string().unwrap_or_default(),
            Err(why) if why.as_string().as_deref() == Some(HUNG) => {
                return Err(WorkerFailure::Hung {
                    started: self.shared.last_started.borrow().clone(),
                })
            }
            Err(why) => return Err(WorkerFailure::Broken(error_text(&why))),
        };
        match serde_json::from_str::<Reply>(&text) {
            Ok(Reply::Fault { fault }) => Err(WorkerFailure::Fault(fault)),
            Ok(reply) => Ok(reply),
            Err(error) => Err(WorkerFailure::Broken(format!(
                "the reducer worker sent a reply this page does not understand ({error}); reload the page to load the matching worker"
            ))),
        }
    }
}

impl Shared {
    /// A reply settles its request with the reply's JSON text; a heartbeat
    /// only proves the worker alive, and in careful runs names the event.
    fn receive(&self, data: JsValue) {
        self.last_heard.set(now());
        let text = match JSON::stringify(&data).map(String::from) {
            Ok(text) => text,
            Err(error) => {
                web_sys::console::error_1(
                    &format!(
                        "the reducer worker sent a message that is not JSON: {}",
                        error_text(&error)
                    )
                    .into(),
                );
                return;
            }
        };
        let id = js_sys::Reflect::get(&data, &"id".into())
            .ok()
            .and_then(|id| id.as_f64());
        let Some(id) = id else {
            match serde_json::from_str::<Heartbeat>(&text) {
                Ok(Heartbeat::Starting { at }) => *self.last_started.borrow_mut() = Some(at),
                Ok(Heartbeat::Progress { .. }) => {}
                Err(error) => web_sys::console::error_1(
                    &format!("the reducer worker sent an unknown message ({error}): {text}").into(),
                ),
            }
            return;
        };
        if let Some((resolve, _)) = self.pending.borrow_mut().remove(&(id as u32)) {
            if let Err(error) = resolve.call1(&JsValue::UNDEFINED, &JsValue::from_str(&text)) {
                web_sys::console::error_1(&error);
            }
        }
    }

    fn settle_all_as_hung(&self) {
        let hung = JsValue::from_str(HUNG);
        for (_, (_, reject)) in self.pending.borrow_mut().drain() {
            if let Err(error) = reject.call1(&JsValue::UNDEFINED, &hung) {
                web_sys::console::error_1(&error);
            }
        }
    }
}

impl Drop for ReducerWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

pub fn now() -> f64 {
    js_sys::Date::now()
}
