//! The scenario gallery (`#/scenarios`), the steps panel every page shows
//! while the sandbox holds a scenario, and the boot of `?scenario=<id>`:
//! a fresh sandbox named after the scenario, loaded, then the address
//! changed to `?sandbox=<name>` so a reload does not load it again.

mod gallery;
mod steps;

use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::core::sandbox_name::fresh_name;
use crate::core::StoreError;
use crate::scenarios::{find, Scenario};
use crate::service::sandboxes::{sandbox_names, sandbox_query};
use crate::service::Sandbox;

pub use gallery::ScenarioGallery;
pub use steps::ScenarioSteps;

/// The scenario `id` and a sandbox name no sandbox has yet, made from it.
pub async fn fresh_sandbox_for(id: &str) -> Result<(&'static Scenario, String), StoreError> {
    let scenario = find(id)?;
    let name = fresh_name(scenario.id, &sandbox_names().await?);
    Ok((scenario, name))
}

/// Loads `scenario` into the just-opened `sandbox`, then makes the address
/// name the sandbox instead of the scenario.
pub async fn load_into(sandbox: &Sandbox, scenario: &Scenario) -> Result<(), StoreError> {
    sandbox.load_scenario(scenario.id).await?;
    if let Err(error) = address_the_sandbox(sandbox.name()) {
        // The sandbox is loaded; only a reload would load the scenario
        // again, into yet another sandbox. Worth a word, not a failure.
        web_sys::console::warn_2(
            &"could not change the address to the sandbox".into(),
            &error,
        );
    }
    Ok(())
}

/// `history.replaceState` to `?sandbox=<name>`, keeping the route. web-sys
/// is built without `History`, so the call goes through `Reflect`.
fn address_the_sandbox(name: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let hash = window.location().hash()?;
    let hash = if hash.is_empty() {
        "#/".to_string()
    } else {
        hash
    };
    let address = format!("./{}{hash}", sandbox_query(name));
    let history = js_sys::Reflect::get(&window, &"history".into())?;
    let replace: js_sys::Function =
        js_sys::Reflect::get(&history, &"replaceState".into())?.dyn_into()?;
    replace.call3(&history, &JsValue::NULL, &"".into(), &address.into())?;
    Ok(())
}

#[derive(Properties, PartialEq)]
pub struct ScenarioRefusedProps {
    pub message: String,
}

/// Shown instead of the app when `?scenario=` names no scenario, or the
/// scenario could not be loaded.
#[function_component(ScenarioRefused)]
pub fn scenario_refused(props: &ScenarioRefusedProps) -> Html {
    html! {
        <main>
            <section class="error-banner" role="alert">
                <h1>{ "The scenario could not be loaded" }</h1>
                <p>{ &props.message }</p>
                <p><a href="./#/scenarios">{ "Open the scenario gallery" }</a></p>
            </section>
        </main>
    }
}
