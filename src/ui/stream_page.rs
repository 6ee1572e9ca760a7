//! One stream: its events, paged, and a form to append to it.

use yew::prelude::*;

use super::append_form::AppendForm;
use super::event_table::{EventPager, EventSource};
use super::route::Route;
use crate::core::event::category_of;
use crate::core::form::AppendFormText;

#[derive(Properties, PartialEq)]
pub struct StreamPageProps {
    pub stream: String,
}

#[function_component(StreamPage)]
pub fn stream_page(props: &StreamPageProps) -> Html {
    let initial = AppendFormText {
        stream: props.stream.clone(),
        expected_version: "any".into(),
        ..Default::default()
    };
    html! {
        <section>
            <p class="crumbs"><a href={Route::Streams.href()}>{ "Streams" }</a>{ " / " }</p>
            <h1 class="stream-name">{ &props.stream }</h1>
            <p class="muted">{ format!("category {}", category_of(&props.stream)) }</p>
            <div class="columns">
                <div class="main-column">
                    <EventPager source={EventSource::Stream(props.stream.clone())} />
                </div>
                <aside class="side-column">
                    <h2>{ "Append to this stream" }</h2>
                    <AppendForm initial={initial} />
                </aside>
            </div>
        </section>
    }
}
