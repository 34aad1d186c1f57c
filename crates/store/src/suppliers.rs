//! Suppliers across connections: what each is spent with and emits, so a person maps a
//! supplier once (with a rule on the supplier) rather than entry by entry. A supplier is the
//! record's contact, compared without letters' case and surrounding spaces, as rules compare
//! it.

use std::collections::BTreeMap;

use rusqlite::types::Value;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{decimal, LedgerFilter, Result, Store};

/// One supplier of the selection (live ledger).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SupplierSummary {
    /// As the platforms write it (the first spelling, alphabetically, when they differ).
    pub name: String,
    /// The connections it appears in.
    pub connection_ids: Vec<i64>,
    pub entries: i64,
    pub counted: i64,
    pub unmapped: i64,
    pub excluded: i64,
    /// kg CO2e of the counted entries, exactly. Decimal text on the wire.
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
    /// Sum of the lines' amounts in each currency, exactly (never added across currencies).
    #[ts(type = "Record<string, string>")]
    pub spend: BTreeMap<String, Decimal>,
    /// The categories its counted entries are in, most kg CO2e first (at most five).
    pub categories: Vec<String>,
    /// The person's rule that matches this supplier alone (its id), when there is one.
    pub rule_id: Option<i64>,
}

impl Store {
    /// The suppliers of `filter`, the most kg CO2e first (then the most entries), a page at
    /// a time; and how many suppliers there are in all.
    pub fn suppliers(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<SupplierSummary>, i64)> {
        let (cond, mut params) = filter.to_sql();
        let key = "lower(trim(l.contact))";
        let total: i64 = self.db().query_row(
            &format!(
                "SELECT COUNT(DISTINCT {key}) FROM ledger l
                 WHERE {cond} AND l.contact IS NOT NULL AND trim(l.contact) != ''"
            ),
            rusqlite::params_from_iter(params.clone()),
            |r| r.get(0),
        )?;
        params.push(Value::Integer(limit));
        params.push(Value::Integer(offset));
        let n = params.len();
        let heads: Vec<(String, SupplierSummary)> = {
            let mut stmt = self.db().prepare(&format!(
                "SELECT {key}, MIN(l.contact), group_concat(DISTINCT l.connection_id), COUNT(*),
                   COUNT(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN 1 END),
                   COUNT(CASE WHEN l.status = 'unmapped' AND l.covered_by IS NULL THEN 1 END),
                   COUNT(CASE WHEN l.status = 'excluded' OR l.covered_by IS NOT NULL THEN 1 END),
                   COALESCE(SUM(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL
                     THEN l.co2e_mg END), 0)
                 FROM ledger l
                 WHERE {cond} AND l.contact IS NOT NULL AND trim(l.contact) != ''
                 GROUP BY 1 ORDER BY 8 DESC, 4 DESC, 1 LIMIT ?{} OFFSET ?{}",
                n - 1,
                n
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
                let ids: String = r.get(2)?;
                let mut connection_ids: Vec<i64> =
                    ids.split(',').filter_map(|s| s.parse().ok()).collect();
                connection_ids.sort_unstable();
                Ok((
                    r.get::<_, String>(0)?,
                    SupplierSummary {
                        name: r.get(1)?,
                        connection_ids,
                        entries: r.get(3)?,
                        counted: r.get(4)?,
                        unmapped: r.get(5)?,
                        excluded: r.get(6)?,
                        kg_co2e: decimal::from_millionths(r.get(7)?),
                        spend: BTreeMap::new(),
                        categories: Vec::new(),
                        rule_id: None,
                    },
                ))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let rules = self.review_rules()?;
        // The page's suppliers' spend and categories, each in one pass over the selection
        // (not one pass per supplier).
        let (cond, mut keyed) = filter.to_sql();
        let first = keyed.len() + 1;
        let marks = (0..heads.len())
            .map(|i| format!("?{}", first + i))
            .collect::<Vec<_>>()
            .join(", ");
        keyed.extend(heads.iter().map(|(k, _)| Value::Text(k.clone())));
        let mut spend: std::collections::HashMap<String, BTreeMap<String, Decimal>> =
            std::collections::HashMap::new();
        let mut categories: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        if !heads.is_empty() {
            let mut stmt = self.db().prepare(&format!(
                "SELECT {key}, l.currency, l.net_amount FROM ledger l
                 WHERE {cond} AND {key} IN ({marks})"
            ))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(keyed.clone()))?;
            while let Some(r) = rows.next()? {
                let k: String = r.get(0)?;
                let currency: String = r.get(1)?;
                *spend.entry(k).or_default().entry(currency).or_default() += decimal::read(r, 2)?;
            }
            let mut stmt = self.db().prepare(&format!(
                "SELECT {key}, l.category FROM ledger l
                 WHERE {cond} AND {key} IN ({marks}) AND l.status = 'counted'
                   AND l.covered_by IS NULL AND l.category IS NOT NULL
                 GROUP BY 1, 2 ORDER BY 1, SUM(l.co2e_mg) DESC, 2"
            ))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(keyed))?;
            while let Some(r) = rows.next()? {
                let list = categories.entry(r.get(0)?).or_default();
                if list.len() < 5 {
                    list.push(r.get(1)?);
                }
            }
        }
        let mut out = Vec::with_capacity(heads.len());
        for (k, mut s) in heads {
            s.spend = spend
                .remove(&k)
                .unwrap_or_default()
                .into_iter()
                .map(|(currency, amount)| (currency, amount.normalize()))
                .collect();
            s.categories = categories.remove(&k).unwrap_or_default();
            s.rule_id = rules
                .iter()
                .find(|rule| {
                    let m = &rule.matches;
                    m.supplier
                        .as_deref()
                        .is_some_and(|x| x.trim().to_lowercase() == k)
                        && m.account_code.is_none()
                        && m.description_contains.is_none()
                        && m.amount_min.is_none()
                        && m.amount_max.is_none()
                        && m.platform.is_none()
                })
                .map(|rule| rule.id);
            out.push(s);
        }
        Ok((out, total))
    }
}
