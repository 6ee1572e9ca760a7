//! The projections list: each one's status and how far behind the store it is.

use yew::prelude::*;

use super::status_class;
use crate::core::ReadRequest;
use crate::ui::route::Route;
use crate::ui::{run, use_sandbox, Revision};

#[function_component(ProjectionList)]
pub fn projection_list() -> Html {
    let sandbox = use_sandbox();
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
                        <th>{ "Name" }</th><th>{ "Status" }</th><th>{ "Mode" }</th><th>{ "Emit" }</th>
                        <th class="num">{ "Position" }</th><th class="num">{ "Lag" }</th><th class="num">{ "Events processed" }</th>
                        <th class="num">{ "Partitions" }</th>
                    </tr></thead>
                    <tbody>
                        { for projections.iter().map(|p| html! {
                            <tr key={p.name.clone()}>
                                <td>
                                    <a href={Route::Projection(p.name.clone()).href()}>{ &p.name }</a>
                                    if p.system_projection().is_some() {
                                        <span class="tag" title="One of KurrentDB's system projections: it indexes the log into link streams">{ " system" }</span>
                                    }
                                </td>
                                <td><span class={classes!("status", status_class(p.status))}>{ p.status.as_str() }</span></td>
                                <td>{ "continuous" }</td>
                                <td>{ if p.emit_enabled { "on" } else { "off" } }</td>
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
