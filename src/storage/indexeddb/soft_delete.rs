//! Soft delete: hiding a stream's events, as KurrentDB records it.

use std::future::IntoFuture;

use idb::TransactionMode;
use wasm_bindgen::JsValue;

use super::append::{events_and_streams, last_key_lookup, position_after};
use super::commit::{stored_rows, Commit};
use super::{from_js, storage_error, IndexedDbStore};
use crate::core::time::iso8601_from_millis;
use crate::core::{decide_soft_delete, metadata_stream_of, StoreError};
use crate::storage::rows::{StoredStream, EVENTS_STORE, STREAMS_STORE};

impl IndexedDbStore {
    /// Soft delete, as the core decides it: the row that hides every
    /// version and the `$tb` marker in `$$stream`, in one transaction. The
    /// marker's position is what tells every other connection that its
    /// cached heads are stale.
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
        )?;
        // Nothing to hide: only reads were queued, so the transaction
        // commits nothing.
        let Some(writes) = decided else {
            return Ok(());
        };
        let rows = stored_rows(&writes, &[row.as_ref(), metadata_row.as_ref()]);
        self.write_and_commit(
            transaction,
            &writes.records,
            rows,
            next_position,
            "the soft delete",
        )
        .await
        .map_err(Commit::into_error)
    }
}
