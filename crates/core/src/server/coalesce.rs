//! Webhook events become syncs: many events for one connection within
//! [`WEBHOOK_COALESCE`] become one sync, and events that arrive while that connection is
//! queued or syncing wait for it to finish, then start one more (the running sync may
//! have read past the change already, or not).

use crate::daemon::DaemonRemote;
use carbonsync_sync::{SchedulerCommand, Trigger};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long after a connection's first webhook event its sync starts, so that a burst
/// (Xero sends a delivery per batch of changes; an import in QuickBooks sends one per
/// entity) is read by one sync.
pub const WEBHOOK_COALESCE: Duration = Duration::from_secs(2);

/// How often waiting connections are looked at.
const TICK: Duration = Duration::from_millis(200);

/// Starts the coalescer; send it connection ids.
pub(crate) fn start(daemon: DaemonRemote) -> (JoinHandle<()>, mpsc::UnboundedSender<i64>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<i64>();
    let task = tokio::spawn(async move {
        // Connection id → when its sync may start.
        let mut due: HashMap<i64, Instant> = HashMap::new();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                asked = rx.recv() => match asked {
                    Some(id) => {
                        due.entry(id).or_insert_with(|| Instant::now() + WEBHOOK_COALESCE);
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    let now = Instant::now();
                    due.retain(|&id, at| {
                        if *at > now || daemon.busy(id) {
                            return true;
                        }
                        tracing::info!(connection = id, "webhook events; syncing");
                        daemon.send(SchedulerCommand::Sync {
                            connection_id: id,
                            trigger: Trigger::Webhook,
                        });
                        false
                    });
                }
            }
        }
    });
    (task, tx)
}
