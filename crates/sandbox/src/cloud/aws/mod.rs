//! The AWS stand-in: the AWS Sustainability API (restJson1) and Cost Explorer's
//! `GetCostAndUsage` (awsJson1_1), serving the generated AWS estate, each request's SigV4
//! signature verified with `aws-sigv4` against the sandbox's own access key.
//!
//! - `POST /aws/sustainability/v1/estimated-carbon-emissions` (`GetEstimatedCarbonEmissions`)
//! - `POST /aws/sustainability/v1/estimated-carbon-emissions-dimension-values`
//!   (`GetEstimatedCarbonEmissionsDimensionValues`)
//! - `POST /aws/ce/` with `X-Amz-Target: AWSInsightsIndexService.GetCostAndUsage`
//!
//! Shapes, limits and errors follow the service models
//! (<https://docs.aws.amazon.com/sustainability/latest/APIReference/Welcome.html>,
//! <https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetCostAndUsage.html>).
//! Values are MTCO2e with six decimals (AWS's 1 g resolution), months are published by the
//! 21st of the next month at the providers' clock, and a restated month carries a new
//! `ModelVersion`.

mod cost_explorer;
mod names;
mod sigv4;
mod sustainability;

use std::collections::BTreeMap;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::app::AppState;

/// The sandbox's access key id: the only one its AWS stand-in knows. Published on purpose: it
/// opens nothing but the sandbox.
pub const AWS_ACCESS_KEY_ID: &str = "carbonsync-sandbox-access-key";
/// The secret of [`AWS_ACCESS_KEY_ID`] (40 characters, as AWS's are). Published on purpose: it
/// opens nothing but the sandbox.
pub const AWS_SECRET_ACCESS_KEY: &str = "sandbox+CarbonSync/OpensOnlyTheSandbox01";
/// The region requests must be signed for: where the Sustainability API and Cost Explorer
/// answer.
pub const AWS_REGION: &str = "us-east-1";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/aws/sustainability/v1/estimated-carbon-emissions",
            post(sustainability::emissions),
        )
        .route(
            "/aws/sustainability/v1/estimated-carbon-emissions-dimension-values",
            post(sustainability::dimension_values),
        )
        // The SDK appends the operation's path `/` to the configured endpoint `…/aws/ce`.
        .route("/aws/ce/", post(cost_explorer::handle))
        .route("/aws/ce", post(cost_explorer::handle))
}

/// The sandbox's own credentials for this provider, by connect-form field name.
pub fn credentials() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("access_key_id".to_owned(), AWS_ACCESS_KEY_ID.to_owned()),
        (
            "secret_access_key".to_owned(),
            AWS_SECRET_ACCESS_KEY.to_owned(),
        ),
        ("region".to_owned(), AWS_REGION.to_owned()),
    ])
}

/// How a service answers: its content type and how it writes errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// The Sustainability API: the error code in `x-amzn-ErrorType`, `{"message": …}`.
    RestJson1,
    /// Cost Explorer: `{"__type": code, "message" | "Message": …}`, mostly HTTP 400.
    AwsJson11,
}

impl Protocol {
    fn content_type(self) -> &'static str {
        match self {
            Protocol::RestJson1 => "application/json",
            Protocol::AwsJson11 => "application/x-amz-json-1.1",
        }
    }
}

/// An HTTP date (RFC 9110 §5.6.7): what `Date` carries.
fn http_date(now: DateTime<Utc>) -> String {
    now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// An answer with the headers every AWS answer has: `Date` (the providers' clock) and
/// `x-amzn-RequestId`.
fn answer(
    state: &AppState,
    protocol: Protocol,
    status: StatusCode,
    body: String,
    extra: &[(&'static str, String)],
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    put("content-type", protocol.content_type());
    put("date", &http_date(state.cloud().now()));
    put("x-amzn-requestid", &uuid::Uuid::new_v4().to_string());
    for (name, value) in extra {
        put(name, value);
    }
    response
}

/// A JSON answer of HTTP 200.
fn ok(state: &AppState, protocol: Protocol, body: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(body).expect("answers serialise");
    answer(state, protocol, StatusCode::OK, body, &[])
}

/// An error answer as the protocol writes it. `modeled` errors of Cost Explorer spell their
/// member `Message` (its model's `ErrorMessage`); the errors of AWS's front door (signature,
/// unknown key) spell it `message`, on both protocols.
fn error(
    state: &AppState,
    protocol: Protocol,
    status: StatusCode,
    code: &str,
    message: &str,
    modeled: bool,
) -> Response {
    match protocol {
        Protocol::RestJson1 => answer(
            state,
            protocol,
            status,
            serde_json::json!({ "message": message }).to_string(),
            &[("x-amzn-errortype", code.to_owned())],
        ),
        Protocol::AwsJson11 => {
            let key = if modeled { "Message" } else { "message" };
            answer(
                state,
                protocol,
                status,
                serde_json::json!({ "__type": code, key: message }).to_string(),
                &[],
            )
        }
    }
}

/// The namespace of the errors of AWS's front door (its request authentication), which it
/// writes into the error code: `x-amzn-ErrorType: <code>:<namespace URL>` on restJson1,
/// `"__type": "com.amazon.coral.service#<code>"` on awsJson. SDKs cut both back to the code.
const FRONT_DOOR_NAMESPACE: &str = "com.amazon.coral.service";

/// The answer to a request whose signature does not verify. AWS's front door answers 403 on
/// restJson1 services and 400 on awsJson ones (Cost Explorer: "StatusCode: 400 …
/// UnrecognizedClientException"), with the code in its own namespace.
fn refused(state: &AppState, protocol: Protocol, refusal: &sigv4::Refusal) -> Response {
    let (status, code) = match protocol {
        Protocol::RestJson1 => (
            StatusCode::FORBIDDEN,
            format!(
                "{}:http://internal.amazon.com/coral/{FRONT_DOOR_NAMESPACE}/",
                refusal.code()
            ),
        ),
        Protocol::AwsJson11 => (
            StatusCode::BAD_REQUEST,
            format!("{FRONT_DOOR_NAMESPACE}#{}", refusal.code()),
        ),
    };
    error(state, protocol, status, &code, &refusal.message(), false)
}

/// An opaque page token: the offset of the next item and a fingerprint of the request it
/// belongs to, so a token is refused with another request.
fn page_token(offset: usize, fingerprint: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}.{fingerprint}"))
}

/// The offset in `token`, `None` when it is not one of ours or belongs to another request.
fn page_offset(token: &str, fingerprint: &str) -> Option<usize> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).ok()?).ok()?;
    let (offset, of) = text.split_once('.')?;
    (of == fingerprint).then(|| offset.parse().ok()).flatten()
}

/// What identifies a request across its pages: the operation and its body without the page
/// token and page size (a caller may change the page size from one page to the next).
fn fingerprint(operation: &str, body: &serde_json::Value, drop: &[&str]) -> String {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        for key in drop {
            map.remove(*key);
        }
    }
    let digest = Sha256::digest(format!("{operation}\n{body}").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// What every request goes through before it is served: it is counted, its signature
/// verified, and it may be throttled (`POST /_control/cloud/aws/throttle`). `Err` is the
/// answer to send instead (boxed: a response is large beside `()`).
#[allow(clippy::too_many_arguments)]
fn gate(
    state: &AppState,
    operation: &str,
    protocol: Protocol,
    service: &str,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<(), Box<Response>> {
    state.count_call(&format!("aws.{operation}"));
    sigv4::verify(method, uri, headers, body, service)
        .map_err(|refusal| Box::new(refused(state, protocol, &refusal)))?;
    if state.cloud().take_throttle(super::Cloud::Aws) {
        return Err(Box::new(match protocol {
            // The service model's ThrottlingException: HTTP 429.
            Protocol::RestJson1 => error(
                state,
                protocol,
                StatusCode::TOO_MANY_REQUESTS,
                "ThrottlingException",
                "Rate exceeded",
                true,
            ),
            // Cost Explorer throttles with its LimitExceededException, HTTP 400.
            Protocol::AwsJson11 => error(
                state,
                protocol,
                StatusCode::BAD_REQUEST,
                "LimitExceededException",
                "Rate limit exceeded",
                true,
            ),
        }));
    }
    Ok(())
}
