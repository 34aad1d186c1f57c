//! What every API call passes through before its handler, in Xero's order: the bearer token
//! (401), the tenant header (400/403), then any injected fault, then the per-tenant rate limit
//! (429). Only calls that get through are counted as served.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use uuid::Uuid;

use super::dates::expiry_text;
use super::errors::{problem, unauthorized, Problem};
use super::{ACCOUNTING, LISTINGS};
use crate::app::AppState;
use crate::auth::grants::{AccessError, Grant};
use crate::clock::now_ms;
use crate::faults::{FaultKind, RateProblem};
use crate::limits::{Admission, Remaining};

/// Who a served call acts for; handlers read it from the request extensions.
#[derive(Clone, Debug)]
pub struct Caller {
    pub grant: Grant,
    /// Set for Accounting API calls (validated against the company).
    pub tenant: Option<Uuid>,
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The organisation an Accounting API call names, if the caller's grant reaches it.
fn tenant_of(app: &AppState, headers: &HeaderMap, grant: &Grant) -> Result<Uuid, Problem> {
    let Some(value) = headers.get("xero-tenant-id") else {
        return Err(Problem::bad_request(
            "Missing xero-tenant-id header: every Accounting API call must name the \
             organisation it is for. Use a tenantId from GET /connections.",
        ));
    };
    let known = value
        .to_str()
        .ok()
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .filter(|t| app.company().org(t).is_some());
    // An organisation the user did not tick on the consent page is refused just like one
    // that does not exist, as Xero does.
    known
        .filter(|t| grant.reaches(t))
        .ok_or_else(Problem::forbidden)
}

fn set_header(headers: &mut HeaderMap, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        headers.insert(name, v);
    }
}

fn limit_headers(headers: &mut HeaderMap, remaining: Remaining) {
    set_header(headers, "x-minlimit-remaining", remaining.minute);
    set_header(headers, "x-daylimit-remaining", remaining.day);
    set_header(headers, "x-appminlimit-remaining", remaining.app_minute);
}

fn too_many_requests(retry_after_secs: u64, which: RateProblem) -> Response {
    let mut response = problem(StatusCode::TOO_MANY_REQUESTS, which.detail());
    let headers = response.headers_mut();
    set_header(headers, "retry-after", retry_after_secs);
    set_header(headers, "x-rate-limit-problem", which.name());
    response
}

/// The remaining-calls header of the limit that was hit reads 0, as it would at Xero.
fn exhaust(headers: &mut HeaderMap, which: RateProblem) {
    match which {
        RateProblem::Minute => set_header(headers, "x-minlimit-remaining", 0),
        RateProblem::Day => set_header(headers, "x-daylimit-remaining", 0),
        RateProblem::AppMinute => set_header(headers, "x-appminlimit-remaining", 0),
        RateProblem::Concurrent => {}
    }
}

pub async fn gate(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let endpoint = format!(
        "{} /{}",
        request.method(),
        path.rsplit('/').next().unwrap_or_default()
    );

    let Some(token) = bearer(request.headers()) else {
        return unauthorized("AuthenticationUnsuccessful");
    };
    let checked = app.auth().check_access(&token, now_ms());
    let grant = match checked {
        Ok(grant) => grant,
        Err(AccessError::Expired { at_ms }) => {
            return unauthorized(&format!(
                "TokenExpired: token expired at {}",
                expiry_text(at_ms)
            ))
        }
        Err(AccessError::Unknown) => return unauthorized("AuthenticationUnsuccessful"),
    };

    let tenant = if path.starts_with(ACCOUNTING) {
        match tenant_of(&app, request.headers(), &grant) {
            Ok(tenant) => Some(tenant),
            Err(problem) => return problem.into_response(),
        }
    } else {
        None
    };
    let with_limits = |mut response: Response| {
        if let Some(t) = tenant {
            let limit = app.settings().rate_limit.clone();
            let remaining =
                app.limiter()
                    .peek(t, limit.as_ref(), Instant::now(), Utc::now().date_naive());
            limit_headers(response.headers_mut(), remaining);
        }
        response
    };

    let listing = LISTINGS
        .iter()
        .any(|name| path.strip_prefix(ACCOUNTING) == Some(name));
    let fault = app.faults().take(&target, listing);
    let mut broken_body = false;
    if let Some(fault) = fault {
        tracing::info!(endpoint = %endpoint, kind = ?fault.kind, "injecting a fault");
        match fault.kind {
            FaultKind::Status => {
                let status =
                    StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return with_limits(problem(
                    status,
                    "Injected fault: the sandbox was asked to fail this call.",
                ));
            }
            FaultKind::RateLimit => {
                app.stats().rate_limited += 1;
                let mut response = with_limits(too_many_requests(
                    fault.retry_after_secs.max(1),
                    fault.problem,
                ));
                exhaust(response.headers_mut(), fault.problem);
                return response;
            }
            FaultKind::RevokeGrant => {
                if app.auth().revoke_grant(&grant.id) {
                    app.stats().tokens_revoked += 1;
                }
                app.persist();
                return unauthorized("AuthenticationUnsuccessful");
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

    let mut remaining = None;
    if let Some(t) = tenant {
        let limit = app.settings().rate_limit.clone();
        let admission =
            app.limiter()
                .admit(t, limit.as_ref(), Instant::now(), Utc::now().date_naive());
        match admission {
            Admission::Served(r) => remaining = Some(r),
            Admission::Limited {
                retry_after_secs,
                remaining,
            } => {
                app.stats().rate_limited += 1;
                let mut response = too_many_requests(retry_after_secs, RateProblem::Minute);
                limit_headers(response.headers_mut(), remaining);
                return response;
            }
        }
    }

    app.count_call(&endpoint);
    request.extensions_mut().insert(Caller { grant, tenant });
    let mut response = next.run(request).await;
    if let Some(r) = remaining {
        limit_headers(response.headers_mut(), r);
    }
    if broken_body {
        response = crate::faults::truncate(response).await;
    }
    response
}
