//! What a projection writes: the events its handlers emit or link, to the
//! streams it owns.
//!
//! **Exactly once.** Every output gets an id derived from (projection,
//! generation, source position, index within that source event's outputs),
//! carries its source event's position and the projection's generation in
//! its metadata (`$c`/`$p` and `$v`, as KurrentDB tags emitted events with
//! their checkpoint and the projection's version), and a stream's
//! outputs are written in source order. So what a stream already holds is
//! always a prefix of what a replay computes, and its last event says how
//! far that prefix goes: after a reload (checkpoints lag by up to a second),
//! or in a second tab that folds behind or ahead of this one, only what
//! follows it is written. The write expects the version it read, so two
//! writers racing re-read instead of doubling, and it is fenced: it lands
//! only while the projection's stored row is still this run, checked in
//! the same transaction, so an old generation never writes after a reset.
//!
//! This is KurrentDB's way too: an emitted stream, on recovery, reads back
//! what is already committed and skips it.

use std::collections::BTreeMap;

use crate::core::event::{derived_uuid, validate_event, InputEvent};
use crate::core::projection::ProjectionRecord;
use crate::core::{
    AppendResult, ExpectedVersion, ProposedEvent, ReadRequest, RecordedEvent, StoreError,
};
use crate::storage::{EventStore, Fenced, ProjectionRows};

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
        let saved = store.save_progress(&stored).await.map_err(|e| {
            OutputError::Fault(format!("could not save the streams it writes: {e}"))
        })?;
        if let Fenced::Superseded(now) = saved {
            return Err(OutputError::Superseded(now));
        }
    }
    let mut written = Vec::new();
    for (stream, outputs) in groups {
        if let Some(result) = append_missing(store, record, &stream, outputs).await? {
            written.push(Written { stream, result });
        }
    }
    Ok(written)
}

/// The stored row must still be the one this tab is running: same
/// generation, same source, still running. A second tab may have changed
/// it. Streams the other tab claimed for this projection are adopted.
pub(super) async fn confirm_still_current<S: ProjectionRows>(
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

/// One output, ready to append, and the position of the event that caused it.
struct Output {
    event: ProposedEvent,
    source_position: i64,
}

/// The outputs grouped by stream, each with its derived id and checkpoint
/// tag, each stream's in source order. Streams are written one after
/// another, as KurrentDB writes each emitted stream on its own; only the
/// order within a stream counts.
fn by_stream(
    record: &ProjectionRecord,
    emitted: &[Emitted],
) -> Result<BTreeMap<String, Vec<Output>>, OutputError> {
    let generation = record.generation.to_string();
    let mut groups: BTreeMap<String, Vec<Output>> = BTreeMap::new();
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
            metadata: Some(raw(&tagged(
                &event.metadata,
                record.generation,
                event.source_position,
            ))?),
            id: Some(serde_json::Value::String(id)),
        };
        let group = groups.entry(event.stream.clone()).or_default();
        let proposed = validate_event(group.len(), input, &mut || {
            unreachable!("every output's id is derived")
        })
        .map_err(|e| {
            OutputError::Fault(format!("emitted an invalid event to {}: {e}", event.stream))
        })?;
        group.push(Output {
            event: proposed,
            source_position: event.source_position,
        });
    }
    Ok(groups)
}

/// The metadata with the output's tags: the projection's generation, and
/// its source event's checkpoint. KurrentDB writes a commit and a prepare
/// position; in the sandbox both are the event's position.
fn tagged(
    metadata: &serde_json::Value,
    generation: u64,
    source_position: i64,
) -> serde_json::Value {
    let mut metadata = metadata.clone();
    if let serde_json::Value::Object(fields) = &mut metadata {
        fields.insert(GENERATION_TAG.into(), generation.into());
        fields.insert(COMMIT_TAG.into(), source_position.into());
        fields.insert(PREPARE_TAG.into(), source_position.into());
    }
    metadata
}

const GENERATION_TAG: &str = "$v";
const COMMIT_TAG: &str = "$c";
const PREPARE_TAG: &str = "$p";

/// What a stream's last event says about this pass's outputs.
enum Tail {
    /// The first this many outputs are stored already.
    Stored(usize),
    /// It is an older generation's output that a reset should have hidden
    /// (the page closed mid-reset): hide the stream, then look again.
    OlderGeneration,
    /// It carries no projection's tags: someone else appended it.
    Foreign,
}

/// KurrentDB's reason when an emitted stream's last event is not the
/// projection's (`EmittedStream`); the sandbox names the projection
/// where KurrentDB gives its numeric id.
fn written_from_outside(stream: &str, projection: &str) -> String {
    format!("The '{stream}' stream managed by projection {projection} has been written to from the outside.")
}

/// Judges by the stream's last event: that event itself, or, when a writer
/// ahead of this one stored outputs this pass has not computed yet, every
/// output up to its source.
fn tail(outputs: &[Output], generation: u64, last: &RecordedEvent) -> Tail {
    if let Some(index) = outputs.iter().position(|output| output.event.id == last.id) {
        return Tail::Stored(index + 1);
    }
    let metadata = last
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str::<serde_json::Value>(m.get()).ok());
    let tag = |key: &str| {
        metadata
            .as_ref()
            .and_then(|metadata| metadata.get(key))
            .and_then(serde_json::Value::as_i64)
    };
    match (tag(GENERATION_TAG), tag(PREPARE_TAG)) {
        (Some(theirs), _) if theirs < generation as i64 => Tail::OlderGeneration,
        (Some(_), Some(source)) => Tail::Stored(
            outputs
                .iter()
                .take_while(|output| output.source_position <= source)
                .count(),
        ),
        _ => Tail::Foreign,
    }
}

/// Makes `stream` this projection's own (`true` when it was not yet), or
/// says why it cannot be.
async fn claim<S: EventStore + ProjectionRows>(
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
        // Another tab running this projection may have claimed it since
        // this pass read the row; a claim is saved before the stream gets
        // its first output, so the row says so by now.
        let stored = store
            .projection(&record.name)
            .await
            .map_err(|e| OutputError::Fault(format!("could not read the projection's row: {e}")))?;
        if stored.is_some_and(|stored| stored.emitted_streams.iter().any(|s| s == stream)) {
            record.emitted_streams.push(stream.to_string());
            return Ok(false);
        }
        return Err(OutputError::Fault(written_from_outside(
            stream,
            &record.name,
        )));
    }
    record.emitted_streams.push(stream.to_string());
    Ok(true)
}

/// Appends the outputs that follow the stream's last stored one; `None`
/// when all of them were stored already.
async fn append_missing<S: EventStore + ProjectionRows>(
    store: &S,
    run: &ProjectionRecord,
    stream: &str,
    outputs: Vec<Output>,
) -> Result<Option<AppendResult>, OutputError> {
    for _ in 0..RACE_RETRIES {
        let head = store.stream(stream).await.map_err(storage_fault)?;
        let last = match &head {
            Some(row) if !row.is_deleted() => {
                match store
                    .read_stream(stream, ReadRequest::backwards(None, 1))
                    .await
                {
                    Ok(events) => events.into_iter().next(),
                    // Another tab soft-deleted it since the row was read
                    // (a reset): nothing of it is visible any more.
                    Err(StoreError::StreamNotFound { .. }) => None,
                    Err(error) => return Err(storage_fault(error)),
                }
            }
            _ => None,
        };
        let stored = match last.map(|last| tail(&outputs, run.generation, &last)) {
            None => 0,
            Some(Tail::Stored(stored)) => stored,
            Some(Tail::OlderGeneration) => {
                store.soft_delete(stream).await.map_err(storage_fault)?;
                continue;
            }
            Some(Tail::Foreign) => {
                return Err(OutputError::Fault(written_from_outside(stream, &run.name)))
            }
        };
        if stored == outputs.len() {
            return Ok(None);
        }
        let expected = head.map_or(ExpectedVersion::NoStream, |row| {
            ExpectedVersion::Exact(row.version)
        });
        let batch = outputs[stored..].iter().map(|o| o.event.clone()).collect();
        match store.append_output(stream, batch, expected, run).await {
            Ok(Fenced::Done(result)) => return Ok(Some(result)),
            Ok(Fenced::Superseded(now)) => return Err(OutputError::Superseded(now)),
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
#[path = "output_tests.rs"]
mod tests;
