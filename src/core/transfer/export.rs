//! The three export formats (`docs/export-formats.md`). Each is built from
//! `$all` as the store reads it back, so an export is exactly what
//! `readAll()` gives, and the projections as the host holds them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::core::event::is_system_stream;
use crate::core::{RecordedEvent, StoreError};

/// The `"format"` of a whole-sandbox file.
pub const SANDBOX_FORMAT: &str = "es-sandbox";
/// The `"format"` of a KurrentDB events file.
pub const KURRENTDB_FORMAT: &str = "kurrentdb-events";
/// The `"formatVersion"` both JSON formats are at.
pub const FORMAT_VERSION: u64 = 1;

/// A user projection as a whole-sandbox file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedProjection {
    pub name: String,
    pub source: String,
    pub emit_enabled: bool,
    /// Running when exported; a stopped one is recreated stopped.
    pub running: bool,
}

/// One line of an NDJSON export: the event exactly as `readAll()` gives it.
pub fn ndjson_line(event: &RecordedEvent) -> Result<String, StoreError> {
    serde_json::to_string(event).map_err(encoding_failed)
}

/// The whole sandbox as one JSON document (format 2).
pub fn sandbox_file(
    sandbox: &str,
    exported: &str,
    events: &[RecordedEvent],
    projections: &[ExportedProjection],
) -> Result<String, StoreError> {
    #[derive(Serialize)]
    struct Body<'a> {
        events: &'a [RecordedEvent],
        projections: &'a [ExportedProjection],
    }
    enveloped(
        SANDBOX_FORMAT,
        sandbox,
        exported,
        Body {
            events,
            projections,
        },
    )
}

/// An event as KurrentDB's clients append it, and as its
/// `application/vnd.eventstore.events+json` body carries it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KurrentDbEvent<'a> {
    event_id: &'a str,
    event_type: &'a str,
    data: &'a RawValue,
    metadata: &'a RawValue,
}

#[derive(Serialize)]
struct KurrentDbStream<'a> {
    stream: &'a str,
    events: Vec<KurrentDbEvent<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KurrentDbProjection<'a> {
    name: &'a str,
    query: &'a str,
    emit_enabled: bool,
}

/// The user streams as KurrentDB takes them (format 3): each stream's
/// visible events in version order, streams in the order of their first
/// event here. `$` streams are left out (KurrentDB makes its own), and so
/// is every stream `written_by_projection` names (the projections write
/// them again there). `visible` says whether a soft delete hides an event.
pub fn kurrentdb_file(
    sandbox: &str,
    exported: &str,
    events: &[RecordedEvent],
    visible: impl Fn(&RecordedEvent) -> bool,
    written_by_projection: impl Fn(&str) -> bool,
    projections: &[ExportedProjection],
) -> Result<String, StoreError> {
    let no_metadata = RawValue::from_string("{}".to_string()).map_err(encoding_failed)?;
    let mut streams: Vec<KurrentDbStream> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for event in events {
        let stream = event.stream.as_str();
        if is_system_stream(stream) || written_by_projection(stream) || !visible(event) {
            continue;
        }
        let at = *index.entry(stream).or_insert_with(|| {
            streams.push(KurrentDbStream {
                stream,
                events: Vec::new(),
            });
            streams.len() - 1
        });
        streams[at].events.push(KurrentDbEvent {
            event_id: &event.id,
            event_type: &event.event_type,
            data: &event.data,
            metadata: event.metadata.as_deref().unwrap_or(&no_metadata),
        });
    }
    let projections: Vec<KurrentDbProjection> = projections
        .iter()
        .map(|projection| KurrentDbProjection {
            name: &projection.name,
            query: &projection.source,
            emit_enabled: projection.emit_enabled,
        })
        .collect();
    #[derive(Serialize)]
    struct Body<'a> {
        streams: Vec<KurrentDbStream<'a>>,
        projections: Vec<KurrentDbProjection<'a>>,
    }
    enveloped(
        KURRENTDB_FORMAT,
        sandbox,
        exported,
        Body {
            streams,
            projections,
        },
    )
}

/// A JSON format's document: what it is and where it came from, then its body.
fn enveloped(
    format: &str,
    sandbox: &str,
    exported: &str,
    body: impl Serialize,
) -> Result<String, StoreError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Envelope<'a, Body> {
        format: &'a str,
        format_version: u64,
        sandbox: &'a str,
        exported: &'a str,
        #[serde(flatten)]
        body: Body,
    }
    serde_json::to_string(&Envelope {
        format,
        format_version: FORMAT_VERSION,
        sandbox,
        exported,
        body,
    })
    .map_err(encoding_failed)
}

fn encoding_failed(error: serde_json::Error) -> StoreError {
    StoreError::Storage(format!("could not write the export: {error}"))
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
