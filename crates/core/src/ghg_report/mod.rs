//! The greenhouse-gas inventory report of a period: Scope 1, Scope 2 (location- and
//! market-based), Scope 3 by category; by connection, category and month; the method mix with
//! its data-quality score; what was excluded and why; the factor sets and conversion sources;
//! the rules in force; closes and changes after close; the audit chain's state. Every figure
//! is a sum of the ledger as reported (closed periods from their frozen copies), in exact
//! decimals, so the report's total is the ledger's. Printed as a PDF ([`pdf`]) and as CSV,
//! one file per table ([`csv_tables`]).

mod csv_tables;
mod pdf;
mod reported_part;

pub(crate) use reported_part::company_scope;

use std::collections::BTreeMap;

use carbonsync_store::{
    AuditCheck, ChangeAfterClose, ConversionUse, ExcludedGroup, LedgerFilter, Method, PeriodClose,
    ReportedFilter, ReportedTotals, ReviewRule, SourceUse, Totals,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::period::Period;
use crate::{App, AppError};

pub use csv_tables::{AUDIT_FILE, CSV_FILES};
pub use reported_part::{ReplacedLine, ReportedLine};

/// The GHG Protocol's names of the Scope 3 categories, 1 to 15 (Corporate Value Chain
/// (Scope 3) Standard, table 5.3).
pub const SCOPE3_CATEGORIES: [&str; 15] = [
    "Purchased goods and services",
    "Capital goods",
    "Fuel- and energy-related activities",
    "Upstream transportation and distribution",
    "Waste generated in operations",
    "Business travel",
    "Employee commuting",
    "Upstream leased assets",
    "Downstream transportation and distribution",
    "Processing of sold products",
    "Use of sold products",
    "End-of-life treatment of sold products",
    "Downstream leased assets",
    "Franchises",
    "Investments",
];

/// The name of Scope 3 category `n` (1–15).
pub fn scope3_category_name(n: u8) -> &'static str {
    SCOPE3_CATEGORIES
        .get(usize::from(n).wrapping_sub(1))
        .copied()
        .unwrap_or("Unknown category")
}

/// The data-quality scale of the report, 1 (best) to 5, by how an entry's number was made.
/// Modelled on the GHG Protocol's data-quality indicators and the PCAF score: the more the
/// number rests on the organisation's own physical data and the less on averages, the lower.
///
/// - 1: reported by the supplier itself (a cloud provider's own emissions report);
/// - 2: activity data with a published factor, entered here or calculated in the company's
///   inventory platform (Salesforce Net Zero Cloud);
/// - 3: a quantity estimated from spend with a stated average price per unit;
/// - 4: spend-based, with the factor chosen for the entry by a person or a person's rule;
/// - 5: spend-based, with the factor the account mapping gives.
pub fn data_quality(method: Method) -> u8 {
    match method {
        Method::ReportedBySupplier => 1,
        Method::Activity | Method::ReportedByInventory => 2,
        Method::Estimated => 3,
        Method::SpendReviewed => 4,
        Method::SpendMapped => 5,
    }
}

/// One line of a table: a key, its name, how many counted entries and their kg CO2e.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportLine {
    /// What the line is keyed by: `3.6` for a Scope 3 category, a connection's id, a
    /// category's name.
    pub key: String,
    pub label: String,
    pub entries: i64,
    /// kg CO2e, exactly. Decimal text on the wire.
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
}

/// A month by scope.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MonthLine {
    /// `YYYY-MM`.
    pub month: String,
    /// kg CO2e of Scope 1, 2 and 3, exactly. Decimal text on the wire.
    #[ts(type = "[string, string, string]")]
    pub by_scope: [Decimal; 3],
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
}

/// One method of the mix.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MethodLine {
    pub method: Method,
    pub label: String,
    /// On [`data_quality`]'s scale, 1 (best) to 5.
    pub data_quality: u8,
    pub entries: i64,
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
}

/// The scopes' totals.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ScopeTotals {
    #[ts(type = "string")]
    pub scope1_kg_co2e: Decimal,
    /// Location-based: the grid-average factor of where the energy was used.
    #[ts(type = "string")]
    pub scope2_location_kg_co2e: Decimal,
    /// Market-based: the supplier-specific or contractual factor where one was given, the
    /// grid average elsewhere (the last step of the GHG Protocol Scope 2 Guidance's hierarchy,
    /// as no residual-mix factor is shipped), and the inventory platform's market-based figure.
    #[ts(type = "string")]
    pub scope2_market_kg_co2e: Decimal,
    #[ts(type = "string")]
    pub scope3_kg_co2e: Decimal,
}

/// The inventory report of a period. kg CO2e throughout, exact (six decimal places).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct InventoryReport {
    pub period: Period,
    /// Only this connection's entries; `None` for every connection.
    pub connection_id: Option<i64>,
    /// ms since 1970, UTC.
    #[ts(type = "number")]
    pub generated_at_ms: i64,
    /// The operating-system user and machine.
    pub generated_by: String,
    /// The organisations (connections) the numbers come from: `Xero: Harbour & Pine Ltd`.
    pub organisations: Vec<String>,
    /// The books' totals, the same as `carbonsync emissions` for the period.
    pub totals: Totals,
    /// The inventory's total, kg CO2e: Scope 1 + Scope 2 (location-based) + Scope 3, which is
    /// the books' counted kg (`totals`) + `reported_kg_co2e` − `replaced_kg_co2e`.
    #[ts(type = "string")]
    pub inventory_kg_co2e: Decimal,
    pub scopes: ScopeTotals,
    /// What cloud providers and the company's inventory platform report for the period, in
    /// the company's scopes; counted in the inventory.
    pub reported: Vec<ReportedLine>,
    /// kg CO2e of `reported`, location-based.
    #[ts(type = "string")]
    pub reported_kg_co2e: Decimal,
    /// The books' entries left out because the inventory platform reports their slice.
    pub replaced: Vec<ReplacedLine>,
    #[ts(type = "string")]
    pub replaced_kg_co2e: Decimal,
    pub scope3_categories: Vec<ReportLine>,
    pub by_connection: Vec<ReportLine>,
    pub by_category: Vec<ReportLine>,
    pub by_month: Vec<MonthLine>,
    pub method_mix: Vec<MethodLine>,
    /// kg-weighted mean of the entries' data quality (1–5), to two places; `None` when
    /// nothing is counted.
    #[ts(type = "string | null")]
    pub data_quality_score: Option<Decimal>,
    pub excluded: Vec<ExcludedGroup>,
    pub factor_sets: Vec<SourceUse>,
    pub conversions: Vec<ConversionUse>,
    pub rules: Vec<ReviewRule>,
    /// Standing closes overlapping the period, and their changes after close.
    pub closes: Vec<PeriodClose>,
    pub changes_after_close: Vec<ChangeAfterClose>,
    /// What cloud providers and inventory platforms reported for the period, under both
    /// bases, as `carbonsync cloud` sums it (in the platforms' own scopes).
    pub reported_by_providers: ReportedTotals,
    pub audit: AuditCheck,
    /// How the numbers were made, in sentences for the reader.
    pub method_notes: Vec<String>,
    /// What the reader must know before relying on the numbers, each with what to do: nothing
    /// dated in the period, entries not counted for want of a mapping, a provider's month not
    /// published yet, a broken audit chain.
    pub warnings: Vec<String>,
}

/// One line the inventory counts: a group of the books' entries or a reported figure.
struct Counted<'a> {
    connection_id: i64,
    scope: u8,
    scope3_category: Option<u8>,
    category: String,
    method: Method,
    entries: i64,
    kg: Decimal,
    /// kg by month (`YYYY-MM`).
    months: Vec<(&'a String, Decimal)>,
}

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Activity => "Activity-based (quantity x published factor)",
        Method::Estimated => "Activity-based, quantity estimated from spend at a stated price",
        Method::SpendReviewed => "Spend-based, factor chosen by a person or rule",
        Method::SpendMapped => "Spend-based, factor from the account mapping",
        Method::ReportedBySupplier => "Reported by the supplier (cloud provider)",
        Method::ReportedByInventory => "Reported by the company's inventory platform",
    }
}

fn lines_from(map: BTreeMap<String, (String, i64, Decimal)>) -> Vec<ReportLine> {
    let mut out: Vec<ReportLine> = map
        .into_iter()
        .map(|(key, (label, entries, kg_co2e))| ReportLine {
            key,
            label,
            entries,
            kg_co2e,
        })
        .collect();
    out.sort_by(|a, b| b.kg_co2e.cmp(&a.kg_co2e).then(a.key.cmp(&b.key)));
    out
}

impl App {
    /// The inventory report of `period`, for one connection or all.
    ///
    /// # Errors
    /// `no_such_connection`; a database error.
    pub fn inventory_report(
        &self,
        period: &Period,
        connection_id: Option<i64>,
    ) -> Result<InventoryReport, AppError> {
        let store = self.store()?;
        let filter = LedgerFilter {
            connection_id,
            from: Some(period.from.clone()),
            to: Some(period.to.clone()),
            ..Default::default()
        };
        self.check_filter(&filter)?;
        let connections = store.connections()?;
        let name_of = |id: i64| {
            connections
                .iter()
                .find(|c| c.id == id)
                .map(|c| self.connection_label(c))
                .unwrap_or_else(|| format!("Connection {id}"))
        };
        let groups = store.report_groups(&filter)?;
        let slices = store.reported_slices(&ReportedFilter {
            connection_id,
            from: Some(period.from.clone()),
            to: Some(period.to.clone()),
            ..Default::default()
        })?;
        let part =
            reported_part::reported_part(&slices, &groups, connection_id.is_none(), &name_of);

        let mut scope = [Decimal::ZERO; 3];
        let mut cat3: BTreeMap<String, (String, i64, Decimal)> = BTreeMap::new();
        let mut by_conn: BTreeMap<String, (String, i64, Decimal)> = BTreeMap::new();
        let mut by_cat: BTreeMap<String, (String, i64, Decimal)> = BTreeMap::new();
        let mut by_month: BTreeMap<String, [Decimal; 3]> = period
            .months()
            .into_iter()
            .map(|m| (m, [Decimal::ZERO; 3]))
            .collect();
        let mut mix: BTreeMap<Method, (i64, Decimal)> = BTreeMap::new();
        let mut add = |line: Counted<'_>| {
            let s = line.scope.clamp(1, 3) as usize - 1;
            scope[s] += line.kg;
            if s == 2 {
                let (key, label) = match line.scope3_category {
                    Some(c) => (
                        format!("3.{c:02}"),
                        format!("{c}. {}", scope3_category_name(c)),
                    ),
                    None => ("3.99".into(), "Category not given".into()),
                };
                let e = cat3.entry(key).or_insert((label, 0, Decimal::ZERO));
                e.1 += line.entries;
                e.2 += line.kg;
            }
            let e = by_conn
                .entry(line.connection_id.to_string())
                .or_insert_with(|| (name_of(line.connection_id), 0, Decimal::ZERO));
            e.1 += line.entries;
            e.2 += line.kg;
            let e =
                by_cat
                    .entry(line.category.clone())
                    .or_insert((line.category, 0, Decimal::ZERO));
            e.1 += line.entries;
            e.2 += line.kg;
            for (month, kg) in line.months {
                by_month.entry(month.clone()).or_insert([Decimal::ZERO; 3])[s] += kg;
            }
            let m = mix.entry(line.method).or_insert((0, Decimal::ZERO));
            m.0 += line.entries;
            m.1 += line.kg;
        };
        let mut scope2_market_books = Decimal::ZERO;
        for (i, g) in groups.iter().enumerate() {
            if part.replaced_groups.contains(&i) {
                continue;
            }
            let scope = g.scope.unwrap_or(3);
            if scope == 2 {
                scope2_market_books += g.market_kg_co2e;
            }
            add(Counted {
                connection_id: g.connection_id,
                scope,
                scope3_category: g.scope3_category,
                category: g.category.clone().unwrap_or_else(|| "Uncategorised".into()),
                method: g.method,
                entries: g.entries,
                kg: g.kg_co2e,
                months: vec![(&g.month, g.kg_co2e)],
            });
        }
        let mut scope2_market_reported = Decimal::ZERO;
        for line in &part.lines {
            if line.scope == 2 {
                scope2_market_reported += line.market_kg_co2e;
            }
            let months = slices
                .iter()
                .filter(|s| {
                    s.connection_id == line.connection_id && s.scope == line.published_scope
                })
                .filter(|s| {
                    let (scope, cat, _) = reported_part::company_scope(s);
                    scope == line.scope && cat == line.scope3_category
                })
                .map(|s| (&s.month, reported_part::counted_kg(s)))
                .collect();
            add(Counted {
                connection_id: line.connection_id,
                scope: line.scope,
                scope3_category: line.scope3_category,
                category: format!("Reported by {}", line.source),
                method: line.method,
                entries: 0,
                kg: line.kg_co2e,
                months,
            });
        }
        let reported_kg_co2e: Decimal = part.lines.iter().map(|l| l.kg_co2e).sum();
        let replaced_kg_co2e: Decimal = part.replaced.iter().map(|r| r.kg_co2e).sum();
        let totals = store.totals(&filter)?;
        let counted_kg: Decimal = scope.iter().copied().sum();
        debug_assert_eq!(
            counted_kg,
            totals.kg_co2e + reported_kg_co2e - replaced_kg_co2e
        );
        let data_quality_score = (!counted_kg.is_zero()).then(|| {
            let weighted: Decimal = mix
                .iter()
                .map(|(m, (_, kg))| Decimal::from(data_quality(*m)) * kg)
                .sum();
            let mut score = (weighted / counted_kg)
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            // Always two places ("5.00"), as a score is read.
            score.rescale(2);
            score
        });
        let (factor_sets, conversions) = store.report_sources(&filter)?;
        let (closes, changes_after_close) =
            store.standing_closes_and_changes_within(Some(&period.from), Some(&period.to))?;
        let reported_by_providers = store.reported_totals(&ReportedFilter {
            connection_id,
            from: Some(period.from.clone()),
            to: Some(period.to.clone()),
            ..Default::default()
        })?;
        let audit = store.verify_audit()?;
        let warnings = self.inventory_warnings(
            period,
            connection_id,
            &totals,
            &part,
            &audit,
            changes_after_close.len(),
        )?;
        let (user, machine) = crate::audit::actor();
        let set = self.calculator().factor_set();
        Ok(InventoryReport {
            warnings,
            period: period.clone(),
            connection_id,
            generated_at_ms: chrono::Utc::now().timestamp_millis(),
            generated_by: format!("{user} on {machine}"),
            organisations: connections
                .iter()
                .filter(|c| connection_id.is_none_or(|id| id == c.id))
                .map(|c| name_of(c.id))
                .collect(),
            scopes: ScopeTotals {
                scope1_kg_co2e: scope[0],
                scope2_location_kg_co2e: scope[1],
                scope2_market_kg_co2e: scope2_market_books + scope2_market_reported,
                scope3_kg_co2e: scope[2],
            },
            totals,
            inventory_kg_co2e: counted_kg,
            reported: part.lines,
            reported_kg_co2e,
            replaced: part.replaced,
            replaced_kg_co2e,
            scope3_categories: {
                let mut v = lines_from(cat3);
                v.sort_by(|a, b| a.key.cmp(&b.key));
                v
            },
            by_connection: lines_from(by_conn),
            by_category: lines_from(by_cat),
            by_month: by_month
                .into_iter()
                .map(|(month, by_scope)| MonthLine {
                    kg_co2e: by_scope.iter().copied().sum(),
                    month,
                    by_scope,
                })
                .collect(),
            method_mix: mix
                .into_iter()
                .map(|(method, (entries, kg_co2e))| MethodLine {
                    method,
                    label: method_label(method).into(),
                    data_quality: data_quality(method),
                    entries,
                    kg_co2e,
                })
                .collect(),
            data_quality_score,
            excluded: store.excluded_groups(&filter)?,
            factor_sets,
            conversions,
            rules: store.review_rules()?,
            closes,
            changes_after_close,
            reported_by_providers,
            audit,
            method_notes: vec![
                format!(
                    "Spend-based entries: the line's amount before tax, converted to US dollars at the year's average rate and deflated to 2022 prices with the US GDP price index, times the {} {} factor ({}) of the category the entry is mapped to.",
                    set.name, set.version, set.unit
                ),
                format!(
                    "Activity-based entries: the quantity entered times the {} ({}) factor of the activity, in the scope that publication gives it.",
                    carbonsync_emissions::activity::ACTIVITY_SET,
                    carbonsync_emissions::activity::ACTIVITY_SET_VERSION
                ),
                "Scope 2 totals are location-based (the grid's average factor). Market-based Scope 2 uses the supplier-specific or contractual factor where one was entered and the grid average elsewhere, the last step of the GHG Protocol Scope 2 Guidance's hierarchy (no residual-mix factor is shipped).".into(),
                "Data quality, 1 (best) to 5: 1 reported by the supplier itself, 2 activity data with a published factor, 3 a quantity estimated from spend with an average price, 4 spend-based with a factor chosen by a person or rule, 5 spend-based from the account mapping. The score is the mean over counted entries, weighted by kg CO2e.".into(),
                "A closed period counts as it was reported when closed (and as restated since); changes made to its records later are listed, not counted, until accepted.".into(),
                "Cloud providers' reports of the company's share of their emissions count as purchased services (Scope 3 category 1), whatever scope the provider files them under, location-based (a figure a provider publishes market-based only, such as Microsoft's Scope 2, as published); spend with a provider for a month it reports is excluded from the books. The company's inventory platform (Salesforce Net Zero Cloud) counts in the scopes it reports, and the books' entries of a month, scope and category it reports are left out (listed), as its figure is the more specific one.".into(),
            ],
        })
    }
}

impl App {
    /// The report's warnings (see [`InventoryReport::warnings`]).
    fn inventory_warnings(
        &self,
        period: &Period,
        connection_id: Option<i64>,
        totals: &Totals,
        part: &reported_part::ReportedPart,
        audit: &AuditCheck,
        waiting_changes: usize,
    ) -> Result<Vec<String>, AppError> {
        let mut warnings = Vec::new();
        if totals.counted + totals.excluded + totals.unmapped == 0 && part.lines.is_empty() {
            warnings.push(format!(
                "Nothing is dated in {} ({} to {}): no entry and no provider's figure. Sync the connections first (carbonsync sync), or check the period.",
                period.label, period.from, period.to
            ));
        }
        if totals.unmapped > 0 {
            let entries = match totals.unmapped {
                1 => "1 entry is".to_owned(),
                n => format!("{n} entries are"),
            };
            warnings.push(format!(
                "{entries} unmapped and not counted: review them (carbonsync review --from {} --to {}{}) before relying on the totals.",
                period.from,
                period.to,
                connection_id
                    .map(|id| format!(" --connection {id}"))
                    .unwrap_or_default()
            ));
        }
        let store = self.store()?;
        let review = carbonsync_store::LedgerFilter {
            connection_id,
            from: Some(period.from.clone()),
            to: Some(period.to.clone()),
            ..Default::default()
        };
        let changed = store.review_progress(&review)?.changed_since_review;
        if changed > 0 {
            warnings.push(format!(
                "{} changed at the platform after a person decided {}: look at {} again (carbonsync review --from {} --to {}), the decision still applies to the new line.",
                match changed {
                    1 => "1 entry".to_owned(),
                    n => format!("{n} entries"),
                },
                if changed == 1 { "it" } else { "them" },
                if changed == 1 { "it" } else { "them" },
                period.from,
                period.to
            ));
        }
        if waiting_changes > 0 {
            warnings.push(format!(
                "{} after close {} waiting: the closed numbers leave {} out until restated or left (carbonsync period changes).",
                match waiting_changes {
                    1 => "1 change".to_owned(),
                    n => format!("{n} changes"),
                },
                if waiting_changes == 1 { "is" } else { "are" },
                if waiting_changes == 1 { "it" } else { "them" },
            ));
        }
        let from = &period.from[..7];
        let to = &period.to[..7];
        for c in store.connections()? {
            if connection_id.is_some_and(|id| id != c.id)
                || c.status == carbonsync_store::ConnectionStatus::Disconnected
            {
                continue;
            }
            let pending: Vec<String> = store
                .reported_months(Some(c.id))?
                .into_iter()
                .filter(|m| m.state == carbonsync_store::MonthState::Pending)
                .filter(|m| m.month.as_str() >= from && m.month.as_str() <= to)
                .map(|m| m.month)
                .collect();
            if !pending.is_empty() {
                warnings.push(format!(
                    "{} has not published {} yet: the inventory lacks those months' figures. Sync it again once they are published, then make the report again.",
                    self.connection_label(&c),
                    pending.join(", ")
                ));
            }
        }
        if !audit.intact {
            warnings.push(format!(
                "The audit trail's chain is broken at row {}: run carbonsync audit verify before giving this report to anyone.",
                audit.broken_at.unwrap_or_default()
            ));
        }
        Ok(warnings)
    }

    /// Writes the inventory report of `period` as a PDF to the user's Downloads folder (or
    /// the data folder's `exports/` where there is none), under a dated name, with its tables
    /// as CSV in a folder of the same name beside it. Returns the PDF's path.
    ///
    /// # Errors
    /// `export_failed` naming the file or folder that cannot be written.
    pub fn export_inventory_to_downloads(
        &self,
        period: &Period,
        connection_id: Option<i64>,
    ) -> Result<std::path::PathBuf, AppError> {
        let report = self.inventory_report(period, connection_id)?;
        let dir = directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(|d| d.to_path_buf()))
            .unwrap_or_else(|| self.paths().data_dir.join("exports"));
        let stem = format!(
            "carbonsync-inventory-{}-{}",
            period.label,
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let pdf = dir.join(format!("{stem}.pdf"));
        let bytes = report.to_pdf()?;
        std::fs::create_dir_all(&dir)
            .and_then(|()| {
                use std::io::Write;
                crate::paths::create_private(&pdf)?.write_all(&bytes)
            })
            .map_err(|e| {
                AppError::new(
                    "export_failed",
                    format!(
                        "Cannot write {}: {e}. Free some space or make the folder writable, then export again.",
                        pdf.display()
                    ),
                )
            })?;
        self.write_inventory_csv(&report, &dir.join(stem))?;
        Ok(pdf)
    }
}
