//! A projection's page as the cursor sees it: with the cursor at a
//! position, what the event there did and the states as of it; live, a
//! word on how to move the cursor. Break on an event type is here too.

use std::collections::BTreeSet;

use yew::prelude::*;

use super::as_of::{AsOfView, Definition};
use super::break_on::BreakOn;
use super::event_change::EventChangeView;
use super::what_if::SkipChange;
use crate::ui::cursor::use_cursor;

#[derive(Properties, PartialEq)]
pub(super) struct TravelSectionProps {
    pub definition: Definition,
    pub head: i64,
    pub skipped: BTreeSet<i64>,
    pub on_skip: Callback<SkipChange>,
}

#[function_component(TravelSection)]
pub(super) fn travel_section(props: &TravelSectionProps) -> Html {
    let cursor = use_cursor();
    let break_type = use_state_eq(|| None::<String>);
    let on_pick = {
        let break_type = break_type.clone();
        Callback::from(move |picked| break_type.set(picked))
    };
    let on_toggle_skip = props.on_skip.reform(SkipChange::Toggle);
    let touched = use_state_eq(|| None::<String>);
    let on_partition = {
        let touched = touched.clone();
        // An event that touched none keeps the one shown before.
        Callback::from(move |partition: Option<String>| {
            if partition.is_some() {
                touched.set(partition)
            }
        })
    };
    html! {
        <section class="projection-travel" data-testid="travel">
            <h2>{ "Time travel" }</h2>
            <BreakOn name={props.definition.name.clone()} head={props.head} break_type={(*break_type).clone()} {on_pick} />
            if let Some(at) = cursor.cursor.bound() {
                <div class="travel-columns">
                    <EventChangeView definition={props.definition.clone()} {at} head={props.head}
                        skipped={props.skipped.contains(&at)} {on_toggle_skip}
                        break_type={(*break_type).clone()} {on_partition} />
                    <AsOfView definition={props.definition.clone()} {at} follow={(*touched).clone()} />
                </div>
            } else {
                <p class="muted" data-testid="travel-live">
                    { "The cursor is live: the states below are the projection's now. Move the cursor (the time bar at the top, ← and →, or Play here) to see them as of any event, what each event did to them, and to step past a handler that throws." }
                </p>
            }
        </section>
    }
}
