//! Saving text as a file: a Blob behind an object URL, clicked through a
//! link with `download`, as browsers offer no other way to save from a page.

use gloo::file::{Blob, ObjectUrl};
use wasm_bindgen::JsCast;

/// Long enough for any browser to have read the Blob for the download.
const REVOKE_AFTER_MS: u32 = 60_000;

/// Offers `text` as a download called `name`.
pub fn download(name: &str, mime_type: &str, text: &str) -> Result<(), String> {
    let url = ObjectUrl::from(Blob::new_with_options(text, Some(mime_type)));
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("the page has no document")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|error| format!("could not make a download link: {error:?}"))?
        .dyn_into()
        .map_err(|_| "a created <a> is not a link".to_string())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Revoked a while later, not now: some browsers fetch the URL after
    // the click returns, and a revoked one gives an empty or failed file.
    gloo::timers::callback::Timeout::new(REVOKE_AFTER_MS, move || drop(url)).forget();
    Ok(())
}
