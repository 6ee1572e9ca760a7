//! The time bar's keys, anywhere on the page but in a field or an editor.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::{step_back, step_forward};
use crate::service::Cursor;

/// ← and → step, Home and End jump, Space plays or pauses; not while the
/// person is typing, and not with a modifier (Alt+← is the browser's Back).
#[hook]
pub(super) fn use_keyboard(
    cursor: Cursor,
    last: i64,
    travel: &Callback<Cursor>,
    toggle_play: &Callback<()>,
) {
    let (travel, toggle_play) = (travel.clone(), toggle_play.clone());
    use_effect_with(
        (cursor, last, toggle_play),
        move |(cursor, last, toggle_play)| {
            let (cursor, last, toggle_play) = (*cursor, *last, toggle_play.clone());
            let listener = web_sys::window().map(|window| {
                EventListener::new_with_options(
                    &window,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                            return;
                        };
                        if last < 0
                            || key.default_prevented()
                            || key.ctrl_key()
                            || key.alt_key()
                            || key.meta_key()
                            || key.shift_key()
                        {
                            return;
                        }
                        let target = key
                            .target()
                            .and_then(|target| target.dyn_into::<web_sys::Element>().ok());
                        if target.as_ref().is_some_and(is_typing_in) {
                            return;
                        }
                        let to = match key.key().as_str() {
                            "ArrowLeft" => step_back(cursor, last),
                            "ArrowRight" => step_forward(cursor, last),
                            "Home" => Cursor::At(-1),
                            "End" => Cursor::Live,
                            " " => {
                                // A focused button or link keeps Space for itself.
                                if !target.as_ref().is_some_and(takes_space) {
                                    key.prevent_default();
                                    toggle_play.emit(());
                                }
                                return;
                            }
                            _ => return,
                        };
                        key.prevent_default();
                        travel.emit(to);
                    },
                )
            });
            move || drop(listener)
        },
    );
}

/// Whether keys typed at `element` are text: a field, a list, an editable
/// region, or the code editor. The slider is not: keys there move the bar.
fn is_typing_in(element: &web_sys::Element) -> bool {
    let typing = "input:not([type=range]), textarea, select, \
                  [contenteditable]:not([contenteditable=false]), .cm-editor";
    let editable = element
        .dyn_ref::<web_sys::HtmlElement>()
        .is_some_and(|element| element.is_content_editable());
    editable || matches!(element.closest(typing), Ok(Some(_)))
}

fn takes_space(element: &web_sys::Element) -> bool {
    matches!(
        element.closest("button, a[href], summary, [role=button]"),
        Ok(Some(_))
    )
}
