//! Test controls for the Slack stand-in, under `/_control/slack`. Like the rest of
//! `/_control` they need no token: they stand for the world (a person reading the channel, an
//! administrator archiving it or removing the app, Slack itself failing), not for the app.
//!
//! - `GET messages` → `[{"id", "via": "bot" | "webhook", "channel", "channel_name", "ts",
//!   "thread_ts"?, "text", "blocks", "files": [{"id", "title", "name", "size", "png"}],
//!   "updates": [{"via", "kind", "text", "blocks", "at"}], "received_at"}]`, oldest first;
//!   `DELETE messages` → `{"cleared": n}`.
//! - `GET files/{id}` → the bytes uploaded for that file (this process only).
//! - `POST webhook` `{"channel": "esg-reports"}` (name, `#name` or id) → `{"url", "channel",
//!   "channel_name"}`: that channel's incoming-webhook URL, enabled (again).
//!   `POST webhooks/disable` `{"channel": …}` → `{"disabled": "C…"}`: its URL answers
//!   `no_service` until `POST webhook` hands it out again.
//! - `GET|POST|DELETE faults`: `POST {"method": "chat.postMessage" | "files.completeUploadExternal"
//!   | "webhook" | "upload" | any Web API method, "error": "channel_not_found", "count": 1,
//!   "retry_after": 1, "status": 200}` queues the error for the next `count` calls of that
//!   method (`ratelimited` / `rate_limited`: a 429 with `Retry-After: retry_after`; `status`
//!   overrides the usual one). Answers `{"faults": […]}`.
//! - `GET channels` → every channel with its state; `POST channels/{id}/archive`,
//!   `…/unarchive`, `…/kick` (the bot leaves), `…/invite` (the bot joins) → the channel.
//! - `POST tokens/revoke` → `{"revoked": n}`: every bot token ends, as when an administrator
//!   removes the app; they then answer `token_revoked`.
//! - `POST interact`: see `interact.rs`.
//! - `GET|POST settings` `{"burst": 3, "interval_ms": 1000, "page_cap": 20}` (any of them).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::hooks;
use super::store::{Fault, Settings};
use super::upload::bytes_of;
use crate::app::AppState;
use crate::auth::profile::Platform;

/// The `/_control/slack/…` routes listed above.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_control/slack/messages",
            get(messages).delete(clear_messages),
        )
        .route("/_control/slack/files/{id}", get(file))
        .route("/_control/slack/webhook", post(webhook))
        .route("/_control/slack/webhooks/disable", post(disable_webhook))
        .route(
            "/_control/slack/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_control/slack/channels", get(list_channels))
        .route(
            "/_control/slack/channels/{id}/{action}",
            post(channel_action),
        )
        .route("/_control/slack/tokens/revoke", post(revoke_tokens))
        .route("/_control/slack/interact", post(super::interact::interact))
        .route(
            "/_control/slack/settings",
            get(get_settings).post(set_settings),
        )
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// The JSON body, or why it could not be read (axum's message names the problem).
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, String> {
    payload.map(|Json(v)| v).map_err(|e| e.body_text())
}

async fn messages(State(app): State<AppState>) -> Response {
    let slack = app.slack.lock();
    Json(json!(slack.messages)).into_response()
}

async fn clear_messages(State(app): State<AppState>) -> Response {
    let cleared = {
        let mut slack = app.slack.lock();
        let n = slack.messages.len();
        slack.messages.clear();
        n
    };
    app.persist();
    Json(json!({ "cleared": cleared })).into_response()
}

async fn file(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    match bytes_of(&app, &id) {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "no bytes were uploaded for that file id in this process",
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelRequest {
    channel: String,
}

async fn webhook(
    State(app): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<ChannelRequest>, JsonRejection>,
) -> Response {
    let request = match body(payload) {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let channel = {
        let mut slack = app.slack.lock();
        let Some(channel) = slack.channel(&request.channel).cloned() else {
            return error(StatusCode::NOT_FOUND, "no such channel");
        };
        slack.disabled_hooks.remove(&channel.id);
        channel
    };
    app.persist();
    Json(json!({
        "url": hooks::url(&super::base_url(&headers), app.slack.seed, &channel.id),
        "channel": channel.id,
        "channel_name": channel.name,
    }))
    .into_response()
}

async fn disable_webhook(
    State(app): State<AppState>,
    payload: Result<Json<ChannelRequest>, JsonRejection>,
) -> Response {
    let request = match body(payload) {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let id = {
        let mut slack = app.slack.lock();
        let Some(id) = slack.channel(&request.channel).map(|c| c.id.clone()) else {
            return error(StatusCode::NOT_FOUND, "no such channel");
        };
        slack.disabled_hooks.insert(id.clone());
        id
    };
    app.persist();
    Json(json!({ "disabled": id })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    method: String,
    error: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(default = "one_u64")]
    retry_after: u64,
    status: Option<u16>,
}

fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}

async fn list_faults(State(app): State<AppState>) -> Response {
    Json(json!({ "faults": app.slack.lock().faults })).into_response()
}

async fn add_fault(
    State(app): State<AppState>,
    payload: Result<Json<FaultRequest>, JsonRejection>,
) -> Response {
    let request = match body(payload) {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if request.count == 0 || request.error.is_empty() || request.method.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "method and error are required, and count must be 1 or more",
        );
    }
    if request
        .status
        .is_some_and(|s| StatusCode::from_u16(s).is_err())
    {
        return error(StatusCode::BAD_REQUEST, "status must be an HTTP status");
    }
    let mut slack = app.slack.lock();
    slack.faults.push(Fault {
        method: request.method,
        error: request.error,
        remaining: request.count,
        retry_after: request.retry_after.max(1),
        status: request.status,
    });
    Json(json!({ "faults": slack.faults })).into_response()
}

async fn clear_faults(State(app): State<AppState>) -> Response {
    app.slack.lock().faults.clear();
    Json(json!({ "faults": [] })).into_response()
}

fn channel_json(channel: &super::channels::Channel) -> Value {
    json!({
        "id": channel.id,
        "name": channel.name,
        "is_private": channel.private,
        "is_archived": channel.archived,
        "is_member": channel.member,
    })
}

async fn list_channels(State(app): State<AppState>) -> Response {
    let slack = app.slack.lock();
    let list: Vec<Value> = slack.channels.iter().map(channel_json).collect();
    Json(json!(list)).into_response()
}

async fn channel_action(
    State(app): State<AppState>,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let changed = {
        let mut slack = app.slack.lock();
        let Some(channel) = slack.channel_mut(&id) else {
            return error(StatusCode::NOT_FOUND, "no such channel");
        };
        match action.as_str() {
            "archive" => channel.archived = true,
            "unarchive" => channel.archived = false,
            "kick" => channel.member = false,
            "invite" => channel.member = true,
            _ => {
                return error(
                    StatusCode::NOT_FOUND,
                    "the action must be archive, unarchive, kick or invite",
                )
            }
        }
        channel_json(channel)
    };
    app.persist();
    Json(changed).into_response()
}

async fn revoke_tokens(State(app): State<AppState>) -> Response {
    let ended = app.auth().revoke_platform(Platform::Slack);
    let count = ended.len();
    app.slack.lock().revoked.extend(ended);
    app.stats().tokens_revoked += count as u64;
    app.persist();
    tracing::info!(
        count,
        "every Slack bot token revoked through the control API"
    );
    Json(json!({ "revoked": count })).into_response()
}

async fn get_settings(State(app): State<AppState>) -> Response {
    Json(json!(app.slack.lock().settings)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsPatch {
    burst: Option<u32>,
    interval_ms: Option<u64>,
    page_cap: Option<usize>,
}

async fn set_settings(
    State(app): State<AppState>,
    payload: Result<Json<SettingsPatch>, JsonRejection>,
) -> Response {
    let patch = match body(payload) {
        Ok(p) => p,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if patch.burst == Some(0) || patch.interval_ms == Some(0) || patch.page_cap == Some(0) {
        return error(StatusCode::BAD_REQUEST, "every setting must be 1 or more");
    }
    let settings: Settings = {
        let mut slack = app.slack.lock();
        let mut next = slack.settings;
        next.burst = patch.burst.unwrap_or(next.burst);
        next.interval_ms = patch.interval_ms.unwrap_or(next.interval_ms);
        next.page_cap = patch.page_cap.unwrap_or(next.page_cap);
        if next != slack.settings {
            slack.pace.reset();
        }
        slack.settings = next;
        next
    };
    app.persist();
    Json(json!(settings)).into_response()
}
