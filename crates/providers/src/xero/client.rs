//! The HTTP client for Xero's Accounting API (or the local sandbox, which serves the same shapes
//! at the same relative paths).
//!
//! One method per resource, one page per call: the sync engine owns paging, cursors and
//! checkpoints, this client owns the wire (headers, retries within a call, parsing).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::{HeaderMap, ACCEPT, IF_MODIFIED_SINCE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use url::Url;

use super::retry::{parse_retry_after, RetryPolicy};
use super::shapes::{
    Account, AccountsEnvelope, BankTransaction, BankTransactionsEnvelope, ErrorBody, Invoice,
    InvoicesEnvelope, Organisation, OrganisationsEnvelope, Tenant,
};
use crate::catalogue::{Catalogue, Endpoints};
use crate::error::{is_retryable_status, ProviderError};

/// Where the client sends requests: production, a platform sandbox or the local sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XeroEndpoints {
    /// The Accounting API root, e.g. `https://api.xero.com/api.xro/2.0`.
    pub api_base: String,
    /// The tenant list, e.g. `https://api.xero.com/connections`.
    pub connections: String,
}

impl XeroEndpoints {
    /// Takes `api_base` and `connections` from resolved catalogue endpoints.
    pub fn from_catalogue(endpoints: &Endpoints) -> Result<Self, ProviderError> {
        let missing = |field: &str| ProviderError::InvalidConfig {
            detail: format!("the Xero endpoints have no `{field}` URL"),
        };
        Ok(XeroEndpoints {
            api_base: endpoints
                .api_base
                .clone()
                .ok_or_else(|| missing("api_base"))?,
            connections: endpoints
                .connections
                .clone()
                .ok_or_else(|| missing("connections"))?,
        })
    }

    /// Xero's production URLs from the built-in catalogue.
    pub fn production() -> Result<Self, ProviderError> {
        Self::from_catalogue(&xero_entry()?.production)
    }

    /// The local sandbox's Xero URLs under `base` (e.g. `http://127.0.0.1:4455`).
    pub fn sandbox(base: &str) -> Result<Self, ProviderError> {
        Self::from_catalogue(&xero_entry()?.sandbox.resolve_against(base))
    }
}

fn xero_entry() -> Result<&'static crate::ProviderEntry, ProviderError> {
    Catalogue::builtin()
        .get("xero")
        .ok_or_else(|| ProviderError::InvalidConfig {
            detail: "the catalogue has no `xero` entry".to_owned(),
        })
}

/// Network time limits for one HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the TCP (and TLS) connection.
    pub connect: Duration,
    /// For the whole request, body included. A full page of 1,000 transactions is a few MB.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
        }
    }
}

/// One call's records and what it cost, for the sync log.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub items: Vec<T>,
    /// HTTP requests made, retries included.
    pub calls: u32,
    /// 429 answers that were waited out.
    pub rate_limited: u32,
    /// Total time spent waiting before retries.
    pub waited: Duration,
}

impl<T> Fetched<T> {
    /// A page shorter than the page size is the last one (Xero has no total count).
    pub fn is_last_page(&self, page_size: u32) -> bool {
        self.items.len() < page_size as usize
    }
}

/// What the retry loop hands back: the body (or "not modified") and the counters.
struct Answer {
    body: Option<bytes::Bytes>,
    calls: u32,
    rate_limited: u32,
    waited: Duration,
}

impl Answer {
    fn into_fetched<T>(self, items: Vec<T>) -> Fetched<T> {
        Fetched {
            items,
            calls: self.calls,
            rate_limited: self.rate_limited,
            waited: self.waited,
        }
    }
}

/// One request to make, possibly several times.
struct Call<'a> {
    /// The resource's name, used in messages and logs instead of the URL.
    label: &'static str,
    url: Url,
    access_token: &'a str,
    tenant_id: Option<&'a str>,
    modified_since: Option<DateTime<Utc>>,
}

/// A Xero Accounting API client for any number of tenants and tokens: the token and tenant are
/// arguments of each call, so one client (and its connection pool) serves every connection.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct XeroClient {
    http: reqwest::Client,
    api_base: Url,
    connections: Url,
    page_size: u32,
    retry: RetryPolicy,
}

impl XeroClient {
    pub fn new(
        endpoints: XeroEndpoints,
        page_size: u32,
        retry: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        Self::with_timeouts(endpoints, page_size, retry, Timeouts::default())
    }

    pub fn with_timeouts(
        endpoints: XeroEndpoints,
        page_size: u32,
        retry: RetryPolicy,
        timeouts: Timeouts,
    ) -> Result<Self, ProviderError> {
        if page_size == 0 {
            return Err(invalid("the page size must be at least 1"));
        }
        if retry.max_attempts == 0 {
            return Err(invalid("max_attempts must be at least 1"));
        }
        let api_base = parse_base("api_base", &endpoints.api_base)?;
        let connections = parse_base("connections", &endpoints.connections)?;
        let http = reqwest::Client::builder()
            // A redirect from an API endpoint is never expected; following one would send the
            // bearer token's request somewhere we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .user_agent(concat!("CarbonSync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid(&format!("could not build the HTTP client: {e}")))?;
        Ok(XeroClient {
            http,
            api_base,
            connections,
            page_size,
            retry,
        })
    }

    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The organisations this access token may read.
    pub async fn connections(&self, access_token: &str) -> Result<Vec<Tenant>, ProviderError> {
        let call = Call {
            label: "connections",
            url: self.connections.clone(),
            access_token,
            tenant_id: None,
            modified_since: None,
        };
        let answer = self.execute(&call).await?;
        match &answer.body {
            Some(body) => decode(call.label, body),
            None => Ok(Vec::new()),
        }
    }

    pub async fn organisation(
        &self,
        access_token: &str,
        tenant_id: &str,
    ) -> Result<Organisation, ProviderError> {
        let call = Call {
            label: "Organisation",
            url: self.api_url("Organisation", &[])?,
            access_token,
            tenant_id: Some(tenant_id),
            modified_since: None,
        };
        let answer = self.execute(&call).await?;
        let envelope: OrganisationsEnvelope = match &answer.body {
            Some(body) => decode(call.label, body)?,
            None => OrganisationsEnvelope { items: Vec::new() },
        };
        envelope
            .items
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::BadResponse {
                detail: "GET Organisation: the answer lists no organisation".to_owned(),
            })
    }

    /// The chart of accounts (Xero does not page it).
    pub async fn accounts(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
    ) -> Result<Fetched<Account>, ProviderError> {
        let call = Call {
            label: "Accounts",
            url: self.api_url("Accounts", &[])?,
            access_token,
            tenant_id: Some(tenant_id),
            modified_since,
        };
        let answer = self.execute(&call).await?;
        let items = match &answer.body {
            Some(body) => decode::<AccountsEnvelope>(call.label, body)?.items,
            None => Vec::new(),
        };
        Ok(answer.into_fetched(items))
    }

    /// One page (1-based) of bank transactions modified after `modified_since`, oldest change
    /// first, so the last item's `updated` is a safe cursor.
    pub async fn bank_transactions(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        page: u32,
    ) -> Result<Fetched<BankTransaction>, ProviderError> {
        let call = Call {
            label: "BankTransactions",
            url: self.page_url("BankTransactions", page, &[])?,
            access_token,
            tenant_id: Some(tenant_id),
            modified_since,
        };
        let answer = self.execute(&call).await?;
        let items = match &answer.body {
            Some(body) => decode::<BankTransactionsEnvelope>(call.label, body)?.items,
            None => Vec::new(),
        };
        Ok(answer.into_fetched(items))
    }

    /// One page (1-based) of bills (`Invoices` of type `ACCPAY`), oldest change first.
    pub async fn bills(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        page: u32,
    ) -> Result<Fetched<Invoice>, ProviderError> {
        let call = Call {
            label: "Invoices",
            url: self.page_url("Invoices", page, &[("where", r#"Type=="ACCPAY""#)])?,
            access_token,
            tenant_id: Some(tenant_id),
            modified_since,
        };
        let answer = self.execute(&call).await?;
        let items = match &answer.body {
            Some(body) => decode::<InvoicesEnvelope>(call.label, body)?.items,
            None => Vec::new(),
        };
        Ok(answer.into_fetched(items))
    }

    fn api_url(&self, resource: &str, query: &[(&str, &str)]) -> Result<Url, ProviderError> {
        let mut url = self.api_base.clone();
        url.path_segments_mut()
            .map_err(|()| invalid("api_base cannot take a path"))?
            .pop_if_empty()
            .push(resource);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    fn page_url(
        &self,
        resource: &str,
        page: u32,
        extra: &[(&str, &str)],
    ) -> Result<Url, ProviderError> {
        if page == 0 {
            return Err(invalid("Xero pages are numbered from 1"));
        }
        let page = page.to_string();
        let page_size = self.page_size.to_string();
        let mut query = vec![
            ("page", page.as_str()),
            ("pageSize", page_size.as_str()),
            // Oldest change first: a page boundary then never skips a record that changes
            // while the sync runs, and the last record seen is the resume point.
            ("order", "UpdatedDateUTC ASC"),
        ];
        query.extend_from_slice(extra);
        self.api_url(resource, &query)
    }

    /// Sends `call`, retrying 429, transient 5xx and network failures per the policy.
    async fn execute(&self, call: &Call<'_>) -> Result<Answer, ProviderError> {
        let policy = &self.retry;
        let mut answer = Answer {
            body: None,
            calls: 0,
            rate_limited: 0,
            waited: Duration::ZERO,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            answer.calls += 1;
            let last = attempt >= policy.max_attempts;

            let response = match self.send(call).await {
                Ok(response) => response,
                Err(e) if e.is_builder() => {
                    // reqwest refused to build the request: a tenant id or token that cannot be
                    // a header value. Waiting will not fix it.
                    return Err(invalid(&format!(
                        "GET {}: the request could not be built; check the tenant id and the access token's format",
                        call.label
                    )));
                }
                Err(e) => {
                    // Only GETs are sent, so repeating one after any network failure is safe.
                    let retryable = e.is_connect() || e.is_timeout() || e.is_request();
                    let detail = transport_detail(call.label, &e);
                    if !retryable || last {
                        return Err(ProviderError::Transport { detail });
                    }
                    let wait = policy.backoff(attempt);
                    tracing::warn!(endpoint = call.label, attempt, ?wait, error = %detail, "Xero request failed; retrying");
                    tokio::time::sleep(wait).await;
                    answer.waited += wait;
                    continue;
                }
            };

            let status = response.status();
            log_limits(call.label, response.headers());

            if status.is_success() {
                match response.bytes().await {
                    Ok(body) => {
                        answer.body = Some(body);
                        return Ok(answer);
                    }
                    Err(e) => {
                        let detail = transport_detail(call.label, &e);
                        if last {
                            return Err(ProviderError::Transport { detail });
                        }
                        let wait = policy.backoff(attempt);
                        tracing::warn!(endpoint = call.label, attempt, ?wait, error = %detail, "reading Xero's answer failed; retrying");
                        tokio::time::sleep(wait).await;
                        answer.waited += wait;
                        continue;
                    }
                }
            }

            if status == StatusCode::NOT_MODIFIED {
                // Allowed by HTTP for If-Modified-Since: nothing changed, so nothing to read.
                return Ok(answer);
            }

            if status == StatusCode::TOO_MANY_REQUESTS {
                let headers = response.headers();
                let retry_after = headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, Utc::now()));
                let problem = headers
                    .get("x-rate-limit-problem")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                // The daily limit resets hours away: waiting `max_wait` a few times would only
                // burn the attempts, so hand it to the scheduler at once.
                if last || problem == "day" {
                    tracing::warn!(endpoint = call.label, attempt, limit = %problem, ?retry_after, "Xero rate limit; giving up");
                    return Err(ProviderError::RateLimited { retry_after });
                }
                let wait = policy.rate_limit_wait(retry_after, attempt);
                tracing::info!(endpoint = call.label, attempt, limit = %problem, ?wait, "Xero rate limit; waiting");
                tokio::time::sleep(wait).await;
                answer.rate_limited += 1;
                answer.waited += wait;
                continue;
            }

            if is_retryable_status(status.as_u16()) && !last {
                let wait = policy.backoff(attempt);
                tracing::warn!(
                    endpoint = call.label,
                    attempt,
                    status = status.as_u16(),
                    ?wait,
                    "Xero server error; retrying"
                );
                tokio::time::sleep(wait).await;
                answer.waited += wait;
                continue;
            }

            let body = response.bytes().await.unwrap_or_default();
            return Err(status_error(call.label, status, &body, call.access_token));
        }
    }

    async fn send(&self, call: &Call<'_>) -> Result<reqwest::Response, reqwest::Error> {
        let mut request = self
            .http
            .get(call.url.clone())
            // bearer_auth marks the header sensitive, so reqwest and hyper never print it.
            .bearer_auth(call.access_token)
            .header(ACCEPT, "application/json");
        if let Some(tenant_id) = call.tenant_id {
            request = request.header("xero-tenant-id", tenant_id);
        }
        if let Some(since) = call.modified_since {
            request = request.header(IF_MODIFIED_SINCE, format_modified_since(since));
        }
        request.send().await
    }
}

/// Xero takes an ISO 8601 timestamp with a zone here (not the HTTP date format), and keeps
/// sub-second precision, which matters when many records change within one second.
pub fn format_modified_since(since: DateTime<Utc>) -> String {
    since.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a body into `T` straight from the bytes (no intermediate `serde_json::Value`).
/// On failure the message names the endpoint and the position, never the body's content.
fn decode<T: DeserializeOwned>(label: &str, body: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Data => "JSON of an unexpected shape",
            serde_json::error::Category::Io => "an unreadable body",
        };
        ProviderError::BadResponse {
            detail: format!(
                "GET {label}: {what} at line {} column {} ({} bytes)",
                e.line(),
                e.column(),
                body.len()
            ),
        }
    })
}

/// Maps an unsuccessful status to an error with a short, safe description.
fn status_error(label: &str, status: StatusCode, body: &[u8], token: &str) -> ProviderError {
    let mut detail = format!("GET {label}: HTTP {}", status.as_u16());
    if let Some(summary) = error_summary(body, token) {
        detail.push_str(": ");
        detail.push_str(&summary);
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

/// Longest provider-supplied text kept in a message.
const SUMMARY_MAX_CHARS: usize = 160;

/// Xero's own short title for an error (`TokenExpired`, `AuthenticationUnsuccessful`, a
/// validation message), when the body is the usual JSON. Only those named fields are used, cut
/// to a short length, with control characters dropped, and the access token removed should the
/// provider ever echo it.
fn error_summary(body: &[u8], token: &str) -> Option<String> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    let parts: Vec<String> = [parsed.title, parsed.kind, parsed.detail, parsed.message]
        .into_iter()
        .flatten()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let mut text: String = parts
        .join(": ")
        .chars()
        .filter(|c| !c.is_control())
        .take(SUMMARY_MAX_CHARS)
        .collect();
    if !token.is_empty() && text.contains(token) {
        text = text.replace(token, "[redacted]");
    }
    Some(text)
}

/// Describes a network failure without the URL (which the caller's label replaces) and with the
/// underlying cause, which reqwest keeps in its source chain.
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
    let mut detail = format!("GET {label}: {kind}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    detail
}

/// Logs Xero's remaining-calls headers at debug level, so a user chasing a slow sync can see
/// how close the connection runs to its limits.
fn log_limits(label: &str, headers: &HeaderMap) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let minute = get("x-minlimit-remaining");
    let day = get("x-daylimit-remaining");
    if minute.is_some() || day.is_some() {
        tracing::debug!(
            endpoint = label,
            minute_remaining = minute,
            day_remaining = day,
            app_minute_remaining = get("x-appminlimit-remaining"),
            "Xero rate limits"
        );
    }
}

fn parse_base(field: &str, value: &str) -> Result<Url, ProviderError> {
    let url = Url::parse(value)
        .map_err(|e| invalid(&format!("the Xero `{field}` URL is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(invalid(&format!(
            "the Xero `{field}` URL must be an http(s) URL"
        )));
    }
    Ok(url)
}

fn invalid(detail: &str) -> ProviderError {
    ProviderError::InvalidConfig {
        detail: detail.to_owned(),
    }
}
