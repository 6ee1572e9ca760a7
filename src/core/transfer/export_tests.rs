use serde_json::{json, Value};

use super::*;

fn event(stream: &str, version: u64, position: u64, metadata: Option<&str>) -> RecordedEvent {
    RecordedEvent {
        stream: stream.into(),
        version,
        position,
        id: format!("00000000-0000-4000-8000-{position:012}"),
        event_type: "Happened".into(),
        data: RawValue::from_string(format!(r#"{{"n":{position},"z":1,"a":2}}"#)).unwrap(),
        metadata: metadata.map(|m| RawValue::from_string(m.into()).unwrap()),
        created: "2026-11-18T11:06:40.123Z".into(),
    }
}

fn projection() -> ExportedProjection {
    ExportedProjection {
        name: "p".into(),
        source: "fromAll()".into(),
        emit_enabled: true,
        running: false,
    }
}

#[test]
fn an_ndjson_line_is_the_recorded_event_with_data_text_kept() {
    let line = ndjson_line(&event("a-1", 0, 0, None)).unwrap();
    assert_eq!(
        line,
        r#"{"stream":"a-1","version":0,"position":0,"id":"00000000-0000-4000-8000-000000000000","type":"Happened","data":{"n":0,"z":1,"a":2},"metadata":null,"created":"2026-11-18T11:06:40.123Z"}"#
    );
}

#[test]
fn a_sandbox_file_has_its_envelope_events_and_projections() {
    let text = sandbox_file(
        "s",
        "2026-11-27T18:00:00.000Z",
        &[event("a", 0, 0, None)],
        &[projection()],
    )
    .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["format"], "es-sandbox");
    assert_eq!(file["formatVersion"], 1);
    assert_eq!(file["sandbox"], "s");
    assert_eq!(file["exported"], "2026-11-27T18:00:00.000Z");
    assert_eq!(file["events"][0]["stream"], "a");
    assert_eq!(
        file["projections"][0],
        json!({"name": "p", "source": "fromAll()", "emitEnabled": true, "running": false})
    );
}

#[test]
fn a_kurrentdb_file_holds_visible_user_streams_in_order_of_their_first_event() {
    let events = [
        event("b", 0, 0, Some(r#"{"$correlationId":"c"}"#)),
        event("$$b", 0, 1, None),
        event("a", 0, 2, None),
        event("hidden", 0, 3, None),
        event("out-1", 0, 4, None),
        event("b", 1, 5, None),
        event("a", 1, 6, None),
    ];
    let text = kurrentdb_file(
        "s",
        "2026-11-27T18:00:00.000Z",
        &events,
        |e| !(e.stream == "hidden" || (e.stream == "a" && e.version == 0)),
        |stream| stream == "out-1",
        &[projection()],
    )
    .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["format"], "kurrentdb-events");
    let streams: Vec<&str> = file["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stream"].as_str().unwrap())
        .collect();
    assert_eq!(streams, ["b", "a"]);
    assert_eq!(
        file["streams"][0]["events"][0],
        json!({
            "eventId": "00000000-0000-4000-8000-000000000000",
            "eventType": "Happened",
            "data": {"n": 0, "z": 1, "a": 2},
            "metadata": {"$correlationId": "c"}
        })
    );
    assert_eq!(file["streams"][0]["events"][1]["metadata"], json!({}));
    assert_eq!(
        file["streams"][1]["events"].as_array().unwrap().len(),
        1,
        "from the first visible event"
    );
    assert_eq!(
        file["projections"][0],
        json!({"name": "p", "query": "fromAll()", "emitEnabled": true})
    );
    // Data keeps its key order: it is the stored text.
    assert!(text.contains(r#""data":{"n":0,"z":1,"a":2}"#));
}
