//! Causal chains: which event caused which, among the events of one piece
//! of work (a correlation), and where each goes in the graph that draws
//! them.
//!
//! An event names its cause by id: `$causationId`, as clients write it,
//! or `$causedBy`, as KurrentDB's projections write it on what they emit.
//! Each event gets one place in a forest: under the first cause it names
//! that is among the events, or at the top when it names none there. What
//! metadata says is the caller's, so the forest survives what it may say:
//! an event naming itself, two events naming each other (a cycle is cut at
//! its earliest event), a cause outside the correlation.

use serde_json::json;

use super::event::normalize_uuid;
use super::metadata::causation_ids_of;
use super::RecordedEvent;

/// What the forest needs of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEvent {
    pub position: u64,
    pub id: String,
    /// The causes its metadata names, key and id, in `CAUSATION_KEYS` order.
    pub causes: Vec<(&'static str, String)>,
}

impl ChainEvent {
    pub fn of(event: &RecordedEvent) -> ChainEvent {
        ChainEvent {
            position: event.position,
            id: event.id.clone(),
            causes: event
                .metadata
                .as_deref()
                .map(causation_ids_of)
                .unwrap_or_default(),
        }
    }
}

/// How an event got its place in the forest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// It names no cause: the piece of work started here.
    Start,
    /// Under the event at index `cause`, which `key` names.
    CausedBy { cause: usize, key: &'static str },
    /// It names a cause that is not among the events.
    CauseMissing { key: &'static str, id: String },
    /// It names itself as its cause.
    CausedBySelf { key: &'static str },
    /// Its cause is among the events, but following the causes from there
    /// comes back to it; the cycle is cut here, at its earliest event.
    Cycle { cause: usize, key: &'static str },
}

/// A cause and its effect, as indexes into the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub cause: usize,
    pub effect: usize,
    pub key: &'static str,
}

/// The events of a chain, each under its cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CausalForest {
    positions: Vec<u64>,
    /// Per event, in the order given.
    pub origins: Vec<Origin>,
    /// Causes beyond the one an event sits under: an event whose
    /// `$causationId` and `$causedBy` name two different events here.
    pub also: Vec<Edge>,
}

impl CausalForest {
    /// The forest of `events` (in any order: every choice goes by position).
    pub fn build(events: &[ChainEvent]) -> CausalForest {
        let positions: Vec<u64> = events.iter().map(|event| event.position).collect();
        let ids: Vec<Option<String>> = events.iter().map(|e| normalize_uuid(&e.id)).collect();
        let mut origins = Vec::with_capacity(events.len());
        let mut also = Vec::new();
        for (effect, event) in events.iter().enumerate() {
            let mut found: Vec<(usize, &'static str)> = Vec::new();
            let mut missing = None;
            let mut names_itself = None;
            for (key, id) in &event.causes {
                let wanted = normalize_uuid(id);
                let cause = wanted
                    .as_deref()
                    .and_then(|wanted| resolve(&ids, &positions, wanted, effect));
                match cause {
                    Some(cause) if !found.iter().any(|(seen, _)| *seen == cause) => {
                        found.push((cause, key))
                    }
                    Some(_) => {}
                    None if wanted.is_some() && wanted == ids[effect] => {
                        names_itself.get_or_insert(*key);
                    }
                    None => {
                        missing.get_or_insert((*key, id.clone()));
                    }
                }
            }
            let origin = match (found.first(), missing, names_itself) {
                (Some(&(cause, key)), _, _) => Origin::CausedBy { cause, key },
                (None, Some((key, id)), _) => Origin::CauseMissing { key, id },
                (None, None, Some(key)) => Origin::CausedBySelf { key },
                (None, None, None) => Origin::Start,
            };
            also.extend(
                found
                    .iter()
                    .skip(1)
                    .map(|&(cause, key)| Edge { cause, effect, key }),
            );
            origins.push(origin);
        }
        let mut forest = CausalForest {
            positions,
            origins,
            also,
        };
        forest.cut_cycles();
        forest
    }

    pub fn len(&self) -> usize {
        self.origins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// The event `index` sits under, if any.
    pub fn parent(&self, index: usize) -> Option<usize> {
        match self.origins.get(index)? {
            Origin::CausedBy { cause, .. } => Some(*cause),
            _ => None,
        }
    }

    /// The events above `index`, nearest first.
    pub fn ancestors(&self, index: usize) -> Vec<usize> {
        let mut above = Vec::new();
        let mut at = index;
        // The forest has no cycles, so this ends; the bound is a guard.
        while let Some(parent) = self.parent(at).filter(|_| above.len() < self.len()) {
            above.push(parent);
            at = parent;
        }
        above
    }

    /// Every drawn edge: each event's place under its cause, then the
    /// other causes it names.
    pub fn edges(&self) -> Vec<Edge> {
        let tree = self
            .origins
            .iter()
            .enumerate()
            .filter_map(|(effect, origin)| match origin {
                Origin::CausedBy { cause, key } => Some(Edge {
                    cause: *cause,
                    effect,
                    key,
                }),
                _ => None,
            });
        tree.chain(self.also.iter().copied()).collect()
    }

    /// Indexes in position order.
    fn by_position(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&index| (self.positions[index], index));
        order
    }

    /// Each event has at most one parent, so a cycle is a ring: walk up
    /// from each event, and where a walk meets itself, cut the ring at its
    /// earliest event.
    fn cut_cycles(&mut self) {
        const UNSEEN: usize = usize::MAX;
        let mut walked_by = vec![UNSEEN; self.len()];
        let mut settled = vec![false; self.len()];
        for start in self.by_position() {
            let mut path = Vec::new();
            let mut at = start;
            loop {
                if settled[at] {
                    break;
                }
                if walked_by[at] == start {
                    let ring_starts = path.iter().position(|&n| n == at).unwrap_or(0);
                    let earliest = path[ring_starts..]
                        .iter()
                        .copied()
                        .min_by_key(|&n| (self.positions[n], n))
                        .unwrap_or(at);
                    if let Origin::CausedBy { cause, key } = self.origins[earliest] {
                        self.origins[earliest] = Origin::Cycle { cause, key };
                    }
                    break;
                }
                walked_by[at] = start;
                path.push(at);
                match self.parent(at) {
                    Some(parent) => at = parent,
                    None => break,
                }
            }
            for node in path {
                settled[node] = true;
            }
        }
    }
}

/// The event with id `wanted` that `effect` names: the latest one written
/// before it, else the first after it (ids are unique only within a stream
/// in practice); never `effect` itself.
fn resolve(
    ids: &[Option<String>],
    positions: &[u64],
    wanted: &str,
    effect: usize,
) -> Option<usize> {
    let candidates = ids
        .iter()
        .enumerate()
        .filter(|(index, id)| *index != effect && id.as_deref() == Some(wanted))
        .map(|(index, _)| index);
    let before = candidates
        .clone()
        .filter(|&index| positions[index] < positions[effect])
        .max_by_key(|&index| (positions[index], index));
    before.or_else(|| candidates.min_by_key(|&index| (positions[index], index)))
}

/// The events to draw when there are more than `max`: the focused event
/// and what is above it first (so it is always in its place), then the
/// rest in position order. Returned in position order.
pub fn pick_drawn(forest: &CausalForest, focus: Option<usize>, max: usize) -> Vec<usize> {
    let mut drawn = vec![false; forest.len()];
    let mut count = 0;
    let focused = focus
        .filter(|&focus| focus < forest.len())
        .map(|focus| {
            let mut line = forest.ancestors(focus);
            line.insert(0, focus);
            line
        })
        .unwrap_or_default();
    for index in focused.into_iter().chain(forest.by_position()) {
        if count == max {
            break;
        }
        if !drawn[index] {
            drawn[index] = true;
            count += 1;
        }
    }
    forest
        .by_position()
        .into_iter()
        .filter(|&index| drawn[index])
        .collect()
}

/// Sizes of the drawing, in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spacing {
    pub node_width: f64,
    pub node_height: f64,
    pub column_gap: f64,
    pub row_gap: f64,
    pub margin: f64,
}

/// A drawn event: its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedNode {
    pub event: usize,
    pub layer: usize,
    pub x: f64,
    pub y: f64,
    /// Its cause is in the chain but not drawn (more events than drawn).
    pub cause_not_drawn: bool,
}

/// A drawn arrow, from the cause's bottom to the effect's top.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedEdge {
    pub edge: Edge,
    /// The effect sits under this cause; `false` for the other causes an
    /// event names, which are drawn apart.
    pub tree: bool,
    pub from: (f64, f64),
    pub to: (f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    /// In position order.
    pub nodes: Vec<PlacedNode>,
    pub edges: Vec<PlacedEdge>,
}

/// Lays out the `drawn` events top-down: a layer per depth under the
/// drawn roots, children in position order left to right, each leaf a
/// column of its own and each parent centred over its children, so tree
/// edges never cross. The same forest always gives the same layout.
pub fn lay_out(forest: &CausalForest, drawn: &[usize], spacing: Spacing) -> Layout {
    let mut is_drawn = vec![false; forest.len()];
    for &index in drawn {
        if index < forest.len() {
            is_drawn[index] = true;
        }
    }
    let order = forest.by_position();
    let drawn_parent = |index: usize| forest.parent(index).filter(|&p| is_drawn[p]);
    let mut children = vec![Vec::new(); forest.len()];
    let mut roots = Vec::new();
    for &index in order.iter().filter(|&&index| is_drawn[index]) {
        match drawn_parent(index) {
            Some(parent) => children[parent].push(index),
            None => roots.push(index),
        }
    }
    let mut places = vec![None::<(usize, f64)>; forest.len()];
    let mut next_column = 0.0;
    let mut deepest = 0;
    for root in roots {
        place(root, &children, &mut places, &mut next_column, &mut deepest);
    }
    let columns = next_column;
    let layers = if drawn.is_empty() { 0 } else { deepest + 1 };
    let across = |column: f64| spacing.margin + column * (spacing.node_width + spacing.column_gap);
    let down =
        |layer: usize| spacing.margin + layer as f64 * (spacing.node_height + spacing.row_gap);
    let nodes: Vec<PlacedNode> = order
        .iter()
        .filter_map(|&event| {
            let (layer, column) = places[event]?;
            Some(PlacedNode {
                event,
                layer,
                x: across(column),
                y: down(layer),
                cause_not_drawn: forest.parent(event).is_some() && drawn_parent(event).is_none(),
            })
        })
        .collect();
    let corner = |event: usize| places[event].map(|(layer, column)| (across(column), down(layer)));
    let edges = forest
        .edges()
        .into_iter()
        .filter_map(|edge| {
            let (cause, effect) = (corner(edge.cause)?, corner(edge.effect)?);
            Some(PlacedEdge {
                edge,
                tree: forest.parent(edge.effect) == Some(edge.cause),
                from: (
                    cause.0 + spacing.node_width / 2.0,
                    cause.1 + spacing.node_height,
                ),
                to: (effect.0 + spacing.node_width / 2.0, effect.1),
            })
        })
        .collect();
    let span = |count: f64, size: f64, gap: f64| {
        2.0 * spacing.margin + count * size + (count - 1.0).max(0.0) * gap
    };
    Layout {
        width: span(columns, spacing.node_width, spacing.column_gap),
        height: span(layers as f64, spacing.node_height, spacing.row_gap),
        nodes,
        edges,
    }
}

/// Places `root`'s subtree (depth first, so each leaf takes the next
/// column) and returns the column `root` took. A stack rather than
/// recursion: a chain may be hundreds of events deep.
fn place(
    root: usize,
    children: &[Vec<usize>],
    places: &mut [Option<(usize, f64)>],
    next_column: &mut f64,
    deepest: &mut usize,
) {
    // (event, layer, whether its children are placed already)
    let mut stack = vec![(root, 0usize, false)];
    while let Some((event, layer, children_placed)) = stack.pop() {
        *deepest = (*deepest).max(layer);
        let below = &children[event];
        if below.is_empty() {
            places[event] = Some((layer, *next_column));
            *next_column += 1.0;
        } else if children_placed {
            let column_of = |child: &usize| places[*child].map_or(0.0, |(_, column)| column);
            let first = below.first().map_or(0.0, column_of);
            let last = below.last().map_or(0.0, column_of);
            places[event] = Some((layer, (first + last) / 2.0));
        } else {
            stack.push((event, layer, true));
            stack.extend(below.iter().rev().map(|&child| (child, layer + 1, false)));
        }
    }
}

/// `text` cut to `max` characters, the last being "…" when it was cut.
pub fn fit_label(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// The metadata of a follow-up to the event `id`: its correlation kept
/// (or, when it had none, its own id, as KurrentDB's clients start a
/// correlation) and the event itself as the cause.
pub fn follow_up_metadata(id: &str, correlation: Option<&str>) -> String {
    let metadata = json!({
        "$correlationId": correlation.unwrap_or(id),
        "$causationId": id,
    });
    serde_json::to_string_pretty(&metadata).unwrap_or_else(|_| metadata.to_string())
}

#[cfg(test)]
#[path = "causation_tests.rs"]
mod tests;
