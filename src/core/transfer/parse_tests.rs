use super::*;
use crate::core::transfer::FileFormat;

const ID: &str = "3f0c7a9e-1d2b-4c5d-8e6f-7a8b9c0d1e2f";

fn line(stream: &str, version: u64, position: u64) -> String {
    format!(
        r#"{{"stream":"{stream}","version":{version},"position":{position},"id":"{ID}","type":"Opened","data":{{"owner":"Ada"}},"metadata":null,"created":"2026-11-18T11:06:40.123Z"}}"#
    )
}

/// `line(…)` with one field's JSON text replaced (or removed, with `None`).
fn with_field(field: &str, value: Option<&str>) -> String {
    let mut fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&line("account-1", 0, 0)).unwrap();
    match value {
        Some(text) => {
            fields.insert(field.into(), serde_json::from_str(text).unwrap());
        }
        None => {
            fields.remove(field);
        }
    }
    serde_json::to_string(&fields).unwrap()
}

fn error_of(text: &str) -> String {
    let mut checker = EventChecker::new();
    match checker.check_line(7, text) {
        Err(error) => {
            assert_eq!(error.name(), "ImportError");
            error.to_string()
        }
        Ok(event) => panic!("expected an error, got {event:?}"),
    }
}

#[test]
fn a_well_formed_line_is_read_with_every_field() {
    let mut checker = EventChecker::new();
    let event = checker
        .check_line(1, &line("account-1", 0, 0))
        .unwrap()
        .unwrap();
    assert_eq!(event.place, Place::Line(1));
    assert_eq!(
        (event.stream.as_str(), event.version, event.position),
        ("account-1", 0, 0)
    );
    assert_eq!(
        (event.id.as_str(), event.event_type.as_str()),
        (ID, "Opened")
    );
    assert_eq!(event.data.get(), r#"{"owner":"Ada"}"#);
    assert!(event.metadata.is_none());
    assert_eq!(event.created, "2026-11-18T11:06:40.123Z");
}

#[test]
fn a_version_that_is_not_a_whole_number_names_the_line_and_the_value() {
    assert_eq!(
        error_of(&with_field("version", Some(r#""three""#))),
        r#"line 7: "version" must be a whole number, got "three"; nothing was imported"#
    );
    assert!(error_of(&with_field("version", Some("-1")))
        .contains(r#""version" must be a whole number, got -1"#));
    assert!(error_of(&with_field("position", Some("1.5")))
        .contains(r#""position" must be a whole number, got 1.5"#));
}

#[test]
fn each_missing_field_is_named() {
    for field in [
        "stream", "version", "position", "id", "type", "data", "created",
    ] {
        let message = error_of(&with_field(field, None));
        assert!(
            message.starts_with(&format!("line 7: \"{field}\" is missing")),
            "{message}"
        );
    }
    assert!(error_of(&with_field("metadata", None))
        .contains(r#""metadata" is missing (null when none)"#));
}

#[test]
fn fields_of_the_wrong_type_are_refused() {
    assert!(
        error_of(&with_field("stream", Some("5"))).contains(r#""stream" must be a string, got 5"#)
    );
    assert!(error_of(&with_field("type", Some(r#""""#))).contains(r#""type" is empty"#));
    assert!(error_of(&with_field("id", Some(r#""not-a-uuid""#)))
        .contains(r#""id" must be a UUID, got "not-a-uuid""#));
    assert!(error_of(&with_field("metadata", Some("[1]")))
        .contains(r#""metadata" must be a JSON object or null, got [1]"#));
    assert!(error_of(&with_field("stream", Some(r#""""#))).contains("stream name is empty"));
}

#[test]
fn null_data_is_data_and_an_id_is_normalised() {
    let mut checker = EventChecker::new();
    let text = with_field("data", Some("null")).replace(ID, &ID.to_uppercase());
    let event = checker.check_line(1, &text).unwrap().unwrap();
    assert_eq!(event.data.get(), "null");
    assert_eq!(event.id, ID);
}

#[test]
fn created_must_be_iso8601_utc_with_milliseconds() {
    for bad in [
        r#""2026-11-18T11:06:40Z""#,
        r#""2026-13-18T11:06:40.123Z""#,
        r#""2026-11-18 11:06:40.123Z""#,
        r#""yesterday""#,
        r#""2026-11-18T25:06:40.123Z""#,
    ] {
        let message = error_of(&with_field("created", Some(bad)));
        assert!(
            message.contains(r#""created" must be an ISO-8601 UTC time"#),
            "{message}"
        );
    }
    assert!(error_of(&with_field("created", Some("17")))
        .contains(r#""created" must be a string, got 17"#));
}

#[test]
fn text_that_is_not_json_or_not_an_object_is_named() {
    assert!(error_of("{\"stream\":").starts_with("line 7: not valid JSON"));
    assert!(error_of("[1,2]").starts_with("line 7: not an event object"));
    assert!(error_of("42").starts_with("line 7: not an event object"));
}

#[test]
fn positions_must_increase_and_versions_follow_on_per_stream() {
    let mut checker = EventChecker::new();
    checker.check_line(1, &line("a", 0, 0)).unwrap();
    checker.check_line(2, &line("b", 5, 1)).unwrap();
    let error = checker.check_line(3, &line("a", 1, 1)).unwrap_err();
    assert!(error
        .to_string()
        .contains("line 3: \"position\" 1 is not after the previous event's 1"));
    let error = checker.check_line(3, &line("a", 2, 2)).unwrap_err();
    assert!(error.to_string().contains(
        "line 3: stream 'a' goes from version 0 to 2; a stream's versions must be consecutive"
    ));
    checker.check_line(3, &line("a", 1, 2)).unwrap();
    checker.check_line(4, &line("b", 6, 9)).unwrap();
}

#[test]
fn a_bom_and_a_blank_end_are_tolerated_but_a_blank_middle_is_not() {
    let mut checker = EventChecker::new();
    let first = format!("\u{feff}{}\r", line("a", 0, 0));
    assert!(checker.check_line(1, &first).unwrap().is_some());
    assert!(checker.check_line(2, "").unwrap().is_none());
    assert!(checker.check_line(3, "  ").unwrap().is_none());
    let error = checker.check_line(4, &line("a", 1, 1)).unwrap_err();
    assert!(
        error.to_string().starts_with("line 2: blank line"),
        "{error}"
    );
}

#[test]
fn link_streams_cannot_be_imported() {
    assert!(error_of(&with_field("stream", Some(r#""$ce-account""#))).contains("link stream"));
}

#[test]
fn the_format_is_detected_from_the_first_line_or_the_document() {
    assert_eq!(detect_format(&line("a", 0, 0)).unwrap(), FileFormat::Ndjson);
    assert_eq!(
        detect_format(&format!("\u{feff}{}\n", line("a", 0, 0))).unwrap(),
        FileFormat::Ndjson
    );
    let sandbox = r#"{"format":"es-sandbox","formatVersion":1,"sandbox":"s","exported":"x","events":[],"projections":[]}"#;
    assert_eq!(detect_format(sandbox).unwrap(), FileFormat::Sandbox);
    let pretty = "{\n  \"format\": \"kurrentdb-events\",\n  \"streams\": []\n}";
    assert_eq!(detect_format(pretty).unwrap(), FileFormat::KurrentDb);
    assert!(detect_format(r#"{"format":"csv"}"#)
        .unwrap_err()
        .to_string()
        .contains(r#""format" is "csv""#));
    assert!(detect_format("  \n")
        .unwrap_err()
        .to_string()
        .contains("the file is empty"));
    assert_eq!(detect_format("garbage").unwrap(), FileFormat::Ndjson);
}

#[test]
fn a_sandbox_file_is_read_and_its_version_checked() {
    let text = format!(
        r#"{{"format":"es-sandbox","formatVersion":1,"sandbox":"s","exported":"2026-11-18T11:06:40.123Z","events":[{}],"projections":[{{"name":"p","source":"fromAll()","emitEnabled":false,"running":true}}]}}"#,
        line("a", 0, 0)
    );
    let file = parse_sandbox_file(&text).unwrap();
    assert_eq!(file.events.len(), 1);
    assert_eq!(file.projections[0].name, "p");
    let mut checker = EventChecker::new();
    let event = checker
        .check(Place::Event(1), file.events[0].get())
        .unwrap();
    assert_eq!(event.place.to_string(), "event 1");
    let newer = text.replace(r#""formatVersion":1"#, r#""formatVersion":2"#);
    assert!(parse_sandbox_file(&newer)
        .unwrap_err()
        .to_string()
        .contains("version 2"));
    assert!(parse_sandbox_file("{}")
        .unwrap_err()
        .to_string()
        .starts_with("the whole-sandbox file is not valid"));
}

#[test]
fn a_sandbox_files_projections_are_checked_before_anything_is_written() {
    let file = |projections: &str| {
        format!(
            r#"{{"format":"es-sandbox","formatVersion":1,"sandbox":"s","exported":"2026-11-18T11:06:40.123Z","events":[],"projections":[{projections}]}}"#
        )
    };
    let projection = |name: &str, source: &str| {
        format!(r#"{{"name":"{name}","source":"{source}","emitEnabled":false,"running":true}}"#)
    };
    let twice = file(&format!(
        "{},{}",
        projection("balances", "fromAll()"),
        projection("balances", "fromAll()")
    ));
    let refusal = |text: &str| parse_sandbox_file(text).err().map(|e| e.to_string());
    assert_eq!(
        refusal(&twice).as_deref(),
        Some("projection 2 (\"balances\"): the file names this projection twice; nothing was imported")
    );
    let native = file(&projection(
        "sneaky",
        "native:EventStore.Projections.Core.Standard.IndexStreams",
    ));
    assert!(refusal(&native)
        .is_some_and(|e| e.starts_with("projection 1 (\"sneaky\"): its source names")));
    let unnamed = file(&projection("", "fromAll()"));
    assert!(refusal(&unnamed).is_some_and(|e| e.starts_with("projection 1 (\"\"): ")));
    assert!(parse_sandbox_file(&file(&projection("ok", "fromAll()"))).is_ok());
}

#[test]
fn times_must_not_go_back() {
    let mut checker = EventChecker::new();
    let first = line("a", 0, 0);
    let earlier = line("b", 0, 1).replace("2026-11-18T11:06:40.123Z", "2026-11-18T11:06:40.122Z");
    assert!(
        first.contains("2026-11-18T11:06:40.123Z"),
        "the fixture's time"
    );
    checker.check_line(1, &first).unwrap();
    let refusal = checker.check_line(2, &earlier).unwrap_err().to_string();
    assert!(
        refusal.starts_with("line 2: \"created\" 2026-11-18T11:06:40.122Z is before the previous event's 2026-11-18T11:06:40.123Z"),
        "{refusal}"
    );
}
