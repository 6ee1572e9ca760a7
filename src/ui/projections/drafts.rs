//! Unsaved source, kept per sandbox in the browser's localStorage so it
//! survives navigating away and reloading, and a guard that asks before
//! the page is left while a draft is unsaved.

use gloo::events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::confirm;
use crate::js::error_text;

/// What a draft is the draft of.
pub(super) enum DraftOf<'a> {
    /// The source of a saved projection.
    Projection(&'a str),
    NewProjection,
    NewProjectionName,
    Query,
}

/// Where one draft lives: a localStorage key of its own, per sandbox.
#[derive(Clone, PartialEq)]
pub(super) struct DraftStore {
    key: String,
}

impl DraftStore {
    pub(super) fn new(sandbox: &str, of: DraftOf<'_>) -> DraftStore {
        let what = match of {
            DraftOf::Projection(name) => format!("projection/{name}"),
            DraftOf::NewProjection => "new-projection".into(),
            DraftOf::NewProjectionName => "new-projection-name".into(),
            DraftOf::Query => "query".into(),
        };
        DraftStore {
            key: format!("es-sandbox/{sandbox}/draft/{what}"),
        }
    }

    /// The kept draft. A browser that keeps nothing (storage turned off)
    /// has none to give, which is what this says then.
    fn load(&self) -> Option<String> {
        storage().ok()?.get_item(&self.key).ok()?
    }

    /// Keeps `text`, or forgets the draft when `text` is the baseline.
    fn keep(&self, text: &str, baseline: &str) -> Result<(), String> {
        let storage = storage()?;
        let kept = if text == baseline {
            storage.remove_item(&self.key)
        } else {
            storage.set_item(&self.key, text)
        };
        kept.map_err(|error| error_text(&error))
    }

    pub(super) fn discard(&self) {
        if let Err(error) =
            storage().and_then(|s| s.remove_item(&self.key).map_err(|e| error_text(&e)))
        {
            // Nothing is lost: at worst an old draft comes back once.
            web_sys::console::warn_1(&format!("could not forget a draft: {error}").into());
        }
    }
}

fn storage() -> Result<web_sys::Storage, String> {
    web_sys::window()
        .ok_or("no window")?
        .local_storage()
        .map_err(|error| error_text(&error))?
        .ok_or_else(|| "this browser keeps no local storage".to_string())
}

/// A text being edited, kept as a draft while it differs from its baseline
/// (the saved source, or the text a new one starts with).
pub(super) struct Draft {
    /// The text as edited, following every keystroke.
    pub text: String,
    /// What an editor is told to show: it changes only when the text is
    /// replaced (a template, a discard), so typing is not pushed back in.
    pub shown: String,
    pub on_edit: Callback<String>,
    pub replace: Callback<String>,
    /// The text differs from the baseline.
    pub unsaved: bool,
    /// Why the draft could not be kept in this browser, when it could not.
    pub not_kept: Option<String>,
}

/// The draft in `store`, or `baseline` when there is none. When the
/// baseline changes (the source was saved here or in another tab) and
/// there is no draft, the text follows it.
#[hook]
pub(super) fn use_draft(store: DraftStore, baseline: String) -> Draft {
    let initial = {
        let (store, baseline) = (store.clone(), baseline.clone());
        move || store.load().unwrap_or(baseline)
    };
    let text = use_state_eq(initial.clone());
    let shown = use_state_eq(initial);
    let not_kept = use_state_eq(|| None::<String>);
    {
        let (store, text, shown) = (store.clone(), text.clone(), shown.clone());
        use_effect_with(baseline.clone(), move |baseline| {
            if store.load().is_none() {
                text.set(baseline.clone());
                shown.set(baseline.clone());
            }
        });
    }
    let keep = {
        let (store, baseline, text, not_kept) =
            (store, baseline.clone(), text.clone(), not_kept.clone());
        move |next: &String| {
            text.set(next.clone());
            not_kept.set(store.keep(next, &baseline).err());
        }
    };
    let on_edit = {
        let keep = keep.clone();
        Callback::from(move |next: String| keep(&next))
    };
    let replace = {
        let shown = shown.clone();
        Callback::from(move |next: String| {
            keep(&next);
            shown.set(next);
        })
    };
    Draft {
        unsaved: *text != baseline,
        text: (*text).clone(),
        shown: (*shown).clone(),
        on_edit,
        replace,
        not_kept: (*not_kept).clone(),
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct DraftNoteProps {
    /// What an unsaved draft means here, such as "not saved yet".
    pub what: AttrValue,
    pub not_kept: Option<String>,
    /// Offered as a button that asks first, when given.
    #[prop_or_default]
    pub on_discard: Option<Callback<()>>,
}

/// Says that the text is an unsaved draft, and whether this browser keeps it.
#[function_component(DraftNote)]
pub(super) fn draft_note(props: &DraftNoteProps) -> Html {
    let discard = props.on_discard.clone().map(|on_discard| {
        Callback::from(move |_: MouseEvent| {
            if confirm("Discard this draft? Its text is lost.") {
                on_discard.emit(());
            }
        })
    });
    html! {
        <p class="actions" data-testid="draft-note">
            <span class="status">{ "Unsaved draft" }</span>
            <span class="muted">{ match &props.not_kept {
                None => format!("{}; the text is kept in this browser, so it is here when you come back.", props.what),
                Some(why) => format!("{}, and this browser could not keep the text: {why}", props.what),
            } }</span>
            if let Some(discard) = discard {
                <button type="button" onclick={discard}>{ "Discard draft" }</button>
            }
        </p>
    }
}

/// Asks `question` before the page is left while it is given: on a reload
/// or a closed tab (the browser's own prompt), and on a link to another
/// view of this app (the hash router has no other place to ask).
#[hook]
pub(super) fn use_leave_guard(question: Option<String>) {
    use_effect_with(question, |question| {
        let listeners = question.clone().and_then(guard);
        move || drop(listeners)
    });
}

fn guard(question: String) -> Option<(EventListener, EventListener)> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let unload = EventListener::new_with_options(
        &window,
        "beforeunload",
        EventListenerOptions::enable_prevent_default(),
        |event| event.prevent_default(),
    );
    let capture = EventListenerOptions {
        phase: EventListenerPhase::Capture,
        passive: false,
    };
    let click = EventListener::new_with_options(&document, "click", capture, move |event| {
        if leaves_this_view(event) && !confirm(&question) {
            event.prevent_default();
            event.stop_propagation();
        }
    });
    Some((unload, click))
}

/// Whether a click follows a link to another of the app's views. A click
/// with a modifier opens a new tab or window, which leaves nothing; links
/// inside a view (the skip link's `#content`) are not routes.
fn leaves_this_view(event: &Event) -> bool {
    let modified = event.dyn_ref::<web_sys::MouseEvent>().is_some_and(|click| {
        click.ctrl_key() || click.meta_key() || click.shift_key() || click.alt_key()
    });
    if modified {
        return false;
    }
    // A click on no element, or on no route link, is no navigation.
    let link = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|element| element.closest("a[href^='#/']").ok().flatten());
    let Some(href) = link.and_then(|link| link.get_attribute("href")) else {
        return false;
    };
    // Without a readable location, every route link counts as leaving.
    let here = web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default();
    href != here
}
