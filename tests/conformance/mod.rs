//! One conformance suite of store cases, run against every backend: natively
//! against the in-memory store (`tests/store_memory.rs`) and in headless
//! Chromium against IndexedDB (`tests/store_indexeddb.rs`).
//!
//! Each case is an async function over any [`EventStore`]; `all_cases!` lists
//! them so a backend's test file turns each into a test of its own. The
//! cases live by theme: `appends`, `idempotency`, `import`, `reads`,
//! `soft_delete`; the helpers they share are here.

mod appends;
mod idempotency;
mod import;
mod reads;
mod soft_delete;

pub use appends::*;
pub use idempotency::*;
pub use import::*;
pub use reads::*;
pub use soft_delete::*;

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
        // appends.rs
        $runner!(first_event_of_a_new_stream_has_version_zero_and_position_zero);
        $runner!(positions_are_gapless_across_streams_and_versions_per_stream);
        $runner!(expected_any_appends_whatever_the_stream_state);
        $runner!(expected_no_stream_succeeds_only_on_a_new_stream);
        $runner!(expected_stream_exists_fails_on_a_missing_stream);
        $runner!(expected_stream_exists_succeeds_when_only_the_metadata_stream_exists);
        $runner!(expected_exact_version_must_equal_the_last_event);
        $runner!(a_wrong_expected_version_writes_nothing);
        $runner!(invalid_stream_names_are_rejected);
        $runner!(data_and_metadata_round_trip_exactly);
        $runner!(an_event_without_metadata_has_none);
        $runner!(an_event_near_the_size_limit_round_trips);
        $runner!(a_batch_over_the_maximum_append_size_writes_nothing);
        $runner!(an_append_with_a_given_created_stores_that_time);
        // idempotency.rs
        $runner!(reappending_the_same_batch_returns_the_original_result);
        $runner!(an_id_stored_in_another_stream_is_written_there_too);
        $runner!(a_partly_stored_batch_is_a_wrong_expected_version_and_writes_nothing);
        $runner!(the_same_id_twice_in_one_batch_is_written_and_recognised);
        $runner!(any_recognises_an_earlier_event_among_the_recent_ones);
        // import.rs
        $runner!(an_import_into_an_empty_store_keeps_every_field_and_position);
        $runner!(an_import_goes_at_the_end_of_the_log_and_continues_streams);
        $runner!(a_conflict_in_the_last_event_writes_nothing);
        $runner!(importing_the_same_file_twice_is_a_conflict);
        $runner!(soft_deleted_streams_round_trip_through_an_import);
        $runner!(appends_after_an_import_see_the_imported_heads);
        $runner!(an_import_older_than_the_log_is_refused_and_writes_nothing);
        // reads.rs
        $runner!(read_stream_pages_forwards_and_backwards);
        $runner!(read_all_pages_forwards_and_backwards_from_a_position);
        $runner!(reading_a_missing_stream_is_stream_not_found);
        $runner!(the_stream_list_has_versions_counts_and_times);
        $runner!(the_list_page_is_the_newest_streams_with_their_heads);
        $runner!(system_streams_are_stored_and_flagged);
        $runner!(a_stream_without_a_dash_or_with_a_dollar_has_no_category);
        $runner!(category_reads_merge_the_streams_of_a_category_by_position);
        $runner!(type_reads_find_every_event_of_a_type);
        $runner!(correlation_reads_follow_the_correlation_id);
        $runner!(a_cause_is_found_through_its_correlation_or_its_source_position);
        // soft_delete.rs
        $runner!(a_soft_deleted_stream_is_not_found_and_continues_its_versions);
        $runner!(after_a_soft_delete_no_stream_any_and_the_last_version_recreate);
        $runner!(stream_exists_on_a_soft_deleted_stream_is_stream_deleted);
        $runner!(no_stream_recreates_only_once);
        $runner!(index_reads_hide_what_a_soft_delete_hides);
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

/// The names `streams()` lists, in its order.
pub async fn listed(store: &impl EventStore) -> Vec<String> {
    store
        .streams()
        .await
        .expect("list the streams")
        .into_iter()
        .map(|s| s.stream)
        .collect()
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
