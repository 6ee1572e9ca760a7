//! Soft delete: hiding a stream's events, as KurrentDB records it.

use idb::TransactionMode;

use super::append::{events_and_streams, last_key_lookup, position_after};
use super::commit::{new_heads, Commit};
use super::heads::lookup_head;
use super::schema::BY_STREAM_VERSION;
use super::{storage_error, IndexedDbStore};
use crate::core::time::iso8601_from_millis;
use crate::core::{decide_soft_delete, metadata_stream_of, StoreError};
use crate::storage::rows::{EVENTS_STORE, STREAMS_STORE};

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
        let by_version = events.index(BY_STREAM_VERSION).map_err(storage_error)?;
        let row_lookup = lookup_head(&streams, &by_version, stream)?;
        let metadata_lookup = lookup_head(&streams, &by_version, &metadata_stream)?;
        let next_position = position_after(last_key.await.map_err(storage_error)?)?;
        // Another connection may have written since this one cached heads.
        self.observe_next_position(next_position);
        let row = row_lookup.head().await?;
        let metadata_row = metadata_lookup.head().await?;
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
        let heads = new_heads(&writes, &[row.as_ref(), metadata_row.as_ref()]);
        self.write_and_commit(
            transaction,
            &writes.records,
            heads,
            next_position,
            "the soft delete",
        )
        .await
        .map_err(Commit::into_error)
    }
}
