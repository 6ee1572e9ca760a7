//! The event model's checks: categories, stream rows, validation, sizes,
//! links and ids.

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
    // KurrentDB's `$by_category`
    // (`src/KurrentDB.Projections.V1/Standard/StreamCategoryExtractorByFirstSeparator.cs`):
    // what comes before the first `-`, and nothing for a name without one,
    // an empty prefix, or a system stream.
    for (stream, category) in [
        ("account-42", Some("account")),
        ("account-42-x", Some("account")),
        ("order-1-a", Some("order")),
        ("a-", Some("a")),
        ("ledger", None),
        ("order", None),
        ("-x", None),
        ("-", None),
        ("$ce-account", None),
        ("$$account-1", None),
    ] {
        assert_eq!(category_of(stream), category, "{stream}");
    }
}

#[test]
fn a_stored_stream_row_carries_category_and_truncation_only_when_it_has_them() {
    let mut row = StreamInfo {
        stream: "ledger".into(),
        category: category_of("ledger").map(String::from),
        version: 4,
        count: 5,
        created: "t0".into(),
        updated: "t1".into(),
        truncate_before: 0,
    };
    let json = serde_json::to_value(&row).unwrap();
    assert_eq!(json.get("category"), None, "{json}");
    assert_eq!(json.get("truncateBefore"), None, "{json}");
    row.soft_delete();
    assert!(row.is_deleted() && row.hides(4) && row.hides(0));
    let json = serde_json::to_string(&row).unwrap();
    assert!(
        json.contains(r#""truncateBefore":9.223372036854776e+18"#),
        "{json}"
    );
    let back: StreamInfo = serde_json::from_str(&json).unwrap();
    assert_eq!(back.truncate_before, SOFT_DELETED);
    assert_eq!(back, row);
    // A v3 row hid every event with `version + 1`: still deleted.
    let old: StreamInfo = serde_json::from_str(
        r#"{"stream":"x","category":"x","version":1,"count":0,"created":"","updated":"","truncateBefore":2}"#,
    )
    .unwrap();
    assert!(old.is_deleted());
    let undeleted = StreamInfo {
        truncate_before: 2,
        version: 3,
        ..old
    };
    assert!(!undeleted.is_deleted() && undeleted.hides(1) && !undeleted.hides(2));
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
fn a_valid_event_keeps_its_json_and_gets_an_id_and_no_metadata() {
    let event = check(r#"{"type":"Deposited","data":{"amount":5}}"#).unwrap();
    assert_eq!(event.event_type, "Deposited");
    assert_eq!(event.data.get(), r#"{"amount":5}"#);
    assert!(event.metadata.is_none(), "no metadata is not {{}}");
    assert_eq!(event.id, "00000000-0000-4000-8000-000000000000");
    let null = check(r#"{"type":"T","data":{},"metadata":null}"#).unwrap();
    assert!(null.metadata.is_none(), "null is no metadata too");
    let empty = check(r#"{"type":"T","data":{},"metadata":{}}"#).unwrap();
    assert_eq!(empty.metadata.as_deref().map(RawValue::get), Some("{}"));
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
fn the_whole_batch_over_one_mebibyte_exceeds_the_maximum_append_size() {
    let mut ids = || "00000000-0000-4000-8000-000000000000".to_string();
    let event = |len: usize, metadata: &str| {
        input(&format!(
            r#"{{"type":"T","data":"{}"{metadata}}}"#,
            "x".repeat(len)
        ))
    };
    // One event of exactly 1 MiB (its data's quotes included) fits.
    let exactly = validate_batch(vec![event(MAX_APPEND_BYTES - 2, "")], &mut ids);
    assert!(exactly.is_ok());
    // Two events that fit alone do not fit together; metadata counts.
    let half = MAX_APPEND_BYTES / 2;
    let batch = vec![
        event(10, ""),
        event(half, r#","metadata":{"n":1}"#),
        event(half, ""),
    ];
    let error = validate_batch(batch, &mut ids).unwrap_err();
    assert_eq!(error.name(), "MaximumAppendSizeExceeded");
    let message = error.to_string();
    assert!(
        message.starts_with("Maximum Append Size of 1048576 Exceeded."),
        "{message}"
    );
    let total = 12 + (half + 2 + 7) + (half + 2);
    assert!(
        message.contains(&format!("take {total} bytes")),
        "{message}"
    );
    assert!(message.contains("event 2"), "{message}");
}

#[test]
fn a_batch_rejects_emptiness_but_not_an_id_given_twice() {
    let mut ids = || "00000000-0000-4000-8000-000000000000".to_string();
    assert_eq!(
        validate_batch(vec![], &mut ids).unwrap_err().name(),
        "InvalidEvent"
    );
    // KurrentDB writes both (`ClientAPI/append_to_stream.cs`
    // `multiple_idempotent_writes_with_same_id_bug_case`).
    let twice = vec![
        input(r#"{"type":"T","data":{}}"#),
        input(r#"{"type":"T","data":{}}"#),
    ];
    let batch = validate_batch(twice, &mut ids).unwrap();
    assert_eq!(batch[0].id, batch[1].id);
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
        metadata: None,
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
