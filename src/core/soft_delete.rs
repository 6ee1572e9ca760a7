//! Soft delete and undelete, as KurrentDB records them: stream metadata
//! whose `$tb` (truncate before) hides versions, written as `$metadata`
//! events to the metadata stream `$$stream`
//! (`StorageWriterService.WriteDelete`, `SoftUndeleteStream`).

use serde_json::value::RawValue;

use super::append::{append_records, Writes};
use super::error::StoreError;
use super::event::{derived_uuid, ProposedEvent, RecordedEvent, StreamInfo, SYSTEM_PREFIX};

/// The type of the events of a metadata stream.
pub const METADATA_EVENT_TYPE: &str = "$metadata";

/// The metadata key of the version reads start at.
pub const TRUNCATE_BEFORE_KEY: &str = "$tb";

/// The stream that holds `stream`'s metadata, as KurrentDB names it
/// (`$$account-1`).
pub fn metadata_stream_of(stream: &str) -> String {
    format!("{SYSTEM_PREFIX}{SYSTEM_PREFIX}{stream}")
}

/// Decides a soft delete the way KurrentDB records one: the stream's row
/// hides every version (`$tb` = `long.MaxValue`, [`SOFT_DELETED`]), and a
/// `$metadata` event whose whole content is `{"$tb": 9223372036854775807}`
/// is appended to `$$stream`, in one transaction. The next append continues
/// the versions. Because the marker takes a position in `$all`, every other
/// connection's idea of the log's end goes stale, and its next append
/// re-reads the stream's row instead of undoing the delete.
///
/// `None` when the stream never existed or is soft-deleted already.
/// (KurrentDB answers a delete of a stream that never existed with a wrong
/// expected version; the sandbox's projections reset streams they claimed
/// but never wrote, so it leaves them alone instead.)
///
/// [`SOFT_DELETED`]: super::event::SOFT_DELETED
pub fn decide_soft_delete(
    stream: Option<&StreamInfo>,
    metadata_stream: Option<&StreamInfo>,
    next_position: u64,
    created: &str,
) -> Result<Option<Writes>, StoreError> {
    let Some(mut truncated) = stream.filter(|row| !row.is_deleted()).cloned() else {
        return Ok(None);
    };
    truncated.soft_delete();
    let data = format!(
        r#"{{"{TRUNCATE_BEFORE_KEY}":{}}}"#,
        truncated.truncate_before
    );
    let (marker, metadata_row) = metadata_event(
        &truncated.stream,
        data,
        metadata_stream,
        next_position,
        created,
    )?;
    Ok(Some(Writes {
        records: vec![marker],
        streams: vec![truncated, metadata_row],
    }))
}

/// What writing to a soft-deleted stream adds, in the same transaction:
/// `$$stream`'s current metadata (the data of its last event, when that is a
/// JSON object) with `$tb` set to `tb`, the first new version, so the events
/// before stay hidden. KurrentDB keeps the other keys too; where its
/// metadata is not JSON it writes no undelete, the sandbox starts from `{}`.
pub(super) fn undelete(
    stream: &str,
    tb: u64,
    metadata_stream: Option<&StreamInfo>,
    current_metadata: Option<&str>,
    position: u64,
    created: &str,
) -> Result<(RecordedEvent, StreamInfo), StoreError> {
    let mut fields: serde_json::Map<String, serde_json::Value> = current_metadata
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    fields.insert(TRUNCATE_BEFORE_KEY.into(), tb.into());
    let data = serde_json::Value::Object(fields).to_string();
    metadata_event(stream, data, metadata_stream, position, created)
}

/// A `$metadata` event of `stream` at `position`, and `$$stream`'s new row.
fn metadata_event(
    stream: &str,
    data: String,
    metadata_stream: Option<&StreamInfo>,
    position: u64,
    created: &str,
) -> Result<(RecordedEvent, StreamInfo), StoreError> {
    let data = RawValue::from_string(data)
        .map_err(|e| StoreError::Storage(format!("could not write {stream}'s metadata: {e}")))?;
    let event = ProposedEvent {
        // The position makes it unique; the core draws no random numbers.
        id: derived_uuid(&[TRUNCATE_BEFORE_KEY, stream, &position.to_string()]),
        id_given: false,
        event_type: METADATA_EVENT_TYPE.into(),
        data,
        metadata: None,
        correlation_id: None,
    };
    let name = metadata_stream_of(stream);
    let (mut records, row, _) =
        append_records(&name, vec![event], metadata_stream, position, created);
    let marker = records
        .pop()
        .ok_or_else(|| StoreError::Storage(format!("{name}: no metadata event was made")))?;
    Ok((marker, row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::{category_of, SOFT_DELETED};

    fn row(stream: &str, version: u64) -> StreamInfo {
        StreamInfo {
            stream: stream.into(),
            category: category_of(stream).map(String::from),
            version,
            count: version + 1,
            created: "t0".into(),
            updated: "t0".into(),
            truncate_before: 0,
        }
    }

    #[test]
    fn a_soft_delete_writes_tb_max_to_the_metadata_stream_at_the_next_position() {
        // `StorageWriterService.WriteDelete`: `{"$tb": long.MaxValue}`, the
        // whole content, whatever metadata there was.
        let writes = decide_soft_delete(Some(&row("report-1", 1)), None, 3, "t1")
            .unwrap()
            .unwrap();
        let [truncated, metadata_row] = &writes.streams[..] else {
            panic!("two rows: {:?}", writes.streams)
        };
        assert_eq!(
            (
                truncated.truncate_before,
                truncated.count,
                truncated.version
            ),
            (SOFT_DELETED, 0, 1)
        );
        assert!(truncated.is_deleted());
        let marker = &writes.records[0];
        assert_eq!(marker.stream, "$$report-1");
        assert_eq!(marker.event_type, "$metadata");
        assert_eq!(marker.data.get(), r#"{"$tb":9223372036854775807}"#);
        assert!(marker.metadata.is_none());
        assert_eq!((marker.version, marker.position), (0, 3));
        assert_eq!(
            (metadata_row.stream.as_str(), metadata_row.version),
            ("$$report-1", 0)
        );
        assert_eq!(
            metadata_row.category, None,
            "a system stream has no category"
        );
        let again = decide_soft_delete(Some(truncated), Some(metadata_row), 4, "t2").unwrap();
        assert!(again.is_none(), "a soft-deleted stream is left alone");
        assert!(decide_soft_delete(None, None, 4, "t2").unwrap().is_none());
    }

    #[test]
    fn an_undelete_sets_tb_and_keeps_the_other_metadata_keys() {
        // `soft_delete.cs` `soft_deleted_stream_when_recreated_preserves_metadata_except_truncatebefore`.
        let mut metadata_row = row("$$s", 0);
        metadata_row.category = None;
        let (event, row) = undelete(
            "s",
            3,
            Some(&metadata_row),
            Some(r#"{"$maxCount":10,"$tb":9223372036854775807,"custom":"x"}"#),
            9,
            "t",
        )
        .unwrap();
        assert_eq!(event.data.get(), r#"{"$maxCount":10,"$tb":3,"custom":"x"}"#);
        assert_eq!(
            (event.stream.as_str(), event.version, event.position),
            ("$$s", 1, 9)
        );
        assert_eq!(row.version, 1);
        let (fresh, _) = undelete("s", 3, None, Some("not json"), 9, "t").unwrap();
        assert_eq!(fresh.data.get(), r#"{"$tb":3}"#);
    }
}
