//! The sandbox as a webhook sender: it signs and posts deliveries as Xero and Intuit do,
//! to an address a test (or a person trying `carbonsync serve`) names, and reports how
//! each was answered.
//!
//! Control API:
//! - `GET /_control/webhooks/{platform}/key` → `{"key": "…"}`: the key the sandbox signs
//!   that platform's deliveries with (the same for the same seed).
//! - `POST /_control/webhooks/send` with `{"platform": "xero" | "quickbooks", "to": URL,
//!   "kind": "signed" | "bad_signature" | "replay" | "intent", "count": N, "tenant": ID,
//!   "format": "cloudevents" | "legacy"}` (only `platform` and `to` required): `signed`
//!   sends N distinct deliveries at once (a burst), `bad_signature` one signed with
//!   another key, `replay` the last delivery again byte for byte with its signature,
//!   `intent` Xero's "intent to receive" check (one empty delivery signed, one badly
//!   signed). Answers `{"answers": [{"status": 200, "body": "", "millis": 12}, …]}`.
//!
//! Shapes: Xero's `WebhookEvent` (XeroAPI/Xero-OpenAPI `xero-webhooks.yaml`); Intuit's
//! legacy `eventNotifications` and its CloudEvents array.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::time::Instant;
use uuid::Uuid;

use crate::app::AppState;
use crate::company::UK_TENANT_ID;
use crate::quickbooks::REALM_ID;

/// The most deliveries one call sends: more is surely a mistake in a test.
const MAX_BURST: usize = 500;

/// What the sender remembers: the last delivery of each platform, for `replay`, and
/// Xero's event sequence.
#[derive(Default)]
pub struct Sent {
    last: Mutex<Vec<(String, Delivery)>>,
    sequence: Mutex<i64>,
}

#[derive(Clone)]
struct Delivery {
    body: String,
    signature: String,
}

/// The header each platform signs in.
fn signature_header(platform: &str) -> Option<&'static str> {
    match platform {
        "xero" => Some("x-xero-signature"),
        "quickbooks" => Some("intuit-signature"),
        _ => None,
    }
}

/// The key the sandbox signs `platform`'s deliveries with: derived from the seed, so a
/// sandbox started again (or in another process) with the same seed signs the same way.
pub fn webhook_key(platform: &str, seed: u64) -> String {
    let digest = Sha256::digest(format!("carbonsync sandbox {platform} webhook key {seed}"));
    base64::engine::general_purpose::STANDARD.encode(digest)
}

fn sign(key: &str, body: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(crate::signing::hmac_sha256(key.as_bytes(), body.as_bytes()))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_control/webhooks/{platform}/key", get(key))
        .route("/_control/webhooks/send", post(send))
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn key(State(state): State<AppState>, Path(platform): Path<String>) -> Response {
    if signature_header(&platform).is_none() {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("the sandbox sends no {platform} webhooks"),
        );
    }
    Json(json!({ "key": webhook_key(&platform, state.opts.seed) })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    platform: String,
    to: String,
    #[serde(default = "signed")]
    kind: String,
    #[serde(default = "one")]
    count: usize,
    tenant: Option<String>,
    #[serde(default = "cloudevents")]
    format: String,
}

fn signed() -> String {
    "signed".into()
}
fn one() -> usize {
    1
}
fn cloudevents() -> String {
    "cloudevents".into()
}

async fn send(State(state): State<AppState>, Json(req): Json<SendRequest>) -> Response {
    let Some(header) = signature_header(&req.platform) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("the sandbox sends no {} webhooks", req.platform),
        );
    };
    if req.count == 0 || req.count > MAX_BURST {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("count must be 1 to {MAX_BURST}"),
        );
    }
    let key = webhook_key(&req.platform, state.opts.seed);
    let deliveries: Vec<Delivery> = match req.kind.as_str() {
        "signed" => (0..req.count)
            .map(|_| {
                let body = delivery_body(&state, &req);
                Delivery {
                    signature: sign(&key, &body),
                    body,
                }
            })
            .collect(),
        "bad_signature" => {
            let body = delivery_body(&state, &req);
            vec![Delivery {
                signature: sign("not the key", &body),
                body,
            }]
        }
        "replay" => {
            let last = state.webhooks.last.lock().unwrap_or_else(|e| e.into_inner());
            match last.iter().rev().find(|(p, _)| *p == req.platform) {
                Some((_, d)) => vec![d.clone()],
                None => {
                    return refuse(
                        StatusCode::CONFLICT,
                        format!("no {} delivery has been sent yet to replay", req.platform),
                    )
                }
            }
        }
        "intent" if req.platform == "xero" => {
            let body = json!({
                "events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                "entropy": entropy(),
            })
            .to_string();
            vec![
                Delivery {
                    signature: sign(&key, &body),
                    body: body.clone(),
                },
                Delivery {
                    signature: sign("not the key", &body),
                    body,
                },
            ]
        }
        other => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("kind {other:?} is not one of signed, bad_signature, replay, intent (intent: Xero only)"),
            )
        }
    };
    if req.kind == "signed" {
        if let Some(d) = deliveries.last() {
            let mut last = state
                .webhooks
                .last
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            last.retain(|(p, _)| *p != req.platform);
            last.push((req.platform.clone(), d.clone()));
        }
    }
    let client = reqwest::Client::new();
    let posts = deliveries.into_iter().map(|d| {
        let client = client.clone();
        let to = req.to.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = client
                .post(&to)
                .header("content-type", "application/json")
                .header(header, d.signature)
                .body(d.body)
                .send()
                .await;
            let millis = started.elapsed().as_millis() as u64;
            match answer {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap_or_default();
                    json!({ "status": status, "body": body, "millis": millis })
                }
                Err(e) => json!({ "status": null, "error": e.to_string(), "millis": millis }),
            }
        })
    });
    let mut answers = Vec::new();
    for p in posts.collect::<Vec<_>>() {
        answers.push(
            p.await
                .unwrap_or_else(|e| json!({ "error": e.to_string() })),
        );
    }
    Json(json!({ "answers": answers })).into_response()
}

/// One delivery of one fresh event, in the platform's shape.
fn delivery_body(state: &AppState, req: &SendRequest) -> String {
    let now = chrono::Utc::now();
    match req.platform.as_str() {
        "xero" => {
            let sequence = {
                let mut s = state
                    .webhooks
                    .sequence
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                *s += 1;
                *s
            };
            let tenant = req
                .tenant
                .clone()
                .unwrap_or_else(|| UK_TENANT_ID.to_string());
            let resource = Uuid::new_v4();
            json!({
                "events": [{
                    "resourceUrl": format!("https://api.xero.com/api.xro/2.0/Invoices/{resource}"),
                    "resourceId": resource,
                    "tenantId": tenant,
                    "tenantType": "ORGANISATION",
                    "eventCategory": "INVOICE",
                    "eventType": "UPDATE",
                    // Xero writes UTC without a zone designator, to the millisecond.
                    "eventDateUtc": now.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
                }],
                "firstEventSequence": sequence,
                "lastEventSequence": sequence,
                "entropy": entropy(),
            })
            .to_string()
        }
        _ => {
            let realm = req.tenant.clone().unwrap_or_else(|| REALM_ID.to_string());
            let entity = (now.timestamp_subsec_micros() % 900 + 100).to_string();
            let time = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            if req.format == "legacy" {
                json!({"eventNotifications": [{
                    "realmId": realm,
                    "dataChangeEvent": {"entities": [{
                        "name": "Purchase", "id": entity, "operation": "Update",
                        "lastUpdated": time,
                    }]},
                }]})
                .to_string()
            } else {
                json!([{
                    "specversion": "1.0",
                    "id": Uuid::new_v4(),
                    "source": "intuit.sandbox",
                    "type": "qbo.purchase.updated.v1",
                    "datacontenttype": "application/json",
                    "time": time,
                    "intuitentityid": entity,
                    "intuitaccountid": realm,
                    "data": {},
                }])
                .to_string()
            }
        }
    }
}

/// Xero's `entropy`: 20 random capital letters.
fn entropy() -> String {
    let bytes = Uuid::new_v4().into_bytes();
    let more = Uuid::new_v4().into_bytes();
    bytes
        .iter()
        .chain(more.iter())
        .take(20)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}
