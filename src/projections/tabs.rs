//! Other tabs of the same sandbox. Each tab runs its projections (the fold
//! is deterministic, so they agree); a tab that changes a projection's row
//! by a command says so on a `BroadcastChannel`, and the others re-read the
//! row and adopt it.

use std::rc::Rc;

use super::host::{Projection, ProjectionHost};
pub(super) use crate::js::TabChannel as Tabs;
use crate::storage::ProjectionRows;

impl ProjectionHost {
    pub(super) fn listen_to_other_tabs(self: &Rc<Self>) {
        let host = Rc::downgrade(self);
        let channel = Tabs::open(&format!("{}/projections", self.database), move |name| {
            if let Some(host) = host.upgrade() {
                wasm_bindgen_futures::spawn_local(async move { host.follow(&name).await });
            }
        });
        match channel {
            Ok(channel) => *self.tabs.borrow_mut() = Some(channel),
            // Without it each tab still runs correctly on its own; it only
            // learns of another tab's commands when it next writes.
            Err(error) => web_sys::console::warn_2(
                &"other tabs' projection commands will not be heard".into(),
                &error,
            ),
        }
    }

    pub(super) fn tell_other_tabs(&self, name: &str) {
        if let Some(tabs) = &*self.tabs.borrow() {
            if let Err(error) = tabs.post(name) {
                web_sys::console::warn_2(
                    &"could not tell other tabs of a projection command".into(),
                    &error,
                );
            }
        }
    }

    /// Another tab changed the row of `name`: take the stored row as truth.
    async fn follow(self: &Rc<Self>, name: &str) {
        if self.is_closed() {
            return;
        }
        let stored = match self.store.projection(name).await {
            Ok(stored) => stored,
            Err(error) => {
                web_sys::console::error_1(
                    &format!(
                        "could not read projection '{name}' that another tab changed: {error}"
                    )
                    .into(),
                );
                return;
            }
        };
        match (self.get(name).ok(), stored) {
            (Some(projection), stored) => {
                let same = stored
                    .as_ref()
                    .is_some_and(|stored| projection.record.borrow().same_run_as(stored));
                if !same {
                    self.adopt(&projection, stored);
                }
            }
            (None, Some(stored)) => {
                self.projections
                    .borrow_mut()
                    .insert(name.to_string(), Rc::new(Projection::new(stored)));
                self.changed(name);
                self.kick(name);
            }
            (None, None) => {}
        }
    }
}
