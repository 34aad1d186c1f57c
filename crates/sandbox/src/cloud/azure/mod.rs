//! The Microsoft Azure stand-in: the Microsoft identity platform's client-credentials token
//! endpoint and the two Azure Resource Manager operations CarbonSync reads, in their real
//! shapes and errors, serving the generated estate (see [`names`] for how it is named).
//!
//! - `POST /azure/{tenant_id}/oauth2/v2.0/token`: client credentials for
//!   `https://management.azure.com/.default` ([`identity`]). Errors carry the platform's
//!   `AADSTS` codes in its JSON shape (`error`, `error_description`, `error_codes`,
//!   `timestamp`, `trace_id`, `correlation_id`, `error_uri`).
//! - `GET /azure/management/subscriptions?api-version=2022-12-01` ([`arm`]).
//! - `GET /_control/azure/certificate`: the PEM (certificate and private key) of the
//!   certificate registered on both app registrations ([`certificate`]), for tests and the
//!   demo; `?registered=false` gives one of another key, registered nowhere.
//! - `POST /azure/management/providers/Microsoft.Carbon/carbonEmissionReports?api-version=2025-04-01`
//!   ([`carbon`]): `OverallSummaryReport`, `MonthlySummaryReport` and `ItemDetailsReport` (every
//!   `categoryType`), `skipToken` paging, `subscriptionAccessDecisionList`.
//!
//! Two service principals exist in the one directory [`AZURE_TENANT_ID`] (also reachable as
//! [`AZURE_TENANT_DOMAIN`]): [`AZURE_CLIENT_ID`], which holds the Carbon Optimization Reader
//! role on every subscription, and [`AZURE_NO_ROLE_CLIENT_ID`], which holds a role on the
//! subscriptions' resource groups (so it lists them) but not that one, and is refused every
//! report with ARM's 403 `AuthorizationFailed`. Both use [`AZURE_CLIENT_SECRET`], and both
//! have the generated certificate registered ([`certificate::PrincipalCertificate::registered`]).
//! These are published on purpose: they open nothing but this sandbox.
//!
//! Numbers: Microsoft publishes one number per scope, its market-based view; the stand-in
//! serves the estate's Scope 1, market-based Scope 2 and market-based Scope 3, in kgCO2e, each
//! through the shared restatement rule, then split exactly between the combination's
//! resources. Months after the providers' clock's newest published month answer no items.

pub mod arm;
pub mod carbon;
pub mod certificate;
pub mod identity;
pub mod names;

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::app::AppState;

/// The sandbox directory's tenant id.
pub const AZURE_TENANT_ID: &str = "4b1c2f8e-7d3a-4e59-9a61-2c8f0d5e7b13";
/// The sandbox directory's verified domain, accepted in place of its id.
pub const AZURE_TENANT_DOMAIN: &str = "cedarfinch.onmicrosoft.com";
/// The app registration whose service principal has the Carbon Optimization Reader role on
/// every subscription.
pub const AZURE_CLIENT_ID: &str = "9d2e6a41-3f7b-4c85-b0e2-71a4c6d8f359";
/// An app registration whose service principal lacks that role.
pub const AZURE_NO_ROLE_CLIENT_ID: &str = "e3f1b7c2-58a9-4d06-8c4e-0a9b2d6f1e84";
/// Both principals' client secret (a secret's Value, as the portal shows it once).
pub const AZURE_CLIENT_SECRET: &str = "Sbx8Q~CarbonSync.Sandbox-Azure_Secret.0001";

/// The principals of the sandbox directory: `(client id, has the Carbon Optimization Reader
/// role)`.
const PRINCIPALS: &[(&str, bool)] = &[(AZURE_CLIENT_ID, true), (AZURE_NO_ROLE_CLIENT_ID, false)];

/// Whether `client_id` is a principal of the directory, and whether it holds the role.
pub fn principal(client_id: &str) -> Option<bool> {
    PRINCIPALS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(client_id))
        .map(|(_, role)| *role)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/azure/{tenant_id}/oauth2/v2.0/token",
            post(identity::token),
        )
        .route("/azure/management/subscriptions", get(arm::subscriptions))
        .route(
            "/azure/management/providers/Microsoft.Carbon/carbonEmissionReports",
            post(carbon::reports),
        )
        .route("/_control/azure/certificate", get(certificate_pem))
}

/// The query of `GET /_control/azure/certificate`.
#[derive(serde::Deserialize)]
struct CertificateQuery {
    #[serde(default)]
    registered: Option<bool>,
}

/// `GET /_control/azure/certificate`: the registered certificate and its private key as PEM
/// (`?registered=false`: a certificate of another key, registered nowhere). Test-only, like
/// `/_control/gcp/service-account-key`.
async fn certificate_pem(
    State(state): State<AppState>,
    Query(query): Query<CertificateQuery>,
) -> Response {
    let seed = state.opts.seed;
    let registered = query.registered.unwrap_or(true);
    let generated = tokio::task::spawn_blocking(move || {
        if registered {
            certificate::PrincipalCertificate::registered(seed)
        } else {
            certificate::PrincipalCertificate::unregistered(seed)
        }
    })
    .await;
    match generated {
        Ok(certificate) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            certificate.pem.clone(),
        )
            .into_response(),
        Err(_) => arm_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "the certificate could not be generated",
        ),
    }
}

/// The sandbox's own credentials for Azure, by connect-form field name: the principal with
/// the role.
pub fn credentials() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("tenant_id".to_owned(), AZURE_TENANT_ID.to_owned()),
        ("client_id".to_owned(), AZURE_CLIENT_ID.to_owned()),
        ("client_secret".to_owned(), AZURE_CLIENT_SECRET.to_owned()),
    ])
}

/// An HTTP date (RFC 9110 §5.6.7).
pub fn http_date(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Adds what every answer carries: `Date` from the providers' clock, and ARM's request ids.
pub fn finish(state: &AppState, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if let Ok(date) = HeaderValue::from_str(&http_date(state.cloud().now())) {
        headers.insert(header::DATE, date);
    }
    let id = Uuid::new_v4().to_string();
    for name in ["x-ms-request-id", "x-ms-correlation-request-id"] {
        if let Ok(value) = HeaderValue::from_str(&id) {
            headers.insert(name, value);
        }
    }
    response
}

/// An error in Azure Resource Manager's shape: `{"error": {"code", "message"}}`.
pub fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({ "error": { "code": code, "message": message } }).to_string(),
    )
        .into_response()
}
