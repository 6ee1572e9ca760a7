//! The pure core: the event model, stream rules, the append rule and reads.
//!
//! **Architecture invariant:** nothing here does I/O or knows about the
//! browser (no web-sys, js-sys or wasm-bindgen). Time and randomness come in
//! as arguments, so every rule is tested natively with plain `cargo test`.

pub mod append;
pub mod causation;
pub mod diff;
pub mod error;
pub mod event;
pub mod expected_version;
pub mod form;
pub mod metadata;
pub mod pretty;
pub mod projection;
pub mod read;
pub mod sandbox_name;
pub mod soft_delete;
pub mod time;
pub mod transfer;

pub use append::{
    decide_append, versions_to_compare, AppendDecision, AppendFacts, AppendResult, StoredEventRef,
    Writes,
};
pub use error::StoreError;
pub use event::{InputEvent, ProposedEvent, RecordedEvent, StreamInfo};
pub use expected_version::{ExpectedVersion, StreamState};
pub use read::{Direction, ReadRequest, StreamSelection, StreamsPage};
pub use soft_delete::{decide_soft_delete, metadata_stream_of};
