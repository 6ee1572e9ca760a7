//! One stream: its events, paged, and a form to append to it. The form
//! expects the version the stream had when the page opened, which is how
//! optimistic concurrency is meant to be used. A stream that a projection
//! writes says so instead of offering the form.

use yew::prelude::*;

use super::append_form::AppendForm;
use super::event_table::{EventPager, EventSource};
use super::route::Route;
use super::{run, use_sandbox, Revision};
use crate::core::event::category_of;
use crate::core::form::AppendFormText;

#[derive(Properties, PartialEq)]
pub struct StreamPageProps {
    pub stream: String,
}

/// The stream's last version as read when the page opened (`None`: the
/// stream does not exist), for the stream it was read for.
type Head = (String, Result<Option<u64>, String>);

#[function_component(StreamPage)]
pub fn stream_page(props: &StreamPageProps) -> Html {
    let sandbox = use_sandbox();
    // Read so the page renders again on every change: a projection may
    // start writing this stream at any time.
    let _revision = use_context::<Revision>().unwrap_or_default();
    let head = use_state(|| None::<Head>);
    let reloads = use_state(|| 0u64);
    {
        let (head, sandbox) = (head.clone(), sandbox.clone());
        // Only when the stream changes: re-reading the head on every append
        // would move the form's expected version by itself.
        use_effect_with(props.stream.clone(), move |stream| {
            let stream = stream.clone();
            run(
                {
                    let stream = stream.clone();
                    async move { sandbox.0.stream(&stream).await }
                },
                move |result| {
                    head.set(Some((
                        stream,
                        result
                            .map(|row| row.map(|row| row.version))
                            .map_err(|error| error.to_string()),
                    )))
                },
            );
        });
    }
    // The same callback from render to render: a new one would render the
    // form again, and a render puts the form's state back into its inputs,
    // over whatever the person is typing.
    let on_reload = use_callback(reloads.clone(), |(), reloads| reloads.set(**reloads + 1));

    let side = match (sandbox.0.projections().owner_of(&props.stream), &*head) {
        (Some(projection), _) => html! {
            <div class="owned-stream" role="note">
                <p>
                    { "Projection " }
                    <a href={Route::Projection(projection.clone()).href()}>{ &projection }</a>
                    { " writes this stream, so only it may append here. To write here yourself, reset or delete the projection." }
                </p>
            </div>
        },
        (None, Some((stream, Ok(version)))) if *stream == props.stream => {
            let initial = AppendFormText {
                stream: props.stream.clone(),
                expected_version: version
                    .map_or_else(|| "no_stream".into(), |version| version.to_string()),
                ..Default::default()
            };
            html! { <AppendForm initial={initial} on_reload={on_reload} /> }
        }
        (None, Some((stream, Err(message)))) if *stream == props.stream => {
            html! { <p class="error-banner" role="alert">{ message }</p> }
        }
        (None, _) => html! { <p class="muted">{ "Loading…" }</p> },
    };
    html! {
        <section>
            <p class="crumbs"><a href={Route::Streams.href()}>{ "Streams" }</a>{ " / " }</p>
            <h1 class="stream-name">{ &props.stream }</h1>
            <p class="muted">{ format!("category {}", category_of(&props.stream)) }</p>
            <div class="columns">
                <div class="main-column">
                    <EventPager source={EventSource::Stream(props.stream.clone())} refresh={*reloads} />
                </div>
                <aside class="side-column">
                    <h2>{ "Append to this stream" }</h2>
                    { side }
                </aside>
            </div>
        </section>
    }
}
