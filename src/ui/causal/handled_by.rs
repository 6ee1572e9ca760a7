//! "Handled by", on the event view: each user projection whose handlers
//! ran for the event, the partition it touched and what changed, from time
//! travel's per-event change (the projection's own reducer, in its
//! traveler). A projection that is faulted, stopped or behind says so
//! beside its change; one that could not be asked says why.

use yew::prelude::*;

use crate::core::projection::ProjectionStatus;
use crate::service::Handler;
use crate::ui::latest::use_latest_read;
use crate::ui::projections::event_effect;
use crate::ui::route::Route;
use crate::ui::{use_sandbox, Revision};

#[derive(Properties, PartialEq)]
pub struct HandledByProps {
    pub position: u64,
}

/// What an answer depends on besides the position: each projection's
/// name, code, generation and status. An append does not change what an
/// earlier event did; a new projection, an update or a reset does.
type Definitions = Vec<(String, String, u64, ProjectionStatus)>;

#[function_component(HandledBy)]
pub fn handled_by(props: &HandledByProps) -> Html {
    let sandbox = use_sandbox();
    // Subscribes to the change counter: re-rendered on every change the
    // page hears of, so the projections listed below are the current ones.
    let _revision = use_context::<Revision>().unwrap_or_default();
    let definitions: Definitions = sandbox
        .0
        .projections()
        .list()
        .into_iter()
        .filter(|record| record.system_projection().is_none())
        .map(|record| (record.name, record.source, record.generation, record.status))
        .collect();
    // Asked for, not read on every visit: each projection is asked in a
    // worker of its own that folds the log up to the event, and on a busy
    // machine that many workers starting beside the live ones (after a
    // reload, say) starved the live ones' watchdog into faulting them (seen
    // in the e2e suite). Once asked, it stays on while the person moves
    // from event to event.
    let asked = use_state_eq(|| false);
    let is_asked = *asked;
    let attempts = use_state_eq(|| 0_u64);
    let read = use_latest_read(
        is_asked.then_some((props.position, definitions)),
        Revision(*attempts),
        move |key| {
            let sandbox = sandbox.clone();
            async move {
                match key {
                    Some((position, _)) => sandbox.0.handlers_of(position).await,
                    None => Vec::new(),
                }
            }
        },
    );
    let body = match read.answer.as_deref() {
        _ if !is_asked => Html::default(),
        Some((Some((position, _)), handlers)) if *position == props.position => {
            if handlers.is_empty() {
                html! { <p class="muted" data-testid="handled-by-none">{ "No projection handled this event: none of them reads it, or none has a handler for its type." }</p> }
            } else {
                html! { <>{ for handlers.iter().map(|handler| handler_view(handler, props.position)) }</> }
            }
        }
        _ => {
            html! { <p class="muted" role="status">{ "Asking each projection whether it handles this event…" }</p> }
        }
    };
    let ask = Callback::from(move |_: MouseEvent| {
        if *asked {
            attempts.set(*attempts + 1);
        } else {
            asked.set(true);
        }
    });
    html! {
        <section class="handled-by" data-testid="handled-by">
            <h2>{ "Handled by" }</h2>
            <p class="hint">
                { "The projections whose handlers ran for this event, and what each changed. Each is asked through time travel: its own code runs over the log up to this event, in a worker of its own, whatever its status, and nothing is written." }
            </p>
            <button type="button" onclick={ask}>
                { if is_asked { "Ask the projections again" } else { "Ask the projections" } }
            </button>
            { body }
        </section>
    }
}

fn handler_view(handler: &Handler, position: u64) -> Html {
    let route = Route::Projection(handler.name.clone());
    let status = match handler.status {
        ProjectionStatus::Faulted => Some(format!(
            "{} is Faulted: {}. Below is what its handlers do with this event when run again.",
            handler.name,
            handler.reason.as_deref().unwrap_or("no reason was saved")
        )),
        ProjectionStatus::Stopped => Some(format!(
            "{} is Stopped at position {}{}",
            handler.name,
            handler.position,
            if handler.position < position as i64 {
                ", before this event: below is what its handlers will do when it is started."
            } else {
                "."
            }
        )),
        ProjectionStatus::Running | ProjectionStatus::Completed
            if handler.position < position as i64 =>
        {
            Some(format!(
                "{} has processed up to position {} so far; below is what its handlers do when it gets here.",
                handler.name, handler.position
            ))
        }
        ProjectionStatus::Running | ProjectionStatus::Completed => None,
    };
    let change = match &handler.change {
        Err(message) => html! {
            <p class="error-banner" role="alert" data-testid="handler-error">
                { format!("Whether {} handles this event could not be told: {message}", handler.name) }
            </p>
        },
        Ok(change) => match &change.change.fault {
            Some(fault) => html! {
                <p class="error-banner" role="alert" data-testid="handler-threw">
                    { "Its handler threw at this event: " }<code>{ fault.reason() }</code>
                </p>
            },
            None => event_effect(change),
        },
    };
    html! {
        <article class="handler" data-testid="handler" data-projection={handler.name.clone()}>
            <h3>
                <a href={route.href()}>{ &handler.name }</a>
                <span class="muted">{ format!(" · {}", handler.status) }</span>
            </h3>
            if let Some(status) = status {
                <p class="notice" data-testid="handler-status">{ status }</p>
            }
            { change }
        </article>
    }
}
