//! Causal chains: the chain page of an event (`chain_page.rs`: its
//! correlation's events in order, and `graph.rs`: the causation graph as
//! SVG), and the event view's "Handled by" (`handled_by.rs`: the
//! projections whose handlers ran for the event, and what each changed).

mod chain_page;
mod graph;
mod handled_by;

pub use chain_page::CausalChainPage;
pub use handled_by::HandledBy;
