//! QuickBooks Online's webhooks: `intuit-signature` over the raw body with the app's
//! verifier token, in either of the two payloads Intuit sends:
//!
//! - the legacy one, `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities":
//!   [{"name", "id", "operation", "lastUpdated"}]}}]}`;
//! - CloudEvents (Intuit's format from 2026), a JSON array of events each with its own
//!   `id`, a `type` such as `qbo.bill.updated.v1`, `intuitaccountid` (the realm) and
//!   `intuitentityid`.
//!
//! Source: Intuit's webhooks documentation and its note "Upcoming change to webhooks
//! payload structure" (November 2025); Intuit's SDKs read both.

use crate::webhook::{event_digest, WebhookEvent, WebhookSpec};
use serde::Deserialize;

/// How Intuit signs and shapes its deliveries.
pub const WEBHOOK: WebhookSpec = WebhookSpec {
    signature_header: "intuit-signature",
    key_name: "verifier token",
    parse,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Legacy {
    event_notifications: Vec<Notification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    realm_id: String,
    data_change_event: DataChange,
}

#[derive(Deserialize)]
struct DataChange {
    entities: Vec<Entity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entity {
    name: String,
    id: String,
    operation: String,
    last_updated: String,
}

#[derive(Deserialize)]
struct CloudEvent {
    id: String,
    intuitaccountid: String,
}

fn parse(body: &[u8]) -> Result<Vec<WebhookEvent>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "not a QuickBooks webhook: broken JSON")?;
    if value.is_array() {
        let events: Vec<CloudEvent> = serde_json::from_value(value).map_err(|_| {
            "not a QuickBooks CloudEvents delivery: an event lacks `id` or `intuitaccountid`"
        })?;
        return Ok(events
            .into_iter()
            .map(|e| WebhookEvent {
                tenant_id: e.intuitaccountid,
                event_key: e.id,
            })
            .collect());
    }
    let legacy: Legacy = serde_json::from_value(value).map_err(|_| {
        "not a QuickBooks webhook: neither a CloudEvents array nor `eventNotifications`"
    })?;
    let mut events = Vec::new();
    for n in legacy.event_notifications {
        for e in n.data_change_event.entities {
            // The legacy payload has no event id: an entity's change is the same event when
            // its realm, entity, id, operation and time are.
            events.push(WebhookEvent {
                event_key: event_digest(&[
                    &n.realm_id,
                    &e.name,
                    &e.id,
                    &e.operation,
                    &e.last_updated,
                ]),
                tenant_id: n.realm_id.clone(),
            });
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legacy_payload_names_the_realm_of_each_entity() {
        let body = br#"{"eventNotifications":[{"realmId":"9341453050090071","dataChangeEvent":{"entities":[
            {"name":"Purchase","id":"145","operation":"Update","lastUpdated":"2026-11-28T21:30:48.000Z"},
            {"name":"Bill","id":"146","operation":"Delete","lastUpdated":"2026-11-28T21:30:49.000Z"}]}}]}"#;
        let events = parse(body).unwrap();
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.tenant_id == "9341453050090071"));
        assert_ne!(events[0].event_key, events[1].event_key);
    }

    #[test]
    fn cloud_events_keep_their_own_ids() {
        let body = br#"[{"specversion":"1.0","id":"88cd52f3-5a3a-4e5e-9cd2-3b1c1c9b6c4a",
            "source":"intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=","type":"qbo.bill.updated.v1",
            "datacontenttype":"application/json","time":"2026-11-28T21:30:48.000Z",
            "intuitentityid":"146","intuitaccountid":"9341453050090071","data":{}}]"#;
        assert_eq!(
            parse(body).unwrap(),
            vec![WebhookEvent {
                tenant_id: "9341453050090071".into(),
                event_key: "88cd52f3-5a3a-4e5e-9cd2-3b1c1c9b6c4a".into()
            }]
        );
    }

    #[test]
    fn other_shapes_are_refused_in_words() {
        assert!(parse(b"[{\"id\": 1}]").unwrap_err().contains("CloudEvents"));
        assert!(parse(b"{\"x\": 1}")
            .unwrap_err()
            .contains("eventNotifications"));
        assert!(parse(b"{").unwrap_err().contains("broken JSON"));
    }
}
