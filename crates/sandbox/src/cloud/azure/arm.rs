//! What Azure Resource Manager does before any resource provider sees a request (the bearer
//! token, the `api-version`), and the subscription list.
//!
//! Errors in ARM's shape `{"error": {"code", "message"}}`: 401 `AuthenticationFailed` (no
//! `Authorization` header), `InvalidAuthenticationToken`, `ExpiredAuthenticationToken` and
//! `InvalidAuthenticationTokenAudience`, with ARM's `WWW-Authenticate` challenge; 400
//! `MissingApiVersionParameter` and `InvalidApiVersionParameter`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::identity::{self, Claims, AUDIENCE};
use super::{arm_error, finish, names};
use crate::app::AppState;
use crate::cloud::Cloud;

/// The api-versions of `Microsoft.Resources/subscriptions` the stand-in answers.
pub const SUBSCRIPTION_API_VERSIONS: &[&str] = &["2022-12-01", "2021-01-01", "2020-01-01"];

/// Subscriptions per page of the list; more are behind `nextLink`.
const SUBSCRIPTIONS_PER_PAGE: usize = 50;

/// The caller of an ARM request: its token's client id.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: String,
    pub object_id: String,
    /// Whether it holds the Carbon Optimization Reader role.
    pub has_role: bool,
}

fn unauthenticated(state: &AppState, code: &str, message: &str) -> Response {
    let mut response = arm_error(StatusCode::UNAUTHORIZED, code, message);
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\", error_description=\"{message}\""
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    finish(state, response)
}

/// The caller of a request, or ARM's 401.
// The refusal is the handler's answer, returned as it is; it is built once per refused call.
#[allow(clippy::result_large_err)]
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthenticated(
            state,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default();
    let Some(claims) = identity::verify(token) else {
        return Err(unauthenticated(
            state,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        ));
    };
    let Claims {
        aud,
        exp,
        appid,
        oid,
        ..
    } = claims;
    if aud.trim_end_matches('/') != AUDIENCE.trim_end_matches('/') {
        return Err(unauthenticated(
            state,
            "InvalidAuthenticationTokenAudience",
            &format!(
                "The access token has been obtained for wrong audience or resource '{aud}'. It \
                 should exactly match with one of the allowed audiences \
                 'https://management.core.windows.net/','https://management.core.windows.net',\
                 'https://management.azure.com/','https://management.azure.com'."
            ),
        ));
    }
    let now = Utc::now();
    if exp <= now.timestamp() {
        let expiry = DateTime::from_timestamp(exp, 0).unwrap_or(now);
        let format = "%-m/%-d/%Y %-I:%M:%S %p";
        return Err(unauthenticated(
            state,
            "ExpiredAuthenticationToken",
            &format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                expiry.format(format),
                now.format(format)
            ),
        ));
    }
    let Some(has_role) = super::principal(&appid) else {
        return Err(unauthenticated(
            state,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        ));
    };
    Ok(Caller {
        client_id: appid,
        object_id: oid,
        has_role,
    })
}

/// The request's `api-version` when it is one of `supported`, else ARM's 400. `provider_type`
/// names a resource provider's type (`carbonEmissionReports`), for which ARM answers
/// `NoRegisteredProviderFound`; `None` for ARM's own resources (`InvalidApiVersionParameter`).
#[allow(clippy::result_large_err)]
pub fn api_version(
    state: &AppState,
    query: &HashMap<String, String>,
    supported: &[&str],
    provider_type: Option<&str>,
) -> Result<(), Response> {
    let Some(version) = query.get("api-version").filter(|v| !v.is_empty()) else {
        return Err(finish(
            state,
            arm_error(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ),
        ));
    };
    if supported.contains(&version.as_str()) {
        return Ok(());
    }
    let list = supported.join(", ");
    let response = match provider_type {
        Some(kind) => arm_error(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            &format!(
                "No registered resource provider found for location 'global' and API version \
                 '{version}' for type '{kind}'. The supported api-versions are '{list}'. The \
                 supported locations are ', global'."
            ),
        ),
        None => arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            &format!(
                "The api-version '{version}' is invalid. The supported versions are '{list}'."
            ),
        ),
    };
    Err(finish(state, response))
}

/// `GET /azure/management/subscriptions?api-version=…[&$skiptoken=n]`: every estate account
/// as a subscription, 50 a page. Both sandbox principals see them all (the one without the
/// Carbon Optimization Reader role has a role on their resource groups).
pub async fn subscriptions(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    state.count_call("azure.subscriptions");
    if let Err(response) = authenticate(&state, &headers) {
        return response;
    }
    if let Err(response) = api_version(&state, &query, SUBSCRIPTION_API_VERSIONS, None) {
        return response;
    }
    let count = state.cloud().estate(Cloud::Azure).await.scale.accounts;
    let start: usize = match query.get("$skiptoken").map(|s| s.parse()) {
        None => 0,
        Some(Ok(n)) if n <= count => n,
        Some(_) => {
            return finish(
                &state,
                arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidSkipToken",
                    "The skip token in the request is invalid.",
                ),
            )
        }
    };
    let end = (start + SUBSCRIPTIONS_PER_PAGE).min(count);
    let value: Vec<serde_json::Value> = (start..end)
        .map(|a| {
            let a = a as u16;
            let id = names::subscription_id(a);
            json!({
                "id": format!("/subscriptions/{id}"),
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "subscriptionId": id,
                "tenantId": super::AZURE_TENANT_ID,
                "displayName": names::subscription_name(a),
                "state": "Enabled",
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "EnterpriseAgreement_2014-09-01",
                    "spendingLimit": "Off",
                },
            })
        })
        .collect();
    let mut body = json!({ "value": value, "count": { "type": "Total", "value": count } });
    if end < count {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let version = query.get("api-version").cloned().unwrap_or_default();
        body["nextLink"] = json!(format!(
            "http://{host}/azure/management/subscriptions?api-version={version}&%24skiptoken={end}"
        ));
    }
    finish(
        &state,
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body.to_string(),
        )
            .into_response(),
    )
}
