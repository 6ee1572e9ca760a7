//! Small helpers for values that come back from JavaScript.

use wasm_bindgen::{JsCast, JsValue};

/// The message of a thrown value: an `Error`'s message, a thrown string, or
/// a plain word when the browser gave neither.
pub fn error_text(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "the browser gave no reason".into())
}
