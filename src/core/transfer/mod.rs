//! Import and export: the three file formats (`docs/export-formats.md`),
//! reading a file into checked events, what an import would do, and the
//! plan a store writes in one transaction. Pure, like the rest of the core:
//! the service reads files and the clock, the stores run the plan.
//!
//! - `parse`: NDJSON lines and a whole-sandbox file into [`ImportEvent`]s,
//!   every field checked, with the line (or event) that was wrong;
//! - `plan`: the rows an import writes, each stream's run of events
//!   decided by [`decide_append`](super::decide_append);
//! - `export`: the three formats, from `$all` and the projections;
//! - `preview`: what an import will do, before anything is written;
//! - `outputs`: which recreated projection owns which imported stream.

pub mod export;
pub mod outputs;
pub mod parse;
pub mod plan;
pub mod preview;

use std::fmt;

use serde_json::value::RawValue;

pub use export::{kurrentdb_file, ndjson_line, sandbox_file, ExportedProjection};
pub use outputs::output_streams;
pub use parse::{detect_format, parse_sandbox_file, EventChecker, FileFormat, SandboxFile};
pub use plan::{plan_import, streams_to_read};
pub use preview::{group_thousands, ImportPreview};

/// Where an imported event was in its file: the line of an NDJSON file,
/// or the place in a whole-sandbox file's `events` array (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Line(u64),
    Event(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Event(index) => write!(f, "event {index}"),
        }
    }
}

/// A recorded event read from an export, every field checked. `version`
/// and `position` are the file's; the import keeps the version and gives
/// a position at the end of the target's log.
#[derive(Debug, Clone)]
pub struct ImportEvent {
    pub place: Place,
    pub stream: String,
    pub version: u64,
    pub position: u64,
    pub id: String,
    pub event_type: String,
    pub data: Box<RawValue>,
    pub metadata: Option<Box<RawValue>>,
    pub created: String,
}
