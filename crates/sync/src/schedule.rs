//! Wakes the sync engine on each connection's frequency.
//!
//! Ticks come from tokio-cron-scheduler and become commands on one channel, which the
//! tray's "Sync now" and the window use too. A tick that arrives while the same
//! connection is already queued or syncing is dropped: after a sleep or a long sync,
//! the missed ticks never turn into a burst of syncs.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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

/// What the daemon, tray and window ask of the sync worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedulerCommand {
    /// Sync one connection (from a tick or a click); dropped if it is already queued.
    Sync {
        connection_id: i64,
        trigger: crate::Trigger,
    },
    /// Re-read connections and frequencies (after connect, disconnect, settings).
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
