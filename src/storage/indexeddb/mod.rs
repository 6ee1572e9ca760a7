//! The IndexedDB backend, through the `idb` crate.
//!
//! **Invariant:** an append is one readwrite transaction over `events` and
//! `streams`, and the core's append rule decides what it writes. The facts it
//! decides on are either read inside that transaction (the slow path), or are
//! the heads this connection last saw (the fast path), in which case the
//! unique keys (`position`, `[stream, version]`) check them as the rows are
//! added: a stale head makes an `add` fail, the transaction aborts, and the
//! slow path runs. Only the slow path compares ids (idempotency), reading
//! the stream's own events by `[stream, version]`: there is no index of ids. IndexedDB serialises readwrite transactions over the
//! same stores, across tabs too, so two appends with the same expected
//! version cannot both succeed; and a transaction that fails is rolled back
//! whole, so a failed append leaves no trace.
//!
//! - `schema`: opening, the versioned upgrades, and the connection's
//!   lifecycle (a newer build in another tab, a blocked open);
//! - `append`: both append paths;
//! - `commit`: queueing rows and committing, shared with soft delete;
//! - `soft_delete`: hiding a stream's events with a `$tb` marker (the
//!   undelete is part of the append);
//! - `import`: an import, all of it in one transaction;
//! - `reads`: every read;
//! - `projection_rows`: the projections store.

mod append;
mod commit;
mod heads;
mod import;
mod projection_rows;
mod reads;
mod sandboxes;
mod schema;
mod soft_delete;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use idb::{Database, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use super::rows::EventRow;
use super::{EventStore, Fenced, ImportProgress};
use crate::core::transfer::ImportEvent;
use crate::core::{
    AppendResult, Direction, ExpectedVersion, ProposedEvent, ReadRequest, RecordedEvent,
    StoreError, StreamInfo, StreamSelection, StreamsPage,
};
use append::{KnownHeads, Stamp};
pub use sandboxes::database_names;
pub use schema::{OpenWatch, SCHEMA_VERSION};

pub struct IndexedDbStore {
    database: Database,
    heads: RefCell<KnownHeads>,
    /// Set when this connection was closed because a newer build opened the
    /// database; every call then says so instead of failing obscurely.
    closed: Rc<Cell<bool>>,
}

impl IndexedDbStore {
    pub fn close(&self) {
        self.closed.set(true);
        self.database.close();
    }

    /// A transaction over just the stores a call needs, so it does not queue
    /// behind appends longer than it must.
    fn transaction(
        &self,
        stores: &[&str],
        mode: TransactionMode,
    ) -> Result<idb::Transaction, StoreError> {
        if self.closed.get() {
            return Err(closed_for_newer_version());
        }
        self.database
            .transaction(stores, mode)
            .map_err(storage_error)
    }

    fn read_transaction(&self, stores: &[&str]) -> Result<idb::Transaction, StoreError> {
        self.transaction(stores, TransactionMode::ReadOnly)
    }

    /// The fast path when the cached heads allow it, else the slow one.
    async fn append_stamped(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        stamp: Stamp,
    ) -> Result<AppendResult, StoreError> {
        if let Some(result) = self
            .append_from_known_heads(stream, &batch, expected, stamp)
            .await?
        {
            return Ok(result);
        }
        match self
            .append_after_reading_heads(stream, batch, expected, None, stamp)
            .await?
        {
            Fenced::Done(result) => Ok(result),
            Fenced::Superseded(_) => Err(StoreError::Storage(
                "an append without a fence was fenced off".into(),
            )),
        }
    }
}

impl EventStore for IndexedDbStore {
    async fn append(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
    ) -> Result<AppendResult, StoreError> {
        self.append_stamped(stream, batch, expected, Stamp::Now)
            .await
    }

    async fn append_with_created(
        &self,
        stream: &str,
        batch: Vec<ProposedEvent>,
        expected: ExpectedVersion,
        created_millis: i64,
    ) -> Result<AppendResult, StoreError> {
        self.append_stamped(stream, batch, expected, Stamp::Given(created_millis))
            .await
    }

    async fn import(
        &self,
        events: Vec<ImportEvent>,
        progress: ImportProgress,
    ) -> Result<u64, StoreError> {
        self.import_events(events, progress).await
    }

    async fn event_in_correlation(
        &self,
        correlation_id: &str,
        id: &str,
    ) -> Result<Option<RecordedEvent>, StoreError> {
        self.event_row_in_correlation(correlation_id, id).await
    }

    async fn read_stream(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_stream_rows(stream, request).await
    }

    async fn read_all(&self, request: ReadRequest) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_all_rows(request).await
    }

    async fn streams(&self) -> Result<Vec<StreamInfo>, StoreError> {
        self.stream_rows().await
    }

    async fn streams_page(
        &self,
        selection: &StreamSelection,
    ) -> Result<StreamsPage<StreamInfo>, StoreError> {
        self.stream_rows_page(selection).await
    }

    async fn soft_delete(&self, stream: &str) -> Result<(), StoreError> {
        self.truncate_stream(stream).await
    }

    async fn stream(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError> {
        self.stream_row(stream).await
    }

    async fn read_category(
        &self,
        category: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_category_rows(category, request).await
    }

    async fn read_by_type(
        &self,
        event_type: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_index(schema::BY_TYPE, event_type, request).await
    }

    async fn read_by_correlation(
        &self,
        correlation_id: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_index(schema::BY_CORRELATION, correlation_id, request)
            .await
    }
}

/// The keys `[text, n]` of a compound index with `low <= n <= high`.
fn keys_between(text: &str, low: f64, high: f64) -> Result<idb::KeyRange, StoreError> {
    idb::KeyRange::bound(&pair(text, low), &pair(text, high), None, None).map_err(storage_error)
}

fn pair(text: &str, number: f64) -> JsValue {
    js_sys::Array::of2(&JsValue::from_str(text), &JsValue::from_f64(number)).into()
}

fn in_direction(mut records: Vec<RecordedEvent>, direction: Direction) -> Vec<RecordedEvent> {
    if direction == Direction::Backwards {
        records.reverse();
    }
    records
}

fn rows_to_records(rows: Vec<JsValue>) -> Result<Vec<RecordedEvent>, StoreError> {
    rows.into_iter()
        .map(|row| from_js::<EventRow>(row)?.into_record())
        .collect()
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, StoreError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| {
            StoreError::Storage(format!("could not convert a row for IndexedDB: {error}"))
        })
}

fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, StoreError> {
    serde_wasm_bindgen::from_value(value).map_err(|error| {
        StoreError::Storage(format!("a stored row has an unexpected shape: {error}"))
    })
}

/// Turns an IndexedDB failure into a message a person can act on.
fn storage_error(error: idb::Error) -> StoreError {
    let message = error.to_string();
    if message.contains("QuotaExceeded") {
        quota_full(&message)
    } else if message.contains("connection is closing") {
        closed_for_newer_version()
    } else {
        StoreError::Storage(message)
    }
}

/// Turns the error a failed request or aborted transaction carries (a
/// `DOMException`, or nothing) into a `StoreError`.
fn dom_error(error: &JsValue, what: &str) -> StoreError {
    let exception = error.dyn_ref::<web_sys::DomException>();
    let name = exception.map(|e| e.name()).unwrap_or_default();
    let message = exception.map(|e| e.message()).unwrap_or_default();
    match name.as_str() {
        "QuotaExceededError" => quota_full(&message),
        "" => StoreError::Storage(format!("{what} was aborted; nothing was written")),
        _ => StoreError::Storage(format!(
            "{what} failed with {name}: {message}; nothing was written"
        )),
    }
}

/// A full quota is the one storage failure people can fix themselves, so
/// its message says how.
fn quota_full(detail: &str) -> StoreError {
    StoreError::Storage(format!(
        "the browser's storage quota is full, so nothing was written ({detail}); free disk space or delete old sandboxes and try again"
    ))
}

fn closed_for_newer_version() -> StoreError {
    StoreError::Unavailable(
        "a newer version of es-sandbox opened this sandbox in another tab, so this tab closed it; reload this page to continue".into(),
    )
}
