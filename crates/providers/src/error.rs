//! The one error type of this crate.
//!
//! Messages are shown to users and written to logs, so none of them ever carries an access
//! token, a response body or a header value; the client builds `detail` strings from the
//! status, the endpoint's name and the provider's short error title only.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// HTTP 401. The caller refreshes the access token once and retries; if that fails too the
    /// grant has been revoked and the user has to reconnect.
    #[error("the platform rejected the access token ({detail}); reconnect if refreshing it does not help")]
    Unauthorized { detail: String },

    /// HTTP 403: the token is valid but may not read this organisation or resource (a missing
    /// scope, or the organisation was disconnected from the app).
    #[error(
        "the platform refused access ({detail}); check the connection's permissions or reconnect"
    )]
    Forbidden { detail: String },

    /// HTTP 429 that was still there after every retry allowed by the retry policy, or one
    /// whose wait is longer than a sync should sit through (a daily limit).
    #[error("the platform's {}rate limit was reached{}; the sync can go on once it resets", limit_text(.limit), retry_after_text(.retry_after))]
    RateLimited {
        /// How long the platform asked to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
        /// Which limit was hit, in the platform's words when it names it (Xero's
        /// `X-Rate-Limit-Problem`: `minute`, `day`, `appminute`, `concurrent`).
        limit: Option<String>,
    },

    /// Any other unsuccessful HTTP status: a 5xx still failing after the retries, or a status
    /// that is never retried (400, 404, an unexpected redirect, …).
    #[error("the platform answered HTTP {status} ({detail})")]
    Server { status: u16, detail: String },

    /// A successful answer whose body is not the expected JSON.
    #[error("the platform sent a response that could not be read: {detail}")]
    BadResponse { detail: String },

    /// No HTTP answer at all: connection refused, DNS, TLS, timeout.
    #[error("could not reach the platform: {detail}")]
    Transport { detail: String },

    /// A platform that answers every call with HTTP 200 and says no in the body (Slack's
    /// `{"ok": false, "error": "channel_not_found"}`), or a webhook's refusal: its own code
    /// and, in words, what to do about it.
    #[error("{words} ({code})")]
    Refused { code: String, words: String },

    /// The client was configured with something unusable (a bad URL, a zero page size).
    #[error("invalid provider configuration: {detail}")]
    InvalidConfig { detail: String },
}

fn limit_text(limit: &Option<String>) -> String {
    match limit.as_deref() {
        Some("day") => "daily ".to_owned(),
        Some("minute") => "per-minute ".to_owned(),
        Some("appminute") => "app-wide per-minute ".to_owned(),
        Some("concurrent") => "concurrent-request ".to_owned(),
        _ => String::new(),
    }
}

fn retry_after_text(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (the platform asks to wait {} s)", d.as_secs()),
        None => String::new(),
    }
}

impl ProviderError {
    /// Whether trying the same call again later may succeed. The scheduler uses this to decide
    /// between "retry with backoff" and "tell the user": a revoked grant, a missing permission,
    /// a bad request or a broken configuration never heals by waiting.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. } | ProviderError::Transport { .. } => true,
            ProviderError::Server { status, .. } => is_retryable_status(*status),
            ProviderError::Unauthorized { .. }
            | ProviderError::Forbidden { .. }
            | ProviderError::BadResponse { .. }
            | ProviderError::Refused { .. }
            | ProviderError::InvalidConfig { .. } => false,
        }
    }

    /// Adds technical detail (a request id) to the error's detail, where it has one.
    pub fn add_detail(&mut self, more: &str) {
        match self {
            ProviderError::Unauthorized { detail }
            | ProviderError::Forbidden { detail }
            | ProviderError::Server { detail, .. }
            | ProviderError::BadResponse { detail }
            | ProviderError::Transport { detail }
            | ProviderError::InvalidConfig { detail } => {
                detail.push_str("; ");
                detail.push_str(more);
            }
            ProviderError::RateLimited { .. } | ProviderError::Refused { .. } => {}
        }
    }

    /// Whether the error is about the grant (the connection needs a token refresh or the user's
    /// attention), as opposed to the platform or the network.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            ProviderError::Unauthorized { .. } | ProviderError::Forbidden { .. }
        )
    }
}

/// The 5xx statuses that are usually transient (an overloaded or restarting server or gateway).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
}
