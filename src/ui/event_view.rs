//! One event: its place in the store, and its data and metadata, pretty-printed
//! as text (never as HTML).

use yew::prelude::*;

use super::app::Draft;
use super::route::Route;
use super::{run, use_sandbox, Revision};
use crate::core::form::AppendFormText;
use crate::core::pretty::pretty_json;
use crate::core::{ReadRequest, RecordedEvent};

#[derive(Properties, PartialEq)]
pub struct EventViewProps {
    pub stream: String,
    pub version: u64,
}

#[function_component(EventView)]
pub fn event_view(props: &EventViewProps) -> Html {
    let sandbox = use_sandbox();
    let revision = use_context::<Revision>().unwrap_or_default();
    let draft = use_context::<Draft>().expect("Draft context");
    let event = use_state(|| None::<Result<Option<RecordedEvent>, String>>);
    {
        let event = event.clone();
        use_effect_with(
            (props.stream.clone(), props.version, revision),
            move |(stream, version, _)| {
                let (stream, version) = (stream.clone(), *version);
                run(
                    async move {
                        sandbox
                            .0
                            .read_stream(&stream, ReadRequest::forwards(version, 1))
                            .await
                    },
                    move |result| {
                        event.set(Some(
                            result
                                .map(|events| events.into_iter().next())
                                .map_err(|error| error.to_string()),
                        ))
                    },
                );
            },
        );
    }
    let crumbs = html! {
        <p class="crumbs">
            <a href={Route::Streams.href()}>{ "Streams" }</a>{ " / " }
            <a href={Route::Stream(props.stream.clone()).href()}>{ &props.stream }</a>{ " / " }
        </p>
    };
    let event = match &*event {
        None => return html! { <p class="muted">{ "Loading…" }</p> },
        Some(Err(message)) => return html! { <p class="error-banner" role="alert">{ message }</p> },
        Some(Ok(None)) => {
            return html! {
                <section>{ crumbs }<p>{ format!("There is no event {}@{}.", props.version, props.stream) }</p></section>
            }
        }
        Some(Ok(Some(event))) => event.clone(),
    };
    let like_this = {
        let event = event.clone();
        Callback::from(move |_: MouseEvent| {
            draft.set.emit(AppendFormText {
                stream: event.stream.clone(),
                event_type: event.event_type.clone(),
                data: pretty_json(event.data.get()),
                metadata: if event.metadata.get() == "{}" {
                    String::new()
                } else {
                    pretty_json(event.metadata.get())
                },
                expected_version: "any".into(),
            });
            Route::Append.go();
        })
    };
    html! {
        <section class="event-view">
            { crumbs }
            <h1>{ &event.event_type }</h1>
            <dl class="facts">
                <dt>{ "Stream" }</dt><dd><a href={Route::Stream(event.stream.clone()).href()}>{ &event.stream }</a></dd>
                <dt>{ "Version" }</dt><dd>{ event.version }</dd>
                <dt>{ "Position" }</dt><dd>{ event.position }</dd>
                <dt>{ "Id" }</dt><dd><code>{ &event.id }</code></dd>
                <dt>{ "Created" }</dt><dd>{ &event.created }</dd>
                if let Some((version, stream)) = event.link_target() {
                    <dt>{ "Links to" }</dt>
                    <dd><a href={Route::Event { stream: stream.clone(), version }.href()}>{ format!("{version}@{stream}") }</a></dd>
                }
            </dl>
            <div class="actions">
                if event.version > 0 {
                    <a class="button" href={Route::Event { stream: event.stream.clone(), version: event.version - 1 }.href()}>{ "Previous in stream" }</a>
                }
                <a class="button" href={Route::Event { stream: event.stream.clone(), version: event.version + 1 }.href()}>{ "Next in stream" }</a>
                <button class="primary" onclick={like_this}>{ "Append another like this" }</button>
            </div>
            <h2>{ "Data" }</h2>
            <pre class="json" data-testid="event-data">{ pretty_json(event.data.get()) }</pre>
            <h2>{ "Metadata" }</h2>
            <pre class="json" data-testid="event-metadata">{ pretty_json(event.metadata.get()) }</pre>
        </section>
    }
}
