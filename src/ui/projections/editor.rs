//! Writing a projection's source before it exists: a new projection, and a
//! one-time query. Both keep their text as a draft and try it without
//! saving anything.

use yew::prelude::*;

use super::drafts::{use_draft, use_leave_guard, DraftNote, DraftOf, DraftStore};
use super::templates::{TemplatePicker, BALANCE_PER_ACCOUNT, COUNT_BY_TYPE};
use super::trial::{use_trial, Trial, TrialView, Trials};
use crate::projections::ProjectionError;
use crate::ui::code_editor::CodeEditor;
use crate::ui::route::Route;
use crate::ui::{run, use_sandbox};

#[function_component(NewProjection)]
pub fn new_projection() -> Html {
    let sandbox = use_sandbox();
    let stores = (
        DraftStore::new(sandbox.0.name(), DraftOf::NewProjectionName),
        DraftStore::new(sandbox.0.name(), DraftOf::NewProjection),
    );
    let name = use_draft(stores.0.clone(), String::new());
    let source = use_draft(stores.1.clone(), BALANCE_PER_ACCOUNT.to_string());
    let Trials { trial, start } = use_trial(Vec::new());
    let error = use_state(|| None::<String>);
    let emit = use_state(|| false);
    let unsaved = name.unsaved || source.unsaved;
    use_leave_guard(unsaved.then(|| {
        "This projection is not created yet. Its draft stays in this browser. Leave this page?"
            .to_string()
    }));

    let on_name = {
        let on_edit = name.on_edit.clone();
        Callback::from(move |e: InputEvent| {
            on_edit.emit(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let create = {
        let (name, source, error) = (name.text.clone(), source.text.clone(), error.clone());
        let emit = *emit;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (sandbox, error, stores) = (sandbox.clone(), error.clone(), stores.clone());
            let (name, source) = (name.clone(), source.clone());
            run(
                async move {
                    sandbox.0.projections().create(&name, &source, emit).await?;
                    Ok::<_, ProjectionError>(name)
                },
                move |result| match result {
                    Ok(name) => {
                        stores.0.discard();
                        stores.1.discard();
                        Route::Projection(name).go();
                    }
                    Err(e) => error.set(Some(format!("{}: {e}", e.name()))),
                },
            );
        })
    };
    let check = {
        let text = source.text.clone();
        Callback::from(move |_: MouseEvent| start.emit(text.clone()))
    };
    let discard = {
        let (name, source) = (name.replace.clone(), source.replace.clone());
        Callback::from(move |()| {
            name.emit(String::new());
            source.emit(BALANCE_PER_ACCOUNT.to_string());
        })
    };
    html! {
        <section>
            <h1>{ "New projection" }</h1>
            <form class="projection-form" onsubmit={create}>
                <div class="field">
                    <label for="projection-name">{ "Name" }</label>
                    <input id="projection-name" type="text" placeholder="balances" value={name.text.clone()} oninput={on_name} />
                </div>
                <TemplatePicker current={source.text.clone()} on_pick={source.replace.clone()} />
                <CodeEditor text={source.shown.clone()} on_change={source.on_edit.clone()} fault_line={trial.fault_line()} />
                <EmitField checked={*emit} on_change={Callback::from({ let emit = emit.clone(); move |on| emit.set(on) })} />
                if unsaved {
                    <DraftNote what="Not created yet" not_kept={name.not_kept.clone().or(source.not_kept.clone())} on_discard={discard} />
                }
                <div class="actions">
                    <button type="button" onclick={check} disabled={trial == Trial::Running}>{ "Check" }</button>
                    <button type="submit" class="primary">{ "Create" }</button>
                    <span class="muted">{ "Check runs the source over the store without saving it." }</span>
                </div>
                if let Some(message) = &*error {
                    <p class="error-banner" role="alert">{ message }</p>
                }
            </form>
            <TrialView title="Check" trial={trial.clone()} current={source.text.clone()}
                ran="The source ran over everything in the store without a fault. Nothing was saved or written; this is what it computes:" />
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct EmitFieldProps {
    pub checked: bool,
    pub on_change: Callback<bool>,
}

/// KurrentDB's `emitEnabled`, with what it decides.
#[function_component(EmitField)]
pub fn emit_field(props: &EmitFieldProps) -> Html {
    let onchange = props.on_change.reform(|e: Event| {
        e.target_unchecked_into::<web_sys::HtmlInputElement>()
            .checked()
    });
    html! {
        <div class="field checkbox">
            <label>
                <input type="checkbox" data-testid="emit-enabled" checked={props.checked} {onchange} aria-describedby="emit-help" />
                { " Emit enabled" }
            </label>
            <span id="emit-help" class="muted">{ "Lets emit(), linkTo() and linkStreamTo() write events. Off, as KurrentDB has it by default: a handler that emits then faults the projection." }</span>
        </div>
    }
}

#[function_component(QueryPage)]
pub fn query_page() -> Html {
    let sandbox = use_sandbox();
    let source = use_draft(
        DraftStore::new(sandbox.0.name(), DraftOf::Query),
        COUNT_BY_TYPE.to_string(),
    );
    let Trials { trial, start } = use_trial(Vec::new());
    let run_query = {
        let text = source.text.clone();
        Callback::from(move |_: MouseEvent| start.emit(text.clone()))
    };
    let discard = {
        let replace = source.replace.clone();
        Callback::from(move |()| replace.emit(COUNT_BY_TYPE.to_string()))
    };
    html! {
        <section>
            <h1>{ "New query" }</h1>
            <p class="muted">{ "A query runs once over everything in the store, is not saved, and never writes." }</p>
            <TemplatePicker current={source.text.clone()} on_pick={source.replace.clone()} />
            <CodeEditor text={source.shown.clone()} on_change={source.on_edit.clone()} fault_line={trial.fault_line()} />
            if source.unsaved {
                <DraftNote what="A query is never saved" not_kept={source.not_kept.clone()} on_discard={discard} />
            }
            <div class="actions">
                <button class="primary" onclick={run_query} disabled={trial == Trial::Running}>{ "Run" }</button>
            </div>
            <TrialView trial={trial} current={source.text.clone()}
                ran="The query ran once over everything in the store; nothing was saved or written." />
        </section>
    }
}
