//! The OAuth 2.0 authorization servers: the one Xero runs at login.xero.com /
//! identity.xero.com, served under `/xero/identity/connect`, Intuit's (for QuickBooks
//! Online) at appcenter.intuit.com / oauth.platform.intuit.com, served under
//! `/quickbooks/oauth2`, and the consent half of Salesforce's (login.salesforce.com), whose
//! Salesforce-shaped token answers live in `salesforce::oauth`, and the consent half of
//! Slack's (slack.com/oauth/v2/authorize), whose `oauth.v2.access` lives in `slack::oauth`.
//! One implementation with a profile per server (`profile.rs`).

mod authorize;
pub mod clients;
pub mod grants;
pub mod pages;
pub mod pkce;
pub mod profile;
mod revoke;
pub mod secrets;
mod token;

pub use authorize::{salesforce_authorize, salesforce_decision, slack_authorize, slack_decision};

use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn;
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
        .merge(quickbooks_routes())
}

/// Intuit's authorization server. Every answer carries an `intuit_tid`, as Intuit's do.
fn quickbooks_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/quickbooks/oauth2/authorize",
            get(authorize::quickbooks_authorize),
        )
        .route(
            "/quickbooks/oauth2/authorize/decision",
            post(authorize::quickbooks_decision),
        )
        .route(
            "/quickbooks/oauth2/v1/tokens/bearer",
            post(token::quickbooks_token),
        )
        .route(
            "/quickbooks/oauth2/v1/tokens/revoke",
            post(revoke::quickbooks_revoke),
        )
        .layer(from_fn(crate::quickbooks::intuit_tid))
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
/// be spent (Xero: 30 minutes; the same grace applies to QuickBooks refresh tokens).
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
