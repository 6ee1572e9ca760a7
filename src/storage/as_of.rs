//! The store as of a global position: what time travel shows of streams
//! and events. `at` is inclusive; -1 is before any event.
//!
//! Nothing here keeps history: stream versions and `$all` positions are
//! gapless and grow together, so the past is found by binary search over
//! what is stored (a stream's versions by position, `$all` by `created`).

use crate::core::read::Direction;
use crate::core::{ReadRequest, RecordedEvent, StoreError, StreamInfo};

use super::EventStore;

/// The last position whose `created` is at or before `time` (ISO-8601 UTC
/// with milliseconds, as the store writes it), or -1. The store stamps
/// appends in order, so `created` never decreases along `$all` (the sample
/// brings earlier times, but only into an empty sandbox).
pub async fn position_at<S: EventStore>(store: &S, time: &str) -> Result<i64, StoreError> {
    let Some(last) = super::last_position(store).await? else {
        return Ok(-1);
    };
    // The answer is in -1..=last: the greatest position whose time is not
    // after `time`.
    let (mut low, mut high) = (-1i64, last as i64);
    while low < high {
        let middle = low + (high - low + 1) / 2;
        let event = event_at(store, middle as u64).await?;
        if event.created.as_str() <= time {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Ok(low)
}

async fn event_at<S: EventStore>(store: &S, position: u64) -> Result<RecordedEvent, StoreError> {
    store
        .read_all(ReadRequest::forwards(position, 1))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Storage(format!("$all has no event at position {position}")))
}

/// The streams as of `at`: those begun by then, each with its version,
/// count and last update as of `at`, in order of creation.
pub async fn streams_at<S: EventStore>(store: &S, at: i64) -> Result<Vec<StreamInfo>, StoreError> {
    let mut streams = Vec::new();
    for info in store.streams().await? {
        if let Some(then) = stream_at(store, info, at).await? {
            streams.push(then);
        }
    }
    Ok(streams)
}

/// One stream as of `at`, `None` when its first visible event came later.
async fn stream_at<S: EventStore>(
    store: &S,
    info: StreamInfo,
    at: i64,
) -> Result<Option<StreamInfo>, StoreError> {
    let first = info.truncate_before;
    let stream = info.stream.clone();
    let position_of = |version: u64| {
        let stream = stream.clone();
        async move {
            let event = store
                .read_stream(&stream, ReadRequest::forwards(version, 1))
                .await?
                .into_iter()
                .next();
            Ok::<_, StoreError>(event)
        }
    };
    let Some(first_event) = position_of(first).await? else {
        return Ok(None);
    };
    if first_event.position as i64 > at {
        return Ok(None);
    }
    // The greatest version whose event is at or before `at`.
    let (mut low, mut high) = (first, info.version);
    let mut last_event = first_event.clone();
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        match position_of(middle).await? {
            Some(event) if event.position as i64 <= at => {
                low = middle;
                last_event = event;
            }
            _ => high = middle - 1,
        }
    }
    if last_event.version != low {
        last_event = position_of(low).await?.unwrap_or(last_event);
    }
    Ok(Some(StreamInfo {
        version: low,
        count: low - first + 1,
        created: first_event.created,
        updated: last_event.created,
        ..info
    }))
}

/// `$all` as of `at`: the page `request` asks for, without later events.
pub async fn read_all_to<S: EventStore>(
    store: &S,
    request: ReadRequest,
    at: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if at < 0 {
        return Ok(Vec::new());
    }
    let at = at as u64;
    let bounded = match request.direction {
        Direction::Forwards => request,
        Direction::Backwards => ReadRequest {
            from: Some(request.from.map_or(at, |from| from.min(at))),
            ..request
        },
    };
    Ok(store
        .read_all(bounded)
        .await?
        .into_iter()
        .filter(|event| event.position <= at)
        .collect())
}

/// A stream as of `at`: the page `request` asks for, without later events.
/// Backwards from the end, it starts at the stream's last version as of
/// `at`.
pub async fn read_stream_to<S: EventStore>(
    store: &S,
    stream: &str,
    request: ReadRequest,
    at: i64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let then = match store.stream(stream).await? {
        Some(info) => stream_at(store, info, at).await?,
        None => None,
    };
    let Some(then) = then else {
        return Err(StoreError::StreamNotFound {
            stream: stream.to_string(),
        });
    };
    let bounded = match request.direction {
        Direction::Forwards => request,
        Direction::Backwards => ReadRequest {
            from: Some(
                request
                    .from
                    .map_or(then.version, |from| from.min(then.version)),
            ),
            ..request
        },
    };
    Ok(store
        .read_stream(stream, bounded)
        .await?
        .into_iter()
        .filter(|event| event.position as i64 <= at)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::{derived_uuid, validate_batch};
    use crate::core::ExpectedVersion;
    use crate::storage::memory::{ready as run, MemoryStore};

    /// a-1 at 0, 2, 4; b-1 at 1, 3; c-1 at 5: times one second apart.
    fn log() -> MemoryStore {
        let store = MemoryStore::default();
        for (position, stream) in ["a-1", "b-1", "a-1", "b-1", "a-1", "c-1"]
            .iter()
            .enumerate()
        {
            let events = validate_batch(
                serde_json::from_str(r#"[{"type":"T","data":{}}]"#).unwrap(),
                &mut || derived_uuid(&[stream, &position.to_string()]),
            )
            .unwrap();
            let millis = 1_764_000_000_000 + 1000 * position as i64;
            run(store.append_with_created(stream, events, ExpectedVersion::Any, millis)).unwrap();
        }
        store
    }

    #[test]
    fn streams_as_of_a_position_have_the_versions_they_had_then() {
        let store = log();
        let shape = |at| {
            run(streams_at(&store, at))
                .unwrap()
                .into_iter()
                .map(|s| (s.stream, s.version, s.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(-1), vec![]);
        assert_eq!(shape(0), vec![("a-1".into(), 0, 1)]);
        assert_eq!(shape(3), vec![("a-1".into(), 1, 2), ("b-1".into(), 1, 2)]);
        assert_eq!(
            shape(5),
            vec![
                ("a-1".into(), 2, 3),
                ("b-1".into(), 1, 2),
                ("c-1".into(), 0, 1)
            ]
        );
        // Every position agrees with a count by hand.
        let all = run(store.read_all(ReadRequest::default())).unwrap();
        for at in 0..all.len() as i64 {
            for stream in run(streams_at(&store, at)).unwrap() {
                let by_hand = all
                    .iter()
                    .filter(|e| e.stream == stream.stream && e.position as i64 <= at)
                    .count() as u64;
                assert_eq!(stream.count, by_hand, "{} at {at}", stream.stream);
            }
        }
    }

    #[test]
    fn reads_as_of_a_position_leave_later_events_out() {
        let store = log();
        let positions =
            |events: Vec<RecordedEvent>| events.into_iter().map(|e| e.position).collect::<Vec<_>>();
        let read = |request, at| positions(run(read_all_to(&store, request, at)).unwrap());
        assert_eq!(read(ReadRequest::default(), 2), vec![0, 1, 2]);
        assert_eq!(read(ReadRequest::backwards(None, 2), 3), vec![3, 2]);
        assert_eq!(read(ReadRequest::default(), -1), Vec::<u64>::new());
        let stream =
            |request, at| positions(run(read_stream_to(&store, "a-1", request, at)).unwrap());
        assert_eq!(stream(ReadRequest::default(), 3), vec![0, 2]);
        assert_eq!(stream(ReadRequest::backwards(None, 1), 3), vec![2]);
        let missing = run(read_stream_to(&store, "c-1", ReadRequest::default(), 4));
        assert_eq!(missing.unwrap_err().name(), "StreamNotFound");
    }

    #[test]
    fn the_position_at_a_time_is_the_last_event_not_after_it() {
        let store = log();
        let at = |time: &str| run(position_at(&store, time)).unwrap();
        let all = run(store.read_all(ReadRequest::default())).unwrap();
        assert_eq!(at("2000-01-01T00:00:00.000Z"), -1);
        for event in &all {
            assert_eq!(at(&event.created), event.position as i64);
        }
        assert_eq!(at("2999-01-01T00:00:00.000Z"), 5);
        assert_eq!(
            run(position_at(
                &MemoryStore::default(),
                "2999-01-01T00:00:00.000Z"
            ))
            .unwrap(),
            -1
        );
    }
}
