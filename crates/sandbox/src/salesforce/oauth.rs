//! The Salesforce-shaped half of the login host: the token endpoint (authorization code with
//! PKCE, and refresh), revocation and the identity URL. The authorize endpoint and consent page
//! are the sandbox's shared ones (`auth::authorize`, profile `SALESFORCE`).
//!
//! A token answer has Salesforce's fields and no `expires_in` (a session simply ends; the API
//! then answers `INVALID_SESSION_ID`):
//!
//! ```json
//! {"access_token": "00D…!…", "refresh_token": "5Aep…", "signature": "…", "scope": "api refresh_token",
//!  "instance_url": "http://127.0.0.1:41234/salesforce/instance",
//!  "id": "http://127.0.0.1:41234/salesforce/id/00D…/005…", "token_type": "Bearer",
//!  "issued_at": "1704420000000"}
//! ```
//!
//! A refresh answers a new access token only, unless refresh-token rotation is on
//! (`/_control/salesforce/settings`), when it also answers a new refresh token and the old one
//! stops working.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value as Json};

use super::errors::{json_answer, ApiError, JSON_CONTENT_TYPE};
use super::gate::{bearer, session_valid};
use super::ids;
use super::session::{REFRESH_TOKEN_LIFETIME, SESSION_TIMEOUT};
use super::state::SalesforceState;
use super::{CLIENT_SECRET, IDENTITY_PATH, INSTANCE_PATH};
use crate::auth::clients::authenticate_on;
use crate::auth::grants::IssuedTokens;
use crate::auth::pkce;
use crate::auth::profile::{Platform, SALESFORCE};
use crate::clock::now_ms;

/// The user everyone signs in as, as the identity URL describes them.
const USERNAME: &str = "carbonsync@netzero.sandbox";
const DISPLAY_NAME: &str = "CarbonSync Sandbox User";

/// An OAuth error in Salesforce's shape: always a 400 with a description.
fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, JSON_CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        json!({ "error": error, "error_description": description }).to_string(),
    )
        .into_response()
}

/// `http://<the Host the client used>`: the instance and identity URLs point back at the
/// sandbox however it was reached.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// The identity URL of the org's one user.
fn identity_url(base: &str) -> String {
    format!("{base}{IDENTITY_PATH}/{}/{}", ids::org_id(), ids::user_id())
}

fn token_answer(headers: &HeaderMap, tokens: IssuedTokens) -> Response {
    let base = base_url(headers);
    let id = identity_url(&base);
    let issued_at = now_ms().to_string();
    // Salesforce: the Base64 HMAC-SHA256 of the identity URL and issued_at, keyed with the
    // client secret, so the client can check the two came from Salesforce.
    let signature = STANDARD.encode(crate::signing::hmac_sha256(
        CLIENT_SECRET.as_bytes(),
        format!("{id}{issued_at}").as_bytes(),
    ));
    let mut body = Map::new();
    body.insert("access_token".into(), json!(tokens.access_token));
    if let Some(refresh) = tokens.refresh_token {
        body.insert("refresh_token".into(), json!(refresh));
    }
    body.insert("signature".into(), json!(signature));
    body.insert("scope".into(), json!(tokens.scope));
    body.insert(
        "instance_url".into(),
        json!(format!("{base}{INSTANCE_PATH}")),
    );
    body.insert("id".into(), json!(id));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("issued_at".into(), json!(issued_at));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, JSON_CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json::Object(body).to_string(),
    )
        .into_response()
}

/// `POST /salesforce/services/oauth2/token`
pub async fn token(
    State(sf): State<SalesforceState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    sf.app.count_call(SALESFORCE.calls.token);
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
    let client_id = match authenticate_on(
        &SALESFORCE,
        authorization,
        field("client_id"),
        field("client_secret"),
    ) {
        Ok(id) => id,
        // Salesforce tells an unknown app apart from a wrong secret (`authenticate_on`'s
        // description for the first is "unknown client_id").
        Err((_, "unknown client_id")) => {
            return oauth_error("invalid_client_id", "client identifier invalid")
        }
        Err(("invalid_client", _)) => {
            return oauth_error("invalid_client", "invalid client credentials")
        }
        Err((error, description)) => return oauth_error(error, description),
    };
    match field("grant_type") {
        Some("authorization_code") => exchange_code(&sf, &headers, &client_id, field),
        Some("refresh_token") => refresh(&sf, &headers, &client_id, field),
        _ => oauth_error("unsupported_grant_type", "grant type not supported"),
    }
}

fn exchange_code<'a>(
    sf: &SalesforceState,
    headers: &HeaderMap,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    let (Some(code), Some(redirect_uri)) = (field("code"), field("redirect_uri")) else {
        return oauth_error("invalid_request", "code and redirect_uri are required");
    };
    let now = now_ms();
    let issued = {
        let mut auth = sf.app.auth();
        let request = match auth.take_code(code, now) {
            Ok(request) => request,
            Err(why) if why.contains("expired") => {
                return oauth_error("invalid_grant", "expired authorization code")
            }
            Err(_) => return oauth_error("invalid_grant", "invalid authorization code"),
        };
        if request.client_id != client_id {
            return oauth_error("invalid_grant", "invalid authorization code");
        }
        if request.redirect_uri != redirect_uri {
            return oauth_error(
                "redirect_uri_mismatch",
                "redirect_uri must match configuration",
            );
        }
        if !field("code_verifier").is_some_and(|v| pkce::verify(v, &request.code_challenge)) {
            return oauth_error("invalid_grant", "invalid code verifier");
        }
        let grant = auth.create_grant_on(
            Platform::Salesforce,
            client_id,
            &request.scope,
            &[],
            &[],
            now,
        );
        auth.issue_tokens(grant.id, SESSION_TIMEOUT, REFRESH_TOKEN_LIFETIME, now)
    };
    let Some(tokens) = issued else {
        return oauth_error("invalid_grant", "authentication failure");
    };
    sf.app.stats().tokens_issued += 1;
    sf.app.persist();
    tracing::info!("Salesforce authorization code exchanged for tokens");
    token_answer(headers, tokens)
}

fn refresh<'a>(
    sf: &SalesforceState,
    headers: &HeaderMap,
    client_id: &str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Response {
    let Some(refresh_token) = field("refresh_token") else {
        return oauth_error("invalid_request", "refresh_token is required");
    };
    let rotate = sf.knobs().refresh_token_rotation;
    let refreshed = sf.app.auth().refresh_session(
        refresh_token,
        client_id,
        rotate,
        SESSION_TIMEOUT,
        REFRESH_TOKEN_LIFETIME,
        now_ms(),
    );
    match refreshed {
        Ok(tokens) => {
            sf.app.stats().tokens_refreshed += 1;
            sf.app.persist();
            tracing::info!(rotated = rotate, "Salesforce session refreshed");
            token_answer(headers, tokens)
        }
        Err(why) => {
            tracing::debug!(why, "Salesforce refresh refused");
            oauth_error("invalid_grant", "expired access/refresh token")
        }
    }
}

/// `POST /salesforce/services/oauth2/revoke` with `token=…` in a form body (or `GET` with it
/// in the query): an access token ends alone; a refresh token ends with the access tokens
/// issued under it. 200 with an empty body, or 400 `invalid_token`.
pub async fn revoke(
    State(sf): State<SalesforceState>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    sf.app.count_call(SALESFORCE.calls.revoke);
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .or_else(|| params.get("token").cloned())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return oauth_error("invalid_request", "token is required");
    };
    if !sf.app.auth().revoke_token_on(&SALESFORCE, &token) {
        return oauth_error("invalid_token", "invalid token");
    }
    sf.app.stats().tokens_revoked += 1;
    sf.app.persist();
    tracing::info!("Salesforce token revoked");
    StatusCode::OK.into_response()
}

/// `GET /salesforce/id/{orgId}/{userId}` with the access token: who signed in, and where the
/// org's REST API is (`{version}` stands in the URLs as Salesforce writes them).
pub async fn identity(
    State(sf): State<SalesforceState>,
    Path((org, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !bearer(&headers).is_some_and(|t| session_valid(&sf, &t)) {
        // The identity service's own answer to a bad token.
        return (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response();
    }
    if org != ids::org_id() || user != ids::user_id() {
        return ApiError::not_found().into_response();
    }
    let base = base_url(&headers);
    let data = format!("{base}{INSTANCE_PATH}/services/data/v{{version}}");
    json_answer(
        StatusCode::OK,
        &json!({
            "id": identity_url(&base),
            "asserted_user": true,
            "user_id": user,
            "organization_id": org,
            "username": USERNAME,
            "nick_name": "carbonsync",
            "display_name": DISPLAY_NAME,
            "email": USERNAME,
            "active": true,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_GB",
            "utcOffset": 0,
            "urls": {
                "rest": format!("{data}/"),
                "sobjects": format!("{data}/sobjects/"),
                "query": format!("{data}/query/"),
                "limits": format!("{data}/limits/"),
            },
        }),
    )
}
