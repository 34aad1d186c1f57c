//! The monthly ESG report, composed from the same queries as `carbonsync emissions` so that
//! every figure equals the app's own total for the period: spend-based from the ledger,
//! reported (location-based) from what providers publish.

use carbonsync_providers::notifier::{Change, ChartMonth, EsgReport, Figure};
use carbonsync_store::{GroupBy, LedgerFilter, ReportedFilter, ReportedGroupBy};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

use crate::{App, AppError};

/// How many of the largest categories and suppliers the report lists.
pub const REPORT_TOP: usize = 5;
/// Months the report's chart covers, the period included.
pub const CHART_MONTHS: u32 = 12;

/// A month as `YYYY-MM`, checked. Errors: `usage` naming the expected shape.
pub(crate) fn parse_period(period: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(&format!("{}-01", period.trim()), "%Y-%m-%d").map_err(|_| {
        AppError::new(
            "usage",
            format!("{period:?} is not a month: give it as YYYY-MM, e.g. 2024-11"),
        )
    })
}

/// The month before the current one in local time: what the monthly report covers.
pub(crate) fn previous_month(today: NaiveDate) -> String {
    let first = today.with_day(1).expect("day 1 exists");
    (first - Months::new(1)).format("%Y-%m").to_string()
}

fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn month_label(d: NaiveDate) -> String {
    d.format("%B %Y").to_string()
}

fn last_day(first: NaiveDate) -> NaiveDate {
    (first + Months::new(1)).pred_opt().expect("a day before")
}

fn tonnes(kg: Decimal) -> Decimal {
    (kg / Decimal::ONE_THOUSAND).normalize()
}

fn percent_of(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| {
        (part * Decimal::ONE_HUNDRED / whole)
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
    })
}

/// kg CO2e by month (`YYYY-MM`) and scope (1–3): spend-based, reported (location-based), and
/// the spend-based kg an inventory platform's report of the same month, scope and category
/// replaces.
#[derive(Default)]
struct MonthScopes {
    spend: BTreeMap<(String, u8), Decimal>,
    reported: BTreeMap<(String, u8), Decimal>,
    overlap: BTreeMap<(String, u8), Decimal>,
}

impl MonthScopes {
    /// The month's total, each emission counted once.
    fn month_total(&self, month: &str) -> Decimal {
        [1, 2, 3].iter().map(|&s| self.scope(month, s)).sum()
    }

    /// A month's scope, each emission counted once.
    fn scope(&self, month: &str, scope: u8) -> Decimal {
        let key = (month.to_owned(), scope);
        let get = |m: &BTreeMap<(String, u8), Decimal>| m.get(&key).copied().unwrap_or_default();
        get(&self.spend) + get(&self.reported) - get(&self.overlap)
    }
}

impl App {
    /// The monthly ESG report for `period` (`YYYY-MM`). Every figure is exact. The spend-based
    /// and reported (location-based) parts each equal what `carbonsync emissions --from
    /// <first day> --to <last day>` gives for the period; the total is their sum less the
    /// spend-based kg an inventory platform reports for the same month, scope and category
    /// (its figure is the more specific one; see METHODOLOGY.md), so nothing counts twice.
    ///
    /// Errors: `usage` for a period that is not a month.
    pub fn esg_report(&self, period: &str) -> Result<EsgReport, AppError> {
        let first = parse_period(period)?;
        let last = last_day(first);
        let chart_from = first - Months::new(CHART_MONTHS - 1);
        // 13 months: the chart's 12 and the same month a year before.
        let from = first - Months::new(12);
        let range = LedgerFilter {
            from: Some(from.to_string()),
            to: Some(last.to_string()),
            ..Default::default()
        };
        let store = self.store()?;
        let mut months = MonthScopes::default();
        for g in store.emissions_by(GroupBy::Month, &range)? {
            if let Some(scope) = g.scope {
                *months.spend.entry((g.key, scope)).or_default() += g.totals.kg_co2e;
            }
        }
        let reported_range = ReportedFilter {
            from: range.from.clone(),
            to: range.to.clone(),
            ..Default::default()
        };
        // In the company's scopes, as the inventory counts them: a cloud provider's figures
        // are the company's purchased services (Scope 3), whatever scope the provider files.
        for slice in store.reported_slices(&reported_range)? {
            let (scope, _, _) = crate::ghg_report::company_scope(&slice);
            *months.reported.entry((slice.month, scope)).or_default() +=
                slice.totals.location_kg_co2e;
        }

        let platforms: Vec<&str> = carbonsync_providers::INVENTORY_REGISTRY
            .iter()
            .map(|r| r.platform)
            .collect();
        for o in store.reported_overlaps(&platforms)? {
            *months.overlap.entry((o.month, o.scope)).or_default() += o.spend_based_kg_co2e;
        }

        let key = month_key(first);
        let period_filter = LedgerFilter {
            from: Some(first.to_string()),
            to: Some(last.to_string()),
            ..Default::default()
        };
        let totals = store.totals(&period_filter)?;
        let reported = store.reported_totals(&ReportedFilter {
            from: period_filter.from.clone(),
            to: period_filter.to.clone(),
            ..Default::default()
        })?;
        let spend_kg = totals.kg_co2e;
        let reported_kg = reported.location_kg_co2e;
        let overlap_kg: Decimal = months
            .overlap
            .iter()
            .filter(|((m, _), _)| *m == key)
            .map(|(_, kg)| *kg)
            .sum();
        let total_kg = spend_kg + reported_kg - overlap_kg;

        let change = |earlier: NaiveDate| {
            let earlier_kg = months.month_total(&month_key(earlier));
            Change {
                against: month_label(earlier),
                earlier_t_co2e: tonnes(earlier_kg),
                percent: percent_of(total_kg - earlier_kg, earlier_kg),
            }
        };

        let mut categories: Vec<Figure> = store
            .emissions_by(GroupBy::Category, &period_filter)?
            .into_iter()
            .filter(|g| g.totals.kg_co2e > Decimal::ZERO)
            .map(|g| Figure {
                label: g.key,
                t_co2e: tonnes(g.totals.kg_co2e),
            })
            .collect();
        let names = self.connection_names()?;
        for g in store.reported_by(
            ReportedGroupBy::Source,
            &ReportedFilter {
                from: period_filter.from.clone(),
                to: period_filter.to.clone(),
                ..Default::default()
            },
        )? {
            if g.totals.location_kg_co2e > Decimal::ZERO {
                let source = names.get(&g.key).cloned().unwrap_or(g.key);
                categories.push(Figure {
                    label: format!("Reported by {source}"),
                    t_co2e: tonnes(g.totals.location_kg_co2e),
                });
            }
        }
        categories.sort_by(|a, b| b.t_co2e.cmp(&a.t_co2e).then(a.label.cmp(&b.label)));
        categories.truncate(REPORT_TOP);

        let suppliers = store
            .top_suppliers(&period_filter, REPORT_TOP as i64)?
            .into_iter()
            .map(|g| Figure {
                label: g.key,
                t_co2e: tonnes(g.totals.kg_co2e),
            })
            .collect();

        let overlap_note = (!overlap_kg.is_zero()).then(|| {
            format!(
                "An inventory platform (Salesforce) reports scopes and categories the books also count this month: the total uses its figures and leaves out the books' {}.",
                carbonsync_providers::notifier::words::t_co2e(tonnes(overlap_kg))
            )
        });

        let chart = (0..CHART_MONTHS)
            .map(|i| {
                let m = month_key(chart_from + Months::new(i));
                ChartMonth {
                    by_scope: [1, 2, 3].map(|s| tonnes(months.scope(&m, s))),
                    month: m,
                }
            })
            .collect();
        let set = self.calculator().factor_set();
        let sandbox = self.connections()?.iter().any(|c| c.sandbox);
        Ok(EsgReport {
            period: key.clone(),
            period_label: month_label(first),
            total_t_co2e: tonnes(total_kg),
            spend_based_t_co2e: tonnes(spend_kg),
            reported_t_co2e: tonnes(reported_kg),
            overlap_t_co2e: tonnes(overlap_kg),
            by_scope: [1u8, 2, 3]
                .iter()
                .map(|&s| Figure {
                    label: format!("Scope {s}"),
                    t_co2e: tonnes(months.scope(&key, s)),
                })
                .collect(),
            vs_previous_month: change(first - Months::new(1)),
            vs_year_before: change(first - Months::new(12)),
            top_categories: categories,
            top_suppliers: suppliers,
            spend_based_percent: percent_of(spend_kg - overlap_kg, total_kg),
            reported_percent: percent_of(reported_kg, total_kg),
            unmapped_entries: totals.unmapped,
            overlap_note,
            chart,
            method: format!(
                "Spend-based: {} {} ({}), converted to USD 2022. Reported: as each provider publishes it, location-based.",
                set.name, set.version, set.unit
            ),
            sandbox,
        })
    }

    /// "Platform name: organisation" for each reported group's key ("aws: Organisation").
    fn connection_names(&self) -> Result<BTreeMap<String, String>, AppError> {
        Ok(self
            .connections()?
            .into_iter()
            .map(|c| {
                (
                    format!("{}: {}", c.provider, c.tenant_name),
                    self.connection_label(&c),
                )
            })
            .collect())
    }
}

/// The chart's months as the charts crate draws them (floats for drawing only).
pub(crate) fn chart_input(report: &EsgReport) -> Vec<carbonsync_charts::MonthStack> {
    use rust_decimal::prelude::ToPrimitive;
    report
        .chart
        .iter()
        .map(|m| carbonsync_charts::MonthStack {
            month: m.month.clone(),
            by_scope_t: m.by_scope.map(|d| d.to_f64().unwrap_or(0.0)),
        })
        .collect()
}
