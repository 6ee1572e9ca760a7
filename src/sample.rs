//! The first-run sample: a small bank, so a newcomer has something to browse
//! before writing events of their own.

/// One event of the sample: stream, type, data and metadata as JSON text.
pub struct SampleEvent {
    pub stream: &'static str,
    pub event_type: &'static str,
    pub data: &'static str,
    pub metadata: &'static str,
}

const fn event(
    stream: &'static str,
    event_type: &'static str,
    data: &'static str,
    metadata: &'static str,
) -> SampleEvent {
    SampleEvent {
        stream,
        event_type,
        data,
        metadata,
    }
}

/// Three accounts opened, paid into and drawn on. The transfer between Ada
/// and Grace shares a `$correlationId`, so correlation reads have a story.
pub const BANK_ACCOUNTS: &[SampleEvent] = &[
    event(
        "account-ada",
        "AccountOpened",
        r#"{"owner":"Ada Lovelace","currency":"EUR"}"#,
        r#"{"$correlationId":"onboarding-ada"}"#,
    ),
    event(
        "account-ada",
        "Deposited",
        r#"{"amount":500,"reference":"salary"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "AccountOpened",
        r#"{"owner":"Grace Hopper","currency":"EUR"}"#,
        r#"{"$correlationId":"onboarding-grace"}"#,
    ),
    event(
        "account-ada",
        "Withdrawn",
        r#"{"amount":40,"reference":"groceries"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "Deposited",
        r#"{"amount":1200,"reference":"salary"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "AccountOpened",
        r#"{"owner":"Alan Turing","currency":"GBP"}"#,
        r#"{"$correlationId":"onboarding-alan"}"#,
    ),
    event(
        "account-alan",
        "Deposited",
        r#"{"amount":300,"reference":"prize"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "Withdrawn",
        r#"{"amount":200,"reference":"rent"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        "Deposited",
        r#"{"amount":75,"reference":"refund"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "Withdrawn",
        r#"{"amount":25,"reference":"books"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        "TransferSent",
        r#"{"amount":100,"to":"account-grace"}"#,
        r#"{"$correlationId":"transfer-1","$causationId":"transfer-1"}"#,
    ),
    event(
        "account-grace",
        "TransferReceived",
        r#"{"amount":100,"from":"account-ada"}"#,
        r#"{"$correlationId":"transfer-1","$causationId":"transfer-1"}"#,
    ),
    event(
        "account-grace",
        "Withdrawn",
        r#"{"amount":60,"reference":"dinner"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "Deposited",
        r#"{"amount":150,"reference":"lecture fee"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        "Withdrawn",
        r#"{"amount":30,"reference":"train"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "Deposited",
        r#"{"amount":90,"reference":"sold a bike"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "Withdrawn",
        r#"{"amount":80,"reference":"chess set"}"#,
        r#"{}"#,
    ),
    event(
        "account-ada",
        "Deposited",
        r#"{"amount":20,"reference":"cashback"}"#,
        r#"{}"#,
    ),
    event(
        "account-grace",
        "Withdrawn",
        r#"{"amount":45,"reference":"books"}"#,
        r#"{}"#,
    ),
    event(
        "account-alan",
        "AccountClosed",
        r#"{"reason":"moved abroad"}"#,
        r#"{}"#,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_about_twenty_valid_events_over_three_streams() {
        let mut streams: Vec<&str> = BANK_ACCOUNTS.iter().map(|e| e.stream).collect();
        streams.dedup();
        streams.sort();
        streams.dedup();
        assert_eq!(streams, ["account-ada", "account-alan", "account-grace"]);
        assert_eq!(BANK_ACCOUNTS.len(), 20);
        for event in BANK_ACCOUNTS {
            serde_json::from_str::<serde_json::Value>(event.data).unwrap();
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(event.metadata)
                .unwrap();
        }
    }
}
