//! What the API resolves with: its own types, never storage rows, so the
//! README's shapes stay put when storage changes.

use serde::Serialize;

use crate::core::projection::ProjectionRecord;
use crate::core::{AppendResult, StreamInfo};
use crate::projections::protocol::Fault;
use crate::projections::{LogLine, ProjectionView, QueryOutcome};

/// A row of `streams()` and `stream(name)`, exactly as the README documents
/// it: the storage row's soft-delete mark stays inside.
#[derive(Serialize)]
pub(super) struct StreamSummary<'a> {
    stream: &'a str,
    /// `null` for a stream without one (`core::event::category_of`).
    category: Option<&'a str>,
    version: u64,
    count: u64,
    created: &'a str,
    updated: &'a str,
}

impl<'a> From<&'a StreamInfo> for StreamSummary<'a> {
    fn from(row: &'a StreamInfo) -> Self {
        StreamSummary {
            stream: &row.stream,
            category: row.category.as_deref(),
            version: row.version,
            count: row.count,
            created: &row.created,
            updated: &row.updated,
        }
    }
}

/// What `query(source)` resolves with: `partitions` is `{ key: state }`.
#[derive(Serialize)]
pub(super) struct QueryResult {
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

/// A projection as of a position (a what-if `query`, each side of a
/// comparison): `query`'s shape, with the handlers that threw on the way,
/// whose events were left out.
#[derive(Serialize)]
pub(super) struct ViewResult {
    state: Option<serde_json::Value>,
    result: Option<serde_json::Value>,
    partitions: serde_json::Map<String, serde_json::Value>,
    logs: Vec<LogLine>,
    faults: Vec<String>,
}

impl ViewResult {
    pub(super) fn new(view: ProjectionView, faults: Vec<Fault>) -> ViewResult {
        ViewResult {
            state: view.state,
            result: view.result,
            partitions: view.partitions.into_iter().collect(),
            logs: Vec::new(),
            faults: faults.iter().map(Fault::reason).collect(),
        }
    }
}

/// What `append` resolves with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Appended {
    next_expected_version: u64,
    position: u64,
}

impl From<AppendResult> for Appended {
    fn from(result: AppendResult) -> Self {
        Appended {
            next_expected_version: result.next_expected_version,
            position: result.position,
        }
    }
}

/// A row of `projections()`: the projection's row without its source,
/// checkpoint and bookkeeping.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProjectionRow {
    name: String,
    mode: &'static str,
    status: &'static str,
    position: i64,
    events_processed: u64,
    partitions: u64,
    reason: Option<String>,
    /// KurrentDB's `emitEnabled`.
    emit_enabled: bool,
    /// One of KurrentDB's five system projections.
    system: bool,
}

impl From<ProjectionRecord> for ProjectionRow {
    fn from(record: ProjectionRecord) -> Self {
        let system = record.system_projection().is_some();
        ProjectionRow {
            name: record.name,
            mode: "continuous",
            status: record.status.as_str(),
            position: record.position,
            events_processed: record.events_processed,
            partitions: record.partitions,
            emit_enabled: record.emit_enabled,
            system,
            reason: record.reason,
        }
    }
}

/// What `configure` resolves with: the settings in force.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Settings {
    pub(super) projection_execution_timeout: u32,
}
