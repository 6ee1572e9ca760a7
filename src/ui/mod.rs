//! The Yew UI. Components reach the store only through the [`SandboxHandle`]
//! context (the service, taken with `use_sandbox()`), never IndexedDB directly.

mod app;
mod append_form;
mod causal;
mod code_editor;
mod cursor;
mod event_table;
mod event_view;
mod help;
mod hooks;
mod json_tree;
mod latest;
mod projections;
mod route;
mod sandbox_badge;
mod sandboxes;
mod scenarios;
mod stream_list;
mod stream_page;
mod time_bar;
mod time_travel;
mod transfer;

use std::cell::RefCell;
use std::rc::Rc;

use crate::api::ApiInstaller;
use crate::core::sandbox_name::{validate_sandbox_name, DEFAULT_SANDBOX};
use crate::core::StoreError;
use crate::service::Sandbox;

pub use app::App;
use hooks::{use_append_draft, use_sandbox};

/// The service handle, shared through Yew's context.
#[derive(Clone)]
pub struct SandboxHandle(pub Rc<Sandbox>);

impl PartialEq for SandboxHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Counts the changes this page has seen; views re-read when it moves.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Revision(pub u64);

/// Boots the page: `window.sandbox` first (so scripts can wait on `ready`),
/// then the store, then the UI.
pub fn start() {
    let installer = match ApiInstaller::install() {
        Ok(installer) => installer,
        Err(error) => {
            web_sys::console::error_2(&"could not install window.sandbox".into(), &error);
            return;
        }
    };
    let name = match sandbox_name_from_location() {
        Ok(name) => name,
        Err(error) => {
            installer.failed(&error);
            yew::Renderer::<app::OpenFailed>::with_props(app::OpenFailedProps {
                message: error.to_string(),
                // The name is wrong, not the browser's storage.
                unavailable: true,
            })
            .render();
            return;
        }
    };
    let requested_scenario = query_parameter("scenario");
    wasm_bindgen_futures::spawn_local(async move {
        // `?scenario=<id>`: a fresh sandbox named after it, instead.
        let (name, scenario) = match requested_scenario {
            None => (name, None),
            Some(id) => match scenarios::fresh_sandbox_for(&id).await {
                Ok((scenario, fresh)) => (fresh, Some(scenario)),
                Err(error) => return refuse_scenario(installer, &error),
            },
        };
        // Shown only while another tab's older connection blocks the open.
        let blocked: Rc<RefCell<Option<yew::AppHandle<app::OpenBlocked>>>> = Rc::default();
        let showing = Rc::clone(&blocked);
        let opened = Sandbox::open(&name, move || {
            *showing.borrow_mut() = Some(yew::Renderer::<app::OpenBlocked>::new().render());
        })
        .await;
        if let Some(notice) = blocked.borrow_mut().take() {
            notice.destroy();
        }
        match opened {
            Ok(sandbox) => {
                if let Some(scenario) = scenario {
                    if let Err(error) = scenarios::load_into(&sandbox, scenario).await {
                        return refuse_scenario(installer, &error);
                    }
                }
                installer.opened(Rc::clone(&sandbox));
                yew::Renderer::<App>::with_props(app::AppProps {
                    sandbox: SandboxHandle(sandbox),
                })
                .render();
            }
            Err(error) => {
                installer.failed(&error);
                yew::Renderer::<app::OpenFailed>::with_props(app::OpenFailedProps {
                    message: error.to_string(),
                    unavailable: matches!(error, StoreError::Unavailable(_)),
                })
                .render();
            }
        }
    });
}

/// The page says why `?scenario=` could not be loaded, and so does `ready`.
fn refuse_scenario(installer: ApiInstaller, error: &StoreError) {
    installer.failed(error);
    yew::Renderer::<scenarios::ScenarioRefused>::with_props(scenarios::ScenarioRefusedProps {
        message: error.to_string(),
    })
    .render();
}

/// `?sandbox=NAME` picks a sandbox; each is its own database. A name the
/// sandboxes page could not have made (a `/` would let its settings' keys
/// overlap another sandbox's) is refused, not opened.
fn sandbox_name_from_location() -> Result<String, StoreError> {
    match query_parameter("sandbox").filter(|name| !name.trim().is_empty()) {
        Some(name) => validate_sandbox_name(&name),
        None => Ok(DEFAULT_SANDBOX.to_string()),
    }
}

/// The page address's `?key=` value, if it has one.
fn query_parameter(key: &str) -> Option<String> {
    web_sys::window()
        .and_then(|window| window.location().search().ok())
        .and_then(|search| {
            web_sys::UrlSearchParams::new_with_str(&search)
                .ok()?
                .get(key)
        })
}

/// Runs a future on the page's executor and hands its output to `done`.
pub(crate) fn run<T: 'static>(
    future: impl std::future::Future<Output = T> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    wasm_bindgen_futures::spawn_local(async move { done(future.await) });
}

/// "1 key", "2 keys": a count with its noun in the right number.
pub(crate) fn count(n: impl Into<u64>, singular: &str) -> String {
    match n.into() {
        1 => format!("1 {singular}"),
        n => format!("{n} {singular}s"),
    }
}
