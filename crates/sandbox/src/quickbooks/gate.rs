//! What every QuickBooks API call passes through before its handler: the bearer token (401),
//! the company in the path (403), the concurrent-call limit (429), any injected fault, then
//! the per-minute limit (429). Only calls that get through are counted as served.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use uuid::Uuid;

use super::errors::Fault;
use super::time::stamp;
use super::{COMPANY, REALM_ID};
use crate::app::AppState;
use crate::auth::grants::AccessError;
use crate::auth::profile::Platform;
use crate::clock::now_ms;
use crate::faults::FaultKind;
use crate::limits::Admission;

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The realm id in `/quickbooks/v3/company/{realmId}/…`.
fn realm_of(path: &str) -> &str {
    path.strip_prefix(COMPANY)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

/// The stats key of a call other than a query (whose key names its entity; the handler
/// counts those).
fn call_key(path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix(COMPANY)?.strip_prefix('/')?;
    let (_, endpoint) = rest.split_once('/')?;
    match endpoint.split('/').next()? {
        "companyinfo" => Some("GET /quickbooks/companyinfo"),
        "preferences" => Some("GET /quickbooks/preferences"),
        "cdc" => Some("GET /quickbooks/cdc"),
        _ => None,
    }
}

/// The limiter's key for the company.
fn realm_key() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, REALM_ID.as_bytes())
}

pub async fn gate(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());

    let Some(token) = bearer(request.headers()) else {
        return Fault::authentication("Authorization header is missing or is not a bearer token.")
            .into_response();
    };
    let checked = app
        .auth()
        .check_access_on(Platform::QuickBooks, &token, now_ms());
    let grant = match checked {
        Ok(grant) => grant,
        Err(AccessError::Expired { at_ms }) => {
            return Fault::authentication(&format!(
                "Token expired: the access token expired at {}.",
                stamp(at_ms.div_euclid(1000))
            ))
            .into_response()
        }
        Err(AccessError::Unknown) => {
            return Fault::authentication("Token invalid: unknown or revoked access token.")
                .into_response()
        }
    };
    // A company the grant does not reach is refused like one that does not exist.
    let realm = realm_of(&path);
    if realm != REALM_ID || !grant.reaches_realm(realm) {
        return Fault::authorization().into_response();
    }

    let limit = app.settings().quickbooks_rate_limit.clone();
    let Some(_slot) = app.quickbooks_slot(limit.as_ref().map(|l| l.concurrent)) else {
        app.stats().rate_limited += 1;
        return Fault::throttled("Too many requests in progress at once for this company.")
            .into_response();
    };

    let listing = path.ends_with("/query") || path.ends_with("/cdc");
    let fault = app.faults().take(&target, listing);
    let mut broken_body = false;
    if let Some(fault) = fault {
        tracing::info!(path = %path, kind = ?fault.kind, "injecting a fault");
        match fault.kind {
            FaultKind::Status => {
                let status =
                    StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let answer = match status {
                    StatusCode::UNAUTHORIZED => {
                        Fault::authentication("Injected fault: the sandbox was asked to fail.")
                    }
                    StatusCode::FORBIDDEN => Fault::authorization(),
                    StatusCode::TOO_MANY_REQUESTS => {
                        Fault::throttled("The request limit was reached.")
                    }
                    other => Fault::system(other),
                };
                return answer.into_response();
            }
            FaultKind::RateLimit => {
                app.stats().rate_limited += 1;
                return Fault::throttled("The request limit was reached.").into_response();
            }
            FaultKind::RevokeGrant => {
                if app.auth().revoke_grant(&grant.id) {
                    app.stats().tokens_revoked += 1;
                }
                app.persist();
                return Fault::authentication("Token revoked: the app was disconnected.")
                    .into_response();
            }
            FaultKind::Slow => tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await,
            FaultKind::BrokenJson => broken_body = true,
            FaultKind::MangleRecord => {
                if let Some(mangle) = fault.mangle {
                    request.extensions_mut().insert(mangle);
                }
            }
        }
    }

    if let Some(limit) = limit {
        let admission = app.quickbooks_limiter().admit(
            realm_key(),
            Some(&limit.per_window()),
            Instant::now(),
            Utc::now().date_naive(),
        );
        if let Admission::Limited { .. } = admission {
            app.stats().rate_limited += 1;
            return Fault::throttled("The request limit was reached.").into_response();
        }
    }

    if let Some(key) = call_key(&path) {
        app.count_call(key);
    }
    let mut response = next.run(request).await;
    if broken_body {
        response = crate::faults::truncate(response).await;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_realm_and_endpoint() {
        let path = "/quickbooks/v3/company/9341453050090071/companyinfo/9341453050090071";
        assert_eq!(realm_of(path), REALM_ID);
        assert_eq!(call_key(path), Some("GET /quickbooks/companyinfo"));
        assert_eq!(
            call_key("/quickbooks/v3/company/1/cdc"),
            Some("GET /quickbooks/cdc")
        );
        assert_eq!(call_key("/quickbooks/v3/company/1/query"), None);
        assert_eq!(realm_of("/quickbooks/v3/company/"), "");
    }
}
