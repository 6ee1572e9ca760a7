//! The errors a store operation can end in. Each variant maps to one `Error.name`
//! that `window.sandbox` rejects with, so scripts and tests can branch on it.

use std::fmt;

use super::expected_version::{ExpectedVersion, StreamState};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// Occurs when the stream is not at the version the caller expected.
    WrongExpectedVersion {
        stream: String,
        expected: ExpectedVersion,
        actual: StreamState,
    },
    /// Occurs when a stream is read that has no events to read: it never
    /// existed, or it is soft-deleted (KurrentDB reads both as
    /// `stream_not_found`).
    StreamNotFound { stream: String },
    /// Occurs when an append expects `stream_exists` of a soft-deleted
    /// stream (KurrentDB's `stream-deleted`).
    StreamDeleted { stream: String },
    /// Occurs when an event's type, data, metadata or id, or the stream name,
    /// is not acceptable. The message says which.
    InvalidEvent(String),
    /// Occurs when the data plus metadata of a whole append exceed
    /// [`MAX_APPEND_BYTES`] (KurrentDB's `maximum-append-size-exceeded`).
    /// `index` is the event at which the sum passes `limit`.
    ///
    /// [`MAX_APPEND_BYTES`]: super::event::MAX_APPEND_BYTES
    MaximumAppendSizeExceeded {
        size: usize,
        limit: usize,
        index: usize,
        event_size: usize,
    },
    /// Occurs when an option of a call (expected version, direction, limit,
    /// position) is not one the store understands.
    InvalidArgument(String),
    /// Occurs when something that goes only into an empty sandbox (the
    /// sample) is asked of one that has events: mixed with them, it would
    /// teach nothing and might clash with them.
    SandboxNotEmpty { events: u64 },
    /// Occurs when an append or import is asked of a sandbox a facilitator
    /// locked read-only.
    SandboxLocked { sandbox: String },
    /// Occurs when an import file cannot be imported: a malformed line or
    /// event, or one that conflicts with the sandbox. The message names the
    /// line (or event); nothing of the import was written.
    Import(String),
    /// Occurs when the browser's storage fails: quota, an aborted
    /// transaction. Nothing of the failed call was written.
    Storage(String),
    /// Occurs when the sandbox cannot be used from this page: it is not
    /// open, a newer build closed it from another tab, or its database was
    /// written by a newer build. The message says which, and what to do.
    Unavailable(String),
}

impl StoreError {
    /// The stable name scripts see as `error.name`.
    pub fn name(&self) -> &'static str {
        match self {
            StoreError::WrongExpectedVersion { .. } => "WrongExpectedVersion",
            StoreError::StreamNotFound { .. } => "StreamNotFound",
            StoreError::StreamDeleted { .. } => "StreamDeleted",
            StoreError::InvalidEvent(_) => "InvalidEvent",
            StoreError::MaximumAppendSizeExceeded { .. } => "MaximumAppendSizeExceeded",
            StoreError::InvalidArgument(_) => "InvalidArgument",
            StoreError::SandboxNotEmpty { .. } => "SandboxNotEmpty",
            StoreError::SandboxLocked { .. } => "SandboxLocked",
            StoreError::Import(_) => "ImportError",
            StoreError::Storage(_) => "StorageError",
            StoreError::Unavailable(_) => "SandboxUnavailable",
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::WrongExpectedVersion {
                stream,
                expected,
                actual,
            } => write!(
                f,
                "wrong expected version for stream '{stream}': expected {expected}, actual {actual}"
            ),
            // KurrentDB's wording (`Grpc/RpcExceptions.cs`).
            StoreError::StreamNotFound { stream } => {
                write!(f, "Event stream '{stream}' is not found.")
            }
            StoreError::StreamDeleted { stream } => write!(
                f,
                "Event stream '{stream}' is deleted. It was soft-deleted: append with any, no_stream or its last version to write to it again"
            ),
            StoreError::InvalidEvent(message) => f.write_str(message),
            StoreError::MaximumAppendSizeExceeded {
                size,
                limit,
                index,
                event_size,
            } => write!(
                f,
                "Maximum Append Size of {limit} Exceeded. This append's data and metadata take {size} bytes; event {index} ({event_size} bytes) is where it passes the limit"
            ),
            StoreError::InvalidArgument(message) => f.write_str(message),
            StoreError::SandboxNotEmpty { events } => write!(
                f,
                "this sandbox already has {events} event{}, and the sample loads only into an empty one; open a new sandbox for it, such as ?sandbox=sample",
                if *events == 1 { "" } else { "s" }
            ),
            StoreError::Import(message) => write!(f, "{message}; nothing was imported"),
            StoreError::Storage(message) => write!(f, "storage failed: {message}"),
            StoreError::SandboxLocked { sandbox } => write!(
                f,
                "the sandbox {sandbox:?} is locked read-only, so nothing can be appended to it; unlock it first (the lock button in the header, or sandbox.unlock())"
            ),
            StoreError::Unavailable(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for StoreError {}
