//! A projection's states as of the cursor: what it had right after the
//! event at position p, from the projection's own traveler (the same
//! reducer worker and dialect as the live run), with the handlers that
//! threw on the way.

use yew::prelude::*;

use super::states_view::{StatesText, StatesView};
use crate::projections::protocol::Fault;
use crate::projections::ViewAt;
use crate::service::Cursor;
use crate::ui::cursor::use_cursor;
use crate::ui::latest::use_latest_read;
use crate::ui::route::Route;
use crate::ui::{count, use_sandbox, Revision};

/// What a projection's as-of answers depend on besides the position: its
/// name and the code it runs. The log up to a position never changes, so
/// an append does not make them stale; an update or a reset does.
#[derive(Clone, PartialEq)]
pub(super) struct Definition {
    pub name: String,
    pub source: String,
    pub generation: u64,
}

#[derive(Properties, PartialEq)]
pub(super) struct AsOfViewProps {
    pub definition: Definition,
    pub at: i64,
    /// The partition the event at the cursor touched, shown until the
    /// person picks another.
    #[prop_or_default]
    pub follow: Option<String>,
}

#[function_component(AsOfView)]
pub(super) fn as_of_view(props: &AsOfViewProps) -> Html {
    let sandbox = use_sandbox();
    let travel = use_cursor().travel;
    // The log up to a position never changes: only the key (a move, an
    // update, a reset) makes an answer stale, not the app's revision. A
    // failed read (a worker stopped by the watchdog) is tried again on
    // asking.
    let attempts = use_state_eq(|| 0_u64);
    let read = use_latest_read(
        (props.definition.clone(), props.at),
        Revision(*attempts),
        move |(definition, at): (Definition, i64)| {
            let sandbox = sandbox.clone();
            async move {
                let host = sandbox.0.projections();
                host.view_at(&definition.name, at)
                    .await
                    .map(|ViewAt { view, faults }| {
                        let states = StatesText::new(
                            view.shape,
                            view.state.as_ref(),
                            view.result.as_ref(),
                            &view.partitions,
                        );
                        (states, faults)
                    })
                    .map_err(|error| error.to_string())
            }
        },
    );
    let to_live = Callback::from(move |_: MouseEvent| travel.emit(Cursor::Live));
    let body = match read.answer.as_deref() {
        None => {
            html! { <p class="muted" role="status">{ format!("Reading the state as of position {}…", props.at) }</p> }
        }
        Some(((_, answered), outcome)) => {
            let pending = (!read.current).then(|| html! {
                <p class="muted" role="status">{ format!("Showing position {answered} while position {} is read…", props.at) }</p>
            });
            let shown = match outcome {
                Err(message) => html! {
                    <p class="error-banner" role="alert" data-testid="as-of-error">
                        { format!("The state as of position {answered} could not be read: {message} ") }
                        { read_again(&attempts) }
                    </p>
                },
                Ok((states, faults)) => html! {
                    <>
                        <FaultList faults={faults.clone()} />
                        <div data-testid="as-of-states"><StatesView states={states.clone()} follow={props.follow.clone()} /></div>
                    </>
                },
            };
            html! { <>{ pending }{ shown }</> }
        }
    };
    html! {
        <section class="projection-as-of" aria-label="The projection as of the cursor">
            <p class="as-of as-of-banner" data-testid="as-of-banner">
                <strong>{ format!("As of position {}", props.at) }</strong>
                { " · the states as they were right after that event, folded by the same reducer as the live projection. The live projection goes on; nothing here changes it. " }
                <button type="button" onclick={to_live}>{ "Back to live" }</button>
            </p>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct FaultListProps {
    pub faults: Vec<Fault>,
}

/// The handlers that threw on the way to a position: in time travel their
/// events are left out and the fold goes on, so the states after them can
/// be seen.
#[function_component(FaultList)]
pub(super) fn fault_list(props: &FaultListProps) -> Html {
    if props.faults.is_empty() {
        return Html::default();
    }
    html! {
        <div class="travel-faults" data-testid="travel-faults">
            <p><strong>{ format!("{} threw on the way here", count(props.faults.len() as u64, "handler")) }</strong>
                { "; each event whose handler threw was left out, and the fold went on from the state before it. The live projection would stop there, as Faulted." }</p>
            <ul>
                { for props.faults.iter().map(|fault| html! {
                    <li data-testid="travel-fault">{ fault_event_link(fault) }<code>{ fault.reason() }</code></li>
                }) }
            </ul>
        </div>
    }
}

/// A button that reads again what failed.
pub(super) fn read_again(attempts: &UseStateHandle<u64>) -> Html {
    let attempts = attempts.clone();
    let onclick = Callback::from(move |_: MouseEvent| attempts.set(*attempts + 1));
    html! { <button type="button" {onclick}>{ "Read again" }</button> }
}

/// A link to the event a handler threw at, when there is one.
pub(super) fn fault_event_link(fault: &Fault) -> Html {
    match fault.at() {
        Some(at) => html! {
            <>
                <a href={Route::Event { stream: at.stream.clone(), version: at.version }.href()}>
                    { format!("{}@{} (position {})", at.version, at.stream, at.position) }
                </a>
                { ": " }
            </>
        },
        None => Html::default(),
    }
}
