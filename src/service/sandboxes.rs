//! The sandboxes of this browser: each is its own IndexedDB database, with
//! its own settings in localStorage under `es-sandbox/<name>/`. Listing,
//! creating, duplicating, renaming and deleting them, and the facilitator's
//! lock. Switching is a page load (`?sandbox=`): every open connection,
//! worker and channel belongs to the page, so a fresh page is the one
//! switch that cannot leave anything of the old sandbox running.

use crate::core::sandbox_name::{
    database_name, sandbox_of_database, validate_sandbox_name, DEFAULT_SANDBOX,
};
use crate::core::StoreError;
use crate::storage::indexeddb::{database_names, IndexedDbStore};

use super::Sandbox;

/// The localStorage key that marks a sandbox locked.
const LOCKED: &str = "locked";

/// Every sandbox on this origin, by name. The default one is listed even
/// before its database exists: it is where a plain visit lands.
pub async fn sandbox_names() -> Result<Vec<String>, StoreError> {
    let mut names: Vec<String> = database_names()
        .await?
        .iter()
        .filter_map(|database| sandbox_of_database(database))
        .map(str::to_string)
        .collect();
    if !names.iter().any(|name| name == DEFAULT_SANDBOX) {
        names.push(DEFAULT_SANDBOX.to_string());
    }
    names.sort_by_key(|name| name.to_lowercase());
    Ok(names)
}

/// Creates an empty sandbox called `name` and returns its name as stored
/// (trimmed).
pub async fn create_sandbox(name: &str) -> Result<String, StoreError> {
    let name = unused_name(name).await?;
    IndexedDbStore::open(&database_name(&name)).await?.close();
    Ok(name)
}

/// Copies the sandbox `from` (events, streams, projections, drafts; not its
/// lock: a copy is for working in) into a new sandbox `to`.
pub async fn duplicate_sandbox(from: &str, to: &str) -> Result<String, StoreError> {
    let (to, _) = copy_sandbox(from, to).await?;
    copy_settings(from, &to, |key| key != LOCKED)?;
    Ok(to)
}

/// Renames a sandbox: IndexedDB cannot rename a database, so this is a
/// copy under the new name (the lock moves too) and a delete of the old.
/// If anything was appended to the old one while it was copied (another
/// tab), the copy is dropped and the rename refused, rather than the
/// append deleted with the old database.
pub async fn rename_sandbox(from: &str, to: &str) -> Result<String, StoreError> {
    let (to, copied) = copy_sandbox(from, to).await?;
    let source = IndexedDbStore::open(&database_name(from)).await?;
    let now = source.event_count().await;
    source.close();
    if now? != copied {
        drop_copy(&to).await?;
        return Err(StoreError::InvalidArgument(format!(
            "{from:?} changed while it was being renamed (another tab appended to it); nothing was renamed, try again"
        )));
    }
    copy_settings(from, &to, |_| true)?;
    delete_sandbox(from).await?;
    Ok(to)
}

/// Copies `from` into a new sandbox named `to` (checked and trimmed), and
/// returns that name and how many events were copied.
async fn copy_sandbox(from: &str, to: &str) -> Result<(String, u64), StoreError> {
    let to = unused_name(to).await?;
    existing(from).await?;
    let source = IndexedDbStore::open(&database_name(from)).await?;
    let target = IndexedDbStore::open(&database_name(&to)).await?;
    let copied = source.copy_into(&target).await;
    source.close();
    target.close();
    match copied {
        Ok(copied) => Ok((to, copied)),
        Err(error) => {
            drop_copy(&to).await.map_err(|cleanup| {
                StoreError::Storage(format!(
                    "{error}; the half-made copy could not be deleted either ({cleanup})"
                ))
            })?;
            Err(error)
        }
    }
}

/// Deletes a copy that must not stay, so it never shows as a sandbox.
async fn drop_copy(name: &str) -> Result<(), StoreError> {
    IndexedDbStore::delete(&database_name(name))
        .await
        .map_err(|error| {
            StoreError::Storage(format!(
                "the copy {name:?} could not be deleted ({error}): delete it from the sandboxes page"
            ))
        })
}

/// Deletes a sandbox and its settings. Other tabs that have it open let go
/// of it when asked (the `versionchange` a delete sends) and say so.
pub async fn delete_sandbox(name: &str) -> Result<(), StoreError> {
    existing(name).await?;
    IndexedDbStore::delete(&database_name(name)).await?;
    for key in settings_keys(name)? {
        local_storage()?
            .remove_item(&key)
            .map_err(|error| storage_refused("forget a setting of the deleted sandbox", &error))?;
    }
    Ok(())
}

impl Sandbox {
    /// A locked sandbox refuses appends and imports (a facilitator's
    /// read-only dataset); projections can still be written and run on it.
    /// The mark is read afresh each time, so every tab honours it at once.
    pub fn is_locked(&self) -> bool {
        read_setting(&self.name, LOCKED).is_some()
    }

    pub fn set_locked(&self, locked: bool) -> Result<(), StoreError> {
        self.save_setting(LOCKED, locked.then_some("true"), "the lock")?;
        self.lock_changed(locked);
        Ok(())
    }

    /// Saves one of this sandbox's settings (`None` removes it); `what`
    /// names it in the error.
    pub(super) fn save_setting(
        &self,
        key: &str,
        value: Option<&str>,
        what: &str,
    ) -> Result<(), StoreError> {
        let storage = local_storage()?;
        let key = setting_key(&self.name, key);
        let saved = match value {
            Some(value) => storage.set_item(&key, value),
            None => storage.remove_item(&key),
        };
        saved.map_err(|error| storage_refused(&format!("save {what}"), &error))
    }

    /// The refusal of a write to a locked sandbox.
    pub(super) fn refuse_if_locked(&self) -> Result<(), StoreError> {
        if self.is_locked() {
            return Err(StoreError::SandboxLocked {
                sandbox: self.name.clone(),
            });
        }
        Ok(())
    }
}

/// `name`, checked and trimmed, when no sandbox has it yet.
async fn unused_name(name: &str) -> Result<String, StoreError> {
    let name = validate_sandbox_name(name)?;
    let exists = database_names()
        .await?
        .iter()
        .any(|database| sandbox_of_database(database) == Some(name.as_str()));
    if exists {
        return Err(StoreError::InvalidArgument(format!(
            "a sandbox called {name:?} already exists; pick another name"
        )));
    }
    Ok(name)
}

/// `Ok` when there is a sandbox called `name`.
pub async fn existing(name: &str) -> Result<(), StoreError> {
    if sandbox_names().await?.iter().any(|known| known == name) {
        Ok(())
    } else {
        Err(StoreError::InvalidArgument(format!(
            "there is no sandbox called {name:?}; create it first"
        )))
    }
}

pub(super) fn local_storage() -> Result<web_sys::Storage, StoreError> {
    web_sys::window()
        .and_then(|window| window.local_storage().ok().flatten())
        .ok_or_else(|| {
            StoreError::Unavailable(
                "this browser gives the page no localStorage, where sandbox settings live".into(),
            )
        })
}

pub(super) fn setting_key(sandbox: &str, key: &str) -> String {
    format!("{}/{key}", database_name(sandbox))
}

pub(super) fn read_setting(sandbox: &str, key: &str) -> Option<String> {
    // No localStorage means no settings: nothing is locked.
    local_storage()
        .ok()?
        .get_item(&setting_key(sandbox, key))
        .ok()
        .flatten()
}

/// Every localStorage key of `sandbox`'s settings.
fn settings_keys(sandbox: &str) -> Result<Vec<String>, StoreError> {
    let storage = local_storage()?;
    let prefix = setting_key(sandbox, "");
    let count = storage
        .length()
        .map_err(|error| storage_refused("list the settings", &error))?;
    Ok((0..count)
        .filter_map(|index| storage.key(index).ok().flatten())
        .filter(|key| key.starts_with(&prefix))
        .collect())
}

/// Copies the settings of `from` whose key (after the sandbox's prefix)
/// `wanted` picks to `to`.
fn copy_settings(from: &str, to: &str, wanted: impl Fn(&str) -> bool) -> Result<(), StoreError> {
    let storage = local_storage()?;
    let prefix = setting_key(from, "");
    for key in settings_keys(from)? {
        let setting = &key[prefix.len()..];
        if !wanted(setting) {
            continue;
        }
        if let Some(value) = storage.get_item(&key).ok().flatten() {
            storage
                .set_item(&setting_key(to, setting), &value)
                .map_err(|error| storage_refused("copy a setting", &error))?;
        }
    }
    Ok(())
}

fn storage_refused(what: &str, error: &wasm_bindgen::JsValue) -> StoreError {
    StoreError::Storage(format!(
        "localStorage refused to {what}: {}",
        crate::js::error_text(error)
    ))
}

/// Loads the page again on the sandbox `name` (the default one has a plain
/// address). The current page's connection, workers and channels go with
/// it. The load starts after the caller's task ends, so a promise resolved
/// now still reaches a script that awaits it.
pub fn switch_to(name: &str) {
    load_soon(
        format!("./{}#/", sandbox_query(name)),
        Visit::Replace,
        "could not open the sandbox",
    );
}

/// The query of the address that opens the sandbox `name`: `?sandbox=…`,
/// or nothing for the default one.
pub fn sandbox_query(name: &str) -> String {
    if name == DEFAULT_SANDBOX {
        return String::new();
    }
    let query = web_sys::UrlSearchParams::new().ok();
    if let Some(query) = &query {
        query.set("sandbox", name);
    }
    query.map_or_else(String::new, |query| {
        format!("?{}", String::from(query.to_string()))
    })
}

/// Whether a page load keeps the current page in the history.
pub(super) enum Visit {
    Assign,
    Replace,
}

/// Loads `address` after the caller's task ends, so a promise resolved now
/// still reaches a script that awaits it.
pub(super) fn load_soon(address: String, visit: Visit, failure: &'static str) {
    gloo::timers::callback::Timeout::new(0, move || {
        let moved = web_sys::window()
            .ok_or_else(|| wasm_bindgen::JsValue::from_str("no window"))
            .and_then(|window| match visit {
                Visit::Assign => window.location().assign(&address),
                Visit::Replace => window.location().replace(&address),
            });
        if let Err(error) = moved {
            web_sys::console::error_2(&failure.into(), &error);
        }
    })
    .forget();
}

impl Sandbox {
    /// Deletes this very sandbox: this page lets go of it first (its own
    /// open connection would block the delete), then the page moves to the
    /// default sandbox.
    pub async fn delete_itself(&self) -> Result<(), StoreError> {
        self.release("Deleting this sandbox…");
        if let Err(error) = delete_sandbox(&self.name).await {
            // The page let go of the sandbox, which is still there: it says
            // so, and a reload opens it again.
            self.release(&format!(
                "This sandbox could not be deleted ({error}), and this page let go of it; reload to open it again."
            ));
            return Err(error);
        }
        switch_to(DEFAULT_SANDBOX);
        Ok(())
    }
}
