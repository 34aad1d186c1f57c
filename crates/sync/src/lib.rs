//! The sync engine: fresh tokens, pages, cursors, checkpoints and retries; and the
//! scheduler that wakes it.

mod cloud;
mod engine;
mod error;
mod inventory;
mod locks;
mod records;
mod review;
mod schedule;
mod tokens;
mod walk;

pub use cloud::{sync_cloud_connection, CloudSyncContext};
pub use engine::{
    sync_connection, Progress, ProgressSink, SyncContext, SyncOptions, SyncReport, Trigger,
};
pub use error::SyncError;
pub use inventory::{export_to_inventory, sync_inventory_connection, InventorySyncContext};
pub use locks::ConnectionLock;
pub use records::{ledger_row, preview_rules, reassess_entries, reassess_ledger, PreviewedChange};
pub use review::{LineFacts, Review};
pub use schedule::{cron_for, next_tick, Frequency, Scheduler, SchedulerCommand};
pub use tokens::TokenKeeper;

/// A platform's name for people (`QuickBooks Online`) from its catalogue id, the id itself for
/// a platform the catalogue does not know.
pub(crate) fn platform_name(provider: &str) -> String {
    carbonsync_providers::Catalogue::builtin()
        .get(provider)
        .map_or_else(|| provider.to_owned(), |e| e.name.clone())
}
