//! Writing a projection's source: the templates, a new projection, and a
//! one-time query.

use yew::prelude::*;

use super::json_text;
use super::log_view::LogView;
use super::partition_browser::PartitionBrowser;
use crate::projections::{LogLine, ProjectionError};
use crate::ui::code_editor::CodeEditor;
use crate::ui::json_tree::JsonTree;
use crate::ui::route::Route;
use crate::ui::{run, use_sandbox};

/// Starting points, as the ESDB docs teach them.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "Count by event type",
        "fromAll()\n  .when({\n    $init: () => ({}),\n    $any: (state, event) => {\n      state[event.eventType] = (state[event.eventType] || 0) + 1;\n    },\n  })\n  .outputState();\n",
    ),
    (
        "Balance per account (foreachStream)",
        "fromCategory('account')\n  .foreachStream()\n  .when({\n    $init: () => ({ balance: 0 }),\n    Deposited: (state, event) => {\n      state.balance += event.data.amount;\n    },\n    Withdrawn: (state, event) => {\n      state.balance -= event.data.amount;\n    },\n  });\n",
    ),
    (
        "Totals by a key (partitionBy)",
        "fromAll()\n  .partitionBy((event) => event.data.currency)\n  .when({\n    $init: () => ({ events: 0 }),\n    $any: (state, event) => {\n      state.events += 1;\n    },\n  });\n",
    ),
    (
        "Per stream and overall (biState)",
        "options({ biState: true });\n\nfromCategory('account')\n  .foreachStream()\n  .when({\n    $init: () => ({ events: 0 }),\n    $initShared: () => ({ accounts: 0, events: 0 }),\n    $created: (state, event) => {\n      state[1].accounts += 1;\n    },\n    $any: (state, event) => {\n      state[0].events += 1;\n      state[1].events += 1;\n      return state;\n    },\n  });\n",
    ),
];

#[derive(Properties, PartialEq)]
struct TemplatePickerProps {
    on_pick: Callback<String>,
}

#[function_component(TemplatePicker)]
fn template_picker(props: &TemplatePickerProps) -> Html {
    html! {
        <div class="templates">
            <span class="muted">{ "Start from: " }</span>
            { for TEMPLATES.iter().map(|(label, source)| {
                let on_pick = props.on_pick.clone();
                let source = source.to_string();
                html! { <button type="button" onclick={move |_| on_pick.emit(source.clone())}>{ *label }</button> }
            }) }
        </div>
    }
}

/// The source being edited: `source` follows every keystroke; `shown` is
/// what the editor is told to display (a picked template), so typing does not
/// push the text back into the editor.
struct SourceEditor {
    source: UseStateHandle<String>,
    shown: UseStateHandle<String>,
    on_edit: Callback<String>,
    on_pick: Callback<String>,
}

#[hook]
fn use_source_editor(initial: &'static str) -> SourceEditor {
    let source = use_state(|| initial.to_string());
    let shown = use_state(|| initial.to_string());
    let on_edit = {
        let source = source.clone();
        Callback::from(move |text: String| source.set(text))
    };
    let on_pick = {
        let (source, shown) = (source.clone(), shown.clone());
        Callback::from(move |text: String| {
            source.set(text.clone());
            shown.set(text);
        })
    };
    SourceEditor {
        source,
        shown,
        on_edit,
        on_pick,
    }
}

#[function_component(NewProjection)]
pub fn new_projection() -> Html {
    let sandbox = use_sandbox();
    let name = use_state(String::new);
    let SourceEditor {
        source,
        shown,
        on_edit,
        on_pick,
    } = use_source_editor(TEMPLATES[1].1);
    let error = use_state(|| None::<String>);
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| {
            name.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let create = {
        let (name, source, error) = (name.clone(), source.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (sandbox, error) = (sandbox.clone(), error.clone());
            let (name, source) = ((*name).clone(), (*source).clone());
            run(
                async move {
                    sandbox.0.projections().create(&name, &source).await?;
                    Ok::<_, ProjectionError>(name)
                },
                move |result| match result {
                    Ok(name) => Route::Projection(name).go(),
                    Err(e) => error.set(Some(format!("{}: {e}", e.name()))),
                },
            );
        })
    };
    html! {
        <section>
            <h1>{ "New projection" }</h1>
            <form class="projection-form" onsubmit={create}>
                <div class="field">
                    <label for="projection-name">{ "Name" }</label>
                    <input id="projection-name" type="text" placeholder="balances" value={(*name).clone()} oninput={on_name} />
                </div>
                <TemplatePicker on_pick={on_pick} />
                <CodeEditor text={(*shown).clone()} on_change={on_edit} />
                <div class="actions"><button type="submit" class="primary">{ "Create" }</button></div>
                if let Some(message) = &*error {
                    <p class="error-banner" role="alert">{ message }</p>
                }
            </form>
        </section>
    }
}

/// What a query run showed.
#[derive(Clone, PartialEq)]
enum QueryRun {
    NotRun,
    Running,
    Done {
        state: String,
        result: String,
        partitions: Vec<(String, String)>,
        logs: Vec<LogLine>,
    },
    Faulted(String),
}

#[function_component(QueryPage)]
pub fn query_page() -> Html {
    let sandbox = use_sandbox();
    let SourceEditor {
        source,
        shown,
        on_edit,
        on_pick,
    } = use_source_editor(TEMPLATES[0].1);
    let outcome = use_state(|| QueryRun::NotRun);
    let run_query = {
        let (source, outcome) = (source.clone(), outcome.clone());
        Callback::from(move |_: MouseEvent| {
            outcome.set(QueryRun::Running);
            let (sandbox, outcome, source) = (sandbox.clone(), outcome.clone(), (*source).clone());
            run(
                async move { sandbox.0.projections().query(&source).await },
                move |result| {
                    outcome.set(match result {
                        Ok(done) => QueryRun::Done {
                            state: json_text(done.state.as_ref()),
                            result: json_text(done.result.as_ref()),
                            partitions: done
                                .partitions
                                .into_iter()
                                .map(|(key, state)| (key, state.to_string()))
                                .collect(),
                            logs: done.logs,
                        },
                        Err(error) => QueryRun::Faulted(error.to_string()),
                    })
                },
            );
        })
    };
    html! {
        <section>
            <h1>{ "New query" }</h1>
            <p class="muted">{ "A query runs once over everything in the store, is not saved, and never writes." }</p>
            <TemplatePicker on_pick={on_pick} />
            <CodeEditor text={(*shown).clone()} on_change={on_edit} />
            <div class="actions">
                <button class="primary" onclick={run_query} disabled={*outcome == QueryRun::Running}>{ "Run" }</button>
            </div>
            { match &*outcome {
                QueryRun::NotRun => Html::default(),
                QueryRun::Running => html! { <p class="muted">{ "Running…" }</p> },
                QueryRun::Faulted(reason) => html! { <p class="error-banner fault" role="alert">{ reason }</p> },
                QueryRun::Done { state, result, partitions, logs } => html! {
                    <div class="views">
                        <h2>{ "State" }</h2><JsonTree json={state.clone()} />
                        <h2>{ "Result" }</h2><JsonTree json={result.clone()} />
                        <PartitionBrowser partitions={partitions.clone()} />
                        <LogView lines={logs.clone()} />
                    </div>
                },
            } }
        </section>
    }
}
