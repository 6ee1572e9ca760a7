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
    /// Occurs when an event id is already stored somewhere other than the
    /// place this batch would put it, or appears twice in one batch.
    DuplicateEventId { id: String, detail: String },
    /// Occurs when an event's type, data, metadata or id, or the stream name,
    /// is not acceptable. The message says which.
    InvalidEvent(String),
    /// Occurs when one event's data plus metadata exceed [`MAX_EVENT_BYTES`].
    ///
    /// [`MAX_EVENT_BYTES`]: super::event::MAX_EVENT_BYTES
    EventTooLarge {
        index: usize,
        size: usize,
        limit: usize,
    },
    /// Occurs when an option of a call (expected version, direction, limit,
    /// position) is not one the store understands.
    InvalidArgument(String),
    /// Occurs when a caller appends to a stream that a projection writes:
    /// only that projection may append there.
    StreamOwned { stream: String, projection: String },
    /// Occurs when something that goes only into an empty sandbox (the
    /// sample) is asked of one that has events: mixed with them, it would
    /// teach nothing and might clash with them.
    SandboxNotEmpty { events: u64 },
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
            StoreError::DuplicateEventId { .. } => "DuplicateEventId",
            StoreError::InvalidEvent(_) => "InvalidEvent",
            StoreError::EventTooLarge { .. } => "EventTooLarge",
            StoreError::InvalidArgument(_) => "InvalidArgument",
            StoreError::StreamOwned { .. } => "StreamOwned",
            StoreError::SandboxNotEmpty { .. } => "SandboxNotEmpty",
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
            StoreError::DuplicateEventId { id, detail } => {
                write!(f, "duplicate event id {id}: {detail}")
            }
            StoreError::InvalidEvent(message) => f.write_str(message),
            StoreError::EventTooLarge { index, size, limit } => write!(
                f,
                "event {index} is too large: its data and metadata take {size} bytes, the limit is {limit}"
            ),
            StoreError::InvalidArgument(message) => f.write_str(message),
            StoreError::StreamOwned { stream, projection } => write!(
                f,
                "stream '{stream}' is written by projection '{projection}', and only it may append there; reset or delete the projection to release it"
            ),
            StoreError::SandboxNotEmpty { events } => write!(
                f,
                "this sandbox already has {events} event{}, and the sample loads only into an empty one; open a new sandbox for it, such as ?sandbox=sample",
                if *events == 1 { "" } else { "s" }
            ),
            StoreError::Storage(message) => write!(f, "storage failed: {message}"),
            StoreError::Unavailable(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for StoreError {}
