//! The causal chain of one event, on a page of its own (`#/chain/…`): the
//! events of its correlation in position order, this one marked, and the
//! causation graph. A page rather than a section of the event view: a
//! chain can be hundreds of events, and the page has an address to share
//! in a workshop. The event view links to it.

use yew::prelude::*;

use super::graph::{causal_graph, origin_note};
use crate::core::causation::{CausalForest, ChainEvent, Origin};
use crate::core::RecordedEvent;
use crate::service::{CausalChain, CHAIN_READ_LIMIT};
use crate::ui::event_view::read_event;
use crate::ui::latest::use_latest_read;
use crate::ui::route::Route;
use crate::ui::{use_sandbox, Revision};

#[derive(Properties, PartialEq)]
pub struct CausalChainPageProps {
    pub stream: String,
    pub version: u64,
}

type Read = Result<Option<(RecordedEvent, CausalChain)>, String>;

#[function_component(CausalChainPage)]
pub fn causal_chain_page(props: &CausalChainPageProps) -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let read = use_latest_read(
        (props.stream.clone(), props.version),
        revision,
        move |(stream, version)| {
            let sandbox = sandbox.clone();
            async move {
                let read = async {
                    let Some(event) = read_event(&sandbox.0, &stream, version).await? else {
                        return Ok(None);
                    };
                    let chain = sandbox.0.causal_chain(&event).await?;
                    Ok(Some((event, chain)))
                };
                read.await
                    .map_err(|error: crate::core::StoreError| error.to_string())
                    as Read
            }
        },
    );
    let place = format!("{}@{}", props.version, props.stream);
    let event_route = Route::Event {
        stream: props.stream.clone(),
        version: props.version,
    };
    let crumbs = html! {
        <p class="crumbs">
            <a href={Route::Streams.href()}>{ "Streams" }</a>{ " / " }
            <a href={Route::Stream(props.stream.clone()).href()}>{ &props.stream }</a>{ " / " }
            <a href={event_route.href()}>{ &place }</a>{ " / " }
        </p>
    };
    let body = match read.answer.as_deref() {
        Some(((stream, version), answer))
            if *stream == props.stream && *version == props.version =>
        {
            match answer {
                Err(message) => html! { <p class="error-banner" role="alert">{ message }</p> },
                Ok(None) => html! { <p>{ format!("There is no event {place}.") }</p> },
                Ok(Some((event, chain))) => chain_body(event, chain),
            }
        }
        _ => html! { <p class="muted" role="status">{ "Loading…" }</p> },
    };
    html! {
        <section class="causal-chain">
            { crumbs }
            <h1>{ "Causal chain of " }<code>{ place }</code></h1>
            { body }
        </section>
    }
}

fn chain_body(event: &RecordedEvent, chain: &CausalChain) -> Html {
    let links: Vec<ChainEvent> = chain.events.iter().map(ChainEvent::of).collect();
    let forest = CausalForest::build(&links);
    let focus = chain
        .events
        .iter()
        .position(|e| e.position == event.position);
    let correlation = html! {
        <a href={Route::Correlation(chain.correlation.clone()).href()}><code>{ &chain.correlation }</code></a>
    };
    html! {
        <>
            <p data-testid="chain-intro">
                if chain.keyed_by_own_id {
                    { format!("This {} has no ", event.event_type) }<code>{ "$correlationId" }</code>
                    { ": it starts a piece of work, and what follows it carries its id as theirs (as KurrentDB's clients do, and \"Append a follow-up\" does). Shown: this event and every event whose " }
                    <code>{ "$correlationId" }</code>{ " is " }{ correlation }{ "." }
                } else {
                    { format!("This {} belongs to the correlation ", event.event_type) }{ correlation }
                    { ": one piece of work across streams. Shown: every event of it, the event it is named after, and the causes its events name from outside it." }
                }
            </p>
            if chain.truncated {
                <p class="notice" data-testid="chain-truncated">
                    { format!("This correlation has more than {CHAIN_READ_LIMIT} events: the first {CHAIN_READ_LIMIT} are read, and the rest are left out here.") }
                </p>
            }
            <h2>{ "Causation graph" }</h2>
            { causal_graph(&chain.events, &forest, focus) }
            <h2>{ format!("The {} events, in the order they were written", chain.events.len()) }</h2>
            <table class="chain-events" data-testid="chain-events">
                <thead>
                    <tr><th>{ "Position" }</th><th>{ "Event" }</th><th>{ "Type" }</th><th>{ "Caused by" }</th></tr>
                </thead>
                <tbody>
                    { for chain.events.iter().enumerate().map(|(index, row)| {
                        chain_row(chain, row, &forest.origins[index], focus == Some(index))
                    }) }
                </tbody>
            </table>
        </>
    }
}

fn chain_row(chain: &CausalChain, event: &RecordedEvent, origin: &Origin, current: bool) -> Html {
    let route = Route::Event {
        stream: event.stream.clone(),
        version: event.version,
    };
    let why_here = if chain.carries_correlation(event) {
        None
    } else if event.id == chain.correlation {
        Some("its id is the correlation id")
    } else if !current {
        Some("not in this correlation: named as a cause")
    } else {
        None
    };
    html! {
        <tr class={classes!(current.then_some("current"))} aria-current={current.then_some("true")}
            data-position={event.position.to_string()}>
            <td>{ event.position }</td>
            <td>
                <a href={route.href()}>{ format!("{}@{}", event.version, event.stream) }</a>
                if current {
                    <strong>{ " (this event)" }</strong>
                }
                if let Some(why) = why_here {
                    <span class="muted">{ format!(" ({why})") }</span>
                }
            </td>
            <td>{ &event.event_type }</td>
            <td>{ caused_by(chain, origin) }</td>
        </tr>
    }
}

/// The cause an event sits under, as a link, or why it sits at the top.
fn caused_by(chain: &CausalChain, origin: &Origin) -> Html {
    let link = |cause: usize, key: &str| {
        let cause = &chain.events[cause];
        let route = Route::Event {
            stream: cause.stream.clone(),
            version: cause.version,
        };
        html! {
            <>
                <a href={route.href()}>{ format!("{} {}@{}", cause.event_type, cause.version, cause.stream) }</a>
                <span class="muted">{ format!(" ({key})") }</span>
            </>
        }
    };
    match origin {
        Origin::Start => html! { <span class="muted">{ "nothing: the work starts here" }</span> },
        Origin::CausedBy { cause, key } => link(*cause, key),
        Origin::Cycle { cause, key } => html! {
            <>{ link(*cause, key) }<span class="muted">{ origin_note(origin) }</span></>
        },
        Origin::CauseMissing { key, id } => html! {
            <><code>{ id }</code><span class="muted">{ format!(" ({key}): not found in this correlation") }</span></>
        },
        Origin::CausedBySelf { key } => {
            html! { <span class="muted">{ format!("itself ({key})") }</span> }
        }
    }
}
