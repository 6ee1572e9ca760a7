use std::collections::HashMap;

use super::*;
use crate::core::event::SOFT_DELETED;
use crate::core::transfer::parse::EventChecker;

/// Checked events from `(stream, version, type, data)`, positions 0, 1, …
fn events(specs: &[(&str, u64, &str, &str)]) -> Vec<ImportEvent> {
    let mut checker = EventChecker::new();
    specs
        .iter()
        .enumerate()
        .map(|(at, (stream, version, event_type, data))| {
            let text = format!(
                r#"{{"stream":"{stream}","version":{version},"position":{at},"id":"00000000-0000-4000-8000-{at:012}","type":"{event_type}","data":{data},"metadata":null,"created":"2026-11-18T11:06:{:02}.000Z"}}"#,
                at % 60
            );
            checker.check_line(at as u64 + 1, &text).unwrap().unwrap()
        })
        .collect()
}

fn row(stream: &str, version: u64) -> StreamInfo {
    StreamInfo {
        stream: stream.into(),
        category: None,
        version,
        count: version + 1,
        created: "2026-01-01T00:00:00.000Z".into(),
        updated: "2026-01-01T00:00:00.000Z".into(),
        truncate_before: 0,
    }
}

fn rows_of(writes: &Writes) -> HashMap<&str, &StreamInfo> {
    writes
        .streams
        .iter()
        .map(|r| (r.stream.as_str(), r))
        .collect()
}

#[test]
fn into_an_empty_sandbox_positions_versions_ids_and_times_are_kept() {
    let file = events(&[
        ("a-1", 0, "A", "{}"),
        ("b-1", 0, "B", "1"),
        ("a-1", 1, "A", "2"),
    ]);
    let writes = plan_import(file, 0, None, HashMap::new()).unwrap();
    let kept: Vec<_> = writes
        .records
        .iter()
        .map(|r| {
            (
                r.stream.as_str(),
                r.version,
                r.position,
                r.data.get(),
                r.created.as_str(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("a-1", 0, 0, "{}", "2026-11-18T11:06:00.000Z"),
            ("b-1", 0, 1, "1", "2026-11-18T11:06:01.000Z"),
            ("a-1", 1, 2, "2", "2026-11-18T11:06:02.000Z"),
        ]
    );
    assert_eq!(writes.records[2].id, "00000000-0000-4000-8000-000000000002");
    let rows = rows_of(&writes);
    assert_eq!((rows["a-1"].version, rows["a-1"].count), (1, 2));
    assert_eq!(rows["a-1"].category.as_deref(), Some("a"));
    assert_eq!(rows["a-1"].created, "2026-11-18T11:06:00.000Z");
    assert_eq!(rows["a-1"].updated, "2026-11-18T11:06:02.000Z");
}

#[test]
fn positions_follow_the_end_of_the_target_log() {
    let file = events(&[("new", 0, "A", "{}"), ("old", 3, "B", "{}")]);
    let rows = HashMap::from([("old".to_string(), row("old", 2))]);
    let writes = plan_import(file, 40, None, rows).unwrap();
    assert_eq!(
        writes
            .records
            .iter()
            .map(|r| (r.position, r.version))
            .collect::<Vec<_>>(),
        [(40, 0), (41, 3)]
    );
    assert_eq!(rows_of(&writes)["old"].count, 4);
}

#[test]
fn a_stream_that_moved_on_in_the_target_is_a_conflict_naming_line_and_stream() {
    let file = events(&[("fine", 0, "A", "{}"), ("a", 3, "A", "{}")]);
    let rows = HashMap::from([("a".to_string(), row("a", 5))]);
    let error = plan_import(file, 9, None, rows).unwrap_err();
    assert_eq!(error.name(), "ImportError");
    assert_eq!(
        error.to_string(),
        "line 2: stream 'a' is at version 5 in this sandbox, but the file's events of it go on from version 2; nothing was imported"
    );
}

#[test]
fn importing_a_stream_that_exists_from_version_zero_is_a_conflict() {
    let rows = HashMap::from([("a".to_string(), row("a", 0))]);
    let error = plan_import(events(&[("a", 0, "A", "{}")]), 1, None, rows).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("line 1: stream 'a' already exists in this sandbox (up to version 0)"));
}

#[test]
fn events_that_start_past_version_zero_need_the_stream() {
    let error = plan_import(events(&[("a", 4, "A", "{}")]), 0, None, HashMap::new()).unwrap_err();
    assert!(error
        .to_string()
        .contains("start at version 4, but this sandbox has no stream 'a'"));
}

#[test]
fn a_soft_delete_and_an_undelete_round_trip() {
    let tb = format!(r#"{{"$tb":{SOFT_DELETED}}}"#);
    let file = events(&[
        ("a", 0, "A", "{}"),
        ("a", 1, "A", "{}"),
        ("$$a", 0, "$metadata", &tb),
        ("a", 2, "A", "{}"),
        ("$$a", 1, "$metadata", r#"{"$tb":2}"#),
        ("b", 0, "B", "{}"),
        ("$$b", 0, "$metadata", &tb),
    ]);
    let writes = plan_import(file, 0, None, HashMap::new()).unwrap();
    assert_eq!(writes.records.len(), 7, "no marker of the import's own");
    let rows = rows_of(&writes);
    assert_eq!(
        (
            rows["a"].version,
            rows["a"].count,
            rows["a"].truncate_before
        ),
        (2, 1, 2)
    );
    assert!(!rows["a"].is_deleted());
    assert!(rows["b"].is_deleted());
    assert_eq!(
        (rows["b"].count, rows["b"].truncate_before),
        (0, SOFT_DELETED)
    );
    assert_eq!(rows["$$a"].version, 1);
}

#[test]
fn a_tb_a_caller_wrote_is_stored_not_applied() {
    let file = events(&[("a", 0, "A", "{}"), ("$$a", 0, "$metadata", r#"{"$tb":1}"#)]);
    let writes = plan_import(file, 0, None, HashMap::new()).unwrap();
    assert_eq!(rows_of(&writes)["a"].truncate_before, 0);
}

#[test]
fn a_large_stream_is_decided_in_runs_under_the_append_limit() {
    let big = format!(r#""{}""#, "x".repeat(400_000));
    let specs: Vec<(&str, u64, &str, &str)> = (0..6).map(|v| ("a", v, "A", big.as_str())).collect();
    let writes = plan_import(events(&specs), 0, None, HashMap::new()).unwrap();
    assert_eq!(writes.records.len(), 6);
    assert_eq!(rows_of(&writes)["a"].version, 5);
}

#[test]
fn the_streams_to_read_include_the_owner_of_a_metadata_stream() {
    let file = events(&[
        ("a", 0, "A", "{}"),
        ("$$b", 0, "$metadata", "{}"),
        ("a", 1, "A", "{}"),
    ]);
    assert_eq!(streams_to_read(&file), ["a", "$$b", "b"]);
}

#[test]
fn a_preview_counts_and_names_the_first_streams_and_events() {
    use crate::core::transfer::{FileFormat, ImportPreview};
    let file = events(&[
        ("a-1", 0, "Opened", r#"{"owner":"Ada"}"#),
        ("b", 0, "B", "{}"),
        ("a-1", 1, "A", "{}"),
    ]);
    let preview = ImportPreview::of(FileFormat::Ndjson, &file, vec![]);
    assert_eq!((preview.events, preview.streams), (3, 2));
    assert_eq!(
        preview.first_streams,
        [("a-1".to_string(), 2), ("b".to_string(), 1)]
    );
    assert_eq!(preview.first_events[0], r#"0@a-1 Opened {"owner":"Ada"}"#);
    assert_eq!(preview.action(), "appends 3 events to 2 streams");
    let with = ImportPreview::of(FileFormat::Sandbox, &file[..1], vec!["p".into()]);
    assert_eq!(
        with.action(),
        "appends 1 event to 1 stream, then creates 1 projection"
    );
    assert_eq!(
        crate::core::transfer::group_thousands(12_345_678),
        "12,345,678"
    );
    assert_eq!(crate::core::transfer::group_thousands(999), "999");
}

#[test]
fn a_file_older_than_the_log_is_refused_after_its_conflicts() {
    let file = || events(&[("a", 0, "A", "{}"), ("b", 0, "B", "{}")]);
    let older = plan_import(file(), 5, Some("2026-11-27T00:00:00.000Z"), HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        older.starts_with("line 1: its time 2026-11-18T11:06:00.000Z is before this sandbox's last event (2026-11-27T00:00:00.000Z)"),
        "{older}"
    );
    assert!(plan_import(file(), 5, Some("2026-11-18T11:06:00.000Z"), HashMap::new()).is_ok());
    // A conflict names its line first.
    let mut rows = HashMap::new();
    rows.insert("b".to_string(), row("b", 0));
    let conflict = plan_import(file(), 5, Some("2026-11-27T00:00:00.000Z"), rows)
        .unwrap_err()
        .to_string();
    assert!(
        conflict.starts_with("line 2: stream 'b' already exists"),
        "{conflict}"
    );
}
