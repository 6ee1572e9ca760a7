//! Appends: numbering, expected versions, names, sizes and times.

use es_sandbox::core::{AppendResult, ExpectedVersion, ReadRequest, StreamState};
use es_sandbox::storage::EventStore;

use serde_json::value::RawValue;

use super::*;

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
    assert!(event.metadata.is_none(), "appended without metadata");
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

/// KurrentDB: `ClientAPI/append_to_stream.cs`
/// `should_append_with_stream_exists_exp_ver_if_metadata_stream_exists`.
pub async fn expected_stream_exists_succeeds_when_only_the_metadata_stream_exists(
    store: &impl EventStore,
) {
    append(store, "$$s", one("$metadata")).await;
    let result = store
        .append("s", one("T"), ExpectedVersion::StreamExists)
        .await
        .unwrap();
    assert_eq!(
        result,
        AppendResult {
            next_expected_version: 0,
            position: 1
        }
    );
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
        events[3].metadata.as_deref().map(RawValue::get),
        Some(r#"{"$correlationId":"c","$causationId":"d","n":1}"#)
    );
}

pub async fn an_event_without_metadata_has_none(store: &impl EventStore) {
    append(store, "s", one("Bare")).await;
    append(store, "s", with_metadata("Empty", "{}")).await;
    let events = everything(store).await;
    let metadata: Vec<Option<&str>> = events
        .iter()
        .map(|e| e.metadata.as_deref().map(RawValue::get))
        .collect();
    assert_eq!(metadata, [None, Some("{}")], "none is not {{}}");
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

/// KurrentDB's `MaxAppendSize` counts the whole request
/// (`Grpc/Streams.Append.cs`); the sandbox's is 1 MiB.
pub async fn a_batch_over_the_maximum_append_size_writes_nothing(store: &impl EventStore) {
    let mut two = batch(&[("Half", "{}"), ("Half", "{}")]);
    for event in &mut two {
        let text = format!("\"{}\"", "x".repeat(600 * 1024));
        event.data = RawValue::from_string(text).expect("a JSON string");
    }
    let error = store
        .append("big", two, ExpectedVersion::Any)
        .await
        .unwrap_err();
    assert_eq!(error.name(), "MaximumAppendSizeExceeded", "{error}");
    assert!(
        error
            .to_string()
            .starts_with("Maximum Append Size of 1048576 Exceeded."),
        "{error}"
    );
    assert!(everything(store).await.is_empty());
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
