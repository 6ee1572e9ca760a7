//! `output.rs` against the memory store: each case is a reload, a second
//! tab or a reset, as the outputs' writer meets them.

use serde_json::json;

use super::*;
use crate::core::event::validate_batch;
use crate::core::projection::ProjectionMode;
use crate::storage::memory::{ready as run, MemoryStore};

/// Writes outputs for a projection that shares its streams with no other.
fn write(
    store: &MemoryStore,
    record: &mut ProjectionRecord,
    emitted: &[Emitted],
) -> Result<Vec<Written>, OutputError> {
    run(write_outputs(store, record, emitted, |_| None))
}

fn emit(stream: &str, source: i64, n: u64) -> Emitted {
    Emitted {
        stream: stream.into(),
        event_type: "Seen".into(),
        data: json!({ "n": n }),
        metadata: json!({}),
        source_position: source,
    }
}

fn saved(store: &MemoryStore) -> ProjectionRecord {
    let record = ProjectionRecord::new("p", "fromAll()", ProjectionMode::Continuous);
    run(store.save_projection(&record)).unwrap();
    record
}

fn data_of(store: &MemoryStore, stream: &str) -> Vec<u64> {
    run(store.read_stream(stream, ReadRequest::forwards(0, 100)))
        .unwrap()
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(e.data.get()).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

#[test]
fn a_replay_that_mixes_stored_and_new_outputs_writes_each_once() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    let first = [emit("out", 0, 0), emit("out", 1, 1)];
    write(&store, &mut record, &first).unwrap();
    // A reload replays from an older checkpoint: sources 0 and 1 again, then 2.
    let replay = [emit("out", 0, 0), emit("out", 1, 1), emit("out", 2, 2)];
    let written = write(&store, &mut record, &replay).unwrap();
    assert_eq!(data_of(&store, "out"), [0, 1, 2]);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].result.next_expected_version, 2);
    // Everything stored already: nothing is written.
    assert!(write(&store, &mut record, &replay).unwrap().is_empty());
    assert_eq!(data_of(&store, "out"), [0, 1, 2]);
}

#[test]
fn a_claim_is_saved_before_the_stream_is_written_so_a_reload_still_owns_it() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    write(&store, &mut record, &[emit("out", 0, 0)]).unwrap();
    // A reload starts again from the saved row, whose checkpoint is older.
    let mut reloaded = run(store.projection("p")).unwrap().unwrap();
    assert_eq!(reloaded.emitted_streams, ["out"]);
    let replay = [emit("out", 0, 0), emit("out", 1, 1)];
    write(&store, &mut reloaded, &replay).unwrap();
    assert_eq!(data_of(&store, "out"), [0, 1]);
}

#[test]
fn outputs_interleaved_across_streams_are_each_written_once() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    let pass = [emit("a", 0, 0), emit("b", 0, 1), emit("a", 1, 2)];
    write(&store, &mut record, &pass).unwrap();
    let replay = [
        emit("a", 0, 0),
        emit("b", 0, 1),
        emit("a", 1, 2),
        emit("b", 2, 3),
    ];
    write(&store, &mut record, &replay).unwrap();
    assert_eq!(data_of(&store, "a"), [0, 2]);
    assert_eq!(data_of(&store, "b"), [1, 3]);
    assert_eq!(record.emitted_streams, ["a", "b"]);
}

#[test]
fn a_second_tab_with_the_same_outputs_agrees_and_adds_nothing() {
    let store = MemoryStore::new();
    let mut this_tab = saved(&store);
    let mut other_tab = this_tab.clone();
    let pass = [emit("out", 0, 0), emit("out", 1, 1)];
    write(&store, &mut this_tab, &pass).unwrap();
    run(store.save_projection(&this_tab)).unwrap();
    // The other tab has not seen the claim of `out`; it adopts it from the row.
    write(&store, &mut other_tab, &pass).unwrap();
    assert_eq!(data_of(&store, "out"), [0, 1]);
    assert_eq!(other_tab.emitted_streams, ["out"]);
}

#[test]
fn a_claim_another_tab_made_after_this_pass_read_the_row_is_found() {
    let store = MemoryStore::new();
    let mut this_tab = saved(&store);
    let mut other_tab = this_tab.clone();
    // The other tab claims `out` and writes to it; this tab's pass read the
    // row before that, and only now checks the stream.
    write(&store, &mut other_tab, &[emit("out", 0, 0)]).unwrap();
    this_tab.emitted_streams.clear();
    assert_eq!(claim_now(&store, &mut this_tab, "out"), Ok(false));
    assert_eq!(this_tab.emitted_streams, ["out"]);
}

/// `claim` alone, as a pass meets it after its row was read.
fn claim_now(
    store: &MemoryStore,
    record: &mut ProjectionRecord,
    stream: &str,
) -> Result<bool, OutputError> {
    run(super::claim(store, record, stream, &|_: &str| None))
}

#[test]
fn a_tab_folding_behind_another_writes_nothing_the_other_stored() {
    let store = MemoryStore::new();
    let mut ahead = saved(&store);
    let mut behind = ahead.clone();
    let all = [emit("out", 0, 0), emit("out", 1, 1), emit("out", 2, 2)];
    write(&store, &mut ahead, &all).unwrap();
    // The other tab has only folded up to source position 1 so far.
    let written = write(&store, &mut behind, &all[..2]).unwrap();
    assert!(written.is_empty());
    assert_eq!(data_of(&store, "out"), [0, 1, 2]);
}

#[test]
fn an_older_generation_left_visible_by_an_interrupted_reset_is_hidden_first() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    write(&store, &mut record, &[emit("out", 0, 0), emit("out", 1, 1)]).unwrap();
    // The reset saved the next generation, but the page closed before
    // it hid the old outputs.
    record.reset();
    run(store.save_projection(&record)).unwrap();
    write(&store, &mut record, &[emit("out", 0, 5)]).unwrap();
    assert_eq!(data_of(&store, "out"), [5]);
}

#[test]
fn outputs_carry_their_source_position_as_kurrentdb_tags_them() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    write(&store, &mut record, &[emit("out", 7, 0)]).unwrap();
    let stored = run(store.read_stream("out", ReadRequest::forwards(0, 1))).unwrap();
    let metadata: serde_json::Value =
        serde_json::from_str(stored[0].metadata.as_deref().unwrap().get()).unwrap();
    assert_eq!(
        (metadata["$c"].as_i64(), metadata["$p"].as_i64()),
        (Some(7), Some(7))
    );
    assert_eq!(metadata["$v"].as_i64(), Some(0));
}

#[test]
fn a_projection_reset_elsewhere_is_superseded_not_written() {
    let store = MemoryStore::new();
    let mut stale = saved(&store);
    let mut reset = stale.clone();
    reset.reset();
    run(store.save_projection(&reset)).unwrap();
    let outcome = write(&store, &mut stale, &[emit("out", 0, 0)]);
    assert_eq!(outcome, Err(OutputError::Superseded(Some(Box::new(reset)))));
    assert!(run(store.stream("out")).unwrap().is_none());
    run(store.delete_projection("p")).unwrap();
    let outcome = write(&store, &mut stale, &[emit("out", 0, 0)]);
    assert_eq!(outcome, Err(OutputError::Superseded(None)));
}

#[test]
fn a_stream_with_outside_events_or_another_owner_is_refused() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    let outside = validate_batch(
        vec![serde_json::from_str(r#"{"type":"T","data":{}}"#).unwrap()],
        &mut || "5f0c6d5e-0000-4000-8000-000000000001".into(),
    )
    .unwrap();
    run(store.append("taken", outside, ExpectedVersion::Any)).unwrap();
    let error = write(&store, &mut record, &[emit("taken", 0, 0)]);
    assert_eq!(
        error,
        Err(OutputError::Fault(
            "The 'taken' stream managed by projection p has been written to from the outside."
                .into()
        ))
    );
    let owned = |stream: &str| (stream == "theirs").then(|| "other".to_string());
    let error = run(write_outputs(
        &store,
        &mut record,
        &[emit("theirs", 0, 0)],
        owned,
    ));
    assert!(
        matches!(&error, Err(OutputError::Fault(reason)) if reason.contains("projection 'other'")),
        "{error:?}"
    );
}

// KurrentDB: EmittedStream.ReadStreamEventsBackwardCompleted faults the
// projection when the last event of a stream it emits to has no checkpoint
// tag; there is no refusal at append time.
#[test]
fn an_outside_append_to_an_emitted_stream_faults_the_next_write() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    write(&store, &mut record, &[emit("out", 0, 0)]).unwrap();
    let outside = validate_batch(
        vec![serde_json::from_str(r#"{"type":"T","data":{}}"#).unwrap()],
        &mut || "5f0c6d5e-0000-4000-8000-000000000002".into(),
    )
    .unwrap();
    run(store.append("out", outside, ExpectedVersion::Any)).unwrap();
    let error = write(&store, &mut record, &[emit("out", 0, 0), emit("out", 1, 1)]);
    assert_eq!(
        error,
        Err(OutputError::Fault(
            "The 'out' stream managed by projection p has been written to from the outside.".into()
        ))
    );
    let stored = run(store.read_stream("out", ReadRequest::forwards(0, 100))).unwrap();
    assert_eq!(stored.len(), 2, "nothing more was written");
}

#[test]
fn after_a_reset_the_next_generation_writes_again_after_the_hidden_events() {
    let store = MemoryStore::new();
    let mut record = saved(&store);
    write(&store, &mut record, &[emit("out", 0, 0)]).unwrap();
    run(store.soft_delete("out")).unwrap();
    record.reset();
    run(store.save_projection(&record)).unwrap();
    write(&store, &mut record, &[emit("out", 0, 7)]).unwrap();
    assert_eq!(data_of(&store, "out"), [7]);
    assert_eq!(run(store.stream("out")).unwrap().unwrap().version, 1);
}
