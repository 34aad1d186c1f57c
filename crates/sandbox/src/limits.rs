//! Xero's per-tenant rate limit, enforced with a sliding window of the calls served. The day
//! and app-wide figures are only reported in headers, as a client may log them, not enforced.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use uuid::Uuid;

use crate::options::RateLimit;

pub const DAY_LIMIT: u32 = 5000;
pub const APP_MINUTE_LIMIT: u32 = 10_000;
const MINUTE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remaining {
    pub minute: u32,
    pub day: u32,
    pub app_minute: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Served(Remaining),
    Limited {
        retry_after_secs: u64,
        remaining: Remaining,
    },
}

#[derive(Default)]
struct TenantUsage {
    window: VecDeque<Instant>,
    day: Option<NaiveDate>,
    day_calls: u32,
}

#[derive(Default)]
pub struct Limiter {
    tenants: HashMap<Uuid, TenantUsage>,
    app: VecDeque<Instant>,
}

fn prune(window: &mut VecDeque<Instant>, span: Duration, now: Instant) {
    while window
        .front()
        .is_some_and(|&t| now.saturating_duration_since(t) >= span)
    {
        window.pop_front();
    }
}

impl Limiter {
    /// Decides whether a call for `tenant` may be served now, and records it if so. With no
    /// limit the call is always served and the minute figure is reported against Xero's
    /// nominal 60/min, so headers look the same either way.
    pub fn admit(
        &mut self,
        tenant: Uuid,
        limit: Option<&RateLimit>,
        now: Instant,
        today: NaiveDate,
    ) -> Admission {
        let nominal = RateLimit::xero_minute();
        let rule = limit.unwrap_or(&nominal);
        prune(&mut self.app, MINUTE, now);
        let usage = self.tenants.entry(tenant).or_default();
        prune(&mut usage.window, rule.window, now);
        if usage.day != Some(today) {
            usage.day = Some(today);
            usage.day_calls = 0;
        }
        let used = usage.window.len() as u32;
        let remaining = |used: u32, day: u32, app: usize| Remaining {
            minute: rule.calls.saturating_sub(used),
            day: DAY_LIMIT.saturating_sub(day),
            app_minute: APP_MINUTE_LIMIT.saturating_sub(app as u32),
        };
        if limit.is_some() && used >= rule.calls {
            // The oldest call in the window leaves it first; that is when a slot frees up.
            let oldest = *usage.window.front().expect("a full window is not empty");
            let wait = (oldest + rule.window).saturating_duration_since(now);
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Admission::Limited {
                retry_after_secs: secs.max(1),
                remaining: remaining(used, usage.day_calls, self.app.len()),
            };
        }
        usage.window.push_back(now);
        usage.day_calls += 1;
        self.app.push_back(now);
        Admission::Served(remaining(used + 1, usage.day_calls, self.app.len()))
    }

    /// What is left for `tenant` without using anything, for the headers of answers that
    /// were not served (faults, refusals).
    pub fn peek(
        &mut self,
        tenant: Uuid,
        limit: Option<&RateLimit>,
        now: Instant,
        today: NaiveDate,
    ) -> Remaining {
        let nominal = RateLimit::xero_minute();
        let rule = limit.unwrap_or(&nominal);
        prune(&mut self.app, MINUTE, now);
        let usage = self.tenants.entry(tenant).or_default();
        prune(&mut usage.window, rule.window, now);
        let day_calls = if usage.day == Some(today) {
            usage.day_calls
        } else {
            0
        };
        Remaining {
            minute: rule.calls.saturating_sub(usage.window.len() as u32),
            day: DAY_LIMIT.saturating_sub(day_calls),
            app_minute: APP_MINUTE_LIMIT.saturating_sub(self.app.len() as u32),
        }
    }

    /// Forgets all usage, e.g. when the limit itself is changed.
    pub fn reset(&mut self) {
        *self = Limiter::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
    }

    #[test]
    fn the_call_over_the_limit_waits_for_the_oldest_to_leave_the_window() {
        let mut limiter = Limiter::default();
        let limit = RateLimit {
            calls: 2,
            window: Duration::from_secs(10),
        };
        let t = Uuid::nil();
        let start = Instant::now();
        assert!(matches!(
            limiter.admit(t, Some(&limit), start, day()),
            Admission::Served(Remaining { minute: 1, .. })
        ));
        assert!(matches!(
            limiter.admit(t, Some(&limit), start + Duration::from_secs(3), day()),
            Admission::Served(Remaining { minute: 0, .. })
        ));
        assert!(matches!(
            limiter.admit(t, Some(&limit), start + Duration::from_millis(4500), day()),
            Admission::Limited {
                retry_after_secs: 6,
                ..
            }
        ));
        // A refused call does not use up a slot: once the first call ages out, one is free.
        assert!(matches!(
            limiter.admit(t, Some(&limit), start + Duration::from_secs(10), day()),
            Admission::Served(_)
        ));
    }

    #[test]
    fn tenants_have_separate_budgets_and_no_limit_means_no_refusal() {
        let mut limiter = Limiter::default();
        let limit = RateLimit {
            calls: 1,
            window: Duration::from_secs(60),
        };
        let now = Instant::now();
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert!(matches!(
            limiter.admit(a, Some(&limit), now, day()),
            Admission::Served(_)
        ));
        assert!(matches!(
            limiter.admit(b, Some(&limit), now, day()),
            Admission::Served(_)
        ));
        assert!(matches!(
            limiter.admit(a, Some(&limit), now, day()),
            Admission::Limited { .. }
        ));
        for _ in 0..100 {
            assert!(matches!(
                limiter.admit(a, None, now, day()),
                Admission::Served(_)
            ));
        }
    }
}
