use crate::{decimal, LedgerFilter, Result, Store};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Month,
    Category,
    Scope,
    Source,
}

impl GroupBy {
    fn key_sql(self) -> &'static str {
        match self {
            GroupBy::Month => "substr(l.date, 1, 7)",
            GroupBy::Category => "COALESCE(l.category, 'Uncategorised')",
            GroupBy::Scope => {
                "CASE WHEN l.scope IS NULL THEN 'Not counted' WHEN l.scope3_category IS NULL
                 THEN 'Scope ' || l.scope ELSE 'Scope ' || l.scope || ' cat. ' || l.scope3_category END"
            }
            GroupBy::Source => "c.provider || ': ' || c.tenant_name",
        }
    }
}

/// Totals over a selection of the ledger.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Totals {
    /// kg CO2e of the counted entries, exactly (six decimal places). Decimal text on the wire.
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
    /// Counted spend in 2022 USD, exactly (six decimal places). Decimal text on the wire.
    #[ts(type = "string")]
    pub spend_usd_2022: Decimal,
    pub counted: i64,
    pub excluded: i64,
    pub unmapped: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct EmissionsGroup {
    pub key: String,
    /// For grouping by month: the scope a slice belongs to, so a chart can stack.
    pub scope: Option<u8>,
    /// For grouping by source: the connection the group is (two connections never share a
    /// group, whatever their names).
    pub connection_id: Option<i64>,
    #[serde(flatten)]
    pub totals: Totals,
}

// Integer millionths: SQLite sums them exactly (and fails loudly rather than wrap on overflow).
// An entry covered by a cloud connection's reported month counts as excluded (see
// `EFFECTIVE_STATUS`).
const TOTALS_SQL: &str = "COALESCE(SUM(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN l.co2e_mg END), 0),
    COALESCE(SUM(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN l.usd_2022_micros END), 0),
    COUNT(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN 1 END),
    COUNT(CASE WHEN l.status = 'excluded' OR l.covered_by IS NOT NULL THEN 1 END),
    COUNT(CASE WHEN l.status = 'unmapped' AND l.covered_by IS NULL THEN 1 END)";

/// [`TOTALS_SQL`] over month totals (migration 015), whose `status` is already the effective
/// one and whose rows each stand for `entries` entries.
const SUMMED_TOTALS_SQL: &str =
    "COALESCE(SUM(CASE WHEN l.status = 'counted' THEN l.co2e_mg END), 0),
    COALESCE(SUM(CASE WHEN l.status = 'counted' THEN l.usd_2022_micros END), 0),
    COALESCE(SUM(CASE WHEN l.status = 'counted' THEN l.entries END), 0),
    COALESCE(SUM(CASE WHEN l.status = 'excluded' THEN l.entries END), 0),
    COALESCE(SUM(CASE WHEN l.status = 'unmapped' THEN l.entries END), 0)";

fn totals_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Totals> {
    Ok(Totals {
        kg_co2e: decimal::from_millionths(r.get(at)?),
        spend_usd_2022: decimal::from_millionths(r.get(at + 1)?),
        counted: r.get(at + 2)?,
        excluded: r.get(at + 3)?,
        unmapped: r.get(at + 4)?,
    })
}

impl Store {
    /// Totals of the selection as reported: the dates of a standing period close read from
    /// its frozen copy (see [`Store::close_period`]), every other date from the live ledger.
    pub fn totals(&self, filter: &LedgerFilter) -> Result<Totals> {
        if let Some(source) = self.month_totals_source(filter)? {
            let (cond, params) = filter.to_sql();
            let sql = format!(
                "SELECT {SUMMED_TOTALS_SQL} FROM {source} l
                 JOIN connections c ON c.id = l.connection_id WHERE {cond}"
            );
            return Ok(self
                .db()
                .query_row(&sql, rusqlite::params_from_iter(params), |r| {
                    totals_at(r, 0)
                })?);
        }
        let source = self.reported_ledger()?;
        self.totals_from(&source, filter)
    }

    /// Totals of the selection over `source`, a table expression with the ledger's columns.
    pub(crate) fn totals_from(&self, source: &str, filter: &LedgerFilter) -> Result<Totals> {
        let (cond, params) = filter.to_sql();
        let sql = format!(
            "SELECT {TOTALS_SQL} FROM {source} l JOIN connections c ON c.id = l.connection_id WHERE {cond}"
        );
        Ok(self
            .db()
            .query_row(&sql, rusqlite::params_from_iter(params), |r| {
                totals_at(r, 0)
            })?)
    }

    /// Totals grouped by month, category, scope or source, as reported (closed periods from
    /// their frozen copies). By month, each month is split further by scope so the window can
    /// stack its chart.
    pub fn emissions_by(&self, by: GroupBy, filter: &LedgerFilter) -> Result<Vec<EmissionsGroup>> {
        let (source, totals_sql) = match self.month_totals_source(filter)? {
            Some(source) => (source, SUMMED_TOTALS_SQL),
            None => (self.reported_ledger()?, TOTALS_SQL),
        };
        let (cond, params) = filter.to_sql();
        let (scope_col, connection_col, group) = match by {
            GroupBy::Month => ("l.scope", "NULL", "1, 2"),
            GroupBy::Source => ("NULL", "l.connection_id", "3"),
            GroupBy::Category | GroupBy::Scope => ("NULL", "NULL", "1"),
        };
        let sql = format!(
            "SELECT {key} AS k, {scope_col}, {connection_col}, {totals_sql}
             FROM {source} l JOIN connections c ON c.id = l.connection_id
             WHERE {cond} GROUP BY {group} ORDER BY {order}",
            key = by.key_sql(),
            order = if by == GroupBy::Month {
                "1, 2"
            } else {
                "4 DESC, 1"
            },
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok(EmissionsGroup {
                key: r.get(0)?,
                scope: r.get(1)?,
                connection_id: r.get(2)?,
                totals: totals_at(r, 3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// One month and Scope 3 category of the spend-based ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeThreeMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// GHG Protocol Scope 3 category (1–15).
    pub category: u8,
    /// kg CO2e of the counted entries, exactly.
    pub kg_co2e: Decimal,
}

impl Store {
    /// The spend-based ledger's counted Scope 3 as reported, by month and category, for the months
    /// `from..=to` (`YYYY-MM`), across every accounting connection. Entries covered by a
    /// provider's own report are left out, as in every total.
    pub fn scope3_by_month(&self, from: &str, to: &str) -> Result<Vec<ScopeThreeMonth>> {
        let source = self.reported_ledger()?;
        let mut stmt = self.db().prepare(&format!(
            "SELECT substr(l.date, 1, 7) AS month, l.scope3_category, SUM(l.co2e_mg)
             FROM {source} l
             WHERE l.status = 'counted' AND l.covered_by IS NULL AND l.scope = 3
               AND l.scope3_category IS NOT NULL
               AND substr(l.date, 1, 7) BETWEEN ?1 AND ?2
             GROUP BY 1, 2 ORDER BY 1, 2"
        ))?;
        let rows = stmt.query_map([from, to], |r| {
            Ok(ScopeThreeMonth {
                month: r.get(0)?,
                category: r.get(1)?,
                kg_co2e: decimal::from_millionths(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// The `limit` suppliers (the record's contact) with the most counted kg CO2e in the
    /// selection, largest first; entries without a contact are left out.
    pub fn top_suppliers(&self, filter: &LedgerFilter, limit: i64) -> Result<Vec<EmissionsGroup>> {
        let source = self.reported_ledger()?;
        let (cond, mut params) = filter.to_sql();
        params.push(rusqlite::types::Value::Integer(limit));
        let sql = format!(
            "SELECT l.contact, {TOTALS_SQL}
             FROM {source} l JOIN connections c ON c.id = l.connection_id
             WHERE {cond} AND l.contact IS NOT NULL AND trim(l.contact) != ''
             GROUP BY l.contact
             HAVING SUM(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN l.co2e_mg END) > 0
             ORDER BY 2 DESC, 1 LIMIT ?{n}",
            n = params.len()
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok(EmissionsGroup {
                key: r.get(0)?,
                scope: None,
                connection_id: None,
                totals: totals_at(r, 1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
