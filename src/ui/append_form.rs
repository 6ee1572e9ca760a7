//! The append form. Field problems appear under their field; a conflict says
//! what kind it is and offers to reload the stream; after a success the new
//! event is shown and every field stays as it was, the expected version
//! included, so appending again is a conflict rather than a duplicate. An
//! event that names its cause (a follow-up) links to its causal chain.

use yew::prelude::*;

use super::route::Route;
use super::{run, use_append_draft, use_sandbox};
use crate::core::form::{
    explain_conflict, parse_append_form, AppendFormText, FieldError, FormField,
};
use crate::core::metadata::causation_ids_of;
use crate::core::{ReadRequest, RecordedEvent, StoreError};
use crate::service::random_uuid;

#[derive(Properties, PartialEq)]
pub struct AppendFormProps {
    pub initial: AppendFormText,
    /// Called once "Reload the stream" has read the stream's head, so the
    /// page around the form can re-read what it shows.
    #[prop_or_default]
    pub on_reload: Callback<()>,
}

#[derive(Clone, PartialEq)]
enum Outcome {
    None,
    Appended(RecordedEvent),
    /// The same id was appended at the same place before: the store
    /// reported that append and wrote nothing.
    AlreadyAppended(RecordedEvent),
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
    // After each refused submit, once its errors are on the page (so a
    // screen reader reads the field with its error), focus goes to the
    // first invalid field, top to bottom.
    let invalid_submits = use_state(|| 0u32);
    {
        let (fields, field_errors) = (fields.clone(), field_errors.clone());
        use_effect_with(*invalid_submits, move |_| {
            if let Some(first) = FIELD_ORDER
                .iter()
                .find(|field| field_errors.iter().any(|error| error.field == **field))
            {
                fields.focus(*first);
            }
        });
    }
    let on_submit = {
        let (form, field_errors, outcome, busy) = (
            form.clone(),
            field_errors.clone(),
            outcome.clone(),
            busy.clone(),
        );
        let invalid_submits = invalid_submits.clone();
        let fields = fields.clone();
        let sandbox = sandbox.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let typed = fields.read();
            form.set(typed.clone());
            let input = match parse_append_form(&typed) {
                Ok(input) => input,
                Err(errors) => {
                    field_errors.set(errors);
                    invalid_submits.set(*invalid_submits + 1);
                    outcome.set(Outcome::None);
                    return;
                }
            };
            field_errors.set(Vec::new());
            busy.set(true);
            let sandbox = sandbox.clone();
            let (outcome, busy) = (outcome.clone(), busy.clone());
            run(
                async move {
                    let head_before = sandbox
                        .0
                        .stream(&input.stream)
                        .await?
                        .map(|row| row.version);
                    let result = sandbox
                        .0
                        .append(&input.stream, vec![input.event], input.expected)
                        .await?;
                    // From `$all`: an idempotent append may report an event
                    // a soft delete has hidden from its stream since.
                    let event = sandbox
                        .0
                        .read_all(ReadRequest::forwards(result.position, 1))
                        .await?
                        .into_iter()
                        .next()
                        .ok_or_else(|| {
                            StoreError::Storage("the appended event could not be read back".into())
                        })?;
                    // A write always moves the stream past where it was; an
                    // idempotent append reports a version it already had.
                    let written =
                        head_before.is_none_or(|version| result.next_expected_version > version);
                    Ok::<_, StoreError>(if written {
                        Outcome::Appended(event)
                    } else {
                        Outcome::AlreadyAppended(event)
                    })
                },
                move |result| {
                    busy.set(false);
                    outcome.set(result.unwrap_or_else(Outcome::Rejected));
                },
            );
        })
    };

    let on_reload_stream = {
        let (form, outcome, fields) = (form.clone(), outcome.clone(), fields.clone());
        let (sandbox, on_reload) = (sandbox.clone(), props.on_reload.clone());
        Callback::from(move |_: MouseEvent| {
            let mut typed = fields.read();
            let stream = typed.stream.clone();
            let (form, outcome, fields) = (form.clone(), outcome.clone(), fields.clone());
            let (sandbox, on_reload) = (sandbox.clone(), on_reload.clone());
            run(
                async move { sandbox.0.stream(&stream).await },
                move |result| match result {
                    Ok(row) => {
                        typed.expected_version =
                            row.map_or_else(|| "no_stream".into(), |row| row.version.to_string());
                        show(&fields.expected_version, &typed.expected_version);
                        form.set(typed);
                        outcome.set(Outcome::None);
                        on_reload.emit(());
                    }
                    Err(error) => outcome.set(Outcome::Rejected(error)),
                },
            );
        })
    };

    let on_new_id = {
        let (form, fields) = (form.clone(), fields.clone());
        Callback::from(move |_: MouseEvent| {
            let mut typed = fields.read();
            typed.event_id = random_uuid();
            show(&fields.event_id, &typed.event_id);
            form.set(typed);
        })
    };

    // An error is tied to its field (aria-describedby, aria-invalid), so a
    // screen reader reads it with the field, not only as it appears.
    let error_for = |field: FormField| -> Html {
        field_errors
            .iter()
            .filter(|error| error.field == field)
            .map(|error| {
                html! {
                    <p class="field-error" role="alert" id={error_id(field)}>{ &error.message }</p>
                }
            })
            .collect()
    };
    let invalid = |field: FormField| field_errors.iter().any(|error| error.field == field);
    let aria_invalid = |field: FormField| invalid(field).then_some("true");
    let described_by = |field: FormField| invalid(field).then(|| error_id(field));
    let conflict = match &*outcome {
        Outcome::Rejected(StoreError::WrongExpectedVersion {
            stream,
            expected,
            actual,
        }) => html! {
            <div class="field-error conflict" role="alert">
                <p>
                    <strong>{ "Wrong expected version" }</strong>
                    { format!(" on {stream}: expected {expected}, actual {actual}.") }
                </p>
                <p>{ explain_conflict(*expected, *actual) }</p>
                <button type="button" onclick={on_reload_stream}>{ "Reload the stream" }</button>
            </div>
        },
        _ => Html::default(),
    };
    let event_link = |event: &RecordedEvent| {
        html! {
            <a href={Route::Event { stream: event.stream.clone(), version: event.version }.href()}>
                { format!("{} as {}@{}", event.event_type, event.version, event.stream) }
            </a>
        }
    };

    html! {
        <form class="append-form" onsubmit={on_submit} novalidate=true>
            <div class="field">
                <label for="append-stream">{ "Stream" }</label>
                <input id="append-stream" type="text" placeholder="account-42"
                    aria-invalid={aria_invalid(FormField::Stream)} aria-describedby={described_by(FormField::Stream)}
                    value={form.stream.clone()} ref={fields.stream.clone()} />
                { error_for(FormField::Stream) }
            </div>
            <div class="field">
                <label for="append-type">{ "Event type" }</label>
                <input id="append-type" type="text" placeholder="Deposited"
                    aria-invalid={aria_invalid(FormField::EventType)} aria-describedby={described_by(FormField::EventType)}
                    value={form.event_type.clone()} ref={fields.event_type.clone()} />
                { error_for(FormField::EventType) }
            </div>
            <div class="field">
                <label for="append-data">{ "Data" }</label>
                <textarea id="append-data" rows="6" spellcheck="false" placeholder="{\"amount\": 100}"
                    aria-invalid={aria_invalid(FormField::Data)} aria-describedby={described_by(FormField::Data)}
                    value={form.data.clone()} ref={fields.data.clone()} />
                { error_for(FormField::Data) }
            </div>
            <div class="field">
                <label for="append-metadata">{ "Metadata" }</label>
                <textarea id="append-metadata" rows="3" spellcheck="false"
                    aria-invalid={aria_invalid(FormField::Metadata)} aria-describedby={described_by(FormField::Metadata)}
                    placeholder="{\"$correlationId\": \"…\"} (optional)"
                    value={form.metadata.clone()} ref={fields.metadata.clone()} />
                { error_for(FormField::Metadata) }
            </div>
            <div class="field">
                <label for="append-event-id">{ "Event id (optional)" }</label>
                <div class="input-with-button">
                    <input id="append-event-id" type="text" spellcheck="false"
                        aria-invalid={aria_invalid(FormField::EventId)} aria-describedby={described_by(FormField::EventId)}
                        placeholder="blank: a fresh one"
                        value={form.event_id.clone()} ref={fields.event_id.clone()} />
                    <button type="button" onclick={on_new_id}>{ "New id" }</button>
                </div>
                <p class="hint">{ "Append twice with the same id and expected version: the second append reports the first and writes nothing (idempotency)." }</p>
                { error_for(FormField::EventId) }
            </div>
            <div class="field">
                <label for="append-expected">{ "Expected version" }</label>
                <input id="append-expected" type="text" list="expected-versions"
                    aria-invalid={aria_invalid(FormField::ExpectedVersion)} aria-describedby={described_by(FormField::ExpectedVersion)}
                    value={form.expected_version.clone()} ref={fields.expected_version.clone()} />
                <datalist id="expected-versions">
                    <option value="any" /><option value="no_stream" /><option value="stream_exists" />
                </datalist>
                <p class="hint">{ "any, no_stream, stream_exists, or the version of the stream's last event as you last read it. It stays put after an append, so appending again is a conflict, not a duplicate." }</p>
                { error_for(FormField::ExpectedVersion) }
                { conflict }
            </div>
            <div class="actions">
                <button type="submit" class="primary" disabled={*busy}>{ "Append" }</button>
            </div>
            { match &*outcome {
                Outcome::Appended(event) => html! {
                    <div class="appended" role="status">
                        { "Appended " }{ event_link(event) }
                        { format!(" at position {}.", event.position) }
                        { chain_link(event) }
                    </div>
                },
                Outcome::AlreadyAppended(event) => html! {
                    <div class="appended" role="status">
                        { "Already appended: " }{ event_link(event) }
                        { format!(" at position {} has this id and expected version, so nothing was written this time.", event.position) }
                    </div>
                },
                Outcome::Rejected(StoreError::WrongExpectedVersion { .. }) | Outcome::None => Html::default(),
                Outcome::Rejected(error @ StoreError::StreamDeleted { .. }) => html! {
                    <div class="error-banner" role="alert">
                        <p>{ format!("{}: {error}", error.name()) }</p>
                        <p>{ "stream_exists means the stream has events to read, and a soft-deleted one has none. To bring it back, expect no_stream, any, or its last version." }</p>
                    </div>
                },
                Outcome::Rejected(error) => html! {
                    <p class="error-banner" role="alert">{ format!("{}: {error}", error.name()) }</p>
                },
            } }
        </form>
    }
}

/// A link to the causal chain of an event whose metadata ties it to
/// others (a follow-up, say); nothing for one that names no cause.
fn chain_link(event: &RecordedEvent) -> Html {
    let named = event
        .metadata
        .as_deref()
        .is_some_and(|metadata| !causation_ids_of(metadata).is_empty());
    if !named {
        return Html::default();
    }
    let route = Route::Chain {
        stream: event.stream.clone(),
        version: event.version,
    };
    html! { <>{ " " }<a href={route.href()}>{ "See its causal chain" }</a></> }
}

/// The Append tab: the form, pre-filled by "Append another like this".
#[function_component(AppendPage)]
pub fn append_page() -> Html {
    let draft = use_append_draft();
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
    event_id: NodeRef,
    expected_version: NodeRef,
}

/// The fields top to bottom, as the form shows them.
const FIELD_ORDER: [FormField; 6] = [
    FormField::Stream,
    FormField::EventType,
    FormField::Data,
    FormField::Metadata,
    FormField::EventId,
    FormField::ExpectedVersion,
];

/// The id of the element that holds a field's error.
fn error_id(field: FormField) -> &'static str {
    match field {
        FormField::Stream => "append-stream-error",
        FormField::EventType => "append-type-error",
        FormField::Data => "append-data-error",
        FormField::Metadata => "append-metadata-error",
        FormField::EventId => "append-event-id-error",
        FormField::ExpectedVersion => "append-expected-error",
    }
}

impl FieldRefs {
    fn focus(&self, field: FormField) {
        let node = match field {
            FormField::Stream => &self.stream,
            FormField::EventType => &self.event_type,
            FormField::Data => &self.data,
            FormField::Metadata => &self.metadata,
            FormField::EventId => &self.event_id,
            FormField::ExpectedVersion => &self.expected_version,
        };
        if let Some(Err(error)) = node
            .cast::<web_sys::HtmlElement>()
            .map(|element| element.focus())
        {
            web_sys::console::error_2(&"could not focus the invalid field".into(), &error);
        }
    }

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
            event_id: text(&self.event_id),
            expected_version: text(&self.expected_version),
        }
    }
}

/// Puts `value` into an input at once. Setting the form's state alone is
/// not enough: when the state already holds `value` while the person has
/// typed something else, nothing would change on screen.
fn show(input: &NodeRef, value: &str) {
    if let Some(input) = input.cast::<web_sys::HtmlInputElement>() {
        input.set_value(value);
    }
}
