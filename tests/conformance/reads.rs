//! Reads: streams, `$all`, the stream list, and the category, type,
//! correlation and cause reads.

use es_sandbox::core::{ReadRequest, StreamSelection};
use es_sandbox::storage::EventStore;

use es_sandbox::storage::find_cause;

use super::*;

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

/// KurrentDB: `IndexReader.ReadStreamEventsForwardInternal` answers
/// `NoStream`, which gRPC reads send as `stream_not_found`.
pub async fn reading_a_missing_stream_is_stream_not_found(store: &impl EventStore) {
    append(store, "present", one("T")).await;
    for request in [ReadRequest::default(), ReadRequest::backwards(None, 1)] {
        let error = store.read_stream("absent", request).await.unwrap_err();
        assert_eq!(error.name(), "StreamNotFound");
        assert_eq!(error.to_string(), "Event stream 'absent' is not found.");
    }
    assert!(store.stream("absent").await.unwrap().is_none());
    // A stream that exists reads as empty past its end, not as missing.
    assert!(store
        .read_stream("present", ReadRequest::forwards(5, 1))
        .await
        .unwrap()
        .is_empty());
}

pub async fn the_stream_list_has_versions_counts_and_times<S: EventStore + 'static>(store: &S) {
    at_time(store, 1_000).await;
    append(store, "account-1", batch(&[("T", "1"), ("T", "2")])).await;
    at_time(store, 2_000).await;
    append(store, "account-2", one("T")).await;
    at_time(store, 3_000).await;
    append(store, "account-1", one("T")).await;
    let streams = store.streams().await.unwrap();
    let rows: Vec<(&str, Option<&str>, u64, u64)> = streams
        .iter()
        .map(|s| (s.stream.as_str(), s.category.as_deref(), s.version, s.count))
        .collect();
    assert_eq!(
        rows,
        [
            ("account-1", Some("account"), 2, 3),
            ("account-2", Some("account"), 0, 1)
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

pub async fn the_list_page_is_the_newest_streams_with_their_heads(store: &impl EventStore) {
    for stream in ["item-1", "$settings", "item-2", "item-3", "gone-1"] {
        append(store, stream, batch(&[("T", "1"), ("T", "2")])).await;
    }
    append(store, "item-1", one("T")).await;
    store.soft_delete("gone-1").await.unwrap();
    let selection = StreamSelection {
        filter: String::new(),
        include_system: false,
        limit: 2,
    };
    let page = store.streams_page(&selection).await.unwrap();
    let rows: Vec<(&str, u64, u64)> = page
        .streams
        .iter()
        .map(|s| (s.stream.as_str(), s.version, s.count))
        .collect();
    assert_eq!(rows, [("item-3", 1, 2), ("item-2", 1, 2)]);
    // `$$gone-1` and `$settings` are system streams; gone-1 is deleted.
    assert_eq!((page.matching, page.total), (3, 5));
    let filtered = StreamSelection {
        filter: "item-1".into(),
        ..selection.clone()
    };
    let page = store.streams_page(&filtered).await.unwrap();
    let item_1 = &page.streams[0];
    assert_eq!(
        (item_1.version, item_1.count),
        (2, 3),
        "the head moved without a new row"
    );
    // An undelete shows only what follows it.
    append(store, "gone-1", one("T")).await;
    let all = StreamSelection {
        include_system: true,
        limit: 10,
        ..selection
    };
    let page = store.streams_page(&all).await.unwrap();
    let names: Vec<&str> = page.streams.iter().map(|s| s.stream.as_str()).collect();
    assert_eq!(
        names,
        [
            "$$gone-1",
            "gone-1",
            "item-3",
            "item-2",
            "$settings",
            "item-1"
        ]
    );
    let gone = &page.streams[1];
    assert_eq!((gone.version, gone.count, gone.truncate_before), (2, 1, 2));
    assert_eq!(store.stream("gone-1").await.unwrap().as_ref(), Some(gone));
}

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
    // `account` (no dash) and `-account-3` (nothing before it) have no
    // category; `account-` is in `account`.
    for stream in [
        "account-1",
        "order-1",
        "account-2",
        "account",
        "account-1",
        "accounting-1",
        "-account-3",
        "account-",
    ] {
        append(store, stream, one("T")).await;
    }
    let read = |request| store.read_category("account", request);
    assert_eq!(
        positions(&read(ReadRequest::default()).await.unwrap()),
        [0, 2, 4, 7]
    );
    assert_eq!(
        positions(&read(ReadRequest::forwards(1, 2)).await.unwrap()),
        [2, 4]
    );
    assert_eq!(
        positions(&read(ReadRequest::backwards(None, 3)).await.unwrap()),
        [7, 4, 2]
    );
}

/// The category is the text before the first `-`, when there is some, of a
/// stream that is not a system stream (`core::event::category_of`).
pub async fn a_stream_without_a_dash_or_with_a_dollar_has_no_category(store: &impl EventStore) {
    for stream in ["ledger", "-x", "$ce-account", "order-1-a"] {
        append(store, stream, one("T")).await;
    }
    let mut categories = Vec::new();
    for stream in ["ledger", "-x", "$ce-account", "order-1-a"] {
        let row = store.stream(stream).await.unwrap().expect("a row");
        categories.push(row.category);
    }
    assert_eq!(categories, [None, None, None, Some("order".to_string())]);
    for category in ["ledger", "", "$ce"] {
        let read = store.read_category(category, ReadRequest::default());
        assert!(read.await.unwrap().is_empty(), "{category:?}");
    }
    let order = store.read_category("order", ReadRequest::default());
    assert_eq!(positions(&order.await.unwrap()), [3]);
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

/// Without an index of ids, a cause is found through its effect's
/// correlation, or at the source position (`$p`) a projection's output
/// carries (`storage::find_cause`).
pub async fn a_cause_is_found_through_its_correlation_or_its_source_position(
    store: &impl EventStore,
) {
    append(store, "a-1", batch(&[("First", "1"), ("Second", "2")])).await;
    let cause = with_metadata("Sent", r#"{"$correlationId":"tx-1"}"#);
    let cause_id = cause[0].id.clone();
    append(store, "b-1", cause).await;
    let effect_metadata = format!(r#"{{"$correlationId":"tx-1","$causationId":"{cause_id}"}}"#);
    append(store, "c-1", with_metadata("Received", &effect_metadata)).await;
    let effect = store
        .read_stream("c-1", ReadRequest::default())
        .await
        .unwrap();
    let found = find_cause(store, &effect[0], &cause_id)
        .await
        .unwrap()
        .expect("found through the correlation");
    assert_eq!(
        (found.stream.as_str(), found.version, found.position),
        ("b-1", 0, 2)
    );
    assert_eq!(
        found,
        store
            .read_stream("b-1", ReadRequest::default())
            .await
            .unwrap()[0]
    );
    let upper = cause_id.to_ascii_uppercase();
    assert!(find_cause(store, &effect[0], &upper)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        find_cause(store, &effect[0], &fresh_id()).await.unwrap(),
        None
    );
    assert_eq!(
        find_cause(store, &effect[0], "not-a-uuid").await.unwrap(),
        None
    );

    // A projection's output: its correlation is the source's id (the source
    // had none), and `$p` says where the source is.
    let source = store
        .read_stream("a-1", ReadRequest::default())
        .await
        .unwrap();
    let output_metadata = format!(
        r#"{{"$causationId":"{}","$correlationId":"{}","$p":1}}"#,
        source[1].id, source[1].id
    );
    append(store, "out", with_metadata("Emitted", &output_metadata)).await;
    let output = store
        .read_stream("out", ReadRequest::default())
        .await
        .unwrap();
    let found = find_cause(store, &output[0], &source[1].id).await.unwrap();
    assert_eq!(found.as_ref(), Some(&source[1]));

    // A cause hidden by a soft delete is still found: `$all` keeps it.
    store.soft_delete("b-1").await.unwrap();
    let hidden = find_cause(store, &effect[0], &cause_id).await.unwrap();
    assert_eq!(hidden.map(|e| e.stream), Some("b-1".to_string()));
}
