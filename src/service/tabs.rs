//! The sandbox's other tabs. Each tab tells the others, on a
//! `BroadcastChannel`, what it appended and when it locked or unlocked the
//! sandbox; a tab that hears it re-reads its views and wakes its
//! projections, as if it had made the change itself. Each message is the
//! JSON of [`TabNews`]; both ends are this code, one build (a newer build
//! takes the database, and an older tab then closes).

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use super::{Change, Sandbox};
pub(super) use crate::js::TabChannel as Tabs;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "news", rename_all = "camelCase")]
pub(super) enum TabNews {
    /// Events up to `position` (inclusive) are in `$all`.
    Appended {
        position: u64,
    },
    Locked {
        locked: bool,
    },
}

impl Sandbox {
    pub(super) fn listen_to_other_tabs(self: &Rc<Self>, database: &str) {
        let sandbox = Rc::downgrade(self);
        let channel = Tabs::open(&format!("{database}/changes"), move |text| {
            let Some(sandbox) = sandbox.upgrade() else {
                return;
            };
            match serde_json::from_str::<TabNews>(&text) {
                Ok(news) => sandbox.heard(news),
                Err(error) => web_sys::console::warn_1(
                    &format!("ignored a message from another tab ({error}): {text}").into(),
                ),
            }
        });
        match channel {
            Ok(channel) => *self.tabs.borrow_mut() = Some(channel),
            // This tab still works alone; it sees other tabs' appends when
            // it next reads.
            Err(error) => web_sys::console::warn_2(
                &"other tabs' appends will show here only on the next read".into(),
                &error,
            ),
        }
    }

    fn heard(self: &Rc<Self>, news: TabNews) {
        if self.closed.borrow().is_some() {
            return;
        }
        match news {
            TabNews::Appended { position } => {
                self.projections.appended_up_to(position);
                self.announce(Change::AppendedElsewhere { position });
            }
            TabNews::Locked { locked } => self.announce(Change::LockChanged { locked }),
        }
    }

    pub(super) fn tell_other_tabs(&self, news: &TabNews) {
        let Some(tabs) = &*self.tabs.borrow() else {
            return;
        };
        let sent = serde_json::to_string(news)
            .map_err(|error| JsValue::from_str(&error.to_string()))
            .and_then(|text| tabs.post(&text));
        if let Err(error) = sent {
            // The other tabs catch up on their next read; this one is fine.
            web_sys::console::warn_2(&"could not tell other tabs of a change".into(), &error);
        }
    }

    /// Announces a lock change here and in the other tabs.
    pub(super) fn lock_changed(&self, locked: bool) {
        self.tell_other_tabs(&TabNews::Locked { locked });
        self.announce(Change::LockChanged { locked });
    }
}
