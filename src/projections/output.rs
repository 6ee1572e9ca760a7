//! What a projection writes: the events its handlers emit or link, to the
//! streams it owns.
//!
//! **Exactly once.** Every output gets an id derived from (projection,
//! generation, source position, index within that source event's outputs),
//! and a stream's outputs are written in source order. So the outputs of a
//! stream already stored are always a prefix of the ones a replay computes:
//! after a reload (checkpoints lag by up to a second) or in a second tab
//! running the same projection, the stream's last event tells how far the
//! prefix goes, and only what follows it is written. The write expects the
//! version it read, so two writers racing re-read instead of doubling.
//!
//! This is KurrentDB's way too: an emitted stream, on recovery, reads back
//! what is already committed and skips it.

use std::collections::BTreeMap;

use crate::core::event::{derived_uuid, validate_event, InputEvent};
use crate::core::projection::ProjectionRecord;
use crate::core::{AppendResult, ExpectedVersion, ProposedEvent, ReadRequest, StoreError};
use crate::storage::{EventStore, ProjectionRows};

use super::protocol::Emitted;

/// How many times a write that lost a race re-reads and tries again.
const RACE_RETRIES: usize = 3;

/// Why outputs were not written.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputError {
    /// The projection faults with this reason.
    Fault(String),
    /// Another tab reset, stopped, changed or deleted the projection since
    /// this tab loaded it: the stored row (if any) is the truth now.
    Superseded(Option<Box<ProjectionRecord>>),
}

/// A stream the projection appended to, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub stream: String,
    pub result: AppendResult,
}

/// Writes `emitted` for the projection `record`, skipping what is already
/// stored. `owner_of` names the other projection that owns a stream, if one
/// does. Streams newly claimed are added to `record.emitted_streams`.
pub async fn write_outputs<S: EventStore + ProjectionRows>(
    store: &S,
    record: &mut ProjectionRecord,
    emitted: &[Emitted],
    owner_of: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Written>, OutputError> {
    if emitted.is_empty() {
        return Ok(Vec::new());
    }
    let mut stored = confirm_still_current(store, record).await?;
    let groups = by_stream(record, emitted)?;
    let mut claimed = false;
    for stream in groups.keys() {
        claimed |= claim(store, record, stream, &owner_of).await?;
    }
    if claimed {
        // A claim must be durable before the stream has the projection's
        // events: a reload replays from the saved row, and a stream with
        // events it does not own would be refused.
        stored.emitted_streams = record.emitted_streams.clone();
        store.save_projection(&stored).await.map_err(|e| {
            OutputError::Fault(format!("could not save the streams it writes: {e}"))
        })?;
    }
    let mut written = Vec::new();
    for (stream, outputs) in groups {
        if let Some(result) = append_missing(store, &stream, outputs).await? {
            written.push(Written { stream, result });
        }
    }
    Ok(written)
}

/// The stored row must still be the one this tab is running: same
/// generation, same source, still running. A second tab may have changed
/// it. Streams the other tab claimed for this projection are adopted.
async fn confirm_still_current<S: ProjectionRows>(
    store: &S,
    record: &mut ProjectionRecord,
) -> Result<ProjectionRecord, OutputError> {
    let stored = store
        .projection(&record.name)
        .await
        .map_err(|e| OutputError::Fault(format!("could not read the projection's row: {e}")))?;
    let Some(stored) = stored else {
        return Err(OutputError::Superseded(None));
    };
    if !record.same_run_as(&stored) {
        return Err(OutputError::Superseded(Some(Box::new(stored))));
    }
    record.keep_claims_of(&stored);
    Ok(stored)
}

/// The outputs grouped by stream, each with its derived id, each stream's in
/// source order. Streams are written one after another, as KurrentDB writes
/// each emitted stream on its own; only the order within a stream counts.
fn by_stream(
    record: &ProjectionRecord,
    emitted: &[Emitted],
) -> Result<BTreeMap<String, Vec<ProposedEvent>>, OutputError> {
    let generation = record.generation.to_string();
    let mut groups: BTreeMap<String, Vec<ProposedEvent>> = BTreeMap::new();
    let mut index_in_source = 0usize;
    let mut previous_source = None;
    for event in emitted {
        if previous_source != Some(event.source_position) {
            previous_source = Some(event.source_position);
            index_in_source = 0;
        }
        let id = derived_uuid(&[
            &record.name,
            &generation,
            &event.source_position.to_string(),
            &index_in_source.to_string(),
        ]);
        index_in_source += 1;
        let raw = |value: &serde_json::Value| {
            serde_json::value::to_raw_value(value)
                .map_err(|e| OutputError::Fault(format!("emitted an event that is not JSON: {e}")))
        };
        let input = InputEvent {
            event_type: Some(serde_json::Value::String(event.event_type.clone())),
            data: Some(raw(&event.data)?),
            metadata: Some(raw(&event.metadata)?),
            id: Some(serde_json::Value::String(id)),
        };
        let group = groups.entry(event.stream.clone()).or_default();
        let proposed = validate_event(group.len(), input, &mut || {
            unreachable!("every output's id is derived")
        })
        .map_err(|e| {
            OutputError::Fault(format!("emitted an invalid event to {}: {e}", event.stream))
        })?;
        group.push(proposed);
    }
    Ok(groups)
}

/// Makes `stream` this projection's own (`true` when it was not yet), or
/// says why it cannot be.
async fn claim<S: EventStore>(
    store: &S,
    record: &mut ProjectionRecord,
    stream: &str,
    owner_of: &impl Fn(&str) -> Option<String>,
) -> Result<bool, OutputError> {
    if record.emitted_streams.iter().any(|s| s == stream) {
        return Ok(false);
    }
    if let Some(owner) = owner_of(stream) {
        return Err(OutputError::Fault(format!(
            "cannot emit to {stream}: projection '{owner}' writes that stream"
        )));
    }
    let existing = store.stream(stream).await.map_err(storage_fault)?;
    if existing.is_some_and(|row| !row.is_deleted()) {
        return Err(OutputError::Fault(format!(
            "cannot emit to {stream}: it already has events that this projection did not write"
        )));
    }
    record.emitted_streams.push(stream.to_string());
    Ok(true)
}

/// Appends the outputs that follow the stream's last stored one; `None`
/// when all of them were stored already.
async fn append_missing<S: EventStore>(
    store: &S,
    stream: &str,
    outputs: Vec<ProposedEvent>,
) -> Result<Option<AppendResult>, OutputError> {
    for _ in 0..RACE_RETRIES {
        let head = store.stream(stream).await.map_err(storage_fault)?;
        let last = match &head {
            Some(row) if !row.is_deleted() => store
                .read_stream(stream, ReadRequest::backwards(None, 1))
                .await
                .map_err(storage_fault)?
                .into_iter()
                .next(),
            _ => None,
        };
        let stored = last
            .and_then(|last| outputs.iter().position(|output| output.id == last.id))
            .map_or(0, |index| index + 1);
        if stored == outputs.len() {
            return Ok(None);
        }
        let expected = head.map_or(ExpectedVersion::NoStream, |row| {
            ExpectedVersion::Exact(row.version)
        });
        match store
            .append(stream, outputs[stored..].to_vec(), expected)
            .await
        {
            Ok(result) => return Ok(Some(result)),
            // Another writer (a second tab running this projection) got
            // there first: read again what it stored.
            Err(StoreError::WrongExpectedVersion { .. }) => continue,
            Err(error) => return Err(storage_fault(error)),
        }
    }
    Err(OutputError::Fault(format!(
        "could not write to {stream}: another writer kept appending to it"
    )))
}

fn storage_fault(error: StoreError) -> OutputError {
    OutputError::Fault(format!("could not write the projection's output: {error}"))
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use serde_json::json;

    use super::*;
    use crate::core::event::validate_batch;
    use crate::core::projection::ProjectionMode;
    use crate::storage::memory::MemoryStore;

    fn run<T>(future: impl Future<Output = T>) -> T {
        match pin!(future)
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the memory store never waits"),
        }
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
        run(write_outputs(&store, &mut record, &first, |_| None)).unwrap();
        // A reload replays from an older checkpoint: sources 0 and 1 again, then 2.
        let replay = [emit("out", 0, 0), emit("out", 1, 1), emit("out", 2, 2)];
        let written = run(write_outputs(&store, &mut record, &replay, |_| None)).unwrap();
        assert_eq!(data_of(&store, "out"), [0, 1, 2]);
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].result.next_expected_version, 2);
        // Everything stored already: nothing is written.
        assert!(run(write_outputs(&store, &mut record, &replay, |_| None))
            .unwrap()
            .is_empty());
        assert_eq!(data_of(&store, "out"), [0, 1, 2]);
    }

    #[test]
    fn a_claim_is_saved_before_the_stream_is_written_so_a_reload_still_owns_it() {
        let store = MemoryStore::new();
        let mut record = saved(&store);
        run(write_outputs(
            &store,
            &mut record,
            &[emit("out", 0, 0)],
            |_| None,
        ))
        .unwrap();
        // A reload starts again from the saved row, whose checkpoint is older.
        let mut reloaded = run(store.projection("p")).unwrap().unwrap();
        assert_eq!(reloaded.emitted_streams, ["out"]);
        let replay = [emit("out", 0, 0), emit("out", 1, 1)];
        run(write_outputs(&store, &mut reloaded, &replay, |_| None)).unwrap();
        assert_eq!(data_of(&store, "out"), [0, 1]);
    }

    #[test]
    fn outputs_interleaved_across_streams_are_each_written_once() {
        let store = MemoryStore::new();
        let mut record = saved(&store);
        let pass = [emit("a", 0, 0), emit("b", 0, 1), emit("a", 1, 2)];
        run(write_outputs(&store, &mut record, &pass, |_| None)).unwrap();
        let replay = [
            emit("a", 0, 0),
            emit("b", 0, 1),
            emit("a", 1, 2),
            emit("b", 2, 3),
        ];
        run(write_outputs(&store, &mut record, &replay, |_| None)).unwrap();
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
        run(write_outputs(&store, &mut this_tab, &pass, |_| None)).unwrap();
        run(store.save_projection(&this_tab)).unwrap();
        // The other tab has not seen the claim of `out`; it adopts it from the row.
        run(write_outputs(&store, &mut other_tab, &pass, |_| None)).unwrap();
        assert_eq!(data_of(&store, "out"), [0, 1]);
        assert_eq!(other_tab.emitted_streams, ["out"]);
    }

    #[test]
    fn a_projection_reset_elsewhere_is_superseded_not_written() {
        let store = MemoryStore::new();
        let mut stale = saved(&store);
        let mut reset = stale.clone();
        reset.reset();
        run(store.save_projection(&reset)).unwrap();
        let outcome = run(write_outputs(
            &store,
            &mut stale,
            &[emit("out", 0, 0)],
            |_| None,
        ));
        assert_eq!(outcome, Err(OutputError::Superseded(Some(Box::new(reset)))));
        assert!(run(store.stream("out")).unwrap().is_none());
        run(store.delete_projection("p")).unwrap();
        let outcome = run(write_outputs(
            &store,
            &mut stale,
            &[emit("out", 0, 0)],
            |_| None,
        ));
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
        let error = run(write_outputs(
            &store,
            &mut record,
            &[emit("taken", 0, 0)],
            |_| None,
        ));
        assert!(
            matches!(&error, Err(OutputError::Fault(reason)) if reason.contains("did not write")),
            "{error:?}"
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

    #[test]
    fn after_a_reset_the_next_generation_writes_again_after_the_hidden_events() {
        let store = MemoryStore::new();
        let mut record = saved(&store);
        run(write_outputs(
            &store,
            &mut record,
            &[emit("out", 0, 0)],
            |_| None,
        ))
        .unwrap();
        run(store.soft_delete("out")).unwrap();
        record.reset();
        run(store.save_projection(&record)).unwrap();
        run(write_outputs(
            &store,
            &mut record,
            &[emit("out", 0, 7)],
            |_| None,
        ))
        .unwrap();
        assert_eq!(data_of(&store, "out"), [7]);
        assert_eq!(run(store.stream("out")).unwrap().unwrap().version, 1);
    }
}
