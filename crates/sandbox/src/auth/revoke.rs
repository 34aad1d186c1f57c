//! Token revocation (RFC 7009). Answers 200 whether or not the token was known, so the
//! endpoint reveals nothing about which tokens exist.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;

use super::clients::authenticate;
use super::token::oauth_error;
use crate::app::AppState;

/// `POST /xero/identity/connect/revocation`
pub async fn revocation(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    app.count_call("POST /revocation");
    let Ok(Form(form)) = form else {
        return oauth_error(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let form_client = form
        .get("client_id")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    let form_secret = form
        .get("client_secret")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    if let Err((error, description)) = authenticate(authorization, form_client, form_secret) {
        return oauth_error(error, description);
    }
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return oauth_error("invalid_request", "token is required");
    };
    // token_type_hint is only an optimisation hint (RFC 7009 §2.1); both kinds are looked up.
    let revoked = app.auth().revoke_token(token);
    if revoked {
        app.stats().tokens_revoked += 1;
        app.persist();
        tracing::info!("token revoked");
    }
    StatusCode::OK.into_response()
}
