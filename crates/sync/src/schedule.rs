//! Wakes the sync engine on each connection's frequency.
//!
//! Ticks come from tokio-cron-scheduler and become commands on one channel, which the
//! tray's "Sync now" and the window use too. A tick that arrives while the same
//! connection is already queued or syncing is dropped: after a sleep or a long sync,
//! the missed ticks never turn into a burst of syncs.
//!
//! After a failed sync the schedule does not simply wait for the next tick: a passing
//! failure is retried sooner, with a wait that doubles after each failure in a row
//! ([`Frequency::retry_delay`]); the daemon turns the resulting pause into a
//! [`SchedulerCommand::Resume`].

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_cron_scheduler::{Job, JobScheduler};

/// How often a connection syncs by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    Manual,
    Every15Minutes,
    Hourly,
    Every6Hours,
    Daily,
    /// A cron expression with seconds (`sec min hour day month weekday`).
    Cron(String),
}

impl Frequency {
    /// The longest wait before retrying a failed sync, whatever the connection's period.
    pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

    /// Reads what a user typed: `manual`, `15m`, `hourly`, `6h`, `daily`, or a cron
    /// expression with six fields.
    pub fn parse(s: &str) -> Result<Frequency, String> {
        let s = s.trim();
        Ok(match s.to_ascii_lowercase().as_str() {
            "manual" | "off" | "never" => Frequency::Manual,
            "15m" | "15min" | "every-15-minutes" => Frequency::Every15Minutes,
            "hourly" | "1h" | "60m" => Frequency::Hourly,
            "6h" | "every-6-hours" => Frequency::Every6Hours,
            "daily" | "24h" | "1d" => Frequency::Daily,
            _ if s.split_whitespace().count() == 6 => {
                // Let the scheduler's own parser judge it.
                Job::new_async(s, |_, _| Box::pin(async {}))
                    .map_err(|e| format!("`{s}` is not a valid cron expression: {e}"))?;
                Frequency::Cron(s.to_string())
            }
            _ => {
                return Err(format!(
                    "`{s}` is not a frequency; use manual, 15m, hourly, 6h, daily or a six-field cron expression"
                ))
            }
        })
    }

    /// The time between two ticks: fixed for the presets; for a cron expression the
    /// shorter of the next two gaps between its ticks after `now` (a weekday-only
    /// schedule has gaps of one and three days). `None` for manual, which has no ticks.
    pub fn period(&self, now: DateTime<Utc>) -> Option<Duration> {
        const MINUTE: u64 = 60;
        match self {
            Frequency::Manual => None,
            Frequency::Every15Minutes => Some(Duration::from_secs(15 * MINUTE)),
            Frequency::Hourly => Some(Duration::from_secs(60 * MINUTE)),
            Frequency::Every6Hours => Some(Duration::from_secs(6 * 60 * MINUTE)),
            Frequency::Daily => Some(Duration::from_secs(24 * 60 * MINUTE)),
            Frequency::Cron(expr) => cron_period(expr, now),
        }
    }

    /// How long to wait before retrying after `failures` syncs in a row failed for a
    /// reason that may pass (a network failure, a 5xx, a short rate limit, a full disk).
    ///
    /// The wait doubles with each failure from `base` (1, 2, 4, 8 … × `base`) and never
    /// grows beyond [`Frequency::retry_cap`],
    /// so a retry always comes before the tick it would otherwise wait for. Each wait is
    /// drawn in the upper half of its step ("equal jitter"): connections that failed
    /// together do not all come back in the same second, and the gaps still grow.
    /// `None` for manual connections, which only sync when asked.
    pub fn retry_delay(
        &self,
        base: Duration,
        failures: u32,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        self.period(now)?;
        Some(backoff_step(base, self.retry_cap(now), failures))
    }

    /// The longest a retry waits for a connection on this frequency: its period or
    /// [`Frequency::MAX_RETRY_DELAY`], whichever is less. A platform that asks for a
    /// longer wait pauses the schedule instead.
    pub fn retry_cap(&self, now: DateTime<Utc>) -> Duration {
        self.period(now)
            .map_or(Self::MAX_RETRY_DELAY, |p| p.min(Self::MAX_RETRY_DELAY))
    }

    pub fn label(&self) -> String {
        match self {
            Frequency::Manual => "manual".into(),
            Frequency::Every15Minutes => "15m".into(),
            Frequency::Hourly => "hourly".into(),
            Frequency::Every6Hours => "6h".into(),
            Frequency::Daily => "daily".into(),
            Frequency::Cron(c) => c.clone(),
        }
    }
}

/// The cron expression for a connection. Connections are spread over the hour by
/// their id, so many connections do not all call their platforms at the same second.
pub fn cron_for(freq: &Frequency, connection_id: i64) -> Option<String> {
    let minute = (connection_id * 7).rem_euclid(60);
    let second = (connection_id * 13).rem_euclid(60);
    match freq {
        Frequency::Manual => None,
        Frequency::Every15Minutes => Some(format!("{second} {}/15 * * * *", minute % 15)),
        Frequency::Hourly => Some(format!("{second} {minute} * * * *")),
        Frequency::Every6Hours => Some(format!("{second} {minute} */6 * * *")),
        Frequency::Daily => Some(format!("{second} {minute} 3 * * *")),
        Frequency::Cron(c) => Some(c.clone()),
    }
}

/// The `failures`-th wait of a doubling backoff from `base` capped at `cap`, drawn in
/// [step / 2, step). backon adds a random part of up to one step to each step, so the
/// halves of `base` and `cap` are given to it.
fn backoff_step(base: Duration, cap: Duration, failures: u32) -> Duration {
    // A zero base would never grow; a base beyond the cap would start above it.
    let base = base.max(Duration::from_millis(10)).min(cap);
    let mut steps = ExponentialBuilder::new()
        .with_min_delay(base / 2)
        .with_max_delay(cap / 2)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build();
    // Beyond 64 doublings every step is the cap anyway.
    let n = failures.clamp(1, 64) as usize;
    steps.nth(n - 1).unwrap_or(cap).min(cap)
}

/// When the schedule next ticks for connection `connection_id` at frequency `freq` after
/// `now` (the jobs run on UTC, as this reads them); `None` for `manual`, or for an expression
/// that never ticks again.
pub fn next_tick(
    freq: &Frequency,
    connection_id: i64,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let expr = cron_for(freq, connection_id)?;
    parse_cron(&expr)?.find_next_occurrence(&now, false).ok()
}

/// A six-field cron expression, read by the same parser the scheduler uses.
fn parse_cron(expr: &str) -> Option<croner::Cron> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .ok()
}

/// The shorter of the next two gaps between the ticks of a six-field cron expression,
/// read by the same parser the scheduler uses.
fn cron_period(expr: &str, now: DateTime<Utc>) -> Option<Duration> {
    let cron = parse_cron(expr)?;
    let first = cron.find_next_occurrence(&now, false).ok()?;
    let second = cron.find_next_occurrence(&first, false).ok()?;
    let third = cron.find_next_occurrence(&second, false).ok()?;
    let gap = (second - first).min(third - second);
    gap.to_std().ok()
}

/// What the daemon, tray and window ask of the sync worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedulerCommand {
    /// Sync one connection (from a tick or a click); dropped if it is already queued.
    Sync {
        connection_id: i64,
        trigger: crate::Trigger,
    },
    /// The pause of a connection has ended (a retry after a failure, or the end of a
    /// platform's limit): sync it if it is still scheduled and its pause is due. Sent by
    /// the schedule itself; unlike a tick, it is not dropped for the pause it ends.
    Resume {
        connection_id: i64,
    },
    /// Re-read connections, frequencies and pauses (after connect, disconnect, settings,
    /// and after every sync).
    Reload,
    Stop,
}

/// Cron jobs for every scheduled connection, feeding one command channel.
pub struct Scheduler {
    jobs: JobScheduler,
    by_connection: HashMap<i64, (String, uuid::Uuid)>,
    commands: mpsc::UnboundedSender<SchedulerCommand>,
}

impl Scheduler {
    pub async fn new(commands: mpsc::UnboundedSender<SchedulerCommand>) -> Result<Self, String> {
        let jobs = JobScheduler::new().await.map_err(|e| e.to_string())?;
        jobs.start().await.map_err(|e| e.to_string())?;
        Ok(Self {
            jobs,
            by_connection: HashMap::new(),
            commands,
        })
    }

    /// Makes the jobs match `wanted` (connection id → cron expression): adds new ones,
    /// replaces changed ones, removes the rest.
    pub async fn reconcile(&mut self, wanted: &HashMap<i64, String>) -> Result<(), String> {
        let stale: Vec<i64> = self
            .by_connection
            .iter()
            .filter(|(id, (cron, _))| wanted.get(id) != Some(cron))
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some((_, job)) = self.by_connection.remove(&id) {
                self.jobs.remove(&job).await.map_err(|e| e.to_string())?;
            }
        }
        for (&id, cron) in wanted {
            if self.by_connection.contains_key(&id) {
                continue;
            }
            let tx = self.commands.clone();
            let job = Job::new_async(cron.as_str(), move |_, _| {
                let tx = tx.clone();
                Box::pin(async move {
                    let _ = tx.send(SchedulerCommand::Sync {
                        connection_id: id,
                        trigger: crate::Trigger::Schedule,
                    });
                })
            })
            .map_err(|e| format!("connection {id}: `{cron}`: {e}"))?;
            let uuid = self.jobs.add(job).await.map_err(|e| e.to_string())?;
            self.by_connection.insert(id, (cron.clone(), uuid));
        }
        Ok(())
    }

    pub fn scheduled(&self) -> Vec<(i64, String)> {
        let mut v: Vec<_> = self
            .by_connection
            .iter()
            .map(|(id, (c, _))| (*id, c.clone()))
            .collect();
        v.sort();
        v
    }

    pub async fn shutdown(mut self) {
        let _ = self.jobs.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_cron_expressions_parse_and_nonsense_is_refused() {
        assert_eq!(Frequency::parse("hourly").unwrap(), Frequency::Hourly);
        assert_eq!(Frequency::parse("15m").unwrap(), Frequency::Every15Minutes);
        assert_eq!(Frequency::parse("manual").unwrap(), Frequency::Manual);
        assert_eq!(
            Frequency::parse("*/2 * * * * *").unwrap(),
            Frequency::Cron("*/2 * * * * *".into())
        );
        assert!(Frequency::parse("sometimes").is_err());
        assert!(Frequency::parse("a b c d e f").is_err());
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_period_is_the_gap_between_ticks() {
        let now = at("2025-03-05T10:00:30Z"); // a Wednesday
        assert_eq!(Frequency::Manual.period(now), None);
        assert_eq!(
            Frequency::Every15Minutes.period(now),
            Some(Duration::from_secs(900))
        );
        assert_eq!(
            Frequency::Daily.period(now),
            Some(Duration::from_secs(86_400))
        );
        let every2s = Frequency::parse("*/2 * * * * *").unwrap();
        assert_eq!(every2s.period(now), Some(Duration::from_secs(2)));
        let weekdays = Frequency::parse("0 0 9 * * Mon-Fri").unwrap();
        assert_eq!(weekdays.period(now), Some(Duration::from_secs(86_400)));
        let new_year = Frequency::parse("0 0 0 1 1 *").unwrap();
        assert!(new_year.period(now).unwrap() > Duration::from_secs(300 * 86_400));
    }

    #[test]
    fn retries_double_from_the_base_in_the_upper_half_of_each_step() {
        let now = at("2025-03-05T10:00:30Z");
        let minute = Duration::from_secs(60);
        for _ in 0..200 {
            for (failures, step) in [(1u32, 1u32), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32)] {
                let d = Frequency::Hourly
                    .retry_delay(minute, failures, now)
                    .unwrap();
                let step = minute * step;
                assert!(
                    d >= step / 2 && d <= step,
                    "{failures}: {d:?} not in [{:?}, {step:?}]",
                    step / 2
                );
            }
        }
    }

    #[test]
    fn retries_never_wait_longer_than_the_period_or_an_hour() {
        let now = at("2025-03-05T10:00:30Z");
        let minute = Duration::from_secs(60);
        for failures in [7, 10, 40, 1000, u32::MAX] {
            let hourly = Frequency::Hourly
                .retry_delay(minute, failures, now)
                .unwrap();
            assert!(
                hourly <= Frequency::MAX_RETRY_DELAY && hourly >= Frequency::MAX_RETRY_DELAY / 2,
                "{hourly:?}"
            );
            let daily = Frequency::Daily.retry_delay(minute, failures, now).unwrap();
            assert!(daily <= Frequency::MAX_RETRY_DELAY, "{daily:?}");
            let quarter = Frequency::Every15Minutes
                .retry_delay(minute, failures, now)
                .unwrap();
            assert!(quarter <= minute * 15, "{quarter:?}");
        }
        // A base longer than the period starts at the period.
        let every2s = Frequency::parse("*/2 * * * * *").unwrap();
        let d = every2s.retry_delay(minute, 1, now).unwrap();
        assert!(d <= Duration::from_secs(2), "{d:?}");
        assert_eq!(Frequency::Manual.retry_delay(minute, 1, now), None);
    }

    #[test]
    fn the_next_tick_is_the_first_of_the_connections_own_minute() {
        // Connection 2 ticks at minute 14, second 26 of every hour.
        let now = at("2026-12-03T13:20:00Z");
        assert_eq!(
            next_tick(&Frequency::Hourly, 2, now),
            Some(at("2026-12-03T14:14:26Z"))
        );
        assert_eq!(
            next_tick(&Frequency::Daily, 2, now),
            Some(at("2026-12-04T03:14:26Z"))
        );
        assert_eq!(next_tick(&Frequency::Manual, 2, now), None);
    }

    #[test]
    fn connections_are_spread_over_the_hour_and_manual_has_no_job() {
        let a = cron_for(&Frequency::Hourly, 1).unwrap();
        let b = cron_for(&Frequency::Hourly, 2).unwrap();
        assert_ne!(a, b);
        assert!(cron_for(&Frequency::Manual, 1).is_none());
        for id in 0..100 {
            for f in [
                Frequency::Every15Minutes,
                Frequency::Hourly,
                Frequency::Every6Hours,
                Frequency::Daily,
            ] {
                let cron = cron_for(&f, id).unwrap();
                Frequency::parse(&cron).unwrap_or_else(|e| panic!("{cron}: {e}"));
            }
        }
    }
}
