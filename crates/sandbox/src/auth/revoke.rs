//! Token revocation (RFC 7009), at both servers. Answers 200 whether or not the token was
//! known, so the endpoint reveals nothing about which tokens exist.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde_json::Value;

use super::clients::authenticate_on;
use super::profile::{Profile, QUICKBOOKS, XERO};
use super::token::error_on;
use crate::app::AppState;

/// `POST /xero/identity/connect/revocation`
pub async fn revocation(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    app.count_call(XERO.calls.revoke);
    let Ok(Form(form)) = form else {
        return error_on(
            &XERO,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    revoke_on(
        &XERO,
        &app,
        &headers,
        field("client_id"),
        field("client_secret"),
        field("token"),
    )
}

/// `POST /quickbooks/oauth2/v1/tokens/revoke`: Intuit's form is a JSON body
/// `{"token": "…"}`; a form body `token=…` is accepted too. The client authenticates with
/// HTTP Basic. Either kind of token ends the whole grant.
pub async fn quickbooks_revoke(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.count_call(QUICKBOOKS.calls.revoke);
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    let token = if json {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value) => value
                .get("token")
                .and_then(Value::as_str)
                .map(str::to_owned),
            Err(_) => {
                return error_on(&QUICKBOOKS, "invalid_request", "the JSON body is malformed")
            }
        }
    } else {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    };
    revoke_on(
        &QUICKBOOKS,
        &app,
        &headers,
        None,
        None,
        token.as_deref().filter(|t| !t.is_empty()),
    )
}

fn revoke_on(
    profile: &Profile,
    app: &AppState,
    headers: &HeaderMap,
    form_client: Option<&str>,
    form_secret: Option<&str>,
    token: Option<&str>,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err((error, description)) =
        authenticate_on(profile, authorization, form_client, form_secret)
    {
        return error_on(profile, error, description);
    }
    let Some(token) = token else {
        return error_on(profile, "invalid_request", "token is required");
    };
    // token_type_hint is only an optimisation hint (RFC 7009 §2.1); both kinds are looked up.
    let revoked = app.auth().revoke_token_on(profile, token);
    if revoked {
        app.stats().tokens_revoked += 1;
        app.persist();
        tracing::info!(platform = ?profile.platform, "token revoked");
    }
    StatusCode::OK.into_response()
}
