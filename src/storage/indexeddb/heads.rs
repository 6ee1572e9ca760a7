//! A stream's head, read as two requests issued together: its `streams`
//! row (what changes only on creation, soft delete and undelete) and its
//! last event, the last entry of the `[stream, version]` index (what every
//! append changes). See [`StreamRow`].

use std::future::IntoFuture;

use idb::request::futures::{GetStoreRequestFuture, OpenCursorStoreRequestFuture};
use idb::{CursorDirection, Index, ObjectStore, Query};
use wasm_bindgen::JsValue;

use super::{from_js, keys_between, storage_error};
use crate::core::StoreError;
use crate::storage::rows::{StoredStream, StreamRow};

/// The two requests of one stream's head, already issued.
pub(super) struct HeadLookup {
    stream: String,
    row: GetStoreRequestFuture,
    last: OpenCursorStoreRequestFuture,
}

/// Issues the reads of `stream`'s head on `streams` and the events store's
/// `[stream, version]` index. Await [`HeadLookup::head`] only after issuing
/// every other read of the transaction, so IndexedDB pipelines them.
pub(super) fn lookup_head(
    streams: &ObjectStore,
    by_version: &Index,
    stream: &str,
) -> Result<HeadLookup, StoreError> {
    let row = streams
        .get(JsValue::from_str(stream))
        .map_err(storage_error)?
        .into_future();
    let last = lookup_last_event(by_version, stream)?;
    Ok(HeadLookup {
        stream: stream.to_string(),
        row,
        last,
    })
}

impl HeadLookup {
    /// The stream as stored, `None` when it has no row (it never existed,
    /// or it is a metadata stream whose row was never written).
    pub(super) async fn head(self) -> Result<Option<StoredStream>, StoreError> {
        let row = self.row.await.map_err(storage_error)?;
        let last = self.last.await.map_err(storage_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let row: StreamRow = from_js(row)?;
        let (version, created) = last_event(last, &self.stream)?;
        Ok(Some(row.with_last_event(version, created)))
    }
}

/// Issues the read of `stream`'s last event: one step of a reverse cursor
/// over its entries of the `[stream, version]` index.
fn lookup_last_event(
    by_version: &Index,
    stream: &str,
) -> Result<OpenCursorStoreRequestFuture, StoreError> {
    let range = keys_between(stream, 0.0, f64::MAX)?;
    Ok(by_version
        .open_cursor(Some(Query::KeyRange(range)), Some(CursorDirection::Prev))
        .map_err(storage_error)?
        .into_future())
}

/// What [`lookup_last_event`] found: the version and `created` of the
/// stream's last event (a stream with a row has one). Only those two fields
/// cross into wasm, not the event's data: the list reads a hundred of these
/// on every refresh it cannot answer from known heads.
fn last_event(found: Option<idb::Cursor>, stream: &str) -> Result<(u64, String), StoreError> {
    let damaged = || {
        StoreError::Storage(format!(
            "the stream {stream} has a row but no readable last event; the database is damaged"
        ))
    };
    let row = found.ok_or_else(damaged)?.value().map_err(storage_error)?;
    let field = |name: &str| js_sys::Reflect::get(&row, &JsValue::from_str(name)).ok();
    let version = field("version")
        .and_then(|v| v.as_f64())
        .ok_or_else(damaged)?;
    let created = field("created")
        .and_then(|v| v.as_string())
        .ok_or_else(damaged)?;
    Ok((version as u64, created))
}
