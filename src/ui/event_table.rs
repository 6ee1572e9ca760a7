//! A paged table of events, for one stream or for `$all`. Paging reads only
//! the page shown (a key range of 50), so it stays quick at 100,000 events.
//! Also the events of one correlation. In the past (the time-travel cursor
//! at a position), events after the cursor are greyed, or hidden.

use yew::prelude::*;

use super::cursor::{use_cursor, CursorHandle};
use super::latest::use_latest_read;
use super::route::Route;
use super::{count, run, use_sandbox, Revision, SandboxHandle};
use crate::core::{ReadRequest, RecordedEvent, StoreError};
use crate::service::{Cursor, Sandbox};

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

/// Versions (of a stream) or positions (of `$all`) from `first` to `last`,
/// gapless, both included.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Extent {
    first: u64,
    last: u64,
}

impl Extent {
    fn count(self) -> u64 {
        self.last + 1 - self.first
    }
}

/// A page as read: the label and the rows always come from one read.
#[derive(Clone, PartialEq)]
struct PageRead {
    events: Vec<RecordedEvent>,
    index: u64,
    /// The events paged over: all of them, or with "Hide events after the
    /// cursor", those up to it.
    paged: Option<Extent>,
    live: Option<Extent>,
    /// As of the cursor, when it is in the past: `None` inside when the
    /// stream had no event yet then.
    then: Option<Option<Extent>>,
}

/// What the page was read for: a response for anything else is dropped.
#[derive(Clone, PartialEq)]
struct PageKey {
    source: EventSource,
    newest_first: bool,
    index: u64,
    cursor: Cursor,
    hide_later: bool,
    refresh: u64,
}

#[function_component(EventPager)]
pub fn event_pager(props: &EventPagerProps) -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let cursor = use_cursor().cursor;
    let newest_first = use_state(|| true);
    let page_index = use_state(|| 0u64);
    // Later events are greyed by default: the past in the context of what
    // came after it. Hiding them shows the stream exactly as it was.
    let hide_later = use_state(|| false);
    let key = PageKey {
        source: props.source.clone(),
        newest_first: *newest_first,
        index: *page_index,
        cursor,
        hide_later: *hide_later,
        refresh: props.refresh,
    };
    let page = use_latest_read(key, revision, move |key: PageKey| {
        let sandbox = sandbox.clone();
        async move { load_page(&sandbox, &key).await.map_err(|e| e.to_string()) }
    });

    let show_stream = props.source == EventSource::All;
    let read = match page.answer.as_deref() {
        None => return html! { <p class="muted">{ "Loading…" }</p> },
        Some((_, Err(message))) => {
            return html! { <p class="error-banner" role="alert">{ message }</p> }
        }
        Some((_, Ok(read))) => read,
    };
    let total = read.paged.map_or(0, Extent::count);
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let current = read.index.min(pages - 1);
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
    let toggle_hide = {
        let (hide_later, page_index) = (hide_later.clone(), page_index.clone());
        Callback::from(move |_: Event| {
            hide_later.set(!*hide_later);
            page_index.set(0);
        })
    };
    let (first_label, last_label) = if *newest_first {
        ("Newest", "Oldest")
    } else {
        ("Oldest", "Newest")
    };
    let live_count = read.live.map_or(0, Extent::count);
    let as_of = match (cursor, read.then) {
        (Cursor::At(at), Some(then)) => Some(as_of_text(&props.source, at, then, live_count)),
        _ => None,
    };

    html! {
        <div class="event-pager" aria-busy={(!page.current).to_string()}>
            if let Some(as_of) = &as_of {
                <div class="as-of as-of-row">
                    <span data-testid="as-of">{ as_of }</span>
                    <label class="check">
                        <input type="checkbox" checked={*hide_later} onchange={toggle_hide} />
                        { "Hide events after the cursor" }
                    </label>
                </div>
            }
            <div class="toolbar">
                <label class="check">
                    <input type="checkbox" checked={*newest_first} onchange={toggle_order} />
                    { "Newest first" }
                </label>
                if as_of.is_none() {
                    <span class="muted">{ format!("{live_count} events") }</span>
                }
                <span class="spacer" />
                <button disabled={current == 0} onclick={go(0)}>{ first_label }</button>
                <button disabled={current == 0} onclick={go(current.saturating_sub(1))}>{ "Previous" }</button>
                <span class="page-of">{ format!("page {} of {pages}", current + 1) }</span>
                <button disabled={current + 1 >= pages} onclick={go(current + 1)}>{ "Next" }</button>
                <button disabled={current + 1 >= pages} onclick={go(pages - 1)}>{ last_label }</button>
            </div>
            <EventTable events={read.events.clone()} show_stream={show_stream} />
        </div>
    }
}

/// "As of position 9: version 3, 4 of 7 events".
fn as_of_text(source: &EventSource, at: i64, then: Option<Extent>, live_count: u64) -> String {
    match (source, then) {
        (EventSource::Stream(_), None) => format!(
            "As of position {at}: not created yet ({} live)",
            count(live_count, "event")
        ),
        (EventSource::Stream(_), Some(then)) => format!(
            "As of position {at}: version {}, {} of {live_count} events",
            then.last,
            then.count()
        ),
        (EventSource::All, then) => format!(
            "As of position {at}: {} of {live_count} events",
            then.map_or(0, Extent::count)
        ),
    }
}

/// Reads the events of one page, and the extents it is paged over.
async fn load_page(sandbox: &SandboxHandle, key: &PageKey) -> Result<PageRead, StoreError> {
    let sandbox = &sandbox.0;
    let live = match &key.source {
        EventSource::Stream(stream) => sandbox
            .stream(stream)
            .await?
            .filter(|row| row.count > 0)
            .map(|row| Extent {
                first: row.version + 1 - row.count,
                last: row.version,
            }),
        EventSource::All => match sandbox.event_count().await? {
            0 => None,
            count => Some(Extent {
                first: 0,
                last: count - 1,
            }),
        },
    };
    let then = match key.cursor.bound() {
        Some(at) => Some(extent_at(sandbox, &key.source, live, at).await?),
        None => None,
    };
    let (paged, bound) = match (key.hide_later, then, key.cursor.bound()) {
        (true, Some(then), Some(at)) => (then, Some(at)),
        _ => (live, None),
    };
    let Some(extent) = paged else {
        return Ok(PageRead {
            events: Vec::new(),
            index: 0,
            paged,
            live,
            then,
        });
    };
    let pages = extent.count().div_ceil(PAGE_SIZE);
    let index = key.index.min(pages - 1);
    let skipped = index * PAGE_SIZE;
    let request = if key.newest_first {
        ReadRequest::backwards(Some(extent.last - skipped), PAGE_SIZE as usize)
    } else {
        ReadRequest::forwards(extent.first + skipped, PAGE_SIZE as usize)
    };
    let events = match (&key.source, bound) {
        (EventSource::Stream(stream), None) => sandbox.read_stream(stream, request).await?,
        (EventSource::Stream(stream), Some(at)) => {
            sandbox.read_stream_to(stream, request, at).await?
        }
        (EventSource::All, None) => sandbox.read_all(request).await?,
        (EventSource::All, Some(at)) => sandbox.read_all_to(request, at).await?,
    };
    Ok(PageRead {
        events,
        index,
        paged,
        live,
        then,
    })
}

/// The events of `source` as of position `at`; `None` when it had none.
async fn extent_at(
    sandbox: &Sandbox,
    source: &EventSource,
    live: Option<Extent>,
    at: i64,
) -> Result<Option<Extent>, StoreError> {
    let Some(live) = live else {
        return Ok(None);
    };
    match source {
        EventSource::All if at < 0 => Ok(None),
        EventSource::All => Ok(Some(Extent {
            first: 0,
            last: (at as u64).min(live.last),
        })),
        EventSource::Stream(stream) => {
            match sandbox
                .read_stream_to(stream, ReadRequest::backwards(None, 1), at)
                .await
            {
                Ok(newest) => Ok(newest.first().map(|event| Extent {
                    first: live.first.min(event.version),
                    last: event.version,
                })),
                Err(StoreError::StreamNotFound { .. }) => Ok(None),
                Err(error) => Err(error),
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct EventTableProps {
    pub events: Vec<RecordedEvent>,
    pub show_stream: bool,
}

/// The events, each with "Travel here". Events after the cursor are
/// greyed and say so; the one at the cursor is marked.
#[function_component(EventTable)]
pub fn event_table(props: &EventTableProps) -> Html {
    let CursorHandle { cursor, travel, .. } = use_cursor();
    if props.events.is_empty() {
        return html! { <p class="muted">{ "No events." }</p> };
    }
    let bound = cursor.bound();
    html! {
        <table class="events">
            <thead>
                <tr>
                    if props.show_stream { <th>{ "Stream" }</th> }
                    <th class="num">{ "Version" }</th>
                    <th>{ "Type" }</th>
                    <th>{ "Created" }</th>
                    <th class="num">{ "Position" }</th>
                    <th><span class="visually-hidden">{ "Time travel" }</span></th>
                </tr>
            </thead>
            <tbody>
                { for props.events.iter().map(|event| {
                    let href = Route::Event { stream: event.stream.clone(), version: event.version }.href();
                    let position = event.position as i64;
                    let later = bound.is_some_and(|at| position > at);
                    let here = bound == Some(position);
                    let go = {
                        let travel = travel.clone();
                        Callback::from(move |_: MouseEvent| travel.emit(Cursor::At(position)))
                    };
                    html! {
                        <tr key={event.position}
                            class={classes!(later.then_some("later"), here.then_some("at-cursor"))}
                            aria-current={here.then_some("true")}>
                            // One tab stop a row: the event. Its stream and
                            // "Travel here" are a click away for a mouse
                            // here, and on the event's own page for the
                            // keyboard.
                            if props.show_stream {
                                <td><a href={Route::Stream(event.stream.clone()).href()} tabindex="-1">{ &event.stream }</a></td>
                            }
                            <td class="num">{ event.version }</td>
                            <td><a href={href}>{ &event.event_type }</a></td>
                            <td class="time">{ &event.created }</td>
                            <td class="num">{ event.position }</td>
                            <td class="travel">
                                if later { <span class="visually-hidden">{ "after the cursor " }</span> }
                                <button type="button" class="travel-here" tabindex="-1" onclick={go}
                                    title="View the world as of this event"
                                    aria-label={format!("Travel here: view the world as of position {}", event.position)}>
                                    { "Travel here" }
                                </button>
                            </td>
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
