//! A collapsible JSON tree (native `<details>`), with a copy button. Values
//! are text nodes, never HTML.

use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::count;

#[derive(Properties, PartialEq)]
pub struct JsonTreeProps {
    /// The JSON text to show.
    pub json: String,
}

#[function_component(JsonTree)]
pub fn json_tree(props: &JsonTreeProps) -> Html {
    let copied = use_state(|| CopyState::NotYet);
    let copy = {
        let (json, copied) = (props.json.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (json, copied) = (json.clone(), copied.clone());
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(match copy_text(&json).await {
                    Ok(()) => CopyState::Done,
                    Err(_) => CopyState::Failed,
                });
            });
        })
    };
    let tree = match serde_json::from_str::<Value>(&props.json) {
        Ok(value) => node(None, &value),
        Err(_) => html! { <pre class="json">{ &props.json }</pre> },
    };
    html! {
        <div class="json-tree">
            <button class="copy" onclick={copy}>{ match *copied {
                CopyState::NotYet => "Copy JSON",
                CopyState::Done => "Copied",
                CopyState::Failed => "Copy failed",
            } }</button>
            <div class="tree" data-testid="json-tree">{ tree }</div>
        </div>
    }
}

/// What the copy button last did.
#[derive(Clone, Copy, PartialEq)]
enum CopyState {
    NotYet,
    Done,
    /// No clipboard (an insecure page) or the browser refused the write;
    /// the button says so instead of claiming it copied.
    Failed,
}

/// Writes `text` to the clipboard, waiting for the browser to accept it.
async fn copy_text(text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let clipboard = window.navigator().clipboard();
    // `navigator.clipboard` is undefined outside secure contexts.
    if clipboard.is_undefined() {
        return Err("no clipboard on this page".into());
    }
    JsFuture::from(clipboard.write_text(text)).await.map(drop)
}

fn node(key: Option<&str>, value: &Value) -> Html {
    let label = key.map(|key| html! { <span class="key">{ format!("{key}: ") }</span> });
    match value {
        Value::Object(map) if !map.is_empty() => html! {
            <details open=true>
                <summary>{ label }<span class="muted">{ format!("{{…}} {}", count(map.len() as u64, "key")) }</span></summary>
                { for map.iter().map(|(k, v)| node(Some(k), v)) }
            </details>
        },
        Value::Array(items) if !items.is_empty() => html! {
            <details open=true>
                <summary>{ label }<span class="muted">{ format!("[…] {}", count(items.len() as u64, "item")) }</span></summary>
                { for items.iter().enumerate().map(|(i, v)| node(Some(&i.to_string()), v)) }
            </details>
        },
        leaf => html! {
            <div class="leaf">{ label }<span class={classes!("value", kind(leaf))}>{ leaf.to_string() }</span></div>
        },
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
        _ => "empty",
    }
}
