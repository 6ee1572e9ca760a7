//! Hooks the views share.

use yew::prelude::*;

use super::app::Draft;
use super::SandboxHandle;

/// The service handle from context: the one way a view reaches the store.
///
/// The shell (`App` in `app.rs`) provides it around every view, so a missing
/// context is a programming error (a component rendered outside `App`), and
/// this is the one place that says so.
#[hook]
pub fn use_sandbox() -> SandboxHandle {
    use_context::<SandboxHandle>().expect(
        "use_sandbox: no SandboxHandle in context; `App` (src/ui/app.rs) provides it, \
         so this component must be rendered inside `App`",
    )
}

/// The Append page's draft, which "Append another like this" fills in.
/// `App` provides it too, so a missing one is the same programming error.
#[hook]
pub fn use_append_draft() -> Draft {
    use_context::<Draft>().expect(
        "use_append_draft: no Draft in context; `App` (src/ui/app.rs) provides it, \
         so this component must be rendered inside `App`",
    )
}
