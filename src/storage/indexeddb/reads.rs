//! Reads: a stream, `$all`, the stream list, one event by id, and the
//! category, type and correlation reads. Each is one read-only transaction
//! over the stores it needs, and pages by key range.

use std::future::IntoFuture;

use idb::{CursorDirection, KeyRange, Query};
use wasm_bindgen::JsValue;

use super::append::next_position;
use super::schema::{BY_CATEGORY, BY_ID, BY_STREAM_VERSION};
use super::{from_js, in_direction, pair, rows_to_records, storage_error, IndexedDbStore};
use crate::core::{Direction, ReadRequest, RecordedEvent, StoreError, StreamInfo};
use crate::storage::rows::{EventRow, StoredStream, EVENTS_STORE, STREAMS_STORE};

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
        let row: StreamInfo = match streams
            .get(JsValue::from_str(stream))
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?
        {
            Some(value) => from_js(value)?,
            None => return Ok(Vec::new()),
        };
        let Some((low, high)) = request.dense_range_within(row.truncate_before, row.version + 1)
        else {
            return Ok(Vec::new());
        };
        let events = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?;
        let range = KeyRange::bound(
            &pair(stream, low as f64),
            &pair(stream, high as f64),
            None,
            None,
        )
        .map_err(storage_error)?;
        let rows = events
            .index(BY_STREAM_VERSION)
            .map_err(storage_error)?
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

    pub(super) async fn stream_rows(&self) -> Result<Vec<StreamInfo>, StoreError> {
        let transaction = self.read_transaction(&[STREAMS_STORE])?;
        let rows = transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?
            .get_all(None, None)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        let mut streams = rows
            .into_iter()
            .map(from_js::<StoredStream>)
            .collect::<Result<Vec<_>, _>>()?;
        // The object store is ordered by name; the trait promises creation order.
        streams.sort_by_key(|row| row.first_position);
        Ok(streams
            .into_iter()
            .map(|row| row.info)
            .filter(|row| !row.is_deleted())
            .collect())
    }

    pub(super) async fn stream_row(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError> {
        let transaction = self.read_transaction(&[STREAMS_STORE])?;
        match transaction
            .object_store(STREAMS_STORE)
            .map_err(storage_error)?
            .get(JsValue::from_str(stream))
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?
        {
            Some(value) => Ok(Some(from_js(value)?)),
            None => Ok(None),
        }
    }

    pub(super) async fn event_row_by_id(
        &self,
        id: &str,
    ) -> Result<Option<RecordedEvent>, StoreError> {
        let transaction = self.read_transaction(&[EVENTS_STORE])?;
        let row = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?
            .index(BY_ID)
            .map_err(storage_error)?
            .get(JsValue::from_str(id))
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        row.map(|row| from_js::<EventRow>(row)?.into_record())
            .transpose()
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
            let row: StreamInfo = from_js(row)?;
            let range = KeyRange::bound(
                &pair(&row.stream, 0.0),
                &pair(&row.stream, f64::MAX),
                None,
                None,
            )
            .map_err(storage_error)?;
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
        records.sort_by_key(|record| record.position);
        let records = in_direction(records, request.direction);
        Ok(records.into_iter().take(request.limit).collect())
    }

    pub(super) async fn read_index(
        &self,
        index: &str,
        key: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let transaction = self.read_transaction(&[EVENTS_STORE])?;
        let events = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?;
        let index = events.index(index).map_err(storage_error)?;
        let (low, high) = match (request.direction, request.from) {
            (_, None) => (0.0, f64::MAX),
            (Direction::Forwards, Some(from)) => (from as f64, f64::MAX),
            (Direction::Backwards, Some(from)) => (0.0, from as f64),
        };
        let range = KeyRange::bound(&pair(key, low), &pair(key, high), None, None)
            .map_err(storage_error)?;
        let limit = u32::try_from(request.limit).ok();
        let rows = match request.direction {
            Direction::Forwards => index
                .get_all(Some(Query::KeyRange(range)), limit)
                .map_err(storage_error)?
                .await
                .map_err(storage_error)?,
            Direction::Backwards => {
                let cursor = index
                    .open_cursor(Some(Query::KeyRange(range)), Some(CursorDirection::Prev))
                    .map_err(storage_error)?
                    .await
                    .map_err(storage_error)?;
                let mut rows = Vec::new();
                if let Some(cursor) = cursor {
                    let mut cursor = cursor.into_managed();
                    while rows.len() < request.limit {
                        match cursor.value().map_err(storage_error)? {
                            Some(row) => rows.push(row),
                            None => break,
                        }
                        cursor.next(None).await.map_err(storage_error)?;
                    }
                }
                rows
            }
        };
        rows_to_records(rows)
    }
}
