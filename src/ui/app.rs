//! The shell: navigation, the current route, and the contexts every view uses.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::append_form::AppendPage;
use super::causal::CausalChainPage;
use super::cursor::CursorProvider;
use super::event_table::{CorrelationView, EventPager, EventSource};
use super::event_view::EventView;
use super::help::HelpPage;
use super::projections::{NewProjection, ProjectionList, ProjectionPage, QueryPage};
use super::route::Route;
use super::sandbox_badge::SandboxBadge;
use super::sandboxes::SandboxesPage;
use super::scenarios::{ScenarioGallery, ScenarioSteps};
use super::stream_list::StreamList;
use super::stream_page::StreamPage;
use super::time_bar::TimeBar;
use super::time_travel::TimeTravelPage;
use super::transfer::TransferPage;
use super::{Revision, SandboxHandle};
use crate::core::form::AppendFormText;
use crate::service::Change;

/// The views re-read at most once per this many milliseconds. A lone append
/// (a person clicking) shows at once; a script appending in a loop costs four
/// list reads a second instead of one read transaction per append, queued
/// between the appends themselves.
const REFRESH_EVERY_MS: f64 = 250.0;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub sandbox: SandboxHandle,
}

/// What "Append another like this" hands to the append page.
#[derive(Clone, PartialEq)]
pub struct Draft {
    pub text: AppendFormText,
    pub set: Callback<AppendFormText>,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let route = use_state(Route::current);
    let revision = use_state(Revision::default);
    let draft_text = use_state(|| AppendFormText {
        expected_version: "any".into(),
        ..Default::default()
    });

    use_effect_with((*route).clone(), |route| {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(&route.title());
        }
    });
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| route.set(Route::current()))
            });
            move || drop(listener)
        });
    }
    {
        let revision = revision.clone();
        use_effect_with(props.sandbox.clone(), move |sandbox| {
            // The handle's value is a snapshot from the render that made it,
            // so the count lives here.
            let seen = Rc::new(Cell::new(revision.0));
            let last_refresh = Rc::new(Cell::new(f64::MIN));
            let pending: Rc<RefCell<Option<Timeout>>> = Rc::default();
            let subscription = sandbox.0.subscribe(move |change| {
                // The cursor is not data: views follow it through its own
                // context (`CursorProvider`), at once. Counting its moves
                // here would re-read every view and re-render the shell
                // four times a second while the time bar plays.
                if matches!(change, Change::CursorMoved { .. }) {
                    return;
                }
                seen.set(seen.get() + 1);
                if pending.borrow().is_some() {
                    return;
                }
                let wait = (last_refresh.get() + REFRESH_EVERY_MS - js_sys::Date::now()).max(0.0);
                let (revision, seen, last_refresh, done) = (
                    revision.clone(),
                    Rc::clone(&seen),
                    Rc::clone(&last_refresh),
                    Rc::clone(&pending),
                );
                *pending.borrow_mut() = Some(Timeout::new(wait as u32, move || {
                    done.borrow_mut().take();
                    last_refresh.set(js_sys::Date::now());
                    revision.set(Revision(seen.get()));
                }));
            });
            move || drop(subscription)
        });
    }

    // A newer build took the database in another tab: nothing works here
    // any more until a reload, so the page says so above everything.
    let closed = {
        let sandbox = props.sandbox.clone();
        use_state(move || sandbox.0.closed_reason())
    };
    {
        let closed = closed.clone();
        use_effect_with(props.sandbox.clone(), move |sandbox| {
            let subscription = sandbox.0.subscribe(move |change| {
                if let Change::Closed { reason } = change {
                    closed.set(Some(reason.clone()));
                }
            });
            move || drop(subscription)
        });
    }

    // One callback for the page's life: a new one each render would make a
    // new context, render the Append page again, and put the form's state
    // back over what the person is typing.
    let set_draft = {
        let draft_text = draft_text.clone();
        use_callback((), move |text, _| draft_text.set(text))
    };
    let draft = Draft {
        text: (*draft_text).clone(),
        set: set_draft,
    };
    let page = match &*route {
        Route::Streams => html! { <StreamList /> },
        Route::Stream(stream) => html! { <StreamPage stream={stream.clone()} /> },
        Route::Event { stream, version } => {
            html! { <EventView stream={stream.clone()} version={*version} /> }
        }
        Route::Correlation(id) => html! { <CorrelationView correlation_id={id.clone()} /> },
        Route::Chain { stream, version } => {
            html! { <CausalChainPage stream={stream.clone()} version={*version} /> }
        }
        Route::All => html! {
            <section>
                <h1>{ "All events " }<code>{ "$all" }</code></h1>
                <EventPager source={EventSource::All} />
            </section>
        },
        Route::Append => html! { <AppendPage /> },
        Route::Projections => html! { <ProjectionList /> },
        Route::NewProjection => html! { <NewProjection /> },
        Route::Query => html! { <QueryPage /> },
        Route::Projection(name) => html! { <ProjectionPage name={name.clone()} /> },
        Route::Help => html! { <HelpPage /> },
        Route::Scenarios => html! { <ScenarioGallery /> },
        Route::TimeTravel => html! { <TimeTravelPage /> },
        Route::Sandboxes => html! { <SandboxesPage /> },
        Route::Transfer => html! { <TransferPage /> },
    };
    let tab = |target: Route, label: &str| {
        let active = match (&*route, &target) {
            (
                Route::Stream(_)
                | Route::Event { .. }
                | Route::Correlation(_)
                | Route::Chain { .. },
                Route::Streams,
            ) => true,
            (Route::NewProjection | Route::Query | Route::Projection(_), Route::Projections) => {
                true
            }
            (current, target) => current == target,
        };
        html! {
            <a href={target.href()} class={classes!("tab", active.then_some("active"))}
               aria-current={active.then_some("page")}>{ label }</a>
        }
    };

    html! {
        <ContextProvider<SandboxHandle> context={props.sandbox.clone()}>
        <ContextProvider<Revision> context={*revision}>
        <ContextProvider<Draft> context={draft}>
        <CursorProvider>
            // Routes live in the hash, so the skip link moves focus itself
            // rather than following an anchor.
            <a class="skip-link" href="#content" onclick={skip_to_content}>{ "Skip to content" }</a>
            <header class="top">
                <a class="brand" href="#/">{ "es-sandbox" }</a>
                <nav>
                    { tab(Route::Streams, "Streams") }
                    { tab(Route::All, "All events") }
                    { tab(Route::Append, "Append") }
                    { tab(Route::Projections, "Projections") }
                    { tab(Route::TimeTravel, "Time travel") }
                    { tab(Route::Scenarios, "Scenarios") }
                    { tab(Route::Transfer, "Import / export") }
                    { tab(Route::Help, "Help") }
                </nav>
                <SandboxBadge />
            </header>
            if let Some(reason) = &*closed {
                <section class="error-banner" role="alert">
                    <p>{ reason }</p>
                    <button type="button" onclick={|_| reload_page()}>{ "Reload" }</button>
                </section>
            }
            // Under the header on every page, so the cursor is always in
            // sight and in reach.
            <TimeBar />
            <ScenarioSteps />
            <main id="content" tabindex="-1">{ page }</main>
        </CursorProvider>
        </ContextProvider<Draft>>
        </ContextProvider<Revision>>
        </ContextProvider<SandboxHandle>>
    }
}

#[derive(Properties, PartialEq)]
pub struct OpenFailedProps {
    pub message: String,
    /// The sandbox is there, but this page cannot use it (a newer build's).
    pub unavailable: bool,
}

/// Shown while another tab's older connection blocks the open, instead of a
/// page that loads forever.
#[function_component(OpenBlocked)]
pub fn open_blocked() -> Html {
    html! {
        <main>
            <section class="error-banner" role="alert">
                <h1>{ "Waiting for another tab" }</h1>
                <p>{ "Another tab has this sandbox open with an older version of es-sandbox, and it has not let go. Close or reload that tab; this page goes on by itself then." }</p>
            </section>
        </main>
    }
}

fn skip_to_content(event: MouseEvent) {
    event.prevent_default();
    let main = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("content"))
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(Err(error)) = main.map(|main| main.focus()) {
        web_sys::console::error_2(&"could not move focus to the content".into(), &error);
    }
}

fn reload_page() {
    if let Some(Err(error)) = web_sys::window().map(|window| window.location().reload()) {
        web_sys::console::error_2(&"could not reload the page".into(), &error);
    }
}

/// Shown when the store cannot be opened (storage disabled, quota, a newer
/// schema), instead of a blank page.
#[function_component(OpenFailed)]
pub fn open_failed(props: &OpenFailedProps) -> Html {
    html! {
        <main>
            <section class="error-banner" role="alert">
                <h1>{ "The sandbox could not be opened" }</h1>
                <p>{ &props.message }</p>
                if !props.unavailable {
                    <p>{ "IndexedDB may be disabled (private browsing), or the disk is full." }</p>
                }
            </section>
        </main>
    }
}
