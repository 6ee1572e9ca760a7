//! What-if: leave chosen events out of one run of a projection, and see its
//! states without them beside the real ones. Redux DevTools' skip, on an
//! immutable log: the run is a one-time query of the projection's saved
//! source (`query_at`), which writes nothing; the log is never changed.

use std::collections::BTreeSet;

use yew::prelude::*;

use super::as_of::{read_again, Definition, FaultList};
use super::diff_view::{pair_states, SideBySide};
use crate::projections::protocol::Fault;
use crate::projections::{ProjectionError, ProjectionView};
use crate::ui::latest::use_latest_read;
use crate::ui::{use_sandbox, Revision};

/// The most positions one range may skip: each is sent to the worker.
const RANGE_AT_MOST: i64 = 10_000;

/// How the set of skipped positions changes.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum SkipChange {
    Toggle(i64),
    Add { from: i64, to: i64 },
    Remove { from: i64, to: i64 },
}

impl SkipChange {
    pub(super) fn apply(self, skipped: &BTreeSet<i64>) -> BTreeSet<i64> {
        let mut next = skipped.clone();
        match self {
            SkipChange::Toggle(position) => {
                if !next.remove(&position) {
                    next.insert(position);
                }
            }
            SkipChange::Add { from, to } => next.extend(from..=to),
            SkipChange::Remove { from, to } => next.retain(|p| !(from..=to).contains(p)),
        }
        next
    }
}

/// The skipped positions as runs of consecutive ones: `3–7, 9`.
fn runs(skipped: &BTreeSet<i64>) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &position in skipped {
        match runs.last_mut() {
            Some((_, to)) if *to + 1 == position => *to = position,
            _ => runs.push((position, position)),
        }
    }
    runs
}

fn run_text((from, to): (i64, i64)) -> String {
    if from == to {
        from.to_string()
    } else {
        format!("{from}–{to}")
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct WhatIfProps {
    pub definition: Definition,
    /// The cursor's position; `None` when live.
    pub at: Option<i64>,
    pub head: i64,
    pub skipped: BTreeSet<i64>,
    pub on_skip: Callback<SkipChange>,
}

type Runs = Result<(ProjectionView, Vec<Fault>, ProjectionView, Vec<Fault>), String>;

#[function_component(WhatIf)]
pub(super) fn what_if(props: &WhatIfProps) -> Html {
    let sandbox = use_sandbox();
    let from = use_state(String::new);
    let to = use_state(String::new);
    let range_error = use_state(|| None::<String>);
    let at = props.at.unwrap_or(props.head);
    let key = (!props.skipped.is_empty()).then(|| {
        let skip: Vec<i64> = props.skipped.iter().copied().collect();
        (props.definition.clone(), at, skip)
    });
    // The key holds all a run depends on (the head too, when live); the
    // count of attempts runs it again after a failure, on asking.
    let attempts = use_state_eq(|| 0_u64);
    let read = use_latest_read(key, Revision(*attempts), move |key| {
        let sandbox = sandbox.clone();
        async move {
            let (definition, at, skip) = key?;
            let host = sandbox.0.projections();
            let runs = async {
                let real = host.view_at(&definition.name, at).await?;
                let without = host.query_at(&definition.source, at, &skip).await?;
                Ok((real.view, real.faults, without.view, without.faults))
            };
            let runs: Runs = runs.await.map_err(|e: ProjectionError| e.to_string());
            Some(runs)
        }
    });

    let field = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let add_range = {
        let (from, to, range_error, on_skip) = (
            from.clone(),
            to.clone(),
            range_error.clone(),
            props.on_skip.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_range(&from, &to) {
                Ok((from, to)) => {
                    range_error.set(None);
                    on_skip.emit(SkipChange::Add { from, to });
                }
                Err(message) => range_error.set(Some(message)),
            }
        })
    };
    let scope = match props.at {
        Some(at) => format!("up to position {at}, the cursor"),
        None => format!("up to the last event, position {at}"),
    };
    let answer = read
        .answer
        .as_deref()
        .and_then(|(key, runs)| Some((key.as_ref()?, runs.as_ref()?)));
    let outcome = match (answer, props.skipped.is_empty()) {
        (_, true) => {
            html! { <p class="muted">{ "Nothing skipped yet: tick \"Skip this event\" at the cursor, or skip a range." }</p> }
        }
        (None, false) => {
            html! { <p class="muted" role="status">{ "Running without the skipped events…" }</p> }
        }
        (Some(((_, _, answered_skip), runs)), false) => match runs {
            Err(message) => {
                html! { <p class="error-banner" role="alert">{ format!("The what-if could not run: {message} ") }{ read_again(&attempts) }</p> }
            }
            Ok((real, real_faults, without, faults)) => html! {
                <div data-testid="what-if-outcome">
                    if !read.current {
                        <p class="muted" role="status">{ "Showing the previous run while the new one runs…" }</p>
                    }
                    <FaultList faults={faults.clone()} />
                    if !real_faults.is_empty() {
                        <p class="muted">{ format!("The real run also left out {} whose handlers threw.", crate::ui::count(real_faults.len() as u64, "event")) }</p>
                    }
                    <SideBySide pairs={pair_states(real, without)}
                        left_title="Real: every event"
                        right_title={format!("What if: without {}", answered_skip.len())} />
                </div>
            },
        },
    };
    html! {
        <section class="what-if" data-testid="what-if">
            <h2>{ "What if" }</h2>
            <p class="muted">{ format!("Leave chosen events out of one run of this projection's saved source, {scope}, and see its states without them beside the real ones. The log itself is never changed: the events stay where they are, and the live projection still counts them. Nothing is written.") }</p>
            <form class="actions" onsubmit={add_range}>
                <label for="skip-from">{ "Skip positions from" }</label>
                <input id="skip-from" class="position" type="text" inputmode="numeric" value={(*from).clone()} oninput={field(&from)} />
                <label for="skip-to">{ "to" }</label>
                <input id="skip-to" class="position" type="text" inputmode="numeric" value={(*to).clone()} oninput={field(&to)} />
                <button type="submit">{ "Skip these" }</button>
            </form>
            if let Some(message) = &*range_error {
                <p class="field-error" role="alert">{ message }</p>
            }
            if !props.skipped.is_empty() {
                <p class="actions skipped" data-testid="skipped">
                    <span>{ "Skipped:" }</span>
                    { for runs(&props.skipped).into_iter().map(|(from, to)| {
                        let on_skip = props.on_skip.clone();
                        html! {
                            <button type="button" class="chip" aria-label={format!("Stop skipping {}", run_text((from, to)))}
                                onclick={move |_| on_skip.emit(SkipChange::Remove { from, to })}>
                                { format!("{} ×", run_text((from, to))) }
                            </button>
                        }
                    }) }
                </p>
            }
            { outcome }
        </section>
    }
}

fn parse_range(from: &str, to: &str) -> Result<(i64, i64), String> {
    let number = |text: &str, what: &str| {
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("{what} must be a position: a whole number from 0 up."))
    };
    let from = number(from, "From")?;
    let to = if to.trim().is_empty() {
        from
    } else {
        number(to, "To")?
    };
    if to < from {
        return Err(format!("To ({to}) comes before from ({from})."));
    }
    if to - from >= RANGE_AT_MOST {
        return Err(format!(
            "A range skips at most {RANGE_AT_MOST} positions at once."
        ));
    }
    Ok((from, to))
}
