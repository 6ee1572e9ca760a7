//! The rows as IndexedDB holds them. They are contracts, not API results:
//! the reducer worker reads [`EventRow`]s straight from the `events` store
//! (see `src/projections/protocol.rs`), and old databases keep old rows, so
//! a field is only ever added, with a default.
//!
//! This module has no browser dependency, so the shapes are tested natively.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::core::event::{category_of, is_zero, truncate_before, SOFT_DELETED};
use crate::core::{RecordedEvent, StoreError, StreamInfo};

/// The object store of events, keyed by `position`.
pub const EVENTS_STORE: &str = "events";
/// The object store of [`StoredStream`]s, keyed by `stream`.
pub const STREAMS_STORE: &str = "streams";
/// The index of the events store on `[stream, version]`: reading a
/// stream, and resolving a link (the reducer worker reads it too).
pub const STREAM_VERSION_INDEX: &str = "stream_version";
/// The object store of projection rows, keyed by `name`.
pub const PROJECTIONS_STORE: &str = "projections";

/// An event as IndexedDB holds it. Data and metadata stay JSON text: the
/// store never looks inside them, and text is the cheapest thing to clone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRow {
    pub position: u64,
    pub stream: String,
    pub version: u64,
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: String,
    /// Absent when the event has no metadata; rows written before schema
    /// v4 have `"{}"` there instead, and keep it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub metadata: Option<String>,
    pub created: String,
    /// Absent when the metadata has none, so the sparse index skips the row.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub correlation_id: Option<String>,
}

impl EventRow {
    pub fn from_record(record: &RecordedEvent) -> EventRow {
        EventRow {
            position: record.position,
            stream: record.stream.clone(),
            version: record.version,
            id: record.id.clone(),
            event_type: record.event_type.clone(),
            data: record.data.get().to_string(),
            metadata: record.metadata.as_deref().map(|m| m.get().to_string()),
            created: record.created.clone(),
            correlation_id: record.correlation_id(),
        }
    }

    pub fn into_record(self) -> Result<RecordedEvent, StoreError> {
        let position = self.position;
        let raw = |text: String, what: &str| {
            RawValue::from_string(text).map_err(|error| {
                StoreError::Storage(format!(
                    "stored {what} of event at position {position} is not JSON: {error}"
                ))
            })
        };
        Ok(RecordedEvent {
            data: raw(self.data, "data")?,
            metadata: self.metadata.map(|m| raw(m, "metadata")).transpose()?,
            stream: self.stream,
            version: self.version,
            position: self.position,
            id: self.id,
            event_type: self.event_type,
            created: self.created,
        })
    }
}

/// A stream as the store knows it: the public row plus where the stream
/// began, which orders the list by creation. Not what IndexedDB holds: see
/// [`StreamRow`].
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStream {
    pub info: StreamInfo,
    pub first_position: u64,
}

impl StoredStream {
    /// What the `streams` store keeps of it.
    pub fn row(&self) -> StreamRow {
        StreamRow {
            stream: self.info.stream.clone(),
            category: self.info.category.clone(),
            created: self.info.created.clone(),
            truncate_before: self.info.truncate_before,
            first_position: self.first_position,
        }
    }

    /// Whether writing `self` over `before` changes the stored row: only a
    /// new stream, a soft delete and an undelete do. An append that only
    /// moves the head writes no row (the head is its last event).
    pub fn row_changed_from(&self, before: Option<&StoredStream>) -> bool {
        before.is_none_or(|before| before.info.truncate_before != self.info.truncate_before)
    }
}

/// A `streams` row: what changes only when the stream is created,
/// soft-deleted or undeleted. What every append changes (the version, the
/// count, the last update) is read from the stream's last event in the
/// `[stream, version]` index instead, so an append writes one row, its
/// event, like the raw baseline. Rows written before schema v5 also hold
/// `version`, `count` and `updated`, as of their last append; they are
/// ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRow {
    pub stream: String,
    /// Absent when the stream has none, so the sparse `category` index
    /// skips it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub created: String,
    /// See [`StreamInfo::truncate_before`]; absent while 0.
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        serialize_with = "truncate_before::serialize",
        deserialize_with = "truncate_before::deserialize"
    )]
    pub truncate_before: u64,
    #[serde(default)]
    pub first_position: u64,
}

impl StreamRow {
    /// Only a soft delete hides every version; an undelete keeps those
    /// from its first new event on.
    pub fn is_soft_deleted(&self) -> bool {
        self.truncate_before >= SOFT_DELETED
    }

    /// The stream, with its head from its last event: `version`, and when
    /// it was `created` (the stream's last update). Rows written
    /// before schema v4 carry the old category rule's answer (`ledger` its
    /// own category, `$ce-x` in `$ce`), so the category is worked out again
    /// from the name.
    pub fn with_last_event(self, version: u64, created: String) -> StoredStream {
        StoredStream {
            info: StreamInfo {
                category: category_of(&self.stream).map(String::from),
                version,
                // Versions are dense: those from `$tb` on are visible.
                count: (version + 1).saturating_sub(self.truncate_before),
                updated: created,
                stream: self.stream,
                created: self.created,
                truncate_before: self.truncate_before,
            },
            first_position: self.first_position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_row_is_the_shape_the_worker_reads() {
        let record = RecordedEvent {
            stream: "account-1".into(),
            version: 2,
            position: 7,
            id: "0b4a3c1e-0000-4000-8000-000000000001".into(),
            event_type: "Deposited".into(),
            data: RawValue::from_string(r#"{"amount":5}"#.into()).unwrap(),
            metadata: Some(RawValue::from_string(r#"{"$correlationId":"c-1"}"#.into()).unwrap()),
            created: "2026-11-27T10:00:00.000Z".into(),
        };
        let row = serde_json::to_value(EventRow::from_record(&record)).unwrap();
        assert_eq!(
            row,
            json!({"position": 7, "stream": "account-1", "version": 2,
                   "id": "0b4a3c1e-0000-4000-8000-000000000001", "type": "Deposited",
                   "data": "{\"amount\":5}", "metadata": "{\"$correlationId\":\"c-1\"}",
                   "created": "2026-11-27T10:00:00.000Z", "correlationId": "c-1"})
        );
        let back: EventRow = serde_json::from_value(row).unwrap();
        assert_eq!(back.into_record().unwrap(), record);
    }

    #[test]
    fn an_event_without_metadata_has_no_metadata_field_and_old_rows_keep_theirs() {
        let record = RecordedEvent {
            stream: "account-1".into(),
            version: 0,
            position: 0,
            id: "0b4a3c1e-0000-4000-8000-000000000001".into(),
            event_type: "Opened".into(),
            data: RawValue::from_string("{}".into()).unwrap(),
            metadata: None,
            created: "2026-11-27T10:00:00.000Z".into(),
        };
        let row = serde_json::to_value(EventRow::from_record(&record)).unwrap();
        assert_eq!(row.get("metadata"), None, "{row}");
        assert_eq!(row.get("correlationId"), None, "{row}");
        let back: EventRow = serde_json::from_value(row.clone()).unwrap();
        assert_eq!(back.into_record().unwrap(), record);
        let mut null = row.clone();
        null["metadata"] = json!(null);
        let back: EventRow = serde_json::from_value(null).unwrap();
        assert!(back.into_record().unwrap().metadata.is_none());
        let mut old = row;
        old["metadata"] = json!("{}");
        let old: EventRow = serde_json::from_value(old).unwrap();
        let old = old.into_record().unwrap();
        assert_eq!(old.metadata.as_deref().map(RawValue::get), Some("{}"));
    }

    #[test]
    fn an_old_streams_row_takes_its_head_from_the_last_event_and_todays_category() {
        // Written before schema v5, as of the stream's second event.
        let old: StreamRow = serde_json::from_value(json!({
            "stream": "ledger", "category": "ledger", "version": 1, "count": 2,
            "created": "t0", "updated": "t1", "truncateBefore": 0, "firstPosition": 3
        }))
        .unwrap();
        let info = old.with_last_event(4, "t4".into()).info;
        assert_eq!(info.category, None);
        assert_eq!(
            (info.version, info.count, info.updated.as_str()),
            (4, 5, "t4")
        );
        assert_eq!((info.created.as_str(), info.truncate_before), ("t0", 0));
    }

    #[test]
    fn a_stream_row_holds_only_what_appends_do_not_change() {
        let stored = StreamRow {
            stream: "account-1".into(),
            category: Some("account".into()),
            created: "t0".into(),
            truncate_before: SOFT_DELETED,
            first_position: 3,
        }
        .with_last_event(4, "t4".into());
        assert_eq!(stored.info.count, 0, "a soft-deleted stream shows no event");
        let row = serde_json::to_value(stored.row()).unwrap();
        assert_eq!(
            row,
            json!({"stream": "account-1", "category": "account", "created": "t0",
                   "truncateBefore": 9223372036854775807.0, "firstPosition": 3})
        );
        let undeleted = StreamRow {
            truncate_before: 3,
            ..stored.row()
        }
        .with_last_event(4, "t5".into());
        assert_eq!(
            undeleted.info.count, 2,
            "versions 3 and 4 are visible again"
        );
        assert!(undeleted.row_changed_from(Some(&stored)));
        let appended = StreamRow { ..undeleted.row() }.with_last_event(5, "t6".into());
        assert!(
            !appended.row_changed_from(Some(&undeleted)),
            "an append writes no row"
        );
        assert!(
            appended.row_changed_from(None),
            "a new stream writes its row"
        );
    }

    #[test]
    fn a_row_whose_data_is_not_json_names_its_position() {
        let row = EventRow {
            position: 3,
            stream: "s".into(),
            version: 0,
            id: "x".into(),
            event_type: "T".into(),
            data: "{broken".into(),
            metadata: None,
            created: String::new(),
            correlation_id: None,
        };
        let error = row.into_record().unwrap_err();
        assert!(error.to_string().contains("position 3"), "{error}");
    }
}
