//! The event model: what a caller proposes, what the store records, and the
//! rules that decide whether a proposal is acceptable.
//!
//! Data and metadata are kept as raw JSON text (`RawValue`): they are parsed
//! once to prove they are JSON, then carried as text to IndexedDB and back to
//! JavaScript without being rebuilt into a tree on every hop.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::error::StoreError;
use super::metadata::correlation_id_of;

/// The most bytes one event's serialized data plus metadata may take.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;
/// The longest stream name, in characters.
pub const MAX_STREAM_NAME_CHARS: usize = 256;

/// An event as a script hands it in, before any check. Every field is
/// optional here so that a missing one gets a message instead of a parse error.
#[derive(Debug, Default, Deserialize)]
pub struct InputEvent {
    #[serde(rename = "type", default)]
    pub event_type: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    pub data: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Box<RawValue>>,
    #[serde(default)]
    pub id: Option<serde_json::Value>,
}

/// Keeps an explicit JSON `null` as `Some("null")`: `null` is valid event
/// data, and only a field that is absent altogether counts as missing.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(deserializer).map(Some)
}

/// An event that passed every check and has its final id.
#[derive(Debug, Clone)]
pub struct ProposedEvent {
    pub id: String,
    /// Whether the caller chose the id. Generated ids are fresh v4 UUIDs, so
    /// a store need only look up given ids for idempotency and duplicates.
    pub id_given: bool,
    pub event_type: String,
    pub data: Box<RawValue>,
    pub metadata: Box<RawValue>,
    pub correlation_id: Option<String>,
}

/// An event as the store holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub stream: String,
    /// 0-based place in its stream.
    pub version: u64,
    /// 0-based place in `$all`, gapless across the store.
    pub position: u64,
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: Box<RawValue>,
    pub metadata: Box<RawValue>,
    /// ISO-8601 UTC with milliseconds.
    pub created: String,
}

/// Raw JSON has no equality of its own; two records are equal when their
/// texts are.
impl PartialEq for RecordedEvent {
    fn eq(&self, other: &Self) -> bool {
        self.position == other.position
            && self.id == other.id
            && self.stream == other.stream
            && self.version == other.version
            && self.event_type == other.event_type
            && self.data.get() == other.data.get()
            && self.metadata.get() == other.metadata.get()
            && self.created == other.created
    }
}

impl RecordedEvent {
    pub fn correlation_id(&self) -> Option<String> {
        correlation_id_of(&self.metadata)
    }

    pub fn category(&self) -> &str {
        category_of(&self.stream)
    }
}

/// The event type of a link, as EventStoreDB writes it.
pub const LINK_EVENT_TYPE: &str = "$>";

impl RecordedEvent {
    /// Where a link event points: its data is the JSON string
    /// `"version@stream"`. `None` for any other event.
    pub fn link_target(&self) -> Option<(u64, String)> {
        if self.event_type != LINK_EVENT_TYPE {
            return None;
        }
        let text: String = serde_json::from_str(self.data.get()).ok()?;
        let (version, stream) = text.split_once(LINK_SEPARATOR)?;
        Some((version.parse().ok()?, stream.to_string()))
    }
}

/// A read event with links followed: the event a link points to, and the
/// link itself (`None` for an event that is not a link).
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedEvent {
    #[serde(flatten)]
    pub event: RecordedEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<RecordedEvent>,
}

/// One row of the stream list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub stream: String,
    pub category: String,
    /// The version of the last event.
    pub version: u64,
    /// Events still visible: those from `truncate_before` on.
    pub count: u64,
    pub created: String,
    pub updated: String,
    /// Versions below this are soft-deleted (EventStoreDB's `$tb`): hidden
    /// from reads, while versions and positions are never reused.
    #[serde(default, rename = "truncateBefore")]
    pub truncate_before: u64,
}

impl StreamInfo {
    pub fn is_system(&self) -> bool {
        is_system_stream(&self.stream)
    }

    /// Soft-deleted: every event so far is hidden.
    pub fn is_deleted(&self) -> bool {
        self.count == 0
    }

    /// Hides every event so far; the next append continues the versions.
    pub fn soft_delete(&mut self) {
        self.truncate_before = self.version + 1;
        self.count = 0;
    }
}

/// A stream's category ends at the first of these (see [`category_of`]).
pub const CATEGORY_SEPARATOR: char = '-';
/// Names that start with this are system streams.
pub const SYSTEM_PREFIX: char = '$';
/// Between the version and the stream in a link's data (`"3@account-1"`).
pub const LINK_SEPARATOR: char = '@';

/// The category of a stream is the text before its first `-`; a name without
/// one is its own category (`account-42` → `account`).
pub fn category_of(stream: &str) -> &str {
    stream
        .split_once(CATEGORY_SEPARATOR)
        .map_or(stream, |(category, _)| category)
}

/// System streams (`$`-prefixed) are allowed but hidden from default lists.
pub fn is_system_stream(stream: &str) -> bool {
    stream.starts_with(SYSTEM_PREFIX)
}

pub fn validate_stream_name(stream: &str) -> Result<(), StoreError> {
    if stream.trim().is_empty() {
        return Err(StoreError::InvalidEvent(
            "stream name is empty; give a name such as account-1".into(),
        ));
    }
    let chars = stream.chars().count();
    if chars > MAX_STREAM_NAME_CHARS {
        return Err(StoreError::InvalidEvent(format!(
            "stream name is {chars} characters long; the limit is {MAX_STREAM_NAME_CHARS}"
        )));
    }
    Ok(())
}

/// Checks one input event of a batch and gives it its final id. `index` is its
/// place in the batch, used in messages; `fresh_id` supplies a v4 UUID when the
/// caller gave none.
pub fn validate_event(
    index: usize,
    input: InputEvent,
    fresh_id: &mut dyn FnMut() -> String,
) -> Result<ProposedEvent, StoreError> {
    let invalid = |what: String| StoreError::InvalidEvent(format!("event {index}: {what}"));
    let event_type = match input.event_type {
        Some(serde_json::Value::String(text)) if !text.trim().is_empty() => text,
        Some(serde_json::Value::String(_)) => return Err(invalid("type is empty".into())),
        Some(other) => {
            return Err(invalid(format!(
                "type must be a non-empty string, not {other}"
            )))
        }
        None => return Err(invalid("type is missing".into())),
    };
    let data = input
        .data
        .ok_or_else(|| invalid("data is missing; use {} for an event without data".into()))?;
    let metadata = match input.metadata {
        None => empty_object(),
        Some(raw) if raw.get().trim_start().starts_with('{') => raw,
        Some(raw) => {
            return Err(invalid(format!(
                "metadata must be a JSON object, not {}",
                raw.get()
            )))
        }
    };
    let id_given = !matches!(input.id, None | Some(serde_json::Value::Null));
    let id = match input.id {
        None | Some(serde_json::Value::Null) => fresh_id(),
        Some(serde_json::Value::String(text)) => {
            normalize_uuid(&text).ok_or_else(|| invalid(format!("id '{text}' is not a UUID")))?
        }
        Some(other) => return Err(invalid(format!("id must be a UUID string, not {other}"))),
    };
    let size = data.get().len() + metadata.get().len();
    if size > MAX_EVENT_BYTES {
        return Err(StoreError::EventTooLarge {
            index,
            size,
            limit: MAX_EVENT_BYTES,
        });
    }
    let correlation_id = correlation_id_of(&metadata);
    Ok(ProposedEvent {
        id,
        id_given,
        event_type,
        data,
        metadata,
        correlation_id,
    })
}

/// Checks a whole batch: at least one event, each valid, no id twice.
pub fn validate_batch(
    inputs: Vec<InputEvent>,
    fresh_id: &mut dyn FnMut() -> String,
) -> Result<Vec<ProposedEvent>, StoreError> {
    if inputs.is_empty() {
        return Err(StoreError::InvalidEvent(
            "no events to append: give one event or an array of them".into(),
        ));
    }
    let batch = inputs
        .into_iter()
        .enumerate()
        .map(|(index, input)| validate_event(index, input, fresh_id))
        .collect::<Result<Vec<_>, _>>()?;
    for (index, event) in batch.iter().enumerate() {
        if let Some(first) = batch[..index].iter().position(|e| e.id == event.id) {
            return Err(StoreError::DuplicateEventId {
                id: event.id.clone(),
                detail: format!("events {first} and {index} of this batch share it"),
            });
        }
    }
    Ok(batch)
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_string()).expect("{} is JSON")
}

/// Lower-cases a UUID in 8-4-4-4-12 hex form, or `None` when it is not one.
/// Ids compare case-insensitively, as EventStoreDB's GUIDs do.
pub fn normalize_uuid(text: &str) -> Option<String> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    let well_formed = groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()));
    well_formed.then(|| text.to_ascii_lowercase())
}

/// A v4-shaped UUID that is a pure function of `parts`: the same parts give
/// the same id, so a write repeated after a crash is recognised as the same
/// write (idempotent append) instead of being stored twice.
pub fn derived_uuid(parts: &[&str]) -> String {
    // Two FNV-1a passes with different offsets fill 16 bytes. Not
    // cryptographic: it only has to keep apart the ids of one sandbox.
    let fnv = |offset: u64| {
        let mut hash = offset;
        for part in parts {
            for byte in part.bytes().chain(std::iter::once(0xff)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fnv(0xcbf2_9ce4_8422_2325).to_be_bytes());
    bytes[8..].copy_from_slice(&fnv(0x6c62_272e_07bb_0142).to_be_bytes());
    uuid_v4_from_bytes(bytes)
}

/// Formats a v4 UUID from 16 random bytes (the edge supplies the randomness).
pub fn uuid_v4_from_bytes(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> InputEvent {
        serde_json::from_str(json).unwrap()
    }

    fn check(json: &str) -> Result<ProposedEvent, StoreError> {
        validate_event(0, input(json), &mut || {
            "00000000-0000-4000-8000-000000000000".into()
        })
    }

    #[test]
    fn categories_are_the_text_before_the_first_dash() {
        for (stream, category) in [
            ("account-42", "account"),
            ("account-42-x", "account"),
            ("ledger", "ledger"),
            ("-x", ""),
            ("$ce-account", "$ce"),
        ] {
            assert_eq!(category_of(stream), category, "{stream}");
        }
    }

    #[test]
    fn stream_names_must_be_non_empty_and_at_most_256_characters() {
        assert!(validate_stream_name("a").is_ok());
        assert!(validate_stream_name(&"é".repeat(256)).is_ok());
        assert!(validate_stream_name("").is_err());
        assert!(validate_stream_name("   ").is_err());
        let long = validate_stream_name(&"a".repeat(257)).unwrap_err();
        assert!(long.to_string().contains("257"), "{long}");
    }

    #[test]
    fn a_valid_event_keeps_its_json_and_gets_an_id_and_empty_metadata() {
        let event = check(r#"{"type":"Deposited","data":{"amount":5}}"#).unwrap();
        assert_eq!(event.event_type, "Deposited");
        assert_eq!(event.data.get(), r#"{"amount":5}"#);
        assert_eq!(event.metadata.get(), "{}");
        assert_eq!(event.id, "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn null_and_scalars_are_valid_data() {
        for data in ["null", "3", "\"x\"", "[1,2]"] {
            let event = check(&format!(r#"{{"type":"T","data":{data}}}"#)).unwrap();
            assert_eq!(event.data.get(), data);
        }
    }

    #[test]
    fn bad_events_name_what_is_wrong() {
        let cases = [
            (r#"{"data":{}}"#, "type is missing"),
            (r#"{"type":"","data":{}}"#, "type is empty"),
            (r#"{"type":5,"data":{}}"#, "type must be a non-empty string"),
            (r#"{"type":"T"}"#, "data is missing"),
            (
                r#"{"type":"T","data":{},"metadata":[1]}"#,
                "metadata must be a JSON object",
            ),
            (
                r#"{"type":"T","data":{},"id":"nope"}"#,
                "id 'nope' is not a UUID",
            ),
            (
                r#"{"type":"T","data":{},"id":7}"#,
                "id must be a UUID string",
            ),
        ];
        for (json, message) in cases {
            let error = check(json).unwrap_err();
            assert_eq!(error.name(), "InvalidEvent", "{json}");
            assert!(error.to_string().contains(message), "{json}: {error}");
        }
    }

    #[test]
    fn ids_are_normalized_to_lower_case() {
        let event =
            check(r#"{"type":"T","data":{},"id":"ABCDEF01-2345-4678-9ABC-DEF012345678"}"#).unwrap();
        assert_eq!(event.id, "abcdef01-2345-4678-9abc-def012345678");
    }

    #[test]
    fn correlation_id_is_read_from_metadata() {
        let event = check(r#"{"type":"T","data":{},"metadata":{"$correlationId":"c-1"}}"#).unwrap();
        assert_eq!(event.correlation_id.as_deref(), Some("c-1"));
    }

    #[test]
    fn data_plus_metadata_over_one_mebibyte_is_too_large() {
        let big = "x".repeat(MAX_EVENT_BYTES);
        let error = check(&format!(r#"{{"type":"T","data":"{big}"}}"#)).unwrap_err();
        assert_eq!(error.name(), "EventTooLarge");
        let just_fits = "x".repeat(MAX_EVENT_BYTES - 2 - 2);
        assert!(check(&format!(r#"{{"type":"T","data":"{just_fits}"}}"#)).is_ok());
    }

    #[test]
    fn a_batch_rejects_emptiness_and_repeated_ids() {
        let mut ids = || "00000000-0000-4000-8000-000000000000".to_string();
        assert_eq!(
            validate_batch(vec![], &mut ids).unwrap_err().name(),
            "InvalidEvent"
        );
        let twice = vec![
            input(r#"{"type":"T","data":{}}"#),
            input(r#"{"type":"T","data":{}}"#),
        ];
        let error = validate_batch(twice, &mut ids).unwrap_err();
        assert_eq!(error.name(), "DuplicateEventId");
        assert!(error.to_string().contains("events 0 and 1"), "{error}");
    }

    #[test]
    fn a_link_names_the_version_and_stream_it_points_to() {
        let link = RecordedEvent {
            stream: "out".into(),
            version: 0,
            position: 9,
            id: "x".into(),
            event_type: LINK_EVENT_TYPE.into(),
            data: RawValue::from_string(r#""3@account-1""#.into()).unwrap(),
            metadata: empty_object(),
            created: "1970-01-01T00:00:00.000Z".into(),
        };
        assert_eq!(link.link_target(), Some((3, "account-1".to_string())));
        let plain = RecordedEvent {
            event_type: "T".into(),
            ..link.clone()
        };
        assert_eq!(plain.link_target(), None);
        let broken = RecordedEvent {
            data: RawValue::from_string("\"x\"".into()).unwrap(),
            ..link
        };
        assert_eq!(broken.link_target(), None);
    }

    #[test]
    fn derived_ids_are_stable_and_keep_parts_apart() {
        let id = derived_uuid(&["p", "0", "12", "0"]);
        assert_eq!(id, derived_uuid(&["p", "0", "12", "0"]));
        assert!(normalize_uuid(&id).is_some());
        assert_ne!(id, derived_uuid(&["p", "0", "1", "20"]));
        assert_ne!(id, derived_uuid(&["p", "1", "12", "0"]));
    }

    #[test]
    fn uuid_v4_sets_version_and_variant_bits() {
        let id = uuid_v4_from_bytes([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert!(normalize_uuid(&id).is_some());
    }
}
