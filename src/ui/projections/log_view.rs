//! What a projection's handlers logged, by the event they were handling.

use yew::prelude::*;

use crate::projections::LogLine;

#[derive(Properties, PartialEq)]
pub(super) struct LogViewProps {
    pub(super) lines: Vec<LogLine>,
}

#[function_component(LogView)]
pub(super) fn log_view(props: &LogViewProps) -> Html {
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
