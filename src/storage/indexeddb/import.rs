//! An import: every event in one readwrite transaction, decided by the
//! core (`core::transfer::plan_import`) on the heads read inside it.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::rc::Rc;

use idb::TransactionMode;
use wasm_bindgen::JsValue;

use super::append::{events_and_streams, last_key_lookup, position_after};
use super::commit::{abort_queued, committed, new_heads, write_rows, Commit, NewHeads};
use super::heads::lookup_head;
use super::schema::BY_STREAM_VERSION;
use super::{from_js, storage_error, IndexedDbStore};
use crate::core::transfer::{plan_import, streams_to_read, ImportEvent};
use crate::core::StoreError;
use crate::storage::rows::{EventRow, StoredStream, EVENTS_STORE, STREAMS_STORE};
use crate::storage::ImportProgress;

/// How many events are queued per step, with one progress report after
/// each: often enough for a bar to move, rarely enough to cost nothing.
const EVENTS_PER_STEP: usize = 5_000;

impl IndexedDbStore {
    /// Reads the end of the log and the heads of every stream the import
    /// writes, decides, and writes it all, in one transaction: any failure
    /// (a conflict, a refused row, a full quota) leaves nothing behind.
    pub(super) async fn import_events(
        &self,
        events: Vec<ImportEvent>,
        progress: ImportProgress,
    ) -> Result<u64, StoreError> {
        let transaction =
            self.transaction(&[EVENTS_STORE, STREAMS_STORE], TransactionMode::ReadWrite)?;
        let (events_store, streams) = events_and_streams(&transaction)?;
        // Every read is issued before any is awaited (see the slow path).
        let last_key = last_key_lookup(&events_store)?;
        let by_version = events_store
            .index(BY_STREAM_VERSION)
            .map_err(storage_error)?;
        let lookups = streams_to_read(&events)
            .iter()
            .map(|stream| lookup_head(&streams, &by_version, stream))
            .collect::<Result<Vec<_>, _>>()?;
        let next_position = position_after(last_key.await.map_err(storage_error)?)?;
        self.observe_next_position(next_position);
        let last_created = match next_position.checked_sub(1) {
            Some(last) => {
                let row = events_store
                    .get(JsValue::from_f64(last as f64))
                    .map_err(storage_error)?
                    .await
                    .map_err(storage_error)?;
                row.map(from_js::<EventRow>)
                    .transpose()?
                    .map(|row| row.created)
            }
            None => None,
        };
        let mut heads: Vec<StoredStream> = Vec::new();
        for lookup in lookups {
            heads.extend(lookup.head().await?);
        }
        let rows: HashMap<_, _> = heads
            .iter()
            .map(|head| (head.info.stream.clone(), head.info.clone()))
            .collect();
        let writes = match plan_import(events, next_position, last_created.as_deref(), rows) {
            Ok(writes) => writes,
            Err(error) => return Err(abort_queued(transaction, error)),
        };
        let existing: Vec<Option<&StoredStream>> = heads.iter().map(Some).collect();
        let NewHeads {
            heads: new,
            rows: changed,
        } = new_heads(&writes, &existing);
        let steps: Vec<_> = writes.records.chunks(EVENTS_PER_STEP).collect();
        let mut written = 0;
        for (step, records) in steps.iter().enumerate() {
            // The changed stream rows go with the last step.
            let rows = if step + 1 == steps.len() {
                &changed[..]
            } else {
                &[]
            };
            if let Err(error) = write_rows(&transaction, records, rows) {
                return Err(abort_queued(transaction, error));
            }
            written += records.len() as u64;
            if let Err(error) = report_when_written(&events_store, records, written, &progress) {
                return Err(abort_queued(transaction, error));
            }
        }
        committed(transaction, "the import")
            .await
            .map_err(|commit| match commit {
                Commit::Conflict => StoreError::Storage(
                    "another tab wrote while the import was checked; nothing was imported, try again"
                        .into(),
                ),
                Commit::Failed(error) => error,
            })?;
        // The heads this connection caches are the ones just written.
        self.observe_next_position(next_position);
        let end = next_position + written;
        for head in new {
            let stream = head.info.stream.clone();
            self.remember_read(&stream, end, Some(head));
        }
        Ok(written)
    }
}

/// Queues a read of the step's last event after its adds: requests of a
/// transaction run in order, so its success means the step is written.
fn report_when_written(
    events: &idb::ObjectStore,
    records: &[crate::core::RecordedEvent],
    written: u64,
    progress: &ImportProgress,
) -> Result<(), StoreError> {
    let Some(last) = records.last() else {
        return Ok(());
    };
    let request = events
        .get_key(JsValue::from_f64(last.position as f64))
        .map_err(storage_error)?
        .into_future();
    let progress = Rc::clone(progress);
    wasm_bindgen_futures::spawn_local(async move {
        // A failed read means the transaction aborted; the commit reports
        // why, and there is no progress to show.
        if request.await.is_ok() {
            progress(written);
        }
    });
    Ok(())
}
