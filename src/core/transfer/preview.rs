//! What an import will do, shown before anything is written.

use std::collections::HashMap;

use super::parse::FileFormat;
use super::ImportEvent;

/// How many streams and events a preview lists by name.
pub const PREVIEW_STREAMS: usize = 8;
pub const PREVIEW_EVENTS: usize = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct ImportPreview {
    pub format: FileFormat,
    pub events: u64,
    pub streams: u64,
    /// The first streams in file order, with how many of the file's events
    /// each has.
    pub first_streams: Vec<(String, u64)>,
    /// The first events, one line of text each:
    /// `0@account-1 Opened {"owner":"Ada"}`.
    pub first_events: Vec<String>,
    /// The projections a whole-sandbox file recreates.
    pub projections: Vec<String>,
}

impl ImportPreview {
    pub fn of(format: FileFormat, events: &[ImportEvent], projections: Vec<String>) -> Self {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for event in events {
            let count = counts.entry(&event.stream).or_insert_with(|| {
                order.push(&event.stream);
                0
            });
            *count += 1;
        }
        ImportPreview {
            format,
            events: events.len() as u64,
            streams: order.len() as u64,
            first_streams: order
                .iter()
                .take(PREVIEW_STREAMS)
                .map(|stream| (stream.to_string(), counts[stream]))
                .collect(),
            first_events: events.iter().take(PREVIEW_EVENTS).map(summary).collect(),
            projections,
        }
    }

    /// What the import will do, in one sentence.
    pub fn action(&self) -> String {
        let mut action = format!(
            "appends {} to {}",
            counted(self.events, "event"),
            counted(self.streams, "stream")
        );
        if !self.projections.is_empty() {
            action.push_str(&format!(
                ", then creates {}",
                counted(self.projections.len() as u64, "projection")
            ));
        }
        action
    }
}

/// One event as a line of text; its data is shortened past 120 characters.
fn summary(event: &ImportEvent) -> String {
    const LONGEST: usize = 120;
    let data = event.data.get();
    let data = match data.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!("{}…", &data[..cut]),
        None => data.to_string(),
    };
    format!(
        "{}@{} {} {data}",
        event.version, event.stream, event.event_type
    )
}

fn counted(n: u64, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", group_thousands(n))
}

/// `12345` → `12,345`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}
