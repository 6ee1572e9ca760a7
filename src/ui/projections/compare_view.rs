//! "What happens when you change a query": the draft in the editor and the
//! saved reducer, run over the same events up to the cursor (or the end of
//! the log), side by side per partition, with the first position where
//! each partition's states part; then Apply, Apply and reset, or Discard,
//! each saying what it does to the state already built.

use yew::prelude::*;

use super::as_of::{Definition, FaultList};
use super::confirm;
use super::diff_view::{pair_states, PairedState, SideBySide};
use crate::projections::compare::Divergence;
use crate::projections::protocol::Fault;
use crate::service::Cursor;
use crate::ui::cursor::use_cursor;
use crate::ui::{run, use_sandbox};

/// A comparison as the panel shows it, and of which draft.
#[derive(Clone, PartialEq)]
struct Compared {
    draft: String,
    at: i64,
    pairs: Vec<PairedState>,
    draft_faults: Vec<Fault>,
    divergences: Vec<Divergence>,
}

#[derive(Clone, PartialEq)]
enum Comparing {
    NotYet,
    Running,
    Done(Compared),
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub(super) struct ComparePanelProps {
    pub definition: Definition,
    /// The text in the editor.
    pub draft: String,
    /// The cursor's position; `None` when live.
    pub at: Option<i64>,
    /// How far the live projection has built its state.
    pub built_to: i64,
    pub on_apply: Callback<MouseEvent>,
    pub on_apply_and_reset: Callback<MouseEvent>,
    pub on_discard: Callback<()>,
}

#[function_component(ComparePanel)]
pub(super) fn compare_panel(props: &ComparePanelProps) -> Html {
    let sandbox = use_sandbox();
    let travel = use_cursor().travel;
    let comparing = use_state_eq(|| Comparing::NotYet);
    // Only the latest comparison may show its outcome.
    let latest = use_mut_ref(|| 0_u64);
    {
        // A saved source or a reset makes the comparison stale.
        let comparing = comparing.clone();
        use_effect_with(props.definition.clone(), move |_| {
            comparing.set(Comparing::NotYet)
        });
    }
    let compare = {
        let (comparing, definition, draft) = (
            comparing.clone(),
            props.definition.clone(),
            props.draft.clone(),
        );
        let at = props.at.unwrap_or(i64::MAX);
        Callback::from(move |_: MouseEvent| {
            *latest.borrow_mut() += 1;
            let this_run = *latest.borrow();
            comparing.set(Comparing::Running);
            let (sandbox, comparing, latest) = (sandbox.clone(), comparing.clone(), latest.clone());
            let (name, draft) = (definition.name.clone(), draft.clone());
            run(
                async move {
                    let compared = sandbox.0.projections().compare(&name, &draft, at).await;
                    compared.map(|c| Compared {
                        draft,
                        at: c.at,
                        pairs: pair_states(&c.current, &c.draft),
                        draft_faults: c.draft_faults,
                        divergences: c.divergences,
                    })
                },
                move |outcome| {
                    if *latest.borrow() == this_run {
                        comparing.set(match outcome {
                            Ok(compared) => Comparing::Done(compared),
                            Err(error) => Comparing::Failed(error.to_string()),
                        });
                    }
                },
            );
        })
    };
    let scope = match props.at {
        Some(at) => format!("up to position {at}, the cursor"),
        None => "up to the end of the log".to_string(),
    };
    let outcome = match &*comparing {
        Comparing::NotYet => Html::default(),
        Comparing::Running => {
            html! { <p class="muted" role="status">{ "Running both reducers…" }</p> }
        }
        Comparing::Failed(message) => {
            html! { <p class="error-banner" role="alert">{ format!("The comparison could not run: {message}") }</p> }
        }
        Comparing::Done(compared) => compared_view(compared, &props.draft, &travel),
    };
    let discard = {
        let on_discard = props.on_discard.clone();
        Callback::from(move |_: MouseEvent| {
            if confirm("Discard this draft? Its text is lost; the saved reducer and its state stay as they are.") {
                on_discard.emit(());
            }
        })
    };
    let built = if props.built_to < 0 {
        "no state yet".to_string()
    } else {
        format!("the state built up to position {}", props.built_to)
    };
    let unchanged = props.draft == props.definition.source;
    html! {
        <section class="compare" data-testid="compare">
            <h2>{ "Change the reducer and compare" }</h2>
            <p class="muted">{ format!("Runs the draft in the editor and the saved reducer over the same events, {scope}, in the same reducer worker, and shows their states side by side. Nothing is saved or written.") }</p>
            <div class="actions">
                <button type="button" onclick={compare} disabled={*comparing == Comparing::Running}>{ "Compare with the saved reducer" }</button>
                if unchanged {
                    <span class="muted">{ "The editor holds the saved reducer: edit it to compare a change." }</span>
                }
            </div>
            { outcome }
            if !unchanged {
                <div class="apply-choices" data-testid="apply-choices">
                    <p><button class="primary" onclick={props.on_apply.clone()}>{ "Apply" }</button>
                        { format!(" saves the draft and keeps {built}: the new reducer goes on from the checkpoint, only over events after it, as KurrentDB's update does.") }</p>
                    <p><button onclick={props.on_apply_and_reset.clone()}>{ "Apply and reset" }</button>
                        { " saves the draft and throws the built state away: the new reducer runs again over every event from the first, so the states become the draft's." }</p>
                    <p><button onclick={discard}>{ "Discard" }</button>
                        { format!(" throws the draft away; the saved reducer and {built} stay as they are.") }</p>
                </div>
            }
        </section>
    }
}

fn compared_view(compared: &Compared, draft: &str, travel: &Callback<Cursor>) -> Html {
    let first = compared.divergences.first().map(|first| {
        let position = first.position;
        let travel = travel.clone();
        let jump = Callback::from(move |_: MouseEvent| travel.emit(Cursor::At(position)));
        let what = if first.partition.is_empty() {
            "the state".to_string()
        } else {
            format!("partition {}", first.partition)
        };
        html! {
            <p class="first-difference" data-testid="first-difference">
                { format!("First difference: {what}, at position {position}. ") }
                <button type="button" onclick={jump}>{ "Jump to first difference" }</button>
            </p>
        }
    });
    let marks: Vec<(String, i64)> = compared
        .divergences
        .iter()
        .map(|d| (d.partition.clone(), d.position))
        .collect();
    html! {
        <div data-testid="compare-outcome">
            if compared.draft != draft {
                <p class="muted">{ "The text has changed since this comparison." }</p>
            }
            <p class="muted">{ format!("Both ran over the events up to position {}.", compared.at) }</p>
            { first.unwrap_or_else(|| html! {
                <p data-testid="no-difference">{ format!("The two reducers agree on every state up to position {}.", compared.at) }</p>
            }) }
            <FaultList faults={compared.draft_faults.clone()} />
            <SideBySide pairs={compared.pairs.clone()} left_title="Saved reducer" right_title="Draft" first_divergence={marks} />
        </div>
    }
}
