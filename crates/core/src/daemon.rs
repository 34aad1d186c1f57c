//! The background schedule: cron ticks and clicks become sync commands, run one at a
//! time. A connection already waiting or syncing is not queued again, so missed
//! ticks never turn into a burst.

use crate::{App, AppError};
use carbonsync_store::ConnectionStatus;
use carbonsync_sync::{
    cron_for, Frequency, Progress, ProgressSink, Scheduler, SchedulerCommand, SyncOptions,
    SyncReport, Trigger,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

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
    commands: mpsc::UnboundedSender<SchedulerCommand>,
    activity: Activity,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl DaemonHandle {
    pub fn send(&self, cmd: SchedulerCommand) {
        let _ = self.commands.send(cmd);
    }

    /// The connections queued or syncing, with their progress.
    pub fn activity(&self) -> Vec<SyncActivity> {
        self.activity
            .lock()
            .expect("activity lock")
            .values()
            .cloned()
            .collect()
    }

    /// Stops the schedule; a sync in progress finishes the page it is writing first.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.commands.send(SchedulerCommand::Stop);
        let _ = self.task.await;
    }
}

impl App {
    /// The cron expression of every active connection with a schedule.
    fn wanted_schedule(&self) -> Result<HashMap<i64, String>, AppError> {
        let mut wanted = HashMap::new();
        for c in self.connections()? {
            if c.status != ConnectionStatus::Active {
                continue;
            }
            let f = Frequency::parse(&c.frequency).unwrap_or(Frequency::Hourly);
            if let Some(cron) = cron_for(&f, c.id) {
                wanted.insert(c.id, cron);
            }
        }
        Ok(wanted)
    }

    /// Starts the schedule. `on_report` hears about every finished sync, `on_progress`
    /// about every saved page (the window and tray show both).
    pub async fn start_daemon(
        self: &Arc<Self>,
        on_report: Option<ReportSink>,
        on_progress: Option<ProgressSink>,
    ) -> Result<DaemonHandle, AppError> {
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

        let activity: Activity = Arc::default();
        let pending: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let (work_tx, mut work_rx) = mpsc::unbounded_channel::<(i64, Trigger)>();
        let worker_app = self.clone();
        let worker_pending = pending.clone();
        let worker_stop = stop_rx.clone();
        let worker_activity = activity.clone();
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
            }
        });

        let app = self.clone();
        let handle_activity = activity.clone();
        let task = tokio::spawn(async move {
            while let Some(cmd) = rx.recv().await {
                match cmd {
                    SchedulerCommand::Sync {
                        connection_id,
                        trigger,
                    } => {
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
                                "already queued or syncing; tick dropped"
                            );
                        }
                    }
                    SchedulerCommand::Reload => match app.wanted_schedule() {
                        Ok(w) => {
                            if let Err(e) = scheduler.reconcile(&w).await {
                                tracing::warn!("schedule reload failed: {e}");
                            }
                        }
                        Err(e) => tracing::warn!("schedule reload failed: {}", e.message),
                    },
                    SchedulerCommand::Stop => break,
                }
            }
            scheduler.shutdown().await;
            drop(work_tx);
            let _ = worker.await;
        });
        Ok(DaemonHandle {
            commands: tx,
            activity: handle_activity,
            stop: stop_tx,
            task,
        })
    }
}
