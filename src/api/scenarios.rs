//! The scenario gallery's methods of `window.sandbox` (see the README).

use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::JsValue;

use super::args::string_argument;
use super::{to_json_value, Reply};
use crate::scenarios::{find, SCENARIOS};
use crate::service::scenario::open_scenario;
use crate::service::Sandbox;

/// A row of `scenarios()`.
#[derive(Serialize)]
struct ScenarioRow {
    id: &'static str,
    title: &'static str,
}

pub(super) fn scenarios(_: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let rows: Vec<ScenarioRow> = SCENARIOS
            .iter()
            .map(|scenario| ScenarioRow {
                id: scenario.id,
                title: scenario.title,
            })
            .collect();
        to_json_value(&rows)
    })
}

/// Resolves, then the page loads `?scenario=<id>`: a fresh sandbox holding
/// the scenario.
pub(super) fn load(_: Rc<Sandbox>, [id, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let id = string_argument(&id, "scenario id")?;
        open_scenario(find(&id)?);
        Ok(JsValue::UNDEFINED)
    })
}
