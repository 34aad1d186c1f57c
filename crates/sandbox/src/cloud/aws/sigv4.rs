//! SigV4 verification: the received request is signed again with the sandbox's secret, at the
//! time the request says it was signed (`X-Amz-Date`), over exactly what its signature covers
//! (method, path as received, query, the headers its `SignedHeaders` lists, the body's SHA-256),
//! and the two signatures are compared in constant time.
//!
//! The request's time is not compared with any clock. AWS refuses a signature more than 15
//! minutes from its own clock, but the sandbox's clock for the cloud providers is the one tests
//! move (to January 2025 and later), while the SDK signs with the machine's real time: checking
//! skew would refuse every request. The time still matters: it is part of what is signed.
//!
//! Reference: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-signed-request.html>

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::http::{HeaderMap, Method, Uri};
use chrono::NaiveDateTime;

use super::{AWS_ACCESS_KEY_ID, AWS_REGION, AWS_SECRET_ACCESS_KEY};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Why a request's signature was refused, as AWS's front door says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header that is not a complete SigV4 one.
    Incomplete(String),
    /// An access key id the sandbox does not know (or a session token it never issued).
    Unrecognized,
    /// A signature that does not verify, or is scoped to the wrong service, region or day.
    Signature(String),
}

/// AWS's words when the signature does not verify.
pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
    signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
    service documentation for details.";

/// AWS's words for an access key id it does not know.
pub const UNRECOGNIZED: &str = "The security token included in the request is invalid.";

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Missing => "MissingAuthenticationTokenException",
            Refusal::Incomplete(_) => "IncompleteSignatureException",
            Refusal::Unrecognized => "UnrecognizedClientException",
            Refusal::Signature(_) => "InvalidSignatureException",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Missing => "Missing Authentication Token".to_owned(),
            Refusal::Incomplete(m) | Refusal::Signature(m) => m.clone(),
            Refusal::Unrecognized => UNRECOGNIZED.to_owned(),
        }
    }
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
struct Authorization<'a> {
    key_id: &'a str,
    /// `YYYYMMDD` of the credential scope.
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, Refusal> {
    let (algorithm, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if algorithm != ALGORITHM {
        // SigV4a (`AWS4-ECDSA-P256-SHA256`) among them: clients are asked to prefer SigV4.
        return Err(Refusal::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. The sandbox verifies {ALGORITHM} only."
        )));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            continue;
        };
        match name.trim() {
            "Credential" => credential = Some(value.trim()),
            "SignedHeaders" => signed_headers = Some(value.trim()),
            "Signature" => signature = Some(value.trim()),
            _ => {}
        }
    }
    let credential = required(credential, "Credential")?;
    let signed_headers = required(signed_headers, "SignedHeaders")?;
    let signature = required(signature, "Signature")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, terminator] = scope[..] else {
        return Err(Refusal::Incomplete(
            "Credential should be a key id followed by a date, region, service and aws4_request, separated by '/'.".to_owned(),
        ));
    };
    if terminator != "aws4_request" {
        return Err(Refusal::Signature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    Ok(Authorization {
        key_id,
        date,
        region,
        service,
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

fn required<'v>(value: Option<&'v str>, name: &str) -> Result<&'v str, Refusal> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        Refusal::Incomplete(format!("Authorization header requires '{name}' parameter."))
    })
}

/// Verifies the SigV4 signature of a request to `service` (`sustainability`, `ce`).
pub fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    service: &str,
) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").ok_or(Refusal::Missing)?;
    let auth = parse_authorization(authorization)?;
    if auth.key_id != AWS_ACCESS_KEY_ID || headers.contains_key("x-amz-security-token") {
        // The sandbox's key is a long-term key: it issued no session token to go with it.
        return Err(Refusal::Unrecognized);
    }
    if auth.service != service {
        return Err(Refusal::Signature(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if auth.region != AWS_REGION {
        return Err(Refusal::Signature(
            "Credential should be scoped to a valid region. ".to_owned(),
        ));
    }
    let amz_date = header("x-amz-date").ok_or_else(|| {
        Refusal::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_owned(),
        )
    })?;
    let signed_at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| {
            Refusal::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
            ))
        })?
        .and_utc();
    let day = signed_at.format("%Y%m%d").to_string();
    if auth.date != day {
        return Err(Refusal::Signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
            auth.date
        )));
    }

    // Exactly the headers the signature lists, with the values received.
    let mut signed = Vec::new();
    for name in &auth.signed_headers {
        for value in headers.get_all(*name) {
            let value = value
                .to_str()
                .map_err(|_| Refusal::Signature(SIGNATURE_MISMATCH.to_owned()))?;
            signed.push((*name, value));
        }
    }
    let host = header("host").unwrap_or("localhost");
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let target = format!("http://{host}{path_and_query}");
    let request = SignableRequest::new(
        method.as_str(),
        target,
        signed.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|_| Refusal::Signature(SIGNATURE_MISMATCH.to_owned()))?;

    let identity: Identity = Credentials::new(
        AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY,
        None,
        None,
        "sandbox",
    )
    .into();
    let mut settings = SigningSettings::default();
    // Sign what the request lists, whatever it is: the default leaves out `user-agent` and a
    // few others, which a client may still have signed.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(AWS_REGION)
        .name(service)
        .time(SystemTime::from(signed_at))
        .settings(settings)
        .build()
        .map_err(|_| Refusal::Signature(SIGNATURE_MISMATCH.to_owned()))?
        .into();
    let expected =
        sign(request, &params).map_err(|_| Refusal::Signature(SIGNATURE_MISMATCH.to_owned()))?;
    if constant_time_eq(expected.signature().as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(Refusal::Signature(SIGNATURE_MISMATCH.to_owned()))
    }
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guessed signature was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn authorization_parts_are_read() {
        let auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=sandbox-key/20250110/us-east-1/ce/aws4_request, SignedHeaders=host;x-amz-date, Signature=00ff",
        )
        .unwrap_or_else(|r| panic!("{r:?}"));
        assert_eq!(auth.key_id, "sandbox-key");
        assert_eq!(auth.date, "20250110");
        assert_eq!(auth.service, "ce");
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(auth.signature, "00ff");
        assert!(matches!(
            parse_authorization("AWS4-ECDSA-P256-SHA256 Credential=x"),
            Err(Refusal::Incomplete(_))
        ));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request"),
            Err(Refusal::Incomplete(_))
        ));
    }
}
