//! Soft delete: hiding a stream's events so far, as KurrentDB records it.

use std::future::IntoFuture;

use idb::TransactionMode;
use wasm_bindgen::JsValue;

use super::append::{
    abort_queued, committed, events_and_streams, last_key_lookup, position_after, write_append,
    Commit,
};
use super::{from_js, storage_error, to_js, IndexedDbStore};
use crate::core::time::iso8601_from_millis;
use crate::core::{decide_soft_delete, metadata_stream_of, RecordedEvent, StoreError};
use crate::storage::rows::{StoredStream, EVENTS_STORE, STREAMS_STORE};

impl IndexedDbStore {
    /// Soft delete, as the core decides it: the truncated row and the
    /// `$tb` marker in `$$stream`, in one transaction. The marker's position
    /// is what tells every other connection that its cached heads are stale.
    pub(super) async fn truncate_stream(&self, stream: &str) -> Result<(), StoreError> {
        let transaction =
            self.transaction(&[EVENTS_STORE, STREAMS_STORE], TransactionMode::ReadWrite)?;
        let (events, streams) = events_and_streams(&transaction)?;
        let metadata_stream = metadata_stream_of(stream);
        let last_key = last_key_lookup(&events)?;
        let row_lookup = streams
            .get(JsValue::from_str(stream))
            .map_err(storage_error)?
            .into_future();
        let metadata_lookup = streams
            .get(JsValue::from_str(&metadata_stream))
            .map_err(storage_error)?
            .into_future();
        let next_position = position_after(last_key.await.map_err(storage_error)?)?;
        let row: Option<StoredStream> = row_lookup
            .await
            .map_err(storage_error)?
            .map(from_js)
            .transpose()?;
        let metadata_row: Option<StoredStream> = metadata_lookup
            .await
            .map_err(storage_error)?
            .map(from_js)
            .transpose()?;
        let created = iso8601_from_millis(js_sys::Date::now() as i64);
        let decided = decide_soft_delete(
            row.as_ref().map(|row| &row.info),
            metadata_row.as_ref().map(|row| &row.info),
            next_position,
            &created,
        );
        let (row, decided) = match (row, decided) {
            (Some(row), Ok(Some(decided))) => (row, decided),
            // Nothing to hide; only reads were queued, so the transaction
            // commits nothing.
            (_, Ok(None)) | (None, _) => return Ok(()),
            (_, Err(error)) => return Err(error),
        };
        let truncated = StoredStream {
            info: decided.truncated,
            first_position: row.first_position,
        };
        let metadata_row = StoredStream {
            info: decided.metadata_stream,
            first_position: metadata_row.map_or(next_position, |row| row.first_position),
        };
        if let Err(error) =
            write_soft_delete(&transaction, &decided.marker, &metadata_row, &truncated)
        {
            return Err(abort_queued(transaction, error));
        }
        committed(transaction, "the soft delete")
            .await
            .map_err(Commit::into_error)?;
        self.remember(stream, next_position + 1, truncated);
        self.remember(&metadata_stream, next_position + 1, metadata_row);
        Ok(())
    }
}

fn write_soft_delete(
    transaction: &idb::Transaction,
    marker: &RecordedEvent,
    metadata_row: &StoredStream,
    truncated: &StoredStream,
) -> Result<(), StoreError> {
    write_append(transaction, std::slice::from_ref(marker), metadata_row)?;
    transaction
        .object_store(STREAMS_STORE)
        .map_err(storage_error)?
        .put(&to_js(truncated)?, None)
        .map_err(storage_error)?;
    Ok(())
}
