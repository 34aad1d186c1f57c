//! Slack's message pace: "no more than one message per second to a channel, with short
//! bursts allowed" (Slack's docs: "Rate limits", chat.postMessage's special rate limit; the
//! same for incoming webhooks). A token bucket per channel: `burst` messages at once, then one
//! more every `interval`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The default burst a channel takes before the pace applies.
pub const DEFAULT_BURST: u32 = 3;
/// The default interval: one message a second.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Pace {
    buckets: HashMap<String, Bucket>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Pace {
    /// Takes one message's room in `channel`'s bucket, or says how many whole seconds to wait
    /// (at least 1) before there is room again.
    pub fn take(
        &mut self,
        channel: &str,
        burst: u32,
        interval: Duration,
        now: Instant,
    ) -> Result<(), u64> {
        let burst = f64::from(burst.max(1));
        let per_sec = 1.0 / interval.as_secs_f64().max(0.001);
        let bucket = self.buckets.entry(channel.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / per_sec;
        Err((wait.ceil() as u64).max(1))
    }

    /// Forgets every channel's usage (after the pace settings change).
    pub fn reset(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_a_second() {
        let mut pace = Pace::default();
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        for _ in 0..3 {
            assert!(pace.take("C1", 3, second, t0).is_ok());
        }
        assert_eq!(pace.take("C1", 3, second, t0), Err(1));
        assert!(pace.take("C2", 3, second, t0).is_ok(), "per channel");
        assert!(pace
            .take("C1", 3, second, t0 + Duration::from_millis(1000))
            .is_ok());
        assert!(pace
            .take("C1", 3, second, t0 + Duration::from_millis(1100))
            .is_err());
        let long = Duration::from_secs(10);
        assert!(pace.take("C3", 1, long, t0).is_ok());
        assert_eq!(pace.take("C3", 1, long, t0), Err(10));
    }
}
