//! The token endpoint (RFC 6749 §3.2) of both authorization servers: authorization codes with
//! PKCE, refresh tokens that rotate on every use (a rotated one still works for a grace, see
//! `grants.rs`), and the client-credentials grant of Xero custom connections (a confidential
//! client, one organisation, no refresh token). Intuit's answers have their own shape: a 401
//! for a client that fails HTTP Basic, bare `{"error": …}` bodies, and
//! `x_refresh_token_expires_in` beside the tokens.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

use super::clients::{authenticate_on, is_confidential};
use super::grants::IssuedTokens;
use super::pkce;
use super::profile::{Platform, Profile, QUICKBOOKS, XERO};
use crate::app::AppState;
use crate::clock::now_ms;
use crate::quickbooks::REALM_ID;

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

/// An error answer in the shape of `profile`'s server: Xero's (always 400, with a description)
/// or Intuit's (`{"error": …}` only, and 401 for a client that failed to authenticate).
pub fn error_on(profile: &Profile, error: &str, description: &str) -> Response {
    match profile.platform {
        // Salesforce answers every token error as a 400 with a description, as Xero does.
        Platform::Xero | Platform::Salesforce | Platform::Slack => oauth_error(error, description),
        Platform::QuickBooks => {
            let status = if error == "invalid_client" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            tracing::debug!(error, description, "QuickBooks token request refused");
            (
                status,
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::PRAGMA, "no-cache"),
                ],
                Json(json!({ "error": error })),
            )
                .into_response()
        }
    }
}

fn token_answer(profile: &Profile, tokens: IssuedTokens) -> Response {
    if profile.platform == Platform::QuickBooks {
        // Intuit's shape: lower-case token type, no scope, the refresh token's lifetime.
        let body = json!({
            "token_type": "bearer",
            "access_token": tokens.access_token,
            "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh_token,
            "x_refresh_token_expires_in": tokens.refresh_expires_in,
        });
        return (
            StatusCode::OK,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(body),
        )
            .into_response();
    }
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
    token_on(&XERO, &app, &headers, form)
}

/// `POST /quickbooks/oauth2/v1/tokens/bearer`
pub async fn quickbooks_token(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    token_on(&QUICKBOOKS, &app, &headers, form)
}

fn token_on(
    profile: &'static Profile,
    app: &AppState,
    headers: &HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    app.count_call(profile.calls.token);
    let Ok(Form(form)) = form else {
        return error_on(
            profile,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let client_id = match authenticate_on(
        profile,
        authorization,
        field("client_id"),
        field("client_secret"),
    ) {
        Ok(id) => id,
        Err((error, description)) => return error_on(profile, error, description),
    };
    match field("grant_type") {
        Some("authorization_code") => exchange_code(profile, app, &client_id, field),
        Some("refresh_token") => refresh(profile, app, &client_id, field),
        Some("client_credentials") if profile.client_credentials => {
            client_credentials(app, &client_id, field)
        }
        Some(_) if profile.client_credentials => error_on(
            profile,
            "unsupported_grant_type",
            "grant_type must be authorization_code, refresh_token or client_credentials",
        ),
        Some(_) => error_on(
            profile,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
        None => error_on(profile, "invalid_request", "grant_type is required"),
    }
}

fn exchange_code<'a>(
    profile: &'static Profile,
    app: &AppState,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    let refuse = |error: &str, description: &str| error_on(profile, error, description);
    let (Some(code), Some(redirect_uri)) = (field("code"), field("redirect_uri")) else {
        return refuse(
            "invalid_request",
            if profile.pkce_required {
                "code, redirect_uri and code_verifier are all required"
            } else {
                "code and redirect_uri are required"
            },
        );
    };
    let verifier = field("code_verifier");
    if profile.pkce_required && verifier.is_none() {
        return refuse(
            "invalid_request",
            "code, redirect_uri and code_verifier are all required",
        );
    }
    let now = now_ms();
    let (access_ttl, refresh_ttl) = profile.lifetimes(&app.settings());
    let issued = {
        let mut auth = app.auth();
        let request = match auth.take_code(code, now) {
            Ok(request) => request,
            Err(why) => return refuse("invalid_grant", why),
        };
        if request.client_id != client_id {
            return refuse("invalid_grant", "the code was issued to another client");
        }
        if request.redirect_uri != redirect_uri {
            return refuse(
                "invalid_grant",
                "redirect_uri does not match the authorization request",
            );
        }
        // A challenge sent is a challenge checked, even where PKCE is optional.
        if !request.code_challenge.is_empty()
            && !verifier.is_some_and(|v| pkce::verify(v, &request.code_challenge))
        {
            return refuse(
                "invalid_grant",
                "code_verifier does not match the code_challenge",
            );
        }
        let realms: &[&str] = match profile.platform {
            Platform::Xero | Platform::Salesforce | Platform::Slack => &[],
            Platform::QuickBooks => &[REALM_ID],
        };
        let grant = auth.create_grant_on(
            profile.platform,
            client_id,
            &request.scope,
            &request.tenants,
            realms,
            now,
        );
        auth.issue_tokens(grant.id, access_ttl, refresh_ttl, now)
    };
    let Some(tokens) = issued else {
        return refuse("invalid_grant", "the grant could not be created");
    };
    app.stats().tokens_issued += 1;
    app.persist();
    tracing::info!(platform = ?profile.platform, "authorization code exchanged for tokens");
    token_answer(profile, tokens)
}

/// A custom connection: the app's own credentials reach the one organisation it was
/// connected to (the sandbox's first), for the scopes asked; `offline_access` is never granted
/// here (there is no person to come back for), so there is no refresh token.
fn client_credentials<'a>(
    app: &AppState,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    if !is_confidential(&XERO, client_id) {
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
    let (access_ttl, refresh_ttl) = XERO.lifetimes(&app.settings());
    let tenants: Vec<_> = super::grants::all_tenants().into_iter().take(1).collect();
    let issued = {
        let mut auth = app.auth();
        let grant = auth.create_grant(client_id, &scope.join(" "), &tenants, now);
        auth.issue_tokens(grant.id, access_ttl, refresh_ttl, now)
    };
    let Some(tokens) = issued else {
        return oauth_error("invalid_grant", "the grant could not be created");
    };
    app.stats().tokens_issued += 1;
    app.persist();
    tracing::info!("client credentials exchanged for an access token");
    token_answer(&XERO, tokens)
}

fn refresh<'a>(
    profile: &'static Profile,
    app: &AppState,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    let Some(refresh_token) = field("refresh_token") else {
        return error_on(profile, "invalid_request", "refresh_token is required");
    };
    let (access_ttl, refresh_ttl) = profile.lifetimes(&app.settings());
    // The client check inside keeps each server to its own grants: clients are per server.
    let rotated = app
        .auth()
        .rotate(refresh_token, client_id, access_ttl, refresh_ttl, now_ms());
    match rotated {
        Ok(tokens) => {
            app.stats().tokens_refreshed += 1;
            app.persist();
            tracing::info!(platform = ?profile.platform, "refresh token rotated");
            if app.auth().take_lost_refresh_answer() {
                return cut_off_answer();
            }
            token_answer(profile, tokens)
        }
        Err(why) => {
            // A spent token was consumed even though it failed; record that on disk too.
            app.persist();
            error_on(profile, "invalid_grant", &why)
        }
    }
}
