//! Salesforce's REST API errors: a JSON array of `{"message", "errorCode"}` objects (DML
//! errors add the `fields` concerned), with an HTTP status per kind of error:
//!
//! `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The content type of every REST answer.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The fields a DML error concerns; left out of the answer when empty.
    pub fields: Vec<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn with_fields(mut self, fields: Vec<String>) -> Self {
        self.fields = fields;
        self
    }

    /// 401: no token, or one that is unknown, revoked or expired.
    pub fn invalid_session() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        )
    }

    /// 403: the org's daily API request allocation is used up.
    pub fn request_limit_exceeded() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        )
    }

    /// 404: a resource, object or API version that does not exist.
    pub fn not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "message": self.message, "errorCode": self.code });
        if !self.fields.is_empty() {
            error["fields"] = json!(self.fields);
        }
        (
            self.status,
            [(header::CONTENT_TYPE, JSON_CONTENT_TYPE)],
            Value::Array(vec![error]).to_string(),
        )
            .into_response()
    }
}

/// A 200 (or `status`) JSON answer in the REST API's content type.
pub fn json_answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, JSON_CONTENT_TYPE)],
        body.to_string(),
    )
        .into_response()
}
