//! A collapsible JSON tree (native `<details>`), with a copy button. Values
//! are text nodes, never HTML.

use serde_json::Value;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct JsonTreeProps {
    /// The JSON text to show.
    pub json: String,
}

#[function_component(JsonTree)]
pub fn json_tree(props: &JsonTreeProps) -> Html {
    let copied = use_state(|| false);
    let copy = {
        let (json, copied) = (props.json.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&json);
                copied.set(true);
            }
        })
    };
    let tree = match serde_json::from_str::<Value>(&props.json) {
        Ok(value) => node(None, &value),
        Err(_) => html! { <pre class="json">{ &props.json }</pre> },
    };
    html! {
        <div class="json-tree">
            <button class="copy" onclick={copy}>{ if *copied { "Copied" } else { "Copy JSON" } }</button>
            <div class="tree" data-testid="json-tree">{ tree }</div>
        </div>
    }
}

fn node(key: Option<&str>, value: &Value) -> Html {
    let label = key.map(|key| html! { <span class="key">{ format!("{key}: ") }</span> });
    match value {
        Value::Object(map) if !map.is_empty() => html! {
            <details open=true>
                <summary>{ label }<span class="muted">{ format!("{{…}} {} keys", map.len()) }</span></summary>
                { for map.iter().map(|(k, v)| node(Some(k), v)) }
            </details>
        },
        Value::Array(items) if !items.is_empty() => html! {
            <details open=true>
                <summary>{ label }<span class="muted">{ format!("[…] {} items", items.len()) }</span></summary>
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
