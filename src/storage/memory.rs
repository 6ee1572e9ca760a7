//! The in-memory backend: the reference the IndexedDB backend is held to, and
//! the store the native tests run against.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use super::{EventStore, Fenced, ImportProgress, ProjectionRows};
use crate::core::projection::ProjectionRecord;
use crate::core::time::iso8601_from_millis;
use crate::core::transfer::{plan_import, streams_to_read, ImportEvent};
use crate::core::{
    decide_append, decide_soft_delete, metadata_stream_of, versions_to_compare, AppendDecision,
    AppendFacts, AppendResult, Direction, ExpectedVersion, ProposedEvent, ReadRequest,
    RecordedEvent, StoreError, StoredEventRef, StreamInfo, Writes,
};

#[derive(Default)]
pub struct MemoryStore {
    state: RefCell<State>,
    /// Milliseconds since the epoch for the next append; tests move it by hand.
    clock: RefCell<i64>,
}

#[derive(Default)]
struct State {
    log: Vec<RecordedEvent>,
    streams: Vec<StreamInfo>,
    stream_index: HashMap<String, usize>,
    /// Each stream's positions by version: the `[stream, version]` index.
    positions: HashMap<String, Vec<u64>>,
    projections: BTreeMap<String, ProjectionRecord>,
}

impl State {
    fn row(&self, stream: &str) -> Option<&StreamInfo> {
        self.stream_index.get(stream).map(|&at| &self.streams[at])
    }

    /// `stream`'s event at `version`, hidden or not.
    fn at(&self, stream: &str, version: u64) -> Option<&RecordedEvent> {
        let position = *self
            .positions
            .get(stream)?
            .get(usize::try_from(version).ok()?)?;
        self.log.get(position as usize)
    }

    /// Whether the stream's row hides this event (soft delete, `$tb`).
    fn hidden(&self, event: &RecordedEvent) -> bool {
        self.row(&event.stream)
            .is_some_and(|row| row.hides(event.version))
    }

    /// Creates or replaces a stream's row.
    fn put_stream(&mut self, row: StreamInfo) {
        match self.stream_index.get(&row.stream) {
            Some(&at) => self.streams[at] = row,
            None => {
                self.stream_index
                    .insert(row.stream.clone(), self.streams.len());
                self.streams.push(row);
            }
        }
    }

    fn write(&mut self, writes: Writes) {
        for record in writes.records {
            self.positions
                .entry(record.stream.clone())
                .or_default()
                .push(record.position);
            self.log.push(record);
        }
        for row in writes.streams {
            self.put_stream(row);
        }
    }
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Sets the time the next append is stamped with.
    pub fn set_clock(&self, millis: i64) {
        *self.clock.borrow_mut() = millis;
    }

    fn append_stamped(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        created_millis: i64,
    ) -> Result<AppendResult, StoreError> {
        let mut state = self.state.borrow_mut();
        let row = state.row(stream);
        let stored: Vec<StoredEventRef> = match versions_to_compare(row, expected, &batch) {
            Some((low, high)) => (low..=high)
                .filter_map(|version| state.at(stream, version))
                .map(StoredEventRef::from)
                .collect(),
            None => Vec::new(),
        };
        let metadata_stream = metadata_stream_of(stream);
        let metadata_row = state.row(&metadata_stream);
        let metadata = match (row, metadata_row) {
            (Some(row), Some(metadata_row)) if row.is_deleted() => state
                .at(&metadata_stream, metadata_row.version)
                .map(|last| last.data.get()),
            _ => None,
        };
        let created = iso8601_from_millis(created_millis);
        let facts = AppendFacts {
            stream: row,
            next_position: state.log.len() as u64,
            stored: &stored,
            metadata_stream: metadata_row,
            metadata,
            created: &created,
        };
        match decide_append(stream, batch, expected, facts)? {
            AppendDecision::AlreadyAppended(result) => Ok(result),
            AppendDecision::Write { writes, result } => {
                state.write(writes);
                Ok(result)
            }
        }
    }

    fn select(
        &self,
        request: ReadRequest,
        keep: impl Fn(&RecordedEvent) -> bool,
    ) -> Vec<RecordedEvent> {
        let state = self.state.borrow();
        let matching = state
            .log
            .iter()
            .filter(|event| keep(event) && request.admits(event.position));
        match request.direction {
            Direction::Forwards => matching.take(request.limit).cloned().collect(),
            Direction::Backwards => matching.rev().take(request.limit).cloned().collect(),
        }
    }

    /// Like `select`, without the events a stream's row hides.
    fn select_visible(
        &self,
        request: ReadRequest,
        keep: impl Fn(&RecordedEvent) -> bool,
    ) -> Vec<RecordedEvent> {
        let state = self.state.borrow();
        self.select(request, |event| keep(event) && !state.hidden(event))
    }
}

impl EventStore for MemoryStore {
    async fn append(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
    ) -> Result<AppendResult, StoreError> {
        let now = *self.clock.borrow();
        self.append_stamped(stream, batch, expected, now)
    }

    async fn append_with_created(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        created_millis: i64,
    ) -> Result<AppendResult, StoreError> {
        self.append_stamped(stream, batch, expected, created_millis)
    }

    async fn import(
        &self,
        events: Vec<ImportEvent>,
        progress: ImportProgress,
    ) -> Result<u64, StoreError> {
        let imported = {
            let mut state = self.state.borrow_mut();
            let rows = streams_to_read(&events)
                .into_iter()
                .filter_map(|stream| Some((stream.clone(), state.row(&stream)?.clone())))
                .collect();
            let last_created = state.log.last().map(|event| event.created.clone());
            let writes = plan_import(
                events,
                state.log.len() as u64,
                last_created.as_deref(),
                rows,
            )?;
            let imported = writes.records.len() as u64;
            state.write(writes);
            imported
        };
        progress(imported);
        Ok(imported)
    }

    async fn event_in_correlation(
        &self,
        correlation_id: &str,
        id: &str,
    ) -> Result<Option<RecordedEvent>, StoreError> {
        let state = self.state.borrow();
        Ok(state
            .log
            .iter()
            .find(|event| {
                event.id == id && event.correlation_id().as_deref() == Some(correlation_id)
            })
            .cloned())
    }

    async fn read_stream(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let state = self.state.borrow();
        let row = state
            .row(stream)
            .filter(|row| !row.is_deleted())
            .ok_or_else(|| StoreError::StreamNotFound {
                stream: stream.to_string(),
            })?;
        let Some((low, high)) = request.dense_range_within(row.truncate_before, row.version + 1)
        else {
            return Ok(Vec::new());
        };
        let mut events: Vec<RecordedEvent> = (low..=high)
            .filter_map(|version| state.at(stream, version).cloned())
            .collect();
        if request.direction == Direction::Backwards {
            events.reverse();
        }
        Ok(events)
    }

    async fn read_all(&self, request: ReadRequest) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.select(request, |_| true))
    }

    async fn streams(&self) -> Result<Vec<StreamInfo>, StoreError> {
        let state = self.state.borrow();
        Ok(state
            .streams
            .iter()
            .filter(|row| !row.is_deleted())
            .cloned()
            .collect())
    }

    async fn soft_delete(&self, stream: &str) -> Result<(), StoreError> {
        let mut state = self.state.borrow_mut();
        let metadata_stream = metadata_stream_of(stream);
        let created = iso8601_from_millis(*self.clock.borrow());
        let decided = decide_soft_delete(
            state.row(stream),
            state.row(&metadata_stream),
            state.log.len() as u64,
            &created,
        )?;
        if let Some(writes) = decided {
            state.write(writes);
        }
        Ok(())
    }

    async fn stream(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError> {
        Ok(self.state.borrow().row(stream).cloned())
    }

    async fn read_category(
        &self,
        category: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.select_visible(request, |event| event.category() == Some(category)))
    }

    async fn read_by_type(
        &self,
        event_type: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.select_visible(request, |event| event.event_type == event_type))
    }

    async fn read_by_correlation(
        &self,
        correlation_id: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.select_visible(request, |event| {
            event.correlation_id().as_deref() == Some(correlation_id)
        }))
    }
}

impl ProjectionRows for MemoryStore {
    async fn projections(&self) -> Result<Vec<ProjectionRecord>, StoreError> {
        Ok(self.state.borrow().projections.values().cloned().collect())
    }

    async fn projection(&self, name: &str) -> Result<Option<ProjectionRecord>, StoreError> {
        Ok(self.state.borrow().projections.get(name).cloned())
    }

    async fn save_projection(&self, record: &ProjectionRecord) -> Result<(), StoreError> {
        let mut row = record.clone();
        let mut state = self.state.borrow_mut();
        if let Some(stored) = state.projections.get(&record.name) {
            row.keep_claims_of(stored);
        }
        state.projections.insert(record.name.clone(), row);
        Ok(())
    }

    async fn save_progress(&self, record: &ProjectionRecord) -> Result<Fenced<()>, StoreError> {
        if let Some(superseded) = self.superseded(record) {
            return Ok(superseded);
        }
        self.save_projection(record).await?;
        Ok(Fenced::Done(()))
    }

    async fn append_output(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        run: &ProjectionRecord,
    ) -> Result<Fenced<AppendResult>, StoreError> {
        if let Some(superseded) = self.superseded(run) {
            return Ok(superseded);
        }
        Ok(Fenced::Done(self.append(stream, batch, expected).await?))
    }

    async fn delete_projection(&self, name: &str) -> Result<(), StoreError> {
        self.state.borrow_mut().projections.remove(name);
        Ok(())
    }
}

impl MemoryStore {
    /// `Some` when the stored row is no longer `run`'s run.
    fn superseded<T>(&self, run: &ProjectionRecord) -> Option<Fenced<T>> {
        let state = self.state.borrow();
        let stored = state.projections.get(&run.name);
        match stored {
            Some(stored) if run.same_run_as(stored) => None,
            _ => Some(Fenced::Superseded(stored.cloned().map(Box::new))),
        }
    }
}

/// The value of a future over the memory store, which never waits: for
/// native tests of code generic over the store.
#[cfg(test)]
pub fn ready<T>(future: impl std::future::Future<Output = T>) -> T {
    use std::task::{Context, Poll, Waker};
    match std::pin::pin!(future)
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the memory store never waits"),
    }
}
