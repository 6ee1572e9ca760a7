//! The projection runtime's host side. Projections run in reducer workers
//! (`static/reducer-worker.js`); this module decides when they run, keeps
//! their rows and checkpoints, writes their outputs, and turns a hung or
//! throwing handler into a `Faulted` status that names the event.
//!
//! - `protocol`: the typed contract with the worker;
//! - `scheduler`: when to fold and when to save (pure);
//! - `output`: emitted and linked events, written exactly once;
//! - `link_streams`: the system projections' link streams, served from
//!   the store's indexes;
//! - `worker`: one worker, its requests and its watchdog (browser);
//! - `host`: lifecycle and rows; `held`: a projection as the host holds
//!   it (its row, workers and waiters); `catch_up`: folding after appends;
//!   `run`: one run of a worker under the watchdog, up to a position;
//!   `states`: reading states once caught up (or as of a fault), and
//!   queries (browser);
//! - `system`: the system projections, which have no worker (browser);
//! - `tabs`: other tabs' commands (browser);
//! - `travel`: states as of any position, one event's change, what-if
//!   runs and comparing reducers, in a traveler worker (browser);
//!   `compare`: where two reducers' traces first differ (pure).
//!
//! **Invariant:** reducer code never runs on the page's thread, and a failing
//! reducer cannot touch the store: the worker only reads, and the host writes
//! nothing but the projection's own row and outputs.

pub mod compare;
pub mod link_streams;
pub mod output;
pub mod protocol;
pub mod scheduler;

#[cfg(target_arch = "wasm32")]
mod catch_up;
#[cfg(target_arch = "wasm32")]
mod held;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod run;
#[cfg(target_arch = "wasm32")]
mod states;
#[cfg(target_arch = "wasm32")]
mod system;
#[cfg(target_arch = "wasm32")]
mod tabs;
#[cfg(target_arch = "wasm32")]
mod travel;
#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(target_arch = "wasm32")]
pub use host::{ProjectionHost, DEFAULT_HANDLER_TIMEOUT_MS};
pub use protocol::LogLine;
#[cfg(target_arch = "wasm32")]
pub use travel::{ChangeAt, Comparison, ViewAt};

use serde_json::Value;

use crate::core::{AppendResult, StoreError};

/// Errors of the projection API, beyond the store's own.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectionError {
    NotFound(String),
    Faulted(String),
    Exists(String),
    Store(StoreError),
}

impl ProjectionError {
    pub fn name(&self) -> &'static str {
        match self {
            ProjectionError::NotFound(_) => "ProjectionNotFound",
            ProjectionError::Faulted(_) => "ProjectionFaulted",
            ProjectionError::Exists(_) => "ProjectionExists",
            ProjectionError::Store(error) => error.name(),
        }
    }
}

impl std::fmt::Display for ProjectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProjectionError::NotFound(name) => write!(f, "there is no projection called '{name}'"),
            ProjectionError::Faulted(reason) => f.write_str(reason),
            ProjectionError::Exists(name) => {
                write!(f, "a projection called '{name}' exists already")
            }
            ProjectionError::Store(error) => write!(f, "{error}"),
        }
    }
}

impl From<StoreError> for ProjectionError {
    fn from(error: StoreError) -> Self {
        ProjectionError::Store(error)
    }
}

/// Partition keys and states, in the order the partitions were created.
pub type PartitionStates = Vec<(String, Value)>;

/// What a person or a script can do to a projection by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Stop,
    /// Runs again; a faulted one from its last good checkpoint.
    Start,
    /// Runs again from position 0.
    Reset,
    Delete,
}

/// What the host tells the service about.
pub enum HostNews {
    /// A projection's status, progress or states moved.
    Projection(String),
    /// A projection appended emitted or linked events to a stream.
    Appended {
        stream: String,
        result: AppendResult,
    },
}

/// How a projection keeps its states, as its definition says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// `foreachStream` or `partitionBy`: a state per partition.
    pub partitioned: bool,
    /// `options({ biState: true })`: a shared state beside the partitions'.
    pub bi_state: bool,
}

impl Shape {
    /// A partitioned projection has no state of its own, only its
    /// partitions' (and a bi-state one's shared state).
    pub fn has_root_state(self) -> bool {
        !self.partitioned || self.bi_state
    }
}

/// A projection's states read together: the root state and its result
/// (the shared state of a bi-state projection), and every partition's.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionView {
    pub shape: Shape,
    pub state: Option<Value>,
    pub result: Option<Value>,
    pub partitions: PartitionStates,
}

/// What a one-time query computed.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    pub state: Option<Value>,
    pub result: Option<Value>,
    pub partitions: PartitionStates,
    pub logs: Vec<LogLine>,
    pub shape: Shape,
}

/// Why a one-time run computed nothing, and the source line it points at
/// when the engine said.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFault {
    pub error: ProjectionError,
    pub line: Option<u32>,
}
