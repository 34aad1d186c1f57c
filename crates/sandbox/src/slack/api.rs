//! The Web API (`/slack/api/{method}`, slack.com/api/{method}): one route, dispatched by
//! method name, so queued faults and `unknown_method` work alike for every method.
//!
//! Every answer is HTTP 200 with `{"ok": true, …}` or `{"ok": false, "error": "<code>"}`
//! (Slack's docs: "Web API basics: evaluating responses"), except a rate limit (HTTP 429 with
//! `Retry-After: <seconds>` and `{"ok":false,"error":"ratelimited"}`) and an unknown method
//! (HTTP 404, `unknown_method`). Token errors: none given `not_authed`, unknown
//! `invalid_auth`, revoked `token_revoked`; a token without the method's scope
//! `missing_scope` with `needed` and `provided`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::args::{self, Call};
use super::blocks;
use super::channels::Channel;
use super::store::{Message, Update};
use super::{oauth, upload, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, TEAM_NAME};
use crate::app::AppState;
use crate::auth::grants::Grant;
use crate::auth::profile::{Platform, SLACK};
use crate::auth::secrets::fingerprint;
use crate::clock::now_ms;

/// The most characters of `text` a message may have (Slack's docs: chat.postMessage,
/// "Truncating content": messages over 40,000 characters are refused with `msg_too_long`).
pub const MAX_TEXT: usize = 40_000;

/// The methods served, for the call counters (others count as `unknown`).
const METHODS: &[&str] = &[
    "api.test",
    "auth.test",
    "auth.revoke",
    "oauth.v2.access",
    "conversations.list",
    "conversations.info",
    "chat.postMessage",
    "chat.update",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
];

/// `GET|POST /slack/api/{method}`
pub async fn web_api(
    State(app): State<AppState>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let known = METHODS.contains(&method.as_str());
    app.count_call(&format!(
        "POST /slack/{}",
        if known { method.as_str() } else { "unknown" }
    ));
    if !known {
        return answer(
            StatusCode::NOT_FOUND,
            json!({"ok": false, "error": "unknown_method", "req_method": method}),
            &[],
        );
    }
    let call = match args::read(&headers, query.as_deref(), &body) {
        Ok(call) => call,
        Err(code) => return fail(code),
    };
    let fault = app.slack.lock().take_fault(&method);
    if let Some(fault) = fault {
        if fault.error == "ratelimited" || fault.error == "rate_limited" {
            return ratelimited(&app, fault.retry_after);
        }
        let status = fault
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        return answer(status, json!({"ok": false, "error": fault.error}), &[]);
    }
    match method.as_str() {
        "api.test" => api_test(&call),
        "auth.test" => auth_test(&app, &call),
        "auth.revoke" => auth_revoke(&app, &call),
        "oauth.v2.access" => oauth::access(&app, &headers, &call),
        "conversations.list" => conversations_list(&app, &call),
        "conversations.info" => conversations_info(&app, &call),
        "chat.postMessage" => post_message(&app, &call),
        "chat.update" => update_message(&app, &call),
        "files.getUploadURLExternal" => upload::get_upload_url(&app, &headers, &call),
        "files.completeUploadExternal" => upload::complete_upload(&app, &call),
        _ => fail("unknown_method"),
    }
}

/// A JSON answer with `status`, Slack's `warning` and `response_metadata.warnings` added
/// when there are any.
pub fn answer(status: StatusCode, mut body: Value, warnings: &[&str]) -> Response {
    if !warnings.is_empty() {
        body["warning"] = json!(warnings.join(","));
        let metadata = body
            .as_object_mut()
            .map(|o| o.entry("response_metadata").or_insert_with(|| json!({})));
        if let Some(Value::Object(metadata)) = metadata {
            metadata.insert("warnings".into(), json!(warnings));
        }
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// `{"ok": true, …fields}`.
pub fn ok(call: &Call, fields: Value) -> Response {
    let mut body = Map::new();
    body.insert("ok".into(), json!(true));
    if let Value::Object(fields) = fields {
        body.extend(fields);
    }
    answer(StatusCode::OK, Value::Object(body), &call.warnings)
}

/// `{"ok": false, "error": code}`, HTTP 200.
pub fn fail(code: &str) -> Response {
    answer(StatusCode::OK, json!({"ok": false, "error": code}), &[])
}

/// A rate limit: HTTP 429, `Retry-After`, `{"ok":false,"error":"ratelimited"}`.
pub fn ratelimited(app: &AppState, retry_after: u64) -> Response {
    app.stats().rate_limited += 1;
    let mut response = answer(
        StatusCode::TOO_MANY_REQUESTS,
        json!({"ok": false, "error": "ratelimited"}),
        &[],
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `missing_scope`, naming the scope needed and those the token has.
pub fn missing_scope(grant: &Grant, needed: &str) -> Response {
    answer(
        StatusCode::OK,
        json!({
            "ok": false,
            "error": "missing_scope",
            "needed": needed,
            "provided": scopes(grant).join(","),
        }),
        &[],
    )
}

/// The grant's scopes (Slack writes them comma-separated; spaces are taken too).
fn scopes(grant: &Grant) -> Vec<&str> {
    grant
        .scope
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether the grant holds `scope`.
pub fn has_scope(grant: &Grant, scope: &str) -> bool {
    scopes(grant).contains(&scope)
}

/// The grant behind the call's bot token, or Slack's error code refusing it.
pub fn authenticate(app: &AppState, call: &Call) -> Result<Grant, &'static str> {
    let Some(token) = call.token.as_deref() else {
        return Err("not_authed");
    };
    let checked = app.auth().check_access_on(Platform::Slack, token, now_ms());
    match checked {
        Ok(grant) => Ok(grant),
        Err(_) if app.slack.lock().revoked.contains(&fingerprint(token)) => Err("token_revoked"),
        Err(_) => Err("invalid_auth"),
    }
}

/// `api.test`: echoes its arguments; an `error` argument comes back as the error.
fn api_test(call: &Call) -> Response {
    if let Some(error) = call.str("error") {
        return answer(
            StatusCode::OK,
            json!({"ok": false, "error": error, "args": call.args}),
            &call.warnings,
        );
    }
    ok(call, json!({"args": call.args}))
}

/// `auth.test`: who the token is.
fn auth_test(app: &AppState, call: &Call) -> Response {
    if let Err(code) = authenticate(app, call) {
        return fail(code);
    }
    ok(
        call,
        json!({
            "url": format!("https://{TEAM_DOMAIN}.slack.com/"),
            "team": TEAM_NAME,
            "user": "carbonsync",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": false,
        }),
    )
}

/// `auth.revoke`: ends the token (and the install's grant). With `test=true` nothing is
/// revoked and the answer says `revoked: false`.
fn auth_revoke(app: &AppState, call: &Call) -> Response {
    if let Err(code) = authenticate(app, call) {
        return fail(code);
    }
    let token = call.token.clone().unwrap_or_default();
    if call.flag("test") {
        return ok(call, json!({"revoked": false}));
    }
    app.count_call(SLACK.calls.revoke);
    let revoked = app.auth().revoke_token_on(&SLACK, &token);
    if revoked {
        app.slack.lock().revoked.insert(fingerprint(&token));
        app.stats().tokens_revoked += 1;
        app.persist();
        tracing::info!("Slack bot token revoked");
    }
    ok(call, json!({"revoked": revoked}))
}

/// `conversations.list`: `types` (default `public_channel`; `private_channel` needs
/// `groups:read`, public ones `channels:read`), `exclude_archived`, `limit` (default 100, at
/// most 1000; a page holds at most the `page_cap` setting, 20 by default) and `cursor`
/// (Slack's: base64 of `team:<next channel id>`). The last page has `next_cursor: ""`.
fn conversations_list(app: &AppState, call: &Call) -> Response {
    let grant = match authenticate(app, call) {
        Ok(grant) => grant,
        Err(code) => return fail(code),
    };
    let types = call.str("types").unwrap_or_else(|| "public_channel".into());
    let (mut public, mut private) = (false, false);
    for kind in types.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match kind {
            "public_channel" => public = true,
            "private_channel" => private = true,
            // The bot is in no direct or group messages.
            "im" | "mpim" => {}
            _ => return fail("invalid_types"),
        }
    }
    if public && !has_scope(&grant, "channels:read") {
        return missing_scope(&grant, "channels:read");
    }
    if private && !has_scope(&grant, "groups:read") {
        return missing_scope(&grant, "groups:read");
    }
    let limit = match call.str("limit") {
        None => 100,
        Some(text) => match text.parse::<usize>() {
            Ok(0) => 100,
            Ok(n) => n.min(1000),
            Err(_) => return fail("invalid_limit"),
        },
    };
    let exclude_archived = call.flag("exclude_archived");
    let slack = app.slack.lock();
    let page_size = limit.min(slack.settings.page_cap.max(1));
    let listed: Vec<&Channel> = slack
        .channels
        .iter()
        .filter(|c| c.visible())
        .filter(|c| if c.private { private } else { public })
        .filter(|c| !(exclude_archived && c.archived))
        .collect();
    let start = match call.str("cursor") {
        None => 0,
        Some(cursor) => {
            let id = STANDARD
                .decode(cursor.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix("team:").map(str::to_owned));
            match id.and_then(|id| listed.iter().position(|c| c.id == id)) {
                Some(start) => start,
                None => return fail("invalid_cursor"),
            }
        }
    };
    let page: Vec<Value> = listed
        .iter()
        .skip(start)
        .take(page_size)
        .map(|c| c.to_json())
        .collect();
    let next_cursor = listed
        .get(start + page_size)
        .map(|c| STANDARD.encode(format!("team:{}", c.id)))
        .unwrap_or_default();
    drop(slack);
    ok(
        call,
        json!({"channels": page, "response_metadata": {"next_cursor": next_cursor}}),
    )
}

/// `conversations.info`: one channel the bot can see.
fn conversations_info(app: &AppState, call: &Call) -> Response {
    let grant = match authenticate(app, call) {
        Ok(grant) => grant,
        Err(code) => return fail(code),
    };
    let slack = app.slack.lock();
    let channel = call
        .str("channel")
        .and_then(|c| slack.channel(&c).cloned())
        .filter(Channel::visible);
    drop(slack);
    let Some(channel) = channel else {
        return fail("channel_not_found");
    };
    let needed = if channel.private {
        "groups:read"
    } else {
        "channels:read"
    };
    if !has_scope(&grant, needed) {
        return missing_scope(&grant, needed);
    }
    ok(call, json!({"channel": channel.to_json()}))
}

/// The channel the bot may post in, or Slack's reason it may not: `channel_not_found`
/// (unknown, or private without the bot), `is_archived`, `not_in_channel` (a public channel
/// without the bot, unless the token has `chat:write.public`).
pub fn postable(channel: Option<&Channel>, grant: &Grant) -> Result<Channel, &'static str> {
    let channel = channel.filter(|c| c.visible()).ok_or("channel_not_found")?;
    if channel.archived {
        return Err("is_archived");
    }
    if !channel.member && (channel.private || !has_scope(grant, "chat:write.public")) {
        return Err("not_in_channel");
    }
    Ok(channel.clone())
}

/// A message's text and blocks, checked.
pub struct Content {
    pub text: Option<String>,
    pub blocks: Option<Value>,
    pub attachments: Option<Value>,
}

/// Why a message's content was refused: Slack's error code and, for blocks, its `errors`.
pub struct Refusal {
    pub code: &'static str,
    pub errors: Vec<String>,
}

impl Refusal {
    fn code(code: &'static str) -> Self {
        Refusal {
            code,
            errors: Vec::new(),
        }
    }

    /// The Web API answer.
    pub fn into_response(self) -> Response {
        if self.errors.is_empty() {
            return fail(self.code);
        }
        let messages: Vec<String> = self.errors.iter().map(|e| format!("[ERROR] {e}")).collect();
        answer(
            StatusCode::OK,
            json!({
                "ok": false,
                "error": self.code,
                "errors": self.errors,
                "response_metadata": {"messages": messages},
            }),
            &[],
        )
    }
}

/// Checks what a message carries: `text` (at most [`MAX_TEXT`] characters: `msg_too_long`),
/// `blocks` (see `blocks.rs`) and legacy `attachments`; with none of them, `no_text`.
pub fn content(
    text: Option<String>,
    blocks: Option<Result<Value, ()>>,
    attachments: Option<Value>,
) -> Result<Content, Refusal> {
    let blocks = match blocks {
        None => None,
        Some(Err(())) => return Err(Refusal::code("invalid_blocks_format")),
        Some(Ok(value)) => match blocks::check(&value) {
            Ok(list) if list.is_empty() => None,
            Ok(list) => Some(Value::Array(list)),
            Err(errors) => {
                return Err(Refusal {
                    code: "invalid_blocks",
                    errors,
                })
            }
        },
    };
    let attachments = attachments.filter(|a| a.as_array().is_some_and(|a| !a.is_empty()));
    let text = text.filter(|t| !t.is_empty());
    if text.is_none() && blocks.is_none() && attachments.is_none() {
        return Err(Refusal::code("no_text"));
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Err(Refusal::code("msg_too_long"));
    }
    Ok(Content {
        text,
        blocks,
        attachments,
    })
}

/// `chat.postMessage` (JSON or form): `channel` (an id, `#name` or name), `text`, `blocks`,
/// `attachments`, `thread_ts`. Needs `chat:write`. Answers `{"ok", "channel", "ts",
/// "message"}`. Paced per channel: see `pace.rs`.
fn post_message(app: &AppState, call: &Call) -> Response {
    let grant = match authenticate(app, call) {
        Ok(grant) => grant,
        Err(code) => return fail(code),
    };
    if !has_scope(&grant, "chat:write") {
        return missing_scope(&grant, "chat:write");
    }
    let Some(reference) = call.str("channel") else {
        return fail("channel_not_found");
    };
    let mut slack = app.slack.lock();
    let channel = match postable(slack.channel(&reference), &grant) {
        Ok(channel) => channel,
        Err(code) => return fail(code),
    };
    let content = match content(
        call.str("text"),
        call.json("blocks"),
        call.json("attachments").and_then(Result::ok),
    ) {
        Ok(content) => content,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(wait) = slack.pace(&channel.id) {
        drop(slack);
        return ratelimited(app, wait);
    }
    let ts = slack.next_ts();
    let message = Message {
        id: 0,
        via: "bot".into(),
        channel: channel.id.clone(),
        channel_name: channel.name.clone(),
        ts: ts.clone(),
        thread_ts: call.str("thread_ts"),
        text: content.text,
        blocks: content.blocks,
        attachments: content.attachments,
        files: Vec::new(),
        updates: Vec::new(),
        received_at: super::now_rfc3339(),
    };
    let shape = message.slack_shape();
    slack.keep(message);
    drop(slack);
    app.persist();
    tracing::info!(channel = %channel.name, "Slack message posted");
    ok(
        call,
        json!({"channel": channel.id, "ts": ts, "message": shape}),
    )
}

/// `chat.update` (JSON or form): `channel`, `ts`, `text`, `blocks`. Kept as an update of the
/// message. `message_not_found` for a `ts` the channel does not have; `cant_update_message`
/// for one the bot did not post through the Web API (an incoming webhook's).
fn update_message(app: &AppState, call: &Call) -> Response {
    let grant = match authenticate(app, call) {
        Ok(grant) => grant,
        Err(code) => return fail(code),
    };
    if !has_scope(&grant, "chat:write") {
        return missing_scope(&grant, "chat:write");
    }
    let mut slack = app.slack.lock();
    let channel = call
        .str("channel")
        .and_then(|c| slack.channel(&c).cloned())
        .filter(Channel::visible);
    let Some(channel) = channel else {
        return fail("channel_not_found");
    };
    if channel.archived {
        return fail("is_archived");
    }
    let ts = call.str("ts").unwrap_or_default();
    let Some(message) = slack
        .messages
        .iter_mut()
        .find(|m| m.channel == channel.id && m.ts == ts)
    else {
        return fail("message_not_found");
    };
    if message.via != "bot" {
        return fail("cant_update_message");
    }
    let content = match content(call.str("text"), call.json("blocks"), None) {
        Ok(content) => content,
        Err(refusal) => return refusal.into_response(),
    };
    message.updates.push(Update {
        via: "chat.update".into(),
        kind: "replace".into(),
        text: content.text.clone(),
        blocks: content.blocks,
        at: super::now_rfc3339(),
    });
    let shape = message.slack_shape();
    drop(slack);
    app.persist();
    ok(
        call,
        json!({
            "channel": channel.id,
            "ts": ts,
            "text": content.text.unwrap_or_default(),
            "message": shape,
        }),
    )
}
