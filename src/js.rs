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

/// A `BroadcastChannel` to this page's other tabs, handing every text
/// message to its listener; closed when dropped. Both ends of each channel
/// are this build's code and post only text, so other messages are not
/// listened for.
pub struct TabChannel {
    channel: web_sys::BroadcastChannel,
    _on_message: wasm_bindgen::prelude::Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl TabChannel {
    pub fn open(name: &str, mut on_text: impl FnMut(String) + 'static) -> Result<Self, JsValue> {
        let channel = web_sys::BroadcastChannel::new(name)?;
        let on_message = wasm_bindgen::prelude::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |message: web_sys::MessageEvent| {
                if let Some(text) = message.data().as_string() {
                    on_text(text);
                }
            },
        );
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(TabChannel {
            channel,
            _on_message: on_message,
        })
    }

    pub fn post(&self, text: &str) -> Result<(), JsValue> {
        self.channel.post_message(&JsValue::from_str(text))
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        self.channel.close();
    }
}
