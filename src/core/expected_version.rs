//! Optimistic concurrency, as EventStoreDB spells it: the caller says what
//! state it believes the stream is in, and the append fails when it is wrong.

use std::fmt;

use super::error::StoreError;

/// What the caller believes about the stream before appending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpectedVersion {
    /// No check at all.
    #[default]
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must have at least one event.
    StreamExists,
    /// The stream's last event must have exactly this version.
    Exact(u64),
}

/// What the stream actually is, reported back in a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    NoStream,
    /// The version of the stream's last event.
    At(u64),
}

impl StreamState {
    pub fn from_version(version: Option<u64>) -> StreamState {
        version.map_or(StreamState::NoStream, StreamState::At)
    }
}

impl ExpectedVersion {
    /// Parses the spelling used by the JS API and the append form:
    /// `any`, `no_stream`, `stream_exists` or a non-negative integer.
    pub fn parse(text: &str) -> Result<ExpectedVersion, StoreError> {
        match text.trim() {
            "" | "any" => Ok(ExpectedVersion::Any),
            "no_stream" => Ok(ExpectedVersion::NoStream),
            "stream_exists" => Ok(ExpectedVersion::StreamExists),
            other => other
                .parse::<u64>()
                .map(ExpectedVersion::Exact)
                .map_err(|_| {
                    StoreError::InvalidArgument(format!(
                        "expected version '{other}' is not one of any, no_stream, stream_exists or a version number (0 or more)"
                    ))
                }),
        }
    }

    /// Checks the expectation against the stream's current last version.
    pub fn check(self, stream: &str, current: Option<u64>) -> Result<(), StoreError> {
        let satisfied = match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current.is_none(),
            ExpectedVersion::StreamExists => current.is_some(),
            ExpectedVersion::Exact(version) => current == Some(version),
        };
        if satisfied {
            Ok(())
        } else {
            Err(StoreError::WrongExpectedVersion {
                stream: stream.to_string(),
                expected: self,
                actual: StreamState::from_version(current),
            })
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no_stream"),
            ExpectedVersion::StreamExists => f.write_str("stream_exists"),
            ExpectedVersion::Exact(version) => write!(f, "{version}"),
        }
    }
}

impl fmt::Display for StreamState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamState::NoStream => f.write_str("no_stream"),
            StreamState::At(version) => write!(f, "{version}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_accepts_and_rejects_the_right_stream_states() {
        use ExpectedVersion::*;
        let cases = [
            (Any, None, true),
            (Any, Some(3), true),
            (NoStream, None, true),
            (NoStream, Some(0), false),
            (StreamExists, None, false),
            (StreamExists, Some(0), true),
            (Exact(0), None, false),
            (Exact(2), Some(2), true),
            (Exact(2), Some(3), false),
        ];
        for (expected, current, ok) in cases {
            assert_eq!(
                expected.check("s", current).is_ok(),
                ok,
                "{expected} against {current:?}"
            );
        }
    }

    #[test]
    fn parse_reads_every_spelling_and_names_a_bad_one() {
        assert_eq!(ExpectedVersion::parse("any"), Ok(ExpectedVersion::Any));
        assert_eq!(ExpectedVersion::parse(""), Ok(ExpectedVersion::Any));
        assert_eq!(
            ExpectedVersion::parse("no_stream"),
            Ok(ExpectedVersion::NoStream)
        );
        assert_eq!(
            ExpectedVersion::parse(" stream_exists "),
            Ok(ExpectedVersion::StreamExists)
        );
        assert_eq!(ExpectedVersion::parse("7"), Ok(ExpectedVersion::Exact(7)));
        let error = ExpectedVersion::parse("-1").unwrap_err();
        assert!(error.to_string().contains("'-1'"), "{error}");
    }

    #[test]
    fn a_conflict_names_stream_expected_and_actual() {
        let error = ExpectedVersion::Exact(1)
            .check("account-1", Some(4))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "wrong expected version for stream 'account-1': expected 1, actual 4"
        );
    }
}
