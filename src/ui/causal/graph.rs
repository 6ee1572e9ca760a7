//! The causation graph as SVG: a box per event (its type and
//! `version@stream`, a link that opens it) and an arrow from each cause to
//! what it caused. Laid out by `core::causation`; every label is a text
//! node.

use yew::prelude::*;

use crate::core::causation::{fit_label, lay_out, pick_drawn, CausalForest, Origin, Spacing};
use crate::core::metadata::CAUSATION_KEYS;
use crate::core::RecordedEvent;
use crate::ui::route::Route;

/// At most this many events are drawn: past a hundred boxes a drawing
/// stops explaining anything, and the list below has every event.
pub(super) const GRAPH_LIMIT: usize = 100;

const SPACING: Spacing = Spacing {
    node_width: 200.0,
    node_height: 52.0,
    column_gap: 24.0,
    row_gap: 44.0,
    margin: 12.0,
};

/// The key a projection's outputs name their source event by.
const CAUSED_BY: &str = CAUSATION_KEYS[1];

/// About as many characters as fit a box at the stylesheet's 12px.
const LABEL_CHARS: usize = 27;

/// The graph of `events` (indexes as in `forest`), with `focus` marked.
pub(super) fn causal_graph(
    events: &[RecordedEvent],
    forest: &CausalForest,
    focus: Option<usize>,
) -> Html {
    let drawn = pick_drawn(forest, focus, GRAPH_LIMIT);
    let layout = lay_out(forest, &drawn, SPACING);
    let title = format!(
        "Causation graph of {} events: an arrow runs from each cause to the event it caused. Each box opens its event.",
        drawn.len()
    );
    let edges = layout.edges.iter().map(|placed| {
        let (cause, effect) = (&events[placed.edge.cause], &events[placed.edge.effect]);
        let by_projection = placed.edge.key == CAUSED_BY;
        html! {
            <line class={classes!("edge", (!placed.tree).then_some("also"), by_projection.then_some("caused-by"))}
                x1={placed.from.0.to_string()} y1={placed.from.1.to_string()}
                x2={placed.to.0.to_string()} y2={placed.to.1.to_string()}
                marker-end={if by_projection { "url(#causal-arrow-caused-by)" } else { "url(#causal-arrow)" }}
                data-cause={cause.position.to_string()} data-effect={effect.position.to_string()}
                data-key={placed.edge.key} />
        }
    });
    let nodes = layout.nodes.iter().map(|node| {
        let event = &events[node.event];
        let place = format!("{}@{}", event.version, event.stream);
        let note = if node.cause_not_drawn {
            ", its cause is not drawn".to_string()
        } else {
            origin_note(&forest.origins[node.event])
        };
        let current = focus == Some(node.event);
        let label = format!(
            "{} {place}, position {}{note}{}",
            event.event_type,
            event.position,
            if current { " (this event)" } else { "" }
        );
        let unanchored = !note.is_empty();
        let route = Route::Event {
            stream: event.stream.clone(),
            version: event.version,
        };
        html! {
            <a class={classes!("node", current.then_some("current"), unanchored.then_some("unanchored"))}
                href={route.href()}
                data-position={event.position.to_string()}>
                // Its name, read out whole; the box shows it cut to fit.
                <title>{ label }</title>
                <rect x={node.x.to_string()} y={node.y.to_string()} rx="6"
                    width={SPACING.node_width.to_string()} height={SPACING.node_height.to_string()} />
                <text class="node-type" x={(node.x + 10.0).to_string()} y={(node.y + 21.0).to_string()}>
                    { fit_label(&event.event_type, LABEL_CHARS) }
                </text>
                <text class="node-place" x={(node.x + 10.0).to_string()} y={(node.y + 40.0).to_string()}>
                    { fit_label(&place, LABEL_CHARS) }
                </text>
            </a>
        }
    });
    let hidden = forest.len() - drawn.len();
    html! {
        <figure class="causal-graph">
            <div class="graph-scroll">
                <svg data-testid="causal-graph" role="group"
                    aria-labelledby="causal-graph-title"
                    width={layout.width.to_string()} height={layout.height.to_string()}
                    viewBox={format!("0 0 {} {}", layout.width, layout.height)}>
                    <title id="causal-graph-title">{ title }</title>
                    <defs>
                        <marker id="causal-arrow" viewBox="0 0 10 10" refX="10" refY="5"
                            markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" />
                        </marker>
                        <marker id="causal-arrow-caused-by" class="caused-by" viewBox="0 0 10 10" refX="10" refY="5"
                            markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" />
                        </marker>
                    </defs>
                    { for edges }
                    { for nodes }
                </svg>
            </div>
            <figcaption class="muted">
                { "Arrows run from a cause to what it caused: " }<code>{ "$causationId" }</code>
                { " as clients write it, and in amber " }<code>{ "$causedBy" }</code>
                { ", as a projection writes it on what it emits. A dashed box names a cause that is not here; a dashed arrow is a second cause an event names." }
                if hidden > 0 {
                    <strong data-testid="graph-more">
                        { format!(" {} of {} events are drawn (this event, its causes, then the first by position); {hidden} more are in the list below.", drawn.len(), forest.len()) }
                    </strong>
                }
            </figcaption>
        </figure>
    }
}

/// Why an event sits at the top though it names a cause; empty when it
/// names none or sits under its cause.
pub(super) fn origin_note(origin: &Origin) -> String {
    match origin {
        Origin::Start | Origin::CausedBy { .. } => String::new(),
        Origin::CauseMissing { key, .. } => format!(", its {key} is not in this correlation"),
        Origin::CausedBySelf { key } => format!(", its {key} names itself"),
        Origin::Cycle { key, .. } => format!(", its {key} closes a cycle, cut here"),
    }
}
