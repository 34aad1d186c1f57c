//! Xero's webhooks: `x-xero-signature` over the raw body with the app's webhook key, and a
//! body of `events` (each naming its `tenantId`) with sequence numbers and `entropy`.
//! Source: Xero's webhooks documentation and its OpenAPI description
//! (XeroAPI/Xero-OpenAPI, `xero-webhooks.yaml`, schema `WebhookEvent`).
//!
//! The "intent to receive" check Xero makes before it turns a subscription on is a
//! delivery with no events, once signed and once badly signed: it reads as zero events
//! and is answered like any other delivery (200 or 401).

use crate::webhook::{event_digest, WebhookEvent, WebhookSpec};
use serde::Deserialize;

/// How Xero signs and shapes its deliveries.
pub const WEBHOOK: WebhookSpec = WebhookSpec {
    signature_header: "x-xero-signature",
    key_name: "webhook key",
    parse,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    events: Vec<Event>,
    #[allow(dead_code)]
    first_event_sequence: i64,
    #[allow(dead_code)]
    last_event_sequence: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    tenant_id: String,
    /// `ORGANISATION`, or `APPLICATION` for subscription events, which name no organisation.
    tenant_type: String,
    resource_id: String,
    event_category: String,
    event_type: String,
    event_date_utc: String,
}

/// Xero's events carry no id of their own: an event is the same event when its tenant,
/// category, resource, type and time are (a redelivery repeats them exactly).
fn parse(body: &[u8]) -> Result<Vec<WebhookEvent>, String> {
    let delivery: Delivery = serde_json::from_slice(body)
        .map_err(|e| format!("not a Xero webhook delivery ({})", e.classify_words()))?;
    Ok(delivery
        .events
        .into_iter()
        .filter(|e| e.tenant_type.eq_ignore_ascii_case("ORGANISATION"))
        .map(|e| WebhookEvent {
            event_key: event_digest(&[
                &e.tenant_id,
                &e.event_category,
                &e.resource_id,
                &e.event_type,
                &e.event_date_utc,
            ]),
            tenant_id: e.tenant_id,
        })
        .collect())
}

/// Words for a JSON error without its position's text (the body is not repeated).
trait ClassifyWords {
    fn classify_words(&self) -> &'static str;
}

impl ClassifyWords for serde_json::Error {
    fn classify_words(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "broken JSON",
            serde_json::error::Category::Data => "a field is missing or of the wrong type",
            serde_json::error::Category::Io => "unreadable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELIVERY: &str = r#"{
      "events": [
        {"resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/55d84274-a3da-4829-a7c0-0cab601b95cc",
         "resourceId": "55d84274-a3da-4829-a7c0-0cab601b95cc",
         "tenantId": "aef86862-2015-4b6b-88bc-d89032cecc50", "tenantType": "ORGANISATION",
         "eventCategory": "INVOICE", "eventType": "UPDATE", "eventDateUtc": "2026-11-02T00:44:09.923"},
        {"resourceUrl": "https://api.xero.com/connections/1", "resourceId": "1",
         "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f", "tenantType": "APPLICATION",
         "eventCategory": "SUBSCRIPTION", "eventType": "CREATE", "eventDateUtc": "2026-11-02T00:44:10.000"}
      ],
      "firstEventSequence": 76, "lastEventSequence": 77, "entropy": "FXNGWLCCGVANWHKILRUB"
    }"#;

    #[test]
    fn organisation_events_name_their_tenant_and_application_events_are_left_out() {
        let events = parse(DELIVERY.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].tenant_id, "aef86862-2015-4b6b-88bc-d89032cecc50");
        assert_eq!(
            parse(DELIVERY.as_bytes()).unwrap(),
            events,
            "same key again"
        );
    }

    #[test]
    fn the_intent_to_receive_check_is_a_delivery_of_no_events() {
        let body = br#"{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}"#;
        assert_eq!(parse(body).unwrap(), vec![]);
    }

    #[test]
    fn a_broken_body_is_refused_without_repeating_it() {
        let err = parse(b"{\"events\": [secret").unwrap_err();
        assert!(
            err.contains("broken JSON") && !err.contains("secret"),
            "{err}"
        );
        let err = parse(b"{\"events\": 1}").unwrap_err();
        assert!(err.contains("wrong type"), "{err}");
    }
}
