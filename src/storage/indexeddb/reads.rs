//! Reads: a stream, `$all`, the stream list, one event of a correlation by
//! id, and the category, type and correlation reads. Each is one read-only
//! transaction over the stores it needs, and pages by key range. Stream,
//! category, type and correlation reads leave out what a soft delete hides;
//! `$all` keeps it, as KurrentDB's does.

use std::collections::{HashMap, HashSet};
use std::future::IntoFuture;

use idb::{CursorDirection, KeyRange, Query};
use wasm_bindgen::JsValue;

use super::append::{last_key_lookup, next_position, position_after};
use super::heads::{lookup_head, HeadLookup};
use super::schema::{
    BY_CATEGORY, BY_CORRELATION, BY_FIRST_POSITION, BY_STREAM_VERSION, BY_TRUNCATION,
};
use super::{from_js, in_direction, keys_between, rows_to_records, storage_error, IndexedDbStore};
use crate::core::event::{category_of, SOFT_DELETED};
use crate::core::{
    Direction, ReadRequest, RecordedEvent, StoreError, StreamInfo, StreamSelection, StreamsPage,
};
use crate::storage::rows::{EventRow, StoredStream, StreamRow, EVENTS_STORE, STREAMS_STORE};

impl IndexedDbStore {
    pub(super) async fn read_stream_rows(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let transaction = self.read_transaction(&[EVENTS_STORE, STREAMS_STORE])?;
        let streams = transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?;
        let by_version = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?
            .index(BY_STREAM_VERSION)
            .map_err(storage_error)?;
        let head = lookup_head(&streams, &by_version, stream)?.head().await?;
        let Some(row) = head.map(|head| head.info).filter(|row| !row.is_deleted()) else {
            return Err(StoreError::StreamNotFound {
                stream: stream.to_string(),
            });
        };
        let Some((low, high)) = request.dense_range_within(row.truncate_before, row.version + 1)
        else {
            return Ok(Vec::new());
        };
        let range = keys_between(stream, low as f64, high as f64)?;
        let rows = by_version
            .get_all(Some(Query::KeyRange(range)), None)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        Ok(in_direction(rows_to_records(rows)?, request.direction))
    }

    pub(super) async fn read_all_rows(
        &self,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let transaction = self.read_transaction(&[EVENTS_STORE])?;
        let events = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?;
        let len = next_position(&events).await?;
        let Some((low, high)) = request.dense_range(len) else {
            return Ok(Vec::new());
        };
        let range = KeyRange::bound(&(low as f64).into(), &(high as f64).into(), None, None)
            .map_err(storage_error)?;
        let rows = events
            .get_all(Some(Query::KeyRange(range)), None)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        Ok(in_direction(rows_to_records(rows)?, request.direction))
    }

    /// Every stream with visible events, in order of creation, with heads.
    pub(super) async fn stream_rows(&self) -> Result<Vec<StreamInfo>, StoreError> {
        let transaction = self.read_transaction(&[STREAMS_STORE, EVENTS_STORE])?;
        let (names, next_position) = live_stream_names(&transaction).await?;
        self.observe_next_position(next_position);
        self.heads_of(&transaction, &names, next_position).await
    }

    /// One page of the list: the selection picks it from the names, and
    /// only its streams' heads are read.
    pub(super) async fn stream_rows_page(
        &self,
        selection: &StreamSelection,
    ) -> Result<StreamsPage<StreamInfo>, StoreError> {
        let transaction = self.read_transaction(&[STREAMS_STORE, EVENTS_STORE])?;
        let (names, next_position) = live_stream_names(&transaction).await?;
        self.observe_next_position(next_position);
        let page = selection.page(names, |name| name);
        Ok(StreamsPage {
            streams: self
                .heads_of(&transaction, &page.streams, next_position)
                .await?,
            matching: page.matching,
            total: page.total,
        })
    }

    /// The heads of `names`, with the log ending at `next_position`. The
    /// heads this connection knows are the truth while the log ends where
    /// it left it; only the others are read (row and last event), every
    /// read issued before any is awaited. A tab appending in a loop then
    /// refreshes its list without a head read of its own.
    async fn heads_of(
        &self,
        transaction: &idb::Transaction,
        names: &[String],
        next_position: u64,
    ) -> Result<Vec<StreamInfo>, StoreError> {
        let streams = transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?;
        let by_version = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?
            .index(BY_STREAM_VERSION)
            .map_err(storage_error)?;
        let heads = names
            .iter()
            .map(|name| match self.current_head(name, next_position) {
                Some(known) => Ok(Head::Known(known)),
                None => lookup_head(&streams, &by_version, name).map(Head::Lookup),
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut infos = Vec::with_capacity(heads.len());
        for (name, head) in names.iter().zip(heads) {
            let head = match head {
                Head::Known(known) => Some(known),
                Head::Lookup(lookup) => {
                    let head = lookup.head().await?;
                    if let Some(head) = &head {
                        self.remember_seen(name, next_position, head.clone());
                    }
                    head
                }
            };
            // Every name came from a row of this transaction.
            if let Some(head) = head {
                infos.push(head.info);
            }
        }
        Ok(infos)
    }

    pub(super) async fn stream_row(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError> {
        let transaction = self.read_transaction(&[STREAMS_STORE, EVENTS_STORE])?;
        let events = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?;
        let by_version = events.index(BY_STREAM_VERSION).map_err(storage_error)?;
        let streams = transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?;
        let head = lookup_head(&streams, &by_version, stream)?.head().await?;
        Ok(head.map(|head| head.info))
    }

    /// The correlation's events are few (one piece of work), so they are
    /// read whole and searched.
    pub(super) async fn event_row_in_correlation(
        &self,
        correlation_id: &str,
        id: &str,
    ) -> Result<Option<RecordedEvent>, StoreError> {
        let transaction = self.read_transaction(&[EVENTS_STORE])?;
        let range = keys_between(correlation_id, 0.0, f64::MAX)?;
        let rows = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?
            .index(BY_CORRELATION)
            .map_err(storage_error)?
            .get_all(Some(Query::KeyRange(range)), None)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        for row in rows {
            let row: EventRow = from_js(row)?;
            if row.id == id {
                return row.into_record().map(Some);
            }
        }
        Ok(None)
    }

    pub(super) async fn read_category_rows(
        &self,
        category: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let transaction = self.read_transaction(&[EVENTS_STORE, STREAMS_STORE])?;
        let stream_rows = transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?
            .index(BY_CATEGORY)
            .map_err(storage_error)?
            .get_all(Some(Query::Key(JsValue::from_str(category))), None)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        let by_stream = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?
            .index(BY_STREAM_VERSION)
            .map_err(storage_error)?;
        let mut lookups = Vec::with_capacity(stream_rows.len());
        for row in stream_rows {
            let row: StreamRow = from_js(row)?;
            // The index holds old rows under the old rule's category too.
            if row.is_soft_deleted() || category_of(&row.stream) != Some(category) {
                continue;
            }
            let range = keys_between(&row.stream, row.truncate_before as f64, f64::MAX)?;
            lookups.push(
                by_stream
                    .get_all(Some(Query::KeyRange(range)), None)
                    .map_err(storage_error)?
                    .into_future(),
            );
        }
        let mut records = Vec::new();
        for lookup in lookups {
            let rows = lookup.await.map_err(storage_error)?;
            records.extend(
                rows_to_records(rows)?
                    .into_iter()
                    .filter(|record| request.admits(record.position)),
            );
        }
        records.sort_unstable_by_key(|record| record.position);
        let records = in_direction(records, request.direction);
        Ok(records.into_iter().take(request.limit).collect())
    }

    /// A read by type or correlation, in position order, without the
    /// events a soft delete hides. The streams that hide events are few
    /// (the sparse `truncate_before` index holds only them), so they are
    /// read first, in the same transaction, and their events filtered out.
    pub(super) async fn read_index(
        &self,
        index: &str,
        key: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        // `getAll` reads a count of 0 as no limit at all.
        if request.limit == 0 {
            return Ok(Vec::new());
        }
        let transaction = self.read_transaction(&[EVENTS_STORE, STREAMS_STORE])?;
        let hiding = transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?
            .index(BY_TRUNCATION)
            .map_err(storage_error)?
            .get_all(
                Some(Query::KeyRange(
                    KeyRange::lower_bound(&JsValue::from_f64(1.0), None).map_err(storage_error)?,
                )),
                None,
            )
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        let mut hidden_below: HashMap<String, u64> = HashMap::new();
        for row in hiding {
            let row: StreamRow = from_js(row)?;
            hidden_below.insert(row.stream, row.truncate_before);
        }
        let visible = |row: &EventRow| {
            hidden_below
                .get(&row.stream)
                .is_none_or(|&below| row.version >= below)
        };
        let events = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?;
        let index = events.index(index).map_err(storage_error)?;
        let (mut low, high) = match (request.direction, request.from) {
            (_, None) => (0.0, f64::MAX),
            (Direction::Forwards, Some(from)) => (from as f64, f64::MAX),
            (Direction::Backwards, Some(from)) => (0.0, from as f64),
        };
        let mut rows = Vec::new();
        match request.direction {
            // Pages of what is still wanted, until enough are visible: a
            // page with hidden events in it asks for more.
            Direction::Forwards => loop {
                let wanted = request.limit - rows.len();
                let range = keys_between(key, low, high)?;
                let page = index
                    .get_all(Some(Query::KeyRange(range)), u32::try_from(wanted).ok())
                    .map_err(storage_error)?
                    .await
                    .map_err(storage_error)?;
                let full = u32::try_from(wanted).is_ok_and(|wanted| page.len() == wanted as usize);
                let mut last = None;
                for row in page {
                    let row: EventRow = from_js(row)?;
                    last = Some(row.position);
                    if visible(&row) {
                        rows.push(row);
                    }
                }
                match last {
                    Some(last) if full && rows.len() < request.limit => low = last as f64 + 1.0,
                    _ => break,
                }
            },
            Direction::Backwards => {
                let range = keys_between(key, low, high)?;
                let cursor = index
                    .open_cursor(Some(Query::KeyRange(range)), Some(CursorDirection::Prev))
                    .map_err(storage_error)?
                    .await
                    .map_err(storage_error)?;
                if let Some(cursor) = cursor {
                    let mut cursor = cursor.into_managed();
                    while rows.len() < request.limit {
                        match cursor.value().map_err(storage_error)? {
                            Some(row) => {
                                let row: EventRow = from_js(row)?;
                                if visible(&row) {
                                    rows.push(row);
                                }
                            }
                            None => break,
                        }
                        cursor.next(None).await.map_err(storage_error)?;
                    }
                }
            }
        }
        rows.into_iter().map(EventRow::into_record).collect()
    }
}

/// The names of every stream but the soft-deleted ones, in order of
/// creation, and where the log ends. The names are `getAllKeys` on the
/// `first_position` index (the rows' primary keys, in index order), the
/// soft-deleted ones those the sparse `truncate_before` index holds at
/// [`SOFT_DELETED`]: a sandbox of ten thousand streams costs ten thousand
/// short strings, not rows. (Every row has had `firstPosition` since the
/// first schema, so the index misses none.)
async fn live_stream_names(
    transaction: &idb::Transaction,
) -> Result<(Vec<String>, u64), StoreError> {
    let streams = transaction
        .object_store(STREAMS_STORE)
        .map_err(storage_error)?;
    let events = transaction
        .object_store(EVENTS_STORE)
        .map_err(storage_error)?;
    let last_key = last_key_lookup(&events)?;
    let names = streams
        .index(BY_FIRST_POSITION)
        .map_err(storage_error)?
        .get_all_keys(None, None)
        .map_err(storage_error)?
        .into_future();
    let soft_deleted = KeyRange::lower_bound(&JsValue::from_f64(SOFT_DELETED as f64), None)
        .map_err(storage_error)?;
    let deleted = streams
        .index(BY_TRUNCATION)
        .map_err(storage_error)?
        .get_all_keys(Some(Query::KeyRange(soft_deleted)), None)
        .map_err(storage_error)?
        .into_future();
    // Awaited in the order issued (see `append_after_reading_heads`).
    let next_position = position_after(last_key.await.map_err(storage_error)?)?;
    let names = names.await.map_err(storage_error)?;
    let deleted: HashSet<String> = deleted
        .await
        .map_err(storage_error)?
        .into_iter()
        .filter_map(|key| key.as_string())
        .collect();
    let live = names
        .into_iter()
        .filter_map(|key| key.as_string())
        .filter(|name| !deleted.contains(name))
        .collect();
    Ok((live, next_position))
}

/// A listed stream's head: known to this connection, or being read.
enum Head {
    Known(StoredStream),
    Lookup(HeadLookup),
}
