//! The page's side of one reducer worker (`static/reducer-worker.js`):
//! requests with replies, and the watchdog that ends a worker whose handler
//! never returns.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use gloo::timers::callback::Interval;
use js_sys::{Function, Promise, JSON};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Where Trunk copies the worker script (see `index.html`).
const WORKER_URL: &str = "/reducer-worker.js";
/// How often the watchdog looks, and how much silence beyond the handler
/// limit it allows for the worker's own reading and messaging.
const WATCH_EVERY_MS: u32 = 25;
const SLACK_MS: f64 = 150.0;

/// A reply, with the worker's JSON kept raw for the fields the page only
/// passes on (states, results, checkpoints).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    pub op: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub events_processed: Option<u64>,
    #[serde(default)]
    pub partitions: Option<u64>,
    #[serde(default)]
    pub state: Option<Box<RawValue>>,
    #[serde(default)]
    pub result: Option<Box<RawValue>>,
    #[serde(default)]
    pub checkpoint: Option<Box<RawValue>>,
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    #[serde(default)]
    pub logs: Option<Box<RawValue>>,
    #[serde(default)]
    pub emitted: Option<Box<RawValue>>,
}

/// Why a request did not get its reply.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerFailure {
    /// The projection's code failed: the worker's reason and source line.
    Fault { reason: String, line: Option<u32> },
    /// No message for longer than the handler limit: the worker was ended.
    /// `started` is the position of the last event the worker said it was
    /// starting (in careful runs).
    Hung { started: Option<i64> },
    /// The worker could not be started or talked to.
    Broken(String),
}

struct Shared {
    pending: RefCell<HashMap<u32, (Function, Function)>>,
    next_id: Cell<u32>,
    last_heard: Cell<f64>,
    last_started: Cell<Option<i64>>,
}

pub struct ReducerWorker {
    worker: web_sys::Worker,
    shared: Rc<Shared>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl ReducerWorker {
    pub fn spawn() -> Result<ReducerWorker, WorkerFailure> {
        let worker = web_sys::Worker::new(WORKER_URL).map_err(|e| {
            WorkerFailure::Broken(format!("could not start the reducer worker: {e:?}"))
        })?;
        let shared = Rc::new(Shared {
            pending: RefCell::default(),
            next_id: Cell::new(1),
            last_heard: Cell::new(now()),
            last_started: Cell::new(None),
        });
        let heard = Rc::clone(&shared);
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |message: web_sys::MessageEvent| {
                heard.last_heard.set(now());
                let data = message.data();
                let field = |name: &str| js_sys::Reflect::get(&data, &name.into()).ok();
                if field("op").and_then(|op| op.as_string()).as_deref() == Some("starting") {
                    heard
                        .last_started
                        .set(field("position").and_then(|p| p.as_f64()).map(|p| p as i64));
                }
                let Some(id) = field("id").and_then(|id| id.as_f64()) else {
                    return;
                };
                if let Some((resolve, _)) = heard.pending.borrow_mut().remove(&(id as u32)) {
                    let _ = resolve.call1(&JsValue::UNDEFINED, &data);
                }
            },
        );
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(ReducerWorker {
            worker,
            shared,
            _on_message: on_message,
        })
    }

    /// Sends one request and waits for its reply. With `limit_ms`, the
    /// watchdog ends the worker when it stays silent longer than that.
    pub async fn request<T: Serialize>(
        &self,
        message: &T,
        limit_ms: Option<u32>,
    ) -> Result<Reply, WorkerFailure> {
        let id = self.shared.next_id.get();
        self.shared.next_id.set(id + 1);
        let mut settle = None;
        let reply = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let (resolve, reject) =
            settle.ok_or_else(|| WorkerFailure::Broken("Promise did not run".into()))?;
        self.shared
            .pending
            .borrow_mut()
            .insert(id, (resolve, reject));

        let json = serde_json::to_string(message)
            .map_err(|e| WorkerFailure::Broken(format!("could not encode a request: {e}")))?;
        let payload = JSON::parse(&json).map_err(|e| WorkerFailure::Broken(format!("{e:?}")))?;
        js_sys::Reflect::set(&payload, &"id".into(), &JsValue::from(id))
            .map_err(|e| WorkerFailure::Broken(format!("{e:?}")))?;
        self.shared.last_heard.set(now());
        self.shared.last_started.set(None);
        self.worker
            .post_message(&payload)
            .map_err(|e| WorkerFailure::Broken(format!("could not message the worker: {e:?}")))?;

        let _watchdog = limit_ms.map(|limit| {
            let shared = Rc::clone(&self.shared);
            let worker = self.worker.clone();
            Interval::new(WATCH_EVERY_MS, move || {
                if now() - shared.last_heard.get() > f64::from(limit) + SLACK_MS {
                    worker.terminate();
                    let hung = JsValue::from_str("hung");
                    for (_, (_, reject)) in shared.pending.borrow_mut().drain() {
                        let _ = reject.call1(&JsValue::UNDEFINED, &hung);
                    }
                }
            })
        });
        let data = match JsFuture::from(reply).await {
            Ok(data) => data,
            Err(_) => {
                return Err(WorkerFailure::Hung {
                    started: self.shared.last_started.get(),
                })
            }
        };
        let text = JSON::stringify(&data)
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        let reply: Reply = serde_json::from_str(&text)
            .map_err(|e| WorkerFailure::Broken(format!("unreadable reply from the worker: {e}")))?;
        if reply.op == "fault" {
            return Err(WorkerFailure::Fault {
                reason: reply
                    .reason
                    .unwrap_or_else(|| "the projection faulted".into()),
                line: reply.line,
            });
        }
        Ok(reply)
    }
}

impl Drop for ReducerWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}
