//! One projection's page: its source, status and lifecycle buttons, state
//! and result, partitions, and log.

use yew::prelude::*;

use super::log_view::LogView;
use super::partition_browser::PartitionBrowser;
use super::{json_text, status_class};
use crate::core::projection::{ProjectionRecord, ProjectionStatus};
use crate::projections::{Lifecycle, LogLine};
use crate::ui::code_editor::CodeEditor;
use crate::ui::json_tree::JsonTree;
use crate::ui::route::Route;
use crate::ui::{run, use_sandbox, Revision, SandboxHandle};

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
    let sandbox = use_sandbox();
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
                <span class={classes!("status", status_class(record.status))} data-testid="projection-status">{ record.status.as_str() }</span>
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
        .map(|(state, result)| (json_text(state.as_ref()), json_text(result.as_ref())))
        .map_err(|e| e.to_string());
    let (state, partitions) = match host.partition_states(name).await {
        Ok(partitions) => (state, partitions),
        Err(error) => (Err(error.to_string()), Vec::new()),
    };
    Ok(Snapshot {
        record: host.record(name).map_err(|e| e.to_string())?,
        state,
        partitions: partitions
            .into_iter()
            .map(|(key, state)| (key, state.to_string()))
            .collect(),
        logs,
    })
}
