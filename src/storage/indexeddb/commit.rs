//! The commit appends and soft deletes share: queue the rows, commit, and
//! report a taken unique key (another writer got there first) apart from
//! other failures.

use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::{dom_error, storage_error};
use crate::core::{RecordedEvent, StoreError, Writes};
use crate::storage::rows::{EventRow, StoredStream, StreamRow, EVENTS_STORE, STREAMS_STORE};

/// The heads a write leaves its streams at, and the `streams` rows it
/// must write for them (only those [`StoredStream::row_changed_from`]
/// says changed).
pub(super) struct NewHeads {
    pub heads: Vec<StoredStream>,
    pub rows: Vec<StreamRow>,
}

/// The heads of what `writes` puts: each keeps where its stream began
/// (from `existing`, the heads as read), or begins at its first new event.
pub(super) fn new_heads(writes: &Writes, existing: &[Option<&StoredStream>]) -> NewHeads {
    let mut rows = Vec::new();
    let heads = writes
        .streams
        .iter()
        .map(|info| {
            let before = existing
                .iter()
                .flatten()
                .find(|row| row.info.stream == info.stream)
                .copied();
            let first_new = writes
                .records
                .iter()
                .find(|record| record.stream == info.stream)
                .map(|record| record.position);
            let head = StoredStream {
                first_position: before
                    .map(|row| row.first_position)
                    .or(first_new)
                    .unwrap_or_default(),
                info: info.clone(),
            };
            if head.row_changed_from(before) {
                rows.push(head.row());
            }
            head
        })
        .collect();
    NewHeads { heads, rows }
}

/// Aborts a transaction whose writes could not all be queued, so none of
/// them lands, and returns the error that stopped them.
pub(super) fn abort_queued(transaction: idb::Transaction, error: StoreError) -> StoreError {
    match transaction.abort() {
        Ok(_) => error,
        Err(abort) => StoreError::Storage(format!(
            "{error}; the transaction could not be aborted either ({abort}), so reload before trusting this tab's view"
        )),
    }
}

/// Queues the writes of an append (or a soft delete) on its transaction:
/// its events, and the `streams` rows that changed.
/// Every row is written as one JSON text and parsed once on the JS side:
/// measured here, `serde_json` plus one `JSON.parse` crosses into JS about
/// four times faster than building each row field by field.
pub(super) fn write_rows(
    transaction: &idb::Transaction,
    records: &[RecordedEvent],
    rows: &[StreamRow],
) -> Result<(), StoreError> {
    let events: Vec<EventRow> = records.iter().map(EventRow::from_record).collect();
    let text = serde_json::to_string(&(&events, rows)).map_err(|error| {
        StoreError::Storage(format!("could not convert a row for IndexedDB: {error}"))
    })?;
    let parsed: js_sys::Array = js_sys::JSON::parse(&text)
        .map_err(|error| {
            StoreError::Storage(format!(
                "could not read back the rows prepared for IndexedDB: {error:?}"
            ))
        })?
        .unchecked_into();
    let queue = |store: &str, rows: JsValue, add: bool| -> Result<(), StoreError> {
        let store = transaction.object_store(store).map_err(storage_error)?;
        for row in js_sys::Array::from(&rows).iter() {
            if add {
                store.add(&row, None).map_err(storage_error)?;
            } else {
                store.put(&row, None).map_err(storage_error)?;
            }
        }
        Ok(())
    };
    // Events are added, never put: a taken position or `[stream, version]`
    // must fail the transaction (another writer got there first).
    queue(EVENTS_STORE, parsed.get(0), true)?;
    if rows.is_empty() {
        // The transaction may not cover `streams` (see the fast path).
        return Ok(());
    }
    queue(STREAMS_STORE, parsed.get(1), false)
}

pub(super) enum Commit {
    /// A unique key was taken: another writer got there first.
    Conflict,
    Failed(StoreError),
}

impl Commit {
    pub(super) fn into_error(self) -> StoreError {
        match self {
            Commit::Conflict => StoreError::Storage("a unique key was already taken".into()),
            Commit::Failed(error) => error,
        }
    }
}

/// Commits the transaction, whose requests must all be queued, and waits for
/// it to finish or abort. This listens on the raw transaction because a
/// failed request's error event bubbles to it, and the abort's `error` is
/// what names the cause (ConstraintError, QuotaExceededError). `what` names
/// the operation in the error ("the append").
pub(super) async fn committed(transaction: idb::Transaction, what: &str) -> Result<(), Commit> {
    let raw: web_sys::IdbTransaction = transaction.into();
    // Only one of the two handlers ever runs, and wasm-bindgen frees a
    // once-closure only when it is called, so both are owned here and
    // dropped when the transaction has settled; `once_into_js` leaked the
    // other one, with the transaction it held, on every append.
    let mut handlers = None;
    let settled = js_sys::Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once(move || resolve.call0(&JsValue::UNDEFINED));
        let aborted = raw.clone();
        let on_abort = Closure::once(move || {
            let error = aborted.error().map_or(JsValue::NULL, JsValue::from);
            reject.call1(&JsValue::UNDEFINED, &error)
        });
        raw.set_oncomplete(Some(on_complete.as_ref().unchecked_ref()));
        raw.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
        handlers = Some((on_complete, on_abort));
        // Every request is queued by now. Committing at once, rather than
        // when the task ends, measured 0.73 → 0.45 ms per single append.
        // web-sys flags `commit` deprecated, but it is IndexedDB 3.0 and
        // Chromium has had it since 76.
        #[allow(deprecated)]
        if raw.commit().is_err() {
            // It throws only when the transaction is already aborting, and
            // then `onabort` fires and reports the cause.
        }
    });
    let outcome = wasm_bindgen_futures::JsFuture::from(settled).await;
    raw.set_oncomplete(None);
    raw.set_onabort(None);
    drop(handlers);
    match outcome {
        Ok(_) => Ok(()),
        Err(error) => {
            let constraint = error
                .dyn_ref::<web_sys::DomException>()
                .is_some_and(|e| e.name() == "ConstraintError");
            Err(if constraint {
                Commit::Conflict
            } else {
                Commit::Failed(dom_error(&error, what))
            })
        }
    }
}
