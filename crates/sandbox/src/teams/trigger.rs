//! `POST /teams/workflows/{id}/triggers/manual/paths/invoke?api-version&sp&sv&sig`: the
//! workflow's "When a Teams webhook request is received" trigger (see the module docs of
//! `teams` for the answers).

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde_json::{json, Value};

use super::card::judge;
use super::signature;
use super::store::Received;
use crate::app::AppState;

/// A Logic Apps error: `{"error": {"code", "message"}}`.
pub fn logic_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"error": {"code": code, "message": message}}).to_string(),
    )
        .into_response()
}

fn with_retry_after(mut response: Response, secs: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A Logic Apps run id: 29 digits then `CU` and two more, as `08584…CU12` looks.
fn run_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let digits: String = bytes
        .iter()
        .chain(bytes.iter())
        .take(27)
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    format!("08{digits}CU{:02}", bytes[0] % 100)
}

pub async fn invoke(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    app.count_call("POST /teams/workflows/invoke");
    if query.get("api-version").is_none_or(|v| v.is_empty()) {
        return logic_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    let seed = app.teams.seed;
    let mut teams = app.teams.lock();
    let Some(workflow) = teams.workflow(&id).cloned() else {
        return logic_error(
            StatusCode::NOT_FOUND,
            "WorkflowNotFound",
            &format!("The workflow '{id}' could not be found."),
        );
    };
    let Some(sig) = query.get("sig").filter(|s| !s.is_empty()) else {
        return logic_error(
            StatusCode::UNAUTHORIZED,
            "DirectApiAuthorizationRequired",
            "The request must be authenticated only by Shared Access scheme: the workflow's \
             URL carries its signature in the sig query parameter.",
        );
    };
    let sp = query.get("sp").map(String::as_str).unwrap_or("");
    let sv = query.get("sv").map(String::as_str).unwrap_or("");
    if !crate::slack::same(&signature(seed, &workflow.id, sp, sv), sig) {
        return logic_error(
            StatusCode::UNAUTHORIZED,
            "DirectApiInvalidAuthorizationSignature",
            "The provided authorization signature is not valid: use the workflow's URL \
             exactly as Power Automate gave it.",
        );
    }
    if !workflow.enabled {
        return logic_error(
            StatusCode::CONFLICT,
            "WorkflowTriggerIsNotEnabled",
            &format!(
                "The workflow '{}' is turned off: its trigger 'manual' is not enabled.",
                workflow.id
            ),
        );
    }
    if let Err(wait) = teams.admit(&workflow.id, Instant::now()) {
        drop(teams);
        app.stats().rate_limited += 1;
        return with_retry_after(
            logic_error(
                StatusCode::TOO_MANY_REQUESTS,
                "WorkflowRequestsThrottled",
                &format!(
                    "The workflow '{}' was called too often and is throttled. Retry after {wait} seconds.",
                    workflow.id
                ),
            ),
            wait,
        );
    }
    if let Some(fault) = teams.take_fault() {
        drop(teams);
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let response = logic_error(status, &fault.code, &fault.message);
        return match fault.retry_after {
            Some(secs) => with_retry_after(response, secs),
            None if status == StatusCode::TOO_MANY_REQUESTS => with_retry_after(response, 1),
            None => response,
        };
    }
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(e) => {
            return logic_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContent",
                &format!("The request content was invalid and could not be deserialized: '{e}'."),
            )
        }
    };
    let verdict = judge(&payload, body.len());
    let run = run_id();
    teams.keep(Received {
        id: 0,
        workflow_id: workflow.id.clone(),
        posted: verdict.posted,
        reason: verdict.reason.clone(),
        card: verdict.card,
        images: verdict.images,
        bytes: body.len(),
        run_id: run.clone(),
        received_at: crate::slack::now_rfc3339(),
    });
    drop(teams);
    app.persist();
    match &verdict.reason {
        None => tracing::info!(workflow = %workflow.name, "Teams card posted"),
        Some(reason) => {
            tracing::info!(workflow = %workflow.name, reason, "Teams card accepted but not posted")
        }
    }
    let mut response = StatusCode::ACCEPTED.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ms-workflow-run-id", run.as_str()),
        ("x-ms-workflow-id", workflow.id.as_str()),
        ("x-ms-workflow-version", "08584700000000000000"),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    response
}
