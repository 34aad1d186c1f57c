//! The Microsoft identity platform's v2.0 token endpoint, client-credentials grant only (with
//! a client secret or a certificate's client assertion, [`super::certificate`]), and the access
//! tokens it issues: JWTs for `https://management.azure.com/`, an hour long, checked by the
//! ARM stand-in.
//!
//! Error answers follow the platform's shape and codes
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes>):
//! 401 `invalid_client` for a wrong or missing secret (`AADSTS7000215`, `AADSTS7000216`),
//! 400 `unauthorized_client` for an unknown application (`AADSTS700016`), 400
//! `invalid_request` for an unknown or malformed directory (`AADSTS90002`, `AADSTS900023`) or a
//! missing parameter (`AADSTS900144`), 400 `unsupported_grant_type` (`AADSTS70003`), 400
//! `invalid_scope` (`AADSTS1002012`) and 400 `invalid_resource` (`AADSTS500011`). A client
//! assertion that is not a JWT is 400 `invalid_request` `AADSTS50027`; one the platform
//! refuses is 401 `invalid_client` with the codes Microsoft lists for certificate credentials
//! (<https://learn.microsoft.com/en-us/azure/developer/java/sdk/troubleshooting-authentication-service-principal>):
//! `AADSTS700027` for a signature that does not verify or a certificate not registered on the
//! application, `AADSTS700021` for `iss`/`sub` other than the client id, `AADSTS700023` for an
//! `aud` other than the token endpoint, and `AADSTS700024` outside `nbf`..`exp`.
//!
//! The assertion's times are compared with this computer's clock, not the providers' clock
//! (`state.cloud().now()`): the connector signs with the real clock, as Microsoft's libraries
//! do and as the platform checks, while the providers' clock is set back or moved by tests to
//! decide which months are published, and would make every real assertion look as if it
//! came from the future.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::certificate::PrincipalCertificate;
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

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How far an assertion's `nbf` may be ahead of this computer's clock (clock skew).
const CLOCK_SKEW_SECS: i64 = 300;

/// The claims of a client assertion that are checked.
#[derive(Deserialize)]
struct AssertionClaims {
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
}

/// Whether `aud` is this tenant's token endpoint: Microsoft's
/// (`https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, or the older
/// `…/{tenant}/v2.0`) or the stand-in's own address as the request reached it, with the
/// tenant as its id or its domain.
fn audience_ok(aud: &str, headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let aud = aud.to_ascii_lowercase();
    [AZURE_TENANT_ID, AZURE_TENANT_DOMAIN].iter().any(|tenant| {
        let ms = format!("https://login.microsoftonline.com/{tenant}");
        aud == format!("{ms}/oauth2/v2.0/token")
            || aud == format!("{ms}/v2.0")
            || (!host.is_empty()
                && ["http", "https"].iter().any(|scheme| {
                    aud == format!(
                        "{scheme}://{}/azure/{tenant}/oauth2/v2.0/token",
                        host.to_ascii_lowercase()
                    )
                }))
    })
}

/// Checks a client assertion for `client`: `None` when it is accepted, else the refusal to
/// answer.
fn check_assertion(
    state: &AppState,
    headers: &HeaderMap,
    client: &str,
    assertion: &str,
    certificate: &PrincipalCertificate,
) -> Option<Response> {
    let unauthorized = StatusCode::UNAUTHORIZED;
    let malformed = || {
        refusal(
            state,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    };
    let Ok(header) = jsonwebtoken::decode_header(assertion) else {
        return Some(malformed());
    };
    let invalid_signature = |reason: &str, thumbprint: &str| {
        refusal(
            state,
            unauthorized,
            "invalid_client",
            700027,
            &format!(
                "Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint                  of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph                  Explorer or directly use MS Graph to see configured keys for app Id '{client}'.]"
            ),
        )
    };
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Some(invalid_signature(
            "The key algorithm is not supported.",
            header.x5t.as_deref().unwrap_or(""),
        ));
    }
    let named = header
        .x5t_s256
        .as_deref()
        .or(header.x5t.as_deref())
        .unwrap_or("")
        .to_owned();
    if !certificate.named_by(header.x5t.as_deref(), header.x5t_s256.as_deref()) {
        return Some(invalid_signature("The key was not found.", &named));
    }
    let key = DecodingKey::from_rsa_raw_components(&certificate.modulus, &certificate.exponent);
    let mut validation = Validation::new(header.alg);
    // The signature here; the claims below, with the platform's own answers.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = match jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(_) => {
            return Some(invalid_signature(
                "The provided signature value did not match the expected signature value.",
                &certificate.thumbprint_hex,
            ))
        }
    };
    let is_client =
        |v: &Option<String>| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(client));
    if !is_client(&claims.iss) || !is_client(&claims.sub) {
        return Some(refusal(
            state,
            unauthorized,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.              Review the documentation at              https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        ));
    }
    let aud_ok = match &claims.aud {
        Some(serde_json::Value::String(a)) => audience_ok(a, headers),
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .any(|a| a.as_str().is_some_and(|a| audience_ok(a, headers))),
        _ => false,
    };
    if !aud_ok {
        return Some(refusal(
            state,
            unauthorized,
            "invalid_client",
            700023,
            "Client assertion audience claim does not match Realm issuer. Review the              documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        ));
    }
    let now = Utc::now().timestamp();
    let in_time = match claims.exp {
        Some(exp) => exp > now && claims.nbf.is_none_or(|nbf| nbf <= now + CLOCK_SKEW_SECS),
        None => false,
    };
    if !in_time {
        let at = |secs: Option<i64>| {
            secs.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
                .map(|t| t.format("%m/%d/%Y %H:%M:%S").to_string())
                .unwrap_or_else(|| "(none)".to_owned())
        };
        return Some(refusal(
            state,
            unauthorized,
            "invalid_client",
            700024,
            &format!(
                "Client assertion is not within its valid time range. Current time: {},                  assertion valid from {}, expiry time of assertion {}. Review the documentation                  at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
                at(Some(now)),
                at(claims.nbf),
                at(claims.exp)
            ),
        ));
    }
    None
}

/// `POST /azure/{tenant_id}/oauth2/v2.0/token`, form-encoded `grant_type=client_credentials`,
/// `client_id`, `scope`, and either `client_secret` or `client_assertion_type` and
/// `client_assertion`.
pub async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
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
    if let Some(assertion) = field("client_assertion") {
        match field("client_assertion_type") {
            Some(kind) if kind == CLIENT_ASSERTION_TYPE => {}
            Some(kind) => {
                return refusal(
                    &state,
                    bad,
                    "invalid_request",
                    900144,
                    &format!(
                        "The 'client_assertion_type' '{kind}' is not supported: it must be                          '{CLIENT_ASSERTION_TYPE}'."
                    ),
                )
            }
            None => return missing("client_assertion_type"),
        }
        let seed = state.opts.seed;
        let Ok(certificate) =
            tokio::task::spawn_blocking(move || PrincipalCertificate::registered(seed)).await
        else {
            return refusal(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "temporarily_unavailable",
                90033,
                "A transient error has occurred. Please try again.",
            );
        };
        if let Some(refused) = check_assertion(&state, &headers, &client, &assertion, &certificate)
        {
            return refused;
        }
        return issued(&state, &client);
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
    issued(&state, &client)
}

/// The token answer for `client`.
fn issued(state: &AppState, client: &str) -> Response {
    let access_token = issue(&client.to_ascii_lowercase(), Utc::now());
    finish(
        state,
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
