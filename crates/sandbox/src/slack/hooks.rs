//! Incoming webhooks (Slack's docs: "Sending messages using incoming webhooks"): one URL per
//! channel, `{base}/slack/hooks/T0SANDBOX01/B…/<secret>`, shaped like
//! `https://hooks.slack.com/services/T…/B…/<24 characters>`. The hook id and secret are
//! HMACs of the channel under a key derived from the seed, so a URL handed out by one
//! sandbox process still works in the next one started with the same seed.
//!
//! A POST of JSON `{"text", "blocks"}` (or a form whose `payload` field holds that JSON)
//! answers 200 `ok` (`text/html`). Errors are plain-text bodies, as Slack sends them:
//! 400 `invalid_payload` (not JSON), 400 `no_text`, 400 `invalid_blocks`, 404 `no_service`
//! (unknown or disabled hook), 404 `channel_not_found`, 410 `channel_is_archived`,
//! 403 `action_prohibited` (a fault only), 429 `rate_limited` with `Retry-After` (the same
//! per-channel pace as `chat.postMessage`). Messages a webhook posts cannot be edited with
//! `chat.update` (`cant_update_message`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::api::content;
use super::store::Message;
use super::TEAM_ID;
use crate::app::AppState;
use crate::signing::hmac_sha256;

fn key(seed: u64) -> Vec<u8> {
    format!("carbonsync sandbox slack incoming webhooks {seed}").into_bytes()
}

/// The hook id of `channel`'s webhook: `B` and ten upper-case hex digits.
pub fn hook_id(seed: u64, channel: &str) -> String {
    let mac = hmac_sha256(&key(seed), format!("hook id {channel}").as_bytes());
    format!("B{}", super::hex(&mac[..5]).to_ascii_uppercase())
}

/// The secret part of `channel`'s webhook URL: 24 letters and digits.
pub fn hook_secret(seed: u64, channel: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mac = hmac_sha256(&key(seed), format!("hook secret {channel}").as_bytes());
    mac.iter()
        .take(24)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// `channel`'s webhook URL under `base`.
pub fn url(base: &str, seed: u64, channel: &str) -> String {
    format!(
        "{base}/slack/hooks/{TEAM_ID}/{}/{}",
        hook_id(seed, channel),
        hook_secret(seed, channel)
    )
}

/// A plain-text answer, as incoming webhooks give.
fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The status Slack gives a webhook error (for queued faults).
fn status_of(error: &str) -> StatusCode {
    match error {
        "invalid_payload" | "no_text" | "invalid_blocks" | "too_many_attachments" => {
            StatusCode::BAD_REQUEST
        }
        "action_prohibited" | "posting_to_general_channel_denied" | "invalid_token" => {
            StatusCode::FORBIDDEN
        }
        "no_service" | "channel_not_found" | "user_not_found" | "no_team" => StatusCode::NOT_FOUND,
        "channel_is_archived" => StatusCode::GONE,
        "rate_limited" | "ratelimited" => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn rate_limited(app: &AppState, wait: u64) -> Response {
    app.stats().rate_limited += 1;
    let mut response = text(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    if let Ok(value) = HeaderValue::from_str(&wait.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `POST /slack/hooks/{team}/{hook}/{secret}`
pub async fn incoming(
    State(app): State<AppState>,
    Path((team, hook, secret)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    app.count_call("POST /slack/hooks");
    let seed = app.slack.seed;
    let mut slack = app.slack.lock();
    let channel = slack
        .channels
        .iter()
        .find(|c| super::same(&hook_id(seed, &c.id), &hook))
        .filter(|c| team == TEAM_ID && super::same(&hook_secret(seed, &c.id), &secret))
        .cloned();
    let Some(channel) = channel.filter(|c| !slack.disabled_hooks.contains(&c.id)) else {
        return text(StatusCode::NOT_FOUND, "no_service");
    };
    if let Some(fault) = slack.take_fault("webhook") {
        drop(slack);
        let status = fault
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or_else(|| status_of(&fault.error));
        if status == StatusCode::TOO_MANY_REQUESTS {
            return rate_limited(&app, fault.retry_after);
        }
        return (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            fault.error,
        )
            .into_response();
    }
    let payload = parse_payload(&body);
    let Some(payload) = payload else {
        return text(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    if channel.archived {
        return text(StatusCode::GONE, "channel_is_archived");
    }
    let text_arg = payload
        .get("text")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let blocks = payload
        .get("blocks")
        .filter(|b| !b.is_null())
        .map(|b| match b {
            Value::String(s) => serde_json::from_str(s).map_err(|_| ()),
            other => Ok(other.clone()),
        });
    let content = match content(text_arg, blocks, payload.get("attachments").cloned()) {
        Ok(content) => content,
        Err(refusal) => {
            return text(
                StatusCode::BAD_REQUEST,
                match refusal.code {
                    "no_text" => "no_text",
                    "msg_too_long" => "msg_too_long",
                    _ => "invalid_blocks",
                },
            )
        }
    };
    if let Err(wait) = slack.pace(&channel.id) {
        drop(slack);
        return rate_limited(&app, wait);
    }
    let ts = slack.next_ts();
    slack.keep(Message {
        id: 0,
        via: "webhook".into(),
        channel: channel.id.clone(),
        channel_name: channel.name.clone(),
        ts,
        thread_ts: payload
            .get("thread_ts")
            .and_then(Value::as_str)
            .map(str::to_owned),
        text: content.text,
        blocks: content.blocks,
        attachments: content.attachments,
        files: Vec::new(),
        updates: Vec::new(),
        received_at: super::now_rfc3339(),
    });
    drop(slack);
    app.persist();
    tracing::info!(channel = %channel.name, "Slack incoming webhook posted");
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], "ok").into_response()
}

/// The JSON object a webhook was sent: the body itself, or a form's `payload` field.
fn parse_payload(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) {
        return Some(object);
    }
    let payload = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())?;
    match serde_json::from_str::<Value>(&payload) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_depend_on_seed_and_channel_only() {
        let a = url("http://x", 7, "C0SANDBOX03");
        assert_eq!(a, url("http://x", 7, "C0SANDBOX03"));
        assert_ne!(a, url("http://x", 8, "C0SANDBOX03"));
        assert_ne!(a, url("http://x", 7, "C0SANDBOX02"));
        let secret = a.rsplit('/').next().unwrap();
        assert_eq!(secret.len(), 24);
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(hook_id(7, "C0SANDBOX03").len(), 11);
    }

    #[test]
    fn payloads_come_as_json_or_a_form_field() {
        assert!(parse_payload(br#"{"text":"hi"}"#).is_some());
        assert!(parse_payload(b"payload=%7B%22text%22%3A%22hi%22%7D").is_some());
        assert!(parse_payload(b"not json").is_none());
        assert!(parse_payload(b"[1,2]").is_none());
    }
}
