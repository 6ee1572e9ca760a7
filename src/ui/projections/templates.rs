//! Starting points for a projection or a query, as the ESDB docs teach
//! them, fitted to the sample so that what they show is true of it.

use yew::prelude::*;

use super::confirm;

pub(super) const COUNT_BY_TYPE: &str = "\
fromAll()
  .when({
    $init: () => ({}),
    $any: (state, event) => {
      state[event.eventType] = (state[event.eventType] || 0) + 1;
    },
  })
  .outputState();
";

pub(super) const BALANCE_PER_ACCOUNT: &str = "\
// Each account's balance: a state per stream of the account category.
// Every event type that changes a balance needs a handler here. Events with
// no handler are skipped silently, which is exactly how balances go wrong.
fromCategory('account')
  .foreachStream()
  .when({
    $init: () => ({ balance: 0 }),
    Deposited: (state, event) => {
      state.balance += event.data.amount;
    },
    Withdrawn: (state, event) => {
      state.balance -= event.data.amount;
    },
    TransferSent: (state, event) => {
      state.balance -= event.data.amount;
    },
    TransferReceived: (state, event) => {
      state.balance += event.data.amount;
    },
  });
";

const TOTALS_BY_KEY: &str = "\
// Totals per event type: partitionBy gives each key a state of its own.
// Pick a key every event has: an event whose key is empty, null or
// undefined is skipped.
fromAll()
  .partitionBy((event) => event.eventType)
  .when({
    $init: () => ({ events: 0, amount: 0 }),
    $any: (state, event) => {
      state.events += 1;
      state.amount += event.data.amount || 0;
    },
  });
";

const PER_STREAM_AND_OVERALL: &str = "\
options({ biState: true });

fromCategory('account')
  .foreachStream()
  .when({
    $init: () => ({ events: 0 }),
    $initShared: () => ({ accounts: 0, events: 0 }),
    $created: (state, event) => {
      state[1].accounts += 1;
    },
    $any: (state, event) => {
      state[0].events += 1;
      state[1].events += 1;
      return state;
    },
  });
";

const TEMPLATES: &[(&str, &str)] = &[
    ("Count by event type", COUNT_BY_TYPE),
    ("Balance per account (foreachStream)", BALANCE_PER_ACCOUNT),
    ("Totals by a key (partitionBy)", TOTALS_BY_KEY),
    ("Per stream and overall (biState)", PER_STREAM_AND_OVERALL),
];

#[derive(Properties, PartialEq)]
pub(super) struct TemplatePickerProps {
    /// The text a template would replace.
    pub current: String,
    pub on_pick: Callback<String>,
}

/// A button per template. Picking one over text of the person's own asks
/// first, since that text is then gone.
#[function_component(TemplatePicker)]
pub(super) fn template_picker(props: &TemplatePickerProps) -> Html {
    let own_text = !props.current.trim().is_empty()
        && !TEMPLATES.iter().any(|(_, text)| *text == props.current);
    html! {
        <div class="templates">
            <span class="muted">{ "Start from: " }</span>
            { for TEMPLATES.iter().map(|(label, source)| {
                let on_pick = props.on_pick.clone();
                let onclick = move |_| {
                    if !own_text || confirm("Replace your text with this template? Your text is lost.") {
                        on_pick.emit(source.to_string());
                    }
                };
                html! { <button type="button" {onclick}>{ *label }</button> }
            }) }
        </div>
    }
}
