//! Reading an export back: every event's fields checked, with messages
//! that name the line (or event) and the field, such as
//! `line 7: "version" must be a whole number, got "three"`.
//!
//! [`EventChecker`] takes one event at a time, so the service can check a
//! large file in chunks and let the page breathe between them.

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

use super::export::{ExportedProjection, KURRENTDB_FORMAT, SANDBOX_FORMAT};
use super::{ImportEvent, Place};
use crate::core::event::{normalize_uuid, validate_stream_name};
use crate::core::projection::{validate_projection_name, SystemProjection, NATIVE_SOURCE_PREFIX};
use crate::core::StoreError;

/// The byte-order mark some editors put at the start of a UTF-8 file.
const BOM: char = '\u{feff}';

/// What a file holds, from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Ndjson,
    Sandbox,
    KurrentDb,
}

impl FileFormat {
    pub fn label(self) -> &'static str {
        match self {
            FileFormat::Ndjson => "NDJSON (one event per line)",
            FileFormat::Sandbox => "a whole sandbox (events and projections)",
            FileFormat::KurrentDb => "KurrentDB events",
        }
    }
}

/// Which of the three formats `text` is in: a file whose first line is an
/// event is NDJSON; a JSON document names its format in `"format"`.
pub fn detect_format(text: &str) -> Result<FileFormat, StoreError> {
    let text = text.trim_start_matches(BOM).trim_start();
    if text.is_empty() {
        return Err(import_error(
            "the file is empty: there are no events to import",
        ));
    }
    let first_line = text.lines().next().unwrap_or_default();
    // A probe skips everything but the two keys, so a one-line document of
    // many megabytes is not built into a tree just to be recognised.
    #[derive(Deserialize)]
    struct Probe {
        stream: Option<IgnoredAny>,
        format: Option<Value>,
    }
    let probe = match serde_json::from_str::<Probe>(first_line) {
        Ok(probe) => probe,
        // A pretty-printed document's first line is not JSON on its own.
        Err(_) => match serde_json::from_str::<Probe>(text) {
            Ok(probe) => probe,
            // Neither: read it as NDJSON, whose checker names what is
            // wrong on line 1.
            Err(_) => return Ok(FileFormat::Ndjson),
        },
    };
    match probe {
        Probe {
            stream: Some(_), ..
        } => Ok(FileFormat::Ndjson),
        Probe {
            format: Some(Value::String(format)),
            ..
        } if format == SANDBOX_FORMAT => Ok(FileFormat::Sandbox),
        Probe {
            format: Some(Value::String(format)),
            ..
        } if format == KURRENTDB_FORMAT => Ok(FileFormat::KurrentDb),
        Probe {
            format: Some(other),
            ..
        } => Err(import_error(&format!(
            "the file's \"format\" is {other}; the sandbox reads \"{SANDBOX_FORMAT}\" files and NDJSON exports"
        ))),
        // An object with neither key: line 1's check names what is missing.
        Probe { .. } => Ok(FileFormat::Ndjson),
    }
}

/// A whole-sandbox file (format 2), its events not yet checked.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxFile {
    pub format: String,
    pub format_version: u64,
    pub sandbox: String,
    pub exported: String,
    pub events: Vec<Box<RawValue>>,
    pub projections: Vec<ExportedProjection>,
}

/// The version of the whole-sandbox format this build reads and writes.
pub const SANDBOX_FORMAT_VERSION: u64 = 1;

/// Reads a whole-sandbox file's envelope; its events are checked one by one
/// afterwards, as `Place::Event`s.
pub fn parse_sandbox_file(text: &str) -> Result<SandboxFile, StoreError> {
    let file: SandboxFile = serde_json::from_str(text.trim_start_matches(BOM))
        .map_err(|error| import_error(&format!("the whole-sandbox file is not valid: {error}")))?;
    if file.format != SANDBOX_FORMAT || file.format_version != SANDBOX_FORMAT_VERSION {
        return Err(import_error(&format!(
            "the file is format {:?} version {}; this build reads {SANDBOX_FORMAT:?} version {SANDBOX_FORMAT_VERSION}",
            file.format, file.format_version
        )));
    }
    check_projections(&file.projections)?;
    Ok(file)
}

/// The file's projections are checked with the events, before anything is
/// written: a projection refused after the events landed would leave a
/// half-imported sandbox that a retry then refuses as not empty.
fn check_projections(projections: &[ExportedProjection]) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::new();
    for (index, projection) in projections.iter().enumerate() {
        let place = format!("projection {} ({:?})", index + 1, projection.name);
        validate_projection_name(&projection.name)
            .map_err(|error| import_error(&format!("{place}: {error}")))?;
        if !seen.insert(projection.name.as_str()) {
            return Err(import_error(&format!(
                "{place}: the file names this projection twice"
            )));
        }
        if projection
            .source
            .trim_start()
            .starts_with(NATIVE_SOURCE_PREFIX)
        {
            return Err(import_error(&format!(
                "{place}: its source names one of KurrentDB's built-in handlers ('{NATIVE_SOURCE_PREFIX}…'), which only the system projections use"
            )));
        }
    }
    Ok(())
}

/// One recorded event as an export writes it; every field optional here so
/// that a missing one gets a message rather than a parse error.
#[derive(Deserialize)]
struct Fields {
    stream: Option<Value>,
    version: Option<Value>,
    position: Option<Value>,
    id: Option<Value>,
    #[serde(rename = "type")]
    event_type: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    data: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present")]
    metadata: Option<Box<RawValue>>,
    created: Option<Value>,
}

/// Keeps an explicit `null` as `Some("null")`: only an absent field is missing.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(deserializer).map(Some)
}

/// Checks events in file order: each one's fields, positions strictly
/// increasing, and each stream's versions consecutive. Where a stream's
/// versions start is checked against the target by the import itself.
#[derive(Default)]
pub struct EventChecker {
    last_position: Option<u64>,
    /// The previous event's time: times never go back in a log, and time
    /// travel finds positions by time on that promise.
    last_created: Option<String>,
    versions: HashMap<String, u64>,
    /// The first blank line seen: only the end of a file may be blank.
    blank_line: Option<u64>,
}

impl EventChecker {
    pub fn new() -> EventChecker {
        EventChecker::default()
    }

    /// Checks line `number` (from 1) of an NDJSON file; `None` for a blank
    /// line, which is allowed only at the end.
    pub fn check_line(
        &mut self,
        number: u64,
        line: &str,
    ) -> Result<Option<ImportEvent>, StoreError> {
        let line = if number == 1 {
            line.trim_start_matches(BOM)
        } else {
            line
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            self.blank_line.get_or_insert(number);
            return Ok(None);
        }
        if let Some(blank) = self.blank_line {
            return Err(import_error(&format!(
                "line {blank}: blank line; each line must hold one event, and only the end of the file may be blank"
            )));
        }
        self.check(Place::Line(number), line).map(Some)
    }

    /// Checks one event's JSON text.
    pub fn check(&mut self, place: Place, text: &str) -> Result<ImportEvent, StoreError> {
        let wrong = |what: String| import_error(&format!("{place}: {what}"));
        let fields: Fields = serde_json::from_str(text).map_err(|error| {
            let message = error.to_string().replace(" at line 1 column", " at column");
            match error.classify() {
                serde_json::error::Category::Data => {
                    wrong(format!("not an event object ({message})"))
                }
                _ => wrong(format!("not valid JSON ({message})")),
            }
        })?;
        let stream = text_field(fields.stream, "stream").map_err(&wrong)?;
        validate_stream_name(&stream).map_err(|error| wrong(format!("\"stream\": {error}")))?;
        if let Some((system, _)) = SystemProjection::writing(&stream) {
            return Err(wrong(format!(
                "{stream} is a link stream that {} computes in the sandbox; it cannot be imported",
                system.name
            )));
        }
        let version = whole_number(fields.version, "version").map_err(&wrong)?;
        let position = whole_number(fields.position, "position").map_err(&wrong)?;
        let id = text_field(fields.id, "id").map_err(&wrong)?;
        let id = normalize_uuid(&id)
            .ok_or_else(|| wrong(format!("\"id\" must be a UUID, got {:?}", id)))?;
        let event_type = text_field(fields.event_type, "type").map_err(&wrong)?;
        if event_type.trim().is_empty() {
            return Err(wrong("\"type\" is empty".into()));
        }
        let data = fields
            .data
            .ok_or_else(|| wrong("\"data\" is missing".into()))?;
        let metadata = match fields.metadata {
            None => return Err(wrong("\"metadata\" is missing (null when none)".into())),
            Some(raw) if raw.get() == "null" => None,
            Some(raw) if raw.get().starts_with('{') => Some(raw),
            Some(raw) => {
                return Err(wrong(format!(
                    "\"metadata\" must be a JSON object or null, got {}",
                    raw.get()
                )))
            }
        };
        let created = text_field(fields.created, "created").map_err(&wrong)?;
        if !is_iso8601_millis(&created) {
            return Err(wrong(format!(
                "\"created\" must be an ISO-8601 UTC time with milliseconds such as 2026-11-18T11:06:40.123Z, got {created:?}"
            )));
        }
        if let Some(last) = self.last_position.filter(|&last| position <= last) {
            return Err(wrong(format!(
                "\"position\" {position} is not after the previous event's {last}; positions must increase"
            )));
        }
        if let Some(last) = self
            .last_created
            .as_deref()
            .filter(|&last| created.as_str() < last)
        {
            return Err(wrong(format!(
                "\"created\" {created} is before the previous event's {last}; times must not go back, since time travel finds events by their time"
            )));
        }
        match self.versions.get(&stream) {
            Some(&last) if version != last + 1 => {
                return Err(wrong(format!(
                    "stream '{stream}' goes from version {last} to {version}; a stream's versions must be consecutive"
                )))
            }
            _ => {}
        }
        self.last_position = Some(position);
        self.last_created = Some(created.clone());
        self.versions.insert(stream.clone(), version);
        Ok(ImportEvent {
            place,
            stream,
            version,
            position,
            id,
            event_type,
            data,
            metadata,
            created,
        })
    }
}

fn text_field(value: Option<Value>, name: &str) -> Result<String, String> {
    match value {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(format!("\"{name}\" must be a string, got {other}")),
        None => Err(format!("\"{name}\" is missing")),
    }
}

fn whole_number(value: Option<Value>, name: &str) -> Result<u64, String> {
    match value {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("\"{name}\" must be a whole number, got {n}")),
        Some(other) => Err(format!("\"{name}\" must be a whole number, got {other}")),
        None => Err(format!("\"{name}\" is missing")),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the one shape the store writes `created` in,
/// with each part in its range.
pub fn is_iso8601_millis(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 24 {
        return false;
    }
    let shape_ok = bytes.iter().enumerate().all(|(at, &byte)| match at {
        4 | 7 => byte == b'-',
        10 => byte == b'T',
        13 | 16 => byte == b':',
        19 => byte == b'.',
        23 => byte == b'Z',
        _ => byte.is_ascii_digit(),
    });
    if !shape_ok {
        return false;
    }
    let number = |from: usize, to: usize| text[from..to].parse::<u32>().unwrap_or(u32::MAX);
    let (month, day) = (number(5, 7), number(8, 10));
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && number(11, 13) < 24
        && number(14, 16) < 60
        && number(17, 19) < 60
}

pub(super) fn import_error(message: &str) -> StoreError {
    StoreError::Import(message.to_string())
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
