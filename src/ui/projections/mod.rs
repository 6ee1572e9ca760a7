//! The projections views: the list, a new projection, a one-time query, and
//! one projection's page (editor, status, state, partitions, result, log).
//!
//! One concern a file: `list.rs` (the list), `editor.rs` (a new projection,
//! a query), `page.rs` (one projection's page), `templates.rs` (the
//! starting points), `drafts.rs` (unsaved text kept in the browser, and
//! the guard before leaving it), `trial.rs` (running a source without
//! saving it: a query, or a check), and what several of them show:
//! `states_view.rs`, `partition_browser.rs` and `log_view.rs`.
//!
//! Time travel on a projection's page: `travel_panel.rs` (the section that
//! follows the cursor), `as_of.rs` (the states as of the cursor),
//! `event_change.rs` (what the event at the cursor did), `break_on.rs`
//! (play until an event type), `what_if.rs` (skipping events),
//! `compare_view.rs` (a draft against the saved reducer), `diff_view.rs`
//! (diffs and side-by-side states). Each reads through
//! `ui::latest::use_latest_read`, so scrubbing keeps one read in flight.

mod as_of;
mod break_on;
mod compare_view;
mod diff_view;
mod drafts;
mod editor;
mod event_change;
mod list;
mod log_view;
mod page;
mod partition_browser;
mod states_view;
mod templates;
mod travel_panel;
mod trial;
mod what_if;

use serde_json::Value;

use crate::core::projection::ProjectionStatus;

pub use editor::{NewProjection, QueryPage};
pub(crate) use event_change::effect as event_effect;
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

/// The browser's confirm dialog. A window that cannot show one (it never
/// fails in a page) counts as "no", so nothing is lost without a yes.
fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|window| window.confirm_with_message(question).ok())
        .unwrap_or(false)
}
