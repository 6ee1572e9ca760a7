//! The database's schema, its upgrades, and the connection's lifecycle.
//!
//! Schema history (bump [`SCHEMA_VERSION`] and add a step to [`upgrade`]):
//! - v1: `events` keyed by `position`, unique indexes `stream_version`
//!   (`[stream, version]`) and `id`; `streams` keyed by `stream`.
//! - v2: the read indexes `type_position`, `correlation_position` on events
//!   and `category` on streams. IndexedDB fills them from existing records.
//! - v3: `projections`, keyed by `name`: definitions, status and checkpoints.
//! - v4: the unique `id` index is deleted: KurrentDB's idempotency compares
//!   ids within a stream only, which `stream_version` serves, and an id may
//!   now be stored twice (in two streams, or twice in one batch). New:
//!   `truncate_before` on streams, sparse (a row carries `truncateBefore`
//!   only while it hides events), so index reads can leave hidden events
//!   out. Rows are not rewritten: events keep their `"{}"` metadata, and
//!   streams rows their old category, which reads work out again from the
//!   name (`StreamRow::with_last_event`).
//! - v5: a `streams` row is written only when its stream is created,
//!   soft-deleted or undeleted, and a stream's version, count and last
//!   update are read from its last event (`StreamRow`), so an append writes
//!   one row. Old rows keep their stale `version`, `count` and `updated`,
//!   which are ignored; the bump keeps a v4 build, which would trust them,
//!   from opening a v5 database. New: `first_position` on streams, so the
//!   list reads the names in order of creation without reading the rows.
//!
//! Lifecycle: a newer build opening the database in another tab fires
//! `versionchange` here; this connection closes at once, so the newer tab is
//! never blocked, and [`OpenWatch::on_closed`] tells the page to reload. An
//! open that another tab's older connection blocks calls
//! [`OpenWatch::on_blocked`] instead of waiting in silence. A database of a
//! version above [`SCHEMA_VERSION`] is left exactly as it is.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use idb::{Factory, IndexParams, KeyPath, ObjectStoreParams};
use wasm_bindgen::JsCast;

use super::{storage_error, IndexedDbStore};
use crate::core::StoreError;
use crate::storage::rows::{EVENTS_STORE, PROJECTIONS_STORE, STREAMS_STORE};

pub const SCHEMA_VERSION: u32 = 5;

pub(super) const BY_STREAM_VERSION: &str = crate::storage::rows::STREAM_VERSION_INDEX;
/// The unique index of ids schemas v1 to v3 had.
const BY_ID: &str = "id";
pub(super) const BY_TYPE: &str = "type_position";
pub(super) const BY_CORRELATION: &str = "correlation_position";
pub(super) const BY_CATEGORY: &str = "category";
pub(super) const BY_TRUNCATION: &str = "truncate_before";
pub(super) const BY_FIRST_POSITION: &str = "first_position";

/// What the page is told about the connection while it lives.
#[derive(Default)]
pub struct OpenWatch {
    /// Another tab holds the database open with an older schema and has not
    /// let go; the open goes on waiting until it does.
    pub on_blocked: Option<Box<dyn FnOnce()>>,
    /// A newer build opened the database elsewhere; this connection is closed.
    /// Told whether the database is being deleted (`true`) rather than
    /// upgraded by a newer build.
    pub on_closed: Option<Box<dyn FnOnce(bool)>>,
}

impl IndexedDbStore {
    /// Opens (creating or upgrading) the sandbox database called `name`.
    pub async fn open(name: &str) -> Result<IndexedDbStore, StoreError> {
        IndexedDbStore::open_watched(name, OpenWatch::default()).await
    }

    pub async fn open_watched(name: &str, watch: OpenWatch) -> Result<IndexedDbStore, StoreError> {
        let factory = Factory::new().map_err(storage_error)?;
        let mut request = factory
            .open(name, Some(SCHEMA_VERSION))
            .map_err(storage_error)?;
        let upgrade_failure: Rc<RefCell<Option<String>>> = Rc::default();
        let failure = Rc::clone(&upgrade_failure);
        request.on_upgrade_needed(move |event| {
            if let Err(error) = upgrade(&event) {
                // idb hands the exception back as a value; left alone, the
                // versionchange transaction would commit a half-migrated
                // database. Aborting it rolls every step back, and the open
                // then fails.
                *failure.borrow_mut() = Some(error.to_string());
                abort_upgrade(&event);
            }
        });
        if let Some(on_blocked) = watch.on_blocked {
            request.on_blocked(move |_| on_blocked());
        }
        let mut database = match request.await {
            Ok(database) => database,
            Err(error) => return Err(open_error(error, upgrade_failure.borrow().as_deref())),
        };
        let closed = Rc::new(Cell::new(false));
        let on_closed = watch.on_closed;
        let closing = Rc::clone(&closed);
        database.on_version_change(move |event: web_sys::Event| {
            closing.set(true);
            // The event's target is this very connection.
            if let Some(connection) = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::IdbDatabase>().ok())
            {
                connection.close();
            }
            if let Some(on_closed) = on_closed {
                // A delete asks for no version: `newVersion` is null.
                let deleted = js_sys::Reflect::get(&event, &"newVersion".into())
                    .is_ok_and(|version| version.is_null());
                on_closed(deleted);
            }
        });
        Ok(IndexedDbStore {
            database,
            heads: RefCell::default(),
            closed,
        })
    }

    /// Deletes the database called `name` (tests and "start over").
    pub async fn delete(name: &str) -> Result<(), StoreError> {
        let factory = Factory::new().map_err(storage_error)?;
        factory
            .delete(name)
            .map_err(storage_error)?
            .await
            .map_err(storage_error)
    }
}

fn abort_upgrade(event: &idb::event::VersionChangeEvent) {
    use idb::request::Request;
    use idb::Event;
    let transaction = event
        .target()
        .ok()
        .and_then(|request| request.transaction());
    match transaction.map(idb::Transaction::abort) {
        Some(Ok(_)) => {}
        // Without the transaction there is nothing to roll back, and the
        // failure is still reported: the open fails with the upgrade's error.
        Some(Err(error)) => web_sys::console::error_1(
            &format!("could not abort the failed schema upgrade: {error}").into(),
        ),
        None => web_sys::console::error_1(&"the schema upgrade has no transaction to abort".into()),
    }
}

fn open_error(error: idb::Error, upgrade_failure: Option<&str>) -> StoreError {
    let message = error.to_string();
    if let Some(failure) = upgrade_failure {
        return StoreError::Storage(format!(
            "upgrading this sandbox's database to schema v{SCHEMA_VERSION} failed ({failure}); it was rolled back and nothing was changed"
        ));
    }
    if message.contains("VersionError") || message.contains("less than the existing version") {
        return StoreError::Unavailable(format!(
            "this sandbox was saved by a newer version of es-sandbox (its database is above schema v{SCHEMA_VERSION}, the newest this page knows); reload to get the newer version. Nothing was changed or deleted"
        ));
    }
    storage_error(error)
}

/// Brings a database of any older schema version up to [`SCHEMA_VERSION`].
fn upgrade(event: &idb::event::VersionChangeEvent) -> Result<(), idb::Error> {
    use idb::event::DatabaseEvent;
    use idb::request::Request;
    use idb::Event;

    let old_version = event.old_version()?;
    let database = event.database()?;
    if old_version < 1 {
        let mut events_params = ObjectStoreParams::new();
        events_params.key_path(Some(KeyPath::new_single("position")));
        let events = database.create_object_store(EVENTS_STORE, events_params)?;
        events.create_index(
            BY_STREAM_VERSION,
            KeyPath::new_array(vec!["stream", "version"]),
            Some(unique()),
        )?;
        events.create_index(BY_ID, KeyPath::new_single("id"), Some(unique()))?;
        let mut streams_params = ObjectStoreParams::new();
        streams_params.key_path(Some(KeyPath::new_single("stream")));
        database.create_object_store(STREAMS_STORE, streams_params)?;
    }
    if old_version < 2 {
        let transaction = event
            .target()?
            .transaction()
            .ok_or(idb::Error::TransactionNotFound)?;
        let events = transaction.object_store(EVENTS_STORE)?;
        events.create_index(BY_TYPE, KeyPath::new_array(vec!["type", "position"]), None)?;
        events.create_index(
            BY_CORRELATION,
            KeyPath::new_array(vec!["correlationId", "position"]),
            None,
        )?;
        let streams = transaction.object_store(STREAMS_STORE)?;
        streams.create_index(BY_CATEGORY, KeyPath::new_single("category"), None)?;
    }
    if old_version < 3 {
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("name")));
        database.create_object_store(PROJECTIONS_STORE, params)?;
    }
    if old_version < 4 {
        let transaction = event
            .target()?
            .transaction()
            .ok_or(idb::Error::TransactionNotFound)?;
        transaction
            .object_store(EVENTS_STORE)?
            .delete_index(BY_ID)?;
        transaction.object_store(STREAMS_STORE)?.create_index(
            BY_TRUNCATION,
            KeyPath::new_single("truncateBefore"),
            None,
        )?;
    }
    if old_version < 5 {
        let transaction = event
            .target()?
            .transaction()
            .ok_or(idb::Error::TransactionNotFound)?;
        transaction.object_store(STREAMS_STORE)?.create_index(
            BY_FIRST_POSITION,
            KeyPath::new_single("firstPosition"),
            None,
        )?;
    }
    Ok(())
}

fn unique() -> IndexParams {
    let mut params = IndexParams::new();
    params.unique(true);
    params
}
