//! `window.sandbox`'s time travel: the `at` option of reads and projection
//! states, one event's change, what-if queries, comparing reducers, the
//! cursor, and the position at a time. `at` is a global position,
//! inclusive; -1 is before any event.

use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::args::{describe, option, string_argument};
use super::results::{StreamSummary, ViewResult};
use super::{to_json_value, Reply};
use crate::core::diff::PathChange;
use crate::core::time::iso8601_from_millis;
use crate::core::StoreError;
use crate::projections::compare::Divergence;
use crate::projections::protocol::{Emitted, LogLine};
use crate::projections::{ChangeAt, Comparison};
use crate::service::{Cursor, Sandbox};

/// `options[key]` as a position (a whole number, -1 allowed); `None` when
/// not given.
pub(super) fn position_option(options: &JsValue, key: &str) -> Result<Option<i64>, StoreError> {
    let value = option(options, key)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    position(&value, key).map(Some)
}

fn position(value: &JsValue, what: &str) -> Result<i64, StoreError> {
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && (-1.0..=9_007_199_254_740_991.0).contains(&n) => {
            Ok(n as i64)
        }
        _ => Err(StoreError::InvalidArgument(format!(
            "{what} must be a position: a whole number from -1 (before any event) up, not {}",
            describe(value)
        ))),
    }
}

pub(super) fn streams_at(sandbox: Rc<Sandbox>, at: i64, include_system: bool) -> Reply {
    Box::pin(async move {
        let rows = sandbox.streams_at(at).await?;
        let streams: Vec<StreamSummary> = rows
            .iter()
            .filter(|row| include_system || !row.is_system())
            .map(StreamSummary::from)
            .collect();
        to_json_value(&streams)
    })
}

/// What `projectionChange` resolves with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeResult {
    partition: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    diff: Vec<PathChange>,
    /// A bi-state projection's shared state, when the event changed it.
    shared_diff: Vec<PathChange>,
    logs: Vec<LogLine>,
    emitted: Vec<Emitted>,
    /// Why the handler failed; the event is then left out.
    fault: Option<String>,
}

impl From<ChangeAt> for ChangeResult {
    fn from(change: ChangeAt) -> Self {
        ChangeResult {
            partition: change.change.partition,
            before: change.change.before,
            after: change.change.after,
            diff: change.diff,
            shared_diff: change.shared_diff,
            logs: change.change.logs,
            emitted: change.change.emitted,
            fault: change.change.fault.map(|fault| fault.reason()),
        }
    }
}

pub(super) fn projection_change(sandbox: Rc<Sandbox>, [name, at, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        let at = position(&at, "position")?;
        let change = sandbox.projections().change_at(&name, at).await?;
        to_json_value(&change.map(ChangeResult::from))
    })
}

/// What `compareProjection` resolves with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ComparisonResult {
    at: i64,
    current: ViewResult,
    draft: ViewResult,
    first_difference: Option<Divergence>,
    divergences: Vec<Divergence>,
}

impl From<Comparison> for ComparisonResult {
    fn from(comparison: Comparison) -> Self {
        ComparisonResult {
            at: comparison.at,
            current: ViewResult::new(comparison.current, Vec::new()),
            draft: ViewResult::new(comparison.draft, comparison.draft_faults),
            first_difference: comparison.divergences.first().cloned(),
            divergences: comparison.divergences,
        }
    }
}

/// `compareProjection(name, draftSource, { at })`: the projection and a
/// draft of its source over the same events, and where they first differ.
pub(super) fn compare_projection(
    sandbox: Rc<Sandbox>,
    [name, draft, options]: [JsValue; 3],
) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        let draft = string_argument(&draft, "draft source")?;
        let at = position_option(&options, "at")?.unwrap_or(i64::MAX);
        let comparison = sandbox.projections().compare(&name, &draft, at).await?;
        to_json_value(&ComparisonResult::from(comparison))
    })
}

/// `query(source, { at, skip })` with either given: a what-if run.
pub(super) fn query_at(sandbox: Rc<Sandbox>, source: String, options: JsValue) -> Reply {
    Box::pin(async move {
        let at = position_option(&options, "at")?.unwrap_or(i64::MAX);
        let skip = skip_option(&options)?;
        let view = sandbox.projections().query_at(&source, at, &skip).await?;
        to_json_value(&ViewResult::new(view.view, view.faults))
    })
}

fn skip_option(options: &JsValue) -> Result<Vec<i64>, StoreError> {
    let skip = option(options, "skip")?;
    if skip.is_undefined() || skip.is_null() {
        return Ok(Vec::new());
    }
    if !js_sys::Array::is_array(&skip) {
        return Err(StoreError::InvalidArgument(format!(
            "skip must be an array of positions, not {}",
            describe(&skip)
        )));
    }
    js_sys::Array::from(&skip)
        .iter()
        .map(|value| position(&value, "each position in skip"))
        .collect()
}

pub(super) fn cursor(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        Ok(match sandbox.cursor() {
            Cursor::Live => JsValue::from_str("live"),
            Cursor::At(at) => JsValue::from_f64(at as f64),
        })
    })
}

/// `travelTo(position | 'live')`: moves the app's cursor.
pub(super) fn travel_to(sandbox: Rc<Sandbox>, [to, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let cursor = if to.as_string().as_deref() == Some("live") {
            Cursor::Live
        } else {
            Cursor::At(position(&to, "travelTo's position (or 'live')")?)
        };
        sandbox.travel_to(cursor);
        Ok(JsValue::UNDEFINED)
    })
}

/// `positionAt(isoTime)`: the last position whose `created` is at or
/// before that time, or -1.
pub(super) fn position_at(sandbox: Rc<Sandbox>, [time, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let text = string_argument(&time, "time")?;
        let millis = js_sys::Date::parse(&text);
        if millis.is_nan() {
            return Err(StoreError::InvalidArgument(format!(
                "time {text:?} is not a date; give an ISO-8601 time such as 2026-11-27T10:00:00Z"
            ))
            .into());
        }
        let at = sandbox
            .position_at(&iso8601_from_millis(millis as i64))
            .await?;
        Ok(JsValue::from_f64(at as f64))
    })
}
