//! How reads are asked for: a start, a direction and a limit, over stream
//! versions or global positions. Also the stream list's filter.

use super::error::StoreError;
use super::event::is_system_stream;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Forwards,
    Backwards,
}

impl Direction {
    pub fn parse(text: &str) -> Result<Direction, StoreError> {
        match text {
            "forwards" => Ok(Direction::Forwards),
            "backwards" => Ok(Direction::Backwards),
            other => Err(StoreError::InvalidArgument(format!(
                "direction '{other}' is neither 'forwards' nor 'backwards'"
            ))),
        }
    }
}

/// A page of a read. `from` is a stream version or a global position, and is
/// included; `None` means the start (forwards) or the end (backwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    pub from: Option<u64>,
    pub direction: Direction,
    pub limit: usize,
}

impl Default for ReadRequest {
    fn default() -> Self {
        ReadRequest {
            from: None,
            direction: Direction::Forwards,
            limit: usize::MAX,
        }
    }
}

impl ReadRequest {
    pub fn forwards(from: u64, limit: usize) -> ReadRequest {
        ReadRequest {
            from: Some(from),
            direction: Direction::Forwards,
            limit,
        }
    }

    pub fn backwards(from: Option<u64>, limit: usize) -> ReadRequest {
        ReadRequest {
            from,
            direction: Direction::Backwards,
            limit,
        }
    }

    /// Whether a key (version or position) is on the requested side of `from`.
    pub fn admits(&self, key: u64) -> bool {
        match (self.direction, self.from) {
            (_, None) => true,
            (Direction::Forwards, Some(from)) => key >= from,
            (Direction::Backwards, Some(from)) => key <= from,
        }
    }

    /// The inclusive key range of a dense sequence `0..len` (stream versions
    /// and `$all` positions have no gaps), or `None` when nothing is in range.
    pub fn dense_range(&self, len: u64) -> Option<(u64, u64)> {
        self.dense_range_within(0, len)
    }

    /// Like [`dense_range`](Self::dense_range), over the keys `first..end`
    /// (a soft-deleted stream's visible versions start above 0).
    pub fn dense_range_within(&self, first: u64, end: u64) -> Option<(u64, u64)> {
        if first >= end || self.limit == 0 {
            return None;
        }
        let span = self.limit as u64 - 1;
        match self.direction {
            Direction::Forwards => {
                let start = self.from.unwrap_or(first).max(first);
                (start < end).then(|| (start, start.saturating_add(span).min(end - 1)))
            }
            Direction::Backwards => {
                let last = self.from.unwrap_or(end - 1).min(end - 1);
                (last >= first).then(|| (last.saturating_sub(span).max(first), last))
            }
        }
    }
}

/// Which streams the list shows: names the filter box matches, system
/// streams only when asked for, newest first, at most `limit` of them. A
/// sandbox of ten thousand streams reads and renders one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSelection {
    pub filter: String,
    pub include_system: bool,
    pub limit: usize,
}

/// One page of the stream list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamsPage<T> {
    /// Newest first.
    pub streams: Vec<T>,
    /// How many streams the selection matches in all.
    pub matching: usize,
    /// How many streams there are, matching or not.
    pub total: usize,
}

impl StreamSelection {
    pub fn admits(&self, stream: &str) -> bool {
        (self.include_system || !is_system_stream(stream))
            && stream_filter_matches(&self.filter, stream)
    }

    /// The page of `streams` (in order of creation) this selection shows.
    pub fn page<T>(&self, streams: Vec<T>, name: impl Fn(&T) -> &str) -> StreamsPage<T> {
        let total = streams.len();
        let mut matching: Vec<T> = streams
            .into_iter()
            .filter(|s| self.admits(name(s)))
            .collect();
        let count = matching.len();
        matching.reverse();
        matching.truncate(self.limit);
        StreamsPage {
            streams: matching,
            matching: count,
            total,
        }
    }
}

/// The stream list's filter box: a plain substring, or a pattern where `*`
/// stands for any run of characters. Matching ignores case.
pub fn stream_filter_matches(filter: &str, stream: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    let stream = stream.to_lowercase();
    if !filter.contains('*') {
        return stream.contains(&filter);
    }
    let parts: Vec<&str> = filter.split('*').collect();
    let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
    let Some(mut remaining) = stream.strip_prefix(first) else {
        return false;
    };
    let (last, middle) = rest.split_last().unwrap_or((&"", &[]));
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_ranges_clip_to_the_sequence() {
        let cases = [
            (ReadRequest::forwards(0, 10), 5, Some((0, 4))),
            (ReadRequest::forwards(3, 1), 5, Some((3, 3))),
            (ReadRequest::forwards(5, 10), 5, None),
            (ReadRequest::backwards(None, 2), 5, Some((3, 4))),
            (ReadRequest::backwards(Some(1), 10), 5, Some((0, 1))),
            (ReadRequest::backwards(Some(99), 2), 5, Some((3, 4))),
            (ReadRequest::default(), 0, None),
            (ReadRequest::forwards(0, 0), 5, None),
        ];
        for (request, len, range) in cases {
            assert_eq!(request.dense_range(len), range, "{request:?} over {len}");
        }
    }

    #[test]
    fn ranges_within_skip_hidden_keys() {
        let cases = [
            (ReadRequest::forwards(0, 3), Some((5, 7))),
            (ReadRequest::forwards(8, 5), Some((8, 9))),
            (ReadRequest::backwards(None, 10), Some((5, 9))),
            (ReadRequest::backwards(Some(4), 10), None),
            (ReadRequest::default(), Some((5, 9))),
        ];
        for (request, range) in cases {
            assert_eq!(request.dense_range_within(5, 10), range, "{request:?}");
        }
    }

    #[test]
    fn filter_is_a_substring_or_a_star_pattern() {
        let cases = [
            ("acc", "account-1", true),
            ("ACC", "account-1", true),
            ("xyz", "account-1", false),
            ("account-*", "account-1", true),
            ("*-1", "account-1", true),
            ("*-1", "account-12", false),
            ("a*t-*", "account-7", true),
            ("order*", "account-1", false),
            ("*", "anything", true),
            ("", "anything", true),
        ];
        for (filter, stream, matches) in cases {
            assert_eq!(
                stream_filter_matches(filter, stream),
                matches,
                "{filter} ~ {stream}"
            );
        }
    }

    #[test]
    fn a_stream_page_is_the_newest_matching_streams_and_counts_them_all() {
        let streams = [
            "account-1",
            "$$account-1",
            "order-1",
            "account-2",
            "account-3",
        ];
        let selection = StreamSelection {
            filter: "account".into(),
            include_system: false,
            limit: 2,
        };
        let page = selection.page(streams.to_vec(), |s| s);
        assert_eq!(page.streams, ["account-3", "account-2"]);
        assert_eq!(page.matching, 3, "account-1 matches too, on the next page");
        assert_eq!(page.total, 5);
        let with_system = StreamSelection {
            include_system: true,
            limit: 10,
            ..selection
        };
        assert_eq!(
            with_system.page(streams.to_vec(), |s| s).streams,
            ["account-3", "account-2", "$$account-1", "account-1"]
        );
    }

    #[test]
    fn directions_parse_or_name_the_bad_one() {
        assert_eq!(Direction::parse("backwards"), Ok(Direction::Backwards));
        let error = Direction::parse("up").unwrap_err();
        assert!(error.to_string().contains("'up'"));
    }
}
