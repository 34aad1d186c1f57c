//! The Microsoft identity platform's v2.0 token endpoint, client-credentials grant only, and
//! the access tokens it issues: JWTs for `https://management.azure.com/`, an hour long,
//! checked by the ARM stand-in.
//!
//! Error answers follow the platform's shape and codes
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes>):
//! 401 `invalid_client` for a wrong or missing secret (`AADSTS7000215`, `AADSTS7000216`),
//! 400 `unauthorized_client` for an unknown application (`AADSTS700016`), 400
//! `invalid_request` for an unknown or malformed directory (`AADSTS90002`, `AADSTS900023`) or a
//! missing parameter (`AADSTS900144`), 400 `unsupported_grant_type` (`AADSTS70003`), 400
//! `invalid_scope` (`AADSTS1002012`) and 400 `invalid_resource` (`AADSTS500011`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{finish, names, principal, AZURE_CLIENT_SECRET, AZURE_TENANT_DOMAIN, AZURE_TENANT_ID};
use crate::app::AppState;

/// How long an access token lasts, as the platform's default.
pub const TOKEN_LIFETIME_SECS: i64 = 3599;

/// The audience of every token issued: Azure Resource Manager.
pub const AUDIENCE: &str = "https://management.azure.com/";

/// Signs the sandbox's tokens. Not a secret worth keeping: the tokens open only the sandbox.
const SIGNING_KEY: &[u8] = b"carbonsync-sandbox-azure-token-signing-key";

/// What a sandbox access token says, as the platform's v1.0 access tokens for ARM do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub appid: String,
    pub oid: String,
    pub sub: String,
    pub tid: String,
    pub idtyp: String,
    pub ver: String,
}

/// Issues a token for `client_id` in the sandbox directory, valid from `now` (this computer's
/// clock: tokens are about the session, the providers' clock about what is published).
pub fn issue(client_id: &str, now: DateTime<Utc>) -> String {
    let oid = names::object_id(client_id);
    let claims = Claims {
        aud: AUDIENCE.to_owned(),
        iss: format!("https://sts.windows.net/{AZURE_TENANT_ID}/"),
        iat: now.timestamp(),
        nbf: now.timestamp(),
        exp: now.timestamp() + TOKEN_LIFETIME_SECS,
        appid: client_id.to_owned(),
        sub: oid.clone(),
        oid,
        tid: AZURE_TENANT_ID.to_owned(),
        idtyp: "app".to_owned(),
        ver: "1.0".to_owned(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SIGNING_KEY),
    )
    .expect("HS256 signing of plain claims cannot fail")
}

/// The claims of a token this sandbox signed, whatever its expiry and audience (the ARM
/// stand-in answers those with their own errors); `None` for anything else.
pub fn verify(token: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(SIGNING_KEY), &validation)
        .ok()
        .map(|data| data.claims)
}

/// A refusal in the identity platform's shape. The description ends, as the platform's do,
/// with the trace id, correlation id and time.
fn refusal(
    state: &AppState,
    status: StatusCode,
    error: &str,
    code: u32,
    message: &str,
) -> Response {
    let now = state.cloud().now();
    let timestamp = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    let trace = Uuid::new_v4().to_string();
    let correlation = Uuid::new_v4().to_string();
    let description = format!(
        "AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
    );
    let body = json!({
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    finish(
        state,
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store, no-cache"),
                (header::PRAGMA, "no-cache"),
            ],
            body.to_string(),
        )
            .into_response(),
    )
}

fn is_guid(text: &str) -> bool {
    Uuid::parse_str(text).is_ok() && text.len() == 36
}

fn is_domain(text: &str) -> bool {
    text.contains('.')
        && text
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// `POST /azure/{tenant_id}/oauth2/v2.0/token`, form-encoded `grant_type=client_credentials`,
/// `client_id`, `client_secret`, `scope`.
pub async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    state.count_call("azure.token");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let bad = StatusCode::BAD_REQUEST;
    let known_tenant = tenant.eq_ignore_ascii_case(AZURE_TENANT_ID)
        || tenant.eq_ignore_ascii_case(AZURE_TENANT_DOMAIN);
    if !known_tenant {
        if is_guid(&tenant) || is_domain(&tenant) {
            return refusal(
                &state,
                bad,
                "invalid_request",
                90002,
                &format!(
                    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant \
                     ID and are signing into the correct cloud. Check with your subscription \
                     administrator, this may happen if there are no active subscriptions for the \
                     tenant."
                ),
            );
        }
        return refusal(
            &state,
            bad,
            "invalid_request",
            900023,
            &format!(
                "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid \
                 external domain."
            ),
        );
    }
    let missing = |name: &str| {
        refusal(
            &state,
            bad,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )
    };
    let Some(grant) = field("grant_type") else {
        return missing("grant_type");
    };
    if grant != "client_credentials" {
        return refusal(
            &state,
            bad,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant}'."),
        );
    }
    let Some(client) = field("client_id") else {
        return missing("client_id");
    };
    let Some(scope) = field("scope") else {
        return missing("scope");
    };
    if principal(&client).is_none() {
        return refusal(
            &state,
            bad,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client}' was not found in the directory \
                 'Cedar & Finch'. This can happen if the application has not been installed by \
                 the administrator of the tenant or consented to by any user in the tenant. You \
                 may have sent your authentication request to the wrong tenant."
            ),
        );
    }
    let Some(resource) = scope.strip_suffix("/.default") else {
        return refusal(
            &state,
            bad,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows \
                 must have a scope value with /.default suffixed to the resource identifier \
                 (application ID URI)."
            ),
        );
    };
    let resource = resource.trim_end_matches('/');
    if resource != "https://management.azure.com"
        && resource != "https://management.core.windows.net"
    {
        return refusal(
            &state,
            bad,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named \
                 Cedar & Finch. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You might \
                 have sent your authentication request to the wrong tenant."
            ),
        );
    }
    let Some(secret) = field("client_secret") else {
        return refusal(
            &state,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the \
             'client_credentials' grant type.",
        );
    };
    if secret != AZURE_CLIENT_SECRET {
        return refusal(
            &state,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is \
                 the client secret value, not the client secret ID, for a secret added to app \
                 '{client}'."
            ),
        );
    }
    let access_token = issue(&client.to_ascii_lowercase(), Utc::now());
    finish(
        &state,
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store, no-cache"),
                (header::PRAGMA, "no-cache"),
            ],
            json!({
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME_SECS,
                "ext_expires_in": TOKEN_LIFETIME_SECS,
                "access_token": access_token,
            })
            .to_string(),
        )
            .into_response(),
    )
}
