//! The first-run sample: a small bank, so a newcomer has something to browse
//! before writing events of their own.
//!
//! Learners copy what the sample shows, so it is written as a real system
//! would write it: every event has its own id, times are spread over four
//! weeks as an account's would be, and the transfer is a chain in which
//! the receipt names the event that caused it.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::core::event::InputEvent;
use crate::core::StoreError;

/// One event of the sample: stream, id, when it happened, type, and data
/// and metadata as JSON text.
pub struct SampleEvent {
    pub stream: &'static str,
    pub id: &'static str,
    /// Milliseconds since the Unix epoch.
    pub created_millis: i64,
    pub event_type: &'static str,
    pub data: &'static str,
    pub metadata: &'static str,
}

impl SampleEvent {
    /// The event as the store's input. `{}` as metadata means none, which
    /// is not the same as empty metadata.
    pub fn input(&self) -> Result<InputEvent, StoreError> {
        let raw = |json: &str| {
            RawValue::from_string(json.to_string())
                .map_err(|error| StoreError::InvalidEvent(format!("event {}: {error}", self.id)))
        };
        Ok(InputEvent {
            event_type: Some(Value::String(self.event_type.into())),
            data: Some(raw(self.data)?),
            metadata: match self.metadata {
                "{}" => None,
                metadata => Some(raw(metadata)?),
            },
            id: Some(Value::String(self.id.into())),
        })
    }
}

/// Midnight UTC on Monday 5 October 2026, the sample's first day.
const FIRST_DAY_MILLIS: i64 = 1_791_158_400_000;

/// The time `day` days after the first day, at `hour:minute:second` UTC.
const fn at(day: i64, hour: i64, minute: i64, second: i64) -> i64 {
    FIRST_DAY_MILLIS + ((day * 24 + hour) * 60 + minute) * 60_000 + second * 1000
}

const fn event(
    stream: &'static str,
    id: &'static str,
    created_millis: i64,
    event_type: &'static str,
    data: &'static str,
    metadata: &'static str,
) -> SampleEvent {
    SampleEvent {
        stream,
        id,
        created_millis,
        event_type,
        data,
        metadata,
    }
}

/// `TransferSent`'s id, which `TransferReceived` names as its cause.
const TRANSFER_SENT_ID: &str = "421fd278-8778-459c-91d0-a20a814a59f6";

/// Three accounts opened, paid into and drawn on over four weeks. The
/// transfer from Ada to Grace shares the `$correlationId` `transfer-1`;
/// `TransferSent` starts the chain, so it has no `$causationId`, and
/// `TransferReceived`'s `$causationId` is `TransferSent`'s id.
pub const BANK_ACCOUNTS: &[SampleEvent] = &[
    event(
        "account-ada",
        "daf0bc36-c5f6-45d5-b67d-85f3af979156",
        at(0, 9, 12, 0),
        "AccountOpened",
        r#"{"owner":"Ada Lovelace","currency":"EUR"}"#,
        r#"{"$correlationId":"onboarding-ada"}"#,
    ),
    event(
        "account-ada",
        "dd680816-2639-4a27-9c41-db885903daae",
        at(1, 8, 0, 0),
        "Deposited",
        r#"{"amount":500,"reference":"salary"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "fbabc493-cc88-4702-951c-86858362ae80",
        at(2, 14, 5, 0),
        "AccountOpened",
        r#"{"owner":"Grace Hopper","currency":"EUR"}"#,
        r#"{"$correlationId":"onboarding-grace"}"#,
    ),
    event(
        "account-ada",
        "b6e7d598-0088-4e19-8ba1-e2d455aead3d",
        at(3, 18, 22, 0),
        "Withdrawn",
        r#"{"amount":40,"reference":"groceries"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "6f7d51d3-2434-438c-bd71-5366d74377fe",
        at(4, 8, 0, 0),
        "Deposited",
        r#"{"amount":1200,"reference":"salary"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "6ba70ff5-fc2b-4f52-83ec-b5519afdf901",
        at(6, 10, 47, 0),
        "AccountOpened",
        r#"{"owner":"Alan Turing","currency":"GBP"}"#,
        r#"{"$correlationId":"onboarding-alan"}"#,
    ),
    event(
        "account-alan",
        "503f53b9-ef18-4fb8-b25e-28df24b225ef",
        at(7, 16, 30, 0),
        "Deposited",
        r#"{"amount":300,"reference":"prize"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "3c068c45-d6e9-4acb-9230-9f2e1f2b05c9",
        at(9, 7, 15, 0),
        "Withdrawn",
        r#"{"amount":200,"reference":"rent"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        "706cdcfa-ad0b-4be6-8a10-38d01a92f1fa",
        at(10, 12, 40, 0),
        "Deposited",
        r#"{"amount":75,"reference":"refund"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "a072c57f-c866-4fc2-8fe7-f9a2bcc19147",
        at(12, 15, 3, 0),
        "Withdrawn",
        r#"{"amount":25,"reference":"books"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        TRANSFER_SENT_ID,
        at(14, 19, 21, 0),
        "TransferSent",
        r#"{"amount":100,"to":"account-grace"}"#,
        r#"{"$correlationId":"transfer-1"}"#,
    ),
    // Written moments after the event that caused it, as a process
    // manager reacting to TransferSent would.
    event(
        "account-grace",
        "c872598d-e0e9-4b86-9bdd-d9fcfa1d6df2",
        at(14, 19, 21, 4),
        "TransferReceived",
        r#"{"amount":100,"from":"account-ada"}"#,
        r#"{"$correlationId":"transfer-1","$causationId":"421fd278-8778-459c-91d0-a20a814a59f6"}"#,
    ),
    event(
        "account-grace",
        "347f67f5-4398-43aa-81f8-5d08ebbfb719",
        at(16, 21, 10, 0),
        "Withdrawn",
        r#"{"amount":60,"reference":"dinner"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "30334893-bdab-4cb4-bef8-6b59eef528f0",
        at(17, 11, 0, 0),
        "Deposited",
        r#"{"amount":150,"reference":"lecture fee"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        "2b629484-7a6a-422d-8c3d-33de913f871d",
        at(19, 7, 48, 0),
        "Withdrawn",
        r#"{"amount":30,"reference":"train"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "d59ff752-3312-4d16-8b27-06c821b133ea",
        at(21, 13, 35, 0),
        "Deposited",
        r#"{"amount":90,"reference":"sold a bike"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "d0b9d51e-7994-451a-8a88-2a0d2ab6ccd8",
        at(23, 17, 52, 0),
        "Withdrawn",
        r#"{"amount":80,"reference":"chess set"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        "4afed5dc-aeec-46e0-866a-876b208ab14d",
        at(25, 9, 5, 0),
        "Deposited",
        r#"{"amount":20,"reference":"cashback"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "e2407fa7-dccb-47b3-a32d-04ff873f4c3d",
        at(26, 16, 20, 0),
        "Withdrawn",
        r#"{"amount":45,"reference":"books"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "8e3f6f8d-52f6-4455-a1b3-8cd4b1350e8e",
        at(28, 10, 0, 0),
        "AccountClosed",
        r#"{"reason":"moved abroad"}"#,
        r#"{}"#,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::normalize_uuid;
    use crate::core::time::iso8601_from_millis;
    use serde_json::{Map, Value};

    fn metadata(event: &SampleEvent) -> Map<String, Value> {
        serde_json::from_str(event.metadata).unwrap()
    }

    fn the(event_type: &str) -> &'static SampleEvent {
        BANK_ACCOUNTS
            .iter()
            .find(|event| event.event_type == event_type)
            .unwrap()
    }

    #[test]
    fn the_sample_is_about_twenty_valid_events_over_three_streams() {
        let mut streams: Vec<&str> = BANK_ACCOUNTS.iter().map(|e| e.stream).collect();
        streams.sort();
        streams.dedup();
        assert_eq!(streams, ["account-ada", "account-alan", "account-grace"]);
        assert_eq!(BANK_ACCOUNTS.len(), 20);
        for event in BANK_ACCOUNTS {
            serde_json::from_str::<Value>(event.data).unwrap();
            metadata(event);
        }
    }

    #[test]
    fn every_event_has_its_own_lower_case_uuid() {
        let mut ids: Vec<&str> = BANK_ACCOUNTS.iter().map(|e| e.id).collect();
        for id in &ids {
            assert_eq!(normalize_uuid(id).as_deref(), Some(*id));
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), BANK_ACCOUNTS.len());
    }

    #[test]
    fn the_transfer_is_a_chain_that_shares_a_correlation() {
        let sent = the("TransferSent");
        let received = the("TransferReceived");
        assert_eq!(sent.id, TRANSFER_SENT_ID);
        assert_eq!(
            metadata(sent).get("$causationId"),
            None,
            "the chain starts here"
        );
        assert_eq!(
            metadata(received)["$causationId"],
            Value::String(sent.id.into())
        );
        for event in [sent, received] {
            assert_eq!(metadata(event)["$correlationId"], "transfer-1");
        }
    }

    #[test]
    fn times_spread_over_weeks_and_grow_with_position() {
        assert_eq!(
            iso8601_from_millis(FIRST_DAY_MILLIS),
            "2026-10-05T00:00:00.000Z"
        );
        for pair in BANK_ACCOUNTS.windows(2) {
            assert!(
                pair[0].created_millis < pair[1].created_millis,
                "{} is not before {}",
                pair[0].id,
                pair[1].id
            );
        }
        let span = BANK_ACCOUNTS[19].created_millis - BANK_ACCOUNTS[0].created_millis;
        assert!(span > 21 * 86_400_000, "{span} ms");
    }
}
