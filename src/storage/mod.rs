//! Storage: one trait, two backends. `memory` serves native tests; `indexeddb`
//! is what the app uses. Both run the core's append rule, so both pass the same
//! conformance suite (`tests/conformance/`).

pub mod memory;
pub mod rows;

#[cfg(target_arch = "wasm32")]
pub mod indexeddb;

use crate::core::projection::ProjectionRecord;
use crate::core::{
    AppendResult, ExpectedVersion, ProposedEvent, ReadRequest, RecordedEvent, StoreError,
    StreamInfo,
};

/// An event store with EventStoreDB's semantics.
///
/// The app is single-threaded wasm, so the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait EventStore {
    /// Appends a validated batch atomically: all of it is written, or none.
    async fn append(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
    ) -> Result<AppendResult, StoreError>;

    /// Appends as [`append`](Self::append) does, but stamps the events with
    /// `created_millis` (milliseconds since the Unix epoch) instead of the
    /// clock. Only for events that happened before they reach the store:
    /// the sample, and imports. Ordinary appends are always stamped by the
    /// store.
    async fn append_with_created(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        created_millis: i64,
    ) -> Result<AppendResult, StoreError>;

    /// The event stored under `id` (a normalized UUID), wherever it lives;
    /// soft-deleted events are found too, as `$all` keeps them.
    async fn event_by_id(&self, id: &str) -> Result<Option<RecordedEvent>, StoreError>;

    /// Reads one stream by version; soft-deleted versions are not read.
    async fn read_stream(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Reads `$all` by global position.
    async fn read_all(&self, request: ReadRequest) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Every stream that has visible events, system streams included, in
    /// order of creation. Soft-deleted streams are left out.
    async fn streams(&self) -> Result<Vec<StreamInfo>, StoreError>;

    /// Soft-deletes a stream: its events so far are hidden from reads of the
    /// stream and from the list, and the next append continues its versions.
    /// A missing stream is left alone.
    async fn soft_delete(&self, stream: &str) -> Result<(), StoreError>;

    /// One stream's row (soft-deleted ones too), `None` when it never existed.
    async fn stream(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError>;

    /// Events of every stream in a category, by global position.
    async fn read_category(
        &self,
        category: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Events of one type, by global position.
    async fn read_by_type(
        &self,
        event_type: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Events whose metadata carries this `$correlationId`, by global position.
    async fn read_by_correlation(
        &self,
        correlation_id: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError>;
}

/// The outcome of a write that only goes ahead while a projection's stored
/// row is still the run that asked for it (`ProjectionRecord::same_run_as`).
#[derive(Debug, Clone, PartialEq)]
pub enum Fenced<T> {
    Done(T),
    /// Another tab reset, changed, stopped or deleted the projection; this
    /// is its stored row now, if it has one. Nothing was written.
    Superseded(Option<Box<ProjectionRecord>>),
}

/// Where projections' rows (definition, status, checkpoint) are kept, beside
/// the events. A trait of its own so the projection code that writes rows
/// and outputs runs natively against the memory store.
#[allow(async_fn_in_trait)]
pub trait ProjectionRows {
    /// Every saved projection.
    async fn projections(&self) -> Result<Vec<ProjectionRecord>, StoreError>;

    /// One projection's row, `None` when there is none.
    async fn projection(&self, name: &str) -> Result<Option<ProjectionRecord>, StoreError>;

    /// Creates or replaces one projection's row, atomically keeping every
    /// stream the stored row claims (see `ProjectionRecord::keep_claims_of`).
    async fn save_projection(&self, record: &ProjectionRecord) -> Result<(), StoreError>;

    /// Saves a running projection's progress (its checkpoint, its claims),
    /// in one transaction with the check that the stored row is still
    /// `record`'s run.
    async fn save_progress(&self, record: &ProjectionRecord) -> Result<Fenced<()>, StoreError>;

    /// Appends a projection's output to `stream`, in one transaction with
    /// the check that the projection's stored row is still `run`'s.
    async fn append_output(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        run: &ProjectionRecord,
    ) -> Result<Fenced<AppendResult>, StoreError>;

    /// Removes a projection's row; a missing one is left alone.
    async fn delete_projection(&self, name: &str) -> Result<(), StoreError>;
}

/// The position of the last event in `$all`, `None` when the store is empty.
pub async fn last_position<S: EventStore>(store: &S) -> Result<Option<u64>, StoreError> {
    Ok(store
        .read_all(ReadRequest::backwards(None, 1))
        .await?
        .first()
        .map(|last| last.position))
}
