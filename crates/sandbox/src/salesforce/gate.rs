//! What every REST API call passes through before its handler: the API version in the path
//! (404 for one Salesforce does not serve), the session (401 `INVALID_SESSION_ID`), then the
//! org's daily request allocation (403 `REQUEST_LIMIT_EXCEEDED`). Every answer that gets as
//! far as the allocation carries `Sforce-Limit-Info: api-usage=<used>/<max>`, as Salesforce's
//! do, so a client can slow down before it runs out.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use super::state::{SalesforceState, Usage};
use super::{API_VERSION, DATA_PATH, OLDEST_API_VERSION};
use crate::auth::profile::Platform;
use crate::clock::now_ms;

/// The header Salesforce reports API usage in.
pub const LIMIT_INFO_HEADER: &str = "sforce-limit-info";

/// The bearer token of a request, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    // Salesforce also takes the older `OAuth` scheme.
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Whether the version segment of a data path (`v62.0`) is one the stand-in answers.
fn version_served(path: &str) -> bool {
    let Some(version) = path
        .strip_prefix(DATA_PATH)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.split('/').next())
    else {
        return false;
    };
    let served = |v: &str| v.strip_suffix(".0").and_then(|n| n.parse::<u32>().ok());
    match (
        version.strip_prefix('v').and_then(served),
        served(API_VERSION),
        served(OLDEST_API_VERSION),
    ) {
        (Some(asked), Some(newest), Some(oldest)) => (oldest..=newest).contains(&asked),
        _ => false,
    }
}

/// Whether `token` opens a live Salesforce session.
pub fn session_valid(sf: &SalesforceState, token: &str) -> bool {
    sf.app
        .auth()
        .check_access_on(Platform::Salesforce, token, now_ms())
        .is_ok()
}

fn with_usage(mut response: Response, usage: &Usage) -> Response {
    if let Ok(value) = HeaderValue::from_str(&usage.header()) {
        response.headers_mut().insert(LIMIT_INFO_HEADER, value);
    }
    response
}

pub async fn gate(State(sf): State<SalesforceState>, request: Request, next: Next) -> Response {
    if !version_served(request.uri().path()) {
        return ApiError::not_found().into_response();
    }
    let session = bearer(request.headers()).is_some_and(|t| session_valid(&sf, &t));
    if !session {
        return with_usage(ApiError::invalid_session().into_response(), &sf.usage());
    }
    let usage = sf.count_request();
    if usage.exceeded {
        return with_usage(ApiError::request_limit_exceeded().into_response(), &usage);
    }
    with_usage(next.run(request).await, &usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_the_oldest_to_the_newest_are_served() {
        let path = |v: &str| format!("{DATA_PATH}/{v}/query");
        assert!(version_served(&path("v62.0")));
        assert!(version_served(&path("v31.0")));
        assert!(!version_served(&path("v63.0")));
        assert!(!version_served(&path("v30.0")));
        assert!(!version_served(&path("62.0")));
        assert!(!version_served(&path("vX")));
    }
}
