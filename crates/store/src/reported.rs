//! Emissions a cloud provider reports for itself, kept beside the spend-based ledger: the
//! rows as published, the trail of every restatement, which months are published or pending,
//! the provider's bill by month, and the cover that keeps a cloud bill in the accounting data
//! from being counted twice.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{decimal, now_text, Result, Store, StoreError};

/// One reported number to store (see `carbonsync_providers::ReportedEmission`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedInput {
    /// What identifies the provider's row across syncs.
    pub row_key: String,
    /// `YYYY-MM`.
    pub month: String,
    pub account: String,
    pub account_name: Option<String>,
    pub service: String,
    pub region: Option<String>,
    pub grouping: Option<String>,
    /// 1, 2 or 3.
    pub scope: u8,
    pub scope3_category: Option<u8>,
    /// `location`, `market`, or `None` when the number is the same under both.
    pub basis: Option<String>,
    /// kg CO2e, exact.
    pub kg_co2e: Decimal,
    pub reported_value: Decimal,
    pub reported_unit: String,
    pub method: String,
    pub model_version: Option<String>,
    /// Last day (`YYYY-MM-DD`) of the period an inventory record covers, when it is longer
    /// than the row's month; `None` for the cloud providers' monthly rows.
    pub period_end: Option<String>,
    /// Where a person opens the record the row comes from (a Salesforce footprint).
    pub source_url: Option<String>,
}

/// What writing a page of reported rows did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportedWrite {
    pub created: i64,
    /// Rows whose number or model version the provider changed: each is in the trail.
    pub restated: i64,
    pub unchanged: i64,
    /// kg CO2e the write added to what was stored (new rows plus restatements' differences),
    /// counting location-based and basis-free rows, in milligrams.
    pub co2e_mg_delta: i64,
    /// Rows no longer reported (an inventory record that dropped a value): each is in the
    /// trail.
    pub withdrawn: i64,
}

/// A month a restatement changed, summed over its rows (location-based and basis-free rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct MonthRestatement {
    /// `YYYY-MM`.
    pub month: String,
    pub rows: i64,
    /// kg CO2e before and after, exact. Decimal text on the wire.
    #[ts(type = "string")]
    pub before_kg_co2e: Decimal,
    #[ts(type = "string")]
    pub after_kg_co2e: Decimal,
}

/// Where a month of a cloud connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum MonthState {
    /// The provider published it (possibly with no rows: nothing was used).
    Published,
    /// The provider has not published it yet: it counts as nothing, not as zero, and covers no
    /// accounting spend.
    Pending,
}

impl MonthState {
    pub fn as_str(self) -> &'static str {
        match self {
            MonthState::Published => "published",
            MonthState::Pending => "pending",
        }
    }
}

/// One month of a cloud connection, as the window and `carbonsync cloud` list them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportedMonth {
    pub connection_id: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub state: MonthState,
    pub rows: i64,
    /// Sums of the month's rows, exact to the milligram. Decimal text on the wire.
    #[ts(type = "string")]
    pub location_kg_co2e: Decimal,
    #[ts(type = "string")]
    pub market_kg_co2e: Decimal,
    /// The provider's bill for the month (all services), when read; with its currency.
    #[ts(type = "string | null")]
    pub spend: Option<Decimal>,
    pub spend_currency: Option<String>,
    /// Accounting entries this month covers (excluded so they are not counted twice), and
    /// the spend-based kg CO2e they would have counted.
    pub covered_entries: i64,
    #[ts(type = "string")]
    pub covered_kg_co2e: Decimal,
}

/// A stored reported row, with everything needed to trace it to the provider's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportedRow {
    pub connection_id: i64,
    pub source: String,
    pub platform: String,
    pub row_key: String,
    pub month: String,
    pub account: String,
    pub account_name: Option<String>,
    pub service: String,
    pub region: Option<String>,
    pub grouping: Option<String>,
    pub scope: u8,
    pub scope3_category: Option<u8>,
    pub basis: Option<String>,
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
    #[ts(type = "string")]
    pub reported_value: Decimal,
    pub reported_unit: String,
    pub method: String,
    pub model_version: Option<String>,
    /// See [`ReportedInput::period_end`].
    pub period_end: Option<String>,
    /// See [`ReportedInput::source_url`].
    pub source_url: Option<String>,
    pub first_synced_at: String,
    pub updated_at: String,
    /// How many times the provider restated it.
    pub restatements: i64,
}

/// Which reported rows to read or sum; every field narrows the selection.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportedFilter {
    pub connection_id: Option<i64>,
    /// Inclusive `YYYY-MM-DD` (compared by month).
    pub from: Option<String>,
    /// Inclusive `YYYY-MM-DD` (compared by month).
    pub to: Option<String>,
    pub scope: Option<u8>,
    pub service: Option<String>,
    pub region: Option<String>,
}

impl ReportedFilter {
    pub(crate) fn to_sql(&self) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value;
        let mut clauses = vec!["1 = 1".to_string()];
        let mut values: Vec<Value> = Vec::new();
        let mut push = |clause: &str, v: Value| {
            values.push(v);
            clauses.push(clause.replace('?', &format!("?{}", values.len())));
        };
        if let Some(id) = self.connection_id {
            push("e.connection_id = ?", Value::Integer(id));
        }
        if let Some(from) = &self.from {
            push("e.month >= substr(?, 1, 7)", Value::Text(from.clone()));
        }
        if let Some(to) = &self.to {
            push("e.month <= substr(?, 1, 7)", Value::Text(to.clone()));
        }
        if let Some(scope) = self.scope {
            push("e.scope = ?", Value::Integer(scope.into()));
        }
        if let Some(service) = &self.service {
            push("e.service = ?", Value::Text(service.clone()));
        }
        if let Some(region) = &self.region {
            push("e.region = ?", Value::Text(region.clone()));
        }
        if self.connection_id.is_none() {
            // A disconnected cloud connection's rows stay as history, but no longer count:
            // the accounting spend they covered counts again (see `refresh_cloud_cover`).
            clauses.push(
                "e.connection_id IN (SELECT id FROM connections WHERE status != 'disconnected')"
                    .to_string(),
            );
        }
        (clauses.join(" AND "), values)
    }
}

/// How reported rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ReportedGroupBy {
    Month,
    Service,
    Region,
    Scope,
    Account,
    Source,
}

impl ReportedGroupBy {
    fn key_sql(self) -> &'static str {
        match self {
            ReportedGroupBy::Month => "e.month",
            ReportedGroupBy::Service => "e.service",
            ReportedGroupBy::Region => "COALESCE(e.region, 'No region')",
            ReportedGroupBy::Scope => "'Scope ' || e.scope",
            ReportedGroupBy::Account => "COALESCE(e.account_name, e.account)",
            ReportedGroupBy::Source => "c.provider || ': ' || c.tenant_name",
        }
    }
}

/// Reported kg CO2e of a group, under both bases: a total always says which one it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportedTotals {
    /// Location-based: basis-free rows plus location-based ones. Exact to the milligram.
    #[ts(type = "string")]
    pub location_kg_co2e: Decimal,
    /// Market-based: basis-free rows plus market-based ones.
    #[ts(type = "string")]
    pub market_kg_co2e: Decimal,
    /// Scope 2 that a provider publishes market-based only (Microsoft reports one Scope 2
    /// number, market-based): part of `market_kg_co2e`, and missing from `location_kg_co2e`,
    /// which is short by this much. Zero when every provider gives both bases.
    #[ts(type = "string")]
    pub scope2_market_only_kg_co2e: Decimal,
    pub rows: i64,
}

/// One group of reported rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportedGroup {
    pub key: String,
    /// For grouping by month: the scope of this slice, so a chart can stack.
    pub scope: Option<u8>,
    #[serde(flatten)]
    pub totals: ReportedTotals,
}

/// Location-based, market-based, Scope 2 published market-based only (by a connection with no
/// location-based Scope 2 row; the list of those is computed once per query), rows.
pub(crate) const REPORTED_TOTALS_SQL: &str =
    "COALESCE(SUM(CASE WHEN e.basis IS NULL OR e.basis = 'location' THEN e.co2e_mg END), 0),
     COALESCE(SUM(CASE WHEN e.basis IS NULL OR e.basis = 'market' THEN e.co2e_mg END), 0),
     COALESCE(SUM(CASE WHEN e.scope = 2 AND e.basis = 'market' AND e.connection_id NOT IN
       (SELECT connection_id FROM reported_emissions WHERE scope = 2 AND basis = 'location')
       THEN e.co2e_mg END), 0),
     COUNT(*)";

pub(crate) fn reported_totals_at(
    r: &rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<ReportedTotals> {
    Ok(ReportedTotals {
        location_kg_co2e: decimal::from_millionths(r.get(at)?),
        market_kg_co2e: decimal::from_millionths(r.get(at + 1)?),
        scope2_market_only_kg_co2e: decimal::from_millionths(r.get(at + 2)?),
        rows: r.get(at + 3)?,
    })
}

/// kg in whole milligrams for the summing column: a provider may publish finer than a
/// milligram (Azure), which the exact text keeps; sums are to the milligram.
fn mg(kg: &Decimal) -> Result<i64> {
    let rounded = kg.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointNearestEven);
    decimal::millionths(&rounded)
}

/// A supplier-matching rule: accounting lines whose contact contains `pattern` as whole
/// words (case-insensitive) are covered by `platform`'s reported months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SupplierRule {
    pub id: i64,
    pub platform: String,
    pub pattern: String,
    /// Phrases, comma-separated, that keep a line out although its supplier matches (each
    /// matched as whole words in the line's description): the supplier's products the cloud
    /// report does not cover (`Workspace, Gmail`).
    pub unless: Option<String>,
    /// `default` (shipped) or `user`.
    pub origin: String,
    pub enabled: bool,
    pub changed_at: String,
}

/// Whether `pattern` appears in `contact` as whole words, ignoring case: `AWS` matches
/// "AWS EMEA SARL" and "Amazon (AWS)", not "Laws & Co".
pub fn supplier_matches(contact: &str, pattern: &str) -> bool {
    let contact = contact.to_lowercase();
    let pattern = pattern.trim().to_lowercase();
    if pattern.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric();
    let mut start = 0;
    while let Some(found) = contact[start..].find(&pattern) {
        let at = start + found;
        let end = at + pattern.len();
        let before_ok = contact[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_word(c));
        let after_ok = contact[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        start = at + contact[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Writes reported rows inside `tx` (see [`Store::write_reported`]).
pub(crate) fn write_rows(
    tx: &rusqlite::Transaction<'_>,
    connection_id: i64,
    run_id: i64,
    rows: &[ReportedInput],
    now: &str,
) -> Result<ReportedWrite> {
    let mut out = ReportedWrite::default();
    {
        let mut find = tx.prepare_cached(
            "SELECT id, kg_co2e, model_version, co2e_mg FROM reported_emissions
             WHERE connection_id = ?1 AND row_key = ?2",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO reported_emissions (connection_id, row_key, month, account,
             account_name, service, region, grouping, scope, scope3_category, basis, kg_co2e,
             co2e_mg, reported_value, reported_unit, method, model_version, first_synced_at,
             updated_at, seen_run, period_end, source_url)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
             ?18, ?18, ?19, ?20, ?21)",
        )?;
        let mut restate = tx.prepare_cached(
            "UPDATE reported_emissions SET kg_co2e = ?2, co2e_mg = ?3, reported_value = ?4,
             model_version = ?5, account_name = ?6, updated_at = ?7, seen_run = ?8,
             period_end = ?9, source_url = ?10 WHERE id = ?1",
        )?;
        // Where the record opens and the period it covers may change without its numbers.
        let mut seen = tx.prepare_cached(
            "UPDATE reported_emissions SET seen_run = ?2, period_end = ?3, source_url = ?4
             WHERE id = ?1",
        )?;
        let mut trail = tx.prepare_cached(
            "INSERT INTO reported_restatements (connection_id, run_id, row_key, month,
             previous_kg_co2e, new_kg_co2e, previous_model_version, new_model_version, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for row in rows {
            let counts_location = row.basis.as_deref() != Some("market");
            let new_mg = mg(&row.kg_co2e)?;
            let existing: Option<(i64, String, Option<String>, i64)> = find
                .query_row(params![connection_id, row.row_key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            match existing {
                None => {
                    insert.execute(params![
                        connection_id,
                        row.row_key,
                        row.month,
                        row.account,
                        row.account_name,
                        row.service,
                        row.region,
                        row.grouping,
                        row.scope,
                        row.scope3_category,
                        row.basis,
                        decimal::text(&row.kg_co2e),
                        new_mg,
                        decimal::text(&row.reported_value),
                        row.reported_unit,
                        row.method,
                        row.model_version,
                        now,
                        run_id,
                        row.period_end,
                        row.source_url
                    ])?;
                    out.created += 1;
                    if counts_location {
                        out.co2e_mg_delta += new_mg;
                    }
                }
                Some((id, old_kg, old_version, old_mg)) => {
                    let old: Decimal = old_kg.parse().map_err(|_| {
                        StoreError::Invalid(format!("stored reported value {old_kg:?}"))
                    })?;
                    if old != row.kg_co2e || old_version != row.model_version {
                        restate.execute(params![
                            id,
                            decimal::text(&row.kg_co2e),
                            new_mg,
                            decimal::text(&row.reported_value),
                            row.model_version,
                            row.account_name,
                            now,
                            run_id,
                            row.period_end,
                            row.source_url
                        ])?;
                        trail.execute(params![
                            connection_id,
                            run_id,
                            row.row_key,
                            row.month,
                            old_kg,
                            decimal::text(&row.kg_co2e),
                            old_version,
                            row.model_version,
                            now
                        ])?;
                        out.restated += 1;
                        if counts_location {
                            out.co2e_mg_delta += new_mg - old_mg;
                        }
                    } else {
                        seen.execute(params![id, run_id, row.period_end, row.source_url])?;
                        out.unchanged += 1;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// "November 2024" from `2024-11`.
fn month_words(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| month.to_owned())
}

impl Store {
    /// Writes reported rows of run `run_id`, in one transaction: new rows are added, a row whose
    /// number or model version changed is updated and its change appended to the trail, and
    /// every row is marked as seen by the run.
    ///
    /// Errors: a value beyond what SQLite's integers hold.
    pub fn write_reported(
        &mut self,
        connection_id: i64,
        run_id: i64,
        rows: &[ReportedInput],
    ) -> Result<ReportedWrite> {
        let now = now_text();
        let tx = self.db_mut().transaction()?;
        let out = write_rows(&tx, connection_id, run_id, rows, &now)?;
        tx.commit()?;
        Ok(out)
    }

    /// After run `run_id` read the months `from..=to` (`YYYY-MM`) whole: rows of those months
    /// the provider no longer lists are withdrawn (deleted, and the withdrawal kept in the
    /// trail). Returns how many.
    pub fn withdraw_unseen_reported(
        &mut self,
        connection_id: i64,
        run_id: i64,
        from: &str,
        to: &str,
    ) -> Result<i64> {
        let now = now_text();
        let tx = self.db_mut().transaction()?;
        tx.execute(
            "INSERT INTO reported_restatements (connection_id, run_id, row_key, month,
             previous_kg_co2e, new_kg_co2e, previous_model_version, new_model_version, at)
             SELECT connection_id, ?2, row_key, month, kg_co2e, NULL, model_version, NULL, ?5
             FROM reported_emissions WHERE connection_id = ?1 AND month BETWEEN ?3 AND ?4
             AND seen_run IS NOT ?2",
            params![connection_id, run_id, from, to, now],
        )?;
        let n = tx.execute(
            "DELETE FROM reported_emissions WHERE connection_id = ?1 AND month BETWEEN ?3 AND ?4
             AND seen_run IS NOT ?2",
            params![connection_id, run_id, from, to],
        )?;
        tx.commit()?;
        Ok(n as i64)
    }

    /// The months run `run_id` restated, with their sums before and after (location-based
    /// and basis-free rows), for the sync log.
    pub fn restatements_of_run(&self, run_id: i64) -> Result<Vec<MonthRestatement>> {
        let mut stmt = self.db().prepare(
            "SELECT month, previous_kg_co2e, new_kg_co2e, row_key FROM reported_restatements
             WHERE run_id = ?1 ORDER BY month",
        )?;
        let mut months: BTreeMap<String, MonthRestatement> = BTreeMap::new();
        let rows = stmt.query_map([run_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        for row in rows {
            let (month, before, after, key) = row?;
            if key.ends_with("|market") {
                continue;
            }
            let parse = |t: Option<String>| -> Decimal {
                t.and_then(|t| t.parse().ok()).unwrap_or(Decimal::ZERO)
            };
            let m = months
                .entry(month.clone())
                .or_insert_with(|| MonthRestatement {
                    month,
                    rows: 0,
                    before_kg_co2e: Decimal::ZERO,
                    after_kg_co2e: Decimal::ZERO,
                });
            m.rows += 1;
            m.before_kg_co2e += parse(before);
            m.after_kg_co2e += parse(after);
        }
        // Sums of whole months: what the month said before and says now.
        let mut out = Vec::new();
        for (month, mut m) in months {
            let (loc, _) = self.month_sums(run_id, &month)?;
            let delta = m.after_kg_co2e - m.before_kg_co2e;
            m.after_kg_co2e = loc;
            m.before_kg_co2e = loc - delta;
            out.push(m);
        }
        Ok(out)
    }

    /// Location- and market-based sums of a month of the connection that run `run_id` synced.
    fn month_sums(&self, run_id: i64, month: &str) -> Result<(Decimal, Decimal)> {
        let (loc, market): (i64, i64) = self.db().query_row(
            &format!(
                "SELECT {REPORTED_TOTALS_SQL_PAIR} FROM reported_emissions e
                 WHERE e.connection_id = (SELECT connection_id FROM sync_runs WHERE id = ?1)
                 AND e.month = ?2"
            ),
            params![run_id, month],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((
            decimal::from_millionths(loc),
            decimal::from_millionths(market),
        ))
    }

    /// Records where months of a cloud connection stand (`YYYY-MM`, state, rows read).
    pub fn set_reported_months(
        &mut self,
        connection_id: i64,
        months: &[(String, MonthState)],
    ) -> Result<()> {
        let now = now_text();
        let tx = self.db_mut().transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO reported_months (connection_id, month, state, rows, checked_at)
                 VALUES (?1, ?2, ?3, (SELECT COUNT(*) FROM reported_emissions
                   WHERE connection_id = ?1 AND month = ?2), ?4)
                 ON CONFLICT (connection_id, month) DO UPDATE SET state = excluded.state,
                 rows = excluded.rows, checked_at = excluded.checked_at",
            )?;
            for (month, state) in months {
                put.execute(params![connection_id, month, state.as_str(), now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Published months whose bill has not been read yet (`YYYY-MM`, oldest first).
    pub fn months_without_spend(&self, connection_id: i64) -> Result<Vec<String>> {
        let mut stmt = self.db().prepare(
            "SELECT month FROM reported_months WHERE connection_id = ?1 AND state = 'published'
             AND spend_read = 0 ORDER BY month",
        )?;
        let rows = stmt.query_map([connection_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Keeps the provider's bill for `month` by service (`service`, exact amount, currency)
    /// and marks the month's bill as read.
    pub fn write_reported_spend(
        &mut self,
        connection_id: i64,
        month: &str,
        lines: &[(String, Decimal, String)],
    ) -> Result<()> {
        let tx = self.db_mut().transaction()?;
        tx.execute(
            "DELETE FROM reported_spend WHERE connection_id = ?1 AND month = ?2",
            params![connection_id, month],
        )?;
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO reported_spend (connection_id, month, service, amount, currency)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (service, amount, currency) in lines {
                put.execute(params![
                    connection_id,
                    month,
                    service,
                    decimal::text(amount),
                    currency
                ])?;
            }
        }
        tx.execute(
            "UPDATE reported_months SET spend_read = 1 WHERE connection_id = ?1 AND month = ?2",
            params![connection_id, month],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The months of cloud connections (all, or `connection_id`'s), newest first, with their
    /// sums, bill and what they cover.
    pub fn reported_months(&self, connection_id: Option<i64>) -> Result<Vec<ReportedMonth>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT m.connection_id, m.month, m.state, m.rows,
             (SELECT {LOCATION_SQL} FROM reported_emissions e
               WHERE e.connection_id = m.connection_id AND e.month = m.month),
             (SELECT {MARKET_SQL} FROM reported_emissions e
               WHERE e.connection_id = m.connection_id AND e.month = m.month),
             (SELECT COUNT(*) FROM ledger l WHERE l.covered_by = m.connection_id
               AND substr(l.date, 1, 7) = m.month),
             (SELECT COALESCE(SUM(l.co2e_mg), 0) FROM ledger l WHERE l.covered_by = m.connection_id
               AND substr(l.date, 1, 7) = m.month AND l.status = 'counted')
             FROM reported_months m WHERE (?1 IS NULL OR m.connection_id = ?1)
             ORDER BY m.month DESC, m.connection_id"
        ))?;
        let rows = stmt.query_map([connection_id], |r| {
            let state: String = r.get(2)?;
            Ok(ReportedMonth {
                connection_id: r.get(0)?,
                month: r.get(1)?,
                state: if state == "pending" {
                    MonthState::Pending
                } else {
                    MonthState::Published
                },
                rows: r.get(3)?,
                location_kg_co2e: decimal::from_millionths(r.get(4)?),
                market_kg_co2e: decimal::from_millionths(r.get(5)?),
                spend: None,
                spend_currency: None,
                covered_entries: r.get(6)?,
                covered_kg_co2e: decimal::from_millionths(r.get(7)?),
            })
        })?;
        let mut months: Vec<ReportedMonth> = rows.collect::<rusqlite::Result<_>>()?;
        // Bills are few (one per month and service): summed exactly here, not in SQL.
        let mut spend: HashMap<(i64, String), (Decimal, String)> = HashMap::new();
        let mut bills = self
            .db()
            .prepare("SELECT connection_id, month, amount, currency FROM reported_spend")?;
        let lines = bills.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        for line in lines {
            let (id, month, amount, currency) = line?;
            let amount: Decimal = amount.parse().unwrap_or(Decimal::ZERO);
            let slot = spend
                .entry((id, month))
                .or_insert((Decimal::ZERO, currency));
            slot.0 += amount;
        }
        for m in &mut months {
            if let Some((amount, currency)) = spend.get(&(m.connection_id, m.month.clone())) {
                m.spend = Some(*amount);
                m.spend_currency = Some(currency.clone());
            }
        }
        Ok(months)
    }

    /// Reported totals over a selection, under both bases.
    pub fn reported_totals(&self, filter: &ReportedFilter) -> Result<ReportedTotals> {
        let (cond, values) = filter.to_sql();
        Ok(self.db().query_row(
            &format!(
                "SELECT {REPORTED_TOTALS_SQL} FROM reported_emissions e
                 JOIN connections c ON c.id = e.connection_id WHERE {cond}"
            ),
            rusqlite::params_from_iter(values),
            |r| reported_totals_at(r, 0),
        )?)
    }

    /// Reported totals grouped; by month, each month is split further by scope.
    pub fn reported_by(
        &self,
        by: ReportedGroupBy,
        filter: &ReportedFilter,
    ) -> Result<Vec<ReportedGroup>> {
        let (cond, values) = filter.to_sql();
        let (scope_col, group, order) = match by {
            ReportedGroupBy::Month => ("e.scope", "1, 2", "1, 2"),
            _ => ("NULL", "1", "3 DESC, 1"),
        };
        let sql = format!(
            "SELECT {key}, {scope_col}, {REPORTED_TOTALS_SQL} FROM reported_emissions e
             JOIN connections c ON c.id = e.connection_id WHERE {cond}
             GROUP BY {group} ORDER BY {order}",
            key = by.key_sql()
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
            Ok(ReportedGroup {
                key: r.get(0)?,
                scope: r.get(1)?,
                totals: reported_totals_at(r, 2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Reported rows matching `filter`, newest month first, largest first within a month.
    pub fn reported_rows(
        &self,
        filter: &ReportedFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ReportedRow>> {
        use rusqlite::types::Value;
        let (cond, mut values) = filter.to_sql();
        values.push(Value::Integer(limit));
        values.push(Value::Integer(offset));
        let n = values.len();
        let sql = format!(
            "SELECT e.connection_id, c.tenant_name, c.provider, e.row_key, e.month, e.account,
             e.account_name, e.service, e.region, e.grouping, e.scope, e.scope3_category, e.basis,
             e.kg_co2e, e.reported_value, e.reported_unit, e.method, e.model_version,
             e.first_synced_at, e.updated_at, e.period_end, e.source_url,
             (SELECT COUNT(*) FROM reported_restatements t WHERE t.connection_id = e.connection_id
               AND t.row_key = e.row_key)
             FROM reported_emissions e JOIN connections c ON c.id = e.connection_id
             WHERE {cond} ORDER BY e.month DESC, e.co2e_mg DESC, e.id LIMIT ?{} OFFSET ?{}",
            n - 1,
            n
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
            Ok(ReportedRow {
                connection_id: r.get(0)?,
                source: r.get(1)?,
                platform: r.get(2)?,
                row_key: r.get(3)?,
                month: r.get(4)?,
                account: r.get(5)?,
                account_name: r.get(6)?,
                service: r.get(7)?,
                region: r.get(8)?,
                grouping: r.get(9)?,
                scope: r.get(10)?,
                scope3_category: r.get(11)?,
                basis: r.get(12)?,
                kg_co2e: decimal::read(r, 13)?,
                reported_value: decimal::read(r, 14)?,
                reported_unit: r.get(15)?,
                method: r.get(16)?,
                model_version: r.get(17)?,
                first_synced_at: r.get(18)?,
                updated_at: r.get(19)?,
                period_end: r.get(20)?,
                source_url: r.get(21)?,
                restatements: r.get(22)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds the shipped supplier patterns of `platform` that are not there yet (a pattern the
    /// user switched off stays off), each with the platform's `unless` words (`""` for none).
    pub fn seed_supplier_rules(
        &self,
        platform: &str,
        patterns: &[&str],
        unless: &str,
    ) -> Result<()> {
        let now = now_text();
        let unless = Some(unless.trim()).filter(|u| !u.is_empty());
        for pattern in patterns {
            self.db().execute(
                "INSERT OR IGNORE INTO cloud_supplier_rules (platform, pattern, unless, origin, enabled, changed_at)
                 VALUES (?1, ?2, ?3, 'default', 1, ?4)",
                params![platform, pattern, unless, now],
            )?;
        }
        Ok(())
    }

    /// Every supplier-matching rule, by platform and pattern.
    pub fn supplier_rules(&self) -> Result<Vec<SupplierRule>> {
        let mut stmt = self.db().prepare(
            "SELECT id, platform, pattern, unless, origin, enabled, changed_at FROM cloud_supplier_rules
             ORDER BY platform, pattern",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SupplierRule {
                id: r.get(0)?,
                platform: r.get(1)?,
                pattern: r.get(2)?,
                unless: r.get(3)?,
                origin: r.get(4)?,
                enabled: r.get(5)?,
                changed_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds a user's rule (or switches an existing one back on, with these `unless` words).
    ///
    /// Errors: an empty pattern.
    pub fn add_supplier_rule(
        &self,
        platform: &str,
        pattern: &str,
        unless: Option<&str>,
    ) -> Result<SupplierRule> {
        let unless = unless.map(str::trim).filter(|u| !u.is_empty());
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Err(StoreError::Invalid(
                "a supplier pattern cannot be empty".to_owned(),
            ));
        }
        self.db().execute(
            "INSERT INTO cloud_supplier_rules (platform, pattern, unless, origin, enabled, changed_at)
             VALUES (?1, ?2, ?3, 'user', 1, ?4)
             ON CONFLICT (platform, pattern) DO UPDATE SET enabled = 1, unless = excluded.unless,
               changed_at = excluded.changed_at",
            params![platform, pattern, unless, now_text()],
        )?;
        Ok(self
            .supplier_rules()?
            .into_iter()
            .find(|r| r.platform == platform && r.pattern == pattern)
            .expect("the rule was just written"))
    }

    /// Switches a rule on or off (a shipped rule is switched off rather than removed, so it
    /// does not come back).
    pub fn set_supplier_rule_enabled(&self, id: i64, enabled: bool) -> Result<()> {
        let n = self.db().execute(
            "UPDATE cloud_supplier_rules SET enabled = ?2, changed_at = ?3 WHERE id = ?1",
            params![id, enabled, now_text()],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "there is no supplier rule {id}"
            )));
        }
        Ok(())
    }

    /// Decides again which spend-based entries cloud connections cover: an entry whose contact
    /// matches an enabled rule of platform P, dated in a month that a connection of P (not
    /// disconnected) has published, is excluded as "covered by emissions reported by
    /// <connection> for <month>"; every other entry counts as its own assessment says. Run
    /// after every sync and after a rule or connection changes. Returns how many entries are
    /// covered.
    pub fn refresh_cloud_cover(&mut self) -> Result<i64> {
        let rules: Vec<SupplierRule> = self
            .supplier_rules()?
            .into_iter()
            .filter(|r| r.enabled)
            .collect();
        let tx = self.db_mut().transaction()?;
        tx.execute(
            "UPDATE ledger SET covered_by = NULL, covered_reason = NULL WHERE covered_by IS NOT NULL",
            [],
        )?;
        // Published months of live cloud connections, by platform.
        let mut published: BTreeMap<String, Vec<(String, i64, String)>> = BTreeMap::new();
        {
            let mut stmt = tx.prepare(
                "SELECT c.provider, m.month, c.id, c.tenant_name FROM reported_months m
                 JOIN connections c ON c.id = m.connection_id
                 WHERE m.state = 'published' AND c.status != 'disconnected'
                 AND (c.setup IS NULL OR c.setup != 'new') ORDER BY c.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (platform, month, id, name) = row?;
                published
                    .entry(platform)
                    .or_default()
                    .push((month, id, name));
            }
        }
        let mut covered = 0;
        if !published.is_empty() && !rules.is_empty() {
            // Lines of suppliers some rule may match, by line: the `unless` words are judged
            // on each line's own description.
            let lines: Vec<(i64, String, Option<String>, String)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, contact, description, substr(date, 1, 7) FROM ledger
                     WHERE contact IS NOT NULL AND status IN ('counted', 'unmapped')",
                )?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut cover =
                tx.prepare("UPDATE ledger SET covered_by = ?1, covered_reason = ?2 WHERE id = ?3")?;
            for (line, contact, description, month) in &lines {
                let description = description.as_deref().unwrap_or("");
                let by = rules.iter().find_map(|rule| {
                    let months = published.get(&rule.platform)?;
                    // Comma-separated phrases; any one of them keeps the line out.
                    let kept_out = rule.unless.as_deref().is_some_and(|phrases| {
                        phrases
                            .split(',')
                            .any(|phrase| supplier_matches(description, phrase))
                    });
                    if kept_out || !supplier_matches(contact, &rule.pattern) {
                        return None;
                    }
                    months.iter().find(|(m, _, _)| m == month)
                });
                if let Some((_, id, name)) = by {
                    let reason = format!(
                        "covered by emissions reported by {name} for {}",
                        month_words(month)
                    );
                    covered += cover.execute(params![id, reason, line])? as i64;
                }
            }
        }
        tx.commit()?;
        Ok(covered)
    }
}

const REPORTED_TOTALS_SQL_PAIR: &str =
    "COALESCE(SUM(CASE WHEN e.basis IS NULL OR e.basis = 'location' THEN e.co2e_mg END), 0),
     COALESCE(SUM(CASE WHEN e.basis IS NULL OR e.basis = 'market' THEN e.co2e_mg END), 0)";

const LOCATION_SQL: &str =
    "COALESCE(SUM(CASE WHEN e.basis IS NULL OR e.basis = 'location' THEN e.co2e_mg END), 0)";

const MARKET_SQL: &str =
    "COALESCE(SUM(CASE WHEN e.basis IS NULL OR e.basis = 'market' THEN e.co2e_mg END), 0)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppliers_match_as_whole_words_whatever_the_case() {
        assert!(supplier_matches("AWS EMEA SARL", "aws"));
        assert!(supplier_matches(
            "Amazon Web Services, Inc.",
            "Amazon Web Services"
        ));
        assert!(supplier_matches("Amazon (AWS)", "AWS"));
        assert!(!supplier_matches("Laws & Co", "aws"));
        assert!(!supplier_matches(
            "Amazon Marketplace",
            "Amazon Web Services"
        ));
        assert!(!supplier_matches("Anything", "  "));
        assert!(supplier_matches("Microsoft Azure", "azure"));
        assert!(!supplier_matches("Azurewave Ltd", "azure"));
    }
}
