//! The append form. Field problems appear under their field; a conflict shows
//! the expected and the actual version; after a success the new event is
//! shown and the stream and type stay filled for the next one.

use yew::prelude::*;

use super::app::Draft;
use super::route::Route;
use super::{run, use_sandbox};
use crate::core::form::{parse_append_form, AppendFormText, FieldError, FormField};
use crate::core::{ExpectedVersion, ReadRequest, RecordedEvent, StoreError};

#[derive(Properties, PartialEq)]
pub struct AppendFormProps {
    pub initial: AppendFormText,
}

#[derive(Clone, PartialEq)]
enum Outcome {
    None,
    Appended(RecordedEvent),
    Rejected(StoreError),
}

#[function_component(AppendForm)]
pub fn append_form(props: &AppendFormProps) -> Html {
    let sandbox = use_sandbox();
    let form = use_state(|| props.initial.clone());
    let field_errors = use_state(Vec::<FieldError>::new);
    let outcome = use_state(|| Outcome::None);
    let busy = use_state(|| false);
    {
        let form = form.clone();
        use_effect_with(props.initial.clone(), move |initial| {
            form.set(initial.clone())
        });
    }

    // The fields are read from the DOM on submit: a change event that lands in
    // the same click as the submit would otherwise be one render behind.
    let fields = use_memo((), |_| FieldRefs::default());
    let on_submit = {
        let (form, field_errors, outcome, busy) = (
            form.clone(),
            field_errors.clone(),
            outcome.clone(),
            busy.clone(),
        );
        let fields = fields.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let typed = fields.read();
            form.set(typed.clone());
            let input = match parse_append_form(&typed) {
                Ok(input) => input,
                Err(errors) => {
                    field_errors.set(errors);
                    outcome.set(Outcome::None);
                    return;
                }
            };
            field_errors.set(Vec::new());
            busy.set(true);
            let sandbox = sandbox.clone();
            let (form, outcome, busy) = (form.clone(), outcome.clone(), busy.clone());
            let typed_form = typed.clone();
            let expected_was_exact = matches!(input.expected, ExpectedVersion::Exact(_));
            run(
                async move {
                    let result = sandbox
                        .0
                        .append(&input.stream, vec![input.event], input.expected)
                        .await?;
                    let written = sandbox
                        .0
                        .read_stream(
                            &input.stream,
                            ReadRequest::forwards(result.next_expected_version, 1),
                        )
                        .await?;
                    written.into_iter().next().ok_or_else(|| {
                        StoreError::Storage("the appended event could not be read back".into())
                    })
                },
                move |result| {
                    busy.set(false);
                    match result {
                        Ok(event) => {
                            if expected_was_exact {
                                // Keep an exact expectation useful for the next append.
                                let mut next = typed_form;
                                next.expected_version = event.version.to_string();
                                form.set(next);
                            }
                            outcome.set(Outcome::Appended(event));
                        }
                        Err(error) => outcome.set(Outcome::Rejected(error)),
                    }
                },
            );
        })
    };

    let error_for = |field: FormField| -> Html {
        field_errors
            .iter()
            .filter(|error| error.field == field)
            .map(|error| html! { <p class="field-error" role="alert">{ &error.message }</p> })
            .collect()
    };
    let conflict = match &*outcome {
        Outcome::Rejected(StoreError::WrongExpectedVersion {
            stream,
            expected,
            actual,
        }) => html! {
            <div class="field-error conflict" role="alert">
                <strong>{ "Wrong expected version" }</strong>
                { format!(" on {stream}: expected {expected}, actual {actual}. Someone appended first; reload the stream, then decide.") }
            </div>
        },
        _ => Html::default(),
    };

    html! {
        <form class="append-form" onsubmit={on_submit} novalidate=true>
            <div class="field">
                <label for="append-stream">{ "Stream" }</label>
                <input id="append-stream" type="text" placeholder="account-42"
                    value={form.stream.clone()} ref={fields.stream.clone()} />
                { error_for(FormField::Stream) }
            </div>
            <div class="field">
                <label for="append-type">{ "Event type" }</label>
                <input id="append-type" type="text" placeholder="Deposited"
                    value={form.event_type.clone()} ref={fields.event_type.clone()} />
                { error_for(FormField::EventType) }
            </div>
            <div class="field">
                <label for="append-data">{ "Data" }</label>
                <textarea id="append-data" rows="6" spellcheck="false" placeholder="{\"amount\": 100}"
                    value={form.data.clone()} ref={fields.data.clone()} />
                { error_for(FormField::Data) }
            </div>
            <div class="field">
                <label for="append-metadata">{ "Metadata" }</label>
                <textarea id="append-metadata" rows="3" spellcheck="false"
                    placeholder="{\"$correlationId\": \"…\"} (optional)"
                    value={form.metadata.clone()} ref={fields.metadata.clone()} />
                { error_for(FormField::Metadata) }
            </div>
            <div class="field">
                <label for="append-expected">{ "Expected version" }</label>
                <input id="append-expected" type="text" list="expected-versions"
                    value={form.expected_version.clone()} ref={fields.expected_version.clone()} />
                <datalist id="expected-versions">
                    <option value="any" /><option value="no_stream" /><option value="stream_exists" />
                </datalist>
                <p class="hint">{ "any, no_stream, stream_exists, or the version of the stream's last event" }</p>
                { error_for(FormField::ExpectedVersion) }
                { conflict }
            </div>
            <div class="actions">
                <button type="submit" class="primary" disabled={*busy}>{ "Append" }</button>
            </div>
            { match &*outcome {
                Outcome::Appended(event) => html! {
                    <div class="appended" role="status">
                        { "Appended " }
                        <a href={Route::Event { stream: event.stream.clone(), version: event.version }.href()}>
                            { format!("{} as {}@{}", event.event_type, event.version, event.stream) }
                        </a>
                        { format!(" at position {}.", event.position) }
                    </div>
                },
                Outcome::Rejected(StoreError::WrongExpectedVersion { .. }) | Outcome::None => Html::default(),
                Outcome::Rejected(error) => html! {
                    <p class="error-banner" role="alert">{ format!("{}: {error}", error.name()) }</p>
                },
            } }
        </form>
    }
}

/// The Append tab: the form, pre-filled by "Append another like this".
#[function_component(AppendPage)]
pub fn append_page() -> Html {
    let draft = use_context::<Draft>().expect("Draft context");
    html! {
        <section>
            <h1>{ "Append an event" }</h1>
            <AppendForm initial={draft.text.clone()} />
        </section>
    }
}

/// The form's inputs, read together on submit.
#[derive(Default, PartialEq)]
struct FieldRefs {
    stream: NodeRef,
    event_type: NodeRef,
    data: NodeRef,
    metadata: NodeRef,
    expected_version: NodeRef,
}

impl FieldRefs {
    fn read(&self) -> AppendFormText {
        let text = |node: &NodeRef| {
            node.cast::<web_sys::HtmlInputElement>()
                .map(|input| input.value())
                .or_else(|| {
                    node.cast::<web_sys::HtmlTextAreaElement>()
                        .map(|area| area.value())
                })
                .unwrap_or_default()
        };
        AppendFormText {
            stream: text(&self.stream),
            event_type: text(&self.event_type),
            data: text(&self.data),
            metadata: text(&self.metadata),
            expected_version: text(&self.expected_version),
        }
    }
}
