//! What changed between two JSON states, path by path: the per-event diff
//! of time travel, as Redux DevTools shows an action's diff.
//!
//! A path reads as JavaScript would reach the value (`balance`,
//! `items[2].name`, `["odd key"]`); the root is `""`. Objects are compared
//! key by key (in the order the "before" state has them, then the keys
//! only "after" has), arrays index by index, anything else by value. A
//! value whose kind changes (a number that becomes an object) is one
//! replacement, not a list of added keys.

use serde::Serialize;
use serde_json::Value;

/// How a path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DiffOp {
    Added,
    Removed,
    Replaced,
}

/// One changed path, with its value before and after (absent for an added
/// or removed path's missing side).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathChange {
    pub path: String,
    pub op: DiffOp,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The changes from `before` to `after`; `None` is a state that does not
/// exist (a partition not yet created).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<PathChange> {
    let mut changes = Vec::new();
    match (before, after) {
        (None, None) => {}
        (None, Some(after)) => changes.push(added(String::new(), after)),
        (Some(before), None) => changes.push(removed(String::new(), before)),
        (Some(before), Some(after)) => compare(String::new(), before, after, &mut changes),
    }
    changes
}

fn compare(path: String, before: &Value, after: &Value, changes: &mut Vec<PathChange>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            for (key, old_value) in old {
                let at = member(&path, key);
                match new.get(key) {
                    Some(new_value) => compare(at, old_value, new_value, changes),
                    None => changes.push(removed(at, old_value)),
                }
            }
            for (key, new_value) in new {
                if !old.contains_key(key) {
                    changes.push(added(member(&path, key), new_value));
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            for index in 0..old.len().max(new.len()) {
                let at = format!("{path}[{index}]");
                match (old.get(index), new.get(index)) {
                    (Some(old_value), Some(new_value)) => {
                        compare(at, old_value, new_value, changes)
                    }
                    (Some(old_value), None) => changes.push(removed(at, old_value)),
                    (None, Some(new_value)) => changes.push(added(at, new_value)),
                    (None, None) => {}
                }
            }
        }
        _ if before == after => {}
        _ => changes.push(PathChange {
            path,
            op: DiffOp::Replaced,
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
    }
}

fn added(path: String, value: &Value) -> PathChange {
    PathChange {
        path,
        op: DiffOp::Added,
        before: None,
        after: Some(value.clone()),
    }
}

fn removed(path: String, value: &Value) -> PathChange {
    PathChange {
        path,
        op: DiffOp::Removed,
        before: Some(value.clone()),
        after: None,
    }
}

/// `path.key`, or `path["key"]` when the key is not an identifier.
fn member(path: &str, key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    match (identifier, path.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{path}.{key}"),
        (false, _) => format!(
            "{path}[{}]",
            serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(before: Option<Value>, after: Option<Value>) -> Vec<(String, DiffOp)> {
        diff(before.as_ref(), after.as_ref())
            .into_iter()
            .map(|c| (c.path, c.op))
            .collect()
    }

    type Case = (Option<Value>, Option<Value>, Vec<(&'static str, DiffOp)>);

    #[test]
    fn each_changed_path_is_added_removed_or_replaced() {
        use DiffOp::*;
        let cases: Vec<Case> = vec![
            (None, None, vec![]),
            (None, Some(json!({"n": 1})), vec![("", Added)]),
            (Some(json!(0)), None, vec![("", Removed)]),
            (Some(json!({"n": 1})), Some(json!({"n": 1})), vec![]),
            (
                Some(json!({"n": 1})),
                Some(json!({"n": 2})),
                vec![("n", Replaced)],
            ),
            (
                Some(json!({"a": 1, "b": 2})),
                Some(json!({"b": 2, "c": 3})),
                vec![("a", Removed), ("c", Added)],
            ),
            (
                Some(json!({"items": [{"name": "x"}]})),
                Some(json!({"items": [{"name": "y"}, {"name": "z"}]})),
                vec![("items[0].name", Replaced), ("items[1]", Added)],
            ),
            (
                Some(json!([1, 2, 3])),
                Some(json!([1])),
                vec![("[1]", Removed), ("[2]", Removed)],
            ),
            (
                Some(json!({"odd key": 1, "$init": 1})),
                Some(json!({"odd key": 2, "$init": 2})),
                vec![("[\"odd key\"]", Replaced), ("$init", Replaced)],
            ),
            (Some(json!({"n": 1})), Some(json!(5)), vec![("", Replaced)]),
            (
                Some(json!({"n": null})),
                Some(json!({"n": {}})),
                vec![("n", Replaced)],
            ),
        ];
        for (before, after, expected) in cases {
            let expected: Vec<(String, DiffOp)> = expected
                .into_iter()
                .map(|(p, op)| (p.to_string(), op))
                .collect();
            assert_eq!(
                paths(before.clone(), after.clone()),
                expected,
                "{before:?} → {after:?}"
            );
        }
    }

    #[test]
    fn a_change_carries_both_values() {
        let changes = diff(Some(&json!({"balance": 5})), Some(&json!({"balance": 12})));
        assert_eq!(
            changes,
            vec![PathChange {
                path: "balance".into(),
                op: DiffOp::Replaced,
                before: Some(json!(5)),
                after: Some(json!(12)),
            }]
        );
    }
}
