//! The landing view: the streams, newest first (as KurrentDB's stream
//! browser lists recently created streams), a page at a time, with a filter.
//! While the sandbox is empty it explains event sourcing and offers a sample.
//! In the past (the time-travel cursor at a position) it lists the streams
//! as they were then.

use yew::prelude::*;

use super::cursor::use_cursor;
use super::latest::use_latest_read;
use super::route::Route;
use super::{run, use_sandbox, Revision};
use crate::core::{StoreError, StreamInfo, StreamSelection};
use crate::service::Cursor;

/// How many rows the list renders at first, and adds per "Show more": a
/// sandbox with ten thousand streams must not build ten thousand rows.
const ROWS_PER_PAGE: usize = 100;

#[function_component(StreamList)]
pub fn stream_list() -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let cursor = use_cursor().cursor;
    let filter = use_state(String::new);
    let show_system = use_state(|| false);
    let shown = use_state(|| ROWS_PER_PAGE);
    let selection = StreamSelection {
        filter: (*filter).clone(),
        include_system: *show_system,
        limit: *shown,
    };
    let streams = {
        let sandbox = sandbox.clone();
        use_latest_read(
            (cursor, selection.clone()),
            revision,
            move |(cursor, selection)| {
                let sandbox = sandbox.clone();
                async move {
                    match cursor {
                        Cursor::Live => sandbox.0.streams_page(&selection).await,
                        // Streams not created by then are left out.
                        Cursor::At(at) => sandbox
                            .0
                            .streams_at(at)
                            .await
                            .map(|rows| selection.page(rows, |row| &row.stream)),
                    }
                    .map_err(|error| error.to_string())
                }
            },
        )
    };

    let ((read_for, read_selection), page) = match streams.answer.as_deref() {
        None => return html! { <p class="muted">{ "Loading…" }</p> },
        Some((_, Err(message))) => {
            return html! { <p class="error-banner" role="alert">{ message }</p> }
        }
        Some(((Cursor::Live, _), Ok(page))) if page.total == 0 => return html! { <Welcome /> },
        Some((key, Ok(page))) => (key, page),
    };
    let read_for = *read_for;
    // Until the read for a new filter returns, the rows it rules out leave
    // at once; the rest of its answer is still to come.
    let settled = *read_selection == selection;
    let rows: Vec<&StreamInfo> = page
        .streams
        .iter()
        .filter(|row| selection.admits(&row.stream))
        .collect();
    let on_filter = {
        let (filter, shown) = (filter.clone(), shown.clone());
        Callback::from(move |e: InputEvent| {
            shown.set(ROWS_PER_PAGE);
            filter.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let on_system = {
        let show_system = show_system.clone();
        Callback::from(move |_: Event| show_system.set(!*show_system))
    };
    let hidden = page.matching.saturating_sub(page.streams.len());
    let on_more = {
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| shown.set(*shown + ROWS_PER_PAGE))
    };

    html! {
        <section>
            <h1>{ "Streams" }</h1>
            if let Cursor::At(at) = read_for {
                <p class="as-of" data-testid="as-of">
                    { match at {
                        -1 => "Before the first event: no stream exists yet.".to_string(),
                        at => format!("As of position {at}: the streams created by then, with the version, count and last update they had then."),
                    } }
                </p>
            }
            <div class="toolbar">
                <input type="search" class="filter" aria-label="Filter streams"
                    placeholder="Filter: ada, or account-*"
                    value={(*filter).clone()} oninput={on_filter} />
                <label class="check">
                    <input type="checkbox" checked={*show_system} onchange={on_system} />
                    { "Show system streams" }
                </label>
                <span class="spacer" />
                <a class="button" href={Route::Append.href()}>{ "Append an event" }</a>
            </div>
            if page.total == 0 {
                <p class="muted">{ "No streams yet at this point." }</p>
            } else if rows.is_empty() && !settled {
                <p class="muted">{ "Filtering…" }</p>
            } else if page.matching == 0 {
                <p class="muted">{ "No stream matches the filter." }</p>
            } else {
                <table class="streams">
                    <thead>
                        <tr>
                            <th>{ "Stream" }</th>
                            <th>{ "Category" }</th>
                            <th class="num">{ "Version" }</th>
                            <th class="num">{ "Count" }</th>
                            <th>{ "Last updated" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for rows.iter().map(|row| html! {
                            <tr key={row.stream.clone()}>
                                <td><a href={Route::Stream(row.stream.clone()).href()}>{ &row.stream }</a></td>
                                <td>{ row.category.as_deref().unwrap_or_default() }</td>
                                <td class="num">{ row.version }</td>
                                <td class="num">{ row.count }</td>
                                <td class="time">{ &row.updated }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                if hidden > 0 {
                    <p class="more">
                        <span class="muted">{ format!("{} of {} streams shown. ", page.streams.len(), page.matching) }</span>
                        <button onclick={on_more}>
                            { format!("Show {} more", hidden.min(ROWS_PER_PAGE)) }
                        </button>
                    </p>
                }
            }
        </section>
    }
}

/// First run: what event sourcing is, and one click to something to look at.
#[function_component(Welcome)]
fn welcome() -> Html {
    let sandbox = use_sandbox();
    let refused = use_state(|| None::<StoreError>);
    let loading = use_state(|| false);
    let load_sample = {
        let (refused, loading) = (refused.clone(), loading.clone());
        let sandbox = sandbox.clone();
        Callback::from(move |_: MouseEvent| {
            loading.set(true);
            let sandbox = sandbox.clone();
            let (refused, loading) = (refused.clone(), loading.clone());
            run(
                async move { sandbox.0.load_sample().await },
                move |result| {
                    loading.set(false);
                    if let Err(error) = result {
                        refused.set(Some(error));
                    }
                },
            );
        })
    };
    // Another tab may have written since this page looked: then the sample
    // is refused, and a sandbox of its own is one click away.
    let sample_sandbox = match sandbox.0.name() {
        "sample" => "sample-2",
        _ => "sample",
    };
    html! {
        <section class="welcome">
            <h1>{ "Welcome to your event store" }</h1>
            <p>
                { "Event sourcing stores what happened instead of what is. Every change is an " }
                <strong>{ "event" }</strong>
                { " appended to a " }<strong>{ "stream" }</strong>
                { " (one per thing, such as account-42). Current state is worked out by replaying the events, so nothing is ever overwritten and you can ask how you got here." }
            </p>
            <p>
                { "This sandbox keeps everything in your browser (IndexedDB) and speaks EventStoreDB's model: stream versions, a global position, expected-version checks and categories." }
            </p>
            <div class="actions">
                <button class="primary" disabled={*loading} onclick={load_sample}>
                    { if *loading { "Loading…" } else { "Load the bank account sample" } }
                </button>
                <a class="button" href={Route::Append.href()}>{ "Append your first event" }</a>
                <a class="button" href={Route::Scenarios.href()}>{ "Browse the workshop scenarios" }</a>
            </div>
            <p class="muted">{ "The sample opens three accounts and records four weeks of deposits, withdrawals and a transfer." }</p>
            if let Some(error) = &*refused {
                <div class="error-banner" role="alert">
                    <p>{ error.to_string() }</p>
                    if matches!(error, StoreError::SandboxNotEmpty { .. }) {
                        <p>
                            <a href={format!("?sandbox={sample_sandbox}")}>
                                { format!("Open the sandbox \"{sample_sandbox}\" for the sample") }
                            </a>
                        </p>
                    }
                </div>
            }
        </section>
    }
}
