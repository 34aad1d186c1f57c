//! The local SQLite database: migrations, one module per table, typed queries.
//!
//! One file holds everything a person reviews offline. Every multi-row change happens
//! in one transaction; a sync page and the cursor it advances commit together.

mod accounts;
mod audit;
mod closes;
mod connections;
mod cursors;
mod decimal;
mod entry_writer;
mod error;
mod footprints;
mod ledger;
mod meta;
mod notifications;
mod reassess;
mod records;
mod report_groups;
mod reported;
mod reports;
mod review;
mod rule_work;
mod schema;
mod set_aside;
mod suppliers;
mod sync_runs;
mod webhook_events;

pub use accounts::AccountRow;
pub use audit::{AuditCheck, AuditEntry, AuditRow, GENESIS_HASH};
pub use closes::{
    taken_in_words, ChangeAfterClose, CloseChangeKind, ClosedLine, PeriodClose, Restatement,
};
pub use connections::{Connection, ConnectionStatus, NewConnection};
pub use cursors::StreamPosition;
pub use error::StoreError;
pub use footprints::{FootprintInput, ReportedOverlap};
pub use ledger::{LedgerEntry, LedgerFilter, LedgerRow, LedgerStatus};
pub use notifications::{
    Delivery, DeliveryOutcome, Destination, DestinationSettings, Incident, NewDestination,
};
pub use reassess::{LedgerLine, Reassess, StoredOutcome, REASSESS_LEDGER};
pub use records::{LineInput, PageInput, PageOutcome, RecordInput, RevisionWatch, DELETED_REASON};
pub use report_groups::{
    ConversionUse, ExcludedGroup, Method, ReportGroup, ReportedSlice, SourceUse,
};
pub use reported::{
    supplier_matches, MonthRestatement, MonthState, ReportedFilter, ReportedGroup, ReportedGroupBy,
    ReportedInput, ReportedMonth, ReportedRow, ReportedTotals, ReportedWrite, SupplierRule,
};
pub use reports::{EmissionsGroup, GroupBy, ScopeThreeMonth, Totals};
pub use review::{
    Actor, Classification, Decision, LineSnapshot, QueueItem, QueueReason, ReviewAction,
    ReviewProgress, ReviewRule, RuleInput, RuleMatch, SpendProgress, SplitPart,
};
pub use rule_work::RuleWork;
pub use set_aside::{SetAsideInput, SetAsideRecord};
pub use suppliers::SupplierSummary;
pub use sync_runs::{RunStatus, SyncRun, SyncRunCounts, INTERRUPTED_MESSAGE};
pub use webhook_events::WEBHOOK_EVENTS_KEPT_DAYS;

pub use schema::{
    backups_dir, check_file, list_backups, reserve_path, restore, write_access, FileState,
    BACKUPS_KEPT, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, QUICK_CHECK_LIMIT_BYTES, RESERVE_BYTES,
};

use std::path::{Path, PathBuf};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open database. Cheap to open more than one on the same file (one per thread);
/// SQLite in WAL mode serialises the writers.
pub struct Store {
    /// Reached through [`Store::db`] / [`Store::db_mut`], which make this store the one
    /// errors on this thread name.
    conn: rusqlite::Connection,
    path: PathBuf,
    refs: records::RefCache,
    read_only: Option<String>,
    in_use: schema::InUse,
}

impl Store {
    /// Opens (creating if needed, readable by its owner only) the database at `path` and
    /// brings its schema up to date, after a backup when there is anything to update.
    /// A database written by a newer CarbonSync is refused, not modified; a damaged,
    /// emptied or unwritable file is refused with an error that names it and the way out.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = schema::open_read_write(path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            refs: Default::default(),
            read_only: None,
            in_use: std::sync::Arc::new((path.to_path_buf(), None)),
        })
    }

    /// Opens the database for reading only, for a data folder that cannot be written
    /// (`cause` says why, in words; it is repeated by any write attempted). The schema
    /// must already be up to date.
    pub fn open_read_only(path: &Path, cause: &str) -> Result<Self> {
        let conn = schema::open_read_only(path, cause)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            refs: Default::default(),
            read_only: Some(cause.to_string()),
            in_use: std::sync::Arc::new((path.to_path_buf(), Some(cause.to_string()))),
        })
    }

    /// The connection, with this store named by any error met on this thread.
    fn db(&self) -> &rusqlite::Connection {
        schema::touch(&self.in_use);
        &self.conn
    }

    /// The connection for a transaction, with this store named by any error met on this
    /// thread.
    fn db_mut(&mut self) -> &mut rusqlite::Connection {
        schema::touch(&self.in_use);
        &mut self.conn
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why this store cannot write, when it was opened read-only.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// The check run at every start: SQLite's `quick_check` of every page for a file up
    /// to [`QUICK_CHECK_LIMIT_BYTES`]; above it, the header and schema checks done on
    /// opening stand (run [`Store::integrity_problems`] for the rest). A problem is a
    /// [`StoreError::Damaged`] naming the file.
    pub fn startup_check(&self) -> Result<()> {
        let size = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        if size > QUICK_CHECK_LIMIT_BYTES {
            return Ok(());
        }
        let problems = schema::integrity_problems(self.db(), &self.path, true)?;
        if problems.is_empty() {
            return Ok(());
        }
        Err(StoreError::Damaged {
            path: self.path.clone(),
            cause: summary(&problems),
        })
    }

    /// SQLite's full `integrity_check` (every page, every index against its table):
    /// the problems found, none when the file is sound. Takes seconds on a large file.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        schema::integrity_problems(self.db(), &self.path, false)
    }

    /// Copies the database as it is now into the backups folder next to it (keeping the
    /// newest [`BACKUPS_KEPT`]); returns the backup's path.
    pub fn backup(&self) -> Result<PathBuf> {
        let version: i64 = self
            .db()
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        schema::backup_into(self.db(), &backups_dir(&self.path), version as usize)
    }
}

/// The first few problems SQLite reported, on one line.
fn summary(problems: &[String]) -> String {
    let mut s = problems
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > 3 {
        s.push_str(&format!("; and {} more", problems.len() - 3));
    }
    s
}

pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
