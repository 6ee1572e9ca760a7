//! The service handle: the one object the UI and `window.sandbox` share.
//!
//! It owns the store and the projection runtime, validates what callers hand
//! in (with the core's rules), wakes the projections after every append,
//! and announces
//! every change as a [`Change`] to whoever subscribed: the UI's views re-read
//! on it, and other tabs (BroadcastChannel) are meant to hear the same
//! messages.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use crate::core::event::{uuid_v4_from_bytes, validate_batch, InputEvent, ResolvedEvent};
use crate::core::projection::SystemProjection;
use crate::core::sandbox_name::database_name;
use crate::core::{
    AppendResult, ExpectedVersion, ReadRequest, RecordedEvent, StoreError, StreamInfo,
    StreamSelection, StreamsPage,
};
use crate::projections::{HostNews, ProjectionHost};
use crate::sample::BANK_ACCOUNTS;
use crate::storage::indexeddb::{IndexedDbStore, OpenWatch};
use crate::storage::{find_cause, last_position, EventStore};

mod causation;
pub mod sandboxes;
pub mod scenario;
mod tabs;
mod transfer;
mod travel;
pub use causation::{CausalChain, Handler, CHAIN_READ_LIMIT};
pub use transfer::{CheckProgress, ExportFormat, PreparedImport};
pub use travel::Cursor;

/// Everything that can change in a sandbox.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Appended {
        stream: String,
        result: AppendResult,
    },
    /// A projection's status, progress or states moved.
    ProjectionChanged { name: String },
    /// Another tab of this sandbox appended, up to `position`.
    AppendedElsewhere { position: u64 },
    /// This tab or another locked or unlocked the sandbox.
    LockChanged { locked: bool },
    /// The time-travel cursor moved.
    CursorMoved { cursor: Cursor },
    /// The sandbox was closed under this page: a newer build opened it in
    /// another tab. Nothing more can be read or written here; the page must
    /// reload.
    Closed { reason: String },
}

type Listener = Rc<dyn Fn(&Change)>;

pub struct Sandbox {
    name: String,
    store: Rc<IndexedDbStore>,
    projections: Rc<ProjectionHost>,
    listeners: RefCell<Vec<(u64, Listener)>>,
    next_listener: Cell<u64>,
    closed: RefCell<Option<String>>,
    cursor: Cell<Cursor>,
    tabs: RefCell<Option<tabs::Tabs>>,
}

/// Keeps a listener registered until it is dropped.
pub struct Subscription {
    sandbox: Rc<Sandbox>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.sandbox
            .listeners
            .borrow_mut()
            .retain(|(id, _)| *id != self.id);
    }
}

impl Sandbox {
    /// Opens the sandbox called `name`; each sandbox is its own IndexedDB
    /// database. `on_blocked` is called if another tab, holding the database
    /// open with an older schema, keeps this page waiting.
    pub async fn open(
        name: &str,
        on_blocked: impl FnOnce() + 'static,
    ) -> Result<Rc<Sandbox>, StoreError> {
        let database = database_name(name);
        // The sandbox does not exist yet when the store opens; a close that
        // comes later reaches it through this slot.
        let slot: Rc<RefCell<Weak<Sandbox>>> = Rc::default();
        let closed_early: Rc<Cell<Option<bool>>> = Rc::default();
        let (closing, early) = (Rc::clone(&slot), Rc::clone(&closed_early));
        let watch = OpenWatch {
            on_blocked: Some(Box::new(on_blocked)),
            on_closed: Some(Box::new(move |deleted| match closing.borrow().upgrade() {
                Some(sandbox) => sandbox.closed_under_us(deleted),
                // Closed while the projections were still loading.
                None => early.set(Some(deleted)),
            })),
        };
        let store = Rc::new(IndexedDbStore::open_watched(&database, watch).await?);
        let projections = ProjectionHost::start(Rc::clone(&store), database.clone()).await?;
        let sandbox = Rc::new(Sandbox {
            name: name.to_string(),
            store,
            projections,
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
            closed: RefCell::default(),
            cursor: Cell::default(),
            tabs: RefCell::default(),
        });
        sandbox.listen_to_other_tabs(&database);
        *slot.borrow_mut() = Rc::downgrade(&sandbox);
        if let Some(deleted) = closed_early.get() {
            sandbox.closed_under_us(deleted);
        }
        // Weak: the host lives inside the sandbox it reports to.
        let weak = Rc::downgrade(&sandbox);
        sandbox.projections.on_change(move |news| {
            if let Some(sandbox) = weak.upgrade() {
                match news {
                    HostNews::Projection(name) => {
                        sandbox.announce(Change::ProjectionChanged { name })
                    }
                    HostNews::Appended { stream, result } => {
                        sandbox.projections.appended_up_to(result.position);
                        sandbox.announce(Change::Appended { stream, result });
                    }
                }
            }
        });
        Ok(sandbox)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A newer build took the database, or another tab deleted the
    /// sandbox: projections stop where they are (their rows are as last
    /// saved) and the page is told.
    fn closed_under_us(&self, deleted: bool) {
        self.release(if deleted {
            "Another tab deleted this sandbox, so this tab let go of it. Reload to start it again empty, or open another sandbox."
        } else {
            "A newer version of es-sandbox opened this sandbox in another tab, so this tab let go of it. Reload this page to continue."
        });
    }

    /// Lets go of the database: nothing more is read or written from this
    /// page, and it says why.
    fn release(&self, reason: &str) {
        self.store.close();
        self.projections.close();
        *self.closed.borrow_mut() = Some(reason.to_string());
        self.announce(Change::Closed {
            reason: reason.into(),
        });
    }

    /// Why the sandbox was closed under this page, if it was.
    pub fn closed_reason(&self) -> Option<String> {
        self.closed.borrow().clone()
    }

    /// The projection runtime of this sandbox.
    pub fn projections(&self) -> &Rc<ProjectionHost> {
        &self.projections
    }

    pub fn subscribe(self: &Rc<Self>, listener: impl Fn(&Change) + 'static) -> Subscription {
        let id = self.next_listener.get();
        self.next_listener.set(id + 1);
        self.listeners.borrow_mut().push((id, Rc::new(listener)));
        Subscription {
            sandbox: Rc::clone(self),
            id,
        }
    }

    fn announce(&self, change: Change) {
        if let Change::Appended { result, .. } = &change {
            self.tell_other_tabs(&tabs::TabNews::Appended {
                position: result.position,
            });
        }
        // Listeners may subscribe or unsubscribe while being told; call a copy.
        let listeners: Vec<Listener> = self
            .listeners
            .borrow()
            .iter()
            .map(|(_, listener)| Rc::clone(listener))
            .collect();
        for listener in listeners {
            listener(&change);
        }
    }

    /// Validates and appends a batch, then announces it.
    pub async fn append(
        &self,
        stream: &str,
        inputs: Vec<InputEvent>,
        expected: ExpectedVersion,
    ) -> Result<AppendResult, StoreError> {
        self.write(stream, inputs, expected, None).await
    }

    /// Appends stamped with the store's clock, or with `created_millis`
    /// when the events happened before they reach the store (the sample).
    /// A stream a projection writes is not refused: KurrentDB refuses no
    /// writer, and the projection faults when it finds another's event.
    async fn write(
        &self,
        stream: &str,
        inputs: Vec<InputEvent>,
        expected: ExpectedVersion,
        created_millis: Option<i64>,
    ) -> Result<AppendResult, StoreError> {
        if let Some((system, _)) = SystemProjection::writing(stream) {
            return Err(StoreError::InvalidArgument(format!(
                "{stream} is a link stream that the system projection {} writes; the sandbox computes it from its indexes, so it cannot be appended to (a deliberate difference from KurrentDB, see the README)",
                system.name
            )));
        }
        self.refuse_if_locked()?;
        let batch = validate_batch(inputs, &mut random_uuid)?;
        let result = match created_millis {
            None => self.store.append(stream, batch, expected).await?,
            Some(millis) => {
                self.store
                    .append_with_created(stream, batch, expected, millis)
                    .await?
            }
        };
        self.projections.appended_up_to(result.position);
        self.announce(Change::Appended {
            stream: stream.to_string(),
            result,
        });
        Ok(result)
    }

    /// The event `effect` names as its cause by `id`, hidden or not;
    /// `None` when `id` is not a UUID or the cause is neither at `effect`'s
    /// `$p` nor in its correlation (see [`find_cause`]).
    pub async fn cause_of(
        &self,
        effect: &RecordedEvent,
        id: &str,
    ) -> Result<Option<RecordedEvent>, StoreError> {
        find_cause(&*self.store, effect, id).await
    }

    pub async fn read_stream(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        match self.projections.read_link_stream(stream, request).await? {
            Some(links) => Ok(links),
            None => self.store.read_stream(stream, request).await,
        }
    }

    /// Reads a stream, following links (`$>`) to the events they point at.
    /// A link whose target is gone (hidden, or its stream not found) is
    /// returned as it is.
    pub async fn read_stream_resolving_links(
        &self,
        stream: &str,
        request: ReadRequest,
    ) -> Result<Vec<ResolvedEvent>, StoreError> {
        let events = self.read_stream(stream, request).await?;
        let mut resolved = Vec::with_capacity(events.len());
        for event in events {
            let target = match event.link_target() {
                Some((version, target)) => {
                    match self
                        .store
                        .read_stream(&target, ReadRequest::forwards(version, 1))
                        .await
                    {
                        // A hidden version reads as the next visible one;
                        // the link points at that version or at nothing.
                        Ok(found) => found.into_iter().next().filter(|e| e.version == version),
                        Err(StoreError::StreamNotFound { .. }) => None,
                        Err(error) => return Err(error),
                    }
                }
                None => None,
            };
            resolved.push(match target {
                Some(target) => ResolvedEvent {
                    event: target,
                    link: Some(event),
                },
                None => ResolvedEvent { event, link: None },
            });
        }
        Ok(resolved)
    }

    pub async fn read_all(&self, request: ReadRequest) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store.read_all(request).await
    }

    pub async fn streams(&self) -> Result<Vec<StreamInfo>, StoreError> {
        self.store.streams().await
    }

    /// One page of the stream list, newest first.
    pub async fn streams_page(
        &self,
        selection: &StreamSelection,
    ) -> Result<StreamsPage<StreamInfo>, StoreError> {
        self.store.streams_page(selection).await
    }

    /// One stream's row; a link stream's is worked out from its links.
    pub async fn stream(&self, stream: &str) -> Result<Option<StreamInfo>, StoreError> {
        match self
            .projections
            .read_link_stream(stream, ReadRequest::default())
            .await
        {
            Ok(Some(links)) => Ok(link_stream_row(stream, &links)),
            Err(StoreError::StreamNotFound { .. }) => Ok(None),
            Err(error) => Err(error),
            Ok(None) => self.store.stream(stream).await,
        }
    }

    pub async fn read_category(
        &self,
        category: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store.read_category(category, request).await
    }

    pub async fn read_by_type(
        &self,
        event_type: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store.read_by_type(event_type, request).await
    }

    pub async fn read_by_correlation(
        &self,
        correlation_id: &str,
        request: ReadRequest,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.store
            .read_by_correlation(correlation_id, request)
            .await
    }

    /// How many events `$all` holds.
    pub async fn event_count(&self) -> Result<u64, StoreError> {
        Ok(last_position(&*self.store)
            .await?
            .map_or(0, |last| last + 1))
    }

    /// Appends the bank-account sample, one event at a time so that the
    /// streams interleave in `$all` as real traffic would, each with its own
    /// id and time. Only into an empty sandbox: mixed with other events it
    /// would teach nothing.
    ///
    /// Each event expects the version before it, and the ids are fixed, so
    /// two loads racing (two tabs, say) write the sample once: the second
    /// load's appends are recognised as the same appends.
    pub async fn load_sample(&self) -> Result<(), StoreError> {
        let events = self.event_count().await?;
        if events > 0 {
            return Err(StoreError::SandboxNotEmpty { events });
        }
        let mut versions: HashMap<&str, u64> = HashMap::new();
        for event in BANK_ACCOUNTS {
            let expected = match versions.get(event.stream) {
                Some(&version) => ExpectedVersion::Exact(version),
                None => ExpectedVersion::NoStream,
            };
            let result = self
                .write(
                    event.stream,
                    vec![event.input()?],
                    expected,
                    Some(event.created_millis),
                )
                .await?;
            versions.insert(event.stream, result.next_expected_version);
        }
        Ok(())
    }
}

/// The row of a link stream that has `links`.
fn link_stream_row(stream: &str, links: &[RecordedEvent]) -> Option<StreamInfo> {
    let (first, last) = (links.first()?, links.last()?);
    Some(StreamInfo {
        stream: stream.to_string(),
        category: None,
        version: last.version,
        count: links.len() as u64,
        created: first.created.clone(),
        updated: last.created.clone(),
        truncate_before: 0,
    })
}

/// A fresh v4 UUID from Web Crypto, as an event id.
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).ok());
    if filled.is_none() {
        // Without Web Crypto (never seen in a browser that has IndexedDB),
        // Math.random still gives ids that are unique in practice.
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid_v4_from_bytes(bytes)
}
