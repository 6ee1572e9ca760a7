//! What an import writes: the file's events, in file order, at the end of
//! the target's log, each stream's run of consecutive events decided by
//! [`decide_append`] as an append would be.
//!
//! Each run expects the version before its first event (`no_stream` for a
//! version 0), so importing into a sandbox where a stream has moved on is
//! a conflict that names the line and the stream, and nothing is written.
//! Ids are not compared (an import is not a retry): importing the same
//! file twice is that same conflict.
//!
//! **Soft deletes round-trip.** An export holds a soft-deleted stream's
//! events and, in `$$stream`, the store's `$metadata` markers: the soft
//! delete's `{"$tb": 9223372036854775807}` and, when the stream was written
//! to again, the undelete's `$tb` = the first new version, right after
//! those events. So the import applies a soft delete's marker to the
//! stream's row, and a run that writes to a soft-deleted stream reopens it
//! as an undelete does (only the new events show) but adds no marker of its
//! own: the file's undelete marker follows. Any other `$tb` is stored and
//! not applied, as an append stores it.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::parse::import_error;
use super::{ImportEvent, Place};
use crate::core::event::{ProposedEvent, StreamInfo, MAX_APPEND_BYTES, SOFT_DELETED};
use crate::core::metadata::correlation_id_of;
use crate::core::soft_delete::METADATA_EVENT_TYPE;
use crate::core::{
    decide_append, AppendDecision, AppendFacts, ExpectedVersion, StoreError, StreamState, Writes,
};

/// The streams whose rows an import of `events` decides on: every stream
/// it writes, and the stream of each `$$stream` it writes (a soft delete's
/// marker there changes that stream's row).
pub fn streams_to_read(events: &[ImportEvent]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut streams = Vec::new();
    for event in events {
        let owner = event.stream.strip_prefix("$$");
        for stream in std::iter::once(event.stream.as_str()).chain(owner) {
            if seen.insert(stream) {
                streams.push(stream.to_string());
            }
        }
    }
    streams
}

/// The rows an import writes, given the target's log ending before
/// `next_position`, its last event's time (`None`: an empty log), and the
/// rows of [`streams_to_read`] (absent: no such stream). The events get
/// positions from `next_position` on, in file order, and keep their ids,
/// types, data, metadata, versions and times.
///
/// Kept times must not go back: time travel finds positions by time, on
/// the promise that a log's times never decrease (the file's own order is
/// checked as it is read). A file older than the log's end is refused,
/// after its conflicts, which name a more useful line.
pub fn plan_import(
    events: Vec<ImportEvent>,
    next_position: u64,
    last_created: Option<&str>,
    mut rows: HashMap<String, StreamInfo>,
) -> Result<Writes, StoreError> {
    let first = events
        .first()
        .map(|event| (event.place, event.created.clone()));
    let mut records = Vec::with_capacity(events.len());
    let mut touched: Vec<String> = Vec::new();
    let mut events = events.into_iter().peekable();
    while let Some(first) = events.next() {
        let soft_deletes = soft_deleted_by(&first);
        let mut run = vec![first];
        if soft_deletes.is_none() {
            let mut size = run[0].size();
            while let Some(next) = events.peek() {
                let fits = size + next.size() <= MAX_APPEND_BYTES;
                if next.stream != run[0].stream || !fits || soft_deleted_by(next).is_some() {
                    break;
                }
                size += next.size();
                run.extend(events.next());
            }
        }
        let stream = run[0].stream.clone();
        let position = next_position + records.len() as u64;
        let (written, row) = decide_run(run, position, rows.get(&stream))?;
        records.extend(written);
        touch(&mut touched, &stream);
        rows.insert(stream, row);
        if let Some(deleted) = soft_deletes {
            if let Some(row) = rows.get_mut(&deleted).filter(|row| !row.is_deleted()) {
                row.soft_delete();
                touch(&mut touched, &deleted);
            }
        }
    }
    if let (Some((place, created)), Some(last)) = (first, last_created) {
        if created.as_str() < last {
            return Err(StoreError::Import(format!(
                "{place}: its time {created} is before this sandbox's last event ({last}); imported events keep their times, and time travel needs times that never go back, so import the file into a new sandbox"
            )));
        }
    }
    Ok(Writes {
        records,
        streams: touched
            .into_iter()
            .filter_map(|s| rows.remove(&s))
            .collect(),
    })
}

fn touch(touched: &mut Vec<String>, stream: &str) {
    if !touched.iter().any(|seen| seen == stream) {
        touched.push(stream.to_string());
    }
}

impl ImportEvent {
    /// What the event counts towards an append's [`MAX_APPEND_BYTES`].
    fn size(&self) -> usize {
        self.data.get().len() + self.metadata.as_ref().map_or(0, |m| m.get().len())
    }
}

/// The stream whose soft delete `event` records: a `$metadata` event of
/// `$$stream` whose `$tb` is KurrentDB's `long.MaxValue`, as the store's
/// soft delete writes it.
fn soft_deleted_by(event: &ImportEvent) -> Option<String> {
    #[derive(Deserialize)]
    struct Marker {
        #[serde(rename = "$tb")]
        truncate_before: Option<serde_json::Value>,
    }
    let stream = event.stream.strip_prefix("$$")?;
    if event.event_type != METADATA_EVENT_TYPE {
        return None;
    }
    let marker: Marker = serde_json::from_str(event.data.get()).ok()?;
    let tb = marker.truncate_before?.as_u64()?;
    (tb >= SOFT_DELETED).then(|| stream.to_string())
}

/// Decides one stream's run of consecutive events at `position` on, as
/// an append expecting the version before its first event; gives the
/// records and the stream's row after them.
fn decide_run(
    run: Vec<ImportEvent>,
    position: u64,
    head: Option<&StreamInfo>,
) -> Result<(Vec<crate::core::RecordedEvent>, StreamInfo), StoreError> {
    let first_place = run[0].place;
    let stream = run[0].stream.clone();
    let first_version = run[0].version;
    let expected = match first_version {
        0 => ExpectedVersion::NoStream,
        version => ExpectedVersion::Exact(version - 1),
    };
    // A soft-deleted stream reopens as an undelete would, without the
    // marker an append adds: the file carries its own (see the module).
    let reopened = head.filter(|row| row.is_deleted()).map(|row| StreamInfo {
        truncate_before: 0,
        count: 0,
        ..row.clone()
    });
    let head = reopened.as_ref().or(head);
    let times: Vec<String> = run.iter().map(|event| event.created.clone()).collect();
    let created = times[0].clone();
    let batch: Vec<ProposedEvent> = run
        .into_iter()
        .map(|event| ProposedEvent {
            correlation_id: event.metadata.as_deref().and_then(correlation_id_of),
            id: event.id,
            // An import is not a retry: ids are kept, never compared.
            id_given: false,
            event_type: event.event_type,
            data: event.data,
            metadata: event.metadata,
        })
        .collect();
    let facts = AppendFacts {
        stream: head,
        next_position: position,
        stored: &[],
        metadata_stream: None,
        metadata: None,
        created: &created,
    };
    let decision = decide_append(&stream, batch, expected, facts)
        .map_err(|error| conflict(first_place, &stream, first_version, error))?;
    let AppendDecision::Write { writes, .. } = decision else {
        return Err(import_error(&format!(
            "{first_place}: stream '{stream}' already holds these events"
        )));
    };
    let mut records = writes.records;
    for (record, time) in records.iter_mut().zip(times) {
        record.created = time;
    }
    let mut row = writes
        .streams
        .into_iter()
        .next()
        .ok_or_else(|| import_error(&format!("{first_place}: no row for stream '{stream}'")))?;
    if let Some(last) = records.last() {
        row.updated = last.created.clone();
    }
    if reopened.is_some() {
        row.truncate_before = first_version;
    }
    Ok((records, row))
}

/// An append's refusal, as the line (or event) that met it.
fn conflict(place: Place, stream: &str, first_version: u64, error: StoreError) -> StoreError {
    let StoreError::WrongExpectedVersion { actual, .. } = error else {
        return import_error(&format!("{place}: {error}"));
    };
    let what = match actual {
        StreamState::NoStream => format!(
            "the file's events of stream '{stream}' start at version {first_version}, but this sandbox has no stream '{stream}'; the events before them are missing"
        ),
        StreamState::At(version) if first_version == 0 => format!(
            "stream '{stream}' already exists in this sandbox (up to version {version}), and the file's events of it start at version 0"
        ),
        StreamState::At(version) => format!(
            "stream '{stream}' is at version {version} in this sandbox, but the file's events of it go on from version {}",
            first_version - 1
        ),
    };
    import_error(&format!("{place}: {what}"))
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
