//! The sandboxes on this origin, which are its databases: listing them and
//! copying one into another (duplicate, and rename, which IndexedDB does
//! not have).

use idb::{KeyRange, Query, TransactionMode};
use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::append::next_position;
use super::commit::{abort_queued, committed};
use super::{storage_error, IndexedDbStore};
use crate::core::StoreError;
use crate::storage::rows::{EVENTS_STORE, PROJECTIONS_STORE, STREAMS_STORE};

/// Rows moved per transaction: a page of events is a few megabytes at most,
/// so a copy of a million events never holds the log in memory at once.
const COPY_PAGE: u64 = 5_000;

/// The names of every IndexedDB database of this origin
/// (`indexedDB.databases()`, which the `idb` crate does not wrap).
pub async fn database_names() -> Result<Vec<String>, StoreError> {
    let unavailable = |what: &str| {
        StoreError::Unavailable(format!(
            "this browser cannot list its IndexedDB databases ({what}), so the sandboxes cannot be listed"
        ))
    };
    let factory = web_sys::window()
        .and_then(|window| Reflect::get(&window, &"indexedDB".into()).ok())
        .filter(|factory| !factory.is_undefined() && !factory.is_null())
        .ok_or_else(|| unavailable("no indexedDB"))?;
    let databases: Function = Reflect::get(&factory, &"databases".into())
        .ok()
        .and_then(|method| method.dyn_into().ok())
        .ok_or_else(|| unavailable("no indexedDB.databases()"))?;
    let promise = databases
        .call0(&factory)
        .map_err(|error| unavailable(&format!("{error:?}")))?;
    let listed = JsFuture::from(js_sys::Promise::from(promise))
        .await
        .map_err(|error| unavailable(&format!("{error:?}")))?;
    Ok(Array::from(&listed)
        .iter()
        .filter_map(|info| Reflect::get(&info, &"name".into()).ok()?.as_string())
        .collect())
}

impl IndexedDbStore {
    /// Copies this sandbox into `target`, a freshly created one: the
    /// projections' rows first, then the events there when the copy began,
    /// a page per transaction, then the streams rows of those events. An
    /// append made meanwhile (another tab, a projection's output) is left
    /// out whole, rather than copied as an event without its stream row,
    /// and no projection's checkpoint is past the copied log, since the
    /// rows were read before its end was. Returns the number of events
    /// copied: the log's end when the copy began. A copy that fails part
    /// way leaves `target` half-filled: the caller deletes it.
    pub async fn copy_into(&self, target: &IndexedDbStore) -> Result<u64, StoreError> {
        let projections = self.rows_of(PROJECTIONS_STORE, None).await?;
        let end = self.event_count().await?;
        let mut from = 0;
        while from < end {
            let to = (from + COPY_PAGE).min(end);
            let range =
                KeyRange::bound(&(from as f64).into(), &(to as f64).into(), None, Some(true))
                    .map_err(storage_error)?;
            let rows = self.rows_of(EVENTS_STORE, Some(range)).await?;
            target.put_rows(EVENTS_STORE, rows.iter()).await?;
            from = to;
        }
        let streams = self.rows_of(STREAMS_STORE, None).await?;
        let begun_before_end = |row: &JsValue| {
            Reflect::get(row, &"firstPosition".into())
                .ok()
                .and_then(|first| first.as_f64())
                .is_some_and(|first| first < end as f64)
        };
        target
            .put_rows(STREAMS_STORE, streams.iter().filter(begun_before_end))
            .await?;
        target
            .put_rows(PROJECTIONS_STORE, projections.iter())
            .await?;
        Ok(end)
    }

    /// How many events the log holds.
    pub async fn event_count(&self) -> Result<u64, StoreError> {
        let transaction = self.read_transaction(&[EVENTS_STORE])?;
        let events = transaction
            .object_store(EVENTS_STORE)
            .map_err(storage_error)?;
        next_position(&events).await
    }

    async fn rows_of(&self, store: &str, range: Option<KeyRange>) -> Result<Array, StoreError> {
        let transaction = self.read_transaction(&[store])?;
        let rows = transaction
            .object_store(store)
            .map_err(storage_error)?
            .get_all(range.map(Query::KeyRange), None)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)?;
        Ok(rows.into_iter().collect())
    }

    async fn put_rows(
        &self,
        store: &str,
        rows: impl Iterator<Item = JsValue>,
    ) -> Result<(), StoreError> {
        let transaction = self.transaction(&[store], TransactionMode::ReadWrite)?;
        let queued = (|| {
            let target = transaction.object_store(store).map_err(storage_error)?;
            for row in rows {
                target.put(&row, None).map_err(storage_error)?;
            }
            Ok(())
        })();
        if let Err(error) = queued {
            return Err(abort_queued(transaction, error));
        }
        committed(transaction, "copying the sandbox")
            .await
            .map_err(|failure| failure.into_error())
    }
}
