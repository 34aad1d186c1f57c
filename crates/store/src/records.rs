use crate::{now_text, LedgerRow, Result, Store};
use rusqlite::OptionalExtension;
use serde::Serialize;

/// A bank transaction or bill as it arrives from a platform, with the ledger entry
/// already decided for each of its lines.
#[derive(Debug, Clone)]
pub struct RecordInput {
    pub record_id: String,
    pub kind: String,
    pub status: String,
    pub deleted: bool,
    /// `YYYY-MM-DD`
    pub date: String,
    pub contact: Option<String>,
    pub reference: Option<String>,
    pub currency: String,
    pub line_amount_types: Option<String>,
    pub total: f64,
    pub updated_ms: i64,
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Clone)]
pub struct LineInput {
    pub description: Option<String>,
    pub account_code: Option<String>,
    pub account_name: Option<String>,
    pub net_amount: f64,
    pub entry: LedgerRow,
}

/// What one page did to the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PageOutcome {
    pub created: i64,
    pub updated: i64,
    pub deleted: i64,
    /// Received again with the same modification time: nothing to write.
    pub unchanged: i64,
    /// Ledger entries written with status `counted`.
    pub entries_counted: i64,
    /// Change of the connection's total kg CO2e caused by this page.
    pub kg_delta: f64,
}

impl PageOutcome {
    pub fn add(&mut self, o: &PageOutcome) {
        self.created += o.created;
        self.updated += o.updated;
        self.deleted += o.deleted;
        self.unchanged += o.unchanged;
        self.entries_counted += o.entries_counted;
        self.kg_delta += o.kg_delta;
    }
}

impl Store {
    /// Upserts a page of records (by the platform's id) with their ledger entries and
    /// moves the stream cursor, all in one transaction: an interrupted sync either has
    /// the whole page and its cursor, or neither, so a re-run never duplicates.
    pub fn write_page(
        &mut self,
        connection_id: i64,
        stream: &str,
        records: &[RecordInput],
        cursor: Option<i64>,
    ) -> Result<PageOutcome> {
        let now = now_text();
        let tx = self.conn.transaction()?;
        let mut out = PageOutcome::default();
        {
            let mut find = tx.prepare_cached(
                "SELECT updated_ms, deleted FROM records
                 WHERE connection_id = ?1 AND stream = ?2 AND record_id = ?3",
            )?;
            let mut old_kg = tx.prepare_cached(
                "SELECT COALESCE(SUM(kg_co2e), 0) FROM ledger WHERE connection_id = ?1
                 AND stream = ?2 AND record_id = ?3 AND status = 'counted'",
            )?;
            let mut drop_lines = tx.prepare_cached(
                "DELETE FROM ledger WHERE connection_id = ?1 AND stream = ?2 AND record_id = ?3",
            )?;
            let mut put_record = tx.prepare_cached(
                "INSERT INTO records (connection_id, stream, record_id, kind, status, deleted, date,
                 contact, reference, currency, line_amount_types, total, updated_ms, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT (connection_id, stream, record_id) DO UPDATE SET kind = excluded.kind,
                 status = excluded.status, deleted = excluded.deleted, date = excluded.date,
                 contact = excluded.contact, reference = excluded.reference,
                 currency = excluded.currency, line_amount_types = excluded.line_amount_types,
                 total = excluded.total, updated_ms = excluded.updated_ms, synced_at = excluded.synced_at",
            )?;
            let mut put_line = tx.prepare_cached(
                "INSERT INTO ledger (connection_id, stream, record_id, line_no, date, contact,
                 description, account_code, account_name, net_amount, currency, status, reason,
                 rule_id, category, scope, scope3_category, factor_set, factor_version, factor_code,
                 factor_title, factor_value, factor_unit, fx_rate, fx_source, deflator,
                 deflator_source, amount_usd_2022, kg_co2e, computed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
            )?;

            for rec in records {
                let key = rusqlite::params![connection_id, stream, rec.record_id];
                let before: Option<(i64, bool)> = find
                    .query_row(key, |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                match before {
                    Some((ms, _)) if ms == rec.updated_ms => {
                        out.unchanged += 1;
                        continue;
                    }
                    Some((_, was_deleted)) => {
                        out.kg_delta -= old_kg.query_row(key, |r| r.get::<_, f64>(0))?;
                        drop_lines.execute(key)?;
                        if rec.deleted && !was_deleted {
                            out.deleted += 1;
                        } else {
                            out.updated += 1;
                        }
                    }
                    None => out.created += 1,
                }
                put_record.execute(rusqlite::params![
                    connection_id,
                    stream,
                    rec.record_id,
                    rec.kind,
                    rec.status,
                    rec.deleted,
                    rec.date,
                    rec.contact,
                    rec.reference,
                    rec.currency,
                    rec.line_amount_types,
                    rec.total,
                    rec.updated_ms,
                    now
                ])?;
                for (line_no, line) in rec.lines.iter().enumerate() {
                    let e = &line.entry;
                    if e.status == crate::LedgerStatus::Counted {
                        out.entries_counted += 1;
                        out.kg_delta += e.kg_co2e.unwrap_or(0.0);
                    }
                    put_line.execute(rusqlite::params![
                        connection_id,
                        stream,
                        rec.record_id,
                        line_no as i64,
                        rec.date,
                        rec.contact,
                        line.description,
                        line.account_code,
                        line.account_name,
                        line.net_amount,
                        rec.currency,
                        e.status.as_str(),
                        e.reason,
                        e.rule_id,
                        e.category,
                        e.scope,
                        e.scope3_category,
                        e.factor_set,
                        e.factor_version,
                        e.factor_code,
                        e.factor_title,
                        e.factor_value,
                        e.factor_unit,
                        e.fx_rate,
                        e.fx_source,
                        e.deflator,
                        e.deflator_source,
                        e.amount_usd_2022,
                        e.kg_co2e,
                        now
                    ])?;
                }
            }
        }
        Store::set_cursor_in(&tx, connection_id, stream, cursor)?;
        tx.commit()?;
        Ok(out)
    }

    /// How many records of a stream a connection holds (deleted ones included).
    pub fn record_count(&self, connection_id: i64, stream: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM records WHERE connection_id = ?1 AND stream = ?2",
            rusqlite::params![connection_id, stream],
            |r| r.get(0),
        )?)
    }
}
