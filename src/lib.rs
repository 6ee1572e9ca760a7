//! es-sandbox: an EventStoreDB-style event store that runs in the browser.
//!
//! See `ARCHITECTURE.md` for the map. The core and the in-memory store build
//! on every target; everything that touches the browser builds for wasm32 only.

pub mod core;
pub mod projections;
pub mod sample;
pub mod scenarios;
pub mod storage;

#[cfg(target_arch = "wasm32")]
pub mod api;
#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub mod service;
#[cfg(target_arch = "wasm32")]
pub mod ui;
