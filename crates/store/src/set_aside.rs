use crate::{now_text, PageInput, RecordInput, Result, Store};
use serde::Serialize;

/// A record the platform sent that could not be read, as the sync hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAsideInput {
    /// The platform's id, when it could be read.
    pub record_id: Option<String>,
    /// What could not be read, in words (e.g. `Date: not a Xero date`).
    pub reason: String,
    /// The record's JSON as sent.
    pub raw: String,
}

/// A record kept aside, as the sync log and the window show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SetAsideRecord {
    pub id: i64,
    pub connection_id: i64,
    /// The run that last met it.
    pub run_id: Option<i64>,
    pub stream: String,
    pub record_id: Option<String>,
    pub reason: String,
    /// When it was last met (RFC 3339).
    pub seen_at: String,
    /// The record's JSON as the platform sent it (at most 64 KiB).
    pub raw: String,
}

impl Store {
    /// Keeps a page's unreadable records and forgets those of its records that now read
    /// cleanly. Returns how many were kept.
    pub(crate) fn keep_set_aside_in(
        tx: &rusqlite::Transaction<'_>,
        page: &PageInput<'_>,
        records: &[RecordInput],
    ) -> Result<i64> {
        let any_kept: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM set_aside WHERE connection_id = ?1 AND stream = ?2)",
            )?
            .query_row(rusqlite::params![page.connection_id, page.stream], |r| {
                r.get(0)
            })?;
        if any_kept {
            let mut forget = tx.prepare_cached(
                "DELETE FROM set_aside WHERE connection_id = ?1 AND stream = ?2 AND record_id = ?3",
            )?;
            for rec in records {
                forget.execute(rusqlite::params![
                    page.connection_id,
                    page.stream,
                    rec.record_id
                ])?;
            }
        }
        let now = now_text();
        let mut keep = tx.prepare_cached(
            "INSERT INTO set_aside (connection_id, run_id, stream, record_id, reason, raw, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (connection_id, stream, record_id) WHERE record_id IS NOT NULL
             DO UPDATE SET run_id = excluded.run_id, reason = excluded.reason,
                           raw = excluded.raw, seen_at = excluded.seen_at",
        )?;
        for s in page.set_aside {
            keep.execute(rusqlite::params![
                page.connection_id,
                page.run_id,
                page.stream,
                s.record_id,
                s.reason,
                s.raw,
                now
            ])?;
        }
        Ok(page.set_aside.len() as i64)
    }

    /// Keeps unreadable records outside a page write (the chart of accounts).
    pub fn keep_set_aside(
        &mut self,
        connection_id: i64,
        run_id: i64,
        stream: &str,
        set_aside: &[SetAsideInput],
    ) -> Result<i64> {
        if set_aside.is_empty() {
            return Ok(0);
        }
        let tx = self.db_mut().transaction()?;
        let kept = Store::keep_set_aside_in(
            &tx,
            &PageInput {
                connection_id,
                run_id,
                stream,
                records: &[],
                set_aside,
                position: &|_| Default::default(),
                overlap_until_ms: None,
                watch: None,
                sweep_mark: None,
            },
            &[],
        )?;
        tx.commit()?;
        Ok(kept)
    }

    /// The records of a connection (or of all) kept aside, newest first.
    pub fn set_aside(&self, connection_id: Option<i64>) -> Result<Vec<SetAsideRecord>> {
        let mut stmt = self.db().prepare(
            "SELECT id, connection_id, run_id, stream, record_id, reason, seen_at, raw FROM set_aside
             WHERE (?1 IS NULL OR connection_id = ?1) ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([connection_id], |r| {
            Ok(SetAsideRecord {
                id: r.get(0)?,
                connection_id: r.get(1)?,
                run_id: r.get(2)?,
                stream: r.get(3)?,
                record_id: r.get(4)?,
                reason: r.get(5)?,
                seen_at: r.get(6)?,
                raw: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
