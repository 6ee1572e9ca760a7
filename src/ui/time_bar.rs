//! The time bar, under the header on every page: a slider over `$all` and
//! the controls that move the one cursor every view follows (step, jump,
//! play, jump to a time), the keyboard's shortcuts for them, and the banner
//! that says when an append landed after the cursor.
//!
//! The right end of the bar is live. Dragging or stepping onto the last
//! event, playing to the end, and End go live, so that appends made then
//! show as they come, as at the end of Redux DevTools' slider. Start (Home)
//! goes to position -1, before the first event, where every view is empty:
//! the world before anything happened. (The button is "Rewind": a
//! projection's page has a "Start" of its own.) A position on the last event that is
//! not live is reached by choosing that event ("Travel here"), or a time.

use std::rc::Rc;

use yew::prelude::*;

use super::cursor::use_cursor;
use super::latest::use_latest_read;
use super::{use_sandbox, Revision};
use crate::core::{ReadRequest, RecordedEvent};
use crate::service::{Change, Cursor, Sandbox};

mod jump;
mod keys;
mod play;

use jump::JumpToTime;
use keys::use_keyboard;
use play::{use_play, Pace, PACES};

/// The log's extent: what the slider spans, and real pacing's scale.
#[derive(Clone, PartialEq)]
struct LogSpan {
    /// The last position of `$all`; -1 when it is empty.
    last: i64,
    first_ms: f64,
    last_ms: f64,
}

// Where each control takes the cursor, given the last position.

fn step_back(cursor: Cursor, last: i64) -> Cursor {
    let from = match cursor {
        Cursor::Live => last,
        Cursor::At(at) => at.min(last),
    };
    Cursor::At((from - 1).max(-1))
}

fn step_forward(cursor: Cursor, last: i64) -> Cursor {
    match cursor {
        Cursor::At(at) if at + 1 < last => Cursor::At(at + 1),
        _ => Cursor::Live,
    }
}

fn from_slider(value: i64, last: i64) -> Cursor {
    if value >= last {
        Cursor::Live
    } else {
        Cursor::At(value.max(-1))
    }
}

/// The position the slider shows: live is the last event.
fn slider_value(cursor: Cursor, last: i64) -> i64 {
    match cursor {
        Cursor::Live => last,
        Cursor::At(at) => at.min(last),
    }
}

/// An event as the bar names it: type, stream@version, time.
fn describe(event: &RecordedEvent) -> String {
    format!(
        "{} {}@{}, {}",
        event.event_type, event.version, event.stream, event.created
    )
}

#[function_component(TimeBar)]
pub fn time_bar() -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let cursor_handle = use_cursor();
    let (cursor, travel) = (cursor_handle.cursor, cursor_handle.travel.clone());
    // Shared through the cursor's context: a projection's page pauses it
    // where it breaks on an event type.
    let own_playing = use_state(|| false);
    let playing = cursor_handle.playing.clone().unwrap_or(own_playing);
    let pace = use_state(|| Pace::PerSecond(2));
    // The last append that landed after the cursor, and where the cursor
    // was then.
    let appended_after = use_state(|| None::<(u64, i64)>);

    let span_read = {
        let sandbox = sandbox.clone();
        use_latest_read((), revision, move |()| {
            let sandbox = sandbox.clone();
            async move { read_span(&sandbox.0).await }
        })
    };
    let span = span_read
        .answer
        .as_deref()
        .and_then(|(_, span)| span.clone().ok());
    let last = span.as_ref().map_or(-1, |span| span.last);
    let position = slider_value(cursor, last);
    let at_event = {
        let sandbox = sandbox.clone();
        use_latest_read(position, revision, move |position| {
            let sandbox = sandbox.clone();
            async move { read_event_at(&sandbox.0, position).await }
        })
    };

    let toggle_play = {
        let (playing, travel) = (playing.clone(), travel.clone());
        Callback::from(move |()| {
            if *playing {
                playing.set(false);
                return;
            }
            // Play from the end starts over, from before the first event.
            if slider_value(cursor, last) >= last {
                travel.emit(Cursor::At(-1));
            }
            playing.set(true);
        })
    };
    use_play(&sandbox, &playing, *pace, cursor, span.clone(), &travel);
    use_keyboard(cursor, last, &travel, &toggle_play);
    {
        let appended_after = appended_after.clone();
        use_effect_with(sandbox.clone(), move |sandbox| {
            let watched = Rc::downgrade(&sandbox.0);
            let subscription = sandbox.0.subscribe(move |change| {
                let position = match change {
                    Change::Appended { result, .. } => result.position,
                    Change::AppendedElsewhere { position } => *position,
                    _ => return,
                };
                let Some(sandbox) = watched.upgrade() else {
                    return;
                };
                if let Cursor::At(at) = sandbox.cursor() {
                    if position as i64 > at {
                        appended_after.set(Some((position, at)));
                    }
                }
            });
            move || drop(subscription)
        });
    }
    {
        let appended_after = appended_after.clone();
        use_effect_with(cursor, move |cursor| {
            let caught_up = match (*cursor, *appended_after) {
                (Cursor::Live, _) => true,
                (Cursor::At(at), Some((position, _))) => at >= position as i64,
                _ => false,
            };
            if caught_up && appended_after.is_some() {
                appended_after.set(None);
            }
        });
    }

    let go = |to: Cursor| {
        let travel = travel.clone();
        Callback::from(move |_: MouseEvent| travel.emit(to))
    };
    let on_slide = {
        let travel = travel.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            if let Ok(value) = input.value().parse::<i64>() {
                travel.emit(from_slider(value, last));
            }
        })
    };
    let on_pace = {
        let pace = pace.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Some(chosen) = PACES.iter().find(|p| p.value() == select.value()) {
                pace.set(*chosen);
            }
        })
    };

    let empty = last < 0;
    let shown_event = at_event.answer.as_deref();
    let event_here = shown_event
        .filter(|(read_for, _)| *read_for == position)
        .and_then(|(_, event)| event.as_ref().ok().cloned().flatten());
    let where_text = match cursor {
        Cursor::Live => "Live".to_string(),
        Cursor::At(at) if at < 0 => "Before the first event (position -1)".to_string(),
        Cursor::At(at) => format!("As of position {at}"),
    };
    let value_text = match (&cursor, &event_here) {
        (_, _) if empty => "No events yet".to_string(),
        (Cursor::At(at), _) if *at < 0 => "Before the first event".to_string(),
        (Cursor::Live, Some(event)) => format!("Live, position {last}: {}", describe(event)),
        (Cursor::Live, None) => format!("Live, position {last}"),
        (Cursor::At(_), Some(event)) => {
            format!("Position {position} of {last}: {}", describe(event))
        }
        (Cursor::At(_), None) => format!("Position {position} of {last}"),
    };
    // While dragging, the newest event read so far, named with its own
    // position (it may trail the slider by a read).
    let event_line = match shown_event {
        _ if empty => {
            html! { <span class="muted">{ "No events yet: append one, and the bar spans the log." }</span> }
        }
        None => html! { <span class="muted">{ "…" }</span> },
        Some((_, Err(message))) => html! { <span class="error-text">{ message }</span> },
        Some((read_for, Ok(None))) if *read_for < 0 => {
            html! { <span class="muted">{ "Before the first event: every view is empty." }</span> }
        }
        Some((read_for, Ok(None))) => {
            html! { <span class="muted">{ format!("No event at position {read_for}.") }</span> }
        }
        Some((_, Ok(Some(event)))) => html! {
            <>
                <span class="muted">{ format!("{}: ", event.position) }</span>
                <strong>{ &event.event_type }</strong>{ " " }
                <span>{ format!("{}@{}", event.version, event.stream) }</span>
                <span class="time">{ format!(" {}", event.created) }</span>
            </>
        },
    };
    let live = cursor == Cursor::Live;
    let at_start = cursor == Cursor::At(-1);
    html! {
        <section class={classes!("time-bar", (!live).then_some("in-past"))} aria-label="Time bar">
            <div class="time-bar-row">
                <span class={classes!("where", live.then_some("live"))} data-testid="time-bar-where">
                    { where_text }
                    if let (Cursor::At(at), Some(event)) = (cursor, &event_here) {
                        if at <= last { <span class="where-time">{ format!(" ({})", event.created) }</span> }
                    }
                </span>
                <button type="button" disabled={empty || at_start} onclick={go(Cursor::At(-1))}
                    title="Rewind to the start, before the first event (Home)">
                    <span aria-hidden="true">{ "⇤ " }</span>{ "Rewind" }
                </button>
                <button type="button" disabled={empty || at_start} onclick={go(step_back(cursor, last))}
                    title="Step back one event (←)">
                    <span aria-hidden="true">{ "‹ " }</span>{ "Back" }
                </button>
                <input type="range" class="time-slider" aria-label="Position in $all"
                    min="-1" max={last.max(0).to_string()} step="1"
                    value={position.to_string()} aria-valuetext={value_text}
                    disabled={empty} oninput={on_slide} />
                <button type="button" disabled={empty || live} onclick={go(step_forward(cursor, last))}
                    title="Step forward one event (→)">
                    { "Forward" }<span aria-hidden="true">{ " ›" }</span>
                </button>
                <button type="button" disabled={empty || live} onclick={go(Cursor::Live)}
                    title="Jump to the end: live (End)">
                    { "Live" }<span aria-hidden="true">{ " ⇥" }</span>
                </button>
                <button type="button" disabled={empty} aria-pressed={(*playing).to_string()}
                    onclick={toggle_play.reform(|_: MouseEvent| ())} title="Play or pause (Space)">
                    if *playing { <span aria-hidden="true">{ "‖ " }</span>{ "Pause" } }
                    else { <span aria-hidden="true">{ "▶ " }</span>{ "Play" } }
                </button>
                <select aria-label="Play speed, in events per second" title="Events a second, or the events' own pacing with the whole log in 30 seconds" onchange={on_pace} disabled={empty}>
                    { for PACES.iter().map(|p| html! {
                        <option value={p.value()} selected={*p == *pace}>{ p.label() }</option>
                    }) }
                </select>
            </div>
            <div class="time-bar-row">
                <p class="time-bar-event" data-testid="time-bar-event">{ event_line }</p>
                <JumpToTime disabled={empty} />
            </div>
            // A polite live region, there before its news so that screen
            // readers announce the news (not `role="status"`: the append
            // form's own status is the page's one status).
            <div aria-live="polite" class="time-bar-news">
                if let Some((appended, was_at)) = *appended_after {
                    <div class="appended-after" data-testid="appended-after">
                        <span>{ match was_at {
                            -1 => format!("Appended at position {appended}, after the cursor (before the first event): you are looking at the past."),
                            at => format!("Appended at position {appended}, after the cursor at {at}: you are looking at the past."),
                        } }</span>
                        <button type="button" class="primary" onclick={go(Cursor::Live)}>{ "Jump to live" }</button>
                    </div>
                }
            </div>
        </section>
    }
}

async fn read_span(sandbox: &Sandbox) -> Result<LogSpan, String> {
    let count = sandbox.event_count().await.map_err(|e| e.to_string())?;
    let created_ms = |events: Vec<RecordedEvent>| {
        events
            .first()
            .map_or(0.0, |event| js_sys::Date::parse(&event.created))
    };
    if count == 0 {
        return Ok(LogSpan {
            last: -1,
            first_ms: 0.0,
            last_ms: 0.0,
        });
    }
    let first = sandbox.read_all(ReadRequest::forwards(0, 1)).await;
    let newest = sandbox.read_all(ReadRequest::backwards(None, 1)).await;
    Ok(LogSpan {
        last: count as i64 - 1,
        first_ms: created_ms(first.map_err(|e| e.to_string())?),
        last_ms: created_ms(newest.map_err(|e| e.to_string())?),
    })
}

/// The event at `position` of `$all`; `None` before the first.
pub(crate) async fn read_event_at(
    sandbox: &Sandbox,
    position: i64,
) -> Result<Option<RecordedEvent>, String> {
    if position < 0 {
        return Ok(None);
    }
    sandbox
        .read_all(ReadRequest::forwards(position as u64, 1))
        .await
        .map(|events| events.into_iter().next())
        .map_err(|error| error.to_string())
}
