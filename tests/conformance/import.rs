//! Imports: all or nothing, positions at the end of the log, ids, versions
//! and times kept, conflicts named by line, soft deletes round-tripped, and
//! the store's own heads right afterwards.

use std::cell::Cell;
use std::rc::Rc;

use es_sandbox::core::event::SOFT_DELETED;
use es_sandbox::core::transfer::{ndjson_line, EventChecker, ImportEvent};
use es_sandbox::core::{AppendResult, ExpectedVersion, ReadRequest, StreamState};
use es_sandbox::storage::{EventStore, ImportProgress};

use super::*;

/// `events` as an NDJSON export, checked back into importable events.
fn exported(events: &[RecordedEvent]) -> Vec<ImportEvent> {
    let mut checker = EventChecker::new();
    events
        .iter()
        .enumerate()
        .map(|(at, event)| {
            let line = ndjson_line(event).expect("an event encodes");
            checker
                .check_line(at as u64 + 1, &line)
                .expect("an exported line reads back")
                .expect("an exported line is not blank")
        })
        .collect()
}

fn no_progress() -> ImportProgress {
    Rc::new(|_| {})
}

/// The source's first event's time: 2100, after any time the store under
/// test stamps its own appends with, since an import's times may not go
/// back.
const SOURCE_MILLIS: i64 = 4_102_444_800_000;

/// A source sandbox in memory: two interleaved streams, with times.
async fn source() -> MemoryStore {
    let source = MemoryStore::new();
    source.set_clock(SOURCE_MILLIS);
    append(
        &source,
        "account-1",
        batch(&[("Opened", r#"{"owner":"Ada"}"#)]),
    )
    .await;
    source.set_clock(SOURCE_MILLIS + 500);
    append(&source, "account-2", one("Opened")).await;
    source.set_clock(SOURCE_MILLIS + 1_000);
    let meta = with_metadata("Deposited", r#"{"$correlationId":"c-1"}"#);
    append(&source, "account-1", meta).await;
    source
}

pub async fn an_import_into_an_empty_store_keeps_every_field_and_position(store: &impl EventStore) {
    let original = everything(&source().await).await;
    let heard = Rc::new(Cell::new(0));
    let hear = Rc::clone(&heard);
    let imported = store
        .import(exported(&original), Rc::new(move |n| hear.set(n)))
        .await
        .expect("the import succeeds");
    assert_eq!(imported, 3);
    assert_eq!(everything(store).await, original);
    let row = store.stream("account-1").await.unwrap().unwrap();
    assert_eq!((row.version, row.count), (1, 2));
    assert_eq!(row.created, "2100-01-01T00:00:00.000Z");
    assert_eq!(row.updated, "2100-01-01T00:00:01.000Z");
    let by_correlation = store
        .read_by_correlation("c-1", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(
        positions(&by_correlation),
        [2],
        "the correlation index is written"
    );
    assert_eq!(listed(store).await, ["account-1", "account-2"]);
    // Progress is reported asynchronously by some stores; wait for it.
    for _ in 0..20 {
        if heard.get() == 3 {
            break;
        }
        wait_a_few_milliseconds().await;
    }
    assert_eq!(heard.get(), 3, "the progress reached the whole import");
}

pub async fn an_import_goes_at_the_end_of_the_log_and_continues_streams(store: &impl EventStore) {
    append(store, "local", one("Here")).await;
    append(store, "account-1", one("Opened")).await;
    // A file that goes on from account-1's version 0.
    let source = source().await;
    let original = everything(&source).await;
    let mut file = exported(&original[1..]);
    file.retain(|event| event.stream == "account-1");
    store
        .import(file, no_progress())
        .await
        .expect("the import succeeds");
    let events = everything(store).await;
    assert_eq!(positions(&events), [0, 1, 2]);
    assert_eq!(
        (
            events[2].stream.as_str(),
            events[2].version,
            events[2].id.as_str()
        ),
        ("account-1", 1, original[2].id.as_str())
    );
}

pub async fn a_conflict_in_the_last_event_writes_nothing(store: &impl EventStore) {
    append(store, "account-2", one("Elsewhere")).await;
    let before = everything(store).await;
    let file = exported(&everything(&source().await).await);
    // account-2 exists here, so its import (line 2) conflicts; account-1's
    // events around it must not land either.
    let error = store.import(file, no_progress()).await.unwrap_err();
    assert_eq!(error.name(), "ImportError");
    assert!(
        error.to_string().starts_with(
            "line 2: stream 'account-2' already exists in this sandbox (up to version 0)"
        ),
        "{error}"
    );
    assert_eq!(everything(store).await, before);
    assert!(store.stream("account-1").await.unwrap().is_none());

    // The same file with a conflict in its very last event.
    let mut file = exported(&everything(&source().await).await);
    file.retain(|event| event.stream != "account-2");
    let last = file.last_mut().expect("the file has events");
    last.stream = "account-2".into();
    last.version = 5;
    let error = store.import(file, no_progress()).await.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "line 3: stream 'account-2' is at version 0 in this sandbox, but the file's events of it go on from version 4"
        ),
        "{error}"
    );
    assert_eq!(
        everything(store).await,
        before,
        "nothing of the import was written"
    );
    assert_eq!(listed(store).await, ["account-2"]);
}

pub async fn importing_the_same_file_twice_is_a_conflict(store: &impl EventStore) {
    let file = || async { exported(&everything(&source().await).await) };
    store.import(file().await, no_progress()).await.unwrap();
    let error = store.import(file().await, no_progress()).await.unwrap_err();
    assert!(error
        .to_string()
        .starts_with("line 1: stream 'account-1' already exists"));
    assert_eq!(everything(store).await.len(), 3);
}

pub async fn soft_deleted_streams_round_trip_through_an_import(store: &impl EventStore) {
    let source = MemoryStore::new();
    append(&source, "gone", batch(&[("A", "1"), ("A", "2")])).await;
    append(&source, "back", one("B")).await;
    source.soft_delete("gone").await.unwrap();
    source.soft_delete("back").await.unwrap();
    append(&source, "back", one("B")).await;
    let original = everything(&source).await;
    store
        .import(exported(&original), no_progress())
        .await
        .unwrap();
    assert_eq!(everything(store).await, original);
    assert_eq!(
        store
            .read_stream("gone", ReadRequest::default())
            .await
            .unwrap_err()
            .name(),
        "StreamNotFound"
    );
    let gone = store.stream("gone").await.unwrap().unwrap();
    assert_eq!((gone.count, gone.truncate_before), (0, SOFT_DELETED));
    let back = store
        .read_stream("back", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(
        versions(&back),
        [1],
        "only the events after the undelete show"
    );
    assert_eq!(listed(store).await, listed(&source).await);
}

pub async fn appends_after_an_import_see_the_imported_heads(store: &impl EventStore) {
    append(store, "before", one("X")).await;
    let file = exported(&everything(&source().await).await);
    store.import(file, no_progress()).await.unwrap();
    let result = store
        .append("account-1", one("Closed"), ExpectedVersion::Exact(1))
        .await
        .expect("the imported head is the stream's head");
    assert_eq!(
        result,
        AppendResult {
            next_expected_version: 2,
            position: 4
        }
    );
    assert_conflict(
        store
            .append("account-2", one("Again"), ExpectedVersion::NoStream)
            .await,
        ExpectedVersion::NoStream,
        StreamState::At(0),
    );
    let appended = append(store, "before", one("Y")).await;
    assert_eq!(appended.position, 5);
}

pub async fn an_import_older_than_the_log_is_refused_and_writes_nothing(store: &impl EventStore) {
    // The log ends in 2100 (an import keeps its times), whatever the clock
    // of the store under test.
    let future = exported(&everything(&source().await).await);
    store.import(future, no_progress()).await.expect("import");
    let past = MemoryStore::new();
    past.set_clock(1_000_000_000_000);
    append(&past, "account-3", one("Opened")).await;
    let refused = store
        .import(exported(&everything(&past).await), no_progress())
        .await
        .expect_err("an import from before the log's end is refused");
    assert!(
        refused.to_string().starts_with(
            "line 1: its time 2001-09-09T01:46:40.000Z is before this sandbox's last event"
        ),
        "{refused}"
    );
    assert_eq!(positions(&everything(store).await), [0, 1, 2]);
}
