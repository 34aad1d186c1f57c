//! The token endpoint (RFC 6749 §3.2): authorization codes with PKCE, refresh tokens that
//! rotate on every use (a rotated one still works for a grace, see `grants.rs`), and the
//! client-credentials grant of Xero custom connections (a confidential client, one
//! organisation, no refresh token).

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

use super::clients::{authenticate, is_confidential};
use super::grants::IssuedTokens;
use super::pkce;
use crate::app::AppState;
use crate::clock::now_ms;

/// An OAuth error answer. Every token error is a 400, including `invalid_client`, so clients
/// have one shape to handle.
pub fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn token_answer(tokens: IssuedTokens) -> Response {
    let mut body = json!({
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "scope": tokens.scope,
    });
    if let Some(refresh) = tokens.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}

/// The start of a token answer whose connection dropped: the rotation happened, but the
/// client cannot read the new tokens.
fn cut_off_answer() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        "{\"access_token\": \"",
    )
        .into_response()
}

/// `POST /xero/identity/connect/token`
pub async fn token(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    app.count_call("POST /token");
    let Ok(Form(form)) = form else {
        return oauth_error(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let client_id = match authenticate(authorization, field("client_id"), field("client_secret")) {
        Ok(id) => id,
        Err((error, description)) => return oauth_error(error, description),
    };
    match field("grant_type") {
        Some("authorization_code") => exchange_code(&app, &client_id, field),
        Some("refresh_token") => refresh(&app, &client_id, field),
        Some("client_credentials") => client_credentials(&app, &client_id, field),
        Some(_) => oauth_error(
            "unsupported_grant_type",
            "grant_type must be authorization_code, refresh_token or client_credentials",
        ),
        None => oauth_error("invalid_request", "grant_type is required"),
    }
}

fn exchange_code<'a>(
    app: &AppState,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    let (Some(code), Some(redirect_uri), Some(verifier)) =
        (field("code"), field("redirect_uri"), field("code_verifier"))
    else {
        return oauth_error(
            "invalid_request",
            "code, redirect_uri and code_verifier are all required",
        );
    };
    let now = now_ms();
    let settings = app.settings().clone();
    let issued = {
        let mut auth = app.auth();
        let request = match auth.take_code(code, now) {
            Ok(request) => request,
            Err(why) => return oauth_error("invalid_grant", why),
        };
        if request.client_id != client_id {
            return oauth_error("invalid_grant", "the code was issued to another client");
        }
        if request.redirect_uri != redirect_uri {
            return oauth_error(
                "invalid_grant",
                "redirect_uri does not match the authorization request",
            );
        }
        if !pkce::verify(verifier, &request.code_challenge) {
            return oauth_error(
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            );
        }
        let grant = auth.create_grant(client_id, &request.scope, &request.tenants, now);
        auth.issue_tokens(
            grant.id,
            settings.access_token_ttl,
            settings.refresh_token_ttl,
            now,
        )
    };
    let Some(tokens) = issued else {
        return oauth_error("invalid_grant", "the grant could not be created");
    };
    app.stats().tokens_issued += 1;
    app.persist();
    tracing::info!("authorization code exchanged for tokens");
    token_answer(tokens)
}

/// A custom connection: the app's own credentials reach the one organisation it was
/// connected to (the sandbox's first), for the scopes asked; `offline_access` is never granted
/// here (there is no person to come back for), so there is no refresh token.
fn client_credentials<'a>(
    app: &AppState,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    if !is_confidential(client_id) {
        return oauth_error(
            "unauthorized_client",
            "only a client with a secret may use the client-credentials grant",
        );
    }
    let scope: Vec<&str> = field("scope")
        .unwrap_or("accounting.transactions.read accounting.settings.read")
        .split(' ')
        .filter(|s| !s.is_empty() && *s != "offline_access")
        .collect();
    let now = now_ms();
    let settings = app.settings().clone();
    let tenants: Vec<_> = super::grants::all_tenants().into_iter().take(1).collect();
    let issued = {
        let mut auth = app.auth();
        let grant = auth.create_grant(client_id, &scope.join(" "), &tenants, now);
        auth.issue_tokens(
            grant.id,
            settings.access_token_ttl,
            settings.refresh_token_ttl,
            now,
        )
    };
    let Some(tokens) = issued else {
        return oauth_error("invalid_grant", "the grant could not be created");
    };
    app.stats().tokens_issued += 1;
    app.persist();
    tracing::info!("client credentials exchanged for an access token");
    token_answer(tokens)
}

fn refresh<'a>(
    app: &AppState,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    let Some(refresh_token) = field("refresh_token") else {
        return oauth_error("invalid_request", "refresh_token is required");
    };
    let settings = app.settings().clone();
    let rotated = app.auth().rotate(
        refresh_token,
        client_id,
        settings.access_token_ttl,
        settings.refresh_token_ttl,
        now_ms(),
    );
    match rotated {
        Ok(tokens) => {
            app.stats().tokens_refreshed += 1;
            app.persist();
            tracing::info!("refresh token rotated");
            if app.auth().take_lost_refresh_answer() {
                return cut_off_answer();
            }
            token_answer(tokens)
        }
        Err(why) => {
            // A spent token was consumed even though it failed; record that on disk too.
            app.persist();
            oauth_error("invalid_grant", &why)
        }
    }
}
