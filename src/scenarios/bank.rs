//! The bank account: the first-run sample's three accounts, a projection
//! of their balances, and steps that overdraw an account and rewind.

use super::{Check, Compare, Probe, Scenario, ScenarioProjection, Step};
use crate::sample::BANK_ACCOUNTS;

const BALANCES: &str = "account-balances";

/// Ada's balance in the projection's partition of her account.
const ADA_BALANCE: Probe = Probe {
    projection: BALANCES,
    partition: Some("account-ada"),
    path: &["balance"],
};

const OVERDRAWN: Check = Check::State {
    probe: ADA_BALANCE,
    compare: Compare::Below(0.0),
};

const BALANCES_SOURCE: &str = "\
// One state per account stream: its owner, its balance, whether it is open.
// A balance is never stored anywhere: it is the sum of what happened.
fromCategory('account')
  .foreachStream()
  .when({
    $init: function () {
      return { owner: null, open: false, balance: 0 };
    },
    AccountOpened: function (s, e) {
      s.owner = e.data.owner;
      s.open = true;
    },
    Deposited: function (s, e) { s.balance += e.data.amount; },
    TransferReceived: function (s, e) { s.balance += e.data.amount; },
    Withdrawn: function (s, e) { s.balance -= e.data.amount; },
    TransferSent: function (s, e) { s.balance -= e.data.amount; },
    AccountClosed: function (s) { s.open = false; }
  });
";

pub(super) const SCENARIO: Scenario = Scenario {
    id: "bank-account",
    title: "Bank account",
    story: "Ada, Grace and Alan bank with us. Over four weeks they were paid, \
        spent, and Ada sent Grace 100 EUR: the receipt names the payment that \
        caused it. Nobody stored a balance: the account-balances projection \
        works each one out from the events. Nothing in the store stops a \
        withdrawal from overdrawing an account, so see what happens when one \
        does, and go back in time to before it.",
    events: BANK_ACCOUNTS,
    projections: &[ScenarioProjection {
        name: BALANCES,
        source: BALANCES_SOURCE,
        emit: false,
    }],
    steps: &[
        Step {
            title: "Overdraw Ada's account",
            hint: "On the Append page, append a Withdrawn of {\"amount\": 500} to account-ada, then open the account-balances projection: account-ada's balance is below zero.",
            check: OVERDRAWN,
        },
        Step {
            title: "Rewind to before the overdraft",
            hint: "Move the time bar (or the Time travel page) to just before your Withdrawn: the balance is what it was before.",
            check: Check::All(&[
                OVERDRAWN,
                Check::CursorBeforeLast {
                    stream: "account-ada",
                    event_type: "Withdrawn",
                },
            ]),
        },
        Step {
            title: "Put it right with a deposit",
            hint: "Back at live, append a Deposited to account-ada big enough to bring the balance back to zero or above. Events are never edited: a mistake is answered by another event.",
            check: Check::All(&[
                Check::State {
                    probe: ADA_BALANCE,
                    compare: Compare::AtLeast(0.0),
                },
                Check::EventsOfType {
                    stream: "account-ada",
                    event_type: "Deposited",
                    at_least: 4,
                },
            ]),
        },
        Step {
            title: "Send Ada a transfer that names its cause",
            hint: "Append a TransferSent to account-grace with metadata {\"$correlationId\": \"transfer-2\"}, then a TransferReceived to account-ada whose metadata has the same $correlationId and, as $causationId, the TransferSent's id. The event's page links to its cause.",
            check: Check::EventsOfType {
                stream: "account-ada",
                event_type: "TransferReceived",
                at_least: 1,
            },
        },
    ],
};
