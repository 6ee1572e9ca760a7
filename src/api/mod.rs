//! `window.sandbox`: the documented scripting API for the browser console and
//! for tests. Its shape is a contract (see the README); keep it stable.
//!
//! This is the one boundary that knows JavaScript's shapes: options objects
//! are read here (`args.rs`), results leave as their own types
//! (`results.rs`), as JSON built by serde and parsed once by `JSON.parse`
//! (cheaper than building objects field by field), and every failure
//! becomes an `Error` whose `name` is the [`StoreError`]'s name.
//! `methods.rs` holds one function per method.

mod args;
mod methods;
mod results;
mod sandboxes;
mod scenarios;
mod transfer;
mod travel;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::core::{ExpectedVersion, StoreError, StreamState};
use crate::projections::ProjectionError;
use crate::service::Sandbox;
use args::error_message;
use methods::*;

/// The opened sandbox, once `ready` has resolved.
type Opened = Rc<RefCell<Option<Rc<Sandbox>>>>;

/// Installs `window.sandbox` at once, before the store is open: its `ready`
/// resolves when it is, and every method waits for `ready` itself, so a
/// script may call methods straight away.
pub struct ApiInstaller {
    opened: Opened,
    resolve: Function,
    reject: Function,
}

impl ApiInstaller {
    pub fn install() -> Result<ApiInstaller, JsValue> {
        let mut settle = None;
        let ready = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let (resolve, reject) = settle.ok_or("Promise did not call its executor")?;
        let opened: Opened = Rc::default();
        let api = Object::new();
        Reflect::set(&api, &"ready".into(), &ready)?;
        // When the open fails, `ready` rejects; every script that awaits it
        // sees that. This handler only keeps the browser from also reporting
        // it as an unhandled rejection when no script is waiting.
        let observe = Closure::<dyn FnMut(JsValue)>::new(|_| {});
        let _observed = ready.catch(&observe);
        // It must outlive the promise, which lives as long as the page.
        observe.forget();
        let methods: [(&str, Method); 36] = [
            ("append", append),
            ("readStream", read_stream),
            ("readAll", read_all),
            ("streams", streams),
            ("stream", stream),
            ("readCategory", read_category),
            ("readByType", read_by_type),
            ("readByCorrelation", read_by_correlation),
            ("loadSample", load_sample),
            ("createProjection", create_projection),
            ("updateProjection", update_projection),
            ("stopProjection", stop_projection),
            ("startProjection", start_projection),
            ("resetProjection", reset_projection),
            ("deleteProjection", delete_projection),
            ("projections", projections),
            ("projectionState", projection_state),
            ("projectionResult", projection_result),
            ("projectionPartitions", projection_partitions),
            ("query", query),
            ("configure", configure),
            ("projectionChange", travel::projection_change),
            ("compareProjection", travel::compare_projection),
            ("cursor", travel::cursor),
            ("travelTo", travel::travel_to),
            ("positionAt", travel::position_at),
            ("sandboxes", sandboxes::sandboxes),
            ("createSandbox", sandboxes::create),
            ("useSandbox", sandboxes::use_sandbox),
            ("deleteSandbox", sandboxes::delete),
            ("lock", sandboxes::lock),
            ("unlock", sandboxes::unlock),
            ("scenarios", scenarios::scenarios),
            ("loadScenario", scenarios::load),
            ("exportNdjson", transfer::export_ndjson),
            ("importNdjson", transfer::import_ndjson),
        ];
        for (name, method) in methods {
            let ready = ready.clone();
            let opened = Rc::clone(&opened);
            let call = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(
                move |a: JsValue, b: JsValue, c: JsValue| {
                    let ready = ready.clone();
                    let opened = Rc::clone(&opened);
                    future_to_promise(async move {
                        JsFuture::from(ready).await?;
                        let sandbox = opened.borrow().clone().ok_or_else(|| {
                            to_js_error(
                                &StoreError::Unavailable("the sandbox is not open".into()).into(),
                            )
                        })?;
                        method(sandbox, [a, b, c])
                            .await
                            .map_err(|e| to_js_error(&e))
                    })
                },
            );
            Reflect::set(&api, &name.into(), call.as_ref())?;
            // The API lives as long as the page.
            call.forget();
        }
        let window = web_sys::window().ok_or("no window")?;
        Reflect::set(&window, &"sandbox".into(), &api)?;
        Ok(ApiInstaller {
            opened,
            resolve,
            reject,
        })
    }

    pub fn opened(self, sandbox: Rc<Sandbox>) {
        *self.opened.borrow_mut() = Some(sandbox);
        settle(self.resolve.call0(&JsValue::UNDEFINED));
    }

    pub fn failed(self, error: &StoreError) {
        settle(
            self.reject
                .call1(&JsValue::UNDEFINED, &to_js_error(&error.clone().into())),
        );
    }
}

/// Calling a Promise's own resolve or reject function does not throw; if it
/// ever did, the console says so rather than the failure vanishing.
fn settle(outcome: Result<JsValue, JsValue>) {
    if let Err(error) = outcome {
        web_sys::console::error_2(&"could not settle sandbox.ready".into(), &error);
    }
}

type Reply = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, ProjectionError>>>>;
type Method = fn(Rc<Sandbox>, [JsValue; 3]) -> Reply;

fn to_json_value<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, ProjectionError> {
    let json = serde_json::to_string(value)
        .map_err(|error| StoreError::Storage(format!("could not encode the result: {error}")))?;
    JSON::parse(&json).map_err(|error| StoreError::Storage(error_message(&error)).into())
}

/// A JS `Error` named after the error, with a conflict's details as
/// properties so scripts need not parse the message.
pub fn to_js_error(error: &ProjectionError) -> JsValue {
    let js_error = js_sys::Error::new(&error.to_string());
    js_error.set_name(error.name());
    if let ProjectionError::Store(StoreError::WrongExpectedVersion {
        stream,
        expected,
        actual,
    }) = error
    {
        let expected = match expected {
            ExpectedVersion::Exact(version) => JsValue::from_f64(*version as f64),
            other => JsValue::from_str(&other.to_string()),
        };
        let actual = match actual {
            StreamState::At(version) => JsValue::from_f64(*version as f64),
            StreamState::NoStream => JsValue::from_str("no_stream"),
        };
        for (key, value) in [
            ("stream", JsValue::from_str(stream)),
            ("expected", expected),
            ("actual", actual),
        ] {
            if let Err(failure) = Reflect::set(&js_error, &key.into(), &value) {
                // The error still names the conflict in its message.
                web_sys::console::error_2(
                    &"could not describe a conflict on its Error".into(),
                    &failure,
                );
            }
        }
    }
    if let ProjectionError::Store(
        StoreError::StreamNotFound { stream } | StoreError::StreamDeleted { stream },
    ) = error
    {
        if let Err(failure) = Reflect::set(&js_error, &"stream".into(), &JsValue::from_str(stream))
        {
            // The message names the stream too.
            web_sys::console::error_2(&"could not name the stream on its Error".into(), &failure);
        }
    }
    js_error.into()
}

/// A state or result from the worker, as a JS value (`null` when absent).
fn value_to_js(value: Option<serde_json::Value>) -> Result<JsValue, ProjectionError> {
    to_json_value(&value)
}
