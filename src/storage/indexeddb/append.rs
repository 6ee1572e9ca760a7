//! Appends, by the fast path or the slow one.

use std::collections::HashMap;
use std::future::IntoFuture;

use idb::{CursorDirection, ObjectStore, Query, TransactionMode};
use wasm_bindgen::JsValue;

use super::commit::{abort_queued, committed, new_heads, write_rows, Commit, NewHeads};
use super::heads::lookup_head;
use super::schema::BY_STREAM_VERSION;
use super::{from_js, keys_between, pair, storage_error, IndexedDbStore};
use crate::core::projection::ProjectionRecord;
use crate::core::time::iso8601_from_millis;
use crate::core::{
    decide_append, metadata_stream_of, versions_to_compare, AppendDecision, AppendFacts,
    AppendResult, ExpectedVersion, ProposedEvent, RecordedEvent, StoreError, StoredEventRef,
};
use crate::storage::rows::{
    EventRow, StoredStream, EVENTS_STORE, PROJECTIONS_STORE, STREAMS_STORE,
};
use crate::storage::Fenced;

impl IndexedDbStore {
    /// The fast path: decide from the heads this connection already knows and
    /// write without reading. It is safe because the writes themselves check
    /// the heads: `add` fails with a ConstraintError when the position or
    /// the `[stream, version]` pair is taken, which is exactly when another
    /// tab (or connection) appended first (a soft delete takes a position
    /// too). Then, whenever the decision needs stored events (ids to compare,
    /// the metadata of a soft-deleted stream), and whenever the cached heads
    /// reject the batch, `None` sends the caller to the slow path, which
    /// reads the truth inside its transaction.
    pub(super) async fn append_from_known_heads(
        &self,
        stream: &str,
        batch: &[ProposedEvent],
        expected: ExpectedVersion,
        stamp: Stamp,
    ) -> Result<Option<AppendResult>, StoreError> {
        let (next_position, head) = {
            let heads = self.heads.borrow();
            match (heads.next_position, heads.streams.get(stream)) {
                (Some(next_position), Some(head)) => (next_position, head.clone()),
                _ => return Ok(None),
            }
        };
        let info = head.as_ref().map(|head| &head.info);
        let needs_reads = info.is_some_and(|info| info.is_deleted())
            || versions_to_compare(info, expected, batch).is_some();
        if needs_reads {
            return Ok(None);
        }
        let created = stamp.created();
        let facts = AppendFacts {
            stream: info,
            next_position,
            stored: &[],
            metadata_stream: None,
            metadata: None,
            created: &created,
        };
        let (writes, result) = match decide_append(stream, batch.to_vec(), expected, facts) {
            Ok(AppendDecision::Write { writes, result }) => (writes, result),
            // Both depend on the heads, which may be stale.
            Ok(AppendDecision::AlreadyAppended(_))
            | Err(StoreError::WrongExpectedVersion { .. } | StoreError::StreamDeleted { .. }) => {
                return Ok(None)
            }
            Err(error) => return Err(error),
        };
        let heads = new_heads(&writes, &[head.as_ref()]);
        // Most appends write no streams row; a narrower scope is cheaper to
        // open (measured: `transaction` 200 → 70 µs an append).
        let stores: &[&str] = match heads.rows.is_empty() {
            true => &[EVENTS_STORE],
            false => &[EVENTS_STORE, STREAMS_STORE],
        };
        let transaction = self.transaction(stores, TransactionMode::ReadWrite)?;
        match self
            .write_and_commit(
                transaction,
                &writes.records,
                heads,
                next_position,
                "the append",
            )
            .await
        {
            Ok(()) => Ok(Some(result)),
            Err(Commit::Conflict) => {
                // Another connection wrote: any cached head may be stale,
                // a soft-deleted stream's among them.
                *self.heads.borrow_mut() = KnownHeads::default();
                Ok(None)
            }
            Err(Commit::Failed(error)) => Err(error),
        }
    }

    /// The slow path: read the stream's head, the last position and
    /// `$$stream`'s head, then what the decision compares (the stream's
    /// events at the versions `versions_to_compare` names, and the metadata
    /// a soft-deleted stream's undelete keeps), then decide and write, all
    /// in one transaction. With `fence`, the projection's stored row is read
    /// in the same transaction, and nothing is written unless it is still
    /// that run.
    pub(super) async fn append_after_reading_heads(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        fence: Option<&ProjectionRecord>,
        stamp: Stamp,
    ) -> Result<Fenced<AppendResult>, StoreError> {
        let stores: &[&str] = match fence {
            Some(_) => &[EVENTS_STORE, STREAMS_STORE, PROJECTIONS_STORE],
            None => &[EVENTS_STORE, STREAMS_STORE],
        };
        let transaction = self.transaction(stores, TransactionMode::ReadWrite)?;
        let (events, streams) = events_and_streams(&transaction)?;
        let fence_lookup = match fence {
            Some(run) => Some(
                transaction
                    .object_store(PROJECTIONS_STORE)
                    .map_err(storage_error)?
                    .get(JsValue::from_str(&run.name))
                    .map_err(storage_error)?
                    .into_future(),
            ),
            None => None,
        };

        // Every read is issued before any is awaited, so IndexedDB pipelines
        // them. Each request becomes its future at once (the future registers
        // the success listener), and they are awaited in the order issued:
        // with idb 0.6.5, awaiting a later request first left an earlier one
        // unresolved for good.
        let last_key = last_key_lookup(&events)?;
        let by_version = events.index(BY_STREAM_VERSION).map_err(storage_error)?;
        let head_lookup = lookup_head(&streams, &by_version, stream)?;
        let metadata_stream = metadata_stream_of(stream);
        let metadata_head_lookup = lookup_head(&streams, &by_version, &metadata_stream)?;

        let fenced_row: Option<ProjectionRecord> = match fence_lookup {
            Some(lookup) => lookup
                .await
                .map_err(storage_error)?
                .map(from_js)
                .transpose()?,
            None => None,
        };
        let next_position = position_after(last_key.await.map_err(storage_error)?)?;
        self.observe_next_position(next_position);
        let head = head_lookup.head().await?;
        let metadata_head = metadata_head_lookup.head().await?;

        if let Some(run) = fence {
            let current = fenced_row
                .as_ref()
                .is_some_and(|stored| run.same_run_as(stored));
            if !current {
                // Only reads were queued: the transaction writes nothing.
                return Ok(Fenced::Superseded(fenced_row.map(Box::new)));
            }
        }

        // What the decision compares depends on the head, so it is read
        // second, in the same transaction.
        let info = head.as_ref().map(|head| &head.info);
        let compare_lookup = match versions_to_compare(info, expected, &batch) {
            Some((low, high)) => {
                let range = keys_between(stream, low as f64, high as f64)?;
                Some(
                    by_version
                        .get_all(Some(Query::KeyRange(range)), None)
                        .map_err(storage_error)?
                        .into_future(),
                )
            }
            None => None,
        };
        let metadata_lookup = match (info, &metadata_head) {
            (Some(info), Some(metadata_head)) if info.is_deleted() => Some(
                by_version
                    .get(pair(&metadata_stream, metadata_head.info.version as f64))
                    .map_err(storage_error)?
                    .into_future(),
            ),
            _ => None,
        };
        let stored: Vec<StoredEventRef> = match compare_lookup {
            Some(lookup) => lookup
                .await
                .map_err(storage_error)?
                .into_iter()
                .map(|row| {
                    let row: EventRow = from_js(row)?;
                    Ok(StoredEventRef {
                        id: row.id,
                        version: row.version,
                        position: row.position,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            None => Vec::new(),
        };
        let metadata: Option<String> = match metadata_lookup {
            Some(lookup) => match lookup.await.map_err(storage_error)? {
                Some(row) => Some(from_js::<EventRow>(row)?.data),
                None => None,
            },
            None => None,
        };

        let created = stamp.created();
        let facts = AppendFacts {
            stream: info,
            next_position,
            stored: &stored,
            metadata_stream: metadata_head.as_ref().map(|head| &head.info),
            metadata: metadata.as_deref(),
            created: &created,
        };
        let decision = decide_append(stream, batch, expected, facts);
        let (writes, result) = match decision {
            Ok(AppendDecision::Write { writes, result }) => (writes, result),
            Ok(AppendDecision::AlreadyAppended(result)) => return Ok(Fenced::Done(result)),
            Err(error) => {
                if let Err(error) = transaction.abort() {
                    // Only reads were queued, so the transaction commits
                    // nothing either way; aborting just frees it sooner.
                    web_sys::console::warn_1(
                        &format!("could not abort a read-only append check: {error}").into(),
                    );
                }
                self.remember_read(stream, next_position, head);
                return Err(error);
            }
        };
        let heads = new_heads(&writes, &[head.as_ref(), metadata_head.as_ref()]);
        match self
            .write_and_commit(transaction, &writes.records, heads, next_position, "the append")
            .await
        {
            Ok(()) => Ok(Fenced::Done(result)),
            Err(Commit::Conflict) => Err(StoreError::Storage(
                "another writer took this append's place after it was checked; nothing was written, try again".into(),
            )),
            Err(Commit::Failed(error)) => Err(error),
        }
    }

    /// Writes records and the stream rows that changed, waits for the
    /// commit, and remembers the new heads. `what` names the operation in
    /// errors.
    pub(super) async fn write_and_commit(
        &self,
        transaction: idb::Transaction,
        records: &[RecordedEvent],
        NewHeads { heads, rows }: NewHeads,
        next_position: u64,
        what: &str,
    ) -> Result<(), Commit> {
        if let Err(error) = write_rows(&transaction, records, &rows) {
            // Some rows may be queued already. Left alone, the transaction
            // would commit them when this task ends: half an append.
            return Err(Commit::Failed(abort_queued(transaction, error)));
        }
        committed(transaction, what).await?;
        // The commit proves the log ended at `next_position`: heads cached
        // against another end are stale, whichever writer read it.
        self.observe_next_position(next_position);
        for head in heads {
            self.remember(next_position + records.len() as u64, head);
        }
        Ok(())
    }

    /// A read saw the log's true end: if another connection moved it,
    /// every cached stream head may be stale (a soft delete changes a row
    /// without changing its version), so they are all forgotten, and the
    /// cache starts again from that end.
    pub(super) fn observe_next_position(&self, next_position: u64) {
        let mut heads = self.heads.borrow_mut();
        if heads.next_position != Some(next_position) {
            heads.streams.clear();
            heads.next_position = Some(next_position);
        }
    }

    fn remember(&self, next_position: u64, row: StoredStream) {
        let mut heads = self.heads.borrow_mut();
        heads.next_position = Some(next_position);
        heads.insert(row.info.stream.clone(), Some(row));
    }

    /// `stream`'s head as this connection last saw it, when that is still
    /// the truth: the log ends at `next_position`, where this connection
    /// left it, so no other connection has written since (a soft delete
    /// writes at the end too). Call [`Self::observe_next_position`] first.
    pub(super) fn current_head(&self, stream: &str, next_position: u64) -> Option<StoredStream> {
        let heads = self.heads.borrow();
        if heads.next_position != Some(next_position) {
            return None;
        }
        heads.streams.get(stream).cloned().flatten()
    }

    /// A read saw `stream`'s head with the log ending at `next_position`.
    /// Kept only while the cache is at that same end: an append of this
    /// connection's own may have moved it while the read was under way.
    pub(super) fn remember_seen(&self, stream: &str, next_position: u64, head: StoredStream) {
        let mut heads = self.heads.borrow_mut();
        if heads.next_position == Some(next_position) {
            heads.insert(stream.to_string(), Some(head));
        }
    }

    pub(super) fn remember_read(
        &self,
        stream: &str,
        next_position: u64,
        head: Option<StoredStream>,
    ) {
        let mut heads = self.heads.borrow_mut();
        heads.next_position = Some(next_position);
        heads.insert(stream.to_string(), head);
    }
}

/// What an append's events are stamped with.
#[derive(Clone, Copy)]
pub(super) enum Stamp {
    /// The clock, read when the append is decided.
    Now,
    /// A time of the caller's, in milliseconds since the Unix epoch: for
    /// the sample and imports only.
    Given(i64),
}

impl Stamp {
    fn created(self) -> String {
        iso8601_from_millis(match self {
            Stamp::Now => js_sys::Date::now() as i64,
            Stamp::Given(millis) => millis,
        })
    }
}

/// What this connection last saw of the store's heads. A cache, never the
/// truth: the fast path's writes are checked by the unique keys, and a stale
/// entry only costs one trip through the slow path.
#[derive(Default)]
pub(super) struct KnownHeads {
    next_position: Option<u64>,
    /// `Some(None)`: the stream was seen not to exist.
    streams: HashMap<String, Option<StoredStream>>,
}

/// How many streams' heads a connection keeps: about 330 bytes each, so a
/// sandbox of a million streams cannot grow the page by hundreds of MB.
/// Past it the cache starts over; a head it forgot costs one trip through
/// the slow path.
const KNOWN_HEADS_LIMIT: usize = 10_000;

impl KnownHeads {
    fn insert(&mut self, stream: String, head: Option<StoredStream>) {
        if self.streams.len() >= KNOWN_HEADS_LIMIT && !self.streams.contains_key(&stream) {
            self.streams.clear();
        }
        self.streams.insert(stream, head);
    }
}

/// The two stores every write touches.
pub(super) fn events_and_streams(
    transaction: &idb::Transaction,
) -> Result<(ObjectStore, ObjectStore), StoreError> {
    Ok((
        transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?,
        transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?,
    ))
}

/// The last key of `events`, as a request already issued: one step of a
/// reverse key cursor. Awaiting it gives what [`position_after`] reads.
pub(super) fn last_key_lookup(
    events: &ObjectStore,
) -> Result<impl std::future::Future<Output = Result<Option<idb::KeyCursor>, idb::Error>>, StoreError>
{
    Ok(events
        .open_key_cursor(None, Some(CursorDirection::Prev))
        .map_err(storage_error)?
        .into_future())
}

/// The position the next event gets: one past the last key of `events`.
pub(super) async fn next_position(events: &ObjectStore) -> Result<u64, StoreError> {
    position_after(last_key_lookup(events)?.await.map_err(storage_error)?)
}

pub(super) fn position_after(last_key: Option<idb::KeyCursor>) -> Result<u64, StoreError> {
    match last_key {
        None => Ok(0),
        Some(cursor) => {
            let key = cursor.key().map_err(storage_error)?;
            key.as_f64().map(|last| last as u64 + 1).ok_or_else(|| {
                StoreError::Storage("the events store has a key that is not a position".into())
            })
        }
    }
}
