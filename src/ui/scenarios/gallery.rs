//! The gallery: a card per scenario with its story, what it holds, its
//! steps, a Load button and the link a facilitator hands out.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::scenarios::{Scenario, SCENARIOS};
use crate::service::scenario::scenario_address;
use crate::ui::count;
use crate::ui::hooks::use_sandbox;

#[function_component(ScenarioGallery)]
pub fn scenario_gallery() -> Html {
    let sandbox = use_sandbox();
    let current = sandbox.0.scenario().map(|scenario| scenario.id);
    html! {
        <section class="scenario-gallery">
            <h1>{ "Scenarios" }</h1>
            <p>
                { "Each scenario is a small world to explore: a story, its events (with their correlation and causation chains), projections that read them, and guided steps that tick themselves when they are done. Loading one makes a fresh sandbox for it, so it never mixes with your own events." }
            </p>
            <div class="scenario-cards">
                { for SCENARIOS.iter().map(|scenario| card(scenario, current == Some(scenario.id))) }
            </div>
        </section>
    }
}

fn card(scenario: &Scenario, loaded_here: bool) -> Html {
    let holdings = scenario.holdings();
    let address = scenario_address(scenario);
    let shareable = absolute(&address);
    html! {
        <article class="scenario-card" data-scenario={scenario.id}>
            <h2>{ scenario.title }</h2>
            <p>{ scenario.story }</p>
            <p class="muted holdings">
                { format!(
                    "{} in {}, {}",
                    count(holdings.events as u64, "event"),
                    count(holdings.streams as u64, "stream"),
                    count(holdings.projections as u64, "projection"),
                ) }
            </p>
            <h3>{ "Steps" }</h3>
            <ol>{ for scenario.steps.iter().map(|step| html! { <li>{ step.title }</li> }) }</ol>
            <div class="actions">
                <a class="button primary" href={address}>{ "Load" }</a>
                if loaded_here {
                    <span class="muted">{ "This sandbox holds it." }</span>
                }
            </div>
            <label class="share">
                { "Link to hand out" }
                <input type="text" readonly=true value={shareable} onfocus={select_all} />
            </label>
        </article>
    }
}

/// `address` (relative to the page) as a full URL, for pasting elsewhere.
fn absolute(address: &str) -> String {
    let page = web_sys::window()
        .map(|window| window.location())
        .and_then(|location| {
            Some(format!(
                "{}{}",
                location.origin().ok()?,
                location.pathname().ok()?
            ))
        });
    match page {
        Some(page) => format!("{page}{}", address.trim_start_matches("./")),
        // Relative is still a working link on this page.
        None => address.to_string(),
    }
}

/// Selects the whole link, so one copy takes it.
fn select_all(event: FocusEvent) {
    if let Some(input) = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
    {
        input.select();
    }
}
