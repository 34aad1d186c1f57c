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

use axum::routing::{get, post};
use axum::Router;

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
}
