//! Import and export: the three formats (`docs/export-formats.md`) out of
//! the sandbox, and a file in: read and checked in steps (the page stays
//! responsive and a bar can move), previewed, and only then written, all
//! or nothing. Export and import are one method each, so a refusal that
//! applies to both (a locked sandbox) is one line in each.

use std::collections::HashMap;
use std::rc::Rc;

use super::{Change, Sandbox};
use crate::core::projection::{ProjectionMode, ProjectionRecord, ProjectionStatus};
use crate::core::time::iso8601_from_millis;
use crate::core::transfer::{
    detect_format, kurrentdb_file, ndjson_line, output_streams, parse_sandbox_file, sandbox_file,
    EventChecker, ExportedProjection, FileFormat, ImportEvent, ImportPreview, Place,
};
use crate::core::{AppendResult, ReadRequest, RecordedEvent, StoreError};
use crate::projections::{Lifecycle, ProjectionError};
use crate::storage::{EventStore, ImportProgress, ProjectionRows};

/// How many events one read of `$all` takes while exporting.
const EXPORT_PAGE: usize = 5_000;
/// How many lines (or events) are checked between two yields to the page.
const CHECKS_PER_STEP: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Sandbox,
    KurrentDb,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [
        ExportFormat::Ndjson,
        ExportFormat::Sandbox,
        ExportFormat::KurrentDb,
    ];

    /// The name a download of `sandbox`'s export gets.
    pub fn file_name(self, sandbox: &str) -> String {
        let extension = match self {
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Sandbox => "sandbox.json",
            ExportFormat::KurrentDb => "kurrentdb.json",
        };
        format!("{sandbox}.{extension}")
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "application/x-ndjson",
            ExportFormat::Sandbox | ExportFormat::KurrentDb => "application/json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "NDJSON: every event, one per line",
            ExportFormat::Sandbox => "Whole sandbox: events and projections",
            ExportFormat::KurrentDb => "KurrentDB events: user streams, to push to a cluster",
        }
    }
}

/// A file read and checked, with what importing it would do; nothing of
/// it is written yet.
pub struct PreparedImport {
    pub preview: ImportPreview,
    events: Vec<ImportEvent>,
    projections: Vec<ExportedProjection>,
    /// The imported streams each projection wrote, by projection.
    outputs: HashMap<String, Vec<String>>,
}

/// Told how far the check of a file is: lines (or events) done, of all.
pub type CheckProgress = Rc<dyn Fn(u64, u64)>;

impl Sandbox {
    /// The sandbox in `format`, as text.
    pub async fn export(&self, format: ExportFormat) -> Result<String, StoreError> {
        let events = self.every_event().await?;
        if format == ExportFormat::Ndjson {
            let mut text = String::new();
            for event in &events {
                text.push_str(&ndjson_line(event)?);
                text.push('\n');
            }
            return Ok(text);
        }
        let exported = iso8601_from_millis(js_sys::Date::now() as i64);
        let projections = self.user_projections();
        if format == ExportFormat::Sandbox {
            return sandbox_file(&self.name, &exported, &events, &projections);
        }
        let visible: HashMap<String, _> = self
            .store
            .streams()
            .await?
            .into_iter()
            .map(|row| (row.stream.clone(), row))
            .collect();
        kurrentdb_file(
            &self.name,
            &exported,
            &events,
            |event| {
                visible
                    .get(&event.stream)
                    .is_some_and(|row| !row.hides(event.version))
            },
            |stream| self.projections.owner_of(stream).is_some(),
            &projections,
        )
    }

    /// `$all`, read a page at a time.
    async fn every_event(&self) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events: Vec<RecordedEvent> = Vec::new();
        loop {
            let from = events.len() as u64;
            let page = self
                .store
                .read_all(ReadRequest::forwards(from, EXPORT_PAGE))
                .await?;
            let last_page = page.len() < EXPORT_PAGE;
            events.extend(page);
            if last_page {
                return Ok(events);
            }
        }
    }

    /// The user projections, as a whole-sandbox file keeps them (system
    /// projections exist in every sandbox).
    fn user_projections(&self) -> Vec<ExportedProjection> {
        self.projections
            .list()
            .into_iter()
            .filter(|record| record.system_projection().is_none())
            .map(|record| ExportedProjection {
                running: record.status == ProjectionStatus::Running,
                name: record.name,
                source: record.source,
                emit_enabled: record.emit_enabled,
            })
            .collect()
    }

    /// Reads and checks a file, a few thousand lines at a time with the
    /// page free in between; writes nothing.
    pub async fn prepare_import(
        &self,
        text: &str,
        progress: CheckProgress,
    ) -> Result<PreparedImport, StoreError> {
        let format = detect_format(text)?;
        let mut checker = EventChecker::new();
        let mut events = Vec::new();
        let projections = match format {
            FileFormat::Ndjson => {
                let lines: Vec<&str> = text.split('\n').collect();
                let total = lines.len() as u64;
                for (step, chunk) in lines.chunks(CHECKS_PER_STEP).enumerate() {
                    let first = (step * CHECKS_PER_STEP) as u64 + 1;
                    for (offset, line) in chunk.iter().enumerate() {
                        events.extend(checker.check_line(first + offset as u64, line)?);
                    }
                    progress(first - 1 + chunk.len() as u64, total);
                    yield_to_the_page().await;
                }
                Vec::new()
            }
            FileFormat::Sandbox => {
                let file = parse_sandbox_file(text)?;
                let total = file.events.len() as u64;
                for (step, chunk) in file.events.chunks(CHECKS_PER_STEP).enumerate() {
                    let first = (step * CHECKS_PER_STEP) as u64 + 1;
                    for (offset, event) in chunk.iter().enumerate() {
                        let place = Place::Event(first + offset as u64);
                        events.push(checker.check(place, event.get())?);
                    }
                    progress(first - 1 + chunk.len() as u64, total);
                    yield_to_the_page().await;
                }
                file.projections
            }
            FileFormat::KurrentDb => {
                return Err(StoreError::Import(
                    "this is a KurrentDB events file, which goes to KurrentDB (scripts/push-to-kurrentdb.mjs): it has no positions or times to import here. Import the sandbox's .ndjson or .sandbox.json export instead".into(),
                ))
            }
        };
        if events.is_empty() {
            return Err(StoreError::Import(
                "the file has no events to import".into(),
            ));
        }
        let names: Vec<String> = projections.iter().map(|p| p.name.clone()).collect();
        let outputs = output_streams(&events, &names);
        Ok(PreparedImport {
            preview: ImportPreview::of(format, &events, names),
            events,
            projections,
            outputs,
        })
    }

    /// Writes a prepared import, all or nothing, then recreates a
    /// whole-sandbox file's projections and tells every view. `progress`
    /// hears how many events are written.
    pub async fn import(
        &self,
        prepared: PreparedImport,
        progress: ImportProgress,
    ) -> Result<u64, ProjectionError> {
        self.refuse_if_locked()?;
        let PreparedImport {
            preview,
            events,
            projections,
            mut outputs,
        } = prepared;
        if preview.format == FileFormat::Sandbox {
            self.refuse_unless_empty(&projections).await?;
        }
        let imported = self.store.import(events, progress).await?;
        if let Some(last) = self
            .store
            .read_all(ReadRequest::backwards(None, 1))
            .await?
            .pop()
        {
            self.projections.appended_up_to(last.position);
            self.announce(Change::Appended {
                stream: last.stream,
                result: AppendResult {
                    next_expected_version: last.version,
                    position: last.position,
                },
            });
        }
        for projection in projections {
            // A projection owns the streams it wrote, or its first output
            // there would fault as written to from the outside. Creating
            // keeps every claim its stored row has, so the claims go first.
            if let Some(streams) = outputs.remove(&projection.name) {
                let claims = ProjectionRecord {
                    emitted_streams: streams,
                    ..ProjectionRecord::new(
                        &projection.name,
                        &projection.source,
                        ProjectionMode::Continuous,
                    )
                };
                self.store.save_projection(&claims).await?;
            }
            self.projections
                .create(
                    &projection.name,
                    &projection.source,
                    projection.emit_enabled,
                )
                .await?;
            if !projection.running {
                self.projections
                    .apply(&projection.name, Lifecycle::Stop)
                    .await?;
            }
        }
        Ok(imported)
    }

    /// A whole sandbox goes only into an empty one: its positions, and its
    /// projections' states, are the original's only there.
    async fn refuse_unless_empty(
        &self,
        projections: &[ExportedProjection],
    ) -> Result<(), StoreError> {
        let events = self.event_count().await?;
        if events > 0 {
            return Err(StoreError::Import(format!(
                "a whole-sandbox file imports into an empty sandbox only, and this one has {events} event{}; open a new one, such as ?sandbox=copy, and import it there",
                if events == 1 { "" } else { "s" }
            )));
        }
        if let Some(taken) = projections
            .iter()
            .find(|p| self.projections.record(&p.name).is_ok())
        {
            return Err(StoreError::Import(format!(
                "the file's projection '{}' exists in this sandbox already; import into a new sandbox",
                taken.name
            )));
        }
        Ok(())
    }
}

/// Lets the browser paint and handle input before the next step.
async fn yield_to_the_page() {
    gloo::timers::future::TimeoutFuture::new(0).await;
}
