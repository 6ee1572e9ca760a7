//! `window.sandbox`'s import and export: `exportNdjson()` and
//! `importNdjson(text)`, all or nothing, rejecting with an `ImportError`
//! whose message names the line.

use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::args::string_argument;
use super::{to_json_value, Reply};
use crate::core::transfer::FileFormat;
use crate::core::StoreError;
use crate::service::{ExportFormat, Sandbox};

/// What `importNdjson` resolves with.
#[derive(Serialize)]
struct Imported {
    imported: u64,
}

/// `exportNdjson()`: every event of `$all`, one JSON object a line, each
/// exactly as `readAll()` gives it.
pub(super) fn export_ndjson(sandbox: Rc<Sandbox>, _: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let text = sandbox.export(ExportFormat::Ndjson).await?;
        Ok(JsValue::from_str(&text))
    })
}

/// `importNdjson(text)`: `{ imported }`, or nothing written at all.
pub(super) fn import_ndjson(sandbox: Rc<Sandbox>, [text, _, _]: [JsValue; 3]) -> Reply {
    Box::pin(async move {
        let text = string_argument(&text, "the NDJSON to import")?;
        let prepared = sandbox.prepare_import(&text, Rc::new(|_, _| {})).await?;
        if prepared.preview.format != FileFormat::Ndjson {
            return Err(StoreError::Import(format!(
                "importNdjson takes NDJSON, one event a line, and this text is {}; import it on the Import / export page",
                prepared.preview.format.label()
            ))
            .into());
        }
        let imported = sandbox.import(prepared, Rc::new(|_| {})).await?;
        to_json_value(&Imported { imported })
    })
}
