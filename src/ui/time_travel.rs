//! The Time travel page: how the time bar works, the event at the cursor
//! in full, and each projection's state as of the cursor. The time bar
//! itself is on every page (`time_bar.rs`).

use serde_json::Value;
use yew::prelude::*;

use super::cursor::use_cursor;
use super::latest::use_latest_read;
use super::route::Route;
use super::time_bar::read_event_at;
use super::{use_sandbox, Revision};
use crate::core::pretty::pretty_json;
use crate::core::ReadRequest;
use crate::service::Cursor;

/// A state longer than this is cut here; its projection's page has it all.
const STATE_PREVIEW_CHARS: usize = 2_000;

#[function_component(TimeTravelPage)]
pub fn time_travel_page() -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let cursor = use_cursor().cursor;
    let at_cursor = {
        let sandbox = sandbox.clone();
        use_latest_read(cursor, revision, move |cursor| {
            let sandbox = sandbox.clone();
            async move {
                match cursor {
                    Cursor::At(at) => read_event_at(&sandbox.0, at).await,
                    Cursor::Live => sandbox
                        .0
                        .read_all(ReadRequest::backwards(None, 1))
                        .await
                        .map(|events| events.into_iter().next())
                        .map_err(|error| error.to_string()),
                }
            }
        })
    };
    let event = match at_cursor.answer.as_deref() {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some((_, Err(message))) => html! { <p class="error-banner" role="alert">{ message }</p> },
        Some((Cursor::Live, Ok(None))) => {
            html! { <p class="muted">{ "The log is empty: append an event and it is here." }</p> }
        }
        Some((_, Ok(None))) => html! {
            <p class="muted">{ "The cursor is before the first event: nothing has happened yet, so every stream list and page is empty." }</p>
        },
        Some((_, Ok(Some(event)))) => html! {
            <div data-testid="event-at-cursor">
                <dl class="facts">
                    <dt>{ "Type" }</dt><dd><strong>{ &event.event_type }</strong></dd>
                    <dt>{ "Event" }</dt>
                    <dd>
                        <a href={Route::Event { stream: event.stream.clone(), version: event.version }.href()}>
                            { format!("{}@{}", event.version, event.stream) }
                        </a>
                    </dd>
                    <dt>{ "Position" }</dt><dd>{ event.position }</dd>
                    <dt>{ "Created" }</dt><dd class="time">{ &event.created }</dd>
                </dl>
                <h3>{ "Data" }</h3>
                <pre class="json" data-testid="event-at-cursor-data">{ pretty_json(event.data.get()) }</pre>
            </div>
        },
    };
    let heading = match cursor {
        Cursor::Live => "The newest event (live)".to_string(),
        Cursor::At(at) if at < 0 => "Before the first event".to_string(),
        Cursor::At(at) => format!("The event at the cursor, position {at}"),
    };
    html! {
        <section class="time-travel">
            <h1>{ "Time travel" }</h1>
            <p>
                { "The time bar under the header moves one cursor through " }<code>{ "$all" }</code>
                { ": drag its slider, step one event back or forward, play at a pace, or jump to a time. Every view then shows the sandbox as it was at that position (the stream list, stream pages, All events and the projections), while appends still land at the end of the log. " }
                { "Keys, when you are not typing: ← and → step, Home goes to the start (before the first event), End goes live, and Space plays or pauses." }
            </p>
            <h2>{ heading }</h2>
            { event }
            <h2>{ "Projections as of the cursor" }</h2>
            <ProjectionsAtCursor />
        </section>
    }
}

/// One projection's state as of the cursor: its root state (a partitioned
/// projection has its states on its own page).
type StateAt = (String, bool, Result<Option<Value>, String>);

#[function_component(ProjectionsAtCursor)]
fn projections_at_cursor() -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let cursor = use_cursor().cursor;
    let mut projections = sandbox.0.projections().list();
    projections.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<(String, bool)> = projections
        .iter()
        .map(|p| (p.name.clone(), p.system_projection().is_some()))
        .collect();
    let states = {
        let sandbox = sandbox.clone();
        use_latest_read((cursor, names.clone()), revision, move |(cursor, names)| {
            let sandbox = sandbox.clone();
            async move {
                let at = cursor.bound().unwrap_or(i64::MAX);
                let mut states: Vec<StateAt> = Vec::new();
                for (name, system) in names {
                    let state = if system {
                        Ok(None)
                    } else {
                        sandbox
                            .0
                            .projections()
                            .state_at(&name, None, at)
                            .await
                            .map(|(state, _)| state)
                            .map_err(|error| error.to_string())
                    };
                    states.push((name, system, state));
                }
                states
            }
        })
    };
    if names.is_empty() {
        return html! {
            <p class="muted">
                { "No projections yet. " }<a href={Route::NewProjection.href()}>{ "Create one" }</a>
                { " and its state follows the cursor here and on its page." }
            </p>
        };
    }
    let state_of = |name: &str| {
        states
            .answer
            .as_deref()
            .and_then(|(_, states)| states.iter().find(|(n, _, _)| n == name))
    };
    html! {
        <table class="projections-at">
            <thead><tr><th>{ "Projection" }</th><th>{ "State as of the cursor" }</th></tr></thead>
            <tbody>
                { for names.iter().map(|(name, system)| html! {
                    <tr key={name.clone()}>
                        <td><a href={Route::Projection(name.clone()).href()}>{ name }</a></td>
                        <td>{ match state_of(name) {
                            _ if *system => html! { <span class="muted">{ "A system projection: it keeps no state, only link streams." }</span> },
                            None => html! { <span class="muted">{ "…" }</span> },
                            Some((_, _, Err(message))) => html! { <span class="error-text">{ message }</span> },
                            Some((_, _, Ok(None))) => html! { <span class="muted">{ "No root state (a partitioned projection shows its partitions on its page)." }</span> },
                            Some((_, _, Ok(Some(state)))) => html! { <code class="state-preview">{ preview(state) }</code> },
                        } }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

fn preview(state: &Value) -> String {
    let text = state.to_string();
    match text.char_indices().nth(STATE_PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
