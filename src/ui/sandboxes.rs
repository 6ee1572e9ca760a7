//! The sandboxes page: every sandbox of this browser, and creating,
//! opening, duplicating, renaming and deleting them. Opening one loads the
//! page on it (`?sandbox=`). Duplicating is how a facilitator keeps a
//! checkpoint to reset the room to.

use yew::prelude::*;

use super::{run, use_sandbox};
use crate::core::StoreError;
use crate::service::sandboxes::{
    create_sandbox, delete_sandbox, duplicate_sandbox, rename_sandbox, sandbox_names, switch_to,
};

/// A change to run, and whether the list changes with it.
type Work = (
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, StoreError>>>>,
    bool,
);

/// What a row is asking of its sandbox, while it asks.
#[derive(Clone, PartialEq)]
enum RowAction {
    Duplicate,
    Rename,
    ConfirmDelete,
}

#[function_component(SandboxesPage)]
pub fn sandboxes_page() -> Html {
    let sandbox = use_sandbox();
    let current = sandbox.0.name().to_string();
    let names = use_state(|| None::<Result<Vec<String>, String>>);
    // Bumped after every change, to list again.
    let listed = use_state(|| 0u32);
    let outcome = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    let new_name = use_state(String::new);
    {
        let names = names.clone();
        use_effect_with(*listed, move |_| {
            run(sandbox_names(), move |found| {
                names.set(Some(found.map_err(|error| error.to_string())));
            });
        });
    }
    // Runs one change, then says how it went and lists again.
    let act = {
        let (outcome, busy, listed) = (outcome.clone(), busy.clone(), listed.clone());
        Callback::from(move |(work, done): Work| {
            busy.set(true);
            let (outcome, busy, listed) = (outcome.clone(), busy.clone(), listed.clone());
            run(work, move |result| {
                busy.set(false);
                outcome.set(Some(result.map_err(|error| error.to_string())));
                if done {
                    listed.set(*listed + 1);
                }
            });
        })
    };
    let on_create = {
        let (act, new_name) = (act.clone(), new_name.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = (*new_name).clone();
            new_name.set(String::new());
            act.emit((
                Box::pin(async move {
                    let name = create_sandbox(&name).await?;
                    Ok(format!(
                        "Created the sandbox {name:?}. Open it from the list."
                    ))
                }),
                true,
            ));
        })
    };
    let rows = match &*names {
        None => html! { <p class="muted">{ "Listing the sandboxes…" }</p> },
        Some(Err(message)) => html! { <p class="error-banner" role="alert">{ message }</p> },
        Some(Ok(names)) => html! {
            <table class="sandboxes">
                <thead><tr><th>{ "Sandbox" }</th><th>{ "Actions" }</th></tr></thead>
                <tbody>
                    { for names.iter().map(|name| html! {
                        <SandboxRow key={name.clone()} name={name.clone()}
                            current={*name == current} busy={*busy} act={act.clone()} />
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <section>
            <h1>{ "Sandboxes" }</h1>
            <p class="muted">{ "Each sandbox is its own IndexedDB database in this browser, with its own events and projections. Duplicate one to keep a checkpoint you can go back to." }</p>
            <form class="toolbar" onsubmit={on_create}>
                <label for="new-sandbox">{ "New sandbox" }</label>
                <input id="new-sandbox" type="text" maxlength="100" required=true
                    value={(*new_name).clone()}
                    oninput={let new_name = new_name.clone(); move |event: InputEvent| new_name.set(input_value(&event))} />
                <button type="submit" class="primary" disabled={*busy}>{ "Create" }</button>
            </form>
            { match &*outcome {
                Some(Ok(message)) => html! { <p class="notice" role="status">{ message }</p> },
                Some(Err(message)) => html! { <p class="error-banner" role="alert">{ message }</p> },
                None => html! {},
            } }
            { rows }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct SandboxRowProps {
    name: String,
    current: bool,
    busy: bool,
    act: Callback<Work>,
}

#[function_component(SandboxRow)]
fn sandbox_row(props: &SandboxRowProps) -> Html {
    let sandbox = use_sandbox();
    let asking = use_state(|| None::<RowAction>);
    let other_name = use_state(String::new);
    let name = props.name.clone();
    let ask = |action: RowAction| {
        let (asking, other_name, name) = (asking.clone(), other_name.clone(), name.clone());
        Callback::from(move |_| {
            other_name.set(match action {
                RowAction::Duplicate => format!("{name} copy"),
                _ => name.clone(),
            });
            asking.set(Some(action.clone()));
        })
    };
    let cancel = {
        let asking = asking.clone();
        Callback::from(move |_| asking.set(None))
    };
    let on_submit = {
        let (asking, other_name, act, name) = (
            asking.clone(),
            other_name.clone(),
            props.act.clone(),
            name.clone(),
        );
        let (current, sandbox) = (props.current, sandbox.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (name, to) = (name.clone(), (*other_name).clone());
            let sandbox = sandbox.clone();
            let work: std::pin::Pin<Box<dyn std::future::Future<Output = _>>> = match *asking {
                Some(RowAction::Duplicate) => Box::pin(async move {
                    let to = duplicate_sandbox(&name, &to).await?;
                    Ok(format!("Duplicated {name:?} as {to:?}."))
                }),
                Some(RowAction::Rename) => Box::pin(async move {
                    let to = rename_sandbox(&name, &to).await?;
                    if current {
                        switch_to(&to);
                    }
                    Ok(format!("Renamed {name:?} to {to:?}."))
                }),
                Some(RowAction::ConfirmDelete) => Box::pin(async move {
                    if current {
                        sandbox.0.delete_itself().await?;
                    } else {
                        delete_sandbox(&name).await?;
                    }
                    Ok(format!("Deleted the sandbox {name:?}."))
                }),
                None => return,
            };
            asking.set(None);
            act.emit((work, true));
        })
    };
    let open = {
        let name = name.clone();
        Callback::from(move |_| switch_to(&name))
    };
    let form = match &*asking {
        None => html! {
            <div class="actions">
                if !props.current {
                    <button type="button" onclick={open} disabled={props.busy}>{ "Open" }</button>
                }
                <button type="button" onclick={ask(RowAction::Duplicate)} disabled={props.busy}>{ "Duplicate" }</button>
                <button type="button" onclick={ask(RowAction::Rename)} disabled={props.busy}>{ "Rename" }</button>
                <button type="button" class="danger" onclick={ask(RowAction::ConfirmDelete)} disabled={props.busy}>{ "Delete" }</button>
            </div>
        },
        Some(RowAction::ConfirmDelete) => html! {
            <form class="actions confirm" onsubmit={on_submit}>
                <span role="alert">{ format!("Delete {:?} and everything in it? This cannot be undone.", props.name) }</span>
                <button type="submit" class="danger">{ "Delete for good" }</button>
                <button type="button" onclick={cancel}>{ "Keep it" }</button>
            </form>
        },
        Some(action) => {
            let label = if *action == RowAction::Duplicate {
                "Name of the copy"
            } else {
                "New name"
            };
            let input_id = format!("sandbox-name-{}", props.name);
            html! {
                <form class="actions" onsubmit={on_submit}>
                    <label for={input_id.clone()}>{ label }</label>
                    <input id={input_id} type="text" maxlength="100" required=true
                        value={(*other_name).clone()}
                        oninput={let other_name = other_name.clone(); move |event: InputEvent| other_name.set(input_value(&event))} />
                    <button type="submit" class="primary">
                        { if *action == RowAction::Duplicate { "Duplicate" } else { "Rename" } }
                    </button>
                    <button type="button" onclick={cancel}>{ "Cancel" }</button>
                </form>
            }
        }
    };
    html! {
        <tr class={classes!(props.current.then_some("current"))}>
            <td>
                <span class="sandbox-row-name">{ &props.name }</span>
                if props.current { <span class="tag">{ " open here" }</span> }
            </td>
            <td>{ form }</td>
        </tr>
    }
}

fn input_value(event: &InputEvent) -> String {
    event
        .target_dyn_into::<web_sys::HtmlInputElement>()
        .map(|input| input.value())
        .unwrap_or_default()
}
