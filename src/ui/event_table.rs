//! A paged table of events, for one stream or for `$all`. Paging reads only
//! the page shown (a key range of 50), so it stays quick at 100,000 events.
//! Also the events of one correlation.

use yew::prelude::*;

use super::route::Route;
use super::{run, use_sandbox, Revision, SandboxHandle};
use crate::core::{ReadRequest, RecordedEvent, StoreError};

const PAGE_SIZE: u64 = 50;

#[derive(Clone, PartialEq)]
pub enum EventSource {
    Stream(String),
    All,
}

#[derive(Properties, PartialEq)]
pub struct EventPagerProps {
    pub source: EventSource,
    /// Read again whenever this moves ("Reload the stream"), besides on
    /// every change this page hears of.
    #[prop_or_default]
    pub refresh: u64,
}

#[derive(Clone, PartialEq)]
enum Page {
    Loading,
    /// A page as read: the label and the rows always come from one read.
    Loaded {
        events: Vec<RecordedEvent>,
        total: u64,
        index: u64,
    },
    Failed(String),
}

#[function_component(EventPager)]
pub fn event_pager(props: &EventPagerProps) -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let newest_first = use_state(|| true);
    let page_index = use_state(|| 0u64);
    let page = use_state(|| Page::Loading);

    {
        let page = page.clone();
        let sandbox = sandbox.clone();
        use_effect_with(
            (
                props.source.clone(),
                *newest_first,
                *page_index,
                revision,
                props.refresh,
            ),
            move |(source, newest_first, page_index, _, _)| {
                let (source, newest_first, page_index) =
                    (source.clone(), *newest_first, *page_index);
                run(
                    async move { load_page(&sandbox, &source, newest_first, page_index).await },
                    move |result| {
                        page.set(match result {
                            Ok((events, total)) => Page::Loaded {
                                events,
                                total,
                                index: page_index,
                            },
                            Err(error) => Page::Failed(error.to_string()),
                        })
                    },
                );
            },
        );
    }

    let show_stream = props.source == EventSource::All;
    let (events, total, index) = match &*page {
        Page::Loading => return html! { <p class="muted">{ "Loading…" }</p> },
        Page::Failed(message) => {
            return html! { <p class="error-banner" role="alert">{ message }</p> }
        }
        Page::Loaded {
            events,
            total,
            index,
        } => (events, *total, *index),
    };
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let current = index.min(pages - 1);
    let go = |target: u64| {
        let page_index = page_index.clone();
        Callback::from(move |_: MouseEvent| page_index.set(target))
    };
    let toggle_order = {
        let newest_first = newest_first.clone();
        let page_index = page_index.clone();
        Callback::from(move |_: Event| {
            newest_first.set(!*newest_first);
            page_index.set(0);
        })
    };
    let (first_label, last_label) = if *newest_first {
        ("Newest", "Oldest")
    } else {
        ("Oldest", "Newest")
    };

    html! {
        <div class="event-pager">
            <div class="toolbar">
                <label class="check">
                    <input type="checkbox" checked={*newest_first} onchange={toggle_order} />
                    { "Newest first" }
                </label>
                <span class="muted">{ format!("{total} events") }</span>
                <span class="spacer" />
                <button disabled={current == 0} onclick={go(0)}>{ first_label }</button>
                <button disabled={current == 0} onclick={go(current.saturating_sub(1))}>{ "Previous" }</button>
                <span class="page-of">{ format!("page {} of {pages}", current + 1) }</span>
                <button disabled={current + 1 >= pages} onclick={go(current + 1)}>{ "Next" }</button>
                <button disabled={current + 1 >= pages} onclick={go(pages - 1)}>{ last_label }</button>
            </div>
            <EventTable events={events.clone()} show_stream={show_stream} />
        </div>
    }
}

/// Reads the events of one page and the total they are paged over.
async fn load_page(
    sandbox: &SandboxHandle,
    source: &EventSource,
    newest_first: bool,
    page_index: u64,
) -> Result<(Vec<RecordedEvent>, u64), StoreError> {
    let sandbox = &sandbox.0;
    let total = match source {
        EventSource::Stream(stream) => sandbox.stream(stream).await?.map_or(0, |row| row.count),
        EventSource::All => sandbox.event_count().await?,
    };
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let pages = total.div_ceil(PAGE_SIZE);
    let skipped = page_index.min(pages - 1) * PAGE_SIZE;
    let request = if newest_first {
        ReadRequest::backwards(Some(total - 1 - skipped), PAGE_SIZE as usize)
    } else {
        ReadRequest::forwards(skipped, PAGE_SIZE as usize)
    };
    let events = match source {
        EventSource::Stream(stream) => sandbox.read_stream(stream, request).await?,
        EventSource::All => sandbox.read_all(request).await?,
    };
    Ok((events, total))
}

#[derive(Properties, PartialEq)]
pub struct EventTableProps {
    pub events: Vec<RecordedEvent>,
    pub show_stream: bool,
}

#[function_component(EventTable)]
pub fn event_table(props: &EventTableProps) -> Html {
    if props.events.is_empty() {
        return html! { <p class="muted">{ "No events." }</p> };
    }
    html! {
        <table class="events">
            <thead>
                <tr>
                    if props.show_stream { <th>{ "Stream" }</th> }
                    <th class="num">{ "Version" }</th>
                    <th>{ "Type" }</th>
                    <th>{ "Created" }</th>
                    <th class="num">{ "Position" }</th>
                </tr>
            </thead>
            <tbody>
                { for props.events.iter().map(|event| {
                    let href = Route::Event { stream: event.stream.clone(), version: event.version }.href();
                    html! {
                        <tr key={event.position}>
                            // One tab stop a row: the event. Its stream is
                            // a click away for a mouse here, and a link on
                            // the event's own page for the keyboard.
                            if props.show_stream {
                                <td><a href={Route::Stream(event.stream.clone()).href()} tabindex="-1">{ &event.stream }</a></td>
                            }
                            <td class="num">{ event.version }</td>
                            <td><a href={href}>{ &event.event_type }</a></td>
                            <td class="time">{ &event.created }</td>
                            <td class="num">{ event.position }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

/// The most events a correlation view shows; a correlation is one piece of
/// work, far smaller than this.
const CORRELATION_LIMIT: usize = 500;

#[derive(Properties, PartialEq)]
pub struct CorrelationViewProps {
    pub correlation_id: String,
}

/// Every event whose metadata carries one `$correlationId`, across streams,
/// in the order they were written.
#[function_component(CorrelationView)]
pub fn correlation_view(props: &CorrelationViewProps) -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let events = use_state(|| None::<Result<Vec<RecordedEvent>, String>>);
    {
        let events = events.clone();
        use_effect_with(
            (props.correlation_id.clone(), revision),
            move |(correlation_id, _)| {
                let correlation_id = correlation_id.clone();
                run(
                    async move {
                        sandbox
                            .0
                            .read_by_correlation(
                                &correlation_id,
                                ReadRequest::forwards(0, CORRELATION_LIMIT),
                            )
                            .await
                    },
                    move |result| events.set(Some(result.map_err(|error| error.to_string()))),
                );
            },
        );
    }
    let body = match &*events {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(message)) => html! { <p class="error-banner" role="alert">{ message }</p> },
        Some(Ok(events)) => html! {
            <>
                <p class="muted">
                    { match events.len() {
                        CORRELATION_LIMIT => format!("The first {CORRELATION_LIMIT} events"),
                        1 => "1 event".to_string(),
                        count => format!("{count} events"),
                    } }
                </p>
                <EventTable events={events.clone()} show_stream={true} />
            </>
        },
    };
    html! {
        <section>
            <p class="crumbs"><a href={Route::Streams.href()}>{ "Streams" }</a>{ " / " }</p>
            <h1>{ "Correlation " }<code>{ &props.correlation_id }</code></h1>
            <p>
                { "Every event whose metadata has this " }<code>{ "$correlationId" }</code>
                { ": one piece of work across streams, in the order it was written. Each event's " }
                <code>{ "$causationId" }</code>{ " names the event that caused it." }
            </p>
            { body }
        </section>
    }
}
