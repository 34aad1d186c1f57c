//! The local SQLite database: migrations, one module per table, typed queries.
//!
//! One file holds everything a person reviews offline. Every multi-row change happens
//! in one transaction; a sync page and the cursor it advances commit together.

mod accounts;
mod connections;
mod cursors;
mod error;
mod ledger;
mod meta;
mod records;
mod reports;
mod schema;
mod sync_runs;

pub use accounts::AccountRow;
pub use connections::{Connection, ConnectionStatus, NewConnection};
pub use error::StoreError;
pub use ledger::{LedgerEntry, LedgerFilter, LedgerRow, LedgerStatus};
pub use records::{LineInput, PageOutcome, RecordInput};
pub use reports::{EmissionsGroup, GroupBy, Totals};
pub use sync_runs::{RunStatus, SyncRun, SyncRunCounts};

use rusqlite::OpenFlags;
use std::path::{Path, PathBuf};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open database. Cheap to open more than one on the same file (one per thread);
/// SQLite in WAL mode serialises the writers.
pub struct Store {
    conn: rusqlite::Connection,
    path: PathBuf,
    refs: records::RefCache,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to
    /// date. A database written by a newer CarbonSync is refused, not modified.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        let mut conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // WAL lets the window read while a sync writes; NORMAL sync is durable at each
        // checkpoint and safe against corruption, which is the right trade for data
        // that can always be fetched again from the platform.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 32 MiB of page cache (the default is 2 MiB): the unique index a sync probes for
        // every record mostly stays in memory, and memory still stays flat however large
        // the ledger grows.
        conn.pragma_update(None, "cache_size", -32 * 1024)?;
        // Checkpoint the WAL every 32 MiB rather than every 4 MiB: a bulk sync then
        // pays for far fewer checkpoint fsyncs.
        conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            refs: Default::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
