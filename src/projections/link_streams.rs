//! The link streams the system projections write (`$ce-{category}`,
//! `$et-{type}`, `$bc-{correlationId}`, `$category-{category}`,
//! `$streams`), served from the store's indexes instead of stored.
//!
//! KurrentDB writes a link event per indexed event. Here an append would
//! then write four or five events instead of one, for streams that the
//! indexes the store keeps anyway already answer (ARCHITECTURE.md has the
//! measurement). So a link stream is computed when it is read: the
//! events it links to, in `$all` order, up to the position its system
//! projection has processed, numbered from 0 as KurrentDB numbers the
//! links, each a `$>` link (`$@` for `$category-`) whose data says where
//! it points. Its metadata carries what KurrentDB's handler adds (`$o`, the
//! original stream, for `$ce-`; `$eventTimestamp` for `$bc-`).
//!
//! Reading one costs a read of the whole index range up to the requested
//! page, since a link's version is its rank there.

use serde_json::json;
use serde_json::value::RawValue;

use crate::core::event::{derived_uuid, is_system_stream, LINK_EVENT_TYPE, LINK_SEPARATOR};
use crate::core::projection::{LinkIndex, SystemProjection};
use crate::core::read::Direction;
use crate::core::{ReadRequest, RecordedEvent, StoreError};
use crate::storage::EventStore;

use super::protocol::STREAM_REFERENCE_EVENT_TYPE;

/// A link stream's page, as a stream read would give it; `None` when
/// `stream` is not a link stream, `StreamNotFound` when nothing is linked
/// in it yet. Only events at positions up to `processed` are linked.
pub async fn read_link_stream<S: EventStore>(
    store: &S,
    stream: &str,
    request: ReadRequest,
    processed: i64,
) -> Result<Option<Vec<RecordedEvent>>, StoreError> {
    let Some((system, key)) = SystemProjection::writing(stream) else {
        return Ok(None);
    };
    let everything = ReadRequest::forwards(0, usize::MAX);
    // What KurrentDB's system projections read (TransactionFileEventFilter):
    // user streams only; `$by_event_type` and `$by_correlation_id` skip
    // links. (Metadata-stream events, which they also read, are not served.)
    let follows_links = system.index == LinkIndex::Category;
    let linked = |event: &RecordedEvent| {
        (event.position as i64) <= processed
            && !is_system_stream(&event.stream)
            && (follows_links || event.event_type != LINK_EVENT_TYPE)
    };
    let links: Vec<RecordedEvent> = match system.index {
        LinkIndex::Category => store.read_category(key, everything).await?,
        LinkIndex::EventType => store.read_by_type(key, everything).await?,
        LinkIndex::Correlation => store.read_by_correlation(key, everything).await?,
        LinkIndex::StreamsOfCategory | LinkIndex::Streams => {
            first_events(store, system, key).await?
        }
    }
    .into_iter()
    .filter(linked)
    .enumerate()
    .map(|(version, target)| link(stream, system, version as u64, target))
    .collect::<Result<_, _>>()?;
    if links.is_empty() {
        // As KurrentDB answers for a link stream nothing was linked to yet.
        return Err(StoreError::StreamNotFound {
            stream: stream.to_string(),
        });
    }
    Ok(Some(page(links, &request)))
}

/// The first event of each stream (of the category, for
/// `$stream_by_category`), in the order the streams began.
async fn first_events<S: EventStore>(
    store: &S,
    system: &SystemProjection,
    category: &str,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut firsts = Vec::new();
    for info in store.streams().await? {
        let wanted = match system.index {
            LinkIndex::StreamsOfCategory => info.category.as_deref() == Some(category),
            _ => !info.is_system(),
        };
        if !wanted {
            continue;
        }
        let first = match store
            .read_stream(&info.stream, ReadRequest::forwards(0, 1))
            .await
        {
            Ok(first) => first,
            // Soft-deleted since the list was read (a projection's reset).
            Err(StoreError::StreamNotFound { .. }) => continue,
            Err(error) => return Err(error),
        };
        firsts.extend(first.into_iter().filter(|event| event.version == 0));
    }
    firsts.sort_unstable_by_key(|event| event.position);
    Ok(firsts)
}

/// The link at `version` of `stream` to `target`.
fn link(
    stream: &str,
    system: &SystemProjection,
    version: u64,
    target: RecordedEvent,
) -> Result<RecordedEvent, StoreError> {
    let (event_type, data, metadata) = match system.index {
        LinkIndex::StreamsOfCategory => (STREAM_REFERENCE_EVENT_TYPE, json!(target.stream), None),
        // A link in the category points at what that link points at.
        LinkIndex::Category => (
            LINK_EVENT_TYPE,
            json!(target.link_target().map_or_else(
                || pointer(&target),
                |(version, stream)| { format!("{version}{LINK_SEPARATOR}{stream}") }
            )),
            Some(json!({ "$o": target.stream })),
        ),
        LinkIndex::Correlation => (
            LINK_EVENT_TYPE,
            json!(pointer(&target)),
            Some(json!({ "$eventTimestamp": microseconds(&target.created) })),
        ),
        LinkIndex::EventType | LinkIndex::Streams => {
            (LINK_EVENT_TYPE, json!(pointer(&target)), None)
        }
    };
    let raw = |value: serde_json::Value| {
        RawValue::from_string(value.to_string())
            .map_err(|e| StoreError::Storage(format!("could not write a link of {stream}: {e}")))
    };
    Ok(RecordedEvent {
        stream: stream.to_string(),
        version,
        position: target.position,
        id: derived_uuid(&[stream, &version.to_string()]),
        event_type: event_type.to_string(),
        data: raw(data)?,
        metadata: metadata.map(raw).transpose()?,
        created: target.created,
    })
}

/// `created` as `ByCorrelationId` formats a timestamp, to the microsecond
/// (the store keeps milliseconds).
fn microseconds(created: &str) -> String {
    match created.strip_suffix('Z') {
        Some(millis) => format!("{millis}000Z"),
        None => created.to_string(),
    }
}

/// Where a link points: `"{version}@{stream}"`.
fn pointer(target: &RecordedEvent) -> String {
    format!("{}{LINK_SEPARATOR}{}", target.version, target.stream)
}

/// The page of `links` a stream read asks for, by version.
fn page(links: Vec<RecordedEvent>, request: &ReadRequest) -> Vec<RecordedEvent> {
    match request.direction {
        Direction::Forwards => {
            let from = request.from.unwrap_or(0);
            links
                .into_iter()
                .filter(|link| link.version >= from)
                .take(request.limit)
                .collect()
        }
        Direction::Backwards => {
            let from = request.from.unwrap_or(u64::MAX);
            links
                .into_iter()
                .rev()
                .filter(|link| link.version <= from)
                .take(request.limit)
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::validate_batch;
    use crate::core::ExpectedVersion;
    use crate::storage::memory::{ready as run, MemoryStore};

    fn append(store: &MemoryStore, stream: &str, events: &str) {
        let mut n = 0;
        let events = validate_batch(serde_json::from_str(events).unwrap(), &mut || {
            n += 1;
            derived_uuid(&[stream, events, &n.to_string()])
        })
        .unwrap();
        run(store.append(stream, events, ExpectedVersion::Any)).unwrap();
    }

    fn read(store: &MemoryStore, stream: &str, processed: i64) -> Vec<(u64, String, String)> {
        run(read_link_stream(
            store,
            stream,
            ReadRequest::forwards(0, usize::MAX),
            processed,
        ))
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|e| (e.version, e.event_type, e.data.get().to_string()))
        .collect()
    }

    fn sample() -> MemoryStore {
        let store = MemoryStore::default();
        append(&store, "account-1", r#"[{"type":"Opened","data":{}}]"#);
        append(&store, "order-7", r#"[{"type":"Placed","data":{}}]"#);
        append(
            &store,
            "account-2",
            r#"[{"type":"Opened","data":{}},{"type":"Deposited","data":{}}]"#,
        );
        append(&store, "account-1", r#"[{"type":"Deposited","data":{}}]"#);
        store
    }

    // KurrentDB: Projections V1 Standard CategorizeEventsByStreamPath,
    // IndexEventsByEventType, CategorizeStreamByPath, IndexStreams.
    #[test]
    fn link_streams_number_their_links_from_zero_in_log_order() {
        let store = sample();
        let link = |v: u64, to: &str| (v, "$>".to_string(), format!("\"{to}\""));
        assert_eq!(
            read(&store, "$ce-account", i64::MAX),
            vec![
                link(0, "0@account-1"),
                link(1, "0@account-2"),
                link(2, "1@account-2"),
                link(3, "1@account-1"),
            ]
        );
        assert_eq!(
            read(&store, "$et-Deposited", i64::MAX),
            vec![link(0, "1@account-2"), link(1, "1@account-1")]
        );
        assert_eq!(
            read(&store, "$streams", i64::MAX),
            vec![
                link(0, "0@account-1"),
                link(1, "0@order-7"),
                link(2, "0@account-2")
            ]
        );
        assert_eq!(
            read(&store, "$category-account", i64::MAX),
            vec![
                (0, "$@".to_string(), "\"account-1\"".to_string()),
                (1, "$@".to_string(), "\"account-2\"".to_string()),
            ]
        );
    }

    // KurrentDB: TransactionFileEventFilter feeds the system projections
    // user streams only; IndexEventsByEventType and ByCorrelationId skip
    // links; CategorizeEventsByStreamPath re-points a link at its target.
    #[test]
    fn system_streams_are_not_linked_and_links_are_followed_only_into_categories() {
        let store = sample();
        append(
            &store,
            "$projections-p-result",
            r#"[{"type":"Deposited","data":{},"metadata":{"$correlationId":"c"}}]"#,
        );
        append(
            &store,
            "account-links",
            r#"[{"type":"$>","data":"1@account-2","metadata":{"$correlationId":"c"}}]"#,
        );
        assert_eq!(read(&store, "$et-Deposited", i64::MAX).len(), 2);
        let no_links = run(read_link_stream(
            &store,
            "$et-$>",
            ReadRequest::default(),
            i64::MAX,
        ));
        assert_eq!(no_links.unwrap_err().name(), "StreamNotFound");
        let no_correlation = run(read_link_stream(
            &store,
            "$bc-c",
            ReadRequest::default(),
            i64::MAX,
        ));
        assert_eq!(no_correlation.unwrap_err().name(), "StreamNotFound");
        let category = read(&store, "$ce-account", i64::MAX);
        assert_eq!(category.last().unwrap().2, "\"1@account-2\"");
    }

    #[test]
    fn a_link_stream_shows_only_what_its_projection_processed() {
        let store = sample();
        // Positions: 0 account-1, 1 order-7, 2 and 3 account-2, 4 account-1.
        assert_eq!(read(&store, "$ce-account", 2).len(), 2);
        let nothing_yet = run(read_link_stream(
            &store,
            "$ce-account",
            ReadRequest::default(),
            -1,
        ));
        assert_eq!(nothing_yet.unwrap_err().name(), "StreamNotFound");
    }

    #[test]
    fn a_page_is_chosen_by_version_in_either_direction() {
        let store = sample();
        let versions = |request| {
            run(read_link_stream(&store, "$ce-account", request, i64::MAX))
                .unwrap()
                .unwrap()
                .into_iter()
                .map(|e| e.version)
                .collect::<Vec<_>>()
        };
        assert_eq!(versions(ReadRequest::forwards(1, 2)), vec![1, 2]);
        assert_eq!(versions(ReadRequest::backwards(None, 2)), vec![3, 2]);
        assert_eq!(versions(ReadRequest::backwards(Some(1), 5)), vec![1, 0]);
    }

    #[test]
    fn other_streams_are_not_link_streams() {
        let store = sample();
        let read =
            |stream| run(read_link_stream(&store, stream, ReadRequest::default(), 9)).unwrap();
        assert!(read("account-1").is_none());
        assert!(read("$ce-").is_none());
    }
}
