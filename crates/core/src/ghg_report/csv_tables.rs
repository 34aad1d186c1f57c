//! The inventory report as CSV, one file per table, for a spreadsheet or an auditor's tools.
//! Numbers are exact decimals with a point, kg CO2e unless the header says otherwise.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use super::{scope3_category_name, InventoryReport};
use crate::AppError;

/// The files written, in order.
pub const CSV_FILES: [&str; 13] = [
    "scopes.csv",
    "scope3-categories.csv",
    "by-connection.csv",
    "by-category.csv",
    "by-month.csv",
    "method-mix.csv",
    "reported.csv",
    "replaced.csv",
    "excluded.csv",
    "factor-sets.csv",
    "conversions.csv",
    "rules.csv",
    "changes-after-close.csv",
];

fn text(d: &Decimal) -> String {
    d.to_string()
}

/// A CSV writer that defuses every cell (see `crate::review::defuse_formula`).
struct Defused<'a>(&'a mut csv::Writer<std::fs::File>);

impl Defused<'_> {
    fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            record
                .into_iter()
                .map(|c| crate::review::defuse_formula(c.as_ref().to_owned())),
        )
    }
}

fn cannot_write(path: &Path, e: impl std::fmt::Display) -> AppError {
    AppError::new(
        "export_failed",
        format!(
            "Cannot write {}: {e}. Choose a folder you can write to, with room on its disk.",
            path.display()
        ),
    )
}

impl crate::App {
    /// Writes the report's tables into `dir` ([`InventoryReport::write_csv`]) and the whole
    /// audit trail beside them (`audit-trail.csv`: id, time, who, action, subject, before,
    /// after, reason, hashes), so an auditor has both in one folder. Returns the paths.
    ///
    /// # Errors
    /// `export_failed` naming the file; a database error reading the trail.
    pub fn write_inventory_csv(
        &self,
        report: &InventoryReport,
        dir: &Path,
    ) -> Result<Vec<PathBuf>, AppError> {
        let mut written = report.write_csv(dir)?;
        let rows = self.store()?.audit_rows(None, i64::MAX)?;
        let path = dir.join(AUDIT_FILE);
        let write = || -> csv::Result<()> {
            let mut out = csv::Writer::from_writer(crate::paths::create_private(&path)?);
            let mut w = Defused(&mut out);
            w.write_record([
                "id",
                "at_utc",
                "os_user",
                "machine",
                "action",
                "subject",
                "before",
                "after",
                "reason",
                "prev_hash",
                "hash",
            ])?;
            for r in rows.iter().rev() {
                let at = chrono::DateTime::from_timestamp_millis(r.at_ms)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                w.write_record([
                    r.id.to_string(),
                    at,
                    r.os_user.clone(),
                    r.machine.clone(),
                    r.action.clone(),
                    r.subject.clone(),
                    r.before.clone().unwrap_or_default(),
                    r.after.clone().unwrap_or_default(),
                    r.reason.clone().unwrap_or_default(),
                    r.prev_hash.clone(),
                    r.hash.clone(),
                ])?;
            }
            out.flush()?;
            Ok(())
        };
        write().map_err(|e| cannot_write(&path, e))?;
        written.push(path);
        Ok(written)
    }
}

/// The audit trail's file, written beside the tables by [`crate::App::write_inventory_csv`].
pub const AUDIT_FILE: &str = "audit-trail.csv";

impl InventoryReport {
    /// Writes every table into `dir` (created if missing) as [`CSV_FILES`]; returns the
    /// paths written.
    ///
    /// # Errors
    /// `export_failed`, naming the file, when the folder or a file cannot be written.
    pub fn write_csv(&self, dir: &Path) -> Result<Vec<PathBuf>, AppError> {
        if dir.exists() && !dir.is_dir() {
            return Err(AppError::new(
                "export_failed",
                format!(
                    "{} is a file, not a folder: give a folder for the tables (it is made if \
                     missing), one file per table goes in it.",
                    dir.display()
                ),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| cannot_write(dir, e))?;
        let mut written = Vec::new();
        for name in CSV_FILES {
            let path = dir.join(name);
            let mut w = csv::Writer::from_writer(
                crate::paths::create_private(&path).map_err(|e| cannot_write(&path, e))?,
            );
            self.table(name, &mut w)
                .map_err(|e| cannot_write(&path, e))?;
            w.flush().map_err(|e| cannot_write(&path, e))?;
            written.push(path);
        }
        Ok(written)
    }

    fn table(&self, name: &str, out: &mut csv::Writer<std::fs::File>) -> csv::Result<()> {
        // Names, reasons and descriptions come from the platforms and from people: each cell
        // is defused so that a spreadsheet never runs one as a formula.
        let mut w = Defused(out);
        let s = &self.scopes;
        match name {
            "scopes.csv" => {
                w.write_record(["scope", "basis", "kg_co2e"])?;
                w.write_record(["1", "", &text(&s.scope1_kg_co2e)])?;
                w.write_record(["2", "location-based", &text(&s.scope2_location_kg_co2e)])?;
                w.write_record(["2", "market-based", &text(&s.scope2_market_kg_co2e)])?;
                w.write_record(["3", "", &text(&s.scope3_kg_co2e)])?;
                w.write_record(["total", "location-based", &text(&self.inventory_kg_co2e)])?;
            }
            "scope3-categories.csv" => {
                w.write_record(["category", "name", "entries", "kg_co2e"])?;
                for l in &self.scope3_categories {
                    let n = l.key.trim_start_matches("3.").trim_start_matches('0');
                    let name = n.parse::<u8>().map(scope3_category_name).unwrap_or("");
                    w.write_record([n, name, &l.entries.to_string(), &text(&l.kg_co2e)])?;
                }
            }
            "by-connection.csv" | "by-category.csv" => {
                let lines = if name == "by-connection.csv" {
                    &self.by_connection
                } else {
                    &self.by_category
                };
                w.write_record(["key", "name", "entries", "kg_co2e"])?;
                for l in lines {
                    w.write_record([&l.key, &l.label, &l.entries.to_string(), &text(&l.kg_co2e)])?;
                }
            }
            "by-month.csv" => {
                w.write_record([
                    "month",
                    "scope1_kg_co2e",
                    "scope2_kg_co2e",
                    "scope3_kg_co2e",
                    "kg_co2e",
                ])?;
                for m in &self.by_month {
                    w.write_record([
                        m.month.clone(),
                        text(&m.by_scope[0]),
                        text(&m.by_scope[1]),
                        text(&m.by_scope[2]),
                        text(&m.kg_co2e),
                    ])?;
                }
            }
            "method-mix.csv" => {
                w.write_record([
                    "method",
                    "description",
                    "data_quality",
                    "entries",
                    "kg_co2e",
                ])?;
                for m in &self.method_mix {
                    let key = serde_json::to_value(m.method)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    w.write_record([
                        key,
                        m.label.clone(),
                        m.data_quality.to_string(),
                        m.entries.to_string(),
                        text(&m.kg_co2e),
                    ])?;
                }
            }
            "reported.csv" => {
                w.write_record([
                    "connection_id",
                    "source",
                    "platform",
                    "scope",
                    "scope3_category",
                    "published_scope",
                    "data_quality",
                    "months",
                    "period_end",
                    "kg_co2e",
                    "market_kg_co2e",
                ])?;
                for l in &self.reported {
                    w.write_record([
                        l.connection_id.to_string(),
                        l.source.clone(),
                        l.platform.clone(),
                        l.scope.to_string(),
                        l.scope3_category.map(|c| c.to_string()).unwrap_or_default(),
                        l.published_scope.to_string(),
                        super::data_quality(l.method).to_string(),
                        l.months.to_string(),
                        l.period_end.clone().unwrap_or_default(),
                        text(&l.kg_co2e),
                        text(&l.market_kg_co2e),
                    ])?;
                }
            }
            "replaced.csv" => {
                w.write_record([
                    "month",
                    "scope",
                    "scope3_category",
                    "entries",
                    "kg_co2e",
                    "replaced_by",
                ])?;
                for r in &self.replaced {
                    w.write_record([
                        r.month.clone(),
                        r.scope.to_string(),
                        r.scope3_category.map(|c| c.to_string()).unwrap_or_default(),
                        r.entries.to_string(),
                        text(&r.kg_co2e),
                        r.replaced_by.clone(),
                    ])?;
                }
            }
            "excluded.csv" => {
                w.write_record(["reason", "entries", "currency", "amount"])?;
                for g in &self.excluded {
                    for (currency, amount) in &g.amounts {
                        w.write_record([
                            g.reason.clone(),
                            g.entries.to_string(),
                            currency.clone(),
                            text(amount),
                        ])?;
                    }
                }
            }
            "factor-sets.csv" => {
                w.write_record(["factor_set", "version", "entries"])?;
                for f in &self.factor_sets {
                    w.write_record([&f.name, &f.version, &f.entries.to_string()])?;
                }
            }
            "conversions.csv" => {
                w.write_record(["fx_source", "deflator_source", "entries"])?;
                for c in &self.conversions {
                    w.write_record([&c.fx_source, &c.deflator_source, &c.entries.to_string()])?;
                }
            }
            "rules.csv" => {
                w.write_record([
                    "position",
                    "name",
                    "supplier",
                    "account_code",
                    "description_contains",
                    "amount_min",
                    "amount_max",
                    "platform",
                    "action",
                    "factor_code",
                    "category",
                    "reason",
                    "entries",
                ])?;
                for r in &self.rules {
                    let m = &r.matches;
                    let c = &r.classification;
                    let o = |v: &Option<String>| v.clone().unwrap_or_default();
                    w.write_record([
                        r.position.to_string(),
                        r.name.clone(),
                        o(&m.supplier),
                        o(&m.account_code),
                        o(&m.description_contains),
                        m.amount_min.map(|d| text(&d)).unwrap_or_default(),
                        m.amount_max.map(|d| text(&d)).unwrap_or_default(),
                        o(&m.platform),
                        c.action.as_str().to_owned(),
                        o(&c.factor_code),
                        o(&c.category),
                        o(&c.reason),
                        r.entries.to_string(),
                    ])?;
                }
            }
            "changes-after-close.csv" => {
                w.write_record([
                    "period",
                    "entry",
                    "change",
                    "record_id",
                    "supplier",
                    "reported_kg_co2e",
                    "now_kg_co2e",
                    "kg_co2e_difference",
                ])?;
                for c in &self.changes_after_close {
                    let kg = |l: &Option<carbonsync_store::ClosedLine>| {
                        l.as_ref()
                            .and_then(|l| l.kg_co2e)
                            .map(|d| text(&d))
                            .unwrap_or_default()
                    };
                    w.write_record([
                        c.label.clone(),
                        c.entry_id.to_string(),
                        format!("{:?}", c.kind).to_lowercase(),
                        c.record_id.clone(),
                        c.contact.clone().unwrap_or_default(),
                        kg(&c.reported),
                        kg(&c.now),
                        text(&c.kg_co2e_difference),
                    ])?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
