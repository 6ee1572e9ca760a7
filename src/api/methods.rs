//! One function per method of `window.sandbox`, in the README's order.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::args::{
    bool_option, describe, expected_version, input_events, option, read_request, string_argument,
    whole_number,
};
use super::results::{Appended, ProjectionRow, QueryResult, Settings, StreamSummary};
use super::travel::{position_option, query_at, streams_at};
use super::{to_json_value, value_to_js, Reply};
use crate::core::StoreError;
use crate::projections::{Lifecycle, ProjectionError};
use crate::service::Sandbox;

pub(super) fn append(sandbox: Rc<Sandbox>, [stream, events, options]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        // The README lists a bad stream name of an append as InvalidEvent.
        let stream = string_argument(&stream, "stream name")
            .map_err(|error| StoreError::InvalidEvent(error.to_string()))?;
        let inputs = input_events(&events)?;
        let expected = expected_version(&option(&options, "expectedVersion")?)?;
        let result = sandbox.append(&stream, inputs, expected).await?;
        to_json_value(&Appended::from(result))
    })
}

pub(super) fn read_stream(sandbox: Rc<Sandbox>, [stream, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let stream = string_argument(&stream, "stream name")?;
        let request = read_request(&options)?;
        let to = position_option(&options, "to")?;
        if option(&options, "resolveLinks")?.is_truthy() {
            let mut resolved = sandbox
                .read_stream_resolving_links(&stream, request)
                .await?;
            if let Some(to) = to {
                resolved.retain(|event| {
                    event.link.as_ref().unwrap_or(&event.event).position as i64 <= to
                });
            }
            to_json_value(&resolved)
        } else if let Some(to) = to {
            to_json_value(&sandbox.read_stream_to(&stream, request, to).await?)
        } else {
            to_json_value(&sandbox.read_stream(&stream, request).await?)
        }
    })
}

pub(super) fn read_all(sandbox: Rc<Sandbox>, [options, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let request = read_request(&options)?;
        match position_option(&options, "to")? {
            Some(to) => to_json_value(&sandbox.read_all_to(request, to).await?),
            None => to_json_value(&sandbox.read_all(request).await?),
        }
    })
}

pub(super) fn streams(sandbox: Rc<Sandbox>, [options, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let include_system = option(&options, "includeSystem")?.is_truthy();
        if let Some(at) = position_option(&options, "at")? {
            return streams_at(sandbox, at, include_system).await;
        }
        let rows = sandbox.streams().await?;
        let streams: Vec<StreamSummary> = rows
            .iter()
            .filter(|row| include_system || !row.is_system())
            .map(StreamSummary::from)
            .collect();
        to_json_value(&streams)
    })
}

pub(super) fn stream(sandbox: Rc<Sandbox>, [stream, _, _]: [JsValue; 3]) -> Reply {
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

pub(super) fn read_category(sandbox: Rc<Sandbox>, [category, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let category = string_argument(&category, "category")?;
        to_json_value(
            &sandbox
                .read_category(&category, read_request(&options)?)
                .await?,
        )
    })
}

pub(super) fn read_by_type(sandbox: Rc<Sandbox>, [event_type, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let event_type = string_argument(&event_type, "event type")?;
        to_json_value(
            &sandbox
                .read_by_type(&event_type, read_request(&options)?)
                .await?,
        )
    })
}

pub(super) fn read_by_correlation(sandbox: Rc<Sandbox>, [id, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let id = string_argument(&id, "correlation id")?;
        to_json_value(
            &sandbox
                .read_by_correlation(&id, read_request(&options)?)
                .await?,
        )
    })
}

pub(super) fn load_sample(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        sandbox.load_sample().await?;
        Ok(JsValue::UNDEFINED)
    })
}

pub(super) fn create_projection(
    sandbox: Rc<Sandbox>,
    [name, source, options]: [JsValue; 3],
) -> Reply {
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
        let emit = bool_option(&options, "emit")?.unwrap_or(false);
        sandbox.projections().create(&name, &source, emit).await?;
        Ok(JsValue::UNDEFINED)
    })
}

/// New code that keeps the checkpoint, as KurrentDB's update; `{ emit }`
/// changes whether it may emit (kept when not given).
pub(super) fn update_projection(
    sandbox: Rc<Sandbox>,
    [name, source, options]: [JsValue; 3],
) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        let source = string_argument(&source, "projection source")?;
        let emit = bool_option(&options, "emit")?;
        sandbox.projections().update(&name, &source, emit).await?;
        Ok(JsValue::UNDEFINED)
    })
}

pub(super) fn stop_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Stop)
}

pub(super) fn start_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Start)
}

pub(super) fn reset_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Reset)
}

pub(super) fn delete_projection(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    change_projection(sandbox, name, Lifecycle::Delete)
}

fn change_projection(sandbox: Rc<Sandbox>, name: JsValue, change: Lifecycle) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        sandbox.projections().apply(&name, change).await?;
        Ok(JsValue::UNDEFINED)
    })
}

pub(super) fn projections(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let rows: Vec<ProjectionRow> = sandbox
            .projections()
            .list()
            .into_iter()
            .map(ProjectionRow::from)
            .collect();
        to_json_value(&rows)
    })
}

pub(super) fn projection_state(sandbox: Rc<Sandbox>, [name, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let (state, _) = state_and_result(&sandbox, &name, &options).await?;
        Ok(state)
    })
}

pub(super) fn projection_result(sandbox: Rc<Sandbox>, [name, options, _]: [JsValue; 3]) -> Reply {
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
    // `{ wait: false }`: what is processed so far, without waiting for the
    // projection to catch up (it is eventually consistent).
    let wait = bool_option(options, "wait")?.unwrap_or(true);
    let at = position_option(options, "at")?;
    let host = sandbox.projections();
    let (state, result) = match (at, wait) {
        (Some(at), _) => host.state_at(&name, partition.as_deref(), at).await?,
        (None, true) => host.state(&name, partition.as_deref()).await?,
        (None, false) => host.state_so_far(&name, partition.as_deref()).await?,
    };
    Ok((value_to_js(state)?, value_to_js(result)?))
}

pub(super) fn projection_partitions(
    sandbox: Rc<Sandbox>,
    [name, options, _]: [JsValue; 3],
) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "projection name")?;
        let host = sandbox.projections();
        match position_option(&options, "at")? {
            Some(at) => to_json_value(&host.partitions_at(&name, at).await?),
            None => to_json_value(&host.partitions(&name).await?),
        }
    })
}

pub(super) fn query(sandbox: Rc<Sandbox>, [source, options, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let source = string_argument(&source, "query source")?;
        let what_if =
            !option(&options, "at")?.is_undefined() || !option(&options, "skip")?.is_undefined();
        if what_if {
            return query_at(sandbox, source, options).await;
        }
        to_json_value(&QueryResult::from(
            sandbox.projections().query(&source).await?,
        ))
    })
}

/// Settings: `{ projectionExecutionTimeout }`, the most milliseconds one
/// handler call may run (EventStoreDB's `ProjectionExecutionTimeout`).
/// Resolves with the settings in force.
pub(super) fn configure(sandbox: Rc<Sandbox>, [settings, _, _]: [JsValue; 3]) -> Reply {
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
        to_json_value(&Settings {
            projection_execution_timeout: sandbox.projections().handler_timeout_ms(),
        })
    })
}
