//! Soft delete as KurrentDB records it (`$tb` in `$$stream`), and what
//! follows it. KurrentDB's cases: `src/KurrentDB.Core.Tests/ClientAPI/soft_delete.cs`.

use es_sandbox::core::event::SOFT_DELETED;
use es_sandbox::core::{AppendResult, ExpectedVersion, ReadRequest, StreamState};
use es_sandbox::storage::EventStore;

use super::*;

/// The data of every event of `stream`, hidden or not, from `$all`.
async fn metadata_of(store: &impl EventStore, stream: &str) -> Vec<String> {
    everything(store)
        .await
        .into_iter()
        .filter(|event| event.stream == stream)
        .map(|event| event.data.get().to_string())
        .collect()
}

/// `soft_deleted_stream_returns_no_stream_and_no_events_on_read`, and
/// `StorageWriterService.WriteDelete`'s `{"$tb": long.MaxValue}`.
pub async fn a_soft_deleted_stream_is_not_found_and_continues_its_versions(
    store: &impl EventStore,
) {
    append(store, "report-1", batch(&[("Line", "1"), ("Line", "2")])).await;
    append(store, "other", one("T")).await;
    store.soft_delete("report-1").await.unwrap();
    store.soft_delete("never-existed").await.unwrap();
    let error = store
        .read_stream("report-1", ReadRequest::default())
        .await
        .unwrap_err();
    assert_eq!(error.name(), "StreamNotFound");
    assert_eq!(listed(store).await, ["other", "$$report-1"]);
    let row = store.stream("report-1").await.unwrap().unwrap();
    assert_eq!(
        (row.version, row.count, row.truncate_before),
        (1, 0, SOFT_DELETED)
    );
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
        ("$metadata", r#"{"$tb":9223372036854775807}"#, 3)
    );
    assert!(store.stream("never-existed").await.unwrap().is_none());

    // `soft_deleted_stream_allows_recreation_when_expver_any`: versions go on.
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
    let row = store.stream("report-1").await.unwrap().unwrap();
    assert_eq!((row.count, row.truncate_before), (1, 2));
    // The undelete, in the same transaction: `$tb` = the old last version + 1.
    assert_eq!(
        metadata_of(store, "$$report-1").await,
        [r#"{"$tb":9223372036854775807}"#, r#"{"$tb":2}"#]
    );
    assert_eq!(
        positions(&everything(store).await),
        [0, 1, 2, 3, 4, 5],
        "$all keeps what was hidden, the marker and the undelete"
    );
    let listed = store.streams().await.unwrap();
    assert!(listed.iter().any(|s| s.stream == "report-1"));
}

/// `soft_deleted_stream_allows_recreation_when_expver_any`, `…_no_stream`
/// and `…_is_exact`: each continues at version 2.
pub async fn after_a_soft_delete_no_stream_any_and_the_last_version_recreate(
    store: &impl EventStore,
) {
    for (stream, expected) in [
        ("any-1", ExpectedVersion::Any),
        ("none-1", ExpectedVersion::NoStream),
        ("exact-1", ExpectedVersion::Exact(1)),
    ] {
        append(store, stream, batch(&[("T", "0"), ("T", "1")])).await;
        store.soft_delete(stream).await.unwrap();
        let result = store
            .append(
                stream,
                batch(&[("N", "2"), ("N", "3"), ("N", "4")]),
                expected,
            )
            .await
            .unwrap();
        assert_eq!(result.next_expected_version, 4, "{stream}");
        let read = store.read_stream(stream, ReadRequest::default()).await;
        assert_eq!(versions(&read.unwrap()), [2, 3, 4], "{stream}");
        let metadata = metadata_of(store, &format!("$${stream}")).await;
        assert_eq!(metadata[1], r#"{"$tb":2}"#, "{stream}");
    }
}

/// `ClientAPI/append_to_stream.cs`
/// `should_fail_appending_with_stream_exists_exp_ver_to_soft_deleted_stream`.
pub async fn stream_exists_on_a_soft_deleted_stream_is_stream_deleted(store: &impl EventStore) {
    append(store, "s-1", one("T")).await;
    store.soft_delete("s-1").await.unwrap();
    let error = store
        .append("s-1", one("T"), ExpectedVersion::StreamExists)
        .await
        .unwrap_err();
    assert_eq!(error.name(), "StreamDeleted");
    assert!(
        error
            .to_string()
            .starts_with("Event stream 's-1' is deleted."),
        "{error}"
    );
    // A version below the last is still a conflict, reporting the real last.
    let stale = store
        .append("s-1", one("T"), ExpectedVersion::Exact(5))
        .await;
    assert_conflict(stale, ExpectedVersion::Exact(5), StreamState::At(0));
    assert_eq!(everything(store).await.len(), 2, "the event and the marker");
}

/// `soft_deleted_stream_allows_recreation_only_for_first_write`.
pub async fn no_stream_recreates_only_once(store: &impl EventStore) {
    append(store, "s-1", batch(&[("T", "0"), ("T", "1")])).await;
    store.soft_delete("s-1").await.unwrap();
    store
        .append("s-1", one("N"), ExpectedVersion::NoStream)
        .await
        .unwrap();
    let second = store
        .append("s-1", one("N"), ExpectedVersion::NoStream)
        .await;
    assert_conflict(second, ExpectedVersion::NoStream, StreamState::At(2));
}

/// Category, type and correlation reads leave out what a soft delete hides,
/// as stream reads do; `$all` keeps it (KurrentDB's `$all` has no metadata
/// filter: `read_all_events_forward_with_soft_deleted_stream_should`).
pub async fn index_reads_hide_what_a_soft_delete_hides(store: &impl EventStore) {
    let tagged = r#"{"$correlationId":"tx-1"}"#;
    append(store, "order-1", with_metadata("Placed", tagged)).await;
    append(store, "order-2", with_metadata("Placed", tagged)).await;
    store.soft_delete("order-1").await.unwrap();
    append(store, "order-1", with_metadata("Placed", tagged)).await;
    // Positions: 0 order-1 (hidden), 1 order-2, 2 the marker, 3 order-1,
    // 4 the undelete.
    let category = store.read_category("order", ReadRequest::default());
    assert_eq!(positions(&category.await.unwrap()), [1, 3]);
    let by_type = store.read_by_type("Placed", ReadRequest::default());
    assert_eq!(positions(&by_type.await.unwrap()), [1, 3]);
    let backwards = store.read_by_type("Placed", ReadRequest::backwards(None, 5));
    assert_eq!(positions(&backwards.await.unwrap()), [3, 1]);
    let limited = store.read_by_type("Placed", ReadRequest::forwards(0, 1));
    assert_eq!(
        positions(&limited.await.unwrap()),
        [1],
        "the limit counts what is shown"
    );
    let correlated = store.read_by_correlation("tx-1", ReadRequest::default());
    assert_eq!(positions(&correlated.await.unwrap()), [1, 3]);
    let metadata = store.read_by_type("$metadata", ReadRequest::default());
    assert_eq!(positions(&metadata.await.unwrap()), [2, 4]);
    assert_eq!(everything(store).await.len(), 5);
}
