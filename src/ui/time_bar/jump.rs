//! Jump to a time: the cursor moves to the last event at or before it.

use yew::prelude::*;

use crate::core::time::iso8601_from_millis;
use crate::service::Cursor;
use crate::ui::cursor::use_cursor;
use crate::ui::{run, use_sandbox};

#[derive(Properties, PartialEq)]
pub(super) struct JumpToTimeProps {
    pub disabled: bool,
}

/// A time typed in, and the cursor moved to the last event at or before it
/// (`positionAt`).
#[function_component(JumpToTime)]
pub(super) fn jump_to_time(props: &JumpToTimeProps) -> Html {
    let sandbox = use_sandbox();
    let travel = use_cursor().travel;
    let text = use_state(String::new);
    let error = use_state(|| None::<String>);
    let on_input = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            text.set(input.value());
        })
    };
    let on_submit = {
        let (text, error) = (text.clone(), error.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let millis = js_sys::Date::parse(text.trim());
            if millis.is_nan() {
                error.set(Some(format!(
                    "{:?} is not a time; try 2025-11-03T10:00Z (UTC) or 2025-11-03",
                    text.trim()
                )));
                return;
            }
            let (sandbox, travel, error) = (sandbox.clone(), travel.clone(), error.clone());
            let time = iso8601_from_millis(millis as i64);
            run(
                async move { sandbox.0.position_at(&time).await },
                move |found| match found {
                    Ok(position) => {
                        error.set(None);
                        travel.emit(Cursor::At(position));
                    }
                    Err(failure) => error.set(Some(failure.to_string())),
                },
            );
        })
    };
    html! {
        <form class="jump-time" onsubmit={on_submit}>
            <label for="time-bar-time">{ "Time" }</label>
            <input type="text" id="time-bar-time" placeholder="2025-11-03T10:00Z"
                value={(*text).clone()} oninput={on_input} disabled={props.disabled}
                aria-invalid={error.is_some().then_some("true")}
                aria-describedby={error.is_some().then_some("time-bar-time-error")} />
            <button type="submit" disabled={props.disabled}>{ "Jump to time" }</button>
            if let Some(message) = &*error {
                <span id="time-bar-time-error" class="error-text" role="alert">{ message }</span>
            }
        </form>
    }
}
