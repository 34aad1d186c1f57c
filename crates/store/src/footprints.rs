//! Footprint records of an inventory platform (Salesforce Net Zero Cloud), kept as reported
//! rows: every row of a record carries the record's id in `grouping`, so a changed record
//! restates exactly its rows and a deleted one withdraws them, with the trail kept.

use crate::cursors::StreamPosition;
use crate::reported::{write_rows, ReportedInput, ReportedWrite};
use crate::{decimal, now_text, Result, Store};
use rusqlite::params;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeSet;

/// One footprint record and the rows it reports now.
#[derive(Debug, Clone)]
pub struct FootprintInput {
    /// The platform's record id.
    pub record_id: String,
    pub rows: Vec<ReportedInput>,
}

/// Withdraws the rows of record `record_id` whose keys are not in `keep`, appending each to
/// the trail as withdrawn. Returns how many, and the milligrams of CO2e they held (location-
/// based and basis-free rows, as the run's totals count them).
fn withdraw_rows(
    tx: &rusqlite::Transaction<'_>,
    connection_id: i64,
    run_id: i64,
    record_id: &str,
    keep: &BTreeSet<&str>,
    now: &str,
) -> Result<(i64, i64)> {
    type Stale = (i64, String, String, String, Option<String>, i64);
    let stale: Vec<Stale> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, row_key, month, kg_co2e, model_version,
                    CASE WHEN basis = 'market' THEN 0 ELSE co2e_mg END
             FROM reported_emissions WHERE connection_id = ?1 AND grouping = ?2",
        )?;
        let rows = stmt.query_map(params![connection_id, record_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<Vec<Stale>>>()?
            .into_iter()
            .filter(|(_, key, ..)| !keep.contains(key.as_str()))
            .collect()
    };
    let mut trail = tx.prepare_cached(
        "INSERT INTO reported_restatements (connection_id, run_id, row_key, month,
         previous_kg_co2e, new_kg_co2e, previous_model_version, new_model_version, at)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, NULL, ?7)",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM reported_emissions WHERE id = ?1")?;
    let mut mg = 0;
    for (id, key, month, kg, version, counted_mg) in &stale {
        trail.execute(params![connection_id, run_id, key, month, kg, version, now])?;
        delete.execute([id])?;
        mg += counted_mg;
    }
    Ok((stale.len() as i64, mg))
}

impl Store {
    /// Writes changed footprint records and moves `stream`'s position past them, in one
    /// transaction, so a stop between pages loses nothing and repeats nothing: each
    /// record's rows are written as reported rows (a changed number is a restatement in
    /// the trail), and its earlier rows that it no longer reports are withdrawn.
    pub fn write_footprints(
        &mut self,
        connection_id: i64,
        run_id: i64,
        records: &[FootprintInput],
        stream: &str,
        position: &StreamPosition,
    ) -> Result<ReportedWrite> {
        let now = now_text();
        let tx = self.db_mut().transaction()?;
        let mut out = ReportedWrite::default();
        for record in records {
            let written = write_rows(&tx, connection_id, run_id, &record.rows, &now)?;
            out.created += written.created;
            out.restated += written.restated;
            out.unchanged += written.unchanged;
            out.co2e_mg_delta += written.co2e_mg_delta;
            let keep: BTreeSet<&str> = record.rows.iter().map(|r| r.row_key.as_str()).collect();
            let (withdrawn, mg) =
                withdraw_rows(&tx, connection_id, run_id, &record.record_id, &keep, &now)?;
            out.withdrawn += withdrawn;
            out.co2e_mg_delta -= mg;
        }
        Store::set_position_in(&tx, connection_id, stream, position)?;
        tx.commit()?;
        Ok(out)
    }

    /// Withdraws every row of the records `record_ids` (deleted at the platform) and, when
    /// given, moves a stream's position, in one transaction. Returns how many rows were
    /// withdrawn and the milligrams of CO2e they held (location-based and basis-free).
    pub fn withdraw_footprints(
        &mut self,
        connection_id: i64,
        run_id: i64,
        record_ids: &[String],
        position: Option<(&str, &StreamPosition)>,
    ) -> Result<(i64, i64)> {
        let now = now_text();
        let tx = self.db_mut().transaction()?;
        let (mut withdrawn, mut mg) = (0, 0);
        for id in record_ids {
            let (n, m) = withdraw_rows(&tx, connection_id, run_id, id, &BTreeSet::new(), &now)?;
            withdrawn += n;
            mg += m;
        }
        if let Some((stream, position)) = position {
            Store::set_position_in(&tx, connection_id, stream, position)?;
        }
        tx.commit()?;
        Ok((withdrawn, mg))
    }

    /// The ids of every footprint record with rows kept for a connection.
    pub fn footprint_record_ids(&self, connection_id: i64) -> Result<BTreeSet<String>> {
        let mut stmt = self.db().prepare(
            "SELECT DISTINCT grouping FROM reported_emissions
             WHERE connection_id = ?1 AND grouping IS NOT NULL",
        )?;
        let ids = stmt.query_map([connection_id], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<BTreeSet<String>>>()?)
    }
}

/// A month, scope and Scope 3 category for which an inventory platform reports emissions and
/// CarbonSync's own spend-based ledger counts some too: the two likely cover the same
/// emissions, so they are shown side by side and never added together.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportedOverlap {
    /// The inventory connection that reports it.
    pub connection_id: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub scope: u8,
    pub scope3_category: Option<u8>,
    /// kg CO2e the platform reports (location-based and basis-free rows), exactly.
    #[ts(type = "string")]
    pub reported_kg_co2e: Decimal,
    /// kg CO2e the spend-based ledger counts for the same month, scope and category.
    #[ts(type = "string")]
    pub spend_based_kg_co2e: Decimal,
}

impl Store {
    /// Where the reports of the connections of `platforms` (inventory platforms) meet the
    /// spend-based ledger on month, scope and Scope 3 category; oldest month first.
    pub fn reported_overlaps(&self, platforms: &[&str]) -> Result<Vec<ReportedOverlap>> {
        if platforms.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; platforms.len()].join(", ");
        let sql = format!(
            "WITH reported AS (
                SELECT r.connection_id, r.month, r.scope, r.scope3_category,
                       SUM(CASE WHEN r.basis = 'market' THEN 0 ELSE r.co2e_mg END) AS mg
                FROM reported_emissions r JOIN connections c ON c.id = r.connection_id
                WHERE c.provider IN ({marks}) AND c.status != 'disconnected'
                GROUP BY 1, 2, 3, 4),
             ours AS (
                SELECT substr(l.date, 1, 7) AS month, l.scope, l.scope3_category,
                       SUM(l.co2e_mg) AS mg
                FROM ledger l
                WHERE l.status = 'counted' AND l.covered_by IS NULL AND l.scope IS NOT NULL
                GROUP BY 1, 2, 3)
             SELECT r.connection_id, r.month, r.scope, r.scope3_category, r.mg, o.mg
             FROM reported r JOIN ours o
               ON o.month = r.month AND o.scope = r.scope
              AND o.scope3_category IS r.scope3_category
             WHERE r.mg > 0 AND o.mg > 0
             ORDER BY r.month, r.scope, r.scope3_category, r.connection_id"
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(platforms), |r| {
            Ok(ReportedOverlap {
                connection_id: r.get(0)?,
                month: r.get(1)?,
                scope: r.get(2)?,
                scope3_category: r.get(3)?,
                reported_kg_co2e: decimal::from_millionths(r.get(4)?),
                spend_based_kg_co2e: decimal::from_millionths(r.get(5)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
