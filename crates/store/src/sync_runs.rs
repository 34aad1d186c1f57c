use crate::{decimal, now_text, Result, Store, StoreError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a run that stopped without recording an error says in the log.
pub const INTERRUPTED_MESSAGE: &str = "The sync stopped before it finished (the app was closed, crashed or was killed). Pages already saved were kept; the next sync continues from them.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    /// The process stopped mid-run (crash, power cut, killed); the pages it finished
    /// are kept and the next run resumes from them.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Interrupted,
        }
    }
}

/// The counters of a run, updated as it goes so a crash still leaves a true log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncRunCounts {
    pub pages: i64,
    pub calls: i64,
    pub rate_limited: i64,
    pub fetched: i64,
    pub created: i64,
    pub updated: i64,
    pub deleted: i64,
    /// Received again unchanged, or set aside.
    pub skipped: i64,
    /// Records that could not be read, kept aside with the reason (also counted in `skipped`).
    pub set_aside: i64,
    pub emissions_added: i64,
    /// Change of the connection's total kg CO2e, exactly (six decimal places). Decimal text on
    /// the wire.
    #[ts(type = "string")]
    pub kg_co2e_delta: Decimal,
}

/// One entry of a connection's sync history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncRun {
    pub id: i64,
    pub connection_id: i64,
    pub trigger: String,
    pub full: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    #[serde(flatten)]
    pub counts: SyncRunCounts,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_detail: Option<String>,
    /// What the run decided that its counts do not show, one sentence each (a stream read
    /// whole, and why).
    pub notes: Vec<String>,
}

impl Store {
    /// Adds a sentence to a run's notes (see [`SyncRun::notes`]).
    pub fn add_run_note(&self, run_id: i64, note: &str) -> Result<()> {
        self.db().execute(
            "UPDATE sync_runs SET notes = CASE WHEN notes IS NULL OR notes = '' THEN ?2
             ELSE notes || char(10) || ?2 END WHERE id = ?1",
            rusqlite::params![run_id, note.replace('\n', " ")],
        )?;
        Ok(())
    }

    /// Opens a run. Runs of this connection still marked running were cut short by a
    /// stopped process (the caller holds the connection's sync lock), so they are
    /// settled first (see [`Store::settle_stale_runs`]).
    pub fn start_run(&self, connection_id: i64, trigger: &str, full: bool) -> Result<i64> {
        self.settle_stale_runs(connection_id)?;
        self.db().execute(
            "INSERT INTO sync_runs (connection_id, trigger, full, started_at, status)
             VALUES (?1, ?2, ?3, ?4, 'running')",
            rusqlite::params![connection_id, trigger, full, now_text()],
        )?;
        Ok(self.db().last_insert_rowid())
    }

    /// The connections with a run still marked running: each is live only while a process
    /// holds that connection's sync lock.
    pub fn connections_with_running_runs(&self) -> Result<Vec<i64>> {
        let mut stmt = self
            .db()
            .prepare("SELECT DISTINCT connection_id FROM sync_runs WHERE status = 'running'")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// Closes the runs of `connection_id` still marked running, which the caller knows no
    /// process is running (it holds, or found free, the connection's sync lock). A run
    /// whose error was recorded keeps it and is `failed`; one with no error recorded
    /// stopped without a word (killed, crashed, power cut) and is `interrupted`. Returns
    /// how many runs were settled.
    pub fn settle_stale_runs(&self, connection_id: i64) -> Result<usize> {
        Ok(self.db().execute(
            "UPDATE sync_runs SET
               status = CASE WHEN error_code IS NULL THEN 'interrupted' ELSE 'failed' END,
               finished_at = COALESCE(finished_at, ?2),
               error_message = CASE WHEN error_code IS NULL THEN ?3 ELSE error_message END,
               error_code = COALESCE(error_code, 'interrupted')
             WHERE connection_id = ?1 AND status = 'running'",
            rusqlite::params![connection_id, now_text(), INTERRUPTED_MESSAGE],
        )?)
    }

    pub fn update_run_counts(&self, run_id: i64, c: &SyncRunCounts) -> Result<()> {
        self.db()
            .prepare_cached(
                "UPDATE sync_runs SET pages = ?2, calls = ?3, rate_limited = ?4, fetched = ?5,
                 created = ?6, updated = ?7, deleted = ?8, skipped = ?9, emissions_added = ?10,
                 co2e_mg_delta = ?11, set_aside = ?12 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                run_id,
                c.pages,
                c.calls,
                c.rate_limited,
                c.fetched,
                c.created,
                c.updated,
                c.deleted,
                c.skipped,
                c.emissions_added,
                decimal::millionths(&c.kg_co2e_delta)?,
                c.set_aside
            ])?;
        Ok(())
    }

    /// Closes a run with its outcome, counters and error (code, message, detail) in one
    /// statement, so the log never holds half an outcome. When the disk is full, the space
    /// kept in reserve next to the database ([`crate::reserve_path`]) is freed to record it.
    /// The error is also written on its own first, so that even if closing fails the run's
    /// real cause survives and settling the run later keeps it.
    pub fn finish_run(
        &self,
        run_id: i64,
        status: RunStatus,
        counts: &SyncRunCounts,
        error: Option<(&str, &str, &str)>,
    ) -> Result<String> {
        let now = now_text();
        let (code, message, detail) = match error {
            Some((c, m, d)) => (Some(c), Some(m), Some(d)),
            None => (None, None, None),
        };
        if code.is_some() {
            // Only the error: the counters and status follow in the full update below.
            let _ = self.db().execute(
                "UPDATE sync_runs SET error_code = ?2, error_message = ?3, error_detail = ?4
                 WHERE id = ?1",
                rusqlite::params![run_id, code, message, detail],
            );
        }
        match self.close_run(run_id, status, &now, counts, (code, message, detail)) {
            Err(StoreError::DiskFull) if crate::schema::release_reserve(&self.path) => {
                tracing::warn!(
                    run = run_id,
                    "the disk is full: used the space kept in reserve to record the sync's outcome"
                );
                self.close_run(run_id, status, &now, counts, (code, message, detail))?;
            }
            other => other?,
        }
        Ok(now)
    }

    fn close_run(
        &self,
        run_id: i64,
        status: RunStatus,
        now: &str,
        c: &SyncRunCounts,
        (code, message, detail): (Option<&str>, Option<&str>, Option<&str>),
    ) -> Result<()> {
        self.db().execute(
            "UPDATE sync_runs SET status = ?2, finished_at = ?3, error_code = ?4,
             error_message = ?5, error_detail = ?6, pages = ?7, calls = ?8, rate_limited = ?9,
             fetched = ?10, created = ?11, updated = ?12, deleted = ?13, skipped = ?14,
             emissions_added = ?15, co2e_mg_delta = ?16, set_aside = ?17 WHERE id = ?1",
            rusqlite::params![
                run_id,
                status.as_str(),
                now,
                code,
                message,
                detail,
                c.pages,
                c.calls,
                c.rate_limited,
                c.fetched,
                c.created,
                c.updated,
                c.deleted,
                c.skipped,
                c.emissions_added,
                decimal::millionths(&c.kg_co2e_delta)?,
                c.set_aside
            ],
        )?;
        Ok(())
    }

    /// The newest runs first, of one connection or of all.
    pub fn runs(&self, connection_id: Option<i64>, limit: i64) -> Result<Vec<SyncRun>> {
        let mut stmt = self.db().prepare(
            "SELECT id, connection_id, trigger, full, started_at, finished_at, status, pages, calls,
             rate_limited, fetched, created, updated, deleted, skipped, emissions_added,
             co2e_mg_delta, error_code, error_message, error_detail, set_aside, notes
             FROM sync_runs WHERE (?1 IS NULL OR connection_id = ?1) ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![connection_id, limit], |r| {
            Ok(SyncRun {
                id: r.get(0)?,
                connection_id: r.get(1)?,
                trigger: r.get(2)?,
                full: r.get(3)?,
                started_at: r.get(4)?,
                finished_at: r.get(5)?,
                status: RunStatus::parse(&r.get::<_, String>(6)?),
                counts: SyncRunCounts {
                    pages: r.get(7)?,
                    calls: r.get(8)?,
                    rate_limited: r.get(9)?,
                    fetched: r.get(10)?,
                    created: r.get(11)?,
                    updated: r.get(12)?,
                    deleted: r.get(13)?,
                    skipped: r.get(14)?,
                    set_aside: r.get(20)?,
                    emissions_added: r.get(15)?,
                    kg_co2e_delta: decimal::from_millionths(r.get(16)?),
                },
                error_code: r.get(17)?,
                error_message: r.get(18)?,
                error_detail: r.get(19)?,
                notes: r
                    .get::<_, Option<String>>(21)?
                    .map(|n| n.lines().map(str::to_owned).collect())
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
