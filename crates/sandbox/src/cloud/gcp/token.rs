//! `POST /gcp/token`: Google's token endpoint for the service-account JWT-bearer grant
//! (<https://developers.google.com/identity/protocols/oauth2/service-account#httprest>), and
//! the check of the access tokens it hands out.
//!
//! The assertion's `iat`/`exp` are judged against the wall clock, not the providers' clock the
//! control API moves: that clock decides which months Google has published (it stands in
//! January 2025 by default), while the assertion is signed by CarbonSync with the real time, as
//! Google judges it by its own real clock.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;

use super::account::{ServiceAccount, GOOGLE_TOKEN_URI};
use super::{google_error, respond};
use crate::app::AppState;

/// `grant_type` of the JWT-bearer grant (RFC 7523).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How long an access token lives. Google answers `expires_in: 3599`.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Clock difference tolerated on `iat` (an assertion signed on a clock a little ahead).
const CLOCK_SKEW_SECS: i64 = 300;

/// Scopes whose tokens BigQuery's query methods accept (its discovery document lists
/// `bigquery`, `cloud-platform` and `cloud-platform.read-only`; `bigquery.readonly` runs
/// queries through `jobs.query` as well).
pub const BIGQUERY_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/bigquery",
    "https://www.googleapis.com/auth/bigquery.readonly",
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/cloud-platform.read-only",
];

/// An access token handed out.
#[derive(Debug, Clone)]
struct Grant {
    expires: Instant,
    scopes: BTreeSet<String>,
}

/// The tokens handed out, beside the shared state (whose shape belongs to the whole sandbox):
/// tokens are random, so one sandbox never accepts another's by chance.
fn grants() -> std::sync::MutexGuard<'static, HashMap<String, Grant>> {
    static GRANTS: OnceLock<Mutex<HashMap<String, Grant>>> = OnceLock::new();
    GRANTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    scope: Option<String>,
    aud: Option<serde_json::Value>,
    iat: Option<i64>,
    exp: Option<i64>,
}

fn oauth_error(state: &AppState, error: &str, description: &str) -> Response {
    respond(
        state,
        StatusCode::BAD_REQUEST,
        json!({"error": error, "error_description": description}),
    )
}

/// Whether `aud` names a token endpoint this stand-in plays: Google's, or its own
/// (`http://<host>/gcp/token`, by the request's `Host`).
fn audience_ok(aud: &str, headers: &HeaderMap) -> bool {
    if aud == GOOGLE_TOKEN_URI {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    !host.is_empty()
        && (aud == format!("http://{host}/gcp/token") || aud == format!("https://{host}/gcp/token"))
}

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    state.count_call("gcp.token");
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let grant_type = form.get("grant_type").map(String::as_str).unwrap_or("");
    if grant_type != JWT_BEARER {
        return oauth_error(
            &state,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {grant_type}"),
        );
    }
    let Some(assertion) = form.get("assertion").filter(|a| !a.is_empty()) else {
        return oauth_error(
            &state,
            "invalid_request",
            "Missing required parameter: assertion",
        );
    };
    let seed = state.opts.seed;
    let account = match tokio::task::spawn_blocking(move || ServiceAccount::for_seed(seed)).await {
        Ok(a) => a,
        Err(_) => {
            return respond(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "internal_failure"}),
            )
        }
    };
    let invalid_signature = || oauth_error(&state, "invalid_grant", "Invalid JWT Signature.");

    let Ok(header) = jsonwebtoken::decode_header(assertion) else {
        return invalid_signature();
    };
    if header.alg != Algorithm::RS256 {
        return invalid_signature();
    }
    // Google finds the public key by `kid`; an assertion naming none is checked against the
    // account's keys all the same.
    if header
        .kid
        .as_deref()
        .is_some_and(|kid| kid != account.private_key_id)
    {
        return invalid_signature();
    }
    let Ok(unverified) = jsonwebtoken::dangerous::insecure_decode::<Claims>(assertion) else {
        return invalid_signature();
    };
    if unverified.claims.iss.as_deref() != Some(account.client_email.as_str()) {
        return oauth_error(&state, "invalid_grant", "Invalid grant: account not found");
    }
    let key = DecodingKey::from_rsa_raw_components(&account.modulus, &account.exponent);
    let mut validation = Validation::new(Algorithm::RS256);
    // Only the signature here; the claims are checked below with Google's answers.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = match jsonwebtoken::decode::<Claims>(assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(_) => return invalid_signature(),
    };
    let aud = match claims.aud {
        Some(serde_json::Value::String(a)) => a,
        _ => String::new(),
    };
    if !audience_ok(&aud, &headers) {
        return oauth_error(
            &state,
            "invalid_grant",
            &format!(
                "Invalid JWT: Failed audience check. The right audience is {GOOGLE_TOKEN_URI}"
            ),
        );
    }
    let now = chrono::Utc::now().timestamp();
    let timeframe_ok = match (claims.iat, claims.exp) {
        (Some(iat), Some(exp)) => {
            iat <= now + CLOCK_SKEW_SECS && exp > now && exp > iat && exp - iat <= 3600
        }
        _ => false,
    };
    if !timeframe_ok {
        return oauth_error(
            &state,
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        );
    }
    let scopes: BTreeSet<String> = claims
        .scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty()
        || scopes
            .iter()
            .any(|s| !s.starts_with("https://www.googleapis.com/auth/"))
    {
        return oauth_error(
            &state,
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.",
        );
    }

    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let access_token = format!("ya29.c.{}", URL_SAFE_NO_PAD.encode(bytes));
    {
        let mut grants = grants();
        let now = Instant::now();
        grants.retain(|_, g| g.expires > now);
        grants.insert(
            access_token.clone(),
            Grant {
                expires: now + TOKEN_LIFETIME,
                scopes,
            },
        );
    }
    let mut response = respond(
        &state,
        StatusCode::OK,
        json!({
            "access_token": access_token,
            "expires_in": TOKEN_LIFETIME.as_secs() - 1,
            "token_type": "Bearer",
        }),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, max-age=0, must-revalidate"),
    );
    response
}

/// Checks a BigQuery request's `Authorization: Bearer` token: `None` when it may read
/// BigQuery, else Google's 401 (missing, unknown or expired token) or 403 (a token without a
/// BigQuery scope).
pub fn check_bearer(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Some(unauthenticated(
            state,
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "Login Required.",
            "required",
        ));
    };
    let grant = grants().get(token).cloned();
    match grant {
        Some(g) if g.expires > Instant::now() => {
            if g.scopes.iter().any(|s| BIGQUERY_SCOPES.contains(&s.as_str())) {
                None
            } else {
                let mut response = google_error(
                    state,
                    StatusCode::FORBIDDEN,
                    "Request had insufficient authentication scopes.",
                    json!([{"message": "Insufficient Permission", "domain": "global", "reason": "insufficientPermissions"}]),
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer realm=\"https://accounts.google.com/\", error=\"insufficient_scope\", scope=\"https://www.googleapis.com/auth/bigquery\"",
                    ),
                );
                Some(response)
            }
        }
        _ => Some(unauthenticated(
            state,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "Invalid Credentials",
            "authError",
        )),
    }
}

fn unauthenticated(state: &AppState, message: &str, short: &str, reason: &str) -> Response {
    let mut response = google_error(
        state,
        StatusCode::UNAUTHORIZED,
        message,
        json!([{"message": short, "domain": "global", "reason": reason, "location": "Authorization", "locationType": "header"}]),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
        ),
    );
    response
}
