//! Xero's error bodies for the API: a "problem" object with `Title`, `Status` and `Detail`,
//! which is what Xero sends for authentication, authorisation and rate-limit failures.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use uuid::Uuid;

pub fn problem(status: StatusCode, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    (
        status,
        Json(json!({
            "Type": null,
            "Title": title,
            "Status": status.as_u16(),
            "Detail": detail,
            "Instance": Uuid::new_v4(),
            "Extensions": {},
        })),
    )
        .into_response()
}

/// 401 with a `WWW-Authenticate` challenge (RFC 6750 §3), so generic OAuth clients also see
/// that the token, not the request, is the problem.
pub fn unauthorized(detail: &str) -> Response {
    let mut response = problem(StatusCode::UNAUTHORIZED, detail);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

pub fn bad_request(detail: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, detail)
}

/// An API error before it becomes a response: small enough to pass around in a `Result`.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub detail: String,
}

impl Problem {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem {
            status: StatusCode::BAD_REQUEST,
            detail: detail.into(),
        }
    }

    /// Xero's answer for a tenant the token does not reach.
    pub fn forbidden() -> Self {
        Problem {
            status: StatusCode::FORBIDDEN,
            detail: "AuthorizationUnsuccessful".into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        problem(self.status, &self.detail)
    }
}
