//! The OAuth 2.0 authorization server Xero runs at login.xero.com / identity.xero.com,
//! served under `/xero/identity/connect`.

mod authorize;
pub mod clients;
pub mod grants;
pub mod pages;
pub mod pkce;
mod revoke;
pub mod secrets;
mod token;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/xero/identity/connect/authorize",
            get(authorize::authorize),
        )
        .route(
            "/xero/identity/connect/authorize/decision",
            post(authorize::decision),
        )
        .route("/xero/identity/connect/token", post(token::token))
        .route(
            "/xero/identity/connect/revocation",
            post(revoke::revocation),
        )
        .route(
            "/_control/refresh_grace",
            get(get_refresh_grace).post(set_refresh_grace),
        )
        .route("/_control/lose_refresh_answers", post(lose_refresh_answers))
}

/// `POST /_control/lose_refresh_answers` with `{"count": N}`: the next N refreshes rotate
/// the token and then cut their answer off, as a dropped connection would, so a test can
/// check that a client retries with the token it holds.
async fn lose_refresh_answers(State(app): State<AppState>, Json(body): Json<Value>) -> Response {
    let Some(count) = body
        .get("count")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "send {\"count\": N} with N a whole number, 0 or more" })),
        )
            .into_response();
    };
    app.auth().lose_refresh_answers(count);
    Json(json!({ "count": count })).into_response()
}

/// `GET /_control/refresh_grace`: `{"secs": N}`, how long a rotated refresh token can still
/// be spent (Xero: 30 minutes).
async fn get_refresh_grace(State(app): State<AppState>) -> Response {
    Json(json!({ "secs": app.auth().refresh_grace().as_secs() })).into_response()
}

/// `POST /_control/refresh_grace` with `{"secs": N}` (0 turns the grace off): lets a test
/// see the end of the grace without waiting 30 minutes. Answers the new setting.
async fn set_refresh_grace(State(app): State<AppState>, Json(body): Json<Value>) -> Response {
    let Some(secs) = body.get("secs").and_then(Value::as_u64) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "send {\"secs\": N} with N a whole number of seconds, 0 or more" })),
        )
            .into_response();
    };
    app.auth()
        .set_refresh_grace(std::time::Duration::from_secs(secs));
    get_refresh_grace(State(app)).await
}
