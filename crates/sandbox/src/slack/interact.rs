//! The interaction client: Slack posts a button click to the app's Request URL (Slack's docs:
//! "Handling user interaction", the `block_actions` payload), signed with the app's signing
//! secret ("Verifying requests from Slack"):
//!
//! - body: `application/x-www-form-urlencoded`, one field `payload=<JSON>`;
//! - `X-Slack-Request-Timestamp: <unix seconds>`;
//! - `X-Slack-Signature: v0=<lower-case hex HMAC-SHA256(signing secret, "v0:{timestamp}:{body}")>`.
//!
//! `POST /_control/slack/interact` makes the sandbox click: `{"message_id": 3 | "ts": "…",
//! "action_id": "retry_sync", "target": "http://127.0.0.1:PORT/…", "variant": "valid" |
//! "bad_signature" | "stale" | "replay"}` → `{"statuses": [200], "bodies": ["…"], "payload":
//! {…}, "timestamp": "…", "signature": "v0=…", "response_url": "…"}`. `bad_signature` signs
//! with another secret, `stale` signs correctly a timestamp six minutes old (Slack's advice is
//! to refuse anything older than five), `replay` sends the same signed request twice (two
//! statuses). A target that cannot be reached gives a `null` status and its error in
//! `errors`.
//!
//! The payload's `response_url` (`{base}/slack/actions/<opaque>`) takes JSON
//! `{"replace_original": true, "text", "blocks"}`, `{"delete_original": true}` or
//! `{"response_type": "ephemeral" | "in_channel", "text"}`, each kept as an update of the
//! clicked message (`via: "response_url"`, `kind` `replace`, `delete`, `ephemeral` or
//! `in_channel`); up to 5 times within 30 minutes, then 404 `used_url` / `expired_url`.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};

use super::store::{
    with_block_ids, Message, ResponseUrl, Update, RESPONSE_URL_LIFETIME, RESPONSE_URL_USES,
};
use super::{APP_ID, SIGNING_SECRET, TEAM_DOMAIN, TEAM_ID, USER_ID, USER_NAME, VERIFICATION_TOKEN};
use crate::app::AppState;
use crate::signing::hmac_sha256;

/// How old a `stale` click's timestamp is: six minutes, past Slack's five.
const STALE_SECS: i64 = 6 * 60;

/// `v0=` and the lower-case hex HMAC-SHA256 of `v0:{timestamp}:{body}` under `secret`.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mac = hmac_sha256(
        secret.as_bytes(),
        format!("v0:{timestamp}:{body}").as_bytes(),
    );
    format!("v0={}", super::hex(&mac))
}

/// The body of `POST /_control/slack/interact`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractRequest {
    message_id: Option<u64>,
    ts: Option<String>,
    action_id: String,
    target: String,
    #[serde(default = "valid")]
    variant: String,
}

fn valid() -> String {
    "valid".into()
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// The button `action_id` names among `blocks`: in an `actions` block's elements or as a
/// section's accessory. Gives (block_id, the element).
fn find_button(blocks: &Value, action_id: &str) -> Option<(String, Value)> {
    for block in blocks.as_array()? {
        let block_id = block
            .get("block_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut elements: Vec<&Value> = Vec::new();
        if block.get("type").and_then(Value::as_str) == Some("actions") {
            if let Some(list) = block.get("elements").and_then(Value::as_array) {
                elements.extend(list);
            }
        }
        if let Some(accessory) = block.get("accessory") {
            elements.push(accessory);
        }
        if let Some(element) = elements
            .into_iter()
            .find(|e| e.get("action_id").and_then(Value::as_str) == Some(action_id))
        {
            return Some((block_id, element.clone()));
        }
    }
    None
}

/// `POST /_control/slack/interact`
pub async fn interact(
    State(app): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<InteractRequest>, JsonRejection>,
) -> Response {
    let request = match payload {
        Ok(Json(r)) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.body_text()),
    };
    if !["valid", "bad_signature", "stale", "replay"].contains(&request.variant.as_str()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "variant must be valid, bad_signature, stale or replay",
        );
    }
    let base = super::base_url(&headers);
    let now = chrono::Utc::now();
    let (body, payload, response_url) = {
        let mut slack = app.slack.lock();
        let message: Option<Message> = slack
            .messages
            .iter()
            .find(|m| match (&request.message_id, &request.ts) {
                (Some(id), _) => m.id == *id,
                (None, Some(ts)) => m.ts == *ts,
                (None, None) => false,
            })
            .cloned();
        let Some(message) = message else {
            return refuse(
                StatusCode::NOT_FOUND,
                "no kept message has that message_id or ts",
            );
        };
        let (_, blocks) = message.current();
        let blocks = blocks.map(|b| with_block_ids(&message.ts, b));
        let Some((block_id, button)) = blocks
            .as_ref()
            .and_then(|b| find_button(b, &request.action_id))
        else {
            return refuse(
                StatusCode::NOT_FOUND,
                format!(
                    "the message has no button with action_id {:?}",
                    request.action_id
                ),
            );
        };
        let mut opaque_bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut opaque_bytes);
        let opaque = URL_SAFE_NO_PAD.encode(opaque_bytes);
        slack.response_urls.insert(
            opaque.clone(),
            ResponseUrl {
                message_id: message.id,
                issued: Instant::now(),
                uses: 0,
            },
        );
        let response_url = format!("{base}/slack/actions/{opaque}");
        let action_ts = format!("{}.{:06}", now.timestamp(), now.timestamp_subsec_micros());
        let trigger_id = format!(
            "{}.{}.{}",
            now.timestamp_millis(),
            "7100000000002",
            super::hex(&opaque_bytes[..16])
        );
        let payload = json!({
            "type": "block_actions",
            "user": {
                "id": USER_ID,
                "username": USER_NAME,
                "name": USER_NAME,
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": false,
            },
            "trigger_id": trigger_id,
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": {"id": message.channel, "name": message.channel_name},
            "message": message.slack_shape(),
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [{
                "action_id": request.action_id,
                "block_id": block_id,
                "text": button.get("text").cloned().unwrap_or(Value::Null),
                "value": button.get("value").cloned().unwrap_or(Value::Null),
                "type": button.get("type").cloned().unwrap_or_else(|| json!("button")),
                "action_ts": action_ts,
            }],
        });
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        (body, payload, response_url)
    };
    let timestamp = match request.variant.as_str() {
        "stale" => now.timestamp() - STALE_SECS,
        _ => now.timestamp(),
    }
    .to_string();
    let secret = if request.variant == "bad_signature" {
        "not-the-signing-secret"
    } else {
        SIGNING_SECRET
    };
    let signature = signature(secret, &timestamp, &body);
    let sends = if request.variant == "replay" { 2 } else { 1 };
    let client = reqwest::Client::new();
    let (mut statuses, mut bodies, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..sends {
        let sent = client
            .post(&request.target)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", &timestamp)
            .header("x-slack-signature", &signature)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(answer) => {
                statuses.push(json!(answer.status().as_u16()));
                bodies.push(json!(answer.text().await.unwrap_or_default()));
                errors.push(Value::Null);
            }
            Err(e) => {
                statuses.push(Value::Null);
                bodies.push(json!(""));
                errors.push(json!(e.to_string()));
            }
        }
    }
    let mut answer = json!({
        "statuses": statuses,
        "bodies": bodies,
        "payload": payload,
        "timestamp": timestamp,
        "signature": signature,
        "response_url": response_url,
    });
    if errors.iter().any(|e| !e.is_null()) {
        answer["errors"] = json!(errors);
    }
    Json(answer).into_response()
}

fn slack_error(status: StatusCode, error: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"ok": false, "error": error}).to_string(),
    )
        .into_response()
}

/// `POST /slack/actions/{opaque}`: a response URL.
pub async fn response_url(
    State(app): State<AppState>,
    Path(opaque): Path<String>,
    body: Bytes,
) -> Response {
    app.count_call("POST /slack/actions");
    let Ok(Value::Object(reply)) = serde_json::from_slice::<Value>(&body) else {
        return slack_error(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let flag = |name: &str| reply.get(name).and_then(Value::as_bool).unwrap_or(false);
    let text = reply
        .get("text")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let blocks = reply.get("blocks").filter(|b| !b.is_null()).cloned();
    let kind = if flag("delete_original") {
        "delete"
    } else if flag("replace_original") {
        "replace"
    } else if reply.get("response_type").and_then(Value::as_str) == Some("in_channel") {
        "in_channel"
    } else {
        "ephemeral"
    };
    let blocks = match (kind, blocks) {
        ("delete", _) => None,
        (_, None) => None,
        (_, Some(b)) => match super::blocks::check(&b) {
            Ok(list) => Some(Value::Array(list)),
            Err(_) => return slack_error(StatusCode::BAD_REQUEST, "invalid_blocks"),
        },
    };
    if kind != "delete" && text.is_none() && blocks.is_none() {
        return slack_error(StatusCode::BAD_REQUEST, "no_text");
    }
    {
        let mut slack = app.slack.lock();
        let Some(url) = slack.response_urls.get_mut(&opaque) else {
            return slack_error(StatusCode::NOT_FOUND, "expired_url");
        };
        if url.issued.elapsed() > RESPONSE_URL_LIFETIME {
            return slack_error(StatusCode::NOT_FOUND, "expired_url");
        }
        if url.uses >= RESPONSE_URL_USES {
            return slack_error(StatusCode::NOT_FOUND, "used_url");
        }
        url.uses += 1;
        let message_id = url.message_id;
        let Some(message) = slack.message_mut(message_id) else {
            return slack_error(StatusCode::NOT_FOUND, "message_not_found");
        };
        message.updates.push(Update {
            via: "response_url".into(),
            kind: kind.into(),
            text,
            blocks,
            at: super::now_rfc3339(),
        });
    }
    app.persist();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"ok": true}).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_follows_slacks_recipe() {
        // Slack's docs, "Verifying requests from Slack": the example's base string and secret.
        let sig = signature(
            "8f742231b10e8888abcd99yyyzzz85a5",
            "1531420618",
            "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
        );
        assert_eq!(
            sig,
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }

    #[test]
    fn buttons_are_found_in_actions_blocks_and_accessories() {
        let blocks = json!([
            {"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": "x"},
             "accessory": {"type": "button", "action_id": "open", "text": {"type": "plain_text", "text": "Open"}}},
            {"type": "actions", "block_id": "a", "elements": [
                {"type": "button", "action_id": "retry_sync", "value": "7",
                 "text": {"type": "plain_text", "text": "Retry sync"}}]},
        ]);
        let (block, button) = find_button(&blocks, "retry_sync").unwrap();
        assert_eq!(block, "a");
        assert_eq!(button["value"], "7");
        assert_eq!(find_button(&blocks, "open").unwrap().0, "s");
        assert!(find_button(&blocks, "nope").is_none());
    }
}
