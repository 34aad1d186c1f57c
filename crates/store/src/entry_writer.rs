//! Writing ledger entries decided again ([`crate::Reassess`]) inside one transaction: each
//! entry's new outcome, a split line's parts, and the month totals the changed entries move.
//!
//! The month totals are kept here rather than by the ledger's `month_totals_*` triggers
//! (migration 015), which cost a sub-program and two statements for each changed entry: the
//! changes are added up by month row and written once at the end. The triggers are dropped
//! at the start of the transaction and created again, from the text the schema keeps, before
//! it commits; a transaction that fails rolls both back, so every other writer, and the
//! committed database, always has them.

use std::collections::HashMap;

use crate::reassess::{opt_text, text, StoredOutcome};
use crate::{decimal, LedgerRow, Result};

/// The triggers that keep `month_totals` as the ledger is written.
const TOTALS_TRIGGERS: &str = "'month_totals_add', 'month_totals_remove', 'month_totals_change'";

/// A line decided again, on its way from the reader to the writer.
pub(crate) struct Decided {
    pub entry_id: i64,
    /// The line was split when it was read: its other parts may have to go.
    pub was_split: bool,
    pub row: LedgerRow,
    /// The row's values as they are written, made on the reader's side.
    pub values: EntryValues,
}

/// What is written for an entry besides the row's own texts: kg CO2e and USD 2022 in
/// millionths, exact decimals as text.
pub(crate) struct EntryValues {
    co2e_mg: Option<i64>,
    market_co2e_mg: Option<i64>,
    usd_2022_micros: Option<i64>,
    factor_value: Option<String>,
    fx_rate: Option<String>,
    deflator: Option<String>,
    part_amount: Option<String>,
    share_percent: Option<String>,
}

impl EntryValues {
    /// Fails on a result that cannot be kept exactly (finer than a milligram).
    pub(crate) fn of(e: &LedgerRow) -> Result<Self> {
        Ok(Self {
            co2e_mg: decimal::opt_millionths(&e.kg_co2e)?,
            market_co2e_mg: decimal::opt_millionths(&e.market_kg_co2e)?,
            usd_2022_micros: decimal::opt_millionths(&e.amount_usd_2022)?,
            factor_value: decimal::opt_text(&e.factor_value),
            fx_rate: decimal::opt_text(&e.fx_rate),
            deflator: decimal::opt_text(&e.deflator),
            part_amount: decimal::opt_text(&e.part_amount),
            share_percent: decimal::opt_text(&e.share_percent),
        })
    }
}

/// A row of `month_totals`: the first day of the month, the connection, the effective status
/// (an entry a cloud provider's report covers counts as excluded), scope, Scope 3 category and
/// category, absent values as 0 and ''.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MonthKey {
    month: String,
    connection_id: i64,
    status: String,
    scope: i64,
    scope3_category: i64,
    category: String,
}

/// What entries add to a month row: how many, kg CO2e in milligrams, USD 2022 in millionths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sums {
    entries: i64,
    co2e_mg: i64,
    usd_2022_micros: i64,
}

impl MonthKey {
    /// The row an entry dated `date` (`YYYY-MM-DD`) counts in.
    fn of(
        date: &str,
        connection_id: i64,
        covered: bool,
        status: &str,
        scope: Option<i64>,
        scope3_category: Option<i64>,
        category: Option<&str>,
    ) -> Self {
        Self {
            month: format!("{}-01", date.get(..7).unwrap_or(date)),
            connection_id,
            status: if covered { "excluded" } else { status }.to_string(),
            scope: scope.unwrap_or(0),
            scope3_category: scope3_category.unwrap_or(0),
            category: category.unwrap_or("").to_string(),
        }
    }
}

impl Sums {
    /// What one entry adds.
    fn one(co2e_mg: Option<i64>, usd_2022_micros: Option<i64>) -> Self {
        Self {
            entries: 1,
            co2e_mg: co2e_mg.unwrap_or(0),
            usd_2022_micros: usd_2022_micros.unwrap_or(0),
        }
    }

    fn add(&mut self, other: Sums, sign: i64) {
        self.entries += sign * other.entries;
        self.co2e_mg += sign * other.co2e_mg;
        self.usd_2022_micros += sign * other.usd_2022_micros;
    }
}

/// The differences the entries written make to `month_totals`, by row.
#[derive(Default)]
pub(crate) struct MonthTotals(HashMap<MonthKey, Sums>);

impl MonthTotals {
    /// Counts a whole (unsplit) line's change from what the ledger holds (`stored`, dated
    /// `date`, of `connection_id`, `covered` by a provider's report or not) to `row`. Only
    /// what [`StoredOutcome::differs`] compares decides a month row and its sums, and a row
    /// that differs is always written, so a line that does not differ moves nothing.
    pub(crate) fn count_change(
        &mut self,
        date: &str,
        connection_id: i64,
        covered: bool,
        stored: &StoredOutcome<'_>,
        row: &LedgerRow,
        values: &EntryValues,
    ) {
        if !stored.differs(row) {
            return;
        }
        self.add(
            MonthKey::of(
                date,
                connection_id,
                covered,
                stored.status,
                stored.scope,
                stored.scope3_category,
                stored.category,
            ),
            Sums::one(stored.co2e_mg, stored.usd_2022_micros),
            -1,
        );
        self.add(
            MonthKey::of(
                date,
                connection_id,
                covered,
                row.status.as_str(),
                row.scope.map(i64::from),
                row.scope3_category.map(i64::from),
                row.category.as_deref(),
            ),
            Sums::one(values.co2e_mg, values.usd_2022_micros),
            1,
        );
    }

    fn add(&mut self, key: MonthKey, sums: Sums, sign: i64) {
        self.0.entry(key).or_default().add(sums, sign);
    }

    fn merge(&mut self, other: MonthTotals) {
        for (k, s) in other.0 {
            self.add(k, s, 1);
        }
    }
}

/// The prepared statements and the month totals' running differences of one transaction.
pub(crate) struct EntryWriter<'tx> {
    tx: &'tx rusqlite::Transaction<'tx>,
    put: rusqlite::CachedStatement<'tx>,
    put_part: rusqlite::CachedStatement<'tx>,
    drop_parts: rusqlite::CachedStatement<'tx>,
    /// Every part of the line an entry belongs to, with its month row and sums.
    line_parts: rusqlite::CachedStatement<'tx>,
    now: String,
    /// What split lines moved (the reader counts the others).
    totals: MonthTotals,
    /// The triggers' text, to create them again.
    triggers: Vec<String>,
}

impl<'tx> EntryWriter<'tx> {
    /// Takes the month totals over from the triggers and prepares the writes.
    pub(crate) fn new(tx: &'tx rusqlite::Transaction<'tx>, now: String) -> Result<Self> {
        // Dropped before anything is prepared: a change of schema makes prepared statements
        // compile again.
        let (names, triggers): (Vec<String>, Vec<String>) = {
            let mut stmt = tx.prepare(&format!(
                "SELECT name, sql FROM sqlite_schema
                 WHERE type = 'trigger' AND name IN ({TOTALS_TRIGGERS}) ORDER BY name"
            ))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<Vec<(String, String)>>>()?
                .into_iter()
                .unzip()
        };
        for name in &names {
            tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
        }
        Ok(Self {
            tx,
            put: tx.prepare_cached(PUT)?,
            put_part: tx.prepare_cached(PUT_PART)?,
            drop_parts: tx.prepare_cached(
                "DELETE FROM ledger WHERE (record_ref, line_no) =
                   (SELECT record_ref, line_no FROM ledger WHERE id = ?1) AND part_no > ?2",
            )?,
            line_parts: tx.prepare_cached(
                "SELECT date, connection_id, covered_by IS NOT NULL, status, category, scope,
                   scope3_category, co2e_mg, usd_2022_micros
                 FROM ledger WHERE (record_ref, line_no) =
                   (SELECT record_ref, line_no FROM ledger WHERE id = ?1)",
            )?,
            now,
            totals: MonthTotals::default(),
            triggers,
        })
    }

    /// Adds (`sign` 1) or takes away (-1) what every part of entry `id`'s line counts.
    fn count_line(&mut self, id: i64, sign: i64) -> Result<()> {
        let mut rows = self.line_parts.query([id])?;
        while let Some(r) = rows.next()? {
            let key = MonthKey::of(
                text(r, 0)?,
                r.get(1)?,
                r.get(2)?,
                text(r, 3)?,
                r.get(5)?,
                r.get(6)?,
                opt_text(r, 4)?,
            );
            let sums = Sums::one(r.get(7)?, r.get(8)?);
            self.totals.add(key, sums, sign);
        }
        Ok(())
    }

    /// Writes one decided line: its entry when anything about it changes, and a split line's
    /// parts. `refs` gives the ids of the factor and conversion rows the entry cites.
    pub(crate) fn write(&mut self, refs: &mut crate::records::RefCache, d: &Decided) -> Result<()> {
        let e = &d.row;
        // A split line's parts come and go: what the line counts is read before and after.
        let split = d.was_split || !e.more_parts.is_empty();
        if split {
            self.count_line(d.entry_id, -1)?;
        }
        let factor_ref = refs.factor(self.tx, e)?;
        let conversion_ref = refs.conversion(self.tx, e)?;
        let v = &d.values;
        self.put.execute(rusqlite::params![
            d.entry_id,
            e.status.as_str(),
            e.reason,
            e.rule_id,
            e.category,
            e.scope,
            e.scope3_category,
            factor_ref,
            e.factor_version,
            e.factor_code,
            v.factor_value,
            conversion_ref,
            v.fx_rate,
            v.deflator,
            v.usd_2022_micros,
            v.co2e_mg,
            self.now,
            e.decision_id,
            e.review_rule_id,
            v.market_co2e_mg,
            v.part_amount,
            v.share_percent
        ])?;
        for p in &e.more_parts {
            let factor_ref = refs.factor(self.tx, p)?;
            let conversion_ref = refs.conversion(self.tx, p)?;
            let v = EntryValues::of(p)?;
            self.put_part.execute(rusqlite::params![
                d.entry_id,
                p.part_no,
                decimal::text(&p.part_amount.unwrap_or_default()),
                v.share_percent,
                p.status.as_str(),
                p.reason,
                p.rule_id,
                p.category,
                p.scope,
                p.scope3_category,
                factor_ref,
                p.factor_version,
                p.factor_code,
                v.factor_value,
                conversion_ref,
                v.fx_rate,
                v.deflator,
                v.usd_2022_micros,
                v.co2e_mg,
                self.now,
                p.decision_id,
                p.review_rule_id,
                v.market_co2e_mg
            ])?;
        }
        // Only a line that was split can have parts to lose.
        if d.was_split {
            self.drop_parts
                .execute(rusqlite::params![d.entry_id, e.more_parts.len() as i64])?;
        }
        if split {
            self.count_line(d.entry_id, 1)?;
        }
        Ok(())
    }

    /// Writes the month totals' differences (`counted` by the reader, and what split lines
    /// moved) and gives the totals back to the triggers. The caller then commits.
    pub(crate) fn finish(mut self, counted: MonthTotals) -> Result<()> {
        self.totals.merge(counted);
        let mut add = self.tx.prepare_cached(
            "INSERT INTO month_totals VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT DO UPDATE SET entries = entries + excluded.entries,
               co2e_mg = co2e_mg + excluded.co2e_mg,
               usd_2022_micros = usd_2022_micros + excluded.usd_2022_micros",
        )?;
        for (k, s) in std::mem::take(&mut self.totals.0) {
            if s == Sums::default() {
                continue;
            }
            add.execute(rusqlite::params![
                k.month,
                k.connection_id,
                k.status,
                k.scope,
                k.scope3_category,
                k.category,
                s.entries,
                s.co2e_mg,
                s.usd_2022_micros
            ])?;
        }
        drop(add);
        for sql in &self.triggers {
            self.tx.execute_batch(sql)?;
        }
        Ok(())
    }
}

/// An entry's new outcome, written only when something about it changes: a rule or a
/// recomputation that leaves most entries as they were costs no write for them.
const PUT: &str = "UPDATE ledger SET status = ?2, reason = ?3, rule_id = ?4, category = ?5,
     scope = ?6, scope3_category = ?7, factor_ref = ?8, factor_version = ?9,
     factor_code = ?10, factor_value = ?11, conversion_ref = ?12, fx_rate = ?13,
     deflator = ?14, usd_2022_micros = ?15, co2e_mg = ?16, computed_at = ?17,
     decision_id = ?18, review_rule_id = ?19, market_co2e_mg = ?20,
     net_amount = COALESCE(?21, COALESCE(line_amount, net_amount)),
     line_amount = CASE WHEN ?21 IS NULL THEN NULL ELSE COALESCE(line_amount, net_amount) END,
     share_percent = ?22
     WHERE id = ?1
       AND (status IS NOT ?2 OR reason IS NOT ?3 OR rule_id IS NOT ?4
         OR category IS NOT ?5 OR scope IS NOT ?6 OR scope3_category IS NOT ?7
         OR factor_ref IS NOT ?8 OR factor_version IS NOT ?9 OR factor_code IS NOT ?10
         OR factor_value IS NOT ?11 OR conversion_ref IS NOT ?12 OR fx_rate IS NOT ?13
         OR deflator IS NOT ?14 OR usd_2022_micros IS NOT ?15 OR co2e_mg IS NOT ?16
         OR decision_id IS NOT ?18 OR review_rule_id IS NOT ?19
         OR market_co2e_mg IS NOT ?20 OR share_percent IS NOT ?22
         OR (?21 IS NULL AND line_amount IS NOT NULL)
         OR (?21 IS NOT NULL AND (line_amount IS NULL OR net_amount IS NOT ?21)))";

/// A split line's other parts, copied from its first (already written) and then given their
/// own share, amount and assessment.
const PUT_PART: &str = "INSERT INTO ledger (record_ref, connection_id, line_no, part_no, date,
       contact, description, account_code, account_name, currency, mapping_key, net_amount,
       line_amount, share_percent, status, reason, rule_id, category, scope,
       scope3_category, factor_ref, factor_version, factor_code, factor_value,
       conversion_ref, fx_rate, deflator, usd_2022_micros, co2e_mg, computed_at,
       decision_id, review_rule_id, market_co2e_mg)
     SELECT record_ref, connection_id, line_no, ?2, date, contact, description,
       account_code, account_name, currency, mapping_key, ?3, line_amount, ?4, ?5,
       ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
       ?22, ?23
     FROM ledger WHERE id = ?1
     ON CONFLICT (record_ref, line_no, part_no) DO UPDATE SET
       net_amount = excluded.net_amount, line_amount = excluded.line_amount,
       share_percent = excluded.share_percent, status = excluded.status,
       reason = excluded.reason, rule_id = excluded.rule_id,
       category = excluded.category, scope = excluded.scope,
       scope3_category = excluded.scope3_category, factor_ref = excluded.factor_ref,
       factor_version = excluded.factor_version, factor_code = excluded.factor_code,
       factor_value = excluded.factor_value, conversion_ref = excluded.conversion_ref,
       fx_rate = excluded.fx_rate, deflator = excluded.deflator,
       usd_2022_micros = excluded.usd_2022_micros, co2e_mg = excluded.co2e_mg,
       computed_at = excluded.computed_at, decision_id = excluded.decision_id,
       review_rule_id = excluded.review_rule_id,
       market_co2e_mg = excluded.market_co2e_mg";
