//! The time-travel cursor as views see it: where the whole app looks, from
//! context, and how to move it. The cursor itself lives in the service
//! (`service::Cursor`), so `window.sandbox.travelTo` moves the views too;
//! this context follows its `CursorMoved` changes at once, unthrottled.

use yew::prelude::*;

use super::hooks::use_sandbox;
use crate::service::{Change, Cursor};

/// The cursor, a callback that moves it, and whether the time bar is
/// playing (a projection's page pauses it on a break).
#[derive(Clone, PartialEq)]
pub struct CursorHandle {
    pub cursor: Cursor,
    pub travel: Callback<Cursor>,
    /// `None` outside a [`CursorProvider`].
    pub playing: Option<UseStateHandle<bool>>,
}

#[derive(Properties, PartialEq)]
pub struct CursorProviderProps {
    pub children: Html,
}

/// Provides [`CursorHandle`] to everything inside it.
#[function_component(CursorProvider)]
pub fn cursor_provider(props: &CursorProviderProps) -> Html {
    let sandbox = use_sandbox();
    let cursor = use_state(|| sandbox.0.cursor());
    {
        let cursor = cursor.clone();
        use_effect_with(sandbox.clone(), move |sandbox| {
            let subscription = sandbox.0.subscribe(move |change| {
                if let Change::CursorMoved { cursor: moved } = change {
                    cursor.set(*moved);
                }
            });
            move || drop(subscription)
        });
    }
    let travel = {
        let sandbox = sandbox.clone();
        Callback::from(move |to: Cursor| sandbox.0.travel_to(to))
    };
    let playing = use_state(|| false);
    let handle = CursorHandle {
        cursor: *cursor,
        travel,
        playing: Some(playing),
    };
    html! {
        <ContextProvider<CursorHandle> context={handle}>{ props.children.clone() }</ContextProvider<CursorHandle>>
    }
}

/// The cursor from context; live outside a [`CursorProvider`].
#[hook]
pub fn use_cursor() -> CursorHandle {
    use_context::<CursorHandle>().unwrap_or_else(|| CursorHandle {
        cursor: Cursor::Live,
        travel: Callback::noop(),
        playing: None,
    })
}
