//! Projections as the store keeps them: definition, lifecycle and progress.
//! The runtime that runs them lives in `src/projections/` and the worker.

use serde::{Deserialize, Serialize};

use super::error::StoreError;

/// The longest projection name, in characters.
pub const MAX_PROJECTION_NAME_CHARS: usize = 200;
/// How many `log()` lines a projection keeps (the newest).
pub const KEPT_LOG_LINES: usize = 500;

/// KurrentDB's standard (system) projections, which index the log into
/// link streams. Each is the only writer of the streams it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemProjection {
    pub name: &'static str,
    /// What it writes, for people: the stream name with a placeholder.
    pub writes: &'static str,
    /// The prefix of every stream it writes (all of `$streams` is one).
    pub stream_prefix: &'static str,
    /// What its links index.
    pub index: LinkIndex,
}

/// What a system projection's link streams link to, which also says how
/// the sandbox serves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkIndex {
    /// Every event of a category (`$ce-`).
    Category,
    /// Every event with a `$correlationId` (`$bc-`).
    Correlation,
    /// Every event of a type (`$et-`).
    EventType,
    /// The first event of each stream of a category (`$category-`).
    StreamsOfCategory,
    /// The first event of every stream (`$streams`).
    Streams,
}

/// The five, in the order KurrentDB's UI lists them.
pub const SYSTEM_PROJECTIONS: [SystemProjection; 5] = [
    SystemProjection {
        name: "$by_category",
        writes: "$ce-{category}",
        stream_prefix: "$ce-",
        index: LinkIndex::Category,
    },
    SystemProjection {
        name: "$by_correlation_id",
        writes: "$bc-{correlationId}",
        stream_prefix: "$bc-",
        index: LinkIndex::Correlation,
    },
    SystemProjection {
        name: "$by_event_type",
        writes: "$et-{eventType}",
        stream_prefix: "$et-",
        index: LinkIndex::EventType,
    },
    SystemProjection {
        name: "$stream_by_category",
        writes: "$category-{category}",
        stream_prefix: "$category-",
        index: LinkIndex::StreamsOfCategory,
    },
    SystemProjection {
        name: "$streams",
        writes: "$streams",
        stream_prefix: "$streams",
        index: LinkIndex::Streams,
    },
];

impl SystemProjection {
    pub fn named(name: &str) -> Option<&'static SystemProjection> {
        SYSTEM_PROJECTIONS.iter().find(|p| p.name == name)
    }

    /// The system projection that writes `stream`, if one does, and what
    /// follows its prefix (the category, type or correlation id).
    pub fn writing(stream: &str) -> Option<(&'static SystemProjection, &str)> {
        SYSTEM_PROJECTIONS.iter().find_map(|p| {
            let rest = stream.strip_prefix(p.stream_prefix)?;
            let whole = p.stream_prefix == p.writes;
            match (whole, rest.is_empty()) {
                (true, true) | (false, false) => Some((p, rest)),
                _ => None,
            }
        })
    }

    /// Its source, as KurrentDB names a built-in handler.
    pub fn source(&self) -> String {
        format!("{NATIVE_SOURCE_PREFIX}{}", self.name)
    }
}

/// The start of a built-in handler's source; no user source may start so.
pub const NATIVE_SOURCE_PREFIX: &str = "native:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProjectionMode {
    /// Saved, and kept live as events are appended.
    Continuous,
}

/// EventStoreDB's projection statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionStatus {
    Running,
    Stopped,
    Faulted,
    Completed,
}

impl ProjectionStatus {
    /// The status as EventStoreDB's UI and API spell it; the one place its
    /// text comes from.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectionStatus::Running => "Running",
            ProjectionStatus::Stopped => "Stopped",
            ProjectionStatus::Faulted => "Faulted",
            ProjectionStatus::Completed => "Completed",
        }
    }
}

impl std::fmt::Display for ProjectionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A projection's saved row: what it is, where it got to, and its states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectionRecord {
    pub name: String,
    pub source: String,
    pub mode: ProjectionMode,
    pub status: ProjectionStatus,
    /// Why it faulted: the message, and the event it was processing.
    pub reason: Option<String>,
    /// The line of the source the fault points at, when the engine said.
    pub fault_line: Option<u32>,
    /// The last global position processed, -1 before any.
    pub position: i64,
    pub events_processed: u64,
    pub partitions: u64,
    /// The worker's states at the last save, as JSON text, with the
    /// position they stand for inside. Usually that is `position`; after a
    /// fault, `position` is the last good event while the checkpoint stays
    /// where outputs were last known written, so a Start (or a Stop and a
    /// read) goes on from the checkpoint.
    pub checkpoint: Option<String>,
    /// Counts resets; part of the ids of emitted events, so a re-run after a
    /// reset emits new events rather than colliding with the hidden ones.
    #[serde(default)]
    pub generation: u64,
    /// The streams this projection writes with `emit` and `linkTo`. Nobody
    /// else may append to them.
    #[serde(default)]
    pub emitted_streams: Vec<String>,
    /// The newest `log()` lines, oldest first, up to `position`; kept with
    /// the row so a reload shows them again.
    #[serde(default)]
    pub logs: Vec<LogLine>,
    /// Whether `emit`, `linkTo` and `linkStreamTo` may write (KurrentDB's
    /// `emitEnabled`, off unless asked for).
    #[serde(default)]
    pub emit_enabled: bool,
    /// The streams its source reads (`$ce-{c}` for `fromCategory(c)`), as
    /// the worker last defined it; none for `fromAll()`.
    #[serde(default)]
    pub reads: Vec<String>,
}

/// One `log()` line and the event that produced it; the event's fields are
/// `None` for a line logged outside a handler (while defining).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub message: String,
    pub position: Option<i64>,
    pub stream: Option<String>,
    pub version: Option<u64>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
}

impl ProjectionRecord {
    pub fn new(name: &str, source: &str, mode: ProjectionMode) -> ProjectionRecord {
        ProjectionRecord {
            name: name.to_string(),
            source: source.to_string(),
            mode,
            status: ProjectionStatus::Running,
            reason: None,
            fault_line: None,
            position: -1,
            events_processed: 0,
            partitions: 0,
            checkpoint: None,
            generation: 0,
            emitted_streams: Vec::new(),
            logs: Vec::new(),
            emit_enabled: false,
            reads: Vec::new(),
        }
    }

    /// A system projection's first row: running, and allowed to write, as
    /// a KurrentDB node started with its standard projections.
    pub fn system(projection: &SystemProjection) -> ProjectionRecord {
        ProjectionRecord {
            emit_enabled: true,
            ..ProjectionRecord::new(
                projection.name,
                &projection.source(),
                ProjectionMode::Continuous,
            )
        }
    }

    pub fn system_projection(&self) -> Option<&'static SystemProjection> {
        SystemProjection::named(&self.name).filter(|p| self.source == p.source())
    }

    /// New code, as KurrentDB's `UpdateQuery`: the checkpoint, states and
    /// outputs are kept, and processing goes on from the checkpoint with
    /// the new source. A faulted projection runs again, from the
    /// checkpoint of its last good event. `emit_enabled` is kept when not
    /// given.
    pub fn update(&mut self, source: &str, emit_enabled: Option<bool>) {
        self.source = source.to_string();
        if let Some(emit_enabled) = emit_enabled {
            self.emit_enabled = emit_enabled;
        }
        if self.status == ProjectionStatus::Faulted {
            self.status = ProjectionStatus::Running;
        }
        self.reason = None;
        self.fault_line = None;
        // The new source's worker says what it reads once it is defined.
        self.reads.clear();
    }

    /// Back to the start: no states, nothing processed, running again. It
    /// keeps its emitted streams (soft-deleted by the caller) and moves to
    /// the next generation.
    pub fn reset(&mut self) {
        *self = ProjectionRecord {
            generation: self.generation + 1,
            emitted_streams: std::mem::take(&mut self.emitted_streams),
            emit_enabled: self.emit_enabled,
            reads: std::mem::take(&mut self.reads),
            ..ProjectionRecord::new(&self.name, &self.source, self.mode)
        };
    }

    /// Adds the streams `stored` claims that this row lacks. Claims only
    /// ever grow (a reset keeps them), so a save never drops one that
    /// another tab made meanwhile.
    pub fn keep_claims_of(&mut self, stored: &ProjectionRecord) {
        for stream in &stored.emitted_streams {
            if !self.emitted_streams.contains(stream) {
                self.emitted_streams.push(stream.clone());
            }
        }
    }

    /// Whether `stored` is still the run this row describes: same
    /// generation, same source and emit setting, same status. Another tab that reset,
    /// changed or stopped the projection makes it differ.
    pub fn same_run_as(&self, stored: &ProjectionRecord) -> bool {
        self.generation == stored.generation
            && self.source == stored.source
            && self.emit_enabled == stored.emit_enabled
            && self.status == stored.status
    }

    /// Adds what a worker logged, keeping the newest [`KEPT_LOG_LINES`].
    ///
    /// A worker started again from an older checkpoint (after a reload, a
    /// restart or a hang) logs again what it replays, and the fold is
    /// deterministic, so its lines up to the last kept line's event are the
    /// kept ones again, and so are lines logged outside a handler (while
    /// defining) once anything is kept. A reset clears the lines first.
    pub fn keep_logs(&mut self, new: Vec<LogLine>) {
        let kept_anything = !self.logs.is_empty();
        let last_kept = self.logs.iter().filter_map(|line| line.position).max();
        self.logs
            .extend(new.into_iter().filter(|line| match line.position {
                Some(position) => last_kept.is_none_or(|last| position > last),
                None => !kept_anything,
            }));
        let excess = self.logs.len().saturating_sub(KEPT_LOG_LINES);
        self.logs.drain(..excess);
    }

    pub fn fault(&mut self, reason: String, line: Option<u32>) {
        self.status = ProjectionStatus::Faulted;
        self.reason = Some(reason);
        self.fault_line = line;
    }
}

pub fn validate_projection_name(name: &str) -> Result<(), StoreError> {
    if name.trim().is_empty() {
        return Err(StoreError::InvalidArgument(
            "projection name is empty; give a name such as balances".into(),
        ));
    }
    let chars = name.chars().count();
    if chars > MAX_PROJECTION_NAME_CHARS {
        return Err(StoreError::InvalidArgument(format!(
            "projection name is {chars} characters long; the limit is {MAX_PROJECTION_NAME_CHARS}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::InvalidArgument(
            "projection name contains a control character".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_link_stream_has_one_system_projection_writing_it() {
        let writer = |stream| SystemProjection::writing(stream).map(|(p, rest)| (p.name, rest));
        assert_eq!(writer("$ce-account"), Some(("$by_category", "account")));
        assert_eq!(
            writer("$et-Deposited"),
            Some(("$by_event_type", "Deposited"))
        );
        assert_eq!(writer("$bc-c-1"), Some(("$by_correlation_id", "c-1")));
        assert_eq!(
            writer("$category-account"),
            Some(("$stream_by_category", "account"))
        );
        assert_eq!(writer("$streams"), Some(("$streams", "")));
        for stream in ["$ce-", "$streamsx", "account-1", "$$account-1", "$et"] {
            assert_eq!(writer(stream), None, "{stream}");
        }
        let record = ProjectionRecord::system(&SYSTEM_PROJECTIONS[0]);
        assert_eq!(record.source, "native:$by_category");
        assert!(record.emit_enabled);
        assert!(record.system_projection().is_some());
        let user = ProjectionRecord::new("$by_category", "fromAll()", ProjectionMode::Continuous);
        assert!(user.system_projection().is_none());
    }

    // KurrentDB: ManagedProjection.UpdateQuery keeps the epoch, so the
    // checkpoint and the state carry over (Management.Tests
    // updating_projections/updating_projection_sources).
    #[test]
    fn update_keeps_the_checkpoint_and_generation_and_clears_a_fault() {
        let mut record = ProjectionRecord::new("p", "fromAll()", ProjectionMode::Continuous);
        record.position = 41;
        record.events_processed = 42;
        record.checkpoint = Some("{\"position\":41}".into());
        record.generation = 3;
        record.emit_enabled = true;
        record.fault("threw".into(), Some(2));
        record.update("fromAll().when({})", None);
        assert_eq!(record.source, "fromAll().when({})");
        assert_eq!(record.position, 41);
        assert_eq!(record.events_processed, 42);
        assert_eq!(record.checkpoint.as_deref(), Some("{\"position\":41}"));
        assert_eq!(record.generation, 3);
        assert!(record.emit_enabled, "not given, so kept");
        assert_eq!(record.status, ProjectionStatus::Running);
        assert_eq!((record.reason.clone(), record.fault_line), (None, None));
        record.update("fromAll().when({})", Some(false));
        assert!(!record.emit_enabled);
    }

    #[test]
    fn reset_forgets_progress_and_fault_but_keeps_source_and_streams() {
        let mut record = ProjectionRecord::new("p", "fromAll()", ProjectionMode::Continuous);
        record.position = 41;
        record.events_processed = 42;
        record.checkpoint = Some("{}".into());
        record.emitted_streams.push("out".into());
        record.keep_logs(vec![line("seen", Some(40))]);
        record.fault("boom".into(), Some(3));
        record.reset();
        let mut expected = ProjectionRecord::new("p", "fromAll()", ProjectionMode::Continuous);
        expected.generation = 1;
        expected.emitted_streams.push("out".into());
        assert_eq!(record, expected);
    }

    #[test]
    fn names_must_be_present_short_and_printable() {
        assert!(validate_projection_name("balances").is_ok());
        assert!(validate_projection_name(" ").is_err());
        assert!(validate_projection_name(&"x".repeat(201)).is_err());
        assert!(validate_projection_name("a\nb").is_err());
    }

    #[test]
    fn the_saved_row_round_trips_through_json() {
        let record = ProjectionRecord::new("p", "fromAll().when({})", ProjectionMode::Continuous);
        let json = serde_json::to_string(&record).unwrap();
        assert!(json.contains("\"eventsProcessed\":0"), "{json}");
        assert_eq!(
            serde_json::from_str::<ProjectionRecord>(&json).unwrap(),
            record
        );
    }

    fn line(message: &str, position: Option<i64>) -> LogLine {
        LogLine {
            message: message.into(),
            position,
            stream: position.map(|_| "s".into()),
            version: position.map(|p| p as u64),
            event_type: position.map(|_| "T".into()),
        }
    }

    fn messages(record: &ProjectionRecord) -> Vec<&str> {
        record.logs.iter().map(|l| l.message.as_str()).collect()
    }

    #[test]
    fn log_lines_a_worker_replays_are_kept_once() {
        let mut record = ProjectionRecord::new("p", "fromAll()", ProjectionMode::Continuous);
        record.keep_logs(vec![
            line("defining", None),
            line("a", Some(1)),
            line("b", Some(3)),
            line("b again", Some(3)),
        ]);
        // A worker restarted from a checkpoint at 1 defines again and
        // replays 2 and 3 before it reaches what is new.
        record.keep_logs(vec![
            line("defining", None),
            line("b", Some(3)),
            line("b again", Some(3)),
            line("c", Some(4)),
        ]);
        assert_eq!(messages(&record), ["defining", "a", "b", "b again", "c"]);
    }

    #[test]
    fn only_the_newest_log_lines_are_kept() {
        let mut record = ProjectionRecord::new("p", "fromAll()", ProjectionMode::Continuous);
        let lines = (0..KEPT_LOG_LINES as i64 + 20).map(|p| line(&p.to_string(), Some(p)));
        record.keep_logs(lines.collect());
        assert_eq!(record.logs.len(), KEPT_LOG_LINES);
        assert_eq!(record.logs[0].message, "20");
    }

    #[test]
    fn a_row_saved_before_log_lines_were_kept_loads_with_none() {
        let mut json = serde_json::to_value(ProjectionRecord::new(
            "p",
            "fromAll()",
            ProjectionMode::Continuous,
        ))
        .unwrap();
        json.as_object_mut().unwrap().remove("logs");
        let record: ProjectionRecord = serde_json::from_value(json).unwrap();
        assert!(record.logs.is_empty());
    }
}
