//! The background schedule: cron ticks and clicks become sync commands, run one at a
//! time. A connection already waiting or syncing is not queued again, so missed
//! ticks never turn into a burst.
//!
//! Every sync's outcome sets how the schedule treats the connection next, from what the
//! error says about itself ([`SyncError::is_permanent`], the platform's `Retry-After`):
//!
//! - a failure that may pass (network, 5xx, a short rate limit, a full disk) is retried
//!   before the next tick, waiting 1, 2, 4, 8 … × `[sync] max_retry_wait_secs` (the
//!   longest a sync itself waits before giving up), capped at the connection's period or
//!   an hour ([`Frequency::retry_delay`]);
//! - a platform's limit that lasts longer than that (Xero's daily limit, a long
//!   `Retry-After`) pauses the schedule until the platform's time;
//! - a failure retrying cannot fix (access withdrawn, a refused permission, a
//!   configuration error) stops the schedule until the person acts: reconnects, changes
//!   the frequency, or syncs by hand successfully.
//!
//! Ticks that arrive while a connection is paused or stopped are dropped; a clicked
//! "Sync now" always runs.

use crate::{App, AppError};
use carbonsync_providers::ProviderError;
use carbonsync_store::{Connection, ConnectionStatus};
use carbonsync_sync::{
    cron_for, Frequency, Progress, ProgressSink, Scheduler, SchedulerCommand, SyncError,
    SyncOptions, SyncReport, Trigger,
};
use chrono::Utc;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How often the schedule checks alerts and the monthly reports due.
pub const NOTIFICATIONS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

pub type ReportSink = Arc<dyn Fn(i64, &Result<SyncReport, AppError>) + Send + Sync>;

/// What the schedule is doing for one connection right now.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncActivity {
    pub connection_id: i64,
    /// Waiting behind another sync.
    pub queued: bool,
    /// The last page saved, once the sync has started writing.
    pub progress: Option<Progress>,
}

type Activity = Arc<Mutex<BTreeMap<i64, SyncActivity>>>;

/// A running schedule. Send it commands (the tray's "Sync now"), stop it cleanly.
pub struct DaemonHandle {
    remote: DaemonRemote,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl DaemonHandle {
    pub fn send(&self, cmd: SchedulerCommand) {
        self.remote.send(cmd);
    }

    /// What another task needs to ask this schedule for syncs and see what it is doing.
    pub(crate) fn remote(&self) -> DaemonRemote {
        self.remote.clone()
    }

    /// The connections queued or syncing, with their progress.
    pub fn activity(&self) -> Vec<SyncActivity> {
        self.remote
            .activity
            .lock()
            .expect("activity lock")
            .values()
            .cloned()
            .collect()
    }

    /// Stops the schedule; a sync in progress finishes the page it is writing first.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.remote.send(SchedulerCommand::Stop);
        let _ = self.task.await;
    }
}

/// A running schedule seen from another task (the webhook server): ask for a sync, see
/// whether a connection is queued or syncing.
#[derive(Clone)]
pub(crate) struct DaemonRemote {
    commands: mpsc::UnboundedSender<SchedulerCommand>,
    activity: Activity,
}

impl DaemonRemote {
    pub(crate) fn send(&self, cmd: SchedulerCommand) {
        let _ = self.commands.send(cmd);
    }

    /// Whether `connection_id` is queued or syncing.
    pub(crate) fn busy(&self, connection_id: i64) -> bool {
        self.activity
            .lock()
            .expect("activity lock")
            .contains_key(&connection_id)
    }
}

/// Why a sync ended without a report: the engine's error, or one from before the engine
/// started (the platform's configuration, the keychain, the in-process sandbox).
pub(crate) enum SyncFailure {
    Sync(SyncError),
    Setup(AppError),
}

impl From<SyncFailure> for AppError {
    fn from(f: SyncFailure) -> Self {
        match f {
            SyncFailure::Sync(e) => e.into(),
            SyncFailure::Setup(e) => e,
        }
    }
}

/// What the schedule does with a connection after one of its syncs ended.
#[derive(Debug, PartialEq)]
enum Reaction {
    /// Succeeded: the schedule runs as usual.
    Clear,
    /// Failed for a reason that may pass: retry before the next tick, but not before
    /// the platform's `Retry-After` when it gave one.
    Retry {
        reason: String,
        not_before: Option<Duration>,
    },
    /// The platform asked for a longer wait than a retry would make.
    Pause { wait: Duration, reason: String },
    /// Retrying cannot help: wait for the person.
    Stop { reason: String },
    /// Stopped on purpose (quitting): nothing to learn from it.
    Keep,
}

/// Reads what a failure says about itself. `cap` is the longest a retry would wait for
/// this connection: a platform's wait beyond it becomes a pause.
fn reaction(failure: &SyncFailure, platform: &str, cap: Duration) -> Reaction {
    let e = match failure {
        SyncFailure::Setup(e) if e.permanent => {
            return Reaction::Stop {
                reason: e.message.clone(),
            }
        }
        SyncFailure::Setup(e) => {
            return Reaction::Retry {
                reason: e.message.clone(),
                not_before: None,
            }
        }
        SyncFailure::Sync(e) => e,
    };
    match e {
        SyncError::Stopped => Reaction::Keep,
        SyncError::Provider(ProviderError::RateLimited { retry_after, limit }) => {
            let daily = limit.as_deref() == Some("day");
            match retry_after {
                Some(wait) if daily => Reaction::Pause {
                    wait: *wait,
                    reason: format!("{platform}'s daily limit"),
                },
                Some(wait) if *wait > cap => Reaction::Pause {
                    wait: *wait,
                    reason: format!("{platform} asked CarbonSync to wait"),
                },
                _ => Reaction::Retry {
                    reason: if daily {
                        format!("{platform}'s daily limit")
                    } else {
                        e.user_message()
                    },
                    not_before: *retry_after,
                },
            }
        }
        e if e.is_permanent() => Reaction::Stop {
            reason: e.user_message(),
        },
        e => Reaction::Retry {
            reason: e.user_message(),
            not_before: None,
        },
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl App {
    /// Sets the schedule of `conn` from how its sync ended. Called by every sync,
    /// scheduled or not. A failure to record it is logged, not returned: the sync's own
    /// outcome is what the caller needs to hear about.
    pub(crate) fn schedule_after_sync(&self, conn: &Connection, result: Result<(), &SyncFailure>) {
        let now = Utc::now();
        let frequency = Frequency::parse(&conn.frequency).unwrap_or(Frequency::Hourly);
        let cap = frequency.retry_cap(now);
        let base = Duration::from_secs(self.config().sync.max_retry_wait_secs.max(1));
        let platform = self
            .catalogue_entry(&conn.provider)
            .map_or_else(|_| conn.provider.clone(), |p| p.name.clone());
        let reaction = match result {
            Ok(()) => Reaction::Clear,
            Err(f) => reaction(f, &platform, cap),
        };
        let id = conn.id;
        let recorded = self.store().and_then(|store| {
            match &reaction {
                Reaction::Clear => store.clear_schedule_hold(id)?,
                Reaction::Keep => {}
                Reaction::Retry { reason, not_before } => {
                    let streak = store.record_retryable_failure(id, reason, |streak| {
                        let failures = u32::try_from(streak).unwrap_or(u32::MAX);
                        let delay = frequency.retry_delay(base, failures, now)?;
                        let delay = delay.max(not_before.unwrap_or_default());
                        Some(now.timestamp_millis().saturating_add(millis(delay)))
                    })?;
                    tracing::info!(
                        connection = id,
                        failures = streak,
                        "sync failed; retrying before the next tick"
                    );
                }
                Reaction::Pause { wait, reason } => {
                    let until = now.timestamp_millis().saturating_add(millis(*wait));
                    store.pause_schedule(id, until, reason)?;
                    tracing::warn!(connection = id, until_ms = until, %reason, "schedule paused");
                }
                Reaction::Stop { reason } => {
                    store.stop_schedule(id, reason)?;
                    tracing::warn!(
                        connection = id,
                        %reason,
                        "schedule stopped until the connection is acted on"
                    );
                }
            }
            Ok(())
        });
        if let Err(e) = recorded {
            tracing::warn!(
                connection = id,
                "the schedule's state could not be saved: {}",
                e.message
            );
        }
    }

    /// The cron expression of every connection with a schedule that is not disconnected.
    /// Stopped, paused and needs-reconnect connections keep their job: each tick checks
    /// the connection first, so acting on it (from here or from another process) takes
    /// effect at the next tick.
    fn wanted_schedule(&self) -> Result<HashMap<i64, String>, AppError> {
        let mut wanted = HashMap::new();
        for c in self.connections()? {
            if c.status == ConnectionStatus::Disconnected {
                continue;
            }
            let f = Frequency::parse(&c.frequency).unwrap_or(Frequency::Hourly);
            if let Some(cron) = cron_for(&f, c.id) {
                wanted.insert(c.id, cron);
            }
        }
        Ok(wanted)
    }

    /// When each scheduled connection's pause or retry ends (ms since 1970).
    fn wanted_resumes(&self) -> Result<HashMap<i64, i64>, AppError> {
        Ok(self
            .connections()?
            .into_iter()
            .filter(|c| c.status == ConnectionStatus::Active && !c.schedule_stopped)
            .filter(|c| Frequency::parse(&c.frequency).is_ok_and(|f| f != Frequency::Manual))
            .filter_map(|c| Some((c.id, c.paused_until_ms?)))
            .collect())
    }

    /// Whether a command from the schedule itself should sync `id` now. A tick is for a
    /// connection whose schedule runs; a resume for one whose pause has come to its end
    /// (and not been lifted meanwhile by a sync by hand).
    fn schedule_may_sync(&self, id: i64, resume: bool) -> bool {
        let conn = match self.connection(id) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(connection = id, "tick skipped: {}", e.message);
                return false;
            }
        };
        let now = now_ms();
        let due = if resume {
            conn.status == ConnectionStatus::Active
                && !conn.schedule_stopped
                && conn.paused_until_ms.is_some_and(|u| u <= now)
        } else {
            conn.schedule_due(now)
        };
        if !due {
            tracing::debug!(
                connection = id,
                resume,
                stopped = conn.schedule_stopped,
                paused_until_ms = conn.paused_until_ms,
                status = conn.status.as_str(),
                "not due; skipped"
            );
        }
        due
    }

    /// Starts the schedule. `on_report` hears about every finished sync, `on_progress`
    /// about every saved page (the window and tray show both).
    pub async fn start_daemon(
        self: &Arc<Self>,
        on_report: Option<ReportSink>,
        on_progress: Option<ProgressSink>,
    ) -> Result<DaemonHandle, AppError> {
        // A connect that a crash or a closed window cut short is finished or undone in the
        // background (it may have to revoke a grant at the platform, which takes a moment).
        let cleanup = self.clone();
        tokio::spawn(async move {
            match cleanup.finish_interrupted_connects().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(connections = n, "interrupted connects settled"),
                Err(e) => tracing::warn!("interrupted connects not settled yet: {}", e.message),
            }
        });
        let (tx, mut rx) = mpsc::unbounded_channel::<SchedulerCommand>();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut scheduler = Scheduler::new(tx.clone()).await.map_err(|e| {
            AppError::new("scheduler", format!("The scheduler could not start: {e}"))
        })?;
        scheduler
            .reconcile(&self.wanted_schedule()?)
            .await
            .map_err(|e| AppError::new("scheduler", e))?;
        for (id, cron) in scheduler.scheduled() {
            tracing::info!(connection = id, cron = %cron, "scheduled");
        }

        // Reload now and then, so connections added by the CLI or window are picked up.
        let reload_tx = tx.clone();
        let mut reload_stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = every.tick() => { if reload_tx.send(SchedulerCommand::Reload).is_err() { break; } }
                    _ = reload_stop.changed() => break,
                }
            }
        });

        // Alerts and the monthly reports: checked every minute (the first check at once).
        let notify_app = self.clone();
        let mut notify_stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(NOTIFICATIONS_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = every.tick() => notify_app.notifications_tick().await,
                    _ = notify_stop.changed() => break,
                }
            }
        });

        let activity: Activity = Arc::default();
        let pending: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let (work_tx, mut work_rx) = mpsc::unbounded_channel::<(i64, Trigger)>();
        let worker_app = self.clone();
        let worker_pending = pending.clone();
        let worker_stop = stop_rx.clone();
        let worker_activity = activity.clone();
        let worker_reload = tx.clone();
        let worker = tokio::spawn(async move {
            while let Some((id, trigger)) = work_rx.recv().await {
                if *worker_stop.borrow() {
                    break;
                }
                if let Some(a) = worker_activity.lock().expect("activity lock").get_mut(&id) {
                    a.queued = false;
                }
                let mut opts = SyncOptions::new(trigger);
                opts.stop = Some(worker_stop.clone());
                let progress_activity = worker_activity.clone();
                let forward = on_progress.clone();
                opts.progress = Some(Arc::new(move |p: &Progress| {
                    if let Some(a) = progress_activity
                        .lock()
                        .expect("activity lock")
                        .get_mut(&p.connection_id)
                    {
                        a.progress = Some(p.clone());
                    }
                    if let Some(f) = &forward {
                        f(p);
                    }
                }));
                let result = worker_app.sync(id, &opts).await;
                worker_pending.lock().expect("pending lock").remove(&id);
                worker_activity.lock().expect("activity lock").remove(&id);
                if let Some(sink) = &on_report {
                    sink(id, &result);
                }
                // A failure may open an incident, a success resolve one: say so now rather
                // than at the next minute's check.
                let alerts_app = worker_app.clone();
                tokio::spawn(async move {
                    if let Err(e) = alerts_app.check_alerts().await {
                        tracing::warn!(error = %e.message, "checking alerts failed");
                    }
                });
                // The outcome may have set a retry or a pause: time it.
                let _ = worker_reload.send(SchedulerCommand::Reload);
            }
        });

        let app = self.clone();
        let handle_activity = activity.clone();
        let mut resumes = Resumes::new(tx.clone());
        match self.wanted_resumes() {
            Ok(w) => resumes.reconcile(&w),
            Err(e) => tracing::warn!("pauses could not be read: {}", e.message),
        }
        let task = tokio::spawn(async move {
            while let Some(cmd) = rx.recv().await {
                let (connection_id, trigger) = match cmd {
                    SchedulerCommand::Sync {
                        connection_id,
                        trigger,
                    } => {
                        // A webhook is a change at the platform, not a person asking: it
                        // waits out a pause or a stop as a tick does (the pause's end
                        // syncs anyway).
                        if matches!(trigger, Trigger::Schedule | Trigger::Webhook)
                            && !app.schedule_may_sync(connection_id, false)
                        {
                            continue;
                        }
                        (connection_id, trigger)
                    }
                    SchedulerCommand::Resume { connection_id } => {
                        resumes.fired(connection_id);
                        if !app.schedule_may_sync(connection_id, true) {
                            continue;
                        }
                        tracing::info!(connection = connection_id, "pause over; syncing");
                        (connection_id, Trigger::Schedule)
                    }
                    SchedulerCommand::Reload => {
                        match app.wanted_schedule() {
                            Ok(w) => {
                                if let Err(e) = scheduler.reconcile(&w).await {
                                    tracing::warn!("schedule reload failed: {e}");
                                }
                            }
                            Err(e) => tracing::warn!("schedule reload failed: {}", e.message),
                        }
                        match app.wanted_resumes() {
                            Ok(w) => resumes.reconcile(&w),
                            Err(e) => tracing::warn!("pauses could not be read: {}", e.message),
                        }
                        continue;
                    }
                    SchedulerCommand::Stop => break,
                };
                if pending.lock().expect("pending lock").insert(connection_id) {
                    activity.lock().expect("activity lock").insert(
                        connection_id,
                        SyncActivity {
                            connection_id,
                            queued: true,
                            progress: None,
                        },
                    );
                    let _ = work_tx.send((connection_id, trigger));
                } else {
                    tracing::debug!(
                        connection = connection_id,
                        "already queued or syncing; dropped"
                    );
                }
            }
            resumes.clear();
            scheduler.shutdown().await;
            drop(work_tx);
            let _ = worker.await;
        });
        Ok(DaemonHandle {
            remote: DaemonRemote {
                commands: tx,
                activity: handle_activity,
            },
            stop: stop_tx,
            task,
        })
    }
}

/// One timer per paused connection, sending [`SchedulerCommand::Resume`] when its pause
/// ends.
struct Resumes {
    commands: mpsc::UnboundedSender<SchedulerCommand>,
    timers: HashMap<i64, (i64, JoinHandle<()>)>,
}

impl Resumes {
    fn new(commands: mpsc::UnboundedSender<SchedulerCommand>) -> Self {
        Self {
            commands,
            timers: HashMap::new(),
        }
    }

    /// Makes the timers match `wanted` (connection id → end of its pause, ms since 1970).
    fn reconcile(&mut self, wanted: &HashMap<i64, i64>) {
        self.timers.retain(|id, (at, timer)| {
            let keep = wanted.get(id) == Some(at);
            if !keep {
                timer.abort();
            }
            keep
        });
        for (&id, &at) in wanted {
            if self.timers.contains_key(&id) {
                continue;
            }
            let tx = self.commands.clone();
            let timer = tokio::spawn(async move {
                // Sleep until the wall clock, which the pause is written in, has passed it.
                loop {
                    let left = at - now_ms();
                    if left <= 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(left.unsigned_abs())).await;
                }
                let _ = tx.send(SchedulerCommand::Resume { connection_id: id });
            });
            tracing::debug!(connection = id, at_ms = at, "resume timed");
            self.timers.insert(id, (at, timer));
        }
    }

    /// Forgets a timer that has fired, so the next reconcile times it again if the
    /// connection is still paused (its resume may have been dropped behind a sync).
    fn fired(&mut self, id: i64) {
        self.timers.remove(&id);
    }

    fn clear(&mut self) {
        for (_, (_, timer)) in self.timers.drain() {
            timer.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbonsync_store::StoreError;

    const HOUR: Duration = Duration::from_secs(3600);

    fn react(e: SyncError) -> Reaction {
        reaction(&SyncFailure::Sync(e), "Xero", HOUR)
    }

    fn rate_limited(secs: Option<u64>, limit: Option<&str>) -> SyncError {
        SyncError::Provider(ProviderError::RateLimited {
            retry_after: secs.map(Duration::from_secs),
            limit: limit.map(str::to_string),
        })
    }

    #[test]
    fn a_daily_limit_pauses_for_as_long_as_the_platform_asks() {
        assert_eq!(
            react(rate_limited(Some(43_200), Some("day"))),
            Reaction::Pause {
                wait: Duration::from_secs(43_200),
                reason: "Xero's daily limit".into()
            }
        );
    }

    #[test]
    fn a_wait_longer_than_a_retry_would_make_pauses_and_a_short_one_retries_after_it() {
        assert!(matches!(
            react(rate_limited(Some(7_200), Some("minute"))),
            Reaction::Pause { wait, .. } if wait == Duration::from_secs(7_200)
        ));
        assert!(matches!(
            react(rate_limited(Some(90), Some("minute"))),
            Reaction::Retry { not_before: Some(d), .. } if d == Duration::from_secs(90)
        ));
        // A daily limit that does not say when it ends is retried with the backoff.
        assert!(matches!(
            react(rate_limited(None, Some("day"))),
            Reaction::Retry { not_before: None, reason } if reason == "Xero's daily limit"
        ));
    }

    #[test]
    fn passing_failures_are_retried() {
        for e in [
            SyncError::Provider(ProviderError::Transport {
                detail: "connection refused".into(),
            }),
            SyncError::Provider(ProviderError::Server {
                status: 503,
                detail: "unavailable".into(),
            }),
            SyncError::Store(StoreError::DiskFull),
        ] {
            assert!(matches!(react(e), Reaction::Retry { .. }));
        }
    }

    #[test]
    fn failures_that_waiting_cannot_fix_stop_the_schedule_and_say_why() {
        let revoked = SyncError::NeedsReconnect {
            provider: "Xero".into(),
            tenant: "Harbour & Pine Ltd".into(),
            detail: "invalid_grant".into(),
        };
        let message = revoked.user_message();
        assert_eq!(react(revoked), Reaction::Stop { reason: message });
        for e in [
            SyncError::Provider(ProviderError::Forbidden {
                detail: "missing scope".into(),
            }),
            SyncError::Provider(ProviderError::Server {
                status: 400,
                detail: "bad request".into(),
            }),
            SyncError::Provider(ProviderError::InvalidConfig {
                detail: "page size 0".into(),
            }),
        ] {
            assert!(matches!(react(e), Reaction::Stop { .. }));
        }
        let setup = AppError::new("config", "No client secret for Xero in the keychain.");
        assert_eq!(
            reaction(&SyncFailure::Setup(setup), "Xero", HOUR),
            Reaction::Stop {
                reason: "No client secret for Xero in the keychain.".into()
            }
        );
    }

    #[test]
    fn a_sync_stopped_on_purpose_changes_nothing() {
        assert_eq!(react(SyncError::Stopped), Reaction::Keep);
    }
}
