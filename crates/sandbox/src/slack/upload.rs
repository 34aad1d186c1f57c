//! The two-step file upload (Slack's docs: "Uploading files", files.getUploadURLExternal and
//! files.completeUploadExternal; the older files.upload is retired):
//!
//! 1. `files.getUploadURLExternal` (form or query: `filename`, `length` in bytes, optional
//!    `alt_txt`; needs `files:write`) → `{"ok": true, "upload_url":
//!    "{base}/slack/upload/<opaque>", "file_id": "F…"}`. A JSON body is refused with
//!    `invalid_arguments`, as Slack refuses one for this method.
//! 2. `POST upload_url` with the bytes, raw or as one multipart file part → 200 `OK - <length>`.
//! 3. `files.completeUploadExternal` (form or JSON: `files` = `[{"id", "title"}]`, optional
//!    `channel_id` (or `channels`), `initial_comment`, `thread_ts`, `blocks`) →
//!    `{"ok": true, "files": [{"id", "title", "name", "size"}]}`. Shared into a channel, the
//!    files arrive as one message (its text the `initial_comment`). A file id that was never
//!    handed out, whose bytes never arrived, whose size differs from the `length` promised, or
//!    that was completed already answers `file_not_found`; a channel, as for
//!    `chat.postMessage`, `channel_not_found`, `is_archived` or `not_in_channel`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};

use super::api::{authenticate, content, fail, has_scope, missing_scope, ok, postable};
use super::args::{multipart, Call};
use super::store::{FileRecord, Message, Upload};
use crate::app::AppState;

/// The largest file Slack takes (1 GB, Slack's docs: "Uploading files").
pub const MAX_FILE_BYTES: u64 = 1 << 30;

fn random_file_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let tail: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("F{tail}")
}

fn random_opaque() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `files.getUploadURLExternal`
pub fn get_upload_url(app: &AppState, headers: &HeaderMap, call: &Call) -> Response {
    let grant = match authenticate(app, call) {
        Ok(grant) => grant,
        Err(code) => return fail(code),
    };
    if !has_scope(&grant, "files:write") {
        return missing_scope(&grant, "files:write");
    }
    if call.json_body {
        return fail("invalid_arguments");
    }
    let Some(name) = call.str("filename") else {
        return fail("invalid_arguments");
    };
    let Some(length) = call
        .str("length")
        .and_then(|l| l.parse::<u64>().ok())
        .filter(|l| *l > 0)
    else {
        return fail("invalid_arguments");
    };
    if length > MAX_FILE_BYTES {
        return fail("file_upload_size_restricted");
    }
    let file_id = random_file_id();
    let opaque = random_opaque();
    {
        let mut slack = app.slack.lock();
        slack.uploads.insert(
            file_id.clone(),
            Upload {
                name,
                length,
                alt_txt: call.str("alt_txt").or_else(|| call.str("alt_text")),
                bytes: None,
                completed: false,
            },
        );
        slack.upload_urls.insert(opaque.clone(), file_id.clone());
    }
    ok(
        call,
        json!({
            "upload_url": format!("{}/slack/upload/{opaque}", super::base_url(headers)),
            "file_id": file_id,
        }),
    )
}

/// `POST /slack/upload/{opaque}`: the file's bytes, raw or as a multipart part (the one with
/// a file name, else the one named `file`, else the first).
pub async fn upload(
    State(app): State<AppState>,
    Path(opaque): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.count_call("POST /slack/upload");
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes = if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        let Some(parts) = multipart(content_type, &body) else {
            return (StatusCode::BAD_REQUEST, "invalid multipart body").into_response();
        };
        let index = parts
            .iter()
            .position(|p| p.filename.is_some())
            .or_else(|| parts.iter().position(|p| p.name.as_deref() == Some("file")))
            .unwrap_or(0);
        match parts.into_iter().nth(index) {
            Some(part) => part.data,
            None => return (StatusCode::BAD_REQUEST, "no file part").into_response(),
        }
    } else {
        body.to_vec()
    };
    let mut slack = app.slack.lock();
    if let Some(fault) = slack.take_fault("upload") {
        let status = fault
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, fault.error).into_response();
    }
    let Some(file_id) = slack.upload_urls.get(&opaque).cloned() else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let Some(upload) = slack.uploads.get_mut(&file_id).filter(|u| !u.completed) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let length = bytes.len();
    upload.bytes = Some(bytes);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("OK - {length}"),
    )
        .into_response()
}

/// `files.completeUploadExternal`
pub fn complete_upload(app: &AppState, call: &Call) -> Response {
    let grant = match authenticate(app, call) {
        Ok(grant) => grant,
        Err(code) => return fail(code),
    };
    if !has_scope(&grant, "files:write") {
        return missing_scope(&grant, "files:write");
    }
    let Some(Ok(Value::Array(files))) = call.json("files") else {
        return fail("invalid_arguments");
    };
    let asked: Vec<(String, Option<String>)> = files
        .iter()
        .filter_map(|f| {
            let id = f.get("id")?.as_str()?.to_owned();
            let title = f.get("title").and_then(Value::as_str).map(str::to_owned);
            Some((id, title))
        })
        .collect();
    if asked.is_empty() || asked.len() != files.len() {
        return fail("invalid_arguments");
    }
    let mut slack = app.slack.lock();
    // Every file must be whole before anything is shared.
    for (id, _) in &asked {
        let whole = slack.uploads.get(id).is_some_and(|u| {
            !u.completed && u.bytes.as_ref().is_some_and(|b| b.len() as u64 == u.length)
        });
        if !whole {
            return fail("file_not_found");
        }
    }
    let mut targets = Vec::new();
    let references: Vec<String> = match (call.str("channel_id"), call.str("channels")) {
        (Some(one), _) => vec![one],
        (None, Some(list)) => list
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        (None, None) => Vec::new(),
    };
    for reference in &references {
        match postable(slack.channel(reference), &grant) {
            Ok(channel) => targets.push(channel),
            Err(code) => return fail(code),
        }
    }
    let text = call.str("initial_comment");
    let blocks = if text.is_some() {
        None
    } else {
        call.json("blocks")
    };
    let extra = if text.is_none() && blocks.is_none() {
        None
    } else {
        match content(text, blocks, None) {
            Ok(content) => Some(content),
            Err(refusal) => return refusal.into_response(),
        }
    };
    let mut records = Vec::new();
    for (id, title) in asked {
        let Some(upload) = slack.uploads.get_mut(&id) else {
            continue;
        };
        upload.completed = true;
        let bytes = upload.bytes.as_deref().unwrap_or_default();
        records.push(FileRecord {
            title: title.unwrap_or_else(|| upload.name.clone()),
            id,
            name: upload.name.clone(),
            size: bytes.len() as u64,
            png: super::is_png(bytes),
            alt_txt: upload.alt_txt.clone(),
        });
    }
    slack
        .upload_urls
        .retain(|_, id| !records.iter().any(|r| r.id == *id));
    for channel in &targets {
        let ts = slack.next_ts();
        slack.keep(Message {
            id: 0,
            via: "bot".into(),
            channel: channel.id.clone(),
            channel_name: channel.name.clone(),
            ts,
            thread_ts: call.str("thread_ts"),
            text: extra.as_ref().and_then(|c| c.text.clone()),
            blocks: extra.as_ref().and_then(|c| c.blocks.clone()),
            attachments: None,
            files: records.clone(),
            updates: Vec::new(),
            received_at: super::now_rfc3339(),
        });
    }
    drop(slack);
    if !targets.is_empty() {
        app.persist();
    }
    let files: Vec<Value> = records
        .iter()
        .map(|r| json!({"id": r.id, "title": r.title, "name": r.name, "size": r.size}))
        .collect();
    ok(call, json!({"files": files}))
}

/// The bytes of an uploaded file, while the process that received them runs.
pub fn bytes_of(app: &AppState, file_id: &str) -> Option<Vec<u8>> {
    app.slack
        .lock()
        .uploads
        .get(file_id)
        .and_then(|u| u.bytes.clone())
}
