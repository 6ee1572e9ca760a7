//! What the store and the event view read from an event's metadata: the
//! correlation it belongs to and the event that caused it. Everything else
//! in metadata is the caller's own.

use serde::Deserialize;
use serde_json::value::RawValue;

/// `$correlationId`, when it is a string: the piece of work (a transfer, an
/// order) that the event belongs to. The store indexes it.
pub fn correlation_id_of(metadata: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Correlation {
        #[serde(rename = "$correlationId")]
        correlation_id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Correlation>(metadata.get())
        .ok()?
        .correlation_id?
    {
        serde_json::Value::String(id) => Some(id),
        _ => None,
    }
}

/// The keys that name the event that caused this one: `$causationId`, as
/// clients write it, and `$causedBy`, as EventStoreDB's projections do.
pub const CAUSATION_KEYS: [&str; 2] = ["$causationId", "$causedBy"];

/// Each causation key the metadata carries as a string, with its value, in
/// the order of [`CAUSATION_KEYS`].
pub fn causation_ids_of(metadata: &RawValue) -> Vec<(&'static str, String)> {
    let Ok(fields) =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(metadata.get())
    else {
        return Vec::new();
    };
    CAUSATION_KEYS
        .into_iter()
        .filter_map(|key| match fields.get(key) {
            Some(serde_json::Value::String(id)) => Some((key, id.clone())),
            _ => None,
        })
        .collect()
}

/// `$p`, the position of the event that caused this one, as KurrentDB tags
/// what a projection emits (the sandbox's projections do too). It lets the
/// cause be read straight from `$all`.
pub fn source_position_of(metadata: &RawValue) -> Option<u64> {
    #[derive(Deserialize)]
    struct Source {
        #[serde(rename = "$p")]
        position: Option<serde_json::Value>,
    }
    serde_json::from_str::<Source>(metadata.get())
        .ok()?
        .position?
        .as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.into()).unwrap()
    }

    #[test]
    fn correlation_is_a_string_valued_correlation_id() {
        assert_eq!(
            correlation_id_of(&raw(r#"{"$correlationId":"transfer-1"}"#)).as_deref(),
            Some("transfer-1")
        );
        assert_eq!(correlation_id_of(&raw(r#"{"$correlationId":7}"#)), None);
        assert_eq!(correlation_id_of(&raw("{}")), None);
    }

    #[test]
    fn a_source_position_is_a_whole_number_p() {
        assert_eq!(source_position_of(&raw(r#"{"$p":12,"$c":12}"#)), Some(12));
        assert_eq!(source_position_of(&raw(r#"{"$p":"12"}"#)), None);
        assert_eq!(source_position_of(&raw(r#"{"$p":-1}"#)), None);
        assert_eq!(source_position_of(&raw("{}")), None);
    }

    #[test]
    fn causation_reads_both_spellings_and_skips_non_strings() {
        let both = raw(r#"{"$causedBy":"b","n":1,"$causationId":"a"}"#);
        assert_eq!(
            causation_ids_of(&both),
            [
                ("$causationId", "a".to_string()),
                ("$causedBy", "b".to_string())
            ]
        );
        assert!(causation_ids_of(&raw(r#"{"$causationId":null}"#)).is_empty());
        assert!(causation_ids_of(&raw("{}")).is_empty());
    }
}
