//! Test controls for the Teams stand-in, under `/_control/teams` (no token needed):
//!
//! - `GET messages` → `[{"id", "workflow_id", "posted", "reason", "card", "images": [{"size",
//!   "png", "mime"}], "bytes", "run_id", "received_at"}]`, oldest first; `DELETE messages` →
//!   `{"cleared": n}`.
//! - `GET workflows` → `[{"id", "name", "team", "channel", "enabled", "default", "url"}]`.
//! - `POST workflows` `{"name"?, "team"?, "channel"?}` → `{"id", "url"}`: a new workflow.
//! - `POST workflows/{id}/disable`, `…/enable` → the workflow; `DELETE workflows/{id}` →
//!   `{"deleted": "<id>"}`.
//! - `GET|POST|DELETE faults`: `POST {"status": 502, "code": "BadGateway", "message"?,
//!   "count": 1, "retry_after"?}` queues that answer for the next `count` trigger calls that
//!   get past the URL checks. Answers `{"faults": […]}`.
//! - `GET|POST settings` `{"calls_per_minute": 100}`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::store::{Fault, Workflow};
use super::{default_workflow_id, workflow_url, CHANNEL_NAME, TEAM_NAME};
use crate::app::AppState;

/// The `/_control/teams/…` routes listed above.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_control/teams/messages",
            get(messages).delete(clear_messages),
        )
        .route(
            "/_control/teams/workflows",
            get(list_workflows).post(create_workflow),
        )
        .route(
            "/_control/teams/workflows/{id}",
            axum::routing::delete(delete_workflow),
        )
        .route("/_control/teams/workflows/{id}/{action}", post(switch))
        .route(
            "/_control/teams/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route(
            "/_control/teams/settings",
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

fn workflow_json(app: &AppState, base: &str, workflow: &Workflow) -> Value {
    json!({
        "id": workflow.id,
        "name": workflow.name,
        "team": workflow.team,
        "channel": workflow.channel,
        "enabled": workflow.enabled,
        "default": workflow.id == default_workflow_id(app.teams.seed),
        "url": workflow_url(base, app.teams.seed, &workflow.id),
    })
}

async fn messages(State(app): State<AppState>) -> Response {
    Json(json!(app.teams.lock().messages)).into_response()
}

async fn clear_messages(State(app): State<AppState>) -> Response {
    let cleared = {
        let mut teams = app.teams.lock();
        let n = teams.messages.len();
        teams.messages.clear();
        n
    };
    app.persist();
    Json(json!({ "cleared": cleared })).into_response()
}

async fn list_workflows(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let base = crate::slack::base_url(&headers);
    let teams = app.teams.lock();
    let list: Vec<Value> = teams
        .workflows
        .iter()
        .filter(|w| !w.deleted)
        .map(|w| workflow_json(&app, &base, w))
        .collect();
    Json(json!(list)).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NewWorkflow {
    name: Option<String>,
    team: Option<String>,
    channel: Option<String>,
}

async fn create_workflow(
    State(app): State<AppState>,
    headers: HeaderMap,
    body_bytes: axum::body::Bytes,
) -> Response {
    // An empty body is a workflow with the default names.
    let request: NewWorkflow = if body_bytes.iter().all(u8::is_ascii_whitespace) {
        NewWorkflow::default()
    } else {
        match serde_json::from_slice(&body_bytes) {
            Ok(r) => r,
            Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
        }
    };
    let workflow = Workflow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: request
            .name
            .unwrap_or_else(|| "Post to a channel when a webhook request is received".into()),
        team: request.team.unwrap_or_else(|| TEAM_NAME.into()),
        channel: request.channel.unwrap_or_else(|| CHANNEL_NAME.into()),
        enabled: true,
        deleted: false,
        created_at: crate::slack::now_rfc3339(),
    };
    app.teams.lock().workflows.push(workflow.clone());
    app.persist();
    let base = crate::slack::base_url(&headers);
    Json(json!({
        "id": workflow.id,
        "url": workflow_url(&base, app.teams.seed, &workflow.id),
    }))
    .into_response()
}

async fn switch(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let enabled = match action.as_str() {
        "enable" => true,
        "disable" => false,
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "the action must be enable or disable",
            )
        }
    };
    let workflow = {
        let mut teams = app.teams.lock();
        let Some(workflow) = teams.workflow_mut(&id) else {
            return error(StatusCode::NOT_FOUND, "no such workflow");
        };
        workflow.enabled = enabled;
        workflow.clone()
    };
    app.persist();
    let base = crate::slack::base_url(&headers);
    Json(workflow_json(&app, &base, &workflow)).into_response()
}

async fn delete_workflow(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    {
        let mut teams = app.teams.lock();
        let Some(workflow) = teams.workflow_mut(&id) else {
            return error(StatusCode::NOT_FOUND, "no such workflow");
        };
        workflow.deleted = true;
    }
    app.persist();
    Json(json!({ "deleted": id })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    status: u16,
    code: String,
    message: Option<String>,
    #[serde(default = "one")]
    count: u32,
    retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

async fn list_faults(State(app): State<AppState>) -> Response {
    Json(json!({ "faults": app.teams.lock().faults })).into_response()
}

async fn add_fault(
    State(app): State<AppState>,
    payload: Result<Json<FaultRequest>, JsonRejection>,
) -> Response {
    let request = match body(payload) {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if request.count == 0 || request.code.is_empty() || !(400..=599).contains(&request.status) {
        return error(
            StatusCode::BAD_REQUEST,
            "status must be 400 to 599, code is required, and count must be 1 or more",
        );
    }
    let mut teams = app.teams.lock();
    teams.faults.push(Fault {
        message: request
            .message
            .unwrap_or_else(|| format!("The sandbox answered {} on purpose.", request.code)),
        status: request.status,
        code: request.code,
        remaining: request.count,
        retry_after: request.retry_after,
    });
    Json(json!({ "faults": teams.faults })).into_response()
}

async fn clear_faults(State(app): State<AppState>) -> Response {
    app.teams.lock().faults.clear();
    Json(json!({ "faults": [] })).into_response()
}

async fn get_settings(State(app): State<AppState>) -> Response {
    Json(json!({ "calls_per_minute": app.teams.lock().calls_per_minute })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsPatch {
    calls_per_minute: u32,
}

async fn set_settings(
    State(app): State<AppState>,
    payload: Result<Json<SettingsPatch>, JsonRejection>,
) -> Response {
    let patch = match body(payload) {
        Ok(p) => p,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if patch.calls_per_minute == 0 {
        return error(
            StatusCode::BAD_REQUEST,
            "calls_per_minute must be 1 or more",
        );
    }
    {
        let mut teams = app.teams.lock();
        teams.calls_per_minute = patch.calls_per_minute;
        teams.reset_calls();
    }
    app.persist();
    get_settings(State(app)).await
}
