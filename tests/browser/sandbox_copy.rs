//! Duplicating a sandbox (and renaming one, which is a duplicate and a
//! delete): `IndexedDbStore::copy_into`.

use es_sandbox::core::projection::{ProjectionMode, ProjectionRecord};
use es_sandbox::core::{ExpectedVersion, ReadRequest, StoreError, StreamSelection};
use es_sandbox::storage::indexeddb::{database_names, IndexedDbStore};
use es_sandbox::storage::{EventStore, ProjectionRows};
use wasm_bindgen_test::wasm_bindgen_test;

use super::{fresh_store, one};

#[wasm_bindgen_test]
async fn a_copy_holds_the_same_events_streams_and_projections_and_then_moves_on_alone() {
    let source = fresh_store("copy-source").await;
    let ids = [
        "00000000-0000-4000-8000-00000000c001",
        "00000000-0000-4000-8000-00000000c002",
        "00000000-0000-4000-8000-00000000c003",
    ];
    source
        .append(
            "account-ada",
            one("Opened", ids[0]),
            ExpectedVersion::NoStream,
        )
        .await
        .expect("append");
    source
        .append(
            "account-bob",
            one("Opened", ids[1]),
            ExpectedVersion::NoStream,
        )
        .await
        .expect("append");
    source
        .append(
            "account-ada",
            one("Deposited", ids[2]),
            ExpectedVersion::Exact(0),
        )
        .await
        .expect("append");
    source
        .soft_delete("account-bob")
        .await
        .expect("soft delete");
    source
        .save_projection(&ProjectionRecord::new(
            "balances",
            "fromAll().when({})",
            ProjectionMode::Continuous,
        ))
        .await
        .expect("save projection");

    let target = fresh_store("copy-target").await;
    source.copy_into(&target).await.expect("copy");

    let everything = ReadRequest::forwards(0, 100);
    assert_eq!(
        target.read_all(everything).await.expect("read copy"),
        source.read_all(everything).await.expect("read source"),
        "the copy's $all, soft delete marker included"
    );
    assert_eq!(listed(&target).await, listed(&source).await);
    assert_eq!(
        target.stream("account-bob").await.expect("row"),
        source.stream("account-bob").await.expect("row"),
    );
    assert!(
        matches!(
            target.read_stream("account-bob", everything).await,
            Err(StoreError::StreamNotFound { .. })
        ),
        "the soft delete is copied with its stream row"
    );
    let projections = target.projections().await.expect("projections");
    assert_eq!(
        projections
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["balances"]
    );

    // The copy goes on from where the original was, and the original does
    // not see it.
    let next = target
        .append(
            "account-ada",
            one("Withdrawn", "00000000-0000-4000-8000-00000000c004"),
            ExpectedVersion::Exact(1),
        )
        .await
        .expect("append to the copy");
    assert_eq!(next.next_expected_version, 2);
    assert_eq!(
        source
            .read_stream("account-ada", everything)
            .await
            .expect("read")
            .len(),
        2
    );
    let names = database_names().await.expect("list databases");
    assert!(names.iter().any(|name| name == "conformance/copy-target"));
    source.close();
    target.close();
}

async fn listed(store: &IndexedDbStore) -> Vec<es_sandbox::core::StreamInfo> {
    let selection = StreamSelection {
        filter: String::new(),
        include_system: true,
        limit: 100,
    };
    store.streams_page(&selection).await.expect("list").streams
}
