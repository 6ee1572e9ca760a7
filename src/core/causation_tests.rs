use super::*;

/// An id per number: `id(3)` is a valid, lower-case UUID.
fn id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Event `n` at position `n`, naming `causes` as `$causationId` (and
/// `caused_by` as `$causedBy`) by number.
fn event(n: u64, cause: Option<u64>) -> ChainEvent {
    ChainEvent {
        position: n,
        id: id(n),
        causes: cause.map(|c| ("$causationId", id(c))).into_iter().collect(),
    }
}

/// Events 0, 1, 2, … at their own positions, each naming the cause given
/// for it.
fn numbered(causes: &[Option<u64>]) -> Vec<ChainEvent> {
    (0..)
        .zip(causes)
        .map(|(n, cause)| event(n, *cause))
        .collect()
}

fn emitted(n: u64, caused_by: u64) -> ChainEvent {
    ChainEvent {
        position: n,
        id: id(n),
        causes: vec![("$causedBy", id(caused_by))],
    }
}

/// Event `n` at position `n`, naming one cause by each key.
fn naming_both(n: u64, causation: String, caused_by: String) -> ChainEvent {
    ChainEvent {
        position: n,
        id: id(n),
        causes: vec![("$causationId", causation), ("$causedBy", caused_by)],
    }
}

const SPACING: Spacing = Spacing {
    node_width: 100.0,
    node_height: 40.0,
    column_gap: 20.0,
    row_gap: 30.0,
    margin: 10.0,
};

fn all(forest: &CausalForest) -> Vec<usize> {
    (0..forest.len()).collect()
}

/// (cause, effect) pairs of the forest's edges.
fn pairs(forest: &CausalForest) -> Vec<(usize, usize)> {
    forest.edges().iter().map(|e| (e.cause, e.effect)).collect()
}

/// Each drawn node as (event, layer, x).
fn placed(layout: &Layout) -> Vec<(usize, usize, f64)> {
    layout
        .nodes
        .iter()
        .map(|n| (n.event, n.layer, n.x))
        .collect()
}

#[test]
fn a_chain_hangs_each_event_under_its_cause() {
    let events = [event(0, None), event(1, Some(0)), event(2, Some(1))];
    let forest = CausalForest::build(&events);
    assert_eq!(forest.origins[0], Origin::Start);
    assert_eq!(
        forest.origins[2],
        Origin::CausedBy {
            cause: 1,
            key: "$causationId"
        }
    );
    assert_eq!(pairs(&forest), [(0, 1), (1, 2)]);
    assert_eq!(forest.ancestors(2), [1, 0]);
    let layout = lay_out(&forest, &all(&forest), SPACING);
    assert_eq!(placed(&layout), [(0, 0, 10.0), (1, 1, 10.0), (2, 2, 10.0)]);
    assert_eq!(layout.width, 120.0);
    assert_eq!(layout.height, 20.0 + 3.0 * 40.0 + 2.0 * 30.0);
}

#[test]
fn a_fan_out_centres_the_cause_over_its_effects_in_position_order() {
    let events = numbered(&[None, Some(0), Some(0), Some(0)]);
    let forest = CausalForest::build(&events);
    let layout = lay_out(&forest, &all(&forest), SPACING);
    assert_eq!(
        placed(&layout),
        [(0, 0, 130.0), (1, 1, 10.0), (2, 1, 130.0), (3, 1, 250.0)]
    );
    let arrow = layout.edges.iter().find(|e| e.edge.effect == 3).unwrap();
    assert_eq!(arrow.from, (180.0, 50.0));
    assert_eq!(arrow.to, (300.0, 80.0));
    assert!(arrow.tree);
}

#[test]
fn siblings_subtrees_stay_apart_so_edges_never_cross() {
    // 0 → 1 → 3, 0 → 2 → 4: 3 stays under 1 even though 2 came before it.
    let events = numbered(&[None, Some(0), Some(0), Some(1), Some(2), Some(1)]);
    let forest = CausalForest::build(&events);
    let layout = lay_out(&forest, &all(&forest), SPACING);
    let x = |event: usize| layout.nodes.iter().find(|n| n.event == event).unwrap().x;
    assert!(x(3) < x(5) && x(5) < x(4), "1's effects left of 2's");
    assert_eq!(x(1), (x(3) + x(5)) / 2.0);
    assert_eq!(x(2), x(4));
}

#[test]
fn events_are_ordered_by_position_whatever_order_they_come_in() {
    let events = [event(2, Some(0)), event(0, None), event(1, Some(0))];
    let forest = CausalForest::build(&events);
    let layout = lay_out(&forest, &all(&forest), SPACING);
    let order: Vec<usize> = layout.nodes.iter().map(|n| n.event).collect();
    assert_eq!(order, [1, 2, 0], "nodes in position order");
    let x = |event: usize| layout.nodes.iter().find(|n| n.event == event).unwrap().x;
    assert!(x(2) < x(0), "position 1 left of position 2");
}

#[test]
fn a_cause_that_is_not_a_uuid_is_missing_with_its_text() {
    let events = [ChainEvent {
        position: 0,
        id: id(0),
        causes: vec![("$causationId", "order-1".into())],
    }];
    let forest = CausalForest::build(&events);
    assert_eq!(
        forest.origins[0],
        Origin::CauseMissing {
            key: "$causationId",
            id: "order-1".into()
        }
    );
}

#[test]
fn a_cause_outside_the_events_or_naming_itself_makes_a_root_that_says_so() {
    let outside = [event(5, Some(3)), event(6, Some(5))];
    let itself = [event(0, Some(0)), event(1, Some(0))];
    let cases = [
        (
            &outside,
            Origin::CauseMissing {
                key: "$causationId",
                id: id(3),
            },
        ),
        (
            &itself,
            Origin::CausedBySelf {
                key: "$causationId",
            },
        ),
    ];
    for (events, why) in cases {
        let forest = CausalForest::build(events);
        assert_eq!(forest.origins[0], why);
        assert_eq!(pairs(&forest), [(0, 1)], "no edge to the root itself");
    }
}

#[test]
fn a_cycle_is_cut_at_its_earliest_event_and_does_not_loop() {
    // 1 names 3, 2 names 1, 3 names 2: a ring; 0 hangs off 2.
    let events = numbered(&[Some(2), Some(3), Some(1), Some(2)]);
    let forest = CausalForest::build(&events);
    assert_eq!(
        forest.origins[1],
        Origin::Cycle {
            cause: 3,
            key: "$causationId"
        }
    );
    assert_eq!(forest.ancestors(0), [2, 1]);
    let layout = lay_out(&forest, &all(&forest), SPACING);
    let layers: Vec<(usize, usize)> = layout.nodes.iter().map(|n| (n.event, n.layer)).collect();
    assert_eq!(layers, [(0, 2), (1, 0), (2, 1), (3, 2)]);
}

#[test]
fn two_events_naming_each_other_are_a_cycle_too() {
    let events = [event(0, Some(1)), event(1, Some(0))];
    let forest = CausalForest::build(&events);
    assert!(matches!(forest.origins[0], Origin::Cycle { cause: 1, .. }));
    assert_eq!(pairs(&forest), [(0, 1)]);
}

#[test]
fn a_projections_caused_by_links_its_output_to_the_source() {
    let events = [event(0, None), event(1, Some(0)), emitted(2, 1)];
    let forest = CausalForest::build(&events);
    assert_eq!(
        forest.origins[2],
        Origin::CausedBy {
            cause: 1,
            key: "$causedBy"
        }
    );
}

#[test]
fn two_different_causes_place_by_the_first_and_draw_the_other_apart() {
    let both = naming_both(2, id(0), id(1));
    let forest = CausalForest::build(&[event(0, None), event(1, None), both]);
    assert_eq!(forest.parent(2), Some(0));
    assert_eq!(
        forest.also,
        [Edge {
            cause: 1,
            effect: 2,
            key: "$causedBy"
        }]
    );
    let layout = lay_out(&forest, &all(&forest), SPACING);
    let trees: Vec<bool> = layout.edges.iter().map(|e| e.tree).collect();
    assert_eq!(trees, [true, false]);
}

#[test]
fn the_same_cause_named_twice_is_one_edge() {
    let both = naming_both(1, id(0), id(0));
    let forest = CausalForest::build(&[event(0, None), both]);
    assert_eq!(pairs(&forest), [(0, 1)]);
}

#[test]
fn a_missing_first_cause_gives_way_to_one_that_is_there() {
    let both = naming_both(1, id(9), id(0));
    let forest = CausalForest::build(&[event(0, None), both]);
    assert_eq!(
        forest.origins[1],
        Origin::CausedBy {
            cause: 0,
            key: "$causedBy"
        }
    );
}

#[test]
fn ids_compare_case_insensitively() {
    let shouting = ChainEvent {
        position: 1,
        id: id(1),
        causes: vec![("$causationId", id(0).to_uppercase())],
    };
    let forest = CausalForest::build(&[event(0, None), shouting]);
    assert_eq!(forest.parent(1), Some(0));
}

#[test]
fn a_repeated_id_resolves_to_the_latest_copy_before_the_effect() {
    let copy = ChainEvent {
        position: 2,
        id: id(0),
        causes: Vec::new(),
    };
    let later = ChainEvent {
        position: 5,
        id: id(0),
        causes: Vec::new(),
    };
    let effect = event(3, Some(0));
    let forest = CausalForest::build(&[event(0, None), copy, effect, later]);
    assert_eq!(forest.parent(2), Some(1));
}

#[test]
fn several_roots_sit_side_by_side_in_position_order() {
    let events = [event(0, None), event(1, Some(7)), event(2, Some(0))];
    let forest = CausalForest::build(&events);
    let layout = lay_out(&forest, &all(&forest), SPACING);
    assert_eq!(placed(&layout), [(0, 0, 10.0), (1, 0, 130.0), (2, 1, 10.0)]);
}

#[test]
fn a_deep_chain_lays_out_without_recursion() {
    let events: Vec<ChainEvent> = (0..5000).map(|n| event(n, n.checked_sub(1))).collect();
    let forest = CausalForest::build(&events);
    assert_eq!(forest.ancestors(4999).len(), 4999);
    let layout = lay_out(&forest, &all(&forest), SPACING);
    assert_eq!(layout.nodes.last().map(|n| n.layer), Some(4999));
}

#[test]
fn a_capped_drawing_keeps_the_focus_and_its_causes() {
    // A fan of 10 under 0, and 11 under 10: draw 4 with 11 focused.
    let mut events: Vec<ChainEvent> = vec![event(0, None)];
    events.extend((1..=10).map(|n| event(n, Some(0))));
    events.push(event(11, Some(10)));
    let forest = CausalForest::build(&events);
    let drawn = pick_drawn(&forest, Some(11), 4);
    assert_eq!(drawn, [0, 1, 10, 11]);
    let unfocused = pick_drawn(&forest, None, 4);
    assert_eq!(unfocused, [0, 1, 2, 3]);
    assert_eq!(pick_drawn(&forest, Some(11), 100).len(), 12);
}

#[test]
fn an_event_whose_cause_is_not_drawn_is_a_drawn_root_marked_so() {
    let events = [event(0, None), event(1, Some(0)), event(2, Some(1))];
    let forest = CausalForest::build(&events);
    let layout = lay_out(&forest, &[0, 2], SPACING);
    let two = layout.nodes.iter().find(|n| n.event == 2).unwrap();
    assert_eq!((two.layer, two.cause_not_drawn), (0, true));
    assert!(layout.edges.is_empty());
}

#[test]
fn nothing_to_draw_is_an_empty_drawing() {
    let forest = CausalForest::build(&[]);
    let layout = lay_out(&forest, &[], SPACING);
    assert!(layout.nodes.is_empty() && layout.edges.is_empty());
    assert_eq!((layout.width, layout.height), (20.0, 20.0));
}

#[test]
fn the_same_events_always_give_the_same_layout() {
    let events = [
        event(0, None),
        event(1, Some(0)),
        event(2, Some(0)),
        emitted(3, 1),
    ];
    let first = lay_out(&CausalForest::build(&events), &[0, 1, 2, 3], SPACING);
    let second = lay_out(&CausalForest::build(&events), &[0, 1, 2, 3], SPACING);
    assert_eq!(first, second);
}

#[test]
fn a_chain_event_reads_both_keys_from_metadata() {
    let recorded: RecordedEvent = serde_json::from_str(&format!(
        r#"{{"stream":"s","version":0,"position":4,"id":"{}","type":"T","data":{{}},
            "metadata":{{"$causedBy":"{}","$causationId":"{}"}},"created":"2024-01-01T00:00:00.000Z"}}"#,
        id(4),
        id(2),
        id(1)
    ))
    .unwrap();
    let chain = ChainEvent::of(&recorded);
    assert_eq!(
        chain.causes,
        [("$causationId", id(1)), ("$causedBy", id(2))]
    );
}

#[test]
fn labels_are_cut_with_an_ellipsis() {
    assert_eq!(fit_label("OrderPlaced", 20), "OrderPlaced");
    assert_eq!(fit_label("0@order-1234567890", 10), "0@order-1…");
    assert_eq!(fit_label("ééééé", 4).chars().count(), 4);
}

#[test]
fn a_follow_up_keeps_the_correlation_and_names_the_event_as_cause() {
    let kept = follow_up_metadata(&id(1), Some("order-7"));
    assert_eq!(
        kept,
        format!(
            "{{\n  \"$correlationId\": \"order-7\",\n  \"$causationId\": \"{}\"\n}}",
            id(1)
        )
    );
    let started: serde_json::Value =
        serde_json::from_str(&follow_up_metadata(&id(1), None)).unwrap();
    assert_eq!(started["$correlationId"], id(1));
    assert_eq!(started["$causationId"], id(1));
}
