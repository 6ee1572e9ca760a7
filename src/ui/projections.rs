//! The projections views: the list, a new projection, a one-time query, and
//! one projection's page (editor, status, state, partitions, result, log).

use serde_json::value::RawValue;
use yew::prelude::*;

use super::code_editor::CodeEditor;
use super::json_tree::JsonTree;
use super::route::Route;
use super::{run, Revision, SandboxHandle};
use crate::core::projection::{ProjectionRecord, ProjectionStatus};
use crate::core::ReadRequest;
use crate::projections::{Lifecycle, LogLine, ProjectionError};

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

#[function_component(ProjectionList)]
pub fn projection_list() -> Html {
    let sandbox = use_context::<SandboxHandle>().expect("SandboxHandle context");
    let revision = use_context::<Revision>().unwrap_or_default();
    let projections = sandbox.0.projections().list();
    // The last position in the store, to show how far behind each one is.
    let head = use_state(|| None::<i64>);
    {
        let (sandbox, head) = (sandbox.clone(), head.clone());
        use_effect_with(revision, move |_| {
            run(
                async move { sandbox.0.read_all(ReadRequest::backwards(None, 1)).await },
                move |last| {
                    if let Ok(last) = last {
                        head.set(Some(last.first().map_or(-1, |e| e.position as i64)));
                    }
                },
            );
        });
    }
    html! {
        <section>
            <h1>{ "Projections" }</h1>
            <div class="toolbar">
                <span class="muted">{ "Reducers in EventStoreDB's projection dialect, run in a Web Worker." }</span>
                <span class="spacer" />
                <a class="button primary" href={Route::NewProjection.href()}>{ "New projection" }</a>
                <a class="button" href={Route::Query.href()}>{ "New query" }</a>
            </div>
            if projections.is_empty() {
                <p class="muted">{ "No projections yet. A projection folds events into state, and stays live as events are appended." }</p>
            } else {
                <table class="projections">
                    <thead><tr>
                        <th>{ "Name" }</th><th>{ "Status" }</th><th>{ "Mode" }</th>
                        <th class="num">{ "Position" }</th><th class="num">{ "Lag" }</th><th class="num">{ "Events processed" }</th>
                        <th class="num">{ "Partitions" }</th>
                    </tr></thead>
                    <tbody>
                        { for projections.iter().map(|p| html! {
                            <tr key={p.name.clone()}>
                                <td><a href={Route::Projection(p.name.clone()).href()}>{ &p.name }</a></td>
                                <td><span class={classes!("status", status_class(p.status))}>{ format!("{:?}", p.status) }</span></td>
                                <td>{ "continuous" }</td>
                                <td class="num">{ p.position }</td>
                                <td class="num">{ head.map_or_else(String::new, |head| (head - p.position).max(0).to_string()) }</td>
                                <td class="num">{ p.events_processed }</td>
                                <td class="num">{ p.partitions }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}

fn status_class(status: ProjectionStatus) -> &'static str {
    match status {
        ProjectionStatus::Running => "running",
        ProjectionStatus::Stopped => "stopped",
        ProjectionStatus::Faulted => "faulted",
        ProjectionStatus::Completed => "completed",
    }
}

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
    let sandbox = use_context::<SandboxHandle>().expect("SandboxHandle context");
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
    let sandbox = use_context::<SandboxHandle>().expect("SandboxHandle context");
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
                            state: raw_text(done.state.as_deref()),
                            result: raw_text(done.result.as_deref()),
                            partitions: done
                                .partitions
                                .into_iter()
                                .map(|(key, state)| (key, state.get().to_string()))
                                .collect(),
                            logs: done
                                .logs
                                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                                .unwrap_or_default(),
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

fn raw_text(raw: Option<&RawValue>) -> String {
    raw.map_or_else(|| "null".to_string(), |raw| raw.get().to_string())
}

#[derive(Properties, PartialEq)]
struct PartitionBrowserProps {
    partitions: Vec<(String, String)>,
}

/// Partition keys with a search box; picking one shows its state.
#[function_component(PartitionBrowser)]
fn partition_browser(props: &PartitionBrowserProps) -> Html {
    let search = use_state(String::new);
    let picked = use_state(|| None::<String>);
    if props.partitions.is_empty() {
        return Html::default();
    }
    let on_search = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| {
            search.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let needle = search.to_lowercase();
    let matching: Vec<&(String, String)> = props
        .partitions
        .iter()
        .filter(|(key, _)| key.to_lowercase().contains(&needle))
        .collect();
    let state = picked
        .as_ref()
        .and_then(|key| props.partitions.iter().find(|(k, _)| k == key));
    html! {
        <div class="partition-browser">
            <h2>{ format!("Partitions ({})", props.partitions.len()) }</h2>
            <input type="search" aria-label="Search partitions" placeholder="Search partitions"
                value={(*search).clone()} oninput={on_search} />
            <div class="columns">
                <ul class="partition-keys">
                    { for matching.iter().take(500).map(|(key, _)| {
                        let picked_now = picked.as_deref() == Some(key.as_str());
                        let (picked, key) = (picked.clone(), key.clone());
                        let label = if key.is_empty() { "(root)".to_string() } else { key.clone() };
                        html! {
                            <li><button type="button" class={classes!(picked_now.then_some("picked"))}
                                onclick={move |_| picked.set(Some(key.clone()))}>{ label }</button></li>
                        }
                    }) }
                </ul>
                <div>
                    if let Some((key, state)) = state {
                        <h3>{ format!("State of {key}") }</h3>
                        <JsonTree json={state.clone()} />
                    } else {
                        <p class="muted">{ format!("{} match; pick one to see its state.", matching.len()) }</p>
                    }
                </div>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct LogViewProps {
    lines: Vec<LogLine>,
}

#[function_component(LogView)]
fn log_view(props: &LogViewProps) -> Html {
    html! {
        <div class="log-view">
            <h2>{ "Log" }</h2>
            if props.lines.is_empty() {
                <p class="muted">{ "Nothing logged. Call log(...) in a handler." }</p>
            } else {
                <table class="log">
                    <thead><tr><th>{ "Event" }</th><th>{ "Message" }</th></tr></thead>
                    <tbody>
                        { for props.lines.iter().map(|line| html! {
                            <tr>
                                <td class="time">{ match (&line.stream, line.version, line.position) {
                                    (Some(stream), Some(version), Some(position)) => format!("{version}@{stream} (position {position})"),
                                    _ => "while defining".to_string(),
                                } }</td>
                                <td><code>{ &line.message }</code></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProjectionPageProps {
    pub name: String,
}

/// What the page shows of a projection, read together.
#[derive(Clone, PartialEq)]
struct Snapshot {
    record: ProjectionRecord,
    state: Result<(String, String), String>,
    partitions: Vec<(String, String)>,
    logs: Vec<LogLine>,
}

#[function_component(ProjectionPage)]
pub fn projection_page(props: &ProjectionPageProps) -> Html {
    let sandbox = use_context::<SandboxHandle>().expect("SandboxHandle context");
    let revision = use_context::<Revision>().unwrap_or_default();
    let snapshot = use_state(|| None::<Result<Snapshot, String>>);
    let source = use_state(String::new);
    let shown = use_state(String::new);
    let action_error = use_state(|| None::<String>);

    {
        let (sandbox, snapshot, source, shown) = (
            sandbox.clone(),
            snapshot.clone(),
            source.clone(),
            shown.clone(),
        );
        use_effect_with((props.name.clone(), revision), move |(name, _)| {
            let name = name.clone();
            let first = snapshot.is_none();
            run(
                async move { read_snapshot(&sandbox, &name).await },
                move |result| {
                    if let (true, Ok(read)) = (first, &result) {
                        source.set(read.record.source.clone());
                        shown.set(read.record.source.clone());
                    }
                    snapshot.set(Some(result));
                },
            );
        });
    }

    let snapshot = match &*snapshot {
        None => return html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(message)) => return html! { <p class="error-banner" role="alert">{ message }</p> },
        Some(Ok(snapshot)) => snapshot.clone(),
    };
    let record = &snapshot.record;
    let act = |label: &'static str, confirm: Option<&'static str>, op: Op| {
        let (sandbox, name, action_error, source) = (
            sandbox.clone(),
            props.name.clone(),
            action_error.clone(),
            source.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if let Some(question) = confirm {
                let sure = web_sys::window()
                    .and_then(|w| w.confirm_with_message(question).ok())
                    .unwrap_or(false);
                if !sure {
                    return;
                }
            }
            let (sandbox, name, action_error, source) = (
                sandbox.clone(),
                name.clone(),
                action_error.clone(),
                (*source).clone(),
            );
            run(
                async move {
                    let host = sandbox.0.projections();
                    match op {
                        Op::Save => host.update(&name, &source).await,
                        Op::Change(Lifecycle::Delete) => host
                            .apply(&name, Lifecycle::Delete)
                            .await
                            .map(|()| Route::Projections.go()),
                        Op::Change(change) => host.apply(&name, change).await,
                    }
                },
                move |result| {
                    action_error.set(result.err().map(|e| format!("{label} failed: {e}")));
                },
            );
        })
    };
    let on_edit = {
        let source = source.clone();
        Callback::from(move |text: String| source.set(text))
    };
    let running = record.status == ProjectionStatus::Running;

    html! {
        <section class="projection-page">
            <p class="crumbs"><a href={Route::Projections.href()}>{ "Projections" }</a>{ " / " }</p>
            <h1>{ &record.name }</h1>
            <div class="toolbar">
                <span class={classes!("status", status_class(record.status))} data-testid="projection-status">{ format!("{:?}", record.status) }</span>
                <span class="muted">{ format!("position {} · {} events processed · {} partitions", record.position, record.events_processed, record.partitions) }</span>
                <span class="spacer" />
                if running {
                    <button onclick={act("Stop", None, Op::Change(Lifecycle::Stop))}>{ "Stop" }</button>
                } else {
                    <button onclick={act("Start", None, Op::Change(Lifecycle::Start))}>{ "Start" }</button>
                }
                <button onclick={act("Reset", Some("Reset this projection? Its state is thrown away and it runs again from the first event."), Op::Change(Lifecycle::Reset))}>{ "Reset" }</button>
                <button class="danger" onclick={act("Delete", Some("Delete this projection and its state?"), Op::Change(Lifecycle::Delete))}>{ "Delete" }</button>
            </div>
            if let Some(reason) = &record.reason {
                <div class="error-banner fault" role="alert" data-testid="fault-reason">
                    <strong>{ "Faulted: " }</strong>{ reason }
                </div>
            }
            if let Some(message) = &*action_error {
                <p class="error-banner" role="alert">{ message }</p>
            }
            <CodeEditor text={(*shown).clone()} on_change={on_edit} fault_line={record.fault_line} />
            <div class="actions">
                <button class="primary" onclick={act("Save", Some("Save the new source? The projection is reset and runs again from the first event."), Op::Save)}>{ "Save and reset" }</button>
            </div>
            <div class="views">
                { match &snapshot.state {
                    Ok((state, _)) if state == "null" && !snapshot.partitions.is_empty() => html! {
                        <p class="muted">{ "This projection is partitioned: each partition has its own state and result. Pick one below." }</p>
                    },
                    Ok((state, result)) => html! {
                        <>
                            <h2>{ "State" }</h2><JsonTree json={state.clone()} />
                            <h2>{ "Result" }</h2><JsonTree json={result.clone()} />
                        </>
                    },
                    Err(message) => html! { <p class="muted">{ format!("No state: {message}") }</p> },
                } }
                <PartitionBrowser partitions={snapshot.partitions.clone()} />
                <LogView lines={snapshot.logs.clone()} />
            </div>
        </section>
    }
}

#[derive(Clone, Copy)]
enum Op {
    Change(Lifecycle),
    /// Save the edited source, which resets.
    Save,
}

async fn read_snapshot(sandbox: &SandboxHandle, name: &str) -> Result<Snapshot, String> {
    let host = sandbox.0.projections();
    let record = host.record(name).map_err(|e| e.to_string())?;
    let logs = host.logs(name).map_err(|e| e.to_string())?;
    if record.status == ProjectionStatus::Faulted {
        return Ok(Snapshot {
            record,
            state: Err("the projection is faulted".into()),
            partitions: Vec::new(),
            logs,
        });
    }
    let state = host
        .state(name, None)
        .await
        .map(|(state, result)| (raw_text(state.as_deref()), raw_text(result.as_deref())))
        .map_err(|e| e.to_string());
    let partitions = host.partition_states(name).await.unwrap_or_default();
    Ok(Snapshot {
        record: host.record(name).map_err(|e| e.to_string())?,
        state,
        partitions: partitions
            .into_iter()
            .map(|(key, state)| (key, state.get().to_string()))
            .collect(),
        logs,
    })
}
