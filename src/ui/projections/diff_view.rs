//! Differences between states, as time travel shows them: one event's diff
//! (each changed path, added, removed or replaced, with its old and new
//! value), and two runs' states side by side per partition (the real and
//! the what-if, the saved reducer and the draft).

use serde_json::Value;
use yew::prelude::*;

use crate::core::diff::{diff, DiffOp, PathChange};
use crate::projections::ProjectionView;

/// A value as short JSON text; nothing (a path that is not there) is "—".
pub(super) fn value_text(value: Option<&Value>) -> String {
    value.map_or_else(|| "—".to_string(), Value::to_string)
}

/// A state as indented JSON text; none (a partition not there) is `null`.
pub(super) fn pretty(value: Option<&Value>) -> String {
    match value {
        None => "null".into(),
        Some(value) => serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()),
    }
}

fn op_word(op: DiffOp) -> &'static str {
    match op {
        DiffOp::Added => "added",
        DiffOp::Removed => "removed",
        DiffOp::Replaced => "replaced",
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct DiffTableProps {
    pub changes: Vec<PathChange>,
    /// Said when there is no change.
    pub unchanged: AttrValue,
}

/// Each changed path with its old and new value.
#[function_component(DiffTable)]
pub(super) fn diff_table(props: &DiffTableProps) -> Html {
    if props.changes.is_empty() {
        return html! { <p class="muted" data-testid="diff-none">{ props.unchanged.clone() }</p> };
    }
    html! {
        <table class="diff" data-testid="diff">
            <thead><tr><th>{ "Path" }</th><th>{ "Change" }</th><th>{ "Before" }</th><th>{ "After" }</th></tr></thead>
            <tbody>
                { for props.changes.iter().map(|change| html! {
                    <tr class={classes!("diff-row", op_word(change.op))}>
                        <td><code>{ if change.path.is_empty() { "(the whole state)".to_string() } else { change.path.clone() } }</code></td>
                        <td><span class={classes!("diff-op", op_word(change.op))}>{ op_word(change.op) }</span></td>
                        <td><code class="before">{ value_text(change.before.as_ref()) }</code></td>
                        <td><code class="after">{ value_text(change.after.as_ref()) }</code></td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

/// One state two runs computed, by what it is the state of.
#[derive(Clone, PartialEq)]
pub(super) struct PairedState {
    /// The partition key, as divergences name it (`""` the root or shared
    /// state); `None` for the result, which no divergence names.
    pub key: Option<String>,
    pub label: String,
    pub left: Option<Value>,
    pub right: Option<Value>,
}

impl PairedState {
    pub(super) fn differs(&self) -> bool {
        self.left != self.right
    }
}

/// The states of two runs of one projection, paired by partition: the
/// root state and result first (when the projection has one), then every
/// partition either run has, in the order the left run made them.
pub(super) fn pair_states(left: &ProjectionView, right: &ProjectionView) -> Vec<PairedState> {
    let mut pairs = Vec::new();
    let root = left.shape.has_root_state() || right.shape.has_root_state();
    if root {
        let title = if left.shape.bi_state {
            "Shared state"
        } else {
            "State"
        };
        pairs.push(PairedState {
            key: Some(String::new()),
            label: title.into(),
            left: left.state.clone(),
            right: right.state.clone(),
        });
        pairs.push(PairedState {
            key: None,
            label: "Result".into(),
            left: left.result.clone(),
            right: right.result.clone(),
        });
    }
    let keys = left
        .partitions
        .iter()
        .chain(&right.partitions)
        .map(|(key, _)| key)
        // The root's partition is the root state, shown above.
        .filter(|key| !(root && key.is_empty()));
    for key in keys {
        if pairs.iter().any(|pair| pair.key.as_ref() == Some(key)) {
            continue;
        }
        let find = |view: &ProjectionView| {
            view.partitions
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, state)| state.clone())
        };
        pairs.push(PairedState {
            key: Some(key.clone()),
            label: if key.is_empty() {
                "(root)".into()
            } else {
                key.clone()
            },
            left: find(left),
            right: find(right),
        });
    }
    pairs
}

/// Rows shown at most: the differing ones come first.
const ROWS_SHOWN: usize = 100;

#[derive(Properties, PartialEq)]
pub(super) struct SideBySideProps {
    pub pairs: Vec<PairedState>,
    pub left_title: AttrValue,
    pub right_title: AttrValue,
    /// Per partition key, the first position where the two differ.
    #[prop_or_default]
    pub first_divergence: Vec<(String, i64)>,
}

/// Two runs' states side by side, per partition, with their diff.
#[function_component(SideBySide)]
pub(super) fn side_by_side(props: &SideBySideProps) -> Html {
    let differing = props.pairs.iter().filter(|pair| pair.differs()).count();
    let mut rows: Vec<&PairedState> = props.pairs.iter().filter(|p| p.differs()).collect();
    rows.extend(props.pairs.iter().filter(|pair| !pair.differs()));
    let hidden = rows.len().saturating_sub(ROWS_SHOWN);
    html! {
        <div class="side-by-side">
            <p class="muted" data-testid="side-by-side-summary">{ format!(
                "{differing} of {} differ{}.",
                crate::ui::count(props.pairs.len() as u64, "state"),
                if differing == 1 { "s" } else { "" }
            ) }</p>
            <table class="pairs">
                <thead><tr>
                    <th>{ "Of" }</th>
                    <th>{ props.left_title.clone() }</th>
                    <th>{ props.right_title.clone() }</th>
                    <th>{ "Difference" }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().take(ROWS_SHOWN).map(|pair| pair_row(pair, &props.first_divergence)) }
                </tbody>
            </table>
            if hidden > 0 {
                <p class="muted">{ format!("{hidden} more not shown (the same on both sides, or past the first {ROWS_SHOWN}).") }</p>
            }
        </div>
    }
}

fn pair_row(pair: &PairedState, first_divergence: &[(String, i64)]) -> Html {
    let diverged = first_divergence
        .iter()
        .find(|(key, _)| pair.key.as_ref() == Some(key))
        .map(|(_, position)| *position);
    let changes = diff(pair.left.as_ref(), pair.right.as_ref());
    html! {
        <tr class={classes!("pair", pair.differs().then_some("differs"))} data-of={pair.label.clone()}>
            <th scope="row"><code>{ &pair.label }</code>
                if let Some(position) = diverged {
                    <span class="first-divergence" data-testid="first-divergence">{ format!("first differs at position {position}") }</span>
                }
            </th>
            <td><pre class="json">{ pretty(pair.left.as_ref()) }</pre></td>
            <td><pre class="json">{ pretty(pair.right.as_ref()) }</pre></td>
            <td><DiffTable changes={changes} unchanged="The same." /></td>
        </tr>
    }
}
