//! QuickBooks Online's error answers: a `Fault` holding a list of `Error`s, each with
//! `Message`, `Detail` and a numeric `code` as a string, and the fault's `type`, beside the
//! answer's `time`:
//!
//! `{"Fault":{"Error":[{"Message":"…","Detail":"…","code":"3200"}],"type":"AuthenticationFault"},"time":"…"}`

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::time::answer_time;
use crate::clock::now_ms;

/// An API error before it becomes a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub status: StatusCode,
    /// `AuthenticationFault`, `AuthorizationFault`, `ValidationFault`, `SystemFault`,
    /// `ThrottleExceeded`.
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    pub detail: String,
}

impl Fault {
    /// 400 with a `ValidationFault`.
    pub fn validation(code: &'static str, message: &str, detail: impl Into<String>) -> Self {
        Fault {
            status: StatusCode::BAD_REQUEST,
            kind: "ValidationFault",
            code,
            message: message.to_owned(),
            detail: detail.into(),
        }
    }

    /// Intuit's answer to a query it cannot parse: code 4000.
    pub fn parse(detail: impl Into<String>) -> Self {
        Fault::validation(
            "4000",
            "Error parsing query",
            format!("QueryParserError: {}", detail.into()),
        )
    }

    /// A query that parses but asks for something not served: code 4001.
    pub fn invalid_query(detail: impl Into<String>) -> Self {
        Fault::validation(
            "4001",
            "Invalid query",
            format!("QueryValidationError: {}", detail.into()),
        )
    }

    /// 401, code 3200: no token, an unknown, expired or revoked one.
    pub fn authentication(detail: &str) -> Self {
        Fault {
            status: StatusCode::UNAUTHORIZED,
            kind: "AuthenticationFault",
            code: "3200",
            message: "message=AuthenticationFailed; errorCode=003200; statusCode=401".into(),
            detail: detail.to_owned(),
        }
    }

    /// 403, code 3100: a company the grant does not reach.
    pub fn authorization() -> Self {
        Fault {
            status: StatusCode::FORBIDDEN,
            kind: "AuthorizationFault",
            code: "3100",
            message: "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
                .into(),
            detail: "The app is not authorized to access this company (realm).".into(),
        }
    }

    /// 429, code 3001. Intuit sends no `Retry-After`: a client has to choose its own wait.
    pub fn throttled(detail: &str) -> Self {
        Fault {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "ThrottleExceeded",
            code: "3001",
            message: "message=ThrottleExceeded; errorCode=003001; statusCode=429".into(),
            detail: detail.to_owned(),
        }
    }

    /// Any other status, as an injected failure: a `SystemFault` with code 10000.
    pub fn system(status: StatusCode) -> Self {
        Fault {
            status,
            kind: "SystemFault",
            code: "10000",
            message: "An application error has occurred while processing your request".into(),
            detail: "System Failure Error: the sandbox was asked to fail this call.".into(),
        }
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        let body = json!({
            "Fault": {
                "Error": [{
                    "Message": self.message,
                    "Detail": self.detail,
                    "code": self.code,
                }],
                "type": self.kind,
            },
            "time": answer_time(now_ms()),
        });
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            body.to_string(),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"Intuit\", error=\"invalid_token\""),
            );
        }
        response
    }
}
