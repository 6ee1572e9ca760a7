//! The Import / export page: a download per export format, and an import
//! that reads, checks and previews a file before anything is written.

mod download;
mod import;

use yew::prelude::*;

use crate::service::ExportFormat;
use crate::ui::{run, use_sandbox};
use download::download;
use import::ImportPanel;

#[function_component(TransferPage)]
pub fn transfer_page() -> Html {
    html! {
        <section class="transfer">
            <h1>{ "Import / export" }</h1>
            <ExportPanel />
            <ImportPanel />
        </section>
    }
}

/// One button per format; each reads the sandbox and downloads the file.
#[function_component(ExportPanel)]
fn export_panel() -> Html {
    let sandbox = use_sandbox();
    let busy = use_state(|| None::<ExportFormat>);
    let failure = use_state(|| None::<String>);
    let buttons = ExportFormat::ALL.iter().map(|&format| {
        let working = *busy == Some(format);
        let file_name = format.file_name(sandbox.0.name());
        let disabled = busy.is_some();
        let (sandbox, busy, failure) = (sandbox.clone(), busy.clone(), failure.clone());
        let onclick = Callback::from(move |_| {
            busy.set(Some(format));
            failure.set(None);
            let name = format.file_name(sandbox.0.name());
            let (sandbox, busy, failure) = (sandbox.clone(), busy.clone(), failure.clone());
            run(async move { sandbox.0.export(format).await }, move |text| {
                busy.set(None);
                let saved = text
                    .map_err(|error| error.to_string())
                    .and_then(|text| download(&name, format.mime_type(), &text));
                if let Err(message) = saved {
                    failure.set(Some(format!("The export failed: {message}")));
                }
            });
        });
        html! {
            <li>
                <button type="button" class="button" {onclick} {disabled}>
                    { if working { "Exporting…" } else { "Download" } }
                </button>
                <span>{ format.label() }</span>
                <code class="muted">{ file_name }</code>
            </li>
        }
    });
    html! {
        <section class="export">
            <h2>{ "Export" }</h2>
            <ul class="export-formats">{ for buttons }</ul>
            if let Some(message) = &*failure {
                <p class="error-banner" role="alert">{ message }</p>
            }
        </section>
    }
}
