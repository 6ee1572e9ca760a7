//! The append rule, in one place (as Message DB keeps it in one function).
//!
//! A storage backend gathers the facts inside its transaction (the stream's
//! head, the next global position, where each proposed id already lives),
//! asks [`decide_append`] what to do, and writes exactly what it is told.
//! Because the decision is pure, both backends share it and it is tested
//! natively.

use super::error::StoreError;
use super::event::{
    category_of, derived_uuid, validate_stream_name, ProposedEvent, RecordedEvent, StreamInfo,
    SYSTEM_PREFIX,
};
use super::expected_version::ExpectedVersion;

/// Where an already stored event lives, found by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEventRef {
    pub stream: String,
    pub version: u64,
    pub position: u64,
}

/// What an append reports back, as EventStoreDB's clients do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// The version of the stream's last event after the append; pass it as
    /// the expected version of the next append.
    pub next_expected_version: u64,
    /// The global position of the last event written.
    pub position: u64,
}

/// What the backend must do.
#[derive(Debug, Clone, PartialEq)]
pub enum AppendDecision {
    /// The same batch was appended before: write nothing, report the original.
    AlreadyAppended(AppendResult),
    /// Write these records and this stream row, all in one transaction.
    Write {
        records: Vec<RecordedEvent>,
        stream: StreamInfo,
        result: AppendResult,
    },
}

/// The facts a backend reads inside its transaction before deciding.
pub struct AppendFacts<'a> {
    /// The stream's row, `None` when the stream does not exist.
    pub stream: Option<&'a StreamInfo>,
    /// The position the first new event gets (the number of events in `$all`).
    pub next_position: u64,
    /// For each proposed event, in order, where its id is already stored.
    pub existing: &'a [Option<StoredEventRef>],
    /// The timestamp every event of this batch is stamped with.
    pub created: &'a str,
}

/// Decides an append of a validated batch to `stream`.
///
/// Idempotency follows EventStoreDB: when every id of the batch is already
/// stored, consecutively, in this stream, at the place the expected version
/// points to, the append succeeds again without writing. Any other stored id
/// is a [`StoreError::DuplicateEventId`].
pub fn decide_append(
    stream: &str,
    batch: Vec<ProposedEvent>,
    expected: ExpectedVersion,
    facts: AppendFacts<'_>,
) -> Result<AppendDecision, StoreError> {
    validate_stream_name(stream)?;
    let current = facts.stream.map(|row| row.version);
    if let Some(result) = earlier_append_of_same_batch(stream, expected, facts.existing) {
        return Ok(AppendDecision::AlreadyAppended(result));
    }
    expected.check(stream, current)?;
    if let Some((index, found)) = facts
        .existing
        .iter()
        .enumerate()
        .find_map(|(index, found)| found.as_ref().map(|f| (index, f)))
    {
        return Err(StoreError::DuplicateEventId {
            id: batch[index].id.clone(),
            detail: format!(
                "it is already stored as {}@{} (position {})",
                found.version, found.stream, found.position
            ),
        });
    }

    let first_version = current.map_or(0, |version| version + 1);
    let records: Vec<RecordedEvent> = batch
        .into_iter()
        .enumerate()
        .map(|(offset, event)| RecordedEvent {
            stream: stream.to_string(),
            version: first_version + offset as u64,
            position: facts.next_position + offset as u64,
            id: event.id,
            event_type: event.event_type,
            data: event.data,
            metadata: event.metadata,
            created: facts.created.to_string(),
        })
        .collect();
    let last = records.last().ok_or_else(|| {
        StoreError::InvalidEvent("no events to append: give at least one event".into())
    })?;
    let result = AppendResult {
        next_expected_version: last.version,
        position: last.position,
    };
    let stream_row = StreamInfo {
        stream: stream.to_string(),
        category: category_of(stream).to_string(),
        version: last.version,
        count: facts.stream.map_or(0, |row| row.count) + records.len() as u64,
        created: facts
            .stream
            .map_or_else(|| facts.created.to_string(), |row| row.created.clone()),
        updated: facts.created.to_string(),
        truncate_before: facts.stream.map_or(0, |row| row.truncate_before),
    };
    Ok(AppendDecision::Write {
        records,
        stream: stream_row,
        result,
    })
}

/// The original result when the whole batch is already stored, in order, in
/// this stream, where `expected` says it should start.
fn earlier_append_of_same_batch(
    stream: &str,
    expected: ExpectedVersion,
    existing: &[Option<StoredEventRef>],
) -> Option<AppendResult> {
    let found: Vec<&StoredEventRef> = existing.iter().map(Option::as_ref).collect::<Option<_>>()?;
    let first = found.first()?;
    let consecutive = found.iter().enumerate().all(|(offset, event)| {
        event.stream == stream && event.version == first.version + offset as u64
    });
    let at_expected_place = match expected {
        ExpectedVersion::Any | ExpectedVersion::StreamExists => true,
        ExpectedVersion::NoStream => first.version == 0,
        ExpectedVersion::Exact(version) => first.version == version + 1,
    };
    let last = found.last()?;
    (consecutive && at_expected_place).then_some(AppendResult {
        next_expected_version: last.version,
        position: last.position,
    })
}

/// The stream that holds `stream`'s metadata, as KurrentDB names it
/// (`$$account-1`).
pub fn metadata_stream_of(stream: &str) -> String {
    format!("{SYSTEM_PREFIX}{SYSTEM_PREFIX}{stream}")
}

/// What a soft delete writes, all in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftDelete {
    /// The stream's row, with every event so far hidden.
    pub truncated: StreamInfo,
    /// The `$metadata` event `{"$tb": n}` appended to the metadata stream,
    /// and that stream's row.
    pub marker: RecordedEvent,
    pub metadata_stream: StreamInfo,
}

/// Decides a soft delete the way KurrentDB records one: stream metadata
/// with `$tb` (truncate before) one past the last version, written as a
/// `$metadata` event to `$$stream`. Because the marker takes a position in
/// `$all`, every other connection's idea of the log's end goes stale, and
/// its next append re-reads the stream's row instead of undoing the
/// delete. `None` when the stream never existed or is hidden already.
pub fn decide_soft_delete(
    stream: Option<&StreamInfo>,
    metadata_stream: Option<&StreamInfo>,
    next_position: u64,
    created: &str,
) -> Result<Option<SoftDelete>, StoreError> {
    let Some(mut truncated) = stream.cloned() else {
        return Ok(None);
    };
    if truncated.is_deleted() {
        return Ok(None);
    }
    truncated.soft_delete();
    let name = metadata_stream_of(&truncated.stream);
    let tb = truncated.truncate_before.to_string();
    let marker = ProposedEvent {
        id: derived_uuid(&["$tb", &truncated.stream, &tb]),
        id_given: false,
        event_type: "$metadata".into(),
        data: raw_json(format!(r#"{{"$tb":{tb}}}"#))?,
        metadata: raw_json("{}".into())?,
        correlation_id: None,
    };
    let facts = AppendFacts {
        stream: metadata_stream,
        next_position,
        existing: &[None],
        created,
    };
    match decide_append(&name, vec![marker], ExpectedVersion::Any, facts)? {
        AppendDecision::Write {
            mut records,
            stream: metadata_stream,
            ..
        } => Ok(records.pop().map(|marker| SoftDelete {
            truncated,
            marker,
            metadata_stream,
        })),
        // A derived id is never looked up, so this cannot be an earlier
        // append of the same marker.
        AppendDecision::AlreadyAppended(_) => Ok(None),
    }
}

fn raw_json(text: String) -> Result<Box<serde_json::value::RawValue>, StoreError> {
    serde_json::value::RawValue::from_string(text)
        .map_err(|e| StoreError::Storage(format!("could not write the soft-delete marker: {e}")))
}

#[cfg(test)]
mod soft_delete_tests {
    use super::*;

    fn row(stream: &str, version: u64) -> StreamInfo {
        StreamInfo {
            stream: stream.into(),
            category: category_of(stream).into(),
            version,
            count: version + 1,
            created: "t0".into(),
            updated: "t0".into(),
            truncate_before: 0,
        }
    }

    #[test]
    fn a_soft_delete_writes_tb_to_the_metadata_stream_at_the_next_position() {
        let decided = decide_soft_delete(Some(&row("report-1", 1)), None, 3, "t1")
            .unwrap()
            .unwrap();
        assert_eq!(
            (decided.truncated.truncate_before, decided.truncated.count),
            (2, 0)
        );
        assert_eq!(decided.marker.stream, "$$report-1");
        assert_eq!(decided.marker.event_type, "$metadata");
        assert_eq!(decided.marker.data.get(), r#"{"$tb":2}"#);
        assert_eq!((decided.marker.version, decided.marker.position), (0, 3));
        assert_eq!(decided.metadata_stream.version, 0);
        let again = decide_soft_delete(Some(&decided.truncated), None, 4, "t2").unwrap();
        assert!(again.is_none(), "a hidden stream is left alone");
        assert!(decide_soft_delete(None, None, 4, "t2").unwrap().is_none());
    }
}
