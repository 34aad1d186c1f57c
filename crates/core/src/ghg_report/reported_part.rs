//! The inventory's reported part: what cloud providers and the company's own inventory
//! platform publish, placed in the company's scopes, and the books' spend-based estimate that
//! such a figure replaces, so that nothing is counted twice.
//!
//! A cloud provider reports the customer's share of *its* emissions (its Scope 1, 2 and 3):
//! for the customer all of it is purchased services, GHG Protocol Scope 3 category 1
//! (Corporate Value Chain (Scope 3) Standard, chapter 5, category 1), whatever scope the
//! provider files it under. An inventory platform (Salesforce Net Zero Cloud) holds the
//! company's *own* footprints, so its scopes and categories are the company's; where it reports
//! a month, scope and category that the books also estimate from spend, its figure is the more
//! specific one (Scope 3 Standard, chapter 7) and the books' entries for that slice are left out.

use std::collections::{BTreeMap, BTreeSet};

use carbonsync_store::{Method, ReportGroup, ReportedSlice};
use rust_decimal::Decimal;
use serde::Serialize;

/// A connection's reported figures for the period in one of the company's scopes.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportedLine {
    pub connection_id: i64,
    /// The connection as people name it (`AWS: 1234-5678-9012`).
    pub source: String,
    /// `aws`, `azure`, `gcp`, `salesforce`.
    pub platform: String,
    /// The company's scope the figure counts in.
    pub scope: u8,
    pub scope3_category: Option<u8>,
    /// The scope the platform published the figure under (a cloud provider's own scope).
    pub published_scope: u8,
    pub method: Method,
    /// Months with a figure.
    pub months: i64,
    /// The latest end of a footprint longer than its month (`YYYY-MM-DD`), if any.
    pub period_end: Option<String>,
    /// kg CO2e, location-based (basis-free figures included): what the totals count.
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
    /// kg CO2e, market-based (basis-free figures included).
    #[ts(type = "string")]
    pub market_kg_co2e: Decimal,
}

/// The books' entries of one month, scope and Scope 3 category, left out of the inventory
/// because the company's inventory platform reports that slice itself.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReplacedLine {
    /// `YYYY-MM`.
    pub month: String,
    pub scope: u8,
    pub scope3_category: Option<u8>,
    pub entries: i64,
    /// kg CO2e the books' entries had, exactly.
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
    /// The connection whose figure is counted instead.
    pub replaced_by: String,
}

/// Whether `platform` is an inventory platform (its scopes are the company's own).
fn is_inventory_platform(platform: &str) -> bool {
    carbonsync_providers::INVENTORY_REGISTRY
        .iter()
        .any(|r| r.platform == platform)
}

/// The company's scope, Scope 3 category and method for a reported slice.
pub(crate) fn company_scope(slice: &ReportedSlice) -> (u8, Option<u8>, Method) {
    if is_inventory_platform(&slice.platform) {
        (
            slice.scope,
            slice.scope3_category,
            Method::ReportedByInventory,
        )
    } else {
        (3, Some(1), Method::ReportedBySupplier)
    }
}

/// The kg CO2e the inventory counts for a reported slice: location-based (basis-free figures
/// included), as every total. A supplier's figure published under one basis only (Microsoft
/// publishes its Scope 2 market-based only) counts as published: for the customer it is a
/// purchased service either way, and leaving it out would understate Scope 3.
pub(crate) fn counted_kg(slice: &ReportedSlice) -> Decimal {
    let t = &slice.totals;
    let (_, _, method) = company_scope(slice);
    if method == Method::ReportedBySupplier
        && t.location_kg_co2e.is_zero()
        && !t.market_kg_co2e.is_zero()
    {
        t.market_kg_co2e
    } else {
        t.location_kg_co2e
    }
}

/// The reported part of an inventory, and which of the books' groups it replaces.
pub(super) struct ReportedPart {
    pub lines: Vec<ReportedLine>,
    pub replaced: Vec<ReplacedLine>,
    /// Indices into the books' groups that are left out.
    pub replaced_groups: BTreeSet<usize>,
}

/// Places `slices` in the company's scopes and, when `replace` (every connection is in the
/// report), finds the books' groups an inventory platform's figure replaces: same scope and
/// Scope 3 category, a month from the footprint's first to the month of its end.
pub(super) fn reported_part(
    slices: &[ReportedSlice],
    groups: &[ReportGroup],
    replace: bool,
    name_of: &dyn Fn(i64) -> String,
) -> ReportedPart {
    let mut lines: BTreeMap<(i64, u8, Option<u8>, u8), ReportedLine> = BTreeMap::new();
    let mut replaced_groups = BTreeSet::new();
    let mut replaced: BTreeMap<(String, u8, Option<u8>, String), ReplacedLine> = BTreeMap::new();
    for slice in slices {
        let (scope, scope3_category, method) = company_scope(slice);
        let line = lines
            .entry((slice.connection_id, scope, scope3_category, slice.scope))
            .or_insert_with(|| ReportedLine {
                connection_id: slice.connection_id,
                source: name_of(slice.connection_id),
                platform: slice.platform.clone(),
                scope,
                scope3_category,
                published_scope: slice.scope,
                method,
                months: 0,
                period_end: None,
                kg_co2e: Decimal::ZERO,
                market_kg_co2e: Decimal::ZERO,
            });
        line.months += 1;
        line.kg_co2e += counted_kg(slice);
        line.market_kg_co2e += slice.totals.market_kg_co2e;
        if slice.period_end > line.period_end {
            line.period_end.clone_from(&slice.period_end);
        }
        let reports_it = slice.totals.location_kg_co2e > Decimal::ZERO
            || slice.totals.market_kg_co2e > Decimal::ZERO;
        if !replace || method != Method::ReportedByInventory || !reports_it {
            continue;
        }
        let last_month = slice
            .period_end
            .as_deref()
            .map(|d| d.get(..7).unwrap_or(d).to_owned())
            .filter(|end| *end > slice.month)
            .unwrap_or_else(|| slice.month.clone());
        for (i, g) in groups.iter().enumerate() {
            let same_slice = g.scope == Some(scope) && g.scope3_category == scope3_category;
            let within = g.month >= slice.month && g.month <= last_month;
            if same_slice && within && replaced_groups.insert(i) {
                let source = name_of(slice.connection_id);
                let r = replaced
                    .entry((g.month.clone(), scope, scope3_category, source.clone()))
                    .or_insert_with(|| ReplacedLine {
                        month: g.month.clone(),
                        scope,
                        scope3_category,
                        entries: 0,
                        kg_co2e: Decimal::ZERO,
                        replaced_by: source,
                    });
                r.entries += g.entries;
                r.kg_co2e += g.kg_co2e;
            }
        }
    }
    let mut lines: Vec<ReportedLine> = lines.into_values().collect();
    lines.sort_by(|a, b| b.kg_co2e.cmp(&a.kg_co2e).then(a.source.cmp(&b.source)));
    ReportedPart {
        lines,
        replaced: replaced.into_values().collect(),
        replaced_groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbonsync_store::ReportedTotals;

    fn slice(
        platform: &str,
        month: &str,
        end: Option<&str>,
        scope: u8,
        cat: Option<u8>,
    ) -> ReportedSlice {
        ReportedSlice {
            connection_id: 9,
            platform: platform.into(),
            month: month.into(),
            period_end: end.map(Into::into),
            scope,
            scope3_category: cat,
            totals: ReportedTotals {
                location_kg_co2e: Decimal::from(100),
                market_kg_co2e: Decimal::from(80),
                ..Default::default()
            },
        }
    }

    fn group(month: &str, scope: u8, cat: Option<u8>, kg: i64) -> ReportGroup {
        ReportGroup {
            month: month.into(),
            connection_id: 1,
            scope: Some(scope),
            scope3_category: cat,
            category: Some("Office supplies".into()),
            method: Method::SpendMapped,
            entries: 2,
            kg_co2e: Decimal::from(kg),
            market_kg_co2e: Decimal::from(kg),
            spend_usd_2022: Decimal::from(kg),
        }
    }

    #[test]
    fn a_cloud_providers_own_scopes_are_the_customers_purchased_services() {
        let part = reported_part(
            &[slice("aws", "2024-03", None, 2, None)],
            &[group("2024-03", 2, None, 5)],
            true,
            &|id| format!("AWS {id}"),
        );
        let l = &part.lines[0];
        assert_eq!(
            (l.scope, l.scope3_category, l.published_scope),
            (3, Some(1), 2)
        );
        assert_eq!(l.method, Method::ReportedBySupplier);
        assert!(
            part.replaced_groups.is_empty(),
            "a supplier's report replaces nothing of the books"
        );
    }

    #[test]
    fn an_annual_footprint_replaces_the_books_slice_for_each_month_it_covers() {
        let groups = [
            group("2024-01", 3, Some(1), 5),
            group("2024-06", 3, Some(1), 7),
            group("2024-06", 3, Some(6), 11),
            group("2025-01", 3, Some(1), 13),
        ];
        let part = reported_part(
            &[slice(
                "salesforce",
                "2024-01",
                Some("2024-12-31"),
                3,
                Some(1),
            )],
            &groups,
            true,
            &|_| "Salesforce: Acme".into(),
        );
        assert_eq!(part.replaced_groups, BTreeSet::from([0, 1]));
        let kg: Decimal = part.replaced.iter().map(|r| r.kg_co2e).sum();
        assert_eq!(kg, Decimal::from(12));
        let none = reported_part(
            &[slice(
                "salesforce",
                "2024-01",
                Some("2024-12-31"),
                3,
                Some(1),
            )],
            &groups,
            false,
            &|_| String::new(),
        );
        assert!(
            none.replaced_groups.is_empty(),
            "one connection's report replaces nothing"
        );
    }
}
