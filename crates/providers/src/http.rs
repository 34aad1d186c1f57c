//! The one place where CarbonSync's platform clients send HTTP requests: retries of transient
//! failures with capped, jittered exponential backoff (the `backon` crate), `Retry-After` on
//! 429, the platform's own word on which rate limit was hit, and a [`CallMeter`] that counts
//! every request made, so a sync log shows the calls of a failed run too.
//!
//! A platform client builds a [`Request`] (URL, bearer token, headers) and reads the [`Answer`];
//! it never loops on errors itself.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderName, ACCEPT, RETRY_AFTER};
use reqwest::StatusCode;
use url::Url;

use crate::error::{is_retryable_status, ProviderError};

/// How a client retries 429s, transient 5xx and network failures inside one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests made for one call at most, the first one included.
    pub max_attempts: u32,
    /// Cap on any single wait, whether the platform's `Retry-After` or our own backoff. A 429
    /// asking for longer than this (a daily limit) is handed back at once as
    /// [`ProviderError::RateLimited`], so the scheduler can pause instead of a sync sitting
    /// silent for hours.
    pub max_wait: Duration,
    /// First backoff step; doubled for every further attempt, with jitter.
    pub base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_wait: Duration::from_secs(60),
            base_backoff: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.base_backoff)
            .with_max_delay(self.max_wait)
            .with_factor(2.0)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
            .with_jitter()
    }
}

/// What the requests of one sync (or one call) cost. Shared by reference; every request made is
/// counted, whether the call finally succeeds or not.
#[derive(Debug, Default)]
pub struct CallMeter {
    calls: AtomicU32,
    rate_limited: AtomicU32,
    waited_ms: AtomicU64,
}

impl CallMeter {
    /// HTTP requests sent, retries included.
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::Relaxed)
    }

    /// 429 answers that were waited out and retried.
    pub fn rate_limited(&self) -> u32 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Time spent waiting before retries.
    pub fn waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    /// Counts one HTTP request sent by a client that does not go through [`HttpClient`] (the
    /// AWS SDK, whose own retry loop sends the attempts).
    pub fn record_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one throttled answer received by a client that does not go through
    /// [`HttpClient`] (the AWS SDK's `ThrottlingException`, Cost Explorer's
    /// `LimitExceededException`).
    pub fn record_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
}

/// A platform's own conventions that the shared retry needs to know.
#[derive(Debug, Clone, Copy)]
pub struct PlatformRules {
    /// The platform's name in messages and logs ("Xero").
    pub name: &'static str,
    /// The header naming which rate limit a 429 hit (Xero: `X-Rate-Limit-Problem`).
    pub limit_header: Option<&'static str>,
    /// Limits that reset hours away: a 429 naming one is handed back at once (Xero: `day`).
    pub long_limits: &'static [&'static str],
    /// The header carrying the platform's id of the request (QuickBooks: `intuit_tid`), kept in
    /// an error's technical detail so the platform's support can find the call.
    pub request_id_header: Option<&'static str>,
    /// The platform's error codes in words a finance person understands (QuickBooks' `Fault`
    /// codes, Salesforce's `errorCode`s), put before the technical detail.
    pub describe_code: Option<fn(&str) -> Option<&'static str>>,
    /// A header reporting how much of a quota the calls have used, kept on every answer
    /// (Salesforce: `Sforce-Limit-Info: api-usage=18/15000`).
    pub usage_header: Option<&'static str>,
    /// Reads a refusal's own code out of an unsuccessful answer's body (a Slack webhook's
    /// plain-text `channel_not_found`, a Workflows `{"error": {"code"}}`) and gives it with
    /// words saying what to do: the error becomes [`ProviderError::Refused`].
    pub refusal: Option<ReadRefusal>,
}

/// Reads (code, words) out of a refusal's body; see [`PlatformRules::refusal`].
pub type ReadRefusal = fn(&[u8]) -> Option<(String, String)>;

/// One request to make, possibly several times: a GET, or a POST when it has a body.
pub struct Request<'a> {
    /// The resource's name, used in messages and logs instead of the URL.
    pub label: &'static str,
    pub url: Url,
    /// The access token sent as `Authorization: Bearer`; empty for a request that carries
    /// none (a token endpoint, where the credentials are in the body).
    pub bearer: &'a str,
    pub headers: Vec<(HeaderName, String)>,
    /// `None` for a GET. Only requests that read (a report query, a token exchange) are sent
    /// as POST here, so repeating one after a network failure is as safe as repeating a GET.
    pub body: Option<Body>,
}

/// The body of a POST.
#[derive(Clone)]
pub enum Body {
    /// `application/json`.
    Json(String),
    /// `application/x-www-form-urlencoded`; values may be secrets (a client secret, a signed
    /// assertion), so the body is never logged or shown.
    Form(Vec<(&'static str, String)>),
    /// `application/json` POSTed to create something (a chat message): repeated only when the
    /// platform certainly did not take it (a 429, a connection never made), never after a
    /// timeout or a 5xx, which could leave the same message posted twice.
    Create(String),
    /// Raw bytes POSTed once to a pre-signed upload address (a file's content); repeated only
    /// as [`Body::Create`] is.
    Upload(bytes::Bytes),
    /// `application/json` sent as PATCH: only for an upsert by external id (Salesforce), which
    /// leaves the same record behind however often it is repeated.
    Patch(String),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Json(_) => f.write_str("Json(..)"),
            Body::Create(_) => f.write_str("Create(..)"),
            Body::Upload(b) => write!(f, "Upload({} bytes)", b.len()),
            Body::Patch(_) => f.write_str("Patch(..)"),
            Body::Form(fields) => f
                .debug_set()
                .entries(fields.iter().map(|(name, _)| name))
                .finish(),
        }
    }
}

/// A successful answer: the body, or `None` for 304 Not Modified.
pub struct Answer {
    pub body: Option<bytes::Bytes>,
    /// The platform's clock when it answered (its `Date` header), when it sent a readable one.
    pub server_time: Option<DateTime<Utc>>,
    /// The value of the platform's usage header ([`PlatformRules::usage_header`]), cleaned.
    pub usage: Option<String>,
}

/// The `Date` header of an answer (an HTTP date, RFC 9110 §5.6.7).
fn server_time(headers: &reqwest::header::HeaderMap) -> Option<DateTime<Utc>> {
    let value = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An HTTP client shared by every call of one platform. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    http: reqwest::Client,
    retry: RetryPolicy,
    rules: PlatformRules,
}

/// One failed attempt, with what the retry loop needs to decide.
struct Failure {
    error: ProviderError,
    /// Worth another attempt.
    retry: bool,
    /// The platform asked for this wait (`Retry-After`).
    wait: Option<Duration>,
    rate_limited: bool,
}

impl Failure {
    fn final_(error: ProviderError) -> Self {
        Failure {
            error,
            retry: false,
            wait: None,
            rate_limited: false,
        }
    }
}

impl HttpClient {
    /// Builds the client. Redirects are never followed: a redirect from an API endpoint is not
    /// expected, and following one would send the bearer token's request somewhere unchosen.
    pub fn new(
        rules: PlatformRules,
        retry: RetryPolicy,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Self, ProviderError> {
        if retry.max_attempts == 0 {
            return Err(ProviderError::InvalidConfig {
                detail: "max_attempts must be at least 1".to_owned(),
            });
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .user_agent(concat!("CarbonSync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::InvalidConfig {
                detail: format!("could not build the HTTP client: {e}"),
            })?;
        Ok(HttpClient { http, retry, rules })
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends `request` (GET, or POST with its body), retrying per the policy; every request
    /// sent is counted on `meter`.
    pub async fn send(
        &self,
        request: &Request<'_>,
        meter: &CallMeter,
    ) -> Result<Answer, ProviderError> {
        self.get(request, meter).await
    }

    /// Sends `request`, retrying per the policy; every request sent is counted on `meter`.
    /// Despite the name, a request with a body is sent as a POST (see [`HttpClient::send`]).
    pub async fn get(
        &self,
        request: &Request<'_>,
        meter: &CallMeter,
    ) -> Result<Answer, ProviderError> {
        let max_wait = self.retry.max_wait;
        let attempt = || self.attempt(request, meter);
        attempt
            .retry(self.retry.backoff())
            .when(|f: &Failure| f.retry)
            // The platform's Retry-After replaces our own step; an exhausted backoff stays
            // exhausted (`None`).
            // backon adds its jitter after its own cap, so the cap is applied again here.
            .adjust(move |f: &Failure, step| step.map(|s| f.wait.unwrap_or(s).min(max_wait)))
            .notify(|f: &Failure, wait: Duration| {
                meter
                    .waited_ms
                    .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
                if f.rate_limited {
                    meter.rate_limited.fetch_add(1, Ordering::Relaxed);
                }
                tracing::warn!(
                    platform = self.rules.name,
                    endpoint = request.label,
                    ?wait,
                    error = %f.error,
                    "request failed; retrying"
                );
            })
            .await
            .map_err(|f| f.error)
    }

    async fn attempt(&self, request: &Request<'_>, meter: &CallMeter) -> Result<Answer, Failure> {
        meter.calls.fetch_add(1, Ordering::Relaxed);
        // A request that creates something is repeated only when it certainly did not arrive.
        let creates = matches!(request.body, Some(Body::Create(_) | Body::Upload(_)));
        let mut builder = match &request.body {
            None => self.http.get(request.url.clone()),
            Some(Body::Json(json)) => self
                .http
                .post(request.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(json.clone()),
            Some(Body::Create(json)) => self
                .http
                .post(request.url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .body(json.clone()),
            Some(Body::Upload(bytes)) => self
                .http
                .post(request.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes.clone()),
            Some(Body::Form(fields)) => self.http.post(request.url.clone()).form(fields),
            Some(Body::Patch(json)) => self
                .http
                .patch(request.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(json.clone()),
        }
        .header(ACCEPT, "application/json");
        if !request.bearer.is_empty() {
            // bearer_auth marks the header sensitive, so reqwest and hyper never print it.
            builder = builder.bearer_auth(request.bearer);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) if e.is_builder() => {
                // reqwest refused to build the request: a header value (tenant id, token) that
                // cannot be one. Waiting will not fix it.
                return Err(Failure::final_(ProviderError::InvalidConfig {
                    detail: format!(
                        "GET {}: the request could not be built; check the connection's ids and the access token's format",
                        request.label
                    ),
                }));
            }
            Err(e) => {
                // Reads (GETs, and POSTs that query) are safe to repeat after any network
                // failure; a creating POST only when the connection was never made.
                let retry = if creates {
                    e.is_connect()
                } else {
                    e.is_connect() || e.is_timeout() || e.is_request()
                };
                return Err(Failure {
                    error: ProviderError::Transport {
                        detail: transport_detail(
                            &format!("{} {}", method_of(request), request.label),
                            &e,
                        ),
                    },
                    retry,
                    wait: None,
                    rate_limited: false,
                });
            }
        };
        let status = response.status();
        log_limits(self.rules.name, request.label, response.headers());

        let answered_at = server_time(response.headers());
        let usage = self
            .rules
            .usage_header
            .and_then(|h| response.headers().get(h))
            .and_then(|v| v.to_str().ok())
            .map(|v| clean_text(v, 64));
        if status.is_success() {
            return match response.bytes().await {
                Ok(body) => Ok(Answer {
                    body: Some(body),
                    server_time: answered_at,
                    usage,
                }),
                Err(e) => Err(Failure {
                    error: ProviderError::Transport {
                        detail: transport_detail(
                            &format!("{} {}", method_of(request), request.label),
                            &e,
                        ),
                    },
                    retry: !creates,
                    wait: None,
                    rate_limited: false,
                }),
            };
        }
        if status == StatusCode::NOT_MODIFIED {
            // Allowed by HTTP for If-Modified-Since: nothing changed, so nothing to read.
            return Ok(Answer {
                body: None,
                server_time: answered_at,
                usage,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let headers = response.headers();
            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, Utc::now()));
            let limit = self
                .rules
                .limit_header
                .and_then(|h| headers.get(h))
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_ascii_lowercase())
                .filter(|v| !v.is_empty() && v.len() <= 32);
            // A limit that resets hours away: waiting `max_wait` a few times would only burn the
            // attempts, so hand it to the scheduler at once.
            let long = limit
                .as_deref()
                .is_some_and(|l| self.rules.long_limits.contains(&l))
                || retry_after.is_some_and(|d| d > self.retry.max_wait);
            return Err(Failure {
                error: ProviderError::RateLimited { retry_after, limit },
                retry: !long,
                wait: retry_after,
                rate_limited: true,
            });
        }
        let retry = !creates && is_retryable_status(status.as_u16());
        let request_id = self
            .rules
            .request_id_header
            .and_then(|h| response.headers().get(h))
            .and_then(|v| v.to_str().ok())
            .map(|v| clean_text(v, 64));
        let body = response.bytes().await.unwrap_or_default();
        let method = method_of(request);
        let mut error = status_error(
            &format!("{method} {}", request.label),
            status,
            &body,
            request.bearer,
            &self.rules,
        );
        if let Some(id) = request_id.filter(|id| !id.is_empty()) {
            let name = self.rules.request_id_header.unwrap_or("request id");
            error.add_detail(&format!("{name} {id}"));
        }
        Err(Failure {
            error,
            retry,
            wait: None,
            rate_limited: false,
        })
    }
}

/// Reads `Retry-After`: delay-seconds (what most platforms send) or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// Maps an unsuccessful status to an error with a short, safe description.
fn status_error(
    label: &str,
    status: StatusCode,
    body: &[u8],
    token: &str,
    rules: &PlatformRules,
) -> ProviderError {
    if let Some((code, words)) = rules.refusal.and_then(|read| read(body)) {
        return ProviderError::Refused { code, words };
    }
    let parsed: Option<ErrorBody> = serde_json::from_slice(body)
        .ok()
        .or_else(|| error_list(body));
    // Read before the summary takes the body apart.
    let words = rules.describe_code.and_then(|describe| {
        parsed
            .as_ref()
            .and_then(|b| b.fault.as_ref())
            .into_iter()
            .flat_map(|f| f.errors.iter().filter_map(FaultError::code))
            .find_map(|c| describe(&c))
    });
    let mut detail = format!("{label}: HTTP {}", status.as_u16());
    if let Some(summary) = parsed.and_then(|b| error_summary(b, token)) {
        detail.push_str(": ");
        detail.push_str(&summary);
    }
    if let Some(words) = words {
        detail = format!("{words} ({detail})");
    }
    match status {
        StatusCode::UNAUTHORIZED => ProviderError::Unauthorized { detail },
        StatusCode::FORBIDDEN => ProviderError::Forbidden { detail },
        _ => ProviderError::Server {
            status: status.as_u16(),
            detail,
        },
    }
}

/// Longest platform-supplied text kept in a message.
const SUMMARY_MAX_CHARS: usize = 160;

/// The parts of platform error bodies worth putting in a message: a short title and detail.
/// Xero uses `Title`/`Detail` for identity and auth problems and `Type`/`Message` for validation;
/// OAuth-style APIs use `error`/`error_description`.
#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(rename = "Title", alias = "title", default)]
    title: Option<String>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "Detail", alias = "detail", default)]
    detail: Option<String>,
    #[serde(rename = "Message", alias = "message", default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    error_description: Option<String>,
    /// Intuit's envelope: `{"Fault": {"Error": [{"Message", "Detail", "code"}], "type"}}`, also
    /// sent in lower case.
    #[serde(rename = "Fault", alias = "fault", default)]
    fault: Option<Fault>,
}

/// Salesforce answers an error as a list: `[{"message": "…", "errorCode": "…", "fields":
/// […]}]`. Read as a fault of those errors, so codes and messages are used alike.
fn error_list(body: &[u8]) -> Option<ErrorBody> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Listed {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        error_code: Option<String>,
    }
    let listed: Vec<Listed> = serde_json::from_slice(body).ok()?;
    Some(ErrorBody {
        fault: Some(Fault {
            errors: listed
                .into_iter()
                .map(|l| FaultError {
                    message: l.message,
                    detail: None,
                    code: l.error_code.map(serde_json::Value::String),
                })
                .collect(),
            kind: None,
        }),
        ..ErrorBody::default()
    })
}

#[derive(serde::Deserialize, Default)]
struct Fault {
    #[serde(rename = "Error", alias = "error", default)]
    errors: Vec<FaultError>,
    #[serde(rename = "type", alias = "Type", default)]
    kind: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct FaultError {
    #[serde(rename = "Message", alias = "message", default)]
    message: Option<String>,
    #[serde(rename = "Detail", alias = "detail", default)]
    detail: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
}

impl FaultError {
    /// The code without the zeros Intuit sometimes pads it with (`003200` → `3200`).
    fn code(&self) -> Option<String> {
        let code = match self.code.as_ref()? {
            serde_json::Value::String(s) => s.trim().to_owned(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let trimmed = code.trim_start_matches('0');
        Some(if trimmed.is_empty() {
            code
        } else {
            trimmed.to_owned()
        })
    }
}

/// The platform's own short title for an error (`TokenExpired`, a validation message), when the
/// body is the usual JSON. Only named fields are used, cut to a short length, control characters
/// dropped, and the access token removed should the platform ever echo it.
fn error_summary(parsed: ErrorBody, token: &str) -> Option<String> {
    let error = parsed.error.and_then(|e| match e {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    });
    let fault = parsed.fault.map(|f| {
        let errors = f.errors.iter().map(|e| {
            let code = e.code().map(|c| format!("code {c}"));
            [code, e.message.clone(), e.detail.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        });
        f.kind
            .into_iter()
            .chain(errors)
            .collect::<Vec<_>>()
            .join(": ")
    });
    let parts: Vec<String> = [
        fault,
        parsed.title,
        parsed.kind,
        parsed.detail,
        parsed.message,
        error,
        parsed.error_description,
    ]
    .into_iter()
    .flatten()
    .map(|s| s.trim().to_owned())
    .filter(|s| !s.is_empty())
    .collect();
    if parts.is_empty() {
        return None;
    }
    let mut text = clean_text(&parts.join(": "), SUMMARY_MAX_CHARS);
    if !token.is_empty() && text.contains(token) {
        text = text.replace(token, "[redacted]");
    }
    Some(text)
}

/// Text from a platform made safe to show: control characters become spaces (runs of spaces
/// collapse to one), at most `max` chars.
pub fn clean_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    let mut count = 0;
    for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if count == max {
            break;
        }
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
        count += 1;
    }
    out.trim().to_owned()
}

/// Describes a network failure without the URL (which the caller's label replaces) and with the
/// underlying cause, which reqwest keeps in its source chain.
/// The HTTP method a request is sent with, for messages.
fn method_of(request: &Request<'_>) -> &'static str {
    match request.body {
        None => "GET",
        Some(Body::Patch(_)) => "PATCH",
        Some(_) => "POST",
    }
}

fn transport_detail(label: &str, error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "the request failed"
    };
    let mut detail = format!("{label}: {kind}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    detail
}

/// Logs the platform's remaining-calls headers at debug level, so a user chasing a slow sync can
/// see how close the connection runs to its limits.
fn log_limits(platform: &str, label: &str, headers: &reqwest::header::HeaderMap) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let minute = get("x-minlimit-remaining");
    let day = get("x-daylimit-remaining");
    if minute.is_some() || day.is_some() {
        tracing::debug!(
            platform,
            endpoint = label,
            minute_remaining = minute,
            day_remaining = day,
            app_minute_remaining = get("x-appminlimit-remaining"),
            "rate limits"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2024-03-14T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Thu, 14 Mar 2024 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Thu, 14 Mar 2024 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn error_summaries_drop_control_characters_and_the_token() {
        let body = br#"{"Title":"Unauthorized\u001b[31m","Detail":"token abc123 expired"}"#;
        let s = error_summary(serde_json::from_slice(body).unwrap(), "abc123").unwrap();
        assert_eq!(s, "Unauthorized [31m: token [redacted] expired");
    }
}
