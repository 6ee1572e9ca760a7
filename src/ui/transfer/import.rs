//! Import: pick a file, read and check it (a bar while it runs), preview
//! what it holds and what importing it does, then write it on request (a
//! bar again), and say how it ended. Nothing is written before Import.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::file::futures::read_as_text;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::core::transfer::{group_thousands, ImportPreview};
use crate::service::PreparedImport;
use crate::ui::{run, use_sandbox};

#[derive(Clone)]
enum Stage {
    Idle,
    Checking { done: u64, total: u64 },
    Preview(Rc<Ready>),
    Writing { ready: Rc<Ready>, written: u64 },
    Done { imported: u64, projections: usize },
    Failed(String),
}

/// A checked file waiting for the person's go-ahead.
struct Ready {
    file: String,
    preview: ImportPreview,
    /// Taken when the import starts.
    prepared: RefCell<Option<PreparedImport>>,
}

#[function_component(ImportPanel)]
pub fn import_panel() -> Html {
    let sandbox = use_sandbox();
    let stage = use_state(|| Stage::Idle);

    let on_file = {
        let (sandbox, stage) = (sandbox.clone(), stage.clone());
        Callback::from(move |event: Event| {
            let Some(file) = chosen_file(&event) else {
                return;
            };
            let file = gloo::file::File::from(file);
            let name = file.name();
            stage.set(Stage::Checking { done: 0, total: 0 });
            let (sandbox, stage) = (sandbox.clone(), stage.clone());
            let progress_stage = stage.clone();
            let progress = Rc::new(move |done, total| {
                progress_stage.set(Stage::Checking { done, total });
            });
            run(
                async move {
                    let text = read_as_text(&file)
                        .await
                        .map_err(|error| format!("could not read {}: {error}", file.name()))?;
                    sandbox
                        .0
                        .prepare_import(&text, progress)
                        .await
                        .map_err(|error| error.to_string())
                },
                move |prepared| {
                    stage.set(match prepared {
                        Ok(prepared) => Stage::Preview(Rc::new(Ready {
                            file: name,
                            preview: prepared.preview.clone(),
                            prepared: RefCell::new(Some(prepared)),
                        })),
                        Err(message) => Stage::Failed(message),
                    });
                },
            );
        })
    };

    let on_import = {
        let (sandbox, stage) = (sandbox.clone(), stage.clone());
        Callback::from(move |_| {
            let Stage::Preview(ready) = &*stage else {
                return;
            };
            let Some(prepared) = ready.prepared.borrow_mut().take() else {
                return;
            };
            let projections = ready.preview.projections.len();
            stage.set(Stage::Writing {
                ready: Rc::clone(ready),
                written: 0,
            });
            // Progress may be reported after the end is shown; it is
            // ignored then.
            let finished = Rc::new(Cell::new(false));
            let progress = {
                let (stage, ready, finished) =
                    (stage.clone(), Rc::clone(ready), Rc::clone(&finished));
                Rc::new(move |written| {
                    if !finished.get() {
                        stage.set(Stage::Writing {
                            ready: Rc::clone(&ready),
                            written,
                        });
                    }
                })
            };
            let (sandbox, stage) = (sandbox.clone(), stage.clone());
            run(
                async move { sandbox.0.import(prepared, progress).await },
                move |outcome| {
                    finished.set(true);
                    stage.set(match outcome {
                        Ok(imported) => Stage::Done {
                            imported,
                            projections,
                        },
                        Err(error) => Stage::Failed(error.to_string()),
                    });
                },
            );
        })
    };
    let on_cancel = {
        let stage = stage.clone();
        Callback::from(move |_| stage.set(Stage::Idle))
    };

    let busy = matches!(&*stage, Stage::Checking { .. } | Stage::Writing { .. });
    html! {
        <section class="import">
            <h2>{ "Import" }</h2>
            <p class="muted">{ "An NDJSON export (one event a line) adds its events after this sandbox's; a whole-sandbox file goes into an empty sandbox and recreates its projections. Nothing is written until you press Import, and then all of it or none." }</p>
            <label class="file-picker">
                { "Choose a file " }
                <input type="file" accept=".ndjson,.json,.jsonl,application/json,application/x-ndjson"
                    onchange={on_file} disabled={busy} data-testid="import-file" />
            </label>
            { match &*stage {
                Stage::Idle => html! {},
                Stage::Checking { done, total } => html! {
                    <div class="import-progress" aria-live="polite">
                        <label for="import-check">{ format!("Reading and checking: {} of {}", group_thousands(*done), group_thousands(*total)) }</label>
                        <progress id="import-check" max={total.max(&1).to_string()} value={done.to_string()} />
                    </div>
                },
                Stage::Preview(ready) => html! {
                    <>
                        <PreviewView ready={Rc::clone(ready)} />
                        <div class="import-progress">
                            <label for="import-checked">{ format!("Read and checked: all {} events; nothing is written yet", group_thousands(ready.preview.events)) }</label>
                            <progress id="import-checked" max={ready.preview.events.to_string()} value={ready.preview.events.to_string()} />
                        </div>
                        <div class="toolbar">
                            <button type="button" class="button primary" onclick={on_import}>{ "Import" }</button>
                            <button type="button" class="button" onclick={on_cancel}>{ "Cancel" }</button>
                        </div>
                    </>
                },
                Stage::Writing { ready, written } => html! {
                    <>
                        <PreviewView ready={Rc::clone(ready)} />
                        <div class="import-progress" aria-live="polite">
                            <label for="import-write">{ format!("Writing: {} of {} events", group_thousands(*written), group_thousands(ready.preview.events)) }</label>
                            <progress id="import-write" max={ready.preview.events.to_string()} value={written.to_string()} />
                        </div>
                    </>
                },
                Stage::Done { imported, projections } => html! {
                    <p class="import-done" role="status">
                        { format!("Imported {} events", group_thousands(*imported)) }
                        { if *projections > 0 { format!(" and created {projections} projection(s).") } else { ".".into() } }
                    </p>
                },
                Stage::Failed(message) => html! {
                    <p class="error-banner" role="alert" data-testid="import-error">{ message }</p>
                },
            } }
        </section>
    }
}

/// The file the picker holds, if any.
fn chosen_file(event: &Event) -> Option<web_sys::File> {
    let input: web_sys::HtmlInputElement = event.target()?.dyn_into().ok()?;
    input.files()?.get(0)
}

#[derive(Properties)]
struct PreviewProps {
    ready: Rc<Ready>,
}

impl PartialEq for PreviewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.ready, &other.ready)
    }
}

/// What the file holds and what importing it does; event data as text.
#[function_component(PreviewView)]
fn preview_view(props: &PreviewProps) -> Html {
    let Ready { file, preview, .. } = &*props.ready;
    html! {
        <div class="import-preview" data-testid="import-preview">
            <h3>{ format!("Preview of {file}") }</h3>
            <dl>
                <dt>{ "Format" }</dt><dd>{ preview.format.label() }</dd>
                <dt>{ "Events" }</dt><dd data-testid="preview-events">{ group_thousands(preview.events) }</dd>
                <dt>{ "Streams" }</dt><dd>{ group_thousands(preview.streams) }</dd>
                if !preview.projections.is_empty() {
                    <dt>{ "Projections" }</dt><dd>{ preview.projections.join(", ") }</dd>
                }
            </dl>
            <p class="import-action"><strong>{ "Importing " }{ preview.action() }{ "." }</strong></p>
            <h4>{ "First streams" }</h4>
            <ul class="preview-streams">
                { for preview.first_streams.iter().map(|(stream, events)| html! {
                    <li><code>{ stream }</code>{ format!(" ({} events)", group_thousands(*events)) }</li>
                }) }
            </ul>
            <h4>{ "First events" }</h4>
            <pre class="preview-events">{ preview.first_events.join("\n") }</pre>
        </div>
    }
}
