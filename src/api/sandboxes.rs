//! The sandboxes' methods of `window.sandbox`: listing, creating, switching,
//! deleting and locking (see the README).

use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::JsValue;

use super::args::string_argument;
use super::{to_json_value, Reply};
use crate::service::sandboxes::{
    create_sandbox, delete_sandbox, existing, sandbox_names, switch_to,
};
use crate::service::Sandbox;

/// A row of `sandboxes()`.
#[derive(Serialize)]
struct SandboxRow {
    name: String,
    /// The one this page has open.
    current: bool,
}

pub(super) fn sandboxes(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let rows: Vec<SandboxRow> = sandbox_names()
            .await?
            .into_iter()
            .map(|name| SandboxRow {
                current: name == sandbox.name(),
                name,
            })
            .collect();
        to_json_value(&rows)
    })
}

/// Resolves with the name as stored (trimmed); does not switch to it.
pub(super) fn create(_: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "sandbox name")?;
        Ok(JsValue::from_str(&create_sandbox(&name).await?))
    })
}

/// Resolves, then the page loads the sandbox `name`.
pub(super) fn use_sandbox(_: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "sandbox name")?;
        existing(&name).await?;
        switch_to(&name);
        Ok(JsValue::UNDEFINED)
    })
}

/// Deleting the open sandbox moves the page to the default one.
pub(super) fn delete(sandbox: Rc<Sandbox>, [name, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let name = string_argument(&name, "sandbox name")?;
        if name == sandbox.name() {
            sandbox.delete_itself().await?;
        } else {
            delete_sandbox(&name).await?;
        }
        Ok(JsValue::UNDEFINED)
    })
}

pub(super) fn lock(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        sandbox.set_locked(true)?;
        Ok(JsValue::UNDEFINED)
    })
}

pub(super) fn unlock(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        sandbox.set_locked(false)?;
        Ok(JsValue::UNDEFINED)
    })
}
