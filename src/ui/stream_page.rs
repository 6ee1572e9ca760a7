//! One stream: its events, paged, and a form to append to it. The form
//! expects the version the stream had when the page opened, which is how
//! optimistic concurrency is meant to be used. A stream that a projection
//! writes says so instead of offering the form. A stream with nothing to
//! read (it never existed, or it is soft-deleted: reading it is
//! `StreamNotFound`) is an empty page that offers to append its first event.
//! In the past, the events after the time-travel cursor are greyed or
//! hidden (`EventPager`), and the form still appends, at the end of the log.

use yew::prelude::*;

use crate::core::projection::SystemProjection;

use super::append_form::AppendForm;
use super::cursor::use_cursor;
use super::event_table::{EventPager, EventSource};
use super::route::Route;
use super::{run, use_append_draft, use_sandbox, Revision};
use crate::core::event::category_of;
use crate::core::form::AppendFormText;
use crate::core::StreamInfo;
use crate::service::Cursor;

#[derive(Properties, PartialEq)]
pub struct StreamPageProps {
    pub stream: String,
}

/// The stream's row as read, for the stream it was read for (`None`: the
/// stream never existed).
type Read = (String, Result<Option<StreamInfo>, String>);

#[function_component(StreamPage)]
pub fn stream_page(props: &StreamPageProps) -> Html {
    let sandbox = use_sandbox();
    let cursor = use_cursor().cursor;
    // On every change: a projection may start writing this stream, and the
    // first event may arrive, at any time.
    let revision = use_context::<Revision>().unwrap_or_default();
    // Read when the page opens, for the form's expected version.
    let head = use_state(|| None::<Read>);
    // Read on every change, for what the page shows.
    let now = use_state(|| None::<Read>);
    let reloads = use_state(|| 0u64);
    {
        let (head, sandbox) = (head.clone(), sandbox.clone());
        // Only when the stream changes: re-reading the head on every append
        // would move the form's expected version by itself.
        use_effect_with(props.stream.clone(), move |stream| {
            read_row(&sandbox.0, stream.clone(), head);
        });
    }
    {
        let (now, sandbox) = (now.clone(), sandbox.clone());
        use_effect_with(
            (props.stream.clone(), revision, *reloads),
            move |(stream, _, _)| read_row(&sandbox.0, stream.clone(), now),
        );
    }
    // The same callback from render to render: a new one would render the
    // form again, and a render puts the form's state back into its inputs,
    // over whatever the person is typing.
    let on_reload = use_callback(reloads.clone(), |(), reloads| reloads.set(**reloads + 1));

    let for_this = |read: &Option<Read>| match read {
        Some((stream, result)) if *stream == props.stream => Some(result.clone()),
        _ => None,
    };
    let side = match (
        sandbox.0.projections().owner_of(&props.stream),
        for_this(&head),
    ) {
        (Some(projection), _) if SystemProjection::writing(&props.stream).is_some() => html! {
            <div class="owned-stream" role="note">
                <p>
                    { "The system projection " }
                    <a href={Route::Projection(projection.clone()).href()}>{ &projection }</a>
                    { " writes this link stream. Here it is computed from the store's indexes when read, up to the position that projection has processed, so it takes no appends." }
                </p>
            </div>
        },
        (Some(projection), _) => html! {
            <div class="owned-stream" role="note">
                <p>
                    { "Projection " }
                    <a href={Route::Projection(projection.clone()).href()}>{ &projection }</a>
                    { " writes this stream. An event anyone else appends here faults the projection, so this page offers no form; to write here yourself, reset or delete the projection." }
                </p>
            </div>
        },
        (None, Some(Ok(row))) => {
            let initial = AppendFormText {
                stream: props.stream.clone(),
                expected_version: row
                    .map_or_else(|| "no_stream".into(), |row| row.version.to_string()),
                ..Default::default()
            };
            html! { <AppendForm initial={initial} on_reload={on_reload} /> }
        }
        (None, Some(Err(message))) => {
            html! { <p class="error-banner" role="alert">{ message }</p> }
        }
        (None, None) => html! { <p class="muted">{ "Loading…" }</p> },
    };
    let main = match for_this(&now) {
        Some(Ok(Some(row))) if !row.is_deleted() => html! {
            <EventPager source={EventSource::Stream(props.stream.clone())} refresh={*reloads} />
        },
        Some(Ok(row)) => html! { <EmptyStream stream={props.stream.clone()} row={row} /> },
        Some(Err(message)) => html! { <p class="error-banner" role="alert">{ message }</p> },
        None => html! { <p class="muted">{ "Loading…" }</p> },
    };
    let category = match category_of(&props.stream) {
        Some(category) => format!("category {category}"),
        None => "no category (a category is the text before the first '-')".into(),
    };
    html! {
        <section>
            <p class="crumbs"><a href={Route::Streams.href()}>{ "Streams" }</a>{ " / " }</p>
            <h1 class="stream-name">{ &props.stream }</h1>
            <p class="muted">{ category }</p>
            <div class="columns">
                <div class="main-column">{ main }</div>
                <aside class="side-column">
                    <h2>{ "Append to this stream" }</h2>
                    if cursor != Cursor::Live {
                        <p class="hint">{ "You are looking at the past; an append still lands at the end of the log, after the cursor." }</p>
                    }
                    { side }
                </aside>
            </div>
        </section>
    }
}

fn read_row(
    sandbox: &std::rc::Rc<crate::service::Sandbox>,
    stream: String,
    into: UseStateHandle<Option<Read>>,
) {
    let sandbox = std::rc::Rc::clone(sandbox);
    run(
        {
            let stream = stream.clone();
            async move { sandbox.stream(&stream).await }
        },
        move |result| into.set(Some((stream, result.map_err(|error| error.to_string())))),
    );
}

#[derive(Properties, PartialEq)]
struct EmptyStreamProps {
    stream: String,
    /// The soft-deleted stream's row; `None` when it never existed.
    row: Option<StreamInfo>,
}

/// A stream with no events to read, and the way to its first one: the
/// Append page, filled in for this stream, expecting no stream.
#[function_component(EmptyStream)]
fn empty_stream(props: &EmptyStreamProps) -> Html {
    let draft = use_append_draft();
    let fill_in = {
        let stream = props.stream.clone();
        // The link itself goes to the page; this fills in its form first.
        Callback::from(move |_: MouseEvent| {
            draft.set.emit(AppendFormText {
                stream: stream.clone(),
                expected_version: "no_stream".into(),
                ..Default::default()
            })
        })
    };
    let why = match &props.row {
        None => "This stream has no events: reading it finds no stream (StreamNotFound). Its first append creates it.".to_string(),
        Some(row) => format!(
            "This stream was soft-deleted, so reading it finds no stream (StreamNotFound); $all still has its events. An append (expecting no_stream, any or {}) brings it back, its versions going on from {}.",
            row.version,
            row.version + 1
        ),
    };
    html! {
        <div class="empty-stream" data-testid="empty-stream">
            <p>{ why }</p>
            <p><a class="button primary" href={Route::Append.href()} onclick={fill_in}>{ "Append the first event" }</a></p>
        </div>
    }
}
