//! The append form's rules: turns what a person typed into an input event, or
//! into messages that sit under the field they are about.

use serde_json::value::RawValue;

use super::event::{normalize_uuid, validate_stream_name, InputEvent};
use super::expected_version::{ExpectedVersion, StreamState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Stream,
    EventType,
    Data,
    Metadata,
    EventId,
    ExpectedVersion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: FormField,
    pub message: String,
}

/// The texts of the append form's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendFormText {
    pub stream: String,
    pub event_type: String,
    pub data: String,
    pub metadata: String,
    /// Blank for a fresh id; a UUID to try an idempotent append.
    pub event_id: String,
    pub expected_version: String,
}

/// A form that passed its field checks, ready for the store's own checks.
#[derive(Debug)]
pub struct AppendFormInput {
    pub stream: String,
    pub event: InputEvent,
    pub expected: ExpectedVersion,
}

/// Checks every field and reports all problems at once, each under its field.
pub fn parse_append_form(form: &AppendFormText) -> Result<AppendFormInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field, message: String| errors.push(FieldError { field, message });

    if let Err(error) = validate_stream_name(&form.stream) {
        fail(FormField::Stream, error.to_string());
    }
    if form.event_type.trim().is_empty() {
        fail(FormField::EventType, "event type is empty".into());
    }
    let data = match parse_json_text(&form.data) {
        Ok(Some(raw)) => Some(raw),
        Ok(None) => {
            fail(
                FormField::Data,
                "data is empty; enter JSON such as {}".into(),
            );
            None
        }
        Err(message) => {
            fail(FormField::Data, message);
            None
        }
    };
    let metadata = match parse_json_text(&form.metadata) {
        Ok(Some(raw)) if !raw.get().starts_with('{') => {
            fail(
                FormField::Metadata,
                "metadata must be a JSON object such as {\"$correlationId\": \"…\"}".into(),
            );
            None
        }
        Ok(raw) => raw,
        Err(message) => {
            fail(FormField::Metadata, message);
            None
        }
    };
    let event_id = form.event_id.trim();
    let id = if event_id.is_empty() {
        None
    } else {
        match normalize_uuid(event_id) {
            Some(id) => Some(serde_json::Value::String(id)),
            None => {
                fail(
                    FormField::EventId,
                    format!("event id '{event_id}' is not a UUID such as 3f0c7a9e-1d2b-4c5d-8e6f-7a8b9c0d1e2f; leave it blank for a fresh one"),
                );
                None
            }
        }
    };
    let expected = ExpectedVersion::parse(&form.expected_version)
        .map_err(|error| fail(FormField::ExpectedVersion, error.to_string()))
        .ok();

    match (errors.is_empty(), data, expected) {
        (true, Some(data), Some(expected)) => Ok(AppendFormInput {
            stream: form.stream.clone(),
            event: InputEvent {
                event_type: Some(serde_json::Value::String(
                    form.event_type.trim().to_string(),
                )),
                data: Some(data),
                metadata,
                id,
            },
            expected,
        }),
        _ => Err(errors),
    }
}

/// What a conflict means, in words a newcomer can act on: the stream is
/// missing, exists when it should not, or moved on since it was read.
pub fn explain_conflict(expected: ExpectedVersion, actual: StreamState) -> String {
    match (expected, actual) {
        (_, StreamState::NoStream) => {
            "The stream does not exist yet: append with no_stream (or any) to create it.".into()
        }
        (ExpectedVersion::NoStream, StreamState::At(version)) => format!(
            "The stream exists already (its last version is {version}), but you expected none."
        ),
        (expected, StreamState::At(version)) => format!(
            "Someone appended first: you expected {expected}, and the stream is at {version}. Reload the stream, see what changed, then decide."
        ),
    }
}

/// `Ok(None)` for blank text; otherwise the JSON, or a message that gives the
/// line and column of the first mistake.
fn parse_json_text(text: &str) -> Result<Option<Box<RawValue>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str::<Box<RawValue>>(text.trim())
        .map(Some)
        .map_err(|error| {
            let full = error.to_string();
            let reason = full.split(" at line ").next().unwrap_or(&full);
            // Trimming removed leading blank lines; count them back in.
            let skipped_lines = text.len() - text.trim_start().len();
            let skipped_lines = text[..skipped_lines].matches('\n').count();
            format!(
                "invalid JSON at line {}, column {}: {reason}",
                error.line() + skipped_lines,
                error.column()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(data: &str, metadata: &str) -> AppendFormText {
        AppendFormText {
            stream: "account-1".into(),
            event_type: "Deposited".into(),
            data: data.into(),
            metadata: metadata.into(),
            event_id: String::new(),
            expected_version: "any".into(),
        }
    }

    #[test]
    fn a_good_form_becomes_an_input_event() {
        let input = parse_append_form(&form("{\"amount\": 5}", "")).unwrap();
        assert_eq!(input.stream, "account-1");
        assert_eq!(input.event.data.unwrap().get(), "{\"amount\": 5}");
        assert!(input.event.metadata.is_none());
        assert_eq!(input.expected, ExpectedVersion::Any);
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let errors = parse_append_form(&form("{\n  \"amount\": 5,\n}", "")).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, FormField::Data);
        assert!(
            errors[0]
                .message
                .starts_with("invalid JSON at line 3, column 1"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn every_bad_field_is_reported_under_its_own_name() {
        let bad = AppendFormText {
            stream: "".into(),
            event_type: " ".into(),
            data: "".into(),
            metadata: "[1]".into(),
            event_id: "not-an-id".into(),
            expected_version: "later".into(),
        };
        let fields: Vec<FormField> = parse_append_form(&bad)
            .unwrap_err()
            .into_iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(
            fields,
            [
                FormField::Stream,
                FormField::EventType,
                FormField::Data,
                FormField::Metadata,
                FormField::EventId,
                FormField::ExpectedVersion
            ]
        );
    }

    #[test]
    fn a_given_event_id_is_normalized_and_a_blank_one_left_to_the_store() {
        let mut typed = form("{}", "");
        typed.event_id = " 3F0C7A9E-1D2B-4C5D-8E6F-7A8B9C0D1E2F ".into();
        let input = parse_append_form(&typed).unwrap();
        assert_eq!(
            input.event.id,
            Some(serde_json::Value::String(
                "3f0c7a9e-1d2b-4c5d-8e6f-7a8b9c0d1e2f".into()
            ))
        );
        assert_eq!(parse_append_form(&form("{}", "")).unwrap().event.id, None);
    }

    #[test]
    fn each_kind_of_conflict_is_worded_for_itself() {
        let missing = explain_conflict(ExpectedVersion::Exact(3), StreamState::NoStream);
        assert!(missing.contains("does not exist yet"), "{missing}");
        let exists = explain_conflict(ExpectedVersion::NoStream, StreamState::At(2));
        assert!(exists.contains("exists already"), "{exists}");
        assert!(exists.contains("last version is 2"), "{exists}");
        let moved = explain_conflict(ExpectedVersion::Exact(6), StreamState::At(7));
        assert!(
            moved.contains("Someone appended first: you expected 6, and the stream is at 7"),
            "{moved}"
        );
    }
}
