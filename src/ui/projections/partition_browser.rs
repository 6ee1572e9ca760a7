//! Browsing a partitioned projection's states by key.

use yew::prelude::*;

use crate::ui::json_tree::JsonTree;

#[derive(Properties, PartialEq)]
pub(super) struct PartitionBrowserProps {
    pub(super) partitions: Vec<(String, String)>,
    /// The partition shown until one is picked: time travel follows the
    /// one the event at the cursor touched.
    #[prop_or_default]
    pub(super) follow: Option<String>,
}

/// Partition keys with a search box; picking one shows its state.
#[function_component(PartitionBrowser)]
pub(super) fn partition_browser(props: &PartitionBrowserProps) -> Html {
    let search = use_state(String::new);
    let picked = use_state(|| None::<String>);
    if props.partitions.is_empty() {
        return Html::default();
    }
    let on_search = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| {
            search.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let needle = search.to_lowercase();
    let matching: Vec<&(String, String)> = props
        .partitions
        .iter()
        .filter(|(key, _)| key.to_lowercase().contains(&needle))
        .collect();
    let shown = picked.as_ref().or(props.follow.as_ref());
    let state = shown.and_then(|key| props.partitions.iter().find(|(k, _)| k == key));
    html! {
        <div class="partition-browser">
            <h2>{ format!("Partitions ({})", props.partitions.len()) }</h2>
            <input type="search" aria-label="Search partitions" placeholder="Search partitions"
                value={(*search).clone()} oninput={on_search} />
            <div class="columns">
                <ul class="partition-keys">
                    { for matching.iter().take(500).map(|(key, _)| {
                        let picked_now = shown.map(String::as_str) == Some(key.as_str());
                        let (picked, key) = (picked.clone(), key.clone());
                        let label = if key.is_empty() { "(root)".to_string() } else { key.clone() };
                        html! {
                            <li><button type="button" class={classes!(picked_now.then_some("picked"))}
                                aria-current={picked_now.then_some("true")}
                                onclick={move |_| picked.set(Some(key.clone()))}>{ label }</button></li>
                        }
                    }) }
                </ul>
                <div>
                    if let Some((key, state)) = state {
                        <h3>{ format!("State of {key}") }</h3>
                        <JsonTree json={state.clone()} />
                    } else {
                        <p class="muted">{ format!("{} match; pick one to see its state.", matching.len()) }</p>
                    }
                </div>
            </div>
        </div>
    }
}
