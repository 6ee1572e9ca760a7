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

/// The most bytes one append's data plus metadata may take, summed over
/// its batch: KurrentDB's `MaxAppendSize` as it was up to v25.0 (1 MiB).
/// KurrentDB's default is 256 MiB since v25.1; a browser tab keeps the
/// smaller one.
pub const MAX_APPEND_BYTES: usize = 1024 * 1024;
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
    /// `None`: appended without metadata, which is not the same as `{}`.
    pub metadata: Option<Box<RawValue>>,
    pub correlation_id: Option<String>,
}

impl ProposedEvent {
    /// What this event counts towards [`MAX_APPEND_BYTES`].
    pub fn size(&self) -> usize {
        self.data.get().len() + self.metadata.as_ref().map_or(0, |m| m.get().len())
    }
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
    /// `None` when the event was appended without metadata; the API
    /// gives `null` then.
    pub metadata: Option<Box<RawValue>>,
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
            && self.metadata.as_deref().map(RawValue::get)
                == other.metadata.as_deref().map(RawValue::get)
            && self.created == other.created
    }
}

impl RecordedEvent {
    pub fn correlation_id(&self) -> Option<String> {
        self.metadata.as_deref().and_then(correlation_id_of)
    }

    pub fn category(&self) -> Option<&str> {
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
    /// Absent from the stored row when the stream has none, so the sparse
    /// `category` index skips it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The version of the last event.
    pub version: u64,
    /// Events still visible: those from `truncate_before` on.
    pub count: u64,
    pub created: String,
    pub updated: String,
    /// Versions below this are hidden from reads (KurrentDB's `$tb`), while
    /// versions and positions are never reused. [`SOFT_DELETED`] while the
    /// stream is soft-deleted. Absent from the stored row while 0, so the
    /// sparse `truncate_before` index holds only streams that hide events.
    #[serde(
        default,
        rename = "truncateBefore",
        skip_serializing_if = "is_zero",
        serialize_with = "truncate_before::serialize",
        deserialize_with = "truncate_before::deserialize"
    )]
    pub truncate_before: u64,
}

pub(crate) fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `$tb` of a soft-deleted stream: KurrentDB's `EventNumber.DeletedStream`
/// (`long.MaxValue`), so every version is below it.
pub const SOFT_DELETED: u64 = i64::MAX as u64;

/// `truncateBefore` as IndexedDB holds it: a JS number. [`SOFT_DELETED`]
/// is above 2^53, so it is stored as the nearest double (2^63, which
/// compares above every real version) and read back as [`SOFT_DELETED`].
pub(crate) mod truncate_before {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    use super::SOFT_DELETED;

    /// Integers up to this are exact in a double.
    const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

    pub fn serialize<S: Serializer>(tb: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        if *tb > MAX_SAFE_INTEGER {
            serializer.serialize_f64(*tb as f64)
        } else {
            serializer.serialize_u64(*tb)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        struct Tb;
        impl Visitor<'_> for Tb {
            type Value = u64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a version number")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<u64, E> {
                Ok(n.min(SOFT_DELETED))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<u64, E> {
                u64::try_from(n).map_err(|_| E::custom(format!("truncateBefore {n} is negative")))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<u64, E> {
                if n >= SOFT_DELETED as f64 {
                    Ok(SOFT_DELETED)
                } else if n >= 0.0 && n.fract() == 0.0 {
                    Ok(n as u64)
                } else {
                    Err(E::custom(format!("truncateBefore {n} is not a version")))
                }
            }
        }
        deserializer.deserialize_any(Tb)
    }
}

impl StreamInfo {
    pub fn is_system(&self) -> bool {
        is_system_stream(&self.stream)
    }

    /// Soft-deleted: every event is hidden. KurrentDB's mark is `$tb` =
    /// [`SOFT_DELETED`]; rows of schema v3 and before hid every event with
    /// `version + 1`, which this reads the same way.
    pub fn is_deleted(&self) -> bool {
        self.truncate_before > self.version
    }

    /// Whether an event of this stream is hidden from reads.
    pub fn hides(&self, version: u64) -> bool {
        version < self.truncate_before
    }

    /// Hides every event; the next append continues the versions.
    pub fn soft_delete(&mut self) {
        self.truncate_before = SOFT_DELETED;
        self.count = 0;
    }
}

/// A stream's category ends at the first of these (see [`category_of`]).
pub const CATEGORY_SEPARATOR: char = '-';
/// Names that start with this are system streams.
pub const SYSTEM_PREFIX: char = '$';
/// Between the version and the stream in a link's data (`"3@account-1"`).
pub const LINK_SEPARATOR: char = '@';

/// The category of a stream is the text before its first `-`, when that
/// text is not empty and the stream is not a system stream
/// (`account-42-x` → `account`). `ledger`, `-x` and `$ce-account` have
/// none. This is KurrentDB's `$by_category` rule
/// (`StreamCategoryExtractorByFirstSeparator.GetCategoryByStreamId`), and
/// the one place the sandbox states it.
pub fn category_of(stream: &str) -> Option<&str> {
    if is_system_stream(stream) {
        return None;
    }
    stream
        .split_once(CATEGORY_SEPARATOR)
        .map(|(category, _)| category)
        .filter(|category| !category.is_empty())
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
        // `null` as well as no field: an event read back (`metadata: null`)
        // appends again as it was.
        None => None,
        Some(raw) if raw.get() == "null" => None,
        Some(raw) if raw.get().trim_start().starts_with('{') => Some(raw),
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
    let correlation_id = metadata.as_deref().and_then(correlation_id_of);
    Ok(ProposedEvent {
        id,
        id_given,
        event_type,
        data,
        metadata,
        correlation_id,
    })
}

/// Checks a whole batch: at least one event, each valid, and no more than
/// [`MAX_APPEND_BYTES`] in all. The same id may appear twice: KurrentDB
/// writes both (`ClientAPI/append_to_stream.cs`
/// `multiple_idempotent_writes_with_same_id_bug_case`).
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
    check_append_size(&batch)?;
    Ok(batch)
}

/// KurrentDB's `MaxAppendSize`: the data and metadata of the whole batch
/// (`Grpc/Streams.Append.cs`). The error names the event that crosses it.
pub fn check_append_size(batch: &[ProposedEvent]) -> Result<(), StoreError> {
    let mut total = 0;
    let mut crossing = None;
    for (index, event) in batch.iter().enumerate() {
        total += event.size();
        if total > MAX_APPEND_BYTES && crossing.is_none() {
            crossing = Some((index, event.size()));
        }
    }
    match crossing {
        None => Ok(()),
        Some((index, event_size)) => Err(StoreError::MaximumAppendSizeExceeded {
            size: total,
            limit: MAX_APPEND_BYTES,
            index,
            event_size,
        }),
    }
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
#[path = "event_tests.rs"]
mod tests;
