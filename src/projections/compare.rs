//! Where two reducers run over the same events first disagree: the
//! "jump to first difference" of comparing an old reducer with a new one.
//! Each side's worker traces, after every handled event, the partition it
//! touched and a hash of that partition's state; walking both traces in
//! position order finds, per partition, the first position after which
//! the two states differ.

use std::collections::BTreeMap;

use serde::Serialize;

use super::protocol::TraceStep;

/// The first position where a partition's states differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    pub partition: String,
    pub position: i64,
}

/// Every partition's first divergence, in position order (the first one is
/// the first difference of all).
pub fn divergences(current: &[TraceStep], draft: &[TraceStep]) -> Vec<Divergence> {
    let mut positions: Vec<i64> = current
        .iter()
        .chain(draft)
        .map(|step| step.position)
        .collect();
    positions.sort_unstable();
    positions.dedup();
    let (mut ours, mut theirs) = (current.iter().peekable(), draft.iter().peekable());
    let mut hashes: BTreeMap<&str, (Option<u32>, Option<u32>)> = BTreeMap::new();
    let mut found: BTreeMap<String, i64> = BTreeMap::new();
    for position in positions {
        let mut touched = Vec::new();
        while let Some(step) = ours.next_if(|step| step.position == position) {
            hashes.entry(&step.partition).or_default().0 = Some(step.hash);
            touched.push(step.partition.as_str());
        }
        while let Some(step) = theirs.next_if(|step| step.position == position) {
            hashes.entry(&step.partition).or_default().1 = Some(step.hash);
            touched.push(step.partition.as_str());
        }
        for partition in touched {
            let (a, b) = hashes[partition];
            if a != b && !found.contains_key(partition) {
                found.insert(partition.to_string(), position);
            }
        }
    }
    let mut divergences: Vec<Divergence> = found
        .into_iter()
        .map(|(partition, position)| Divergence {
            partition,
            position,
        })
        .collect();
    divergences
        .sort_unstable_by(|a, b| (a.position, &a.partition).cmp(&(b.position, &b.partition)));
    divergences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(list: &[(i64, &str, u32)]) -> Vec<TraceStep> {
        list.iter()
            .map(|&(position, partition, hash)| TraceStep {
                position,
                partition: partition.into(),
                hash,
            })
            .collect()
    }

    #[test]
    fn the_first_position_where_a_partitions_states_differ() {
        let current = steps(&[(0, "a", 1), (1, "b", 1), (2, "a", 2), (3, "b", 2)]);
        let same = current.clone();
        assert_eq!(divergences(&current, &same), vec![]);
        // The draft changes b's state at 3 and a's at 2.
        let draft = steps(&[(0, "a", 1), (1, "b", 1), (2, "a", 9), (3, "b", 9)]);
        assert_eq!(
            divergences(&current, &draft),
            vec![
                Divergence {
                    partition: "a".into(),
                    position: 2
                },
                Divergence {
                    partition: "b".into(),
                    position: 3
                },
            ]
        );
    }

    #[test]
    fn an_event_only_one_side_handles_is_a_difference_unless_it_leaves_the_state_equal() {
        let current = steps(&[(0, "a", 1), (5, "a", 2)]);
        // The draft ignores 5 but reaches the same state at 7.
        let draft = steps(&[(0, "a", 1), (7, "a", 2)]);
        assert_eq!(
            divergences(&current, &draft),
            vec![Divergence {
                partition: "a".into(),
                position: 5
            }]
        );
        // A partition only the draft makes differs where it appears.
        let extra = steps(&[(0, "a", 1), (3, "z", 4), (5, "a", 2)]);
        assert_eq!(
            divergences(&current, &extra),
            vec![Divergence {
                partition: "z".into(),
                position: 3
            }]
        );
    }
}
