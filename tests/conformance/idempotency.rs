//! Event ids and idempotency, as KurrentDB's `IndexWriter.CheckCommit`
//! decides them (the rule itself is tested case by case in
//! `src/core/append_tests.rs`; these check that each backend reads the
//! facts it needs).

use es_sandbox::core::{AppendResult, ExpectedVersion, ReadRequest, StreamState};
use es_sandbox::storage::EventStore;

use super::*;

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
    // ...and at the head the batch is written again: KurrentDB compares ids
    // only below the expected version (`ClientAPI/appending_to_implicitly_created_stream.cs`
    // `sequence_0em1_0e0_non_idempotent`).
    let at_head = store
        .append("x", exact, ExpectedVersion::Exact(4))
        .await
        .unwrap();
    assert_eq!(at_head.next_expected_version, 7);

    let read = |stream| store.read_stream(stream, ReadRequest::default());
    assert_eq!(versions(&read("s").await.unwrap()), [0, 1, 2]);
    let x = read("x").await.unwrap();
    assert_eq!(versions(&x), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(
        x.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(),
        ["Opened", "T", "T", "T", "Later", "T", "T", "T"]
    );
    assert_eq!(store.stream("x").await.unwrap().unwrap().count, 8);
    assert_eq!(everything(store).await.len(), 13, "no retry wrote anything");
}

/// Idempotency compares ids within the stream only (`IndexWriter.cs`
/// L210-211, L269-271): an id stored elsewhere is written again.
pub async fn an_id_stored_in_another_stream_is_written_there_too(store: &impl EventStore) {
    let events = one("T");
    let id = events[0].id.clone();
    append(store, "first", events.clone()).await;
    let result = store
        .append("second", events.clone(), ExpectedVersion::NoStream)
        .await
        .unwrap();
    assert_eq!((result.next_expected_version, result.position), (0, 1));
    // In `second` it is now an ordinary retry.
    let again = store
        .append("second", events, ExpectedVersion::Any)
        .await
        .unwrap();
    assert_eq!(again, result);
    let all = everything(store).await;
    assert_eq!(
        all.iter()
            .map(|e| (e.id.as_str(), e.stream.as_str()))
            .collect::<Vec<_>>(),
        [(id.as_str(), "first"), (id.as_str(), "second")]
    );
}

/// KurrentDB's `CorruptedIdempotency` (`IndexWriter.cs` L219-221, L278-280)
/// reaches clients as a wrong expected version.
pub async fn a_partly_stored_batch_is_a_wrong_expected_version_and_writes_nothing(
    store: &impl EventStore,
) {
    let stored = one("T");
    append(store, "s", stored.clone()).await;
    let mut mixed = stored.clone();
    mixed.extend(one("New"));
    for expected in [ExpectedVersion::Any, ExpectedVersion::NoStream] {
        let result = store.append("s", mixed.clone(), expected).await;
        assert_conflict(result, expected, StreamState::At(0));
    }
    // The first id new: the whole batch is written, the stored one again
    // (`IndexWriter.cs` L223-229).
    let mut new_first = one("New");
    new_first.extend(stored);
    let result = store
        .append("s", new_first, ExpectedVersion::Any)
        .await
        .unwrap();
    assert_eq!(result.next_expected_version, 2);
    assert_eq!(everything(store).await.len(), 3);
}

/// `ClientAPI/append_to_stream.cs` `multiple_idempotent_writes_with_same_id_bug_case`
/// and `…_using_expected_version_nostream_then_next_expected_version_is_correct`.
pub async fn the_same_id_twice_in_one_batch_is_written_and_recognised(store: &impl EventStore) {
    let x = one("X").remove(0);
    let six = vec![x; 6];
    let first = store
        .append("s", six.clone(), ExpectedVersion::NoStream)
        .await
        .unwrap();
    assert_eq!(first.next_expected_version, 5);
    for expected in [ExpectedVersion::NoStream, ExpectedVersion::Any] {
        // KurrentDB answers `any` with 0 (its test calls that unreliable);
        // the sandbox gives the original numbers.
        let again = store.append("s", six.clone(), expected).await.unwrap();
        assert_eq!(again, first, "{expected}");
    }
    assert_eq!(everything(store).await.len(), 6);
}

/// `ClientAPI/appending_to_implicitly_created_stream.cs`
/// `sequence_0em1_1e0_2e1_1any_1any_idempotent`: `any` finds an earlier
/// event among the stream's recent ones, not only its last.
pub async fn any_recognises_an_earlier_event_among_the_recent_ones(store: &impl EventStore) {
    let events: Vec<_> = (0..3).map(|_| one("T")).collect();
    for (version, event) in events.iter().enumerate() {
        let expected = match version {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v as u64 - 1),
        };
        store.append("s", event.clone(), expected).await.unwrap();
    }
    append(store, "noise", one("N")).await;
    for _ in 0..2 {
        let again = store
            .append("s", events[1].clone(), ExpectedVersion::Any)
            .await
            .unwrap();
        assert_eq!(
            again,
            AppendResult {
                next_expected_version: 1,
                position: 1
            }
        );
    }
    let exists = store
        .append("s", events[0].clone(), ExpectedVersion::StreamExists)
        .await
        .unwrap();
    assert_eq!(exists.next_expected_version, 0);
    assert_eq!(everything(store).await.len(), 4);
}
