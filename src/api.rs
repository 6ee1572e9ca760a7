//! `window.sandbox`: the documented scripting API for the browser console and
//! for tests. Its shape is a contract (see the README); keep it stable.
//!
//! This is the one boundary that knows JavaScript's shapes: options objects
//! are read here, results leave as JSON built by serde and parsed once by
//! `JSON.parse` (cheaper than building objects field by field), and every
//! failure becomes an `Error` whose `name` is the [`StoreError`]'s name.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::core::event::InputEvent;
use crate::core::{Direction, ExpectedVersion, ReadRequest, StoreError, StreamInfo, StreamState};
use crate::projections::{Lifecycle, LogLine, ProjectionError, QueryOutcome};
use crate::service::Sandbox;

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
        let methods: [(&str, Method); 21] = [
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

/// A row of `streams()` and `stream(name)`, exactly as the README documents
/// it: the storage row's soft-delete mark stays inside.
#[derive(Serialize)]
struct StreamSummary<'a> {
    stream: &'a str,
    category: &'a str,
    version: u64,
    count: u64,
    created: &'a str,
    updated: &'a str,
}

impl<'a> From<&'a StreamInfo> for StreamSummary<'a> {
    fn from(row: &'a StreamInfo) -> Self {
        StreamSummary {
            stream: &row.stream,
            category: &row.category,
            version: row.version,
            count: row.count,
            created: &row.created,
            updated: &row.updated,
        }
    }
}

/// What `query(source)` resolves with: `partitions` is `{ key: state }`.
#[derive(Serialize)]
struct QueryResult {
    state: Option<serde_json::Value>,
    result: Option<serde_json::Value>,
    partitions: serde_json::Map<String, serde_json::Value>,
    logs: Vec<LogLine>,
}

impl From<QueryOutcome> for QueryResult {
    fn from(outcome: QueryOutcome) -> Self {
        QueryResult {
            state: outcome.state,
            result: outcome.result,
            partitions: outcome.partitions.into_iter().collect(),
            logs: outcome.logs,
        }
    }
}

type Reply = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, ProjectionError>>>>;
type Method = fn(Rc<Sandbox>, [JsValue; 3]) -> Reply;

fn append(sandbox: Rc<Sandbox>, [stream, events, options]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        // The README lists a bad stream name of an append as InvalidEvent.
        let stream = string_argument(&stream, "stream name")
            .map_err(|error| StoreError::InvalidEvent(error.to_string()))?;
        let inputs = input_events(&events)?;
        let expected = expected_version(&option(&options, "expectedVersion")?)?;
        let result = sandbox.append(&stream, inputs, expected).await?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Appended {
            next_expected_version: u64,
            position: u64,
        }
        to_json_value(&Appended {
            next_expected_version: result.next_expected_version,
            position: result.position,
        })
    })
}

fn read_stream(sandbox: Rc<Sandbox>, [stream, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let stream = string_argument(&stream, "stream name")?;
        let request = read_request(&options)?;
        if option(&options, "resolveLinks")?.is_truthy() {
            to_json_value(
                &sandbox
                    .read_stream_resolving_links(&stream, request)
                    .await?,
            )
        } else {
            to_json_value(&sandbox.read_stream(&stream, request).await?)
        }
    })
}

fn read_all(sandbox: Rc<Sandbox>, [options, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move { to_json_value(&sandbox.read_all(read_request(&options)?).await?) })
}

fn streams(sandbox: Rc<Sandbox>, [options, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let include_system = option(&options, "includeSystem")?.is_truthy();
        let rows = sandbox.streams().await?;
        let streams: Vec<StreamSummary> = rows
            .iter()
            .filter(|row| include_system || !row.is_system())
            .map(StreamSummary::from)
            .collect();
        to_json_value(&streams)
    })
}

fn stream(sandbox: Rc<Sandbox>, [stream, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let stream = string_argument(&stream, "stream name")?;
        to_json_value(
            &sandbox
                .stream(&stream)
                .await?
                .as_ref()
                .map(StreamSummary::from),
        )
    })
}

fn read_category(sandbox: Rc<Sandbox>, [category, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let category = string_argument(&category, "category")?;
        to_json_value(
            &sandbox
                .read_category(&category, read_request(&options)?)
                .await?,
        )
    })
}

fn read_by_type(sandbox: Rc<Sandbox>, [event_type, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let event_type = string_argument(&event_type, "event type")?;
        to_json_value(
            &sandbox
                .read_by_type(&event_type, read_request(&options)?)
                .await?,
        )
    })
}

fn read_by_correlation(sandbox: Rc<Sandbox>, [id, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let id = string_argument(&id, "correlation id")?;
        to_json_value(
            &sandbox
                .read_by_correlation(&id, read_request(&options)?)
                .await?,
        )
    })
}

fn load_sample(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        sandbox.load_sample().await?;
        Ok(JsValue::UNDEFINED)
    })
}

fn create_projection(sandbox: Rc<Sandbox>, [name, source, options]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        let source = string_argument(&source, "projection source")?;
        let mode = option(&options, "mode")?;
        if !mode.is_undefined() && mode.as_string().as_deref() != Some("continuous") {
            return Err(StoreError::InvalidArgument(format!(
                "mode {} is not 'continuous'; for a one-time run use sandbox.query(source)",
                describe(&mode)
            ))
            .into());
        }
        sandbox.projections().create(&name, &source).await?;
        Ok(JsValue::UNDEFINED)
    })
}

fn update_projection(sandbox: Rc<Sandbox>, [name, source, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        let source = string_argument(&source, "projection source")?;
        sandbox.projections().update(&name, &source).await?;
        Ok(JsValue::UNDEFINED)
    })
}

fn stop_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Stop)
}

fn start_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Start)
}

fn reset_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Reset)
}

fn delete_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Delete)
}

fn change_projection(sandbox: Rc<Sandbox>, name: JsValue, change: Lifecycle) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        sandbox.projections().apply(&name, change).await?;
        Ok(JsValue::UNDEFINED)
    })
}

fn projections(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Row {
            name: String,
            mode: &'static str,
            status: &'static str,
            position: i64,
            events_processed: u64,
            partitions: u64,
            reason: Option<String>,
        }
        let rows: Vec<Row> = sandbox
            .projections()
            .list()
            .into_iter()
            .map(|record| Row {
                name: record.name,
                mode: "continuous",
                status: record.status.as_str(),
                position: record.position,
                events_processed: record.events_processed,
                partitions: record.partitions,
                reason: record.reason,
            })
            .collect();
        to_json_value(&rows)
    })
}

fn projection_state(sandbox: Rc<Sandbox>, [name, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let (state, _) = state_and_result(&sandbox, &name, &options).await?;
        Ok(state)
    })
}

fn projection_result(sandbox: Rc<Sandbox>, [name, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let (_, result) = state_and_result(&sandbox, &name, &options).await?;
        Ok(result)
    })
}

async fn state_and_result(
    sandbox: &Rc<Sandbox>,
    name: &JsValue,
    options: &JsValue,
) -> Result<(JsValue, JsValue), ProjectionError> {
    let name = string_argument(name, "projection name")?;
    let partition = option(options, "partition")?;
    let partition = if partition.is_undefined() || partition.is_null() {
        None
    } else {
        Some(string_argument(&partition, "partition")?)
    };
    let (state, result) = sandbox
        .projections()
        .state(&name, partition.as_deref())
        .await?;
    Ok((value_to_js(state)?, value_to_js(result)?))
}

fn projection_partitions(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        to_json_value(&sandbox.projections().partitions(&name).await?)
    })
}

fn query(sandbox: Rc<Sandbox>, [source, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let source = string_argument(&source, "query source")?;
        to_json_value(&QueryResult::from(
            sandbox.projections().query(&source).await?,
        ))
    })
}

/// Settings: `{ projectionExecutionTimeout }`, the most milliseconds one
/// handler call may run (EventStoreDB's `ProjectionExecutionTimeout`).
/// Resolves with the settings in force.
fn configure(sandbox: Rc<Sandbox>, [settings, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let timeout = option(&settings, "projectionExecutionTimeout")?;
        if !timeout.is_undefined() {
            let ms = whole_number(&timeout, "projectionExecutionTimeout")?;
            if ms == 0 || ms > 60_000 {
                return Err(StoreError::InvalidArgument(format!(
                    "projectionExecutionTimeout {ms} is outside 1 to 60000 milliseconds"
                ))
                .into());
            }
            sandbox.projections().set_handler_timeout_ms(ms as u32);
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Settings {
            projection_execution_timeout: u32,
        }
        to_json_value(&Settings {
            projection_execution_timeout: sandbox.projections().handler_timeout_ms(),
        })
    })
}

/// A state or result from the worker, as a JS value (`null` when absent).
fn value_to_js(value: Option<serde_json::Value>) -> Result<JsValue, ProjectionError> {
    to_json_value(&value)
}

fn string_argument(value: &JsValue, what: &str) -> Result<String, StoreError> {
    value.as_string().ok_or_else(|| {
        StoreError::InvalidArgument(format!("{what} must be a string, not {}", describe(value)))
    })
}

/// One event or an array of them, through one `JSON.stringify`: a single
/// crossing for the whole batch instead of one per field.
fn input_events(events: &JsValue) -> Result<Vec<InputEvent>, StoreError> {
    if events.is_undefined() || events.is_null() {
        return Err(StoreError::InvalidEvent(
            "events are missing: give {type, data} or an array of them".into(),
        ));
    }
    let array = if Array::is_array(events) {
        events.clone()
    } else {
        Array::of1(events).into()
    };
    let json = JSON::stringify(&array)
        .map_err(|error| {
            StoreError::InvalidEvent(format!(
                "event data cannot be turned into JSON: {}",
                error_message(&error)
            ))
        })?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&json).map_err(|error| {
        StoreError::InvalidEvent(format!(
            "each event must be an object such as {{type: 'Deposited', data: {{amount: 5}}}}: {error}"
        ))
    })
}

fn expected_version(value: &JsValue) -> Result<ExpectedVersion, StoreError> {
    if value.is_undefined() || value.is_null() {
        return Ok(ExpectedVersion::Any);
    }
    if let Some(text) = value.as_string() {
        return ExpectedVersion::parse(&text);
    }
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER => {
            Ok(ExpectedVersion::Exact(n as u64))
        }
        _ => Err(StoreError::InvalidArgument(format!(
            "expectedVersion {} is not one of 'any', 'no_stream', 'stream_exists' or a version number (0 or more)",
            describe(value)
        ))),
    }
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn read_request(options: &JsValue) -> Result<ReadRequest, StoreError> {
    let mut request = ReadRequest::default();
    let from = option(options, "from")?;
    if !from.is_undefined() && !from.is_null() {
        request.from = Some(whole_number(&from, "from")?);
    }
    let direction = option(options, "direction")?;
    if !direction.is_undefined() {
        request.direction = Direction::parse(&string_argument(&direction, "direction")?)?;
    }
    let limit = option(options, "limit")?;
    if !limit.is_undefined() && !limit.is_null() {
        request.limit = usize::try_from(whole_number(&limit, "limit")?).unwrap_or(usize::MAX);
    }
    Ok(request)
}

fn whole_number(value: &JsValue, what: &str) -> Result<u64, StoreError> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER => Ok(n as u64),
        _ => Err(StoreError::InvalidArgument(format!(
            "{what} must be a whole number, 0 or more, not {}",
            describe(value)
        ))),
    }
}

/// Reads `options[key]`, treating a missing options object as empty.
fn option(options: &JsValue, key: &str) -> Result<JsValue, StoreError> {
    if options.is_undefined() || options.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    if !options.is_object() {
        return Err(StoreError::InvalidArgument(format!(
            "options must be an object, not {}",
            describe(options)
        )));
    }
    Reflect::get(options, &key.into())
        .map_err(|error| StoreError::InvalidArgument(error_message(&error)))
}

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
    js_error.into()
}

fn describe(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

fn error_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| describe(error))
}
