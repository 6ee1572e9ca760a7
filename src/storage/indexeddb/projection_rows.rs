//! The `projections` store: one row per projection, keyed by name.

use idb::{ObjectStore, TransactionMode};
use wasm_bindgen::JsValue;

use super::append::Stamp;
use super::commit::committed;
use super::{from_js, storage_error, to_js, IndexedDbStore};
use crate::core::projection::ProjectionRecord;
use crate::core::{AppendResult, ExpectedVersion, ProposedEvent, StoreError};
use crate::storage::rows::PROJECTIONS_STORE;
use crate::storage::{Fenced, ProjectionRows};

impl ProjectionRows for IndexedDbStore {
    async fn projections(&self) -> Result<Vec<ProjectionRecord>, StoreError> {
        let rows = self
            .read_transaction(&[PROJECTIONS_STORE])?
            .object_store(PROJECTIONS_STORE)
            .map_err(storage_error)?
            .get_all(None, None)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        rows.into_iter().map(from_js).collect()
    }

    async fn projection(&self, name: &str) -> Result<Option<ProjectionRecord>, StoreError> {
        let row = self
            .read_transaction(&[PROJECTIONS_STORE])?
            .object_store(PROJECTIONS_STORE)
            .map_err(storage_error)?
            .get(JsValue::from_str(name))
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        row.map(from_js).transpose()
    }

    async fn save_projection(&self, record: &ProjectionRecord) -> Result<(), StoreError> {
        match self.put_projection(record, false).await? {
            Fenced::Done(()) | Fenced::Superseded(_) => Ok(()),
        }
    }

    async fn save_progress(&self, record: &ProjectionRecord) -> Result<Fenced<()>, StoreError> {
        self.put_projection(record, true).await
    }

    async fn append_output(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        run: &ProjectionRecord,
    ) -> Result<Fenced<AppendResult>, StoreError> {
        self.append_after_reading_heads(stream, batch, expected, Some(run), Stamp::Now)
            .await
    }

    async fn delete_projection(&self, name: &str) -> Result<(), StoreError> {
        self.change_projections(|store| store.delete(JsValue::from_str(name)).map(drop))
            .await
    }
}

impl IndexedDbStore {
    /// Writes a projection's row, keeping the stored row's claims; with
    /// `only_same_run`, only while the stored row is still `record`'s run.
    async fn put_projection(
        &self,
        record: &ProjectionRecord,
        only_same_run: bool,
    ) -> Result<Fenced<()>, StoreError> {
        // Read and write in one transaction: IndexedDB serialises it against
        // every other tab's, so no tab's claim or command is lost in between.
        let transaction = self.transaction(&[PROJECTIONS_STORE], TransactionMode::ReadWrite)?;
        let store = transaction
            .object_store(PROJECTIONS_STORE)
            .map_err(storage_error)?;
        let stored = store
            .get(JsValue::from_str(&record.name))
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        let stored: Option<ProjectionRecord> = stored.map(from_js).transpose()?;
        let mut row = record.clone();
        match &stored {
            Some(stored) if !only_same_run || record.same_run_as(stored) => {
                row.keep_claims_of(stored);
            }
            None if !only_same_run => {}
            // Only a read was queued: the transaction writes nothing.
            _ => return Ok(Fenced::Superseded(stored.map(Box::new))),
        }
        store.put(&to_js(&row)?, None).map_err(storage_error)?;
        committed(transaction, "saving the projection")
            .await
            .map_err(|commit| commit.into_error())?;
        Ok(Fenced::Done(()))
    }

    /// One readwrite transaction on the projections store, committed.
    async fn change_projections(
        &self,
        change: impl FnOnce(&ObjectStore) -> Result<(), idb::Error>,
    ) -> Result<(), StoreError> {
        let transaction = self.transaction(&[PROJECTIONS_STORE], TransactionMode::ReadWrite)?;
        change(
            &transaction
                .object_store(PROJECTIONS_STORE)
                .map_err(storage_error)?,
        )
        .map_err(storage_error)?;
        committed(transaction, "saving the projection")
            .await
            .map_err(|commit| commit.into_error())
    }
}
