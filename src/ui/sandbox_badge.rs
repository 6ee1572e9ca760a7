//! The header's sandbox badge: which sandbox this page has open (always in
//! sight), a way to the sandboxes page, and the facilitator's lock.

use yew::prelude::*;

use super::route::Route;
use super::use_sandbox;
use crate::service::Change;

#[function_component(SandboxBadge)]
pub fn sandbox_badge() -> Html {
    let sandbox = use_sandbox();
    let locked = {
        let sandbox = sandbox.clone();
        use_state(move || sandbox.0.is_locked())
    };
    let failed = use_state(|| None::<String>);
    {
        let locked = locked.clone();
        use_effect_with(sandbox.clone(), move |sandbox| {
            let subscription = sandbox.0.subscribe(move |change| {
                if let Change::LockChanged { locked: now } = change {
                    locked.set(*now);
                }
            });
            move || drop(subscription)
        });
    }
    let toggle = {
        let (sandbox, locked, failed) = (sandbox.clone(), locked.clone(), failed.clone());
        Callback::from(move |_| match sandbox.0.set_locked(!*locked) {
            Ok(()) => failed.set(None),
            Err(error) => failed.set(Some(error.to_string())),
        })
    };
    let name = sandbox.0.name();
    html! {
        <span class="sandbox-badge">
            <a class="sandbox-name" href={Route::Sandboxes.href()}
                title={format!("sandbox: {name} (its own IndexedDB database); all sandboxes")}>
                { format!("sandbox: {name}") }
            </a>
            if *locked {
                <span class="tag locked" role="status">{ "locked" }</span>
            }
            <button type="button" onclick={toggle} aria-pressed={(*locked).to_string()}
                title={if *locked { "Allow appends again" } else { "Make this sandbox read-only: appends and imports are refused until it is unlocked" }}>
                { if *locked { "Unlock" } else { "Lock" } }
            </button>
            if let Some(message) = &*failed {
                <span class="error" role="alert">{ message }</span>
            }
        </span>
    }
}
