//! What the event at the cursor did to a projection: the partition it
//! touched, the state before and after, the diff, its `log()` lines and
//! emits; or that the projection ignored it; or, in place, the error its
//! handler threw, with a way to step past it.

use serde_json::Value;
use yew::prelude::*;

use super::as_of::{read_again, Definition};
use super::diff_view::{pretty, DiffTable};
use super::log_view::LogView;
use crate::core::{ReadRequest, RecordedEvent};
use crate::projections::protocol::{Emitted, Fault};
use crate::projections::ChangeAt;
use crate::service::Cursor;
use crate::ui::cursor::use_cursor;
use crate::ui::latest::use_latest_read;
use crate::ui::route::Route;
use crate::ui::{use_sandbox, Revision};

#[derive(Properties, PartialEq)]
pub(super) struct EventChangeViewProps {
    pub definition: Definition,
    pub at: i64,
    /// The last position in `$all`, so a step past a fault stays inside.
    pub head: i64,
    /// The what-if leaves the event at the cursor out.
    pub skipped: bool,
    pub on_toggle_skip: Callback<i64>,
    /// The event type play breaks on, when one is picked.
    pub break_type: Option<String>,
    /// Told the partition the event touched (none when it touched none).
    pub on_partition: Callback<Option<String>>,
}

type Inspected = Result<(Option<RecordedEvent>, Option<ChangeAt>), String>;

#[function_component(EventChangeView)]
pub(super) fn event_change_view(props: &EventChangeViewProps) -> Html {
    let sandbox = use_sandbox();
    let travel = use_cursor().travel;
    let key = (props.at >= 0).then(|| (props.definition.clone(), props.at));
    // What one event did never changes while the code is the same; the
    // count of attempts reads again after a failure, on asking.
    let attempts = use_state_eq(|| 0_u64);
    let read = use_latest_read(key, Revision(*attempts), move |key| {
        let sandbox = sandbox.clone();
        async move {
            let Some((definition, at)) = key else {
                return Inspected::Ok((None, None));
            };
            let event = sandbox
                .0
                .read_all(ReadRequest::forwards(at as u64, 1))
                .await
                .map_err(|error| error.to_string())?
                .into_iter()
                .find(|event| event.position as i64 == at);
            let change = sandbox
                .0
                .projections()
                .change_at(&definition.name, at)
                .await
                .map_err(|error| error.to_string())?;
            Inspected::Ok((event, change))
        }
    });
    let touched = match read.answer.as_deref() {
        Some((_, Ok((_, Some(change))))) => {
            change.change.partition.clone().filter(|p| !p.is_empty())
        }
        _ => None,
    };
    {
        let on_partition = props.on_partition.clone();
        use_effect_with(touched, move |touched| on_partition.emit(touched.clone()));
    }
    if props.at < 0 {
        return html! {
            <section class="event-change" data-testid="event-change">
                <h2>{ "The event at the cursor" }</h2>
                <p class="muted">{ "The cursor is before the first event: every state is as $init makes it. Step forward to see what the first event does." }</p>
            </section>
        };
    }
    let at = props.at;
    let body = match read.answer.as_deref() {
        None => {
            html! { <p class="muted" role="status">{ format!("Reading what the event at position {at} did…") }</p> }
        }
        Some((key, _)) if key.as_ref().map(|(_, answered)| *answered) != Some(at) => html! {
            <p class="muted" role="status">{ format!("Reading what the event at position {at} did…") }</p>
        },
        Some((_, Err(message))) => html! {
            <p class="error-banner" role="alert" data-testid="event-change-error">
                { format!("What the event at position {at} did could not be read: {message} ") }
                { read_again(&attempts) }
            </p>
        },
        Some((_, Ok((event, change)))) => {
            let step_past = {
                let travel = travel.clone();
                Callback::from(move |_: MouseEvent| travel.emit(Cursor::At(at + 1)))
            };
            let skip = {
                let toggle = props.on_toggle_skip.clone();
                Callback::from(move |_: Event| toggle.emit(at))
            };
            let hit = props.break_type.as_deref().is_some_and(|wanted| {
                change.is_some() && event.as_ref().is_some_and(|e| e.event_type == wanted)
            });
            html! {
                <>
                    if let Some(event) = event {
                        { event_summary(event) }
                    }
                    if hit {
                        <p class="break-hit" role="status" data-testid="break-hit">{ format!("Break: a {} event this projection handles.", props.break_type.clone().unwrap_or_default()) }</p>
                    }
                    <label class="check skip-toggle">
                        <input type="checkbox" data-testid="skip-this-event" checked={props.skipped} onchange={skip} />
                        { " Skip this event in the what-if below" }
                    </label>
                    { match change {
                        None => html! {
                            <p class="notice" data-testid="event-ignored">{ "This projection ignored this event: its source does not read it, or no handler takes its type. The states are the same before and after." }</p>
                        },
                        Some(change) => match &change.change.fault {
                            Some(fault) => threw(fault, &props.definition.source, at < props.head, step_past),
                            None => effect(change),
                        },
                    } }
                </>
            }
        }
    };
    html! {
        <section class="event-change" data-testid="event-change">
            <h2>{ format!("The event at position {at}") }</h2>
            { body }
        </section>
    }
}

fn event_summary(event: &RecordedEvent) -> Html {
    let data = serde_json::from_str::<Value>(event.data.get())
        .map(|data| pretty(Some(&data)))
        .unwrap_or_else(|_| event.data.get().to_string());
    let route = Route::Event {
        stream: event.stream.clone(),
        version: event.version,
    };
    html! {
        <div class="event-summary" data-testid="event-at-cursor">
            <p>
                <strong class="event-type">{ &event.event_type }</strong>{ " · " }
                <a href={route.href()}>{ format!("{}@{}", event.version, event.stream) }</a>
                <span class="time">{ format!(" · {}", event.created) }</span>
            </p>
            <details>
                <summary>{ "Its data" }</summary>
                <pre class="json">{ data }</pre>
            </details>
        </div>
    }
}

/// A handler that threw at this event, shown where it happened.
fn threw(fault: &Fault, source: &str, can_step: bool, step_past: Callback<MouseEvent>) -> Html {
    let line = fault.line().and_then(|line| {
        let text = source.lines().nth((line as usize).checked_sub(1)?)?;
        Some((line, text.trim().to_string()))
    });
    html! {
        <div class="error-banner fault" role="alert" data-testid="event-fault">
            <p><strong>{ "Its handler threw here. " }</strong><code>{ fault.reason() }</code></p>
            if let Some((line, text)) = line {
                <p>{ format!("Line {line} of the source: ") }<code>{ text }</code></p>
            }
            <p class="hint" data-testid="step-past-hint">
                { "The live projection stops at such an event, as Faulted. Here the event is left out and the fold goes on from the state before it, so you can step past it (→, or the time bar's step forward) and see what the next events do. The log and the live projection are untouched." }
            </p>
            if can_step {
                <button type="button" onclick={step_past}>{ "Step past it" }</button>
            }
        </div>
    }
}

/// What a handled event did: the partition it touched, the diff, the state
/// before and after, its log lines and emits. The event view's "Handled
/// by" shows the same.
pub(crate) fn effect(change: &ChangeAt) -> Html {
    let event = &change.change;
    let partition = match event.partition.as_deref() {
        None | Some("") => "the root state".to_string(),
        Some(key) => format!("partition {key}"),
    };
    let shared = event.shared_before.is_some() || event.shared_after.is_some();
    html! {
        <div class="event-effect">
            <p data-testid="event-partition">{ format!("Handled; it touched {partition}.") }</p>
            <h3>{ "Diff" }</h3>
            <DiffTable changes={change.diff.clone()} unchanged="The handler ran and left the state as it was." />
            if shared {
                <h3>{ "Diff of the shared state" }</h3>
                <DiffTable changes={change.shared_diff.clone()} unchanged="The shared state did not change." />
            }
            <div class="before-after">
                <div><h3>{ "Before" }</h3><pre class="json" data-testid="state-before">{ pretty(event.before.as_ref()) }</pre></div>
                <div><h3>{ "After" }</h3><pre class="json" data-testid="state-after">{ pretty(event.after.as_ref()) }</pre></div>
            </div>
            if !event.logs.is_empty() {
                <LogView lines={event.logs.clone()} />
            }
            { emitted(&event.emitted) }
        </div>
    }
}

fn emitted(events: &[Emitted]) -> Html {
    if events.is_empty() {
        return Html::default();
    }
    html! {
        <div class="event-emitted">
            <h3>{ "Emitted" }</h3>
            <p class="muted">{ "What the handler asked to write for this event. In time travel nothing is written." }</p>
            <table>
                <thead><tr><th>{ "Stream" }</th><th>{ "Type" }</th><th>{ "Data" }</th></tr></thead>
                <tbody>
                    { for events.iter().map(|e| html! {
                        <tr><td><code>{ &e.stream }</code></td><td>{ &e.event_type }</td><td><code>{ e.data.to_string() }</code></td></tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
