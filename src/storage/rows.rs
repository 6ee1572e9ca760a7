//! The rows as IndexedDB holds them. They are contracts, not API results:
//! the reducer worker reads [`EventRow`]s straight from the `events` store
//! (see `src/projections/protocol.rs`), and old databases keep old rows, so
//! a field is only ever added, with a default.
//!
//! This module has no browser dependency, so the shapes are tested natively.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::core::event::category_of;
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

/// A streams row as stored: the public row plus where the stream began,
/// which orders the list by creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredStream {
    #[serde(flatten)]
    pub info: StreamInfo,
    #[serde(default)]
    pub first_position: u64,
}

impl StoredStream {
    /// The public row. Rows written before schema v4 carry the old
    /// category rule's answer (`ledger` its own category, `$ce-x` in `$ce`),
    /// so the category is worked out again from the name; the next append
    /// to the stream stores it right.
    pub fn into_info(self) -> StreamInfo {
        let mut info = self.info;
        info.category = category_of(&info.stream).map(String::from);
        info
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
    fn an_old_streams_row_reads_with_todays_category() {
        let old: StoredStream = serde_json::from_value(json!({
            "stream": "ledger", "category": "ledger", "version": 0, "count": 1,
            "created": "t", "updated": "t", "truncateBefore": 0, "firstPosition": 3
        }))
        .unwrap();
        assert_eq!(old.info.category.as_deref(), Some("ledger"));
        let info = old.into_info();
        assert_eq!((info.category, info.truncate_before), (None, 0));
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
