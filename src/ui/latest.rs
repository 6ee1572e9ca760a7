//! Reads that keep up with a moving cursor without piling up.
//!
//! Dragging the time bar moves the cursor sixty times a second, faster than
//! a view can read the store. A view that started a read per move would
//! queue hundreds of IndexedDB transactions and show them one after another
//! long after the drag ended. [`use_latest_read`] keeps at most one read in
//! flight per view: moves made meanwhile collapse into one wish, read when
//! the read in flight returns, and an answer for a key the view has moved
//! away from is dropped, never shown.
//!
//! ```ignore
//! let cursor = use_cursor().cursor;
//! let revision = use_context::<Revision>().unwrap_or_default();
//! let sandbox = use_sandbox();
//! let states = use_latest_read((props.name.clone(), cursor), revision, move |(name, cursor)| {
//!     let sandbox = sandbox.clone();
//!     async move { sandbox.0.projections().view_at(&name, at_of(cursor)).await.map_err(|e| e.to_string()) }
//! });
//! match states.answer.as_deref() {
//!     None => html! { <p class="muted">{ "Loading…" }</p> },
//!     Some(((_, read_for), Ok(view))) => { /* show it; `read_for` is the cursor it is as of */ }
//!     Some((_, Err(message))) => { /* show the error */ }
//! }
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use yew::prelude::*;

use super::Revision;

type Read<K, T> = Rc<dyn Fn(K) -> Pin<Box<dyn Future<Output = T>>>>;

/// What [`use_latest_read`] gives a view.
pub struct LatestRead<K, T> {
    /// The newest answer kept, with the key it was read for; `None` until
    /// the first answer arrives. It stays while a newer read is under way,
    /// so a view never flashes back to "Loading…" during a drag; a view for
    /// which another key's answer would mislead (another stream, another
    /// projection) compares the key that comes with it.
    pub answer: Option<Rc<(K, T)>>,
    /// Whether `answer` is for the key (and revision) of this render; false
    /// while a newer read is pending.
    pub current: bool,
}

/// The read's bookkeeping, shared by the renders and the read in flight.
struct Reader<K, T> {
    /// The latest key and revision the view asked for.
    wanted: Option<(K, Revision)>,
    /// What the read in flight is for.
    in_flight: Option<(K, Revision)>,
    /// The key and revision of the kept answer.
    answered: Option<(K, Revision)>,
    /// The read closure of the latest render: a re-read uses what the view
    /// knows now, not what it knew when the first read started.
    read: Option<Read<K, T>>,
}

/// Reads `read(key)` whenever `key` or `revision` moves, one read at a time,
/// and keeps the answer for the latest key.
///
/// - `key`: what the answer depends on and is wrong without: the cursor,
///   and whatever else picks what is read (a stream, a page, a projection).
///   An answer that returns after `key` moved is dropped, and the latest
///   key is read instead.
/// - `revision`: the app's change counter (`Revision` from context). When
///   only it moved, the answer is still for the right key, merely older: it
///   is shown, and read again. (Dropping it would starve a view while a
///   script appends faster than it reads.)
/// - `read`: the read itself, given the key it is for.
#[hook]
pub fn use_latest_read<K, T, F, Fut>(key: K, revision: Revision, read: F) -> LatestRead<K, T>
where
    K: Clone + PartialEq + 'static,
    T: 'static,
    F: Fn(K) -> Fut + 'static,
    Fut: Future<Output = T> + 'static,
{
    let answer = use_state(|| None::<Rc<(K, T)>>);
    let reader = use_mut_ref(|| Reader::<K, T> {
        wanted: None,
        in_flight: None,
        answered: None,
        read: None,
    });
    // Cleared when the view goes away, so a read in flight then neither
    // sets its state nor starts another.
    let mounted = use_mut_ref(|| true);
    reader.borrow_mut().read = Some(Rc::new(move |key| Box::pin(read(key))));
    {
        let mounted = mounted.clone();
        use_effect_with((), move |_| move || *mounted.borrow_mut() = false);
    }
    {
        let (reader, answer, mounted) = (reader.clone(), answer.clone(), mounted.clone());
        use_effect_with((key.clone(), revision), move |wanted| {
            reader.borrow_mut().wanted = Some(wanted.clone());
            if reader.borrow().in_flight.is_none() {
                start(reader, answer, mounted);
            }
        });
    }
    let current = reader.borrow().answered.as_ref() == Some(&(key, revision));
    LatestRead {
        answer: (*answer).clone(),
        current,
    }
}

/// Reads what is wanted now; when the answer returns, keeps it if it is
/// still for the wanted key, and reads again if the view moved meanwhile.
fn start<K, T>(
    reader: Rc<RefCell<Reader<K, T>>>,
    answer: UseStateHandle<Option<Rc<(K, T)>>>,
    mounted: Rc<RefCell<bool>>,
) where
    K: Clone + PartialEq + 'static,
    T: 'static,
{
    let (wanted, read) = {
        let mut state = reader.borrow_mut();
        let (Some(wanted), Some(read)) = (state.wanted.clone(), state.read.clone()) else {
            return;
        };
        state.in_flight = Some(wanted.clone());
        (wanted, read)
    };
    let future = read(wanted.0.clone());
    super::run(future, move |value| {
        if !*mounted.borrow() {
            return;
        }
        let moved_on = {
            let mut state = reader.borrow_mut();
            state.in_flight = None;
            let now = state.wanted.clone();
            if now.as_ref().map(|(key, _)| key) == Some(&wanted.0) {
                state.answered = Some(wanted.clone());
                answer.set(Some(Rc::new((wanted.0.clone(), value))));
            }
            now.as_ref() != Some(&wanted)
        };
        if moved_on {
            start(reader, answer, mounted);
        }
    });
}
