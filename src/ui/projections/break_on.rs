//! Break on an event type: play the cursor forward, one event at a time,
//! and stop where this projection handles an event of the picked type.
//!
//! The time bar's own play belongs to the time bar and offers no way to
//! pause it from here, so this page plays the cursor itself: its Play
//! moves the one global cursor (every view follows), and stops at a break.
//! When the time bar's play lands on such an event, the event's panel
//! marks it, but cannot stop that play.

use std::cell::Cell;
use std::rc::Rc;

use gloo::timers::future::TimeoutFuture;
use yew::prelude::*;

use crate::core::ReadRequest;
use crate::service::{Cursor, Sandbox};
use crate::ui::cursor::use_cursor;
use crate::ui::latest::use_latest_read;
use crate::ui::{use_sandbox, Revision};

/// Play's pace: fast enough to get somewhere, slow enough to watch.
const EVENTS_PER_SECOND: u32 = 8;
/// How many recent events the type picker suggests types from.
const TYPES_FROM_RECENT: usize = 500;
/// How far "next" looks at most, in events of the type.
const NEXT_LOOKS_AT_MOST: usize = 2_000;

#[derive(Properties, PartialEq)]
pub(super) struct BreakOnProps {
    pub name: String,
    /// The last position in `$all`: new events may bring new types.
    pub head: i64,
    pub break_type: Option<String>,
    pub on_pick: Callback<Option<String>>,
}

/// What the last play or search ended with.
#[derive(Clone, PartialEq)]
enum Outcome {
    Idle,
    Playing,
    Searching,
    Stopped { event_type: String, position: i64 },
    AtEnd,
    NoneAfter { event_type: String, from: i64 },
    Failed(String),
}

#[function_component(BreakOn)]
pub(super) fn break_on(props: &BreakOnProps) -> Html {
    let sandbox = use_sandbox();
    let cursor = use_cursor();
    let outcome = use_state_eq(|| Outcome::Idle);
    // Bumped to stop a play: each play runs while the token is its own,
    // and leaving the page stops it.
    let token = use_memo((), |_| Cell::new(0_u64));
    {
        let token = Rc::clone(&token);
        use_effect_with((), move |_| move || token.set(token.get() + 1));
    }
    // Read again when the log grows, not on every move of the cursor.
    let types = use_latest_read(props.head, Revision::default(), {
        let sandbox = sandbox.clone();
        move |_: i64| recent_types(Rc::clone(&sandbox.0))
    });
    let types: Vec<String> = types
        .answer
        .map(|answer| answer.1.clone())
        .unwrap_or_default();

    let on_input = {
        let on_pick = props.on_pick.clone();
        Callback::from(move |e: InputEvent| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            let value = value.trim();
            on_pick.emit((!value.is_empty()).then(|| value.to_string()));
        })
    };
    let playing = *outcome == Outcome::Playing;
    let play = {
        let (sandbox, outcome, token) = (sandbox.clone(), outcome.clone(), Rc::clone(&token));
        let (name, wanted) = (props.name.clone(), props.break_type.clone());
        Callback::from(move |_: MouseEvent| {
            let mine = token.get() + 1;
            token.set(mine);
            if playing {
                outcome.set(Outcome::Idle);
                return;
            }
            outcome.set(Outcome::Playing);
            let (sandbox, outcome, token) =
                (Rc::clone(&sandbox.0), outcome.clone(), Rc::clone(&token));
            let (name, wanted) = (name.clone(), wanted.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let ended =
                    play_to_break(&sandbox, &name, wanted.as_deref(), || token.get() == mine).await;
                if token.get() == mine {
                    outcome.set(ended);
                }
            });
        })
    };
    let next = props.break_type.clone().map(|wanted| {
        let (sandbox, outcome, name) = (sandbox.clone(), outcome.clone(), props.name.clone());
        let from = cursor.cursor.bound().unwrap_or(-1) + 1;
        let travel = cursor.travel.clone();
        let label = format!("Next {wanted}");
        let search = Callback::from(move |_: MouseEvent| {
            outcome.set(Outcome::Searching);
            let (sandbox, outcome, name, wanted, travel) = (
                Rc::clone(&sandbox.0),
                outcome.clone(),
                name.clone(),
                wanted.clone(),
                travel.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                outcome.set(match next_handled(&sandbox, &name, &wanted, from).await {
                    Ok(Some(position)) => {
                        travel.emit(Cursor::At(position));
                        Outcome::Stopped {
                            event_type: wanted,
                            position,
                        }
                    }
                    Ok(None) => Outcome::NoneAfter {
                        event_type: wanted,
                        from,
                    },
                    Err(message) => Outcome::Failed(message),
                });
            });
        });
        (label, search)
    });
    // The time bar's own Play stops here too: when it moves the cursor
    // onto an event of the type this projection handles, it is paused, and
    // the cursor put back there if it moved on meanwhile.
    {
        let (sandbox, outcome) = (sandbox.clone(), outcome.clone());
        let (name, wanted) = (props.name.clone(), props.break_type.clone());
        let (playing, travel) = (cursor.playing.clone(), cursor.travel.clone());
        let bar_playing = playing.as_ref().is_some_and(|playing| **playing);
        // Where play began: it does not stop on the event it starts from.
        let began = use_mut_ref(|| None::<Cursor>);
        use_effect_with((cursor.cursor, bar_playing, wanted.clone()), move |_| {
            let began_here = match (bar_playing, *began.borrow()) {
                (false, _) => true,
                (true, None) => true,
                (true, Some(from)) => from == cursor.cursor,
            };
            let from = bar_playing.then(|| began.borrow().unwrap_or(cursor.cursor));
            *began.borrow_mut() = from;
            if began_here {
                return;
            }
            if let (Some(wanted), Cursor::At(at), Some(playing)) = (wanted, cursor.cursor, playing)
            {
                let sandbox = Rc::clone(&sandbox.0);
                wasm_bindgen_futures::spawn_local(async move {
                    if breaks_at(&sandbox, &name, &wanted, at).await {
                        playing.set(false);
                        travel.emit(Cursor::At(at));
                        outcome.set(Outcome::Stopped {
                            event_type: wanted,
                            position: at,
                        });
                    }
                });
            }
        });
    }
    let said = match &*outcome {
        Outcome::Idle => None,
        Outcome::Playing => Some("Playing…".to_string()),
        Outcome::Searching => Some("Looking for the next one…".to_string()),
        Outcome::Stopped { event_type, position } => Some(format!("Stopped at a {event_type} event, at position {position}.")),
        Outcome::AtEnd => Some("Play reached the last event.".to_string()),
        Outcome::NoneAfter { event_type, from } => Some(format!("This projection handles no {event_type} event from position {from} on (among the next {NEXT_LOOKS_AT_MOST} of that type at most).")),
        Outcome::Failed(message) => Some(format!("Play stopped: {message}")),
    };
    html! {
        <div class="break-on" data-testid="break-on">
            <label for="break-type">{ "Break on event type" }</label>
            <input id="break-type" type="text" list="break-types" placeholder="Withdrawn"
                value={props.break_type.clone().unwrap_or_default()} oninput={on_input} />
            <datalist id="break-types">
                { for types.iter().map(|t| html! { <option value={t.clone()} /> }) }
            </datalist>
            // Named apart from the time bar's own Play and Pause.
            <button type="button" onclick={play} data-testid="break-play" disabled={props.break_type.is_none() && !playing}>
                { if playing { "Stop playing" } else { "Play to break" } }
            </button>
            if let Some((label, search)) = next {
                <button type="button" onclick={search}>{ label }</button>
            }
            <span class="muted">{ match &props.break_type {
                Some(wanted) => format!("Play to break moves the cursor one event at a time ({EVENTS_PER_SECOND} a second) and stops where this projection handles a {wanted} event."),
                None => "Name an event type: Play to break then moves the cursor one event at a time and stops where this projection handles one.".to_string(),
            } }</span>
            if let Some(said) = said {
                <p role="status" data-testid="break-outcome">{ said }</p>
            }
        </div>
    }
}

/// Whether the event at `at` is of type `wanted` and the projection
/// handles it. A failed read is no break: play goes on.
async fn breaks_at(sandbox: &Sandbox, name: &str, wanted: &str, at: i64) -> bool {
    if at < 0 {
        return false;
    }
    let of_type = sandbox
        .read_all(ReadRequest::forwards(at as u64, 1))
        .await
        .ok()
        .and_then(|events| events.into_iter().next())
        .is_some_and(|event| event.event_type == wanted);
    of_type && matches!(sandbox.projections().change_at(name, at).await, Ok(Some(_)))
}

/// Steps the cursor forward until a break, the last event, or `going()`
/// turns false. Starts after the cursor; from live, at the first event.
async fn play_to_break(
    sandbox: &Rc<Sandbox>,
    name: &str,
    wanted: Option<&str>,
    going: impl Fn() -> bool,
) -> Outcome {
    loop {
        TimeoutFuture::new(1000 / EVENTS_PER_SECOND).await;
        if !going() {
            return Outcome::Idle;
        }
        let next = match sandbox.cursor() {
            Cursor::Live => 0,
            Cursor::At(at) => at + 1,
        };
        let event = match sandbox
            .read_all(ReadRequest::forwards(next.max(0) as u64, 1))
            .await
        {
            Ok(events) => events.into_iter().find(|e| e.position as i64 == next),
            Err(error) => return Outcome::Failed(error.to_string()),
        };
        let Some(event) = event else {
            return Outcome::AtEnd;
        };
        sandbox.travel_to(Cursor::At(next));
        if wanted != Some(event.event_type.as_str()) {
            continue;
        }
        match sandbox.projections().change_at(name, next).await {
            Ok(Some(_)) => {
                return Outcome::Stopped {
                    event_type: event.event_type,
                    position: next,
                }
            }
            Ok(None) => {}
            Err(error) => return Outcome::Failed(error.to_string()),
        }
    }
}

/// The first position from `from` on of an event of type `wanted` that the
/// projection handles.
async fn next_handled(
    sandbox: &Rc<Sandbox>,
    name: &str,
    wanted: &str,
    from: i64,
) -> Result<Option<i64>, String> {
    let mut from = from.max(0) as u64;
    let mut looked = 0;
    while looked < NEXT_LOOKS_AT_MOST {
        let page = sandbox
            .read_by_type(wanted, ReadRequest::forwards(from, 100))
            .await
            .map_err(|error| error.to_string())?;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        from = last.position + 1;
        for event in &page {
            looked += 1;
            let position = event.position as i64;
            let handled = sandbox
                .projections()
                .change_at(name, position)
                .await
                .map_err(|error| error.to_string())?;
            if handled.is_some() {
                return Ok(Some(position));
            }
        }
    }
    Ok(None)
}

/// The event types among the newest events, sorted: suggestions for the
/// picker, read without loading the whole log.
async fn recent_types(sandbox: Rc<Sandbox>) -> Vec<String> {
    // Only suggestions: a failed read leaves the field free text.
    let events = sandbox
        .read_all(ReadRequest::backwards(None, TYPES_FROM_RECENT))
        .await
        .unwrap_or_default();
    let mut types: Vec<String> = events.into_iter().map(|event| event.event_type).collect();
    types.sort_unstable();
    types.dedup();
    types
}
