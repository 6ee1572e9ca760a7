//! The append rule, in one place: KurrentDB's `IndexWriter.CheckCommit`
//! (`src/KurrentDB.Core/Services/Storage/ReaderIndex/IndexWriter.cs`).
//!
//! A storage backend gathers the facts inside its transaction (the stream's
//! row, the next global position, the stored events whose ids the batch is
//! compared with, and `$$stream` when a soft-deleted stream is written to),
//! asks [`decide_append`] what to do, and writes exactly what it is told.
//! Because the decision is pure, both backends share it and it is tested
//! natively (`append_tests.rs`).
//!
//! **Idempotency without an id index.** KurrentDB compares ids only within
//! the stream, so the backends read just that stream's events, by
//! `[stream, version]`, at the versions [`versions_to_compare`] names:
//! - `no_stream` or an exact version below the stream's last: the events
//!   right after it, one per event of the batch (KurrentDB's "strong" check,
//!   which reads its index too);
//! - `any` or `stream_exists`: KurrentDB looks only in a cache of recently
//!   committed events. The sandbox looks at the stream's newest
//!   [`RECENT_EVENTS`] events (or the batch's size, when larger), and
//!   recognises the batch where it is stored consecutively there, at the
//!   newest such place. So a retry is recognised while the batch is among
//!   the stream's last hundred events; after that, `any` writes it again,
//!   where KurrentDB's cache might still remember it. A retry that must
//!   always be recognised expects the exact version it first expected.

use super::error::StoreError;
use super::event::{
    category_of, check_append_size, validate_stream_name, ProposedEvent, RecordedEvent, StreamInfo,
};
use super::expected_version::{ExpectedVersion, StreamState};
use super::soft_delete::undelete;

/// A stored event of the stream being appended to, as the idempotency
/// check compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEventRef {
    pub id: String,
    pub version: u64,
    pub position: u64,
}

impl From<&RecordedEvent> for StoredEventRef {
    fn from(event: &RecordedEvent) -> Self {
        StoredEventRef {
            id: event.id.clone(),
            version: event.version,
            position: event.position,
        }
    }
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

/// What one transaction writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Writes {
    /// New events, in position order from the facts' `next_position` on.
    pub records: Vec<RecordedEvent>,
    /// The row of each stream written to.
    pub streams: Vec<StreamInfo>,
}

/// What the backend must do.
#[derive(Debug, Clone, PartialEq)]
pub enum AppendDecision {
    /// The same batch was appended before: write nothing, report the original.
    AlreadyAppended(AppendResult),
    /// Write these, all in one transaction, and report `result`.
    Write {
        writes: Writes,
        result: AppendResult,
    },
}

/// The facts a backend reads inside its transaction before deciding.
pub struct AppendFacts<'a> {
    /// The stream's row, `None` when the stream never existed.
    pub stream: Option<&'a StreamInfo>,
    /// The position the first new event gets (the number of events in `$all`).
    pub next_position: u64,
    /// The stream's stored events at the versions [`versions_to_compare`]
    /// names, in version order, soft-deleted ones too. Empty when it names
    /// none.
    pub stored: &'a [StoredEventRef],
    /// `$$stream`'s row: read for `stream_exists` on a stream without
    /// events, and to undelete a soft-deleted stream.
    pub metadata_stream: Option<&'a StreamInfo>,
    /// The data of `$$stream`'s last event, read when the stream is
    /// soft-deleted: the undelete keeps its other keys.
    pub metadata: Option<&'a str>,
    /// The timestamp every event of this batch is stamped with.
    pub created: &'a str,
}

/// How many of a stream's newest events an `any` or `stream_exists` append
/// compares its ids with (see the module's note).
pub const RECENT_EVENTS: u64 = 100;

/// The inclusive range of `stream`'s versions whose stored ids the
/// decision needs, or `None` when it needs none: a batch whose first id was
/// generated here cannot have been stored, and KurrentDB decides on the
/// first id alone when it is not found.
pub fn versions_to_compare(
    stream: Option<&StreamInfo>,
    expected: ExpectedVersion,
    batch: &[ProposedEvent],
) -> Option<(u64, u64)> {
    let head = stream?;
    if !batch.first()?.id_given {
        return None;
    }
    let len = batch.len() as u64;
    let current = head.version;
    match expected {
        ExpectedVersion::Any | ExpectedVersion::StreamExists => {
            let window = len.max(RECENT_EVENTS);
            Some(((current + 1).saturating_sub(window), current))
        }
        ExpectedVersion::NoStream => Some((0, (len - 1).min(current))),
        ExpectedVersion::Exact(n) if n < current => Some((n + 1, (n + len).min(current))),
        ExpectedVersion::Exact(_) => None,
    }
}

/// Decides an append of a validated batch to `stream`, as KurrentDB's
/// `CheckCommit` does; a soft-deleted stream written to is undeleted in the
/// same transaction (`StorageWriterService.SoftUndeleteStream`).
pub fn decide_append(
    stream: &str,
    batch: Vec<ProposedEvent>,
    expected: ExpectedVersion,
    facts: AppendFacts<'_>,
) -> Result<AppendDecision, StoreError> {
    validate_stream_name(stream)?;
    if batch.is_empty() {
        return Err(StoreError::InvalidEvent(
            "no events to append: give at least one event".into(),
        ));
    }
    check_append_size(&batch)?;
    if let Commit::Idempotent(result) = check_commit(stream, &batch, expected, &facts)? {
        return Ok(AppendDecision::AlreadyAppended(result));
    }
    let (mut records, row, result) = append_records(
        stream,
        batch,
        facts.stream,
        facts.next_position,
        facts.created,
    );
    let mut streams = vec![row];
    if let Some(head) = facts.stream.filter(|head| head.is_deleted()) {
        let (marker, metadata_row) = undelete(
            stream,
            head.version + 1,
            facts.metadata_stream,
            facts.metadata,
            facts.next_position + records.len() as u64,
            facts.created,
        )?;
        records.push(marker);
        streams.push(metadata_row);
    }
    Ok(AppendDecision::Write {
        writes: Writes { records, streams },
        result,
    })
}

/// `CheckCommit`'s outcome when it is not a failure.
enum Commit {
    Write,
    Idempotent(AppendResult),
}

/// KurrentDB's `IndexWriter.CheckCommit` (L163-325) for a batch of at least
/// one event. Its `CorruptedIdempotency` (the first id stored, a later one
/// not) reaches clients as a wrong expected version, and so it is here.
fn check_commit(
    stream: &str,
    batch: &[ProposedEvent],
    expected: ExpectedVersion,
    facts: &AppendFacts<'_>,
) -> Result<Commit, StoreError> {
    let wrong = || StoreError::WrongExpectedVersion {
        stream: stream.to_string(),
        expected,
        actual: StreamState::from_version(facts.stream.map(|row| row.version)),
    };
    let Some(head) = facts.stream else {
        // `CheckCommitForNewStream`, and `stream_exists` on a stream whose
        // metadata stream has events (L187-196).
        return match expected {
            ExpectedVersion::Any | ExpectedVersion::NoStream => Ok(Commit::Write),
            ExpectedVersion::StreamExists if facts.metadata_stream.is_some() => Ok(Commit::Write),
            _ => Err(wrong()),
        };
    };
    match expected {
        ExpectedVersion::StreamExists if head.is_deleted() => Err(StoreError::StreamDeleted {
            stream: stream.to_string(),
        }),
        ExpectedVersion::Any | ExpectedVersion::StreamExists => {
            recently_appended(batch, facts.stored).ok_or_else(wrong)
        }
        ExpectedVersion::NoStream => {
            stored_after(batch, None, head, facts.stored).ok_or_else(wrong)
        }
        ExpectedVersion::Exact(n) if n < head.version => {
            stored_after(batch, Some(n), head, facts.stored).ok_or_else(wrong)
        }
        ExpectedVersion::Exact(n) if n > head.version => Err(wrong()),
        ExpectedVersion::Exact(_) => Ok(Commit::Write),
    }
}

/// The weak check of `any` and `stream_exists` (L198-255): the first id
/// not stored → write; stored, but not the whole batch after it → `None`
/// (a wrong expected version); the whole batch → the original result, from
/// the newest place it is stored.
fn recently_appended(batch: &[ProposedEvent], stored: &[StoredEventRef]) -> Option<Commit> {
    let first = &batch[0].id;
    let mut first_stored = false;
    for start in (0..stored.len())
        .rev()
        .filter(|&at| stored[at].id == *first)
    {
        first_stored = true;
        let whole = batch
            .iter()
            .enumerate()
            .all(|(offset, event)| stored.get(start + offset).is_some_and(|s| s.id == event.id));
        if whole {
            return Some(Commit::Idempotent(result_of(
                &stored[start + batch.len() - 1],
            )));
        }
    }
    (!first_stored).then_some(Commit::Write)
}

/// The strong check of `no_stream` and an exact version below the last
/// (L257-317): id *i* against the event at `expected + 1 + i`. The first
/// differs → `None` (a wrong expected version), except that `no_stream`
/// recreates a soft-deleted stream; a later one differs → `None`; all the
/// same → the original result.
fn stored_after(
    batch: &[ProposedEvent],
    expected: Option<u64>,
    head: &StreamInfo,
    stored: &[StoredEventRef],
) -> Option<Commit> {
    let start = expected.map_or(0, |n| n + 1);
    let at = |version: u64| stored.iter().find(|event| event.version == version);
    for (offset, event) in batch.iter().enumerate() {
        if at(start + offset as u64).is_some_and(|s| s.id == event.id) {
            continue;
        }
        let recreate = offset == 0 && expected.is_none() && head.is_deleted();
        return recreate.then_some(Commit::Write);
    }
    at(start + batch.len() as u64 - 1).map(|last| Commit::Idempotent(result_of(last)))
}

fn result_of(last: &StoredEventRef) -> AppendResult {
    AppendResult {
        next_expected_version: last.version,
        position: last.position,
    }
}

/// Numbers `events` after `head` from `next_position` on, and gives the
/// stream's new row. A soft-deleted stream's versions continue, and only
/// the new events are visible (`$tb` = the old last version + 1).
pub(super) fn append_records(
    stream: &str,
    events: Vec<ProposedEvent>,
    head: Option<&StreamInfo>,
    next_position: u64,
    created: &str,
) -> (Vec<RecordedEvent>, StreamInfo, AppendResult) {
    let first_version = head.map_or(0, |row| row.version + 1);
    let records: Vec<RecordedEvent> = events
        .into_iter()
        .enumerate()
        .map(|(offset, event)| RecordedEvent {
            stream: stream.to_string(),
            version: first_version + offset as u64,
            position: next_position + offset as u64,
            id: event.id,
            event_type: event.event_type,
            data: event.data,
            metadata: event.metadata,
            created: created.to_string(),
        })
        .collect();
    let len = records.len() as u64;
    let result = AppendResult {
        next_expected_version: first_version + len.saturating_sub(1),
        position: next_position + len.saturating_sub(1),
    };
    let undeleted = head.is_some_and(StreamInfo::is_deleted);
    let row = StreamInfo {
        stream: stream.to_string(),
        category: category_of(stream).map(String::from),
        version: result.next_expected_version,
        count: head.map_or(0, |row| row.count) + len,
        created: head.map_or_else(|| created.to_string(), |row| row.created.clone()),
        updated: created.to_string(),
        truncate_before: match head {
            Some(_) if undeleted => first_version,
            Some(row) => row.truncate_before,
            None => 0,
        },
    };
    (records, row, result)
}

#[cfg(test)]
#[path = "append_tests.rs"]
mod tests;
