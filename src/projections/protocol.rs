//! The contract between the page and the reducer worker
//! (`static/reducer-worker.js`), which mirrors it in JSDoc typedefs
//! (`static/reducer-worker/contract.js`).
//!
//! Every message is JSON. A request carries an `id`, and the worker answers
//! it with exactly one [`Reply`] carrying the same `id`: the reply it asked
//! for, or a [`Reply::Fault`]. Between replies the worker sends
//! [`Heartbeat`]s, with no `id`, which the page's watchdog listens for.
//!
//! The page states every store rule the worker needs in [`Request::Define`]
//! ([`StoreRules`]), so no rule is typed twice; the worker states only the
//! protocol version it speaks. A worker that does not speak
//! [`PROTOCOL_VERSION`] (a stale cached script) faults with a
//! [`Fault::Protocol`] that says so.
//!
//! The second contract is the `events` row the worker reads straight from
//! IndexedDB: [`EventRow`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::event::{CATEGORY_SEPARATOR, LINK_EVENT_TYPE, LINK_SEPARATOR, SYSTEM_PREFIX};
/// One `log()` line; kept in the projection's row, so it is the core's.
pub use crate::core::projection::LogLine;
use crate::core::soft_delete::METADATA_EVENT_TYPE;
pub use crate::storage::rows::EventRow;
use crate::storage::rows::{EVENTS_STORE, STREAMS_STORE, STREAM_VERSION_INDEX};

/// What `linkStreamTo` writes: KurrentDB's `StreamReference` event type.
pub const STREAM_REFERENCE_EVENT_TYPE: &str = "$@";
/// What `outputState()` writes to a result stream.
pub const RESULT_EVENT_TYPE: &str = "Result";

/// Bump when a message changes shape; the worker states the same number.
pub const PROTOCOL_VERSION: u32 = 4;

/// What the page asks. `id` travels beside it (see [`Envelope`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Request {
    /// Compile the projection. Answered by [`Reply::Defined`].
    #[serde(rename_all = "camelCase")]
    Define {
        protocol: u32,
        /// The projection's name: its result streams are named after it.
        name: String,
        source: String,
        /// Whether `emit`, `linkTo` and `linkStreamTo` may write; off, they
        /// fault the projection, as KurrentDB's `emitEnabled` does.
        emit_enabled: bool,
        /// The most milliseconds one handler call may take.
        timeout_ms: u32,
        rules: StoreRules,
    },
    /// Continue from a saved checkpoint. Answered by [`Reply::Restored`].
    Restore { checkpoint: Checkpoint },
    /// Fold every stored event after the worker's position up to `to`,
    /// inclusive. Answered by [`Reply::CaughtUp`].
    #[serde(rename_all = "camelCase")]
    CatchUp {
        /// The IndexedDB database to read [`EventRow`]s from.
        database: String,
        to: i64,
        /// Send a [`Heartbeat::Starting`] before every event, so a handler
        /// that never returns can be named.
        careful: bool,
        /// Streams this projection writes; it never reads them back.
        owned_streams: Vec<String>,
    },
    /// One partition's state (the root with none; the shared state of a
    /// bi-state projection) and its result. Answered by [`Reply::State`].
    State { partition: Option<String> },
    /// Everything needed to continue later. Answered by [`Reply::Checkpoint`].
    Checkpoint,
    /// The partition keys. Answered by [`Reply::Partitions`].
    Partitions,
    /// Time travel: fold to `at` (inclusive), from the nearest snapshot at
    /// or before it, as the live projection would have, except that a
    /// handler that throws is recorded and its event left out (so the
    /// events after it can be seen), and the events at `skip` are left out
    /// (a what-if). Nothing emitted is kept. Answered by
    /// [`Reply::Traveled`]; `state`, `partitions` and `checkpoint` then
    /// answer as of `at`.
    #[serde(rename_all = "camelCase")]
    Travel {
        database: String,
        at: i64,
        skip: Vec<i64>,
        owned_streams: Vec<String>,
    },
    /// What the event at `at` did: travel to just before it, then apply it
    /// alone, leaving out what the last travel's `skip` left out. Answered
    /// by [`Reply::Changed`]; the worker is then at `at`.
    #[serde(rename_all = "camelCase")]
    Change {
        database: String,
        at: i64,
        owned_streams: Vec<String>,
    },
    /// Fold to `to` in travel mode, noting after each handled event the
    /// partition it touched and a hash of that partition's state: two
    /// reducers' traces side by side show where they first differ.
    /// Answered by [`Reply::Traced`].
    #[serde(rename_all = "camelCase")]
    Trace {
        database: String,
        to: i64,
        owned_streams: Vec<String>,
    },
}

/// A request with the number its reply will carry.
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    pub id: u32,
    #[serde(flatten)]
    pub request: &'a Request,
}

/// The store's rules the worker applies, sent with every `define`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreRules {
    /// A stream's category is the text before the first of these.
    pub category_separator: String,
    /// Streams whose name starts with this are system streams.
    pub system_prefix: String,
    /// The event type of a link event ...
    pub link_event_type: String,
    /// ... whose data is the string `"{version}{link_separator}{stream}"`.
    pub link_separator: String,
    /// The event type of a stream reference (`linkStreamTo`), whose data
    /// is the stream's name.
    pub stream_reference_event_type: String,
    /// The event type of a stream's metadata, written to its metadata
    /// stream (the stream's name behind a second system prefix).
    pub metadata_event_type: String,
    /// The event type of what `outputState()` writes.
    pub result_event_type: String,
    /// The object store of [`EventRow`]s, keyed by position.
    pub events_store: String,
    /// The object store of stream rows, keyed by stream: the worker reads
    /// `truncateBefore` there to resolve a link to a hidden event.
    pub streams_store: String,
    /// The index of the events store on `[stream, version]`, through
    /// which links resolve.
    pub stream_version_index: String,
    /// How many rows one read asks IndexedDB for.
    pub read_batch: u32,
    /// The longest the worker stays silent while it is busy.
    pub heartbeat_ms: u32,
}

impl StoreRules {
    pub fn current() -> StoreRules {
        StoreRules {
            category_separator: CATEGORY_SEPARATOR.to_string(),
            system_prefix: SYSTEM_PREFIX.to_string(),
            link_event_type: LINK_EVENT_TYPE.to_string(),
            link_separator: LINK_SEPARATOR.to_string(),
            stream_reference_event_type: STREAM_REFERENCE_EVENT_TYPE.to_string(),
            metadata_event_type: METADATA_EVENT_TYPE.to_string(),
            result_event_type: RESULT_EVENT_TYPE.to_string(),
            events_store: EVENTS_STORE.to_string(),
            streams_store: STREAMS_STORE.to_string(),
            stream_version_index: STREAM_VERSION_INDEX.to_string(),
            read_batch: 5000,
            heartbeat_ms: 50,
        }
    }
}

/// What the worker answers, tagged by `op`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Reply {
    /// `protocol` is the version the worker speaks; a worker from before
    /// versions were stated lacks it, and its reply is not understood.
    #[serde(rename_all = "camelCase")]
    Defined {
        protocol: u32,
        bi_state: bool,
        partitioned: bool,
        /// The streams the projection reads: `$ce-{c}` for
        /// `fromCategory(c)`, the named ones for `fromStream(s)`, none for
        /// `fromAll()`.
        reads: Vec<String>,
    },
    Restored {
        position: i64,
    },
    #[serde(rename_all = "camelCase")]
    CaughtUp {
        #[serde(flatten)]
        progress: Progress,
        /// What handlers emitted or linked, in order.
        emitted: Vec<Emitted>,
        /// `log()` lines since the last reply.
        logs: Vec<LogLine>,
    },
    State {
        state: Option<Value>,
        result: Option<Value>,
    },
    Checkpoint {
        checkpoint: Checkpoint,
    },
    Partitions {
        keys: Vec<String>,
    },
    Fault {
        fault: Fault,
    },
    #[serde(rename_all = "camelCase")]
    Traveled {
        /// Where the worker is: the last position of the log at or before
        /// `at` (-1 before any event).
        position: i64,
        /// The handlers that threw on the way, oldest first; their events
        /// were left out.
        faults: Vec<Fault>,
    },
    Changed {
        #[serde(flatten)]
        change: Box<EventChange>,
    },
    Traced {
        steps: Vec<TraceStep>,
    },
}

/// What one event did to a projection, as the worker saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventChange {
    /// Whether a handler ran for it (or `$deleted`); false when the
    /// projection's source or event filter left it out.
    pub handled: bool,
    /// The partition it touched (`""` the root), when handled.
    pub partition: Option<String>,
    /// That partition's state just before and just after (null when it
    /// did not exist); `after` equals `before` when the handler threw.
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// A bi-state projection's shared state, before and after.
    #[serde(default)]
    pub shared_before: Option<Value>,
    #[serde(default)]
    pub shared_after: Option<Value>,
    pub logs: Vec<LogLine>,
    pub emitted: Vec<Emitted>,
    /// The handler threw (or ran too long): the event is left out.
    pub fault: Option<Fault>,
}

/// After one handled event: the partition it touched and a hash of that
/// partition's state text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    pub position: i64,
    pub partition: String,
    pub hash: u32,
}

impl Reply {
    /// The `op` of this reply, for messages that name an unexpected one.
    pub fn op(&self) -> &'static str {
        match self {
            Reply::Defined { .. } => "defined",
            Reply::Restored { .. } => "restored",
            Reply::CaughtUp { .. } => "caughtUp",
            Reply::State { .. } => "state",
            Reply::Checkpoint { .. } => "checkpoint",
            Reply::Partitions { .. } => "partitions",
            Reply::Fault { .. } => "fault",
            Reply::Traveled { .. } => "traveled",
            Reply::Changed { .. } => "changed",
            Reply::Traced { .. } => "traced",
        }
    }
}

/// Messages with no `id`: the worker is alive. It sends them while it folds
/// and while it waits (on IndexedDB, or on finding where a source fails to
/// parse), so the watchdog does not take a wait for a hang.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Heartbeat {
    /// Still busy (folding, or finding the line of a syntax error);
    /// `position` is the last event done.
    Progress { position: i64 },
    /// About to hand this event to its handler (careful runs only).
    Starting { at: EventAt },
}

/// How far a projection got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The last global position processed, -1 before any.
    pub position: i64,
    pub events_processed: u64,
    pub partitions: u64,
}

impl Progress {
    /// Before any event.
    pub const START: Progress = Progress {
        position: -1,
        events_processed: 0,
        partitions: 0,
    };
}

/// The worker's whole state at a position: what a restart continues from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    pub position: i64,
    pub events_processed: u64,
    /// The shared state of a bi-state projection.
    #[serde(default)]
    pub shared: Option<Value>,
    /// Partition keys and states, in the order the partitions were created.
    /// The root state of an unpartitioned projection has the key `""`.
    pub partitions: Vec<(String, Value)>,
}

impl Checkpoint {
    /// A saved checkpoint's text, read back.
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        serde_json::from_str(text).map_err(|e| format!("the saved checkpoint is not readable: {e}"))
    }

    /// How far its states go.
    pub fn progress(&self) -> Progress {
        Progress {
            position: self.position,
            events_processed: self.events_processed,
            partitions: self.partitions.len() as u64,
        }
    }
}

/// An event a handler emitted (or linked, with type `$>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Emitted {
    pub stream: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: Value,
    pub metadata: Value,
    /// The position of the event whose handler emitted it.
    pub source_position: i64,
}

/// Which event something happened at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAt {
    pub position: i64,
    pub stream: String,
    pub version: u64,
    #[serde(rename = "type")]
    pub event_type: String,
}

impl std::fmt::Display for EventAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "position {} ({}@{}, {})",
            self.position, self.version, self.stream, self.event_type
        )
    }
}

/// Why the worker could not do what it was asked. The page turns it into
/// the text a person reads ([`Fault::reason`]), in this one place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Fault {
    /// The source does not compile, or uses the dialect wrongly. A source
    /// that does not parse has the line the parser stopped at, found by
    /// parsing it again as a nested worker's script; with none, the message
    /// says the engine did not say which line.
    Definition { message: String, line: Option<u32> },
    /// A handler (or `partitionBy`, `$init`, …) threw.
    Threw {
        handler: String,
        at: EventAt,
        error: String,
        line: Option<u32>,
    },
    /// A handler returned, but took longer than the limit.
    #[serde(rename_all = "camelCase")]
    TooSlow {
        handler: String,
        at: EventAt,
        took_ms: u32,
        limit_ms: u32,
    },
    /// The worker could not read the store.
    Storage { message: String },
    /// The page and the worker do not understand each other.
    Protocol { message: String },
}

impl Fault {
    /// The text a person reads, with the source line when one is known.
    pub fn reason(&self) -> String {
        let text = match self {
            Fault::Definition { message, .. } => message.clone(),
            Fault::Threw {
                handler, at, error, ..
            } => format!("{handler} threw at {at}: {error}"),
            Fault::TooSlow {
                handler,
                at,
                took_ms,
                limit_ms,
            } => format!("{handler} ran {took_ms} ms at {at}, longer than the {limit_ms} ms limit"),
            Fault::Storage { message } => {
                format!("the worker could not read the sandbox: {message}")
            }
            Fault::Protocol { message } => message.clone(),
        };
        match self.line() {
            Some(line) => format!("{text} (line {line} of the source)"),
            None => text,
        }
    }

    /// The line of the source the fault points at, when the engine said.
    pub fn line(&self) -> Option<u32> {
        match self {
            Fault::Definition { line, .. } | Fault::Threw { line, .. } => *line,
            _ => None,
        }
    }

    /// The event whose handler failed, when one did.
    pub fn at(&self) -> Option<&EventAt> {
        match self {
            Fault::Threw { at, .. } | Fault::TooSlow { at, .. } => Some(at),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
