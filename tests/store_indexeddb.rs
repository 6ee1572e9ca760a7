//! The IndexedDB backend in headless Chromium: the same conformance suite as
//! the in-memory store, the schema upgrade, and two connections racing.
#![cfg(target_arch = "wasm32")]

mod conformance;
#[path = "browser/sandbox_copy.rs"]
mod sandbox_copy;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use es_sandbox::core::event::{validate_batch, InputEvent};
use es_sandbox::core::{ExpectedVersion, ProposedEvent, ReadRequest, StoreError, StreamSelection};
use es_sandbox::storage::indexeddb::IndexedDbStore;
use es_sandbox::storage::{EventStore, ProjectionRows};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh_store(name: &str) -> IndexedDbStore {
    let name = format!("conformance/{name}");
    IndexedDbStore::delete(&name)
        .await
        .expect("delete test database");
    IndexedDbStore::open(&name)
        .await
        .expect("open test database")
}

macro_rules! indexeddb_case {
    ($name:ident) => {
        #[wasm_bindgen_test]
        async fn $name() {
            let store = fresh_store(stringify!($name)).await;
            conformance::$name(&store).await;
            store.close();
        }
    };
}

conformance::all_cases!(indexeddb_case);

fn one(event_type: &str, id: &str) -> Vec<ProposedEvent> {
    let input: InputEvent = serde_json::from_str(&format!(
        r#"{{"type":"{event_type}","data":{{}},"id":"{id}"}}"#
    ))
    .expect("test input is JSON");
    validate_batch(vec![input], &mut || unreachable!("ids are given")).expect("valid batch")
}

/// Polls two futures together, so both transactions are requested before
/// either finishes: the same interleaving two tabs produce.
struct Join2<A: Future, B: Future> {
    a: Pin<Box<A>>,
    b: Pin<Box<B>>,
    a_out: Option<A::Output>,
    b_out: Option<B::Output>,
}

impl<A: Future, B: Future> Future for Join2<A, B>
where
    A::Output: Unpin,
    B::Output: Unpin,
{
    type Output = (A::Output, B::Output);
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.a_out.is_none() {
            if let Poll::Ready(out) = this.a.as_mut().poll(cx) {
                this.a_out = Some(out);
            }
        }
        if this.b_out.is_none() {
            if let Poll::Ready(out) = this.b.as_mut().poll(cx) {
                this.b_out = Some(out);
            }
        }
        match (this.a_out.take(), this.b_out.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                this.a_out = a;
                this.b_out = b;
                Poll::Pending
            }
        }
    }
}

#[wasm_bindgen_test]
async fn two_connections_appending_with_the_same_expected_version_exactly_one_wins() {
    let name = "race/same-expected-version";
    IndexedDbStore::delete(name).await.unwrap();
    let first_tab = IndexedDbStore::open(name).await.unwrap();
    let second_tab = IndexedDbStore::open(name).await.unwrap();
    first_tab
        .append(
            "account-1",
            one("Opened", "00000000-0000-4000-8000-000000000001"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();

    let (left, right) = Join2 {
        a: Box::pin(first_tab.append(
            "account-1",
            one("Deposited", "00000000-0000-4000-8000-000000000002"),
            ExpectedVersion::Exact(0),
        )),
        b: Box::pin(second_tab.append(
            "account-1",
            one("Withdrawn", "00000000-0000-4000-8000-000000000003"),
            ExpectedVersion::Exact(0),
        )),
        a_out: None,
        b_out: None,
    }
    .await;

    let outcomes = [left.is_ok(), right.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "{left:?} / {right:?}"
    );
    let loser = if left.is_ok() { right } else { left };
    assert!(
        matches!(loser, Err(StoreError::WrongExpectedVersion { .. })),
        "{loser:?}"
    );
    let events = second_tab
        .read_stream("account-1", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].version, 1);
    first_tab.close();
    second_tab.close();
}

#[wasm_bindgen_test]
async fn a_database_written_at_schema_v1_opens_with_all_of_it_at_v5() {
    use idb::{Factory, IndexParams, KeyPath, ObjectStoreParams, TransactionMode};

    let name = "upgrade/from-v1";
    IndexedDbStore::delete(name).await.unwrap();

    // Write the v1 layout by hand, as the first release of the app did.
    let factory = Factory::new().unwrap();
    let mut open = factory.open(name, Some(1)).unwrap();
    open.on_upgrade_needed(|event| {
        use idb::event::DatabaseEvent;
        let database = event.database().unwrap();
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("position")));
        let events = database.create_object_store("events", params).unwrap();
        let mut unique = IndexParams::new();
        unique.unique(true);
        events
            .create_index(
                "stream_version",
                KeyPath::new_array(vec!["stream", "version"]),
                Some(unique.clone()),
            )
            .unwrap();
        events
            .create_index("id", KeyPath::new_single("id"), Some(unique))
            .unwrap();
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("stream")));
        database.create_object_store("streams", params).unwrap();
    });
    let database = open.await.unwrap();
    let transaction = database
        .transaction(&["events", "streams"], TransactionMode::ReadWrite)
        .unwrap();
    let events = transaction.object_store("events").unwrap();
    let rows = [
        (
            0,
            "order-1",
            0,
            "OrderPlaced",
            r#"{"$correlationId":"checkout-9"}"#,
        ),
        (1, "order-2", 0, "OrderPlaced", "{}"),
        (
            2,
            "order-1",
            1,
            "OrderShipped",
            r#"{"$correlationId":"checkout-9"}"#,
        ),
    ];
    for (position, stream, version, event_type, metadata) in rows {
        let correlation = if metadata.contains("checkout-9") {
            r#","correlationId":"checkout-9""#
        } else {
            ""
        };
        let row = format!(
            r#"{{"position":{position},"stream":"{stream}","version":{version},"id":"00000000-0000-4000-8000-00000000000{position}","type":"{event_type}","data":"{{\"n\":{position}}}","metadata":{},"created":"2026-01-0{}T00:00:00.000Z"{correlation}}}"#,
            serde_json::to_string(metadata).unwrap(),
            position + 1
        );
        events
            .add(&js_sys::JSON::parse(&row).unwrap(), None)
            .unwrap();
    }
    let streams = transaction.object_store("streams").unwrap();
    for row in [
        r#"{"stream":"order-1","category":"order","version":1,"count":2,"created":"2026-01-01T00:00:00.000Z","updated":"2026-01-03T00:00:00.000Z","firstPosition":0}"#,
        r#"{"stream":"order-2","category":"order","version":0,"count":1,"created":"2026-01-02T00:00:00.000Z","updated":"2026-01-02T00:00:00.000Z","firstPosition":1}"#,
    ] {
        streams
            .put(&js_sys::JSON::parse(row).unwrap(), None)
            .unwrap();
    }
    assert!(transaction.await.unwrap().is_committed());
    database.close();

    let store = IndexedDbStore::open(name).await.unwrap();
    let all = store.read_all(ReadRequest::default()).await.unwrap();
    let summary: Vec<(u64, &str, u64, &str)> = all
        .iter()
        .map(|e| (e.position, e.stream.as_str(), e.version, e.data.get()))
        .collect();
    assert_eq!(
        summary,
        [
            (0, "order-1", 0, r#"{"n":0}"#),
            (1, "order-2", 0, r#"{"n":1}"#),
            (2, "order-1", 1, r#"{"n":2}"#)
        ]
    );
    assert_eq!(conformance::listed(&store).await, ["order-1", "order-2"]);
    let placed = store
        .read_by_type("OrderPlaced", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(placed.len(), 2, "the v2 type index covers v1 rows");
    let checkout = store
        .read_by_correlation("checkout-9", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(checkout.len(), 2, "the v2 correlation index covers v1 rows");
    let category = store
        .read_category("order", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(category.len(), 3, "the v2 category index covers v1 rows");
    assert!(
        store.projections().await.unwrap().is_empty(),
        "v3 adds an empty projections store"
    );
    assert_eq!(
        all[1].metadata.as_deref().map(|m| m.get()),
        Some("{}"),
        "old rows keep their metadata"
    );
    let next = store
        .append(
            "order-2",
            one("OrderPaid", "00000000-0000-4000-8000-000000000009"),
            ExpectedVersion::Exact(0),
        )
        .await
        .unwrap();
    assert_eq!((next.next_expected_version, next.position), (1, 3));
    // v5: that append wrote no streams row, so the v1 row's version and
    // count are stale; the head comes from the stream's last event.
    let order_2 = store.stream("order-2").await.unwrap().unwrap();
    assert_eq!(
        (order_2.version, order_2.count, order_2.created.as_str()),
        (1, 2, "2026-01-02T00:00:00.000Z")
    );
    assert_ne!(order_2.updated, "2026-01-02T00:00:00.000Z");
    // v5's `first_position` index covers the v1 rows: the list pages them.
    let page = store
        .streams_page(&StreamSelection {
            filter: String::new(),
            include_system: false,
            limit: 10,
        })
        .await
        .unwrap();
    let names: Vec<&str> = page.streams.iter().map(|s| s.stream.as_str()).collect();
    assert_eq!(names, ["order-2", "order-1"]);
    // v4: no unique index of ids, so an id stored in one stream is written
    // in another (KurrentDB compares ids within a stream only).
    let reused = store
        .append(
            "order-3",
            one("OrderPlaced", "00000000-0000-4000-8000-000000000000"),
            ExpectedVersion::NoStream,
        )
        .await
        .unwrap();
    assert_eq!((reused.next_expected_version, reused.position), (0, 4));
    store.close();

    let database = Factory::new()
        .unwrap()
        .open(name, None)
        .unwrap()
        .await
        .unwrap();
    let transaction = database
        .transaction(&["events", "streams"], TransactionMode::ReadOnly)
        .unwrap();
    let mut events = transaction.object_store("events").unwrap().index_names();
    events.sort();
    assert_eq!(
        events,
        ["correlation_position", "stream_version", "type_position"]
    );
    let mut streams = transaction.object_store("streams").unwrap().index_names();
    streams.sort();
    assert_eq!(streams, ["category", "first_position", "truncate_before"]);
    database.close();
}

#[wasm_bindgen_test]
async fn a_connection_with_stale_heads_falls_back_and_never_overwrites() {
    let name = "race/stale-heads";
    IndexedDbStore::delete(name).await.unwrap();
    let first_tab = IndexedDbStore::open(name).await.unwrap();
    let second_tab = IndexedDbStore::open(name).await.unwrap();
    // Both tabs learn the heads; then the second moves them on behind the
    // first tab's back.
    first_tab
        .append(
            "cart-1",
            one("Created", "00000000-0000-4000-8000-0000000000a1"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();
    second_tab
        .append(
            "cart-1",
            one("ItemAdded", "00000000-0000-4000-8000-0000000000a2"),
            ExpectedVersion::Exact(0),
        )
        .await
        .unwrap();
    second_tab
        .append(
            "cart-2",
            one("Created", "00000000-0000-4000-8000-0000000000a3"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();

    // The first tab still believes cart-1 is at version 0 and $all at 1.
    let stale_check = first_tab
        .append(
            "cart-1",
            one("ItemAdded", "00000000-0000-4000-8000-0000000000a4"),
            ExpectedVersion::Exact(0),
        )
        .await;
    assert!(
        matches!(
            stale_check,
            Err(StoreError::WrongExpectedVersion {
                actual: es_sandbox::core::StreamState::At(1),
                ..
            })
        ),
        "{stale_check:?}"
    );
    let result = first_tab
        .append(
            "cart-1",
            one("ItemRemoved", "00000000-0000-4000-8000-0000000000a5"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();
    assert_eq!((result.next_expected_version, result.position), (2, 3));

    let all = second_tab.read_all(ReadRequest::default()).await.unwrap();
    let placed: Vec<(u64, String, u64)> = all
        .iter()
        .map(|e| (e.position, e.stream.clone(), e.version))
        .collect();
    assert_eq!(
        placed,
        [
            (0, "cart-1".into(), 0),
            (1, "cart-1".into(), 1),
            (2, "cart-2".into(), 0),
            (3, "cart-1".into(), 2)
        ]
    );
    first_tab.close();
    second_tab.close();
}

#[wasm_bindgen_test]
async fn a_soft_delete_by_another_connection_is_not_undone_by_a_stale_one() {
    let name = "race/stale-soft-delete";
    IndexedDbStore::delete(name).await.unwrap();
    let first_tab = IndexedDbStore::open(name).await.unwrap();
    let second_tab = IndexedDbStore::open(name).await.unwrap();
    // The first tab appends last, so its cached heads (the log's end and the
    // stream's row) are exactly right, until the second tab soft-deletes.
    first_tab
        .append(
            "out-1",
            one("Seen", "00000000-0000-4000-8000-0000000000b1"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();
    second_tab.soft_delete("out-1").await.unwrap();

    let result = first_tab
        .append(
            "out-1",
            one("Seen", "00000000-0000-4000-8000-0000000000b2"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();
    assert_eq!(
        (result.next_expected_version, result.position),
        (1, 2),
        "the soft-delete marker took position 1"
    );
    let visible = second_tab
        .read_stream("out-1", ReadRequest::default())
        .await
        .unwrap();
    assert_eq!(
        visible.iter().map(|e| e.version).collect::<Vec<_>>(),
        [1],
        "the hidden event stays hidden"
    );
    let row = second_tab.stream("out-1").await.unwrap().unwrap();
    assert_eq!((row.truncate_before, row.count), (1, 1));
    first_tab.close();
    second_tab.close();
}

#[wasm_bindgen_test]
async fn the_list_page_shows_what_another_connection_wrote_since() {
    let name = "race/list-heads";
    IndexedDbStore::delete(name).await.unwrap();
    let first_tab = IndexedDbStore::open(name).await.unwrap();
    let second_tab = IndexedDbStore::open(name).await.unwrap();
    let everything = StreamSelection {
        filter: String::new(),
        include_system: true,
        limit: 10,
    };
    let versions = |page: es_sandbox::core::StreamsPage<es_sandbox::core::StreamInfo>| {
        page.streams
            .into_iter()
            .map(|s| (s.stream, s.version, s.count, s.truncate_before))
            .collect::<Vec<_>>()
    };
    first_tab
        .append(
            "cart-1",
            one("Created", "00000000-0000-4000-8000-0000000000c1"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();
    // The first tab knows cart-1's head from its own append, and the list
    // uses it; the second tab's append and soft delete must show all the same.
    assert_eq!(
        versions(first_tab.streams_page(&everything).await.unwrap()),
        [("cart-1".to_string(), 0, 1, 0)]
    );
    second_tab
        .append(
            "cart-1",
            one("Added", "00000000-0000-4000-8000-0000000000c2"),
            ExpectedVersion::Exact(0),
        )
        .await
        .unwrap();
    assert_eq!(
        versions(first_tab.streams_page(&everything).await.unwrap()),
        [("cart-1".to_string(), 1, 2, 0)]
    );
    second_tab.soft_delete("cart-1").await.unwrap();
    let after_delete = versions(first_tab.streams_page(&everything).await.unwrap());
    assert_eq!(
        after_delete,
        [("$$cart-1".to_string(), 0, 1, 0)],
        "cart-1 left the list"
    );
    // And the first tab's next append, from heads the list refreshed,
    // undeletes cart-1 rather than overwriting anything.
    let undeleted = first_tab
        .append(
            "cart-1",
            one("Added", "00000000-0000-4000-8000-0000000000c3"),
            ExpectedVersion::Any,
        )
        .await
        .unwrap();
    assert_eq!(undeleted.next_expected_version, 2);
    first_tab.close();
    second_tab.close();
}

#[wasm_bindgen_test]
async fn a_soft_delete_after_another_connections_write_forgets_the_stale_heads() {
    let name = "race/delete-after-foreign-write";
    IndexedDbStore::delete(name).await.unwrap();
    let first_tab = IndexedDbStore::open(name).await.unwrap();
    let second_tab = IndexedDbStore::open(name).await.unwrap();
    for (stream, id) in [
        ("s-1", "00000000-0000-4000-8000-0000000000d1"),
        ("t-1", "00000000-0000-4000-8000-0000000000d2"),
    ] {
        first_tab
            .append(stream, one("Created", id), ExpectedVersion::NoStream)
            .await
            .unwrap();
    }
    // The second tab hides s-1; then the first tab's own soft delete of t-1
    // reads a log end it did not leave, so its cached s-1 head is stale.
    second_tab.soft_delete("s-1").await.unwrap();
    first_tab.soft_delete("t-1").await.unwrap();
    // Appending to s-1 from the first tab must undelete it (only the new
    // event shows), not land unseen behind the second tab's `$tb`.
    first_tab
        .append(
            "s-1",
            one("Reopened", "00000000-0000-4000-8000-0000000000d3"),
            ExpectedVersion::Exact(0),
        )
        .await
        .unwrap();
    let shown: Vec<(u64, String)> = second_tab
        .read_stream("s-1", ReadRequest::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.version, e.event_type))
        .collect();
    assert_eq!(shown, [(1, "Reopened".to_string())]);
    let row = second_tab.stream("s-1").await.unwrap().unwrap();
    assert_eq!((row.version, row.count, row.truncate_before), (1, 1, 1));
    first_tab.close();
    second_tab.close();
}
