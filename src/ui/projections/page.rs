//! One projection's page: its status and lifecycle buttons, its source as a
//! draft that can be checked before it is saved, its states (as of the last
//! good event when it faulted), partitions, and log; and, following the
//! time-travel cursor, its states as of any event, what each event did,
//! what-if runs and a draft compared with the saved reducer.

use std::collections::BTreeSet;

use yew::prelude::*;

use super::as_of::Definition;
use super::compare_view::ComparePanel;
use super::drafts::{use_draft, use_leave_guard, DraftNote, DraftOf, DraftStore};
use super::editor::EmitField;
use super::log_view::LogView;
use super::states_view::{StatesText, StatesView};
use super::travel_panel::TravelSection;
use super::trial::{use_trial, Trial, TrialView, Trials};
use super::what_if::{SkipChange, WhatIf};
use super::{confirm, status_class};
use crate::core::projection::{ProjectionRecord, ProjectionStatus, SystemProjection};
use crate::projections::{Lifecycle, ProjectionError};
use crate::service::Cursor;
use crate::ui::code_editor::CodeEditor;
use crate::ui::count;
use crate::ui::cursor::use_cursor;
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
    /// Its states once caught up; a faulted one's as of its last good event.
    states: Result<StatesText, String>,
    /// The last position in `$all` when the row was read, -1 when empty.
    head: i64,
    /// Link streams it reads whose system projection is not running.
    stalled_reads: Vec<StalledRead>,
}

/// A link stream a projection reads, written by a system projection that
/// is not running: nothing appended since reaches the projection.
#[derive(Clone, PartialEq)]
struct StalledRead {
    stream: String,
    system: &'static str,
    status: ProjectionStatus,
}

#[function_component(ProjectionPage)]
pub fn projection_page(props: &ProjectionPageProps) -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    // Kept with the name it was read for: a slow read of the projection
    // shown before (waiting for it to catch up) may answer after this
    // one's, and must not be shown under this one's address.
    let snapshot = use_state(|| None::<(String, Result<Snapshot, String>)>);
    let shown_name = use_mut_ref(String::new);
    *shown_name.borrow_mut() = props.name.clone();
    {
        let (sandbox, snapshot) = (sandbox.clone(), snapshot.clone());
        use_effect_with((props.name.clone(), revision), move |(name, _)| {
            let name = name.clone();
            run(
                {
                    let name = name.clone();
                    async move { read_snapshot(&sandbox, &name).await }
                },
                move |result| {
                    if *shown_name.borrow() == name {
                        snapshot.set(Some((name, result)));
                    }
                },
            );
        });
    }
    let shown = (*snapshot)
        .as_ref()
        .filter(|(name, _)| *name == props.name)
        .map(|(_, result)| result);
    match shown {
        None => html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(message)) => html! { <p class="error-banner" role="alert">{ message }</p> },
        // Keyed by name: another projection's page starts with its own draft.
        Some(Ok(snapshot)) => html! {
            <ProjectionDetail key={snapshot.record.name.clone()} snapshot={snapshot.clone()} />
        },
    }
}

#[derive(Properties, PartialEq)]
struct ProjectionDetailProps {
    snapshot: Snapshot,
}

#[function_component(ProjectionDetail)]
fn projection_detail(props: &ProjectionDetailProps) -> Html {
    let sandbox = use_sandbox();
    let record = &props.snapshot.record;
    let store = DraftStore::new(sandbox.0.name(), DraftOf::Projection(&record.name));
    // What a save here just stored: the draft is saved from that moment,
    // not only once the re-run from position 0 shows the new snapshot.
    let just_saved = use_state(|| None::<String>);
    {
        let just_saved = just_saved.clone();
        use_effect_with(record.source.clone(), move |_| just_saved.set(None));
    }
    let baseline = (*just_saved)
        .clone()
        .unwrap_or_else(|| record.source.clone());
    let draft = use_draft(store.clone(), baseline.clone());
    let Trials { trial, start } = use_trial(record.emitted_streams.clone());
    let action_error = use_state(|| None::<String>);
    use_leave_guard(draft.unsaved.then(|| {
        format!(
            "Your changes to the source of {} are not saved: the projection still runs its saved source. They stay as a draft in this browser. Leave this page?",
            record.name
        )
    }));

    let emit = use_state(|| record.emit_enabled);
    let cursor = use_cursor().cursor;
    // The what-if's skipped positions: one set, which the event at the
    // cursor toggles and the what-if's range adds to.
    let skipped = use_state(BTreeSet::<i64>::new);
    let on_skip = {
        let skipped = skipped.clone();
        Callback::from(move |change: SkipChange| skipped.set(change.apply(&skipped)))
    };
    let definition = Definition {
        name: record.name.clone(),
        source: record.source.clone(),
        generation: record.generation,
    };
    let act = |label: &'static str, question: Option<&'static str>, op: Op| {
        let (sandbox, name, action_error) =
            (sandbox.clone(), record.name.clone(), action_error.clone());
        let just_saved = just_saved.clone();
        let (source, store) = (draft.text.clone(), store.clone());
        let emit = *emit;
        Callback::from(move |_: MouseEvent| {
            if question.is_some_and(|question| !confirm(question)) {
                return;
            }
            let (sandbox, name, action_error) =
                (sandbox.clone(), name.clone(), action_error.clone());
            let (source, store, just_saved) = (source.clone(), store.clone(), just_saved.clone());
            let saved = source.clone();
            run(
                async move {
                    let host = sandbox.0.projections();
                    match op {
                        Op::Save { reset } => {
                            host.update(&name, &source, Some(emit)).await?;
                            store.discard();
                            if reset {
                                host.apply(&name, Lifecycle::Reset).await?;
                            }
                            Ok(())
                        }
                        Op::Change(Lifecycle::Delete) => {
                            host.apply(&name, Lifecycle::Delete).await.map(|()| {
                                store.discard();
                                Route::Projections.go()
                            })
                        }
                        Op::Change(change) => host.apply(&name, change).await,
                    }
                },
                move |result| {
                    if result.is_ok() && matches!(op, Op::Save { .. }) {
                        just_saved.set(Some(saved));
                    }
                    action_error.set(result.err().map(|e| format!("{label} failed: {e}")));
                },
            );
        })
    };
    let check = {
        let text = draft.text.clone();
        Callback::from(move |_: MouseEvent| start.emit(text.clone()))
    };
    let discard = {
        let (replace, saved) = (draft.replace.clone(), baseline.clone());
        Callback::from(move |()| replace.emit(saved.clone()))
    };
    const SAVE_AND_RESET: &str = "Save the new source and reset? The state built so far is thrown away, and the new source runs again from the first event.";
    let running = record.status == ProjectionStatus::Running;
    let system = record.system_projection();
    let faulted = record.status == ProjectionStatus::Faulted;
    // A check of the draft says where the draft fails; until one ran, the
    // saved source's fault does.
    let fault_line = if trial.has_run() {
        trial.fault_line()
    } else {
        record.fault_line
    };
    let states = match &props.snapshot.states {
        Ok(states) => html! { <StatesView states={states.clone()} /> },
        Err(message) => html! { <p class="muted">{ format!("No state: {message}") }</p> },
    };

    html! {
        <section class="projection-page">
            <p class="crumbs"><a href={Route::Projections.href()}>{ "Projections" }</a>{ " / " }</p>
            <h1>{ &record.name }</h1>
            <div class="toolbar">
                <span class={classes!("status", status_class(record.status))} data-testid="projection-status">{ record.status.as_str() }</span>
                <span class="muted">{ format!("position {} · {} processed · {}", record.position, count(record.events_processed, "event"), count(record.partitions, "partition")) }</span>
                <span class="muted" data-testid="projection-lag">{ lag_text(record, props.snapshot.head) }</span>
                <span class="spacer" />
                if running {
                    <button onclick={act("Stop", None, Op::Change(Lifecycle::Stop))}>{ "Stop" }</button>
                } else {
                    <button onclick={act("Start", None, Op::Change(Lifecycle::Start))}>{ "Start" }</button>
                }
                <button onclick={act("Reset", Some("Reset this projection? Its state is thrown away and it runs again from the first event."), Op::Change(Lifecycle::Reset))}>{ "Reset" }</button>
                if system.is_none() {
                    <button class="danger" onclick={act("Delete", Some("Delete this projection and its state?"), Op::Change(Lifecycle::Delete))}>{ "Delete" }</button>
                }
            </div>
            { for props.snapshot.stalled_reads.iter().map(stalled_read) }
            if let Some(reason) = &record.reason {
                <div class="error-banner fault" role="alert" data-testid="fault-reason">
                    <strong>{ "Faulted: " }</strong>{ reason }
                </div>
            }
            if faulted {
                // Beside the fault: how far it got, and what it had then.
                <p class="muted" data-testid="fault-progress">{ progress_before_fault(record) }</p>
                if record.position >= 0 {
                    <div class="views" data-testid="last-good">{ states.clone() }</div>
                }
            }
            if let Some(message) = &*action_error {
                <p class="error-banner" role="alert">{ message }</p>
            }
            if system.is_none() {
                <TravelSection definition={definition.clone()} head={props.snapshot.head}
                    skipped={(*skipped).clone()} on_skip={on_skip.clone()} />
            }
            if let Some(system) = system {
                <h2>{ "Source" }</h2>
                <p data-testid="system-projection"><code>{ &record.source }</code>{ format!(" is one of KurrentDB's built-in system projections. It indexes every event into {}; its code cannot change, and it keeps no state.", system.writes) }</p>
                <p class="muted">{ format!("Here the link streams it writes are served from the store's indexes, up to the position it has processed. Stop it, and {} shows nothing appended after that, to readers and to the projections that read it, until it starts again.", system.writes) }</p>
            } else {
            <h2>{ "Source" }</h2>
            <CodeEditor text={draft.shown.clone()} on_change={draft.on_edit.clone()} {fault_line} />
            if draft.unsaved {
                <DraftNote what="Not saved: the projection still runs its saved source" not_kept={draft.not_kept.clone()} on_discard={discard.clone()} />
            }
            <EmitField checked={*emit} on_change={Callback::from({ let emit = emit.clone(); move |on| emit.set(on) })} />
            <div class="actions">
                <button type="button" onclick={check} disabled={trial == Trial::Running}>{ "Check" }</button>
                <button class="primary" onclick={act("Save", None, Op::Save { reset: false })}>{ "Save" }</button>
                <button onclick={act("Save and reset", Some(SAVE_AND_RESET), Op::Save { reset: true })}>{ "Save and reset" }</button>
            </div>
            <p class="muted" data-testid="save-help">{ save_help(record) }</p>
            <p class="muted">{ "Check runs the source in the editor over the store without saving it." }</p>
            <TrialView title="Check" trial={trial.clone()} current={draft.text.clone()}
                ran="The source in the editor ran over everything in the store without a fault. Nothing was saved or written; this is what it computes:" />
            <ComparePanel definition={definition.clone()} draft={draft.text.clone()} at={cursor.bound()}
                built_to={record.position}
                on_apply={act("Apply", None, Op::Save { reset: false })}
                on_apply_and_reset={act("Apply and reset", Some(SAVE_AND_RESET), Op::Save { reset: true })}
                on_discard={discard.clone()} />
            }
            <div class="views">
                // With the cursor in the past, the travel section above
                // shows the states as of it instead.
                if !faulted && cursor == Cursor::Live {
                    { states }
                }
                <LogView lines={record.logs.clone()} />
            </div>
            if system.is_none() {
                <WhatIf {definition} at={cursor.bound()} head={props.snapshot.head}
                    skipped={(*skipped).clone()} {on_skip} />
            }
        </section>
    }
}

#[derive(Clone, Copy)]
enum Op {
    Change(Lifecycle),
    /// Save the edited source: it goes on from the checkpoint, or, with
    /// `reset`, starts again from the first event.
    Save {
        reset: bool,
    },
}

/// What each save does to the state already built.
fn save_help(record: &ProjectionRecord) -> String {
    let built = if record.position < 0 {
        "no state yet".to_string()
    } else {
        format!("the state built up to position {}", record.position)
    };
    format!(
        "Save keeps {built} and runs the new source from the last checkpoint on, as KurrentDB's update does. Save and reset throws that state away and runs the new source over every event from the first."
    )
}

/// How far behind the end of `$all` the projection is: projections are
/// eventually consistent, as KurrentDB's page shows.
fn lag_text(record: &ProjectionRecord, head: i64) -> String {
    match head - record.position.min(head) {
        0 => "caught up".into(),
        behind => format!("{} behind", count(behind as u64, "event")),
    }
}

fn stalled_read(read: &StalledRead) -> Html {
    html! {
        <div class="notice" role="status" data-testid="stalled-read">
            { format!("This projection reads {}, which the system projection ", read.stream) }
            <a href={Route::Projection(read.system.to_string()).href()}>{ read.system }</a>
            { format!(" writes. {} is {}, so nothing appended since it stopped reaches this projection; fromCategory() reads the category's link stream, exactly as in KurrentDB. Start {} to go on.", read.system, read.status, read.system) }
        </div>
    }
}

/// How far a faulted projection got, which is what its states show.
fn progress_before_fault(record: &ProjectionRecord) -> String {
    if record.position < 0 {
        return "It faulted before it processed any event.".into();
    }
    format!(
        "Before the fault it processed {} up to position {}. The states below are as of that event, the last good one.",
        count(record.events_processed, "event"),
        record.position
    )
}

async fn read_snapshot(sandbox: &SandboxHandle, name: &str) -> Result<Snapshot, String> {
    let host = sandbox.0.projections();
    let record = host.record(name).map_err(|e| e.to_string())?;
    let view = match record.status {
        _ if record.system_projection().is_some() => Err(ProjectionError::Faulted(
            "a system projection keeps none".into(),
        )),
        ProjectionStatus::Faulted if record.position < 0 => {
            Err(ProjectionError::Faulted("it processed no event".into()))
        }
        ProjectionStatus::Faulted => host.last_good_view(name).await,
        _ => host.view(name).await,
    };
    let states = view
        .map(|view| {
            StatesText::new(
                view.shape,
                view.state.as_ref(),
                view.result.as_ref(),
                &view.partitions,
            )
        })
        .map_err(|e| e.to_string());
    // Read after the states: reading them waits for the projection to
    // catch up, which moves its progress.
    let record = host.record(name).map_err(|e| e.to_string())?;
    let head = sandbox.0.event_count().await.map_err(|e| e.to_string())? as i64 - 1;
    let stalled_reads = record
        .reads
        .iter()
        .filter_map(|stream| {
            let (system, _) = SystemProjection::writing(stream)?;
            let status = host.record(system.name).map(|r| r.status).ok()?;
            (status != ProjectionStatus::Running).then(|| StalledRead {
                stream: stream.clone(),
                system: system.name,
                status,
            })
        })
        .collect();
    Ok(Snapshot {
        record,
        states,
        head,
        stalled_reads,
    })
}
