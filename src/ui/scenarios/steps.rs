//! The steps panel: while the sandbox holds a scenario, every page shows
//! its guided steps under the time bar, each ticked once done. It asks the
//! service again on every change and every cursor move.

use std::cell::Cell;
use std::rc::Rc;

use yew::prelude::*;

use crate::scenarios::Step;
use crate::ui::cursor::use_cursor;
use crate::ui::hooks::use_sandbox;
use crate::ui::{run, Revision};

#[function_component(ScenarioSteps)]
pub fn scenario_steps() -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let cursor = use_cursor().cursor;
    let progress = use_state(|| None::<Result<Vec<bool>, String>>);
    // Evaluations may overlap; only the newest one's answer is shown.
    let latest = use_mut_ref(|| Rc::new(Cell::new(0u64)));
    {
        let (sandbox, progress) = (sandbox.clone(), progress.clone());
        let latest = Rc::clone(&latest.borrow());
        use_effect_with((revision, cursor), move |_| {
            let asked = latest.get() + 1;
            latest.set(asked);
            run(
                async move { sandbox.0.scenario_progress().await },
                move |answer| {
                    if latest.get() == asked {
                        progress.set(Some(answer.map_err(|error| error.to_string())));
                    }
                },
            );
        });
    }
    let Some(scenario) = sandbox.0.scenario() else {
        return html! {};
    };
    let done: Vec<bool> = match &*progress {
        Some(Ok(done)) => done.clone(),
        _ => vec![false; scenario.steps.len()],
    };
    let finished = done.iter().filter(|done| **done).count();
    html! {
        <details class="scenario-steps" open=true aria-label="Scenario steps">
            <summary>
                <strong>{ scenario.title }</strong>
                <span class="progress" data-testid="scenario-progress">
                    { format!("{finished} of {} done", scenario.steps.len()) }
                </span>
            </summary>
            if let Some(Err(error)) = &*progress {
                <p class="error-banner" role="alert">{ format!("The steps could not be checked: {error}") }</p>
            }
            <ol>
                { for scenario.steps.iter().zip(done).map(|(step, done)| item(step, done)) }
            </ol>
        </details>
    }
}

fn item(step: &Step, done: bool) -> Html {
    html! {
        <li class={classes!("scenario-step", done.then_some("done"))} data-done={done.to_string()}>
            <span class="tick" aria-label={if done { "done" } else { "not done yet" }}>
                { if done { "✓" } else { "○" } }
            </span>
            <div>
                <strong>{ step.title }</strong>
                // Done steps keep their title only, so the panel shrinks
                // as the learner goes.
                if !done {
                    <p class="muted">{ step.hint }</p>
                }
            </div>
        </li>
    }
}
