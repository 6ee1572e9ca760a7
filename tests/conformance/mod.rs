//! One conformance suite of store cases, run against every backend: natively
//! against the in-memory store (`tests/store_memory.rs`) and in headless
//! Chromium against IndexedDB (`tests/store_indexeddb.rs`).
//!
//! Each case is an async function over any [`EventStore`]; `all_cases!` lists
//! them so a backend's test file turns each into a test of its own.

use std::any::Any;
use std::cell::Cell;

use es_sandbox::core::event::{uuid_v4_from_bytes, validate_batch, InputEvent};
use es_sandbox::core::{
    AppendResult, ExpectedVersion, ProposedEvent, ReadRequest, RecordedEvent, StoreError,
    StreamState,
};
use es_sandbox::storage::memory::MemoryStore;
use es_sandbox::storage::EventStore;

/// Calls `$runner!(case)` for every case of the suite.
macro_rules! all_cases {
    ($runner:ident) => {
        $runner!(first_event_of_a_new_stream_has_version_zero_and_position_zero);
        $runner!(positions_are_gapless_across_streams_and_versions_per_stream);
        $runner!(expected_any_appends_whatever_the_stream_state);
        $runner!(expected_no_stream_succeeds_only_on_a_new_stream);
        $runner!(expected_stream_exists_fails_on_a_missing_stream);
        $runner!(expected_exact_version_must_equal_the_last_event);
        $runner!(a_wrong_expected_version_writes_nothing);
        $runner!(reappending_the_same_batch_returns_the_original_result);
        $runner!(an_id_stored_in_another_stream_is_a_duplicate);
        $runner!(a_partly_stored_batch_is_a_duplicate_and_writes_nothing);
        $runner!(invalid_stream_names_are_rejected);
        $runner!(read_stream_pages_forwards_and_backwards);
        $runner!(read_all_pages_forwards_and_backwards_from_a_position);
        $runner!(reading_a_missing_stream_gives_no_events);
        $runner!(the_stream_list_has_versions_counts_and_times);
        $runner!(system_streams_are_stored_and_flagged);
        $runner!(category_reads_merge_the_streams_of_a_category_by_position);
        $runner!(type_reads_find_every_event_of_a_type);
        $runner!(correlation_reads_follow_the_correlation_id);
        $runner!(data_and_metadata_round_trip_exactly);
        $runner!(an_event_near_the_size_limit_round_trips);
        $runner!(a_soft_deleted_stream_is_hidden_and_continues_its_versions);
        $runner!(an_append_with_a_given_created_stores_that_time);
        $runner!(an_event_is_found_by_its_id_wherever_it_lives);
    };
}
pub(crate) use all_cases;

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// A fresh v4 UUID; deterministic, so failures are repeatable.
fn fresh_id() -> String {
    let n = NEXT_ID.with(|next| {
        let n = next.get();
        next.set(n + 1);
        n
    });
    let mut bytes = [0u8; 16];
    bytes[8..].copy_from_slice(&n.to_be_bytes());
    bytes[0] = 0xe5;
    uuid_v4_from_bytes(bytes)
}

/// A batch from `(type, data)` pairs. The ids are given, as a caller that
/// may retry gives them, so cases can append the same batch again.
fn batch(events: &[(&str, &str)]) -> Vec<ProposedEvent> {
    let inputs = events
        .iter()
        .map(|(event_type, data)| {
            let id = fresh_id();
            serde_json::from_str::<InputEvent>(&format!(
                r#"{{"type":"{event_type}","data":{data},"id":"{id}"}}"#
            ))
            .expect("test input is JSON")
        })
        .collect();
    validate_batch(inputs, &mut || unreachable!("every id is given")).expect("test batch is valid")
}

fn one(event_type: &str) -> Vec<ProposedEvent> {
    batch(&[(event_type, "{}")])
}

fn with_metadata(event_type: &str, metadata: &str) -> Vec<ProposedEvent> {
    let input = serde_json::from_str::<InputEvent>(&format!(
        r#"{{"type":"{event_type}","data":{{}},"metadata":{metadata}}}"#
    ))
    .expect("test input is JSON");
    validate_batch(vec![input], &mut fresh_id).expect("test batch is valid")
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position).collect()
}

fn versions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.version).collect()
}

async fn append(store: &impl EventStore, stream: &str, events: Vec<ProposedEvent>) -> AppendResult {
    store
        .append(stream, events, ExpectedVersion::Any)
        .await
        .expect("append succeeds")
}

async fn everything(store: &impl EventStore) -> Vec<RecordedEvent> {
    store
        .read_all(ReadRequest::default())
        .await
        .expect("read $all")
}

fn assert_conflict(
    result: Result<AppendResult, StoreError>,
    expected: ExpectedVersion,
    actual: StreamState,
) {
    match result {
        Err(StoreError::WrongExpectedVersion {
            expected: e,
            actual: a,
            ..
        }) => {
            assert_eq!((e, a), (expected, actual));
        }
        other => panic!("expected WrongExpectedVersion({expected}, {actual}), got {other:?}"),
    }
}

pub async fn first_event_of_a_new_stream_has_version_zero_and_position_zero(
    store: &impl EventStore,
) {
    let result = append(store, "account-1", one("Opened")).await;
    assert_eq!(
        result,
        AppendResult {
            next_expected_version: 0,
            position: 0
        }
    );
    let events = store
        .read_stream("account-1", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        (event.stream.as_str(), event.version, event.position),
        ("account-1", 0, 0)
    );
    assert_eq!(event.event_type, "Opened");
    assert_eq!(event.metadata.get(), "{}");
    assert_eq!(
        event.created.len(),
        "2026-01-01T00:00:00.000Z".len(),
        "{}",
        event.created
    );
    assert!(event.created.ends_with('Z'));
}

pub async fn positions_are_gapless_across_streams_and_versions_per_stream(store: &impl EventStore) {
    append(store, "a-1", batch(&[("X", "1"), ("X", "2")])).await;
    let result = append(store, "b-1", one("Y")).await;
    assert_eq!(
        result,
        AppendResult {
            next_expected_version: 0,
            position: 2
        }
    );
    let result = append(store, "a-1", batch(&[("X", "3"), ("X", "4")])).await;
    assert_eq!(
        result,
        AppendResult {
            next_expected_version: 3,
            position: 4
        }
    );
    let all = everything(store).await;
    assert_eq!(positions(&all), [0, 1, 2, 3, 4]);
    assert_eq!(versions(&all), [0, 1, 0, 2, 3]);
}

pub async fn expected_any_appends_whatever_the_stream_state(store: &impl EventStore) {
    for _ in 0..3 {
        store
            .append("s", one("T"), ExpectedVersion::Any)
            .await
            .unwrap();
    }
    assert_eq!(everything(store).await.len(), 3);
}

pub async fn expected_no_stream_succeeds_only_on_a_new_stream(store: &impl EventStore) {
    let result = store
        .append("s", one("T"), ExpectedVersion::NoStream)
        .await
        .unwrap();
    assert_eq!(result.next_expected_version, 0);
    let again = store.append("s", one("T"), ExpectedVersion::NoStream).await;
    assert_conflict(again, ExpectedVersion::NoStream, StreamState::At(0));
}

pub async fn expected_stream_exists_fails_on_a_missing_stream(store: &impl EventStore) {
    let missing = store
        .append("s", one("T"), ExpectedVersion::StreamExists)
        .await;
    assert_conflict(
        missing,
        ExpectedVersion::StreamExists,
        StreamState::NoStream,
    );
    append(store, "s", one("T")).await;
    let result = store
        .append("s", one("T"), ExpectedVersion::StreamExists)
        .await
        .unwrap();
    assert_eq!(result.next_expected_version, 1);
}

pub async fn expected_exact_version_must_equal_the_last_event(store: &impl EventStore) {
    let on_missing = store.append("s", one("T"), ExpectedVersion::Exact(0)).await;
    assert_conflict(on_missing, ExpectedVersion::Exact(0), StreamState::NoStream);
    append(store, "s", batch(&[("T", "0"), ("T", "1")])).await;
    let stale = store.append("s", one("T"), ExpectedVersion::Exact(0)).await;
    assert_conflict(stale, ExpectedVersion::Exact(0), StreamState::At(1));
    let ahead = store.append("s", one("T"), ExpectedVersion::Exact(5)).await;
    assert_conflict(ahead, ExpectedVersion::Exact(5), StreamState::At(1));
    let result = store
        .append("s", one("T"), ExpectedVersion::Exact(1))
        .await
        .unwrap();
    assert_eq!(
        result,
        AppendResult {
            next_expected_version: 2,
            position: 2
        }
    );
}

pub async fn a_wrong_expected_version_writes_nothing(store: &impl EventStore) {
    append(store, "s", one("T")).await;
    let error = store
        .append(
            "s",
            batch(&[("T", "1"), ("T", "2")]),
            ExpectedVersion::Exact(7),
        )
        .await
        .unwrap_err();
    assert_eq!(error.name(), "WrongExpectedVersion");
    assert_eq!(
        error.to_string(),
        "wrong expected version for stream 's': expected 7, actual 0"
    );
    assert_eq!(everything(store).await.len(), 1);
    assert_eq!(store.stream("s").await.unwrap().unwrap().version, 0);
}

pub async fn reappending_the_same_batch_returns_the_original_result(store: &impl EventStore) {
    append(store, "other", one("Before")).await;
    let events = batch(&[("T", "1"), ("T", "2")]);
    let first = store
        .append("s", events.clone(), ExpectedVersion::NoStream)
        .await
        .unwrap();
    append(store, "other", one("After")).await;
    let again = store
        .append("s", events.clone(), ExpectedVersion::NoStream)
        .await
        .unwrap();
    assert_eq!(again, first);
    let again_any = store
        .append("s", events.clone(), ExpectedVersion::Any)
        .await
        .unwrap();
    assert_eq!(again_any, first);
    append(store, "s", one("Later")).await;
    let again_after_more = store
        .append("s", events, ExpectedVersion::NoStream)
        .await
        .unwrap();
    assert_eq!(again_after_more, first);

    // Under an exact expected version: the batch went in after version 0 of
    // a stream that existed, and the stream has moved on since.
    append(store, "x", one("Opened")).await;
    let exact = batch(&[("T", "1"), ("T", "2"), ("T", "3")]);
    let original = store
        .append("x", exact.clone(), ExpectedVersion::Exact(0))
        .await
        .unwrap();
    assert_eq!(
        original,
        AppendResult {
            next_expected_version: 3,
            position: 8
        }
    );
    append(store, "x", one("Later")).await;
    let again_exact = store
        .append("x", exact.clone(), ExpectedVersion::Exact(0))
        .await
        .unwrap();
    assert_eq!(again_exact, original);
    // Any other exact version does not point where the batch starts, so the
    // expected-version check decides: a conflict when it is not the head...
    let elsewhere = store
        .append("x", exact.clone(), ExpectedVersion::Exact(1))
        .await;
    assert_conflict(elsewhere, ExpectedVersion::Exact(1), StreamState::At(4));
    // ...and, at the head, ids that are stored already are duplicates.
    let at_head = store
        .append("x", exact, ExpectedVersion::Exact(4))
        .await
        .unwrap_err();
    assert_eq!(at_head.name(), "DuplicateEventId", "{at_head}");

    let read = |stream| store.read_stream(stream, ReadRequest::default());
    assert_eq!(versions(&read("s").await.unwrap()), [0, 1, 2]);
    let x = read("x").await.unwrap();
    assert_eq!(versions(&x), [0, 1, 2, 3, 4]);
    assert_eq!(
        x.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(),
        ["Opened", "T", "T", "T", "Later"]
    );
    assert_eq!(store.stream("x").await.unwrap().unwrap().count, 5);
    assert_eq!(everything(store).await.len(), 10, "nothing written twice");
}

pub async fn an_id_stored_in_another_stream_is_a_duplicate(store: &impl EventStore) {
    let events = one("T");
    let id = events[0].id.clone();
    append(store, "first", events.clone()).await;
    let error = store
        .append("second", events, ExpectedVersion::Any)
        .await
        .unwrap_err();
    assert_eq!(error.name(), "DuplicateEventId", "{error}");
    assert!(error.to_string().contains(&id), "{error}");
    assert!(error.to_string().contains("0@first"), "{error}");
    assert!(store.stream("second").await.unwrap().is_none());
}

pub async fn a_partly_stored_batch_is_a_duplicate_and_writes_nothing(store: &impl EventStore) {
    let stored = one("T");
    append(store, "s", stored.clone()).await;
    let mut mixed = one("New");
    mixed.extend(stored);
    let error = store
        .append("s", mixed, ExpectedVersion::Any)
        .await
        .unwrap_err();
    assert_eq!(error.name(), "DuplicateEventId", "{error}");
    assert_eq!(everything(store).await.len(), 1);
}

pub async fn invalid_stream_names_are_rejected(store: &impl EventStore) {
    for name in [String::new(), "x".repeat(257)] {
        let error = store
            .append(&name, one("T"), ExpectedVersion::Any)
            .await
            .unwrap_err();
        assert_eq!(error.name(), "InvalidEvent", "{name:?}");
    }
    append(store, &"y".repeat(256), one("T")).await;
    assert_eq!(everything(store).await.len(), 1);
}

pub async fn read_stream_pages_forwards_and_backwards(store: &impl EventStore) {
    let ten: Vec<(&str, &str)> = (0..10).map(|_| ("T", "{}")).collect();
    append(store, "s", batch(&ten)).await;
    append(store, "noise", one("N")).await;
    let read = |request| store.read_stream("s", request);
    assert_eq!(
        versions(&read(ReadRequest::forwards(0, 3)).await.unwrap()),
        [0, 1, 2]
    );
    assert_eq!(
        versions(&read(ReadRequest::forwards(8, 5)).await.unwrap()),
        [8, 9]
    );
    assert_eq!(
        versions(&read(ReadRequest::backwards(None, 3)).await.unwrap()),
        [9, 8, 7]
    );
    assert_eq!(
        versions(&read(ReadRequest::backwards(Some(1), 5)).await.unwrap()),
        [1, 0]
    );
    assert!(read(ReadRequest::forwards(10, 5)).await.unwrap().is_empty());
    assert_eq!(read(ReadRequest::default()).await.unwrap().len(), 10);
}

pub async fn read_all_pages_forwards_and_backwards_from_a_position(store: &impl EventStore) {
    for stream in ["a", "b", "c", "a", "b"] {
        append(store, stream, one("T")).await;
    }
    let read = |request| store.read_all(request);
    assert_eq!(
        positions(&read(ReadRequest::forwards(1, 2)).await.unwrap()),
        [1, 2]
    );
    assert_eq!(
        positions(&read(ReadRequest::backwards(None, 2)).await.unwrap()),
        [4, 3]
    );
    assert_eq!(
        positions(&read(ReadRequest::backwards(Some(2), 10)).await.unwrap()),
        [2, 1, 0]
    );
    assert!(read(ReadRequest::forwards(5, 10)).await.unwrap().is_empty());
}

pub async fn reading_a_missing_stream_gives_no_events(store: &impl EventStore) {
    append(store, "present", one("T")).await;
    assert!(store
        .read_stream("absent", ReadRequest::default())
        .await
        .unwrap()
        .is_empty());
    assert!(store.stream("absent").await.unwrap().is_none());
}

pub async fn the_stream_list_has_versions_counts_and_times<S: EventStore + 'static>(store: &S) {
    at_time(store, 1_000).await;
    append(store, "account-1", batch(&[("T", "1"), ("T", "2")])).await;
    at_time(store, 2_000).await;
    append(store, "account-2", one("T")).await;
    at_time(store, 3_000).await;
    append(store, "account-1", one("T")).await;
    let streams = store.streams().await.unwrap();
    let rows: Vec<(&str, &str, u64, u64)> = streams
        .iter()
        .map(|s| (s.stream.as_str(), s.category.as_str(), s.version, s.count))
        .collect();
    assert_eq!(
        rows,
        [
            ("account-1", "account", 2, 3),
            ("account-2", "account", 0, 1)
        ]
    );
    // A stream was created when its first event was, and updated when its
    // last one was; time moved between the appends, so the two differ.
    let created = |stream| async move {
        let events = store
            .read_stream(stream, ReadRequest::default())
            .await
            .unwrap();
        events.iter().map(|e| e.created.clone()).collect::<Vec<_>>()
    };
    let one_times = created("account-1").await;
    let two_times = created("account-2").await;
    assert_eq!(one_times[0], one_times[1], "one batch, one timestamp");
    assert!(one_times[1] < two_times[0] && two_times[0] < one_times[2]);
    let (first, second) = (&streams[0], &streams[1]);
    assert_eq!(
        (first.created.as_str(), first.updated.as_str()),
        (one_times[0].as_str(), one_times[2].as_str())
    );
    assert_eq!(
        (second.created.as_str(), second.updated.as_str()),
        (two_times[0].as_str(), two_times[0].as_str())
    );
    assert_eq!(
        store.stream("account-1").await.unwrap().as_ref(),
        Some(first)
    );
}

/// Lets time pass before the next append: the in-memory store's clock is
/// set to `millis`; a store on the real clock waits a few milliseconds
/// (its timestamps have millisecond precision).
async fn at_time<S: EventStore + 'static>(store: &S, millis: i64) {
    match (store as &dyn Any).downcast_ref::<MemoryStore>() {
        Some(memory) => memory.set_clock(millis),
        None => wait_a_few_milliseconds().await,
    }
}

#[cfg(target_arch = "wasm32")]
async fn wait_a_few_milliseconds() {
    gloo::timers::future::TimeoutFuture::new(5).await;
}

/// Natively, the in-memory store is the only store.
#[cfg(not(target_arch = "wasm32"))]
async fn wait_a_few_milliseconds() {}

pub async fn system_streams_are_stored_and_flagged(store: &impl EventStore) {
    append(store, "$settings", one("Set")).await;
    append(store, "user-1", one("T")).await;
    let streams = store.streams().await.unwrap();
    let flags: Vec<(&str, bool)> = streams
        .iter()
        .map(|s| (s.stream.as_str(), s.is_system()))
        .collect();
    assert_eq!(flags, [("$settings", true), ("user-1", false)]);
}

pub async fn category_reads_merge_the_streams_of_a_category_by_position(store: &impl EventStore) {
    for stream in [
        "account-1",
        "order-1",
        "account-2",
        "account",
        "account-1",
        "accounting-1",
    ] {
        append(store, stream, one("T")).await;
    }
    let read = |request| store.read_category("account", request);
    assert_eq!(
        positions(&read(ReadRequest::default()).await.unwrap()),
        [0, 2, 3, 4]
    );
    assert_eq!(
        positions(&read(ReadRequest::forwards(1, 2)).await.unwrap()),
        [2, 3]
    );
    assert_eq!(
        positions(&read(ReadRequest::backwards(None, 3)).await.unwrap()),
        [4, 3, 2]
    );
}

pub async fn type_reads_find_every_event_of_a_type(store: &impl EventStore) {
    append(store, "a", batch(&[("Deposited", "1"), ("Withdrawn", "2")])).await;
    append(store, "b", batch(&[("Deposited", "3")])).await;
    let read = |request| store.read_by_type("Deposited", request);
    assert_eq!(
        positions(&read(ReadRequest::default()).await.unwrap()),
        [0, 2]
    );
    assert_eq!(
        positions(&read(ReadRequest::backwards(None, 1)).await.unwrap()),
        [2]
    );
    assert_eq!(
        positions(&read(ReadRequest::forwards(1, 10)).await.unwrap()),
        [2]
    );
    assert!(store
        .read_by_type("Opened", ReadRequest::default())
        .await
        .unwrap()
        .is_empty());
}

pub async fn correlation_reads_follow_the_correlation_id(store: &impl EventStore) {
    append(
        store,
        "a",
        with_metadata("Sent", r#"{"$correlationId":"tx-1"}"#),
    )
    .await;
    append(
        store,
        "b",
        with_metadata("Other", r#"{"$correlationId":"tx-2"}"#),
    )
    .await;
    append(
        store,
        "c",
        with_metadata(
            "Received",
            r#"{"$correlationId":"tx-1","$causationId":"x"}"#,
        ),
    )
    .await;
    append(store, "d", one("NoMetadata")).await;
    let found = store
        .read_by_correlation("tx-1", ReadRequest::default())
        .await
        .unwrap();
    let types: Vec<&str> = found.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["Sent", "Received"]);
}

pub async fn data_and_metadata_round_trip_exactly(store: &impl EventStore) {
    let data = r#"{"name":"Zoë 🚀","nested":{"list":[1,2.5,null,true]},"html":"<b>x</b>"}"#;
    append(
        store,
        "s",
        batch(&[("Rich", data), ("Null", "null"), ("Text", "\"plain\"")]),
    )
    .await;
    append(
        store,
        "s",
        with_metadata("Meta", r#"{"$correlationId":"c","$causationId":"d","n":1}"#),
    )
    .await;
    let events = store
        .read_stream("s", ReadRequest::default())
        .await
        .unwrap();
    let datas: Vec<&str> = events.iter().map(|e| e.data.get()).collect();
    assert_eq!(datas, [data, "null", "\"plain\"", "{}"]);
    assert_eq!(
        events[3].metadata.get(),
        r#"{"$correlationId":"c","$causationId":"d","n":1}"#
    );
}

pub async fn an_event_near_the_size_limit_round_trips(store: &impl EventStore) {
    let big = format!("\"{}\"", "x".repeat(1024 * 1024 - 10));
    append(store, "big", batch(&[("Big", &big)])).await;
    let events = store
        .read_stream("big", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(events[0].data.get().len(), big.len());
}

pub async fn a_soft_deleted_stream_is_hidden_and_continues_its_versions(store: &impl EventStore) {
    append(store, "report-1", batch(&[("Line", "1"), ("Line", "2")])).await;
    append(store, "other", one("T")).await;
    store.soft_delete("report-1").await.unwrap();
    store.soft_delete("never-existed").await.unwrap();
    assert!(store
        .read_stream("report-1", ReadRequest::default())
        .await
        .unwrap()
        .is_empty());
    let listed: Vec<String> = store
        .streams()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.stream)
        .collect();
    // KurrentDB records a soft delete as stream metadata: a `$metadata`
    // event `{"$tb": 2}` in `$$report-1` (a system stream).
    assert_eq!(listed, ["other", "$$report-1"]);
    let row = store.stream("report-1").await.unwrap().unwrap();
    assert_eq!((row.version, row.count, row.truncate_before), (1, 0, 2));
    let marker = store
        .read_stream("$$report-1", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(marker.len(), 1);
    assert_eq!(
        (
            marker[0].event_type.as_str(),
            marker[0].data.get(),
            marker[0].position
        ),
        ("$metadata", r#"{"$tb":2}"#, 3)
    );

    let result = append(store, "report-1", one("Line")).await;
    assert_eq!(
        result,
        AppendResult {
            next_expected_version: 2,
            position: 4
        }
    );
    let visible = store
        .read_stream("report-1", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(versions(&visible), [2]);
    let backwards = store
        .read_stream("report-1", ReadRequest::backwards(None, 10))
        .await
        .unwrap();
    assert_eq!(versions(&backwards), [2]);
    assert_eq!(store.stream("report-1").await.unwrap().unwrap().count, 1);
    assert_eq!(
        everything(store).await.len(),
        5,
        "$all keeps what was hidden, and the marker"
    );
}

pub async fn an_append_with_a_given_created_stores_that_time(store: &impl EventStore) {
    // 2026-10-05T09:12:00.000Z and a week later: long before any clock reading.
    let opened = 1_791_191_520_000;
    let week = 7 * 86_400_000;
    let first = store
        .append_with_created(
            "account-1",
            one("Opened"),
            ExpectedVersion::NoStream,
            opened,
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        AppendResult {
            next_expected_version: 0,
            position: 0
        }
    );
    store
        .append_with_created(
            "account-1",
            batch(&[("Deposited", "1"), ("Deposited", "2")]),
            ExpectedVersion::Exact(0),
            opened + week,
        )
        .await
        .unwrap();
    let created: Vec<String> = store
        .read_stream("account-1", ReadRequest::default())
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.created)
        .collect();
    assert_eq!(
        created,
        [
            "2026-10-05T09:12:00.000Z",
            "2026-10-12T09:12:00.000Z",
            "2026-10-12T09:12:00.000Z"
        ]
    );
    let row = store.stream("account-1").await.unwrap().unwrap();
    assert_eq!(
        (row.created.as_str(), row.updated.as_str()),
        ("2026-10-05T09:12:00.000Z", "2026-10-12T09:12:00.000Z")
    );
    // The append rule is the same as ever: a stale expected version writes nothing.
    let stale = store
        .append_with_created("account-1", one("Late"), ExpectedVersion::Exact(0), opened)
        .await;
    assert_conflict(stale, ExpectedVersion::Exact(0), StreamState::At(2));
    // An ordinary append is stamped by the store, not with the last given time.
    append(store, "account-1", one("Now")).await;
    let now = store
        .read_stream("account-1", ReadRequest::backwards(None, 1))
        .await
        .unwrap();
    assert_ne!(now[0].created, "2026-10-12T09:12:00.000Z");
    assert_eq!(everything(store).await.len(), 4);
}

pub async fn an_event_is_found_by_its_id_wherever_it_lives(store: &impl EventStore) {
    append(store, "a-1", batch(&[("First", "1"), ("Second", "2")])).await;
    let events = one("Elsewhere");
    let id = events[0].id.clone();
    append(store, "b-1", events).await;
    let found = store.event_by_id(&id).await.unwrap().expect("found by id");
    assert_eq!(
        (found.stream.as_str(), found.version, found.position),
        ("b-1", 0, 2)
    );
    assert_eq!(found.event_type, "Elsewhere");
    assert_eq!(
        found,
        store
            .read_stream("b-1", ReadRequest::default())
            .await
            .unwrap()[0]
    );
    assert_eq!(store.event_by_id(&fresh_id()).await.unwrap(), None);
}
