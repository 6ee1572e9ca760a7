//! Storage: one trait, two backends. `memory` serves native tests; `indexeddb`
//! is what the app uses. Both run the core's append rule, so both pass the same
//! conformance suite (`tests/conformance/`).

pub mod as_of;
pub mod memory;
pub mod rows;

#[cfg(target_arch = "wasm32")]
pub mod indexeddb;

use std::rc::Rc;

use crate::core::event::normalize_uuid;
use crate::core::metadata::source_position_of;
use crate::core::projection::ProjectionRecord;
use crate::core::transfer::ImportEvent;
use crate::core::{
    AppendResult, ExpectedVersion, ProposedEvent, ReadRequest, RecordedEvent, StoreError,
    StreamInfo, StreamSelection, StreamsPage,
};

/// Told how many of an import's events are written so far.
pub type ImportProgress = Rc<dyn Fn(u64)>;

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

    /// Imports checked events (`core::transfer`) at the end of the log, all
    /// or nothing, in one transaction: each stream's run of events is
    /// decided as an append expecting the version before it
    /// (`core::transfer::plan_import`), and ids, types, data, metadata,
    /// versions and times are kept. `progress` hears how many events are
    /// written now and then. Gives how many were imported.
    async fn import(
        &self,
        events: Vec<ImportEvent>,
        progress: ImportProgress,
    ) -> Result<u64, StoreError>;

    /// The event stored under `id` (a normalized UUID) among those whose
    /// metadata carries `correlation_id`; soft-deleted events are found
    /// too, as `$all` keeps them. There is no index of ids (KurrentDB's
    /// idempotency needs none, and each index costs every append), so this
    /// is how an event is found by id: through its correlation (see
    /// [`find_cause`]).
    async fn event_in_correlation(
        &self,
        correlation_id: &str,
        id: &str,
    ) -> Result<Option<RecordedEvent>, StoreError>;

    /// Reads one stream by version. A stream that never existed, and a
    /// soft-deleted one, is [`StoreError::StreamNotFound`] (KurrentDB's
    /// `stream_not_found`); versions below its `$tb` are not read.
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

    /// One page of the stream list, newest first; soft-deleted streams are
    /// left out. A store that can pick the page before reading every
    /// stream's head overrides this.
    async fn streams_page(
        &self,
        selection: &StreamSelection,
    ) -> Result<StreamsPage<StreamInfo>, StoreError> {
        Ok(selection.page(self.streams().await?, |info| &info.stream))
    }

    /// Soft-deletes a stream as KurrentDB does (`$tb` = `long.MaxValue` in
    /// `$$stream`): it reads as not found and leaves the list, `$all` keeps
    /// its events, and the next append (`any`, `no_stream` or its last
    /// version) continues its versions and shows only what follows. A
    /// stream that never existed, or is soft-deleted already, is left alone.
    async fn soft_delete(&self, stream: &str) -> Result<(), StoreError>;

    /// One stream's row (soft-deleted ones too), `None` when it never existed.
    async fn stream(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError>;

    /// Events of every stream in a category, by global position. This read,
    /// the type read and the correlation read leave out the events a soft
    /// delete hides, as stream reads do. (KurrentDB's `$ce-`/`$et-` links to
    /// them resolve to nothing; the sandbox's reads are index-backed and
    /// have no links to leave unresolved, so they drop them.)
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

/// The event `effect` names as its cause (`$causationId`, `$causedBy`),
/// hidden or not; `None` when it is not found. There is no index of ids,
/// so it is looked up where a cause is: at `effect`'s `$p` (the source
/// position a projection tags its outputs with), then among the events
/// that share `effect`'s `$correlationId`, since a caused event carries
/// its cause's correlation; and when the cause is the one the correlation
/// is named after, just before the correlation's first event
/// ([`event_just_before`]). A cause elsewhere is not found.
pub async fn find_cause<S: EventStore>(
    store: &S,
    effect: &RecordedEvent,
    id: &str,
) -> Result<Option<RecordedEvent>, StoreError> {
    let Some(id) = normalize_uuid(id) else {
        return Ok(None);
    };
    let metadata = effect.metadata.as_deref();
    if let Some(position) = metadata.and_then(source_position_of) {
        let source = store.read_all(ReadRequest::forwards(position, 1)).await?;
        if let Some(source) = source.into_iter().find(|source| source.id == id) {
            return Ok(Some(source));
        }
    }
    let Some(correlation_id) = effect.correlation_id() else {
        return Ok(None);
    };
    if let Some(cause) = store.event_in_correlation(&correlation_id, &id).await? {
        return Ok(Some(cause));
    }
    if normalize_uuid(&correlation_id).as_deref() != Some(id.as_str()) {
        return Ok(None);
    }
    let first = store
        .read_by_correlation(&correlation_id, ReadRequest::forwards(0, 1))
        .await?
        .first()
        .map_or(effect.position, |first| first.position);
    event_just_before(store, first, &id).await
}

/// How far before a correlation's first event the event it is named after
/// is looked for (one `$all` read). KurrentDB's clients start a correlation
/// with the first event's own id, and that event carries none itself, so
/// the correlation index does not hold it; there is no index of ids.
const NAMED_AFTER_LOOK_BACK: usize = 256;

/// The event with `id` among the [`NAMED_AFTER_LOOK_BACK`] events before
/// `position`: where the event a correlation is named after is.
pub async fn event_just_before<S: EventStore>(
    store: &S,
    position: u64,
    id: &str,
) -> Result<Option<RecordedEvent>, StoreError> {
    let Some(last) = position.checked_sub(1) else {
        return Ok(None);
    };
    let before = store
        .read_all(ReadRequest::backwards(Some(last), NAMED_AFTER_LOOK_BACK))
        .await?;
    Ok(before.into_iter().find(|event| event.id == id))
}

/// The position of the last event in `$all`, `None` when the store is empty.
pub async fn last_position<S: EventStore>(store: &S) -> Result<Option<u64>, StoreError> {
    Ok(store
        .read_all(ReadRequest::backwards(None, 1))
        .await?
        .first()
        .map(|last| last.position))
}
