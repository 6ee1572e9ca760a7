//! One event: its place in the store, and its data and metadata, pretty-printed
//! as text (never as HTML); an event appended without metadata says it has
//! none. The metadata's `$correlationId` links to the correlation's events,
//! and `$causationId` / `$causedBy` to the event that caused this one. It
//! says when the event is after the time-travel cursor, and can move the
//! cursor to it. It links to the event's causal chain, starts a follow-up
//! (an event this one caused), and lists the projections that handled it.

use yew::prelude::*;

use super::causal::HandledBy;
use super::cursor::{use_cursor, CursorHandle};
use super::route::Route;
use super::{run, use_append_draft, use_sandbox, Revision};
use crate::core::causation::follow_up_metadata;
use crate::core::form::AppendFormText;
use crate::core::metadata::causation_ids_of;
use crate::core::pretty::pretty_json;
use crate::core::{ReadRequest, RecordedEvent, StoreError};
use crate::service::{Cursor, Sandbox};

#[derive(Properties, PartialEq)]
pub struct EventViewProps {
    pub stream: String,
    pub version: u64,
}

/// The event and the events its metadata names as causes.
struct Shown {
    event: RecordedEvent,
    causes: Vec<Cause>,
}

struct Cause {
    /// The metadata key that names it (`$causationId` or `$causedBy`).
    key: &'static str,
    id: String,
    /// `None` when it is not found where a cause is looked for: at the
    /// effect's `$p`, among its correlation's events, and, when it is the
    /// correlation's id, just before them (`storage::find_cause`).
    event: Option<RecordedEvent>,
    /// The event is there, but a soft delete hides it from its stream.
    hidden: bool,
}

#[function_component(EventView)]
pub fn event_view(props: &EventViewProps) -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let draft = use_append_draft();
    let CursorHandle { cursor, travel, .. } = use_cursor();
    let shown = use_state(|| None::<Result<Option<Shown>, String>>);
    {
        let shown = shown.clone();
        use_effect_with(
            (props.stream.clone(), props.version, revision),
            move |(stream, version, _)| {
                let (stream, version) = (stream.clone(), *version);
                run(
                    async move { read_shown(&sandbox.0, &stream, version).await },
                    move |result| shown.set(Some(result.map_err(|error| error.to_string()))),
                );
            },
        );
    }
    let crumbs = html! {
        <p class="crumbs">
            <a href={Route::Streams.href()}>{ "Streams" }</a>{ " / " }
            <a href={Route::Stream(props.stream.clone()).href()}>{ &props.stream }</a>{ " / " }
        </p>
    };
    let Shown { event, causes } = match &*shown {
        None => return html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(message)) => return html! { <p class="error-banner" role="alert">{ message }</p> },
        Some(Ok(None)) => {
            return html! {
                <section>{ crumbs }<p>{ format!("There is no event {}@{}.", props.version, props.stream) }</p></section>
            }
        }
        Some(Ok(Some(shown))) => shown,
    };
    let follow_up = {
        let event = event.clone();
        let set = draft.set.clone();
        Callback::from(move |_: MouseEvent| {
            set.emit(follow_up_draft(&event));
            Route::Append.go();
        })
    };
    let like_this = {
        let event = event.clone();
        Callback::from(move |_: MouseEvent| {
            draft.set.emit(AppendFormText {
                stream: event.stream.clone(),
                event_type: event.event_type.clone(),
                data: pretty_json(event.data.get()),
                metadata: event
                    .metadata
                    .as_deref()
                    .map(|metadata| pretty_json(metadata.get()))
                    .unwrap_or_default(),
                // A copy is a new event: reusing the id would be a duplicate.
                event_id: String::new(),
                expected_version: "any".into(),
            });
            Route::Append.go();
        })
    };
    let travel_here = {
        let position = event.position as i64;
        Callback::from(move |_: MouseEvent| travel.emit(Cursor::At(position)))
    };
    let after_cursor = cursor.bound().filter(|at| event.position as i64 > *at);
    let correlation = event.correlation_id();
    let not_found = if correlation.is_some() {
        " not found: no event of this correlation has this id"
    } else {
        " not found: a cause is looked up among the events of this event's $correlationId, and it has none"
    };
    html! {
        <section class="event-view">
            { crumbs }
            <h1>{ &event.event_type }</h1>
            if let Some(at) = after_cursor {
                <p class="as-of" data-testid="after-cursor">
                    { format!("This event is after the cursor (position {at}): as of the cursor, it has not happened yet.") }
                </p>
            }
            <dl class="facts">
                <dt>{ "Stream" }</dt><dd><a href={Route::Stream(event.stream.clone()).href()}>{ &event.stream }</a></dd>
                <dt>{ "Version" }</dt><dd>{ event.version }</dd>
                <dt>{ "Position" }</dt><dd>{ event.position }</dd>
                <dt>{ "Id" }</dt>
                <dd>
                    <code>{ &event.id }</code>
                    <p class="hint">{ "Appending an event with this id to this stream again, at the same expected version, succeeds without writing it twice." }</p>
                </dd>
                <dt>{ "Created" }</dt><dd>{ &event.created }</dd>
                if let Some((version, stream)) = event.link_target() {
                    <dt>{ "Links to" }</dt>
                    <dd><a href={Route::Event { stream: stream.clone(), version }.href()}>{ format!("{version}@{stream}") }</a></dd>
                }
            </dl>
            <div class="actions">
                if event.version > 0 {
                    <a class="button" href={Route::Event { stream: event.stream.clone(), version: event.version - 1 }.href()}>{ "Previous in stream" }</a>
                }
                <a class="button" href={Route::Event { stream: event.stream.clone(), version: event.version + 1 }.href()}>{ "Next in stream" }</a>
                <a class="button" href={Route::Chain { stream: event.stream.clone(), version: event.version }.href()}>{ "Causal chain" }</a>
                <button class="primary" onclick={follow_up}>{ "Append a follow-up" }</button>
                <button onclick={like_this}>{ "Append another like this" }</button>
                <button type="button" onclick={travel_here}>{ "View the world as of this event" }</button>
            </div>
            <h2>{ "Data" }</h2>
            <pre class="json" data-testid="event-data">{ pretty_json(event.data.get()) }</pre>
            <h2>{ "Metadata" }</h2>
            if correlation.is_some() || !causes.is_empty() {
                <dl class="facts metadata-links" data-testid="metadata-links">
                    if let Some(correlation) = correlation {
                        <dt><code>{ "$correlationId" }</code></dt>
                        <dd>
                            <a href={Route::Correlation(correlation.clone()).href()}><code>{ correlation }</code></a>
                            <span class="muted">{ " every event of this piece of work" }</span>
                        </dd>
                    }
                    { for causes.iter().map(|cause| cause_row(cause, not_found)) }
                </dl>
            }
            if let Some(metadata) = &event.metadata {
                <pre class="json" data-testid="event-metadata">{ pretty_json(metadata.get()) }</pre>
            } else {
                <p class="muted" data-testid="event-metadata">{ "None: this event was appended without metadata (which is not the same as {})." }</p>
            }
            <HandledBy position={event.position} />
        </section>
    }
}

/// The append form's draft for an event this one caused: same stream, a
/// type and data to fill in, and the metadata that ties it to this one.
fn follow_up_draft(event: &RecordedEvent) -> AppendFormText {
    AppendFormText {
        stream: event.stream.clone(),
        event_type: String::new(),
        data: "{}".into(),
        metadata: follow_up_metadata(&event.id, event.correlation_id().as_deref()),
        event_id: String::new(),
        expected_version: "any".into(),
    }
}

/// The cause's id links to its event, which is named beside it in plain
/// text; an id not found is shown as it is, with `not_found`.
fn cause_row(cause: &Cause, not_found: &'static str) -> Html {
    let value = match &cause.event {
        Some(event) if cause.hidden => html! {
            <>
                <code>{ &cause.id }</code>
                <span class="muted">
                    { format!(" {} {}@{}, hidden by a soft delete of its stream (it is still in $all at position {})", event.event_type, event.version, event.stream, event.position) }
                </span>
            </>
        },
        Some(event) => html! {
            <>
                <a href={Route::Event { stream: event.stream.clone(), version: event.version }.href()}>
                    <code>{ &cause.id }</code>
                </a>
                <span class="muted">
                    { format!(" {} {}@{}, the event that caused this one", event.event_type, event.version, event.stream) }
                </span>
            </>
        },
        None => html! {
            <>
                <code>{ &cause.id }</code>
                <span class="muted">{ not_found }</span>
            </>
        },
    };
    html! { <><dt><code>{ cause.key }</code></dt><dd>{ value }</dd></> }
}

/// Reads the event at `version@stream` and looks up the causes its
/// metadata names. A stream not found has no event to show.
async fn read_shown(
    sandbox: &Sandbox,
    stream: &str,
    version: u64,
) -> Result<Option<Shown>, StoreError> {
    let Some(event) = read_event(sandbox, stream, version).await? else {
        return Ok(None);
    };
    let named = event
        .metadata
        .as_deref()
        .map(causation_ids_of)
        .unwrap_or_default();
    let mut causes = Vec::new();
    for (key, id) in named {
        let cause = sandbox.cause_of(&event, &id).await?;
        let hidden = match &cause {
            Some(cause) => sandbox
                .stream(&cause.stream)
                .await?
                .is_some_and(|row| cause.version < row.truncate_before),
            None => false,
        };
        causes.push(Cause {
            key,
            id,
            event: cause,
            hidden,
        });
    }
    Ok(Some(Shown { event, causes }))
}

/// The event at `version@stream`; `None` when its stream is not found or
/// it is hidden by a soft delete.
pub(crate) async fn read_event(
    sandbox: &Sandbox,
    stream: &str,
    version: u64,
) -> Result<Option<RecordedEvent>, StoreError> {
    let read = match sandbox
        .read_stream(stream, ReadRequest::forwards(version, 1))
        .await
    {
        Err(StoreError::StreamNotFound { .. }) => return Ok(None),
        read => read?,
    };
    // A hidden version reads as the next visible one: that is not this event.
    Ok(read.into_iter().next().filter(|e| e.version == version))
}
