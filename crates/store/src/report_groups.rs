//! The inventory report's sums, as reported (closed periods from their frozen copies): one
//! pass over the selection grouped finely enough that every table of the report (by scope,
//! Scope 3 category, connection, category, month, method) is a sum of its groups, exactly
//! (integer millionths). Also the excluded amounts with their reasons, and the factor sets
//! and conversion sources that produced the numbers.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::reported::{reported_totals_at, REPORTED_TOTALS_SQL};
use crate::{decimal, LedgerFilter, ReportedFilter, ReportedTotals, Result, Store};

/// How an entry's number was produced, from the most specific data to the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A quantity a person gave (kWh, litres, km, …) with a published activity factor.
    Activity,
    /// A quantity estimated from spend with a stated price per unit, with a published
    /// activity factor.
    Estimated,
    /// Spend with a factor a person chose for the entry, or a person's rule chose.
    SpendReviewed,
    /// Spend with the factor the account mapping gave.
    SpendMapped,
    /// Published by the supplier itself for what it sold (a cloud provider's report of the
    /// customer's share of its emissions): never a ledger entry, only in the inventory.
    ReportedBySupplier,
    /// Calculated in the company's own inventory platform (Salesforce Net Zero Cloud) and
    /// imported as it stands: never a ledger entry, only in the inventory.
    ReportedByInventory,
}

impl Method {
    fn parse(s: &str) -> Self {
        match s {
            "activity" => Self::Activity,
            "estimated" => Self::Estimated,
            "spend_reviewed" => Self::SpendReviewed,
            _ => Self::SpendMapped,
        }
    }
}

/// One group of counted entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportGroup {
    /// `YYYY-MM`.
    pub month: String,
    pub connection_id: i64,
    pub scope: Option<u8>,
    pub scope3_category: Option<u8>,
    pub category: Option<String>,
    pub method: Method,
    pub entries: i64,
    /// kg CO2e, exactly.
    pub kg_co2e: Decimal,
    /// kg CO2e market-based (a person's supplier or contract factor where given, else the
    /// same as `kg_co2e`), exactly.
    pub market_kg_co2e: Decimal,
    /// 2022 USD, exactly.
    pub spend_usd_2022: Decimal,
}

/// What one connection reported for one month, scope and Scope 3 category, under both bases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportedSlice {
    pub connection_id: i64,
    /// The connection's platform (`aws`, `salesforce`, …).
    pub platform: String,
    /// `YYYY-MM`: the month the figure is for, or the first month of a longer footprint.
    pub month: String,
    /// Inclusive `YYYY-MM-DD` end of a footprint longer than its month (an annual Net Zero
    /// Cloud footprint), the latest among the slice's rows; `None` for a month's figure.
    pub period_end: Option<String>,
    /// The scope as the platform reports it.
    pub scope: u8,
    pub scope3_category: Option<u8>,
    pub totals: ReportedTotals,
}

/// Entries not counted for one reason, with their amounts by currency.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExcludedGroup {
    pub reason: String,
    pub entries: i64,
    /// Sum of the lines' amounts in each currency, exactly (never added across currencies).
    #[ts(type = "Record<string, string>")]
    pub amounts: BTreeMap<String, Decimal>,
}

/// A factor set, or a pair of conversion sources, and how many counted entries used it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SourceUse {
    pub name: String,
    pub version: String,
    pub entries: i64,
}

/// The exchange-rate and price-index sources a number of counted entries were converted with.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConversionUse {
    pub fx_source: String,
    pub deflator_source: String,
    pub entries: i64,
}

impl Store {
    /// The counted entries of `filter`, as reported, grouped by month, connection, scope,
    /// Scope 3 category, category and method.
    pub fn report_groups(&self, filter: &LedgerFilter) -> Result<Vec<ReportGroup>> {
        let source = self.reported_ledger()?;
        let (cond, params) = filter.to_sql();
        let sql = format!(
            "SELECT substr(l.date, 1, 7), l.connection_id, l.scope, l.scope3_category, l.category,
               CASE WHEN d.action = 'activity' AND d.unit_price IS NOT NULL THEN 'estimated'
                    WHEN d.action = 'activity' THEN 'activity'
                    WHEN l.decision_id IS NOT NULL OR l.review_rule_id IS NOT NULL
                      THEN 'spend_reviewed'
                    ELSE 'spend_mapped' END AS method,
               COUNT(*), COALESCE(SUM(l.co2e_mg), 0), COALESCE(SUM(l.usd_2022_micros), 0),
               COALESCE(SUM(COALESCE(l.market_co2e_mg, l.co2e_mg)), 0)
             FROM {source} l
             LEFT JOIN review_decisions d ON d.id = l.decision_id
             WHERE {cond} AND l.status = 'counted' AND l.covered_by IS NULL
             GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok(ReportGroup {
                month: r.get(0)?,
                connection_id: r.get(1)?,
                scope: r.get(2)?,
                scope3_category: r.get(3)?,
                category: r.get(4)?,
                method: Method::parse(&r.get::<_, String>(5)?),
                entries: r.get(6)?,
                kg_co2e: decimal::from_millionths(r.get(7)?),
                spend_usd_2022: decimal::from_millionths(r.get(8)?),
                market_kg_co2e: decimal::from_millionths(r.get(9)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What the connections still connected reported for the months of `filter`, by
    /// connection, month, scope and Scope 3 category: the inventory report's reported part.
    pub fn reported_slices(&self, filter: &ReportedFilter) -> Result<Vec<ReportedSlice>> {
        let (cond, values) = filter.to_sql();
        let sql = format!(
            "SELECT e.connection_id, c.provider, e.month, MAX(e.period_end), e.scope,
               e.scope3_category, {REPORTED_TOTALS_SQL}
             FROM reported_emissions e JOIN connections c ON c.id = e.connection_id
             WHERE {cond}
             GROUP BY 1, 2, 3, 5, 6 ORDER BY 3, 1, 5, 6"
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
            Ok(ReportedSlice {
                connection_id: r.get(0)?,
                platform: r.get(1)?,
                month: r.get(2)?,
                period_end: r.get(3)?,
                scope: r.get(4)?,
                scope3_category: r.get(5)?,
                totals: reported_totals_at(r, 6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The entries of `filter` not counted (excluded, or covered by a provider's own report),
    /// by reason, as reported; the most entries first.
    pub fn excluded_groups(&self, filter: &LedgerFilter) -> Result<Vec<ExcludedGroup>> {
        let source = self.reported_ledger()?;
        let (cond, params) = filter.to_sql();
        let sql = format!(
            "SELECT COALESCE(l.covered_reason, l.reason, 'No reason given'), l.currency,
               l.net_amount
             FROM {source} l
             WHERE {cond} AND (l.status = 'excluded' OR l.covered_by IS NOT NULL)"
        );
        let mut stmt = self.db().prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut by: BTreeMap<String, ExcludedGroup> = BTreeMap::new();
        while let Some(r) = rows.next()? {
            let reason: String = r.get(0)?;
            let currency: String = r.get(1)?;
            let amount = decimal::read(r, 2)?;
            let g = by.entry(reason.clone()).or_insert_with(|| ExcludedGroup {
                reason,
                entries: 0,
                amounts: BTreeMap::new(),
            });
            g.entries += 1;
            *g.amounts.entry(currency).or_default() += amount;
        }
        let mut out: Vec<ExcludedGroup> = by.into_values().collect();
        out.sort_by(|a, b| b.entries.cmp(&a.entries).then(a.reason.cmp(&b.reason)));
        Ok(out)
    }

    /// The factor sets (name and version) the counted entries of `filter` used, and the
    /// exchange-rate and price-index sources, as reported.
    pub fn report_sources(
        &self,
        filter: &LedgerFilter,
    ) -> Result<(Vec<SourceUse>, Vec<ConversionUse>)> {
        let source = self.reported_ledger()?;
        let (cond, params) = filter.to_sql();
        let factors = {
            let mut stmt = self.db().prepare(&format!(
                "SELECT f.factor_set, f.factor_version, COUNT(*) FROM {source} l
                 JOIN factor_refs f ON f.id = l.factor_ref
                 WHERE {cond} AND l.status = 'counted' AND l.covered_by IS NULL
                 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params.clone()), |r| {
                Ok(SourceUse {
                    name: r.get(0)?,
                    version: r.get(1)?,
                    entries: r.get(2)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let conversions = {
            let mut stmt = self.db().prepare(&format!(
                "SELECT v.fx_source, v.deflator_source, COUNT(*) FROM {source} l
                 JOIN conversion_refs v ON v.id = l.conversion_ref
                 WHERE {cond} AND l.status = 'counted' AND l.covered_by IS NULL
                 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
                Ok(ConversionUse {
                    fx_source: r.get(0)?,
                    deflator_source: r.get(1)?,
                    entries: r.get(2)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        Ok((factors, conversions))
    }
}
