//! Trying a source without saving it: a query's run, and the check of a
//! projection's draft. Either runs once over the whole store in a worker of
//! its own, and writes nothing.

use std::rc::Rc;

use yew::prelude::*;

use super::log_view::LogView;
use super::states_view::{StatesText, StatesView};
use crate::projections::LogLine;
use crate::ui::{run, use_sandbox};

/// What the last try of a source showed, and of which text.
#[derive(Clone, PartialEq)]
pub(super) enum Trial {
    NotRun,
    Running,
    Ran {
        source: String,
        states: StatesText,
        logs: Vec<LogLine>,
    },
    Faulted {
        source: String,
        reason: String,
        line: Option<u32>,
    },
}

impl Trial {
    /// The source line the last try's fault points at.
    pub(super) fn fault_line(&self) -> Option<u32> {
        match self {
            Trial::Faulted { line, .. } => *line,
            _ => None,
        }
    }

    /// Whether a try has said something about the text.
    pub(super) fn has_run(&self) -> bool {
        matches!(self, Trial::Ran { .. } | Trial::Faulted { .. })
    }
}

pub(super) struct Trials {
    pub trial: Trial,
    /// Tries this source.
    pub start: Callback<String>,
}

/// Tries sources as a projection that writes `owned_streams` would run
/// them (none for a query or a new projection).
#[hook]
pub(super) fn use_trial(owned_streams: Vec<String>) -> Trials {
    let sandbox = use_sandbox();
    let trial = use_state_eq(|| Trial::NotRun);
    // Only the latest try may show its outcome.
    let latest = use_mut_ref(|| 0_u64);
    let start = {
        let trial = trial.clone();
        Callback::from(move |source: String| {
            *latest.borrow_mut() += 1;
            let this_try = *latest.borrow();
            trial.set(Trial::Running);
            let (sandbox, trial, latest) = (sandbox.clone(), trial.clone(), Rc::clone(&latest));
            let (tried, owned) = (source.clone(), owned_streams.clone());
            run(
                async move { sandbox.0.projections().dry_run(&tried, &owned).await },
                move |outcome| {
                    if *latest.borrow() != this_try {
                        return;
                    }
                    trial.set(match outcome {
                        Ok(done) => Trial::Ran {
                            source,
                            states: StatesText::new(
                                done.shape,
                                done.state.as_ref(),
                                done.result.as_ref(),
                                &done.partitions,
                            ),
                            logs: done.logs,
                        },
                        Err(fault) => Trial::Faulted {
                            source,
                            reason: fault.error.to_string(),
                            line: fault.line,
                        },
                    })
                },
            );
        })
    };
    Trials {
        trial: (*trial).clone(),
        start,
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct TrialViewProps {
    pub trial: Trial,
    /// The text as it is now, to say when the outcome is of an older one.
    pub current: String,
    /// What a run without a fault means here.
    pub ran: AttrValue,
    /// A heading over the outcome, where the page shows other states too.
    #[prop_or_default]
    pub title: Option<AttrValue>,
}

#[function_component(TrialView)]
pub(super) fn trial_view(props: &TrialViewProps) -> Html {
    let changed_since = match &props.trial {
        Trial::Ran { source, .. } | Trial::Faulted { source, .. } => *source != props.current,
        Trial::NotRun | Trial::Running => false,
    };
    let outcome = match &props.trial {
        Trial::NotRun => return Html::default(),
        Trial::Running => {
            html! { <p class="muted" role="status">{ "Running over everything in the store…" }</p> }
        }
        Trial::Faulted { reason, line, .. } => html! {
            <>
                <p class="error-banner fault" role="alert" data-testid="trial-fault">{ reason }</p>
                if line.is_some() {
                    <p class="muted">{ "The line it points at is marked in the editor." }</p>
                }
            </>
        },
        Trial::Ran { states, logs, .. } => html! {
            <div class="views" data-testid="trial-outcome">
                <p class="muted" role="status">{ props.ran.clone() }</p>
                <StatesView states={states.clone()} />
                <LogView lines={logs.clone()} />
            </div>
        },
    };
    html! {
        <>
            if let Some(title) = &props.title {
                <h2>{ title.clone() }</h2>
            }
            if changed_since {
                <p class="muted">{ "The text has changed since this run." }</p>
            }
            { outcome }
        </>
    }
}
