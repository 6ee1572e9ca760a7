//! The protocol's shapes, as the worker sends and reads them.
use super::*;
use serde_json::json;

fn at() -> EventAt {
    EventAt {
        position: 9,
        stream: "account-alan".into(),
        version: 2,
        event_type: "Withdrawn".into(),
    }
}

#[test]
fn requests_are_tagged_by_op_with_the_id_beside_them() {
    let request = Request::CatchUp {
        database: "es-sandbox/x".into(),
        to: 41,
        careful: false,
        owned_streams: vec!["out".into()],
    };
    let json = serde_json::to_value(Envelope {
        id: 7,
        request: &request,
    })
    .unwrap();
    assert_eq!(
        json,
        json!({"id": 7, "op": "catchUp", "database": "es-sandbox/x", "to": 41,
               "careful": false, "ownedStreams": ["out"]})
    );
    let json = serde_json::to_value(Envelope {
        id: 8,
        request: &Request::Checkpoint,
    })
    .unwrap();
    assert_eq!(json, json!({"id": 8, "op": "checkpoint"}));
}

#[test]
fn define_carries_the_protocol_version_and_the_store_rules() {
    let json = serde_json::to_value(Request::Define {
        protocol: PROTOCOL_VERSION,
        name: "counts".into(),
        source: "fromAll()".into(),
        emit_enabled: false,
        timeout_ms: 250,
        rules: StoreRules::current(),
    })
    .unwrap();
    assert_eq!(json["protocol"], json!(PROTOCOL_VERSION));
    assert_eq!(json["name"], json!("counts"));
    assert_eq!(json["emitEnabled"], json!(false));
    assert_eq!(json["rules"]["streamReferenceEventType"], json!("$@"));
    assert_eq!(json["rules"]["streamVersionIndex"], json!("stream_version"));
    assert_eq!(json["timeoutMs"], json!(250));
    assert_eq!(json["rules"]["categorySeparator"], json!("-"));
    assert_eq!(json["rules"]["linkEventType"], json!("$>"));
    assert_eq!(json["rules"]["eventsStore"], json!("events"));
}

#[test]
fn replies_read_what_the_worker_sends() {
    let caught_up: Reply = serde_json::from_value(json!({
        "id": 3, "op": "caughtUp", "position": 9, "eventsProcessed": 10, "partitions": 2,
        "emitted": [{"stream": "out", "type": "Seen", "data": {"n": 1},
                     "metadata": {}, "sourcePosition": 9}],
        "logs": [{"message": "hi", "position": 9, "stream": "a-1", "version": 0, "type": "T"}]
    }))
    .unwrap();
    let Reply::CaughtUp {
        progress,
        emitted,
        logs,
    } = caught_up
    else {
        panic!("not caughtUp: {caught_up:?}");
    };
    assert_eq!(
        progress,
        Progress {
            position: 9,
            events_processed: 10,
            partitions: 2
        }
    );
    assert_eq!(emitted[0].data, json!({"n": 1}));
    assert_eq!(logs[0].message, "hi");

    let state: Reply =
        serde_json::from_value(json!({"id": 4, "op": "state", "state": null, "result": {"a": 1}}))
            .unwrap();
    assert_eq!(
        state,
        Reply::State {
            state: None,
            result: Some(json!({"a": 1}))
        }
    );
}

#[test]
fn an_unknown_reply_is_an_error_not_a_default() {
    assert!(serde_json::from_value::<Reply>(json!({"op": "stateOf", "id": 1})).is_err());
}

#[test]
fn checkpoints_keep_partition_order() {
    let checkpoint: Checkpoint = serde_json::from_value(json!({
        "position": 5, "eventsProcessed": 6, "shared": null,
        "partitions": [["b", {"n": 1}], ["a", 2]]
    }))
    .unwrap();
    let keys: Vec<&str> = checkpoint
        .partitions
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(keys, ["b", "a"]);
}

#[test]
fn fault_reasons_name_the_handler_the_event_and_the_line() {
    let threw = Fault::Threw {
        handler: "Withdrawn".into(),
        at: at(),
        error: "Error: overdrawn by 25".into(),
        line: Some(7),
    };
    assert_eq!(
        threw.reason(),
        "Withdrawn threw at position 9 (2@account-alan, Withdrawn): Error: overdrawn by 25 (line 7 of the source)"
    );
    let slow = Fault::TooSlow {
        handler: "Withdrawn".into(),
        at: at(),
        took_ms: 300,
        limit_ms: 250,
    };
    assert_eq!(
        slow.reason(),
        "Withdrawn ran 300 ms at position 9 (2@account-alan, Withdrawn), longer than the 250 ms limit"
    );
    let json = serde_json::to_value(Reply::Fault { fault: slow }).unwrap();
    assert_eq!(json["fault"]["kind"], json!("tooSlow"));
    assert_eq!(json["fault"]["tookMs"], json!(300));
}

#[test]
fn heartbeats_name_the_event_about_to_run() {
    let beat: Heartbeat = serde_json::from_value(json!({
        "op": "starting", "at": {"position": 9, "stream": "account-alan", "version": 2, "type": "Withdrawn"}
    }))
    .unwrap();
    assert_eq!(beat, Heartbeat::Starting { at: at() });
}
