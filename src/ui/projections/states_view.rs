//! A projection's states as a page shows them: the root state and result,
//! or, for a partitioned projection (which has no root state), a word on
//! where its states are; then the partitions.

use serde_json::Value;
use yew::prelude::*;

use super::json_text;
use super::partition_browser::PartitionBrowser;
use crate::projections::{PartitionStates, Shape};
use crate::ui::json_tree::JsonTree;

/// States as JSON text, ready to show.
#[derive(Clone, PartialEq)]
pub(super) struct StatesText {
    pub shape: Shape,
    pub state: String,
    pub result: String,
    pub partitions: Vec<(String, String)>,
}

impl StatesText {
    pub(super) fn new(
        shape: Shape,
        state: Option<&Value>,
        result: Option<&Value>,
        partitions: &PartitionStates,
    ) -> StatesText {
        StatesText {
            shape,
            state: json_text(state),
            result: json_text(result),
            partitions: partitions
                .iter()
                .map(|(key, state)| (key.clone(), state.to_string()))
                .collect(),
        }
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct StatesViewProps {
    pub states: StatesText,
    /// The partition the browser shows until one is picked.
    #[prop_or_default]
    pub follow: Option<String>,
}

#[function_component(StatesView)]
pub(super) fn states_view(props: &StatesViewProps) -> Html {
    let states = &props.states;
    let root = if states.shape.has_root_state() {
        let title = if states.shape.bi_state {
            "Shared state"
        } else {
            "State"
        };
        html! {
            <>
                <h2>{ title }</h2><JsonTree json={states.state.clone()} />
                <h2>{ "Result" }</h2><JsonTree json={states.result.clone()} />
            </>
        }
    } else {
        let partitions = if states.partitions.is_empty() {
            "It has no partitions yet: no event has reached a handler."
        } else {
            "Pick a partition below to see its state."
        };
        html! {
            <p class="muted" data-testid="no-root-state">
                { "A partitioned projection has no state of its own: each partition (a stream with foreachStream, a key with partitionBy) has its own state and result. " }
                { partitions }
            </p>
        }
    };
    html! {
        <>
            { root }
            <PartitionBrowser partitions={states.partitions.clone()} follow={props.follow.clone()} />
        </>
    }
}
