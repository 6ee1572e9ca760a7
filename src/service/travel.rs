//! The sandbox as of a position: the one cursor every view follows, and
//! the store's reads as of it (`storage::as_of`).

use std::rc::Rc;

use super::{Change, Sandbox};
use crate::core::{ReadRequest, RecordedEvent, StoreError, StreamInfo};
use crate::storage::as_of;

/// Where the whole app looks: the live log, or everything at positions up
/// to and including `At(p)` (`At(-1)`: before any event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cursor {
    #[default]
    Live,
    At(i64),
}

impl Cursor {
    /// The position reads are bounded by; `None` when live.
    pub fn bound(self) -> Option<i64> {
        match self {
            Cursor::Live => None,
            Cursor::At(at) => Some(at),
        }
    }
}

impl Sandbox {
    pub fn cursor(&self) -> Cursor {
        self.cursor.get()
    }

    /// Moves the cursor, and tells every view.
    pub fn travel_to(self: &Rc<Self>, cursor: Cursor) {
        if self.cursor.replace(cursor) != cursor {
            self.announce(Change::CursorMoved { cursor });
        }
    }

    /// The last position whose `created` is at or before `time`, or -1.
    pub async fn position_at(&self, time: &str) -> Result<i64, StoreError> {
        as_of::position_at(&*self.store, time).await
    }

    /// The streams as of `at`, in creation order.
    pub async fn streams_at(&self, at: i64) -> Result<Vec<StreamInfo>, StoreError> {
        as_of::streams_at(&*self.store, at).await
    }

    /// `$all` as of `at`.
    pub async fn read_all_to(
        &self,
        request: ReadRequest,
        at: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        as_of::read_all_to(&*self.store, request, at).await
    }

    /// A stream as of `at`; a link stream as its system projection had it
    /// then.
    pub async fn read_stream_to(
        &self,
        stream: &str,
        request: ReadRequest,
        at: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if let Some(links) = self.projections.read_link_stream(stream, request).await? {
            return Ok(links
                .into_iter()
                .filter(|link| link.position as i64 <= at)
                .collect());
        }
        as_of::read_stream_to(&*self.store, stream, request, at).await
    }
}
