//! The projections views: the list, a new projection, a one-time query, and
//! one projection's page (editor, status, state, partitions, result, log).
//!
//! One concern a file: `list.rs` (the list), `editor.rs` (templates, a new
//! projection, a query), `page.rs` (one projection's page),
//! `partition_browser.rs` and `log_view.rs` (shown by both a query's outcome
//! and a projection's page).

mod editor;
mod list;
mod log_view;
mod page;
mod partition_browser;

use serde_json::Value;

use crate::core::projection::ProjectionStatus;

pub use editor::{NewProjection, QueryPage};
pub use list::ProjectionList;
pub use page::ProjectionPage;

fn status_class(status: ProjectionStatus) -> &'static str {
    match status {
        ProjectionStatus::Running => "running",
        ProjectionStatus::Stopped => "stopped",
        ProjectionStatus::Faulted => "faulted",
        ProjectionStatus::Completed => "completed",
    }
}

/// A state or result as JSON text; none is `null`.
fn json_text(value: Option<&Value>) -> String {
    value.map_or_else(|| "null".to_string(), Value::to_string)
}
