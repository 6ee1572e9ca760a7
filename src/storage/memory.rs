//! The in-memory backend: the reference the IndexedDB backend is held to, and
//! the store the native tests run against.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use super::{EventStore, Fenced, ProjectionRows};
use crate::core::projection::ProjectionRecord;
use crate::core::time::iso8601_from_millis;
use crate::core::{
    decide_append, decide_soft_delete, metadata_stream_of, AppendDecision, AppendFacts,
    AppendResult, Direction, ExpectedVersion, ProposedEvent, ReadRequest, RecordedEvent,
    StoreError, StoredEventRef, StreamInfo,
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
    positions_by_id: HashMap<String, u64>,
    projections: BTreeMap<String, ProjectionRecord>,
}

impl State {
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
        let existing: Vec<Option<StoredEventRef>> = batch
            .iter()
            .map(|event| {
                let position = *state.positions_by_id.get(&event.id)?;
                let stored = &state.log[position as usize];
                Some(StoredEventRef {
                    stream: stored.stream.clone(),
                    version: stored.version,
                    position,
                })
            })
            .collect();
        let row = state.stream_index.get(stream).map(|&at| &state.streams[at]);
        let created = iso8601_from_millis(created_millis);
        let facts = AppendFacts {
            stream: row,
            next_position: state.log.len() as u64,
            existing: &existing,
            created: &created,
        };
        match decide_append(stream, batch, expected, facts)? {
            AppendDecision::AlreadyAppended(result) => Ok(result),
            AppendDecision::Write {
                records,
                stream: row,
                result,
            } => {
                for record in records {
                    state
                        .positions_by_id
                        .insert(record.id.clone(), record.position);
                    state.log.push(record);
                }
                state.put_stream(row);
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

    async fn event_by_id(&self, id: &str) -> Result<Option<RecordedEvent>, StoreError> {
        let state = self.state.borrow();
        Ok(state
            .positions_by_id
            .get(id)
            .map(|&position| state.log[position as usize].clone()))
    }

    async fn read_stream(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let state = self.state.borrow();
        let hidden_below = state
            .stream_index
            .get(stream)
            .map_or(0, |&at| state.streams[at].truncate_before);
        let in_stream = state
            .log
            .iter()
            .filter(|event| event.stream == stream && event.version >= hidden_below);
        let admitted = in_stream.filter(|event| request.admits(event.version));
        Ok(match request.direction {
            Direction::Forwards => admitted.take(request.limit).cloned().collect(),
            Direction::Backwards => admitted.rev().take(request.limit).cloned().collect(),
        })
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
        let row = state.stream_index.get(stream).map(|&at| &state.streams[at]);
        let metadata_row = state
            .stream_index
            .get(&metadata_stream)
            .map(|&at| &state.streams[at]);
        let created = iso8601_from_millis(*self.clock.borrow());
        let Some(decided) =
            decide_soft_delete(row, metadata_row, state.log.len() as u64, &created)?
        else {
            return Ok(());
        };
        state.put_stream(decided.truncated);
        state.put_stream(decided.metadata_stream);
        state
            .positions_by_id
            .insert(decided.marker.id.clone(), decided.marker.position);
        state.log.push(decided.marker);
        Ok(())
    }

    async fn stream(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError> {
        let state = self.state.borrow();
        Ok(state
            .stream_index
            .get(stream)
            .map(|&at| state.streams[at].clone()))
    }

    async fn read_category(
        &self,
        category: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.select(request, |event| event.category() == category))
    }

    async fn read_by_type(
        &self,
        event_type: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.select(request, |event| event.event_type == event_type))
    }

    async fn read_by_correlation(
        &self,
        correlation_id: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.select(request, |event| {
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
