//! When and how long to wait before asking Xero again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// How the client retries 429s, transient 5xx and network failures inside one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests made for one call at most, the first one included.
    pub max_attempts: u32,
    /// Cap on any single wait, whether Xero's `Retry-After` or our own backoff, so a sync never
    /// stalls silently for long; beyond it the caller gets [`crate::ProviderError::RateLimited`]
    /// and the scheduler decides.
    pub max_wait: Duration,
    /// First backoff step; doubled for every further attempt.
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
    /// The wait after failed attempt number `attempt` (1-based): capped exponential backoff with
    /// "equal jitter" (a random point in the upper half of the step), so that clients that failed
    /// together do not come back together, while each still waits at least half the step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let step = self
            .base_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_wait);
        if step.is_zero() {
            return step;
        }
        let factor: f64 = rand::rng().random_range(0.5..=1.0);
        step.mul_f64(factor)
    }

    /// The wait after a 429: Xero's `Retry-After` capped at `max_wait`, or the backoff when the
    /// header is missing or unreadable.
    pub fn rate_limit_wait(&self, retry_after: Option<Duration>, attempt: u32) -> Duration {
        match retry_after {
            Some(d) => d.min(self.max_wait),
            None => self.backoff(attempt),
        }
    }
}

/// Reads `Retry-After`: delay-seconds (what Xero sends) or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 6,
            max_wait: Duration::from_secs(3),
            base_backoff: Duration::from_millis(500),
        };
        for attempt in 1..=10 {
            let step = Duration::from_millis(500)
                .saturating_mul(1 << (attempt - 1))
                .min(Duration::from_secs(3));
            let wait = policy.backoff(attempt);
            assert!(wait <= step, "attempt {attempt}: {wait:?} > {step:?}");
            assert!(
                wait >= step / 2,
                "attempt {attempt}: {wait:?} < half of {step:?}"
            );
        }
    }

    #[test]
    fn backoff_survives_huge_attempt_numbers() {
        let policy = RetryPolicy::default();
        assert!(policy.backoff(u32::MAX) <= policy.max_wait);
    }

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
}
