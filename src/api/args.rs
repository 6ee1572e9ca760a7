//! Reading what a script passed: strings, events, options, numbers. A bad
//! argument is an `InvalidArgument` (an event's own fields, `InvalidEvent`)
//! with a message that shows the value.

use js_sys::{Array, Reflect, JSON};
use serde::de::IgnoredAny;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::event::InputEvent;
use crate::core::{Direction, ExpectedVersion, ReadRequest, StoreError};

pub(super) fn string_argument(value: &JsValue, what: &str) -> Result<String, StoreError> {
    value.as_string().ok_or_else(|| {
        StoreError::InvalidArgument(format!("{what} must be a string, not {}", describe(value)))
    })
}

/// One event or an array of them, through one `JSON.stringify`: a single
/// crossing for the whole batch instead of one per field.
pub(super) fn input_events(events: &JsValue) -> Result<Vec<InputEvent>, StoreError> {
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
    let inputs = serde_json::from_str(&json).map_err(|error| {
        StoreError::InvalidEvent(format!(
            "each event must be an object such as {{type: 'Deposited', data: {{amount: 5}}}}: {error}"
        ))
    })?;
    refuse_created(&json)?;
    Ok(inputs)
}

/// The store stamps every appended event with the time it was written; an
/// append cannot choose it (only the sample brings times of its own). A
/// `created` is refused rather than ignored, so nobody believes it was kept.
fn refuse_created(json: &str) -> Result<(), StoreError> {
    // Few batches mention it; only those are read a second time.
    if !json.contains("\"created\"") {
        return Ok(());
    }
    #[derive(Deserialize)]
    struct Stamped {
        #[serde(default)]
        created: Option<IgnoredAny>,
    }
    let events: Vec<Stamped> = serde_json::from_str(json)
        .map_err(|error| StoreError::InvalidEvent(format!("events are not readable: {error}")))?;
    match events.iter().position(|event| event.created.is_some()) {
        Some(index) => Err(StoreError::InvalidEvent(format!(
            "event {index}: created is set by the store when the event is written; an append cannot choose it"
        ))),
        None => Ok(()),
    }
}

pub(super) fn expected_version(value: &JsValue) -> Result<ExpectedVersion, StoreError> {
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

pub(super) fn read_request(options: &JsValue) -> Result<ReadRequest, StoreError> {
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

pub(super) fn whole_number(value: &JsValue, what: &str) -> Result<u64, StoreError> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER => Ok(n as u64),
        _ => Err(StoreError::InvalidArgument(format!(
            "{what} must be a whole number, 0 or more, not {}",
            describe(value)
        ))),
    }
}

/// Reads `options[key]`, treating a missing options object as empty.
pub(super) fn option(options: &JsValue, key: &str) -> Result<JsValue, StoreError> {
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

/// Reads `options[key]` as a boolean; `None` when it is not given.
pub(super) fn bool_option(options: &JsValue, key: &str) -> Result<Option<bool>, StoreError> {
    let value = option(options, key)?;
    if value.is_undefined() {
        return Ok(None);
    }
    value.as_bool().map(Some).ok_or_else(|| {
        StoreError::InvalidArgument(format!(
            "option {key} must be true or false, not {}",
            describe(&value)
        ))
    })
}

pub(super) fn describe(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

pub(super) fn error_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| describe(error))
}
