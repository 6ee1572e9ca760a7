//! Which recreated projection owns which imported stream. A projection
//! claims the streams it writes (nobody else may append to them); a
//! whole-sandbox file lists projections by name and source only, so the
//! import finds each one's streams from the outputs themselves: an output's
//! id derives from (projection, generation, source position, index in that
//! source's outputs) and its metadata carries the generation (`$v`) and the
//! source position (`$p`), as `projections::output` writes them.

use std::collections::HashMap;

use serde::Deserialize;

use super::ImportEvent;
use crate::core::event::derived_uuid;

/// The most outputs one source event is looked for among: past it, an
/// output's owner is not recognised and its stream stays unclaimed.
const OUTPUTS_PER_SOURCE: usize = 256;

/// For each of `projections` that wrote some of `events`, the streams it
/// wrote, judged by each stream's last event in the file.
pub fn output_streams(
    events: &[ImportEvent],
    projections: &[String],
) -> HashMap<String, Vec<String>> {
    let mut last: HashMap<&str, &ImportEvent> = HashMap::new();
    for event in events {
        last.insert(&event.stream, event);
    }
    let mut owned: HashMap<String, Vec<String>> = HashMap::new();
    let mut streams: Vec<&&str> = last.keys().collect();
    streams.sort();
    for stream in streams {
        if let Some(owner) = owner_of(last[*stream], projections) {
            owned
                .entry(owner.to_string())
                .or_default()
                .push(stream.to_string());
        }
    }
    owned
}

/// The projection whose output `event` is, if it is one's.
fn owner_of<'a>(event: &ImportEvent, projections: &'a [String]) -> Option<&'a str> {
    #[derive(Deserialize)]
    struct Tags {
        #[serde(rename = "$v")]
        generation: Option<u64>,
        #[serde(rename = "$p")]
        source: Option<i64>,
    }
    let tags: Tags = serde_json::from_str(event.metadata.as_deref()?.get()).ok()?;
    let (generation, source) = (tags.generation?.to_string(), tags.source?.to_string());
    projections.iter().map(String::as_str).find(|name| {
        (0..OUTPUTS_PER_SOURCE).any(|index| {
            derived_uuid(&[name, &generation, &source, &index.to_string()]) == event.id
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::transfer::EventChecker;

    fn events(specs: &[(&str, &str, &str)]) -> Vec<ImportEvent> {
        let mut checker = EventChecker::new();
        specs
            .iter()
            .enumerate()
            .map(|(at, (stream, id, metadata))| {
                let text = format!(
                    r#"{{"stream":"{stream}","version":{at},"position":{at},"id":"{id}","type":"T","data":{{}},"metadata":{metadata},"created":"2026-11-18T11:06:40.123Z"}}"#
                );
                checker.check(crate::core::transfer::Place::Line(at as u64 + 1), &text).unwrap()
            })
            .collect()
    }

    #[test]
    fn an_output_is_owned_by_the_projection_its_id_derives_from() {
        let output = derived_uuid(&["totals", "2", "7", "1"]);
        let file = events(&[
            ("account-1", "3f0c7a9e-1d2b-4c5d-8e6f-7a8b9c0d1e2f", "null"),
            (
                "total-a",
                &output,
                r#"{"$v":2,"$c":7,"$p":7,"$causedBy":"x"}"#,
            ),
            (
                "forged",
                &derived_uuid(&["other", "0", "1", "0"]),
                r#"{"$v":0,"$p":1}"#,
            ),
        ]);
        let owned = output_streams(&file, &["balances".into(), "totals".into()]);
        assert_eq!(owned.len(), 1);
        assert_eq!(owned["totals"], ["total-a"]);
    }
}
