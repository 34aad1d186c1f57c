//! Reading back what is stored: platforms, history, emissions. Nothing here touches
//! the network, so all of it works offline.

use crate::{App, AppError};
use carbonsync_providers::{AuthKind, Catalogue, Category, RedirectStyle};
use carbonsync_store::{
    EmissionsGroup, GroupBy, LedgerEntry, LedgerFilter, ReportedFilter, ReportedGroup,
    ReportedGroupBy, ReportedTotals, SetAsideRecord, SyncRun, Totals,
};
use serde::Serialize;

/// A platform as the user sees it in a list.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ProviderView {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub category_label: String,
    pub auth: AuthKind,
    pub auth_label: String,
    /// Whether CarbonSync can connect it today.
    pub available: bool,
    pub status_note: Option<String>,
    pub redirect: RedirectStyle,
    pub scopes: Vec<String>,
    /// Signs in against the built-in sandbox (no client id configured). Always false for a
    /// platform connected with keys (cloud) or a pasted webhook URL (Teams): what is typed
    /// goes to the platform itself, and the sandbox's own account or workflow is a separate
    /// choice of the form.
    pub sandbox: bool,
    /// Connections that are not disconnected.
    pub connections: usize,
    pub docs_url: Option<String>,
    /// What a sync reads, in order, with each stream's name in words (empty while the
    /// platform is not available).
    pub streams: Vec<StreamView>,
}

/// One stream of records a platform's connector reads.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StreamView {
    /// As stored with cursors, records and set-aside records (`bank_transactions`).
    pub name: String,
    /// In words (`Bank transactions`).
    pub label: String,
    /// A word for a narrow column (`Bank`).
    pub short: String,
    /// One of its records (`Bank transaction`).
    pub singular: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct EmissionsSummary {
    pub totals: Totals,
    pub by: Option<GroupBy>,
    pub groups: Vec<EmissionsGroup>,
    /// Which factor set and version produced the counted entries.
    pub method: String,
    /// What cloud providers reported for the same period and connection, beside the
    /// spend-based totals (never added into them), under both bases.
    pub reported: ReportedTotals,
    /// Reported groups in the same grouping as `groups` where one applies (month, scope,
    /// source).
    pub reported_groups: Vec<ReportedGroup>,
}

impl App {
    pub fn providers(&self) -> Result<Vec<ProviderView>, AppError> {
        let connections = self.connections()?;
        Ok(Catalogue::builtin()
            .entries()
            .iter()
            .map(|e| ProviderView {
                id: e.id.clone(),
                name: e.name.clone(),
                category: e.category,
                category_label: e.category.label().to_string(),
                auth: e.auth,
                auth_label: e.auth.label().to_string(),
                available: e.available,
                status_note: e.status_note.clone(),
                redirect: e.redirect,
                scopes: e.scopes.clone(),
                sandbox: e.available
                    && carbonsync_providers::cloud_registration(&e.id).is_none()
                    && e.auth != carbonsync_providers::AuthKind::WebhookUrl
                    && self.config().provider(&e.id).client_id.is_none(),
                connections: connections
                    .iter()
                    .filter(|c| {
                        c.provider == e.id
                            && c.status != carbonsync_store::ConnectionStatus::Disconnected
                    })
                    .count(),
                docs_url: e.docs_url.clone(),
                streams: carbonsync_providers::registration(&e.id)
                    .map(|r| {
                        std::iter::once(&carbonsync_providers::ACCOUNTS_STREAM)
                            .chain(r.streams)
                            .map(|s| StreamView {
                                name: s.name.to_owned(),
                                label: s.label.to_owned(),
                                short: s.short.to_owned(),
                                singular: s.singular.to_owned(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    }

    pub fn logs(&self, connection_id: Option<i64>, limit: i64) -> Result<Vec<SyncRun>, AppError> {
        if let Some(id) = connection_id {
            self.connection(id)?;
        }
        Ok(self.store()?.runs(connection_id, limit)?)
    }

    /// Records the platforms sent that could not be read, kept aside with the reason (newest
    /// first), for one connection or all, each with the JSON as sent.
    pub fn set_aside(&self, connection_id: Option<i64>) -> Result<Vec<SetAsideRecord>, AppError> {
        if let Some(id) = connection_id {
            self.connection(id)?;
        }
        Ok(self.store()?.set_aside(connection_id)?)
    }

    /// A filter naming a connection that does not exist is a mistake, not an empty result.
    pub(crate) fn check_filter(&self, filter: &LedgerFilter) -> Result<(), AppError> {
        if let Some(id) = filter.connection_id {
            self.connection(id)?;
        }
        Ok(())
    }

    pub fn emissions(
        &self,
        by: Option<GroupBy>,
        filter: &LedgerFilter,
    ) -> Result<EmissionsSummary, AppError> {
        self.check_filter(filter)?;
        let store = self.store()?;
        let set = self.calculator().factor_set();
        let reported_filter = ReportedFilter {
            connection_id: filter.connection_id,
            from: filter.from.clone(),
            to: filter.to.clone(),
            scope: filter.scope,
            ..Default::default()
        };
        let reported_by = match by {
            Some(GroupBy::Month) => Some(ReportedGroupBy::Month),
            Some(GroupBy::Scope) => Some(ReportedGroupBy::Scope),
            Some(GroupBy::Source) => Some(ReportedGroupBy::Source),
            Some(GroupBy::Category) | None => None,
        };
        Ok(EmissionsSummary {
            reported: store.reported_totals(&reported_filter)?,
            reported_groups: match reported_by {
                Some(by) => store.reported_by(by, &reported_filter)?,
                None => Vec::new(),
            },
            totals: store.totals(filter)?,
            by,
            groups: match by {
                Some(by) => store.emissions_by(by, filter)?,
                None => Vec::new(),
            },
            method: format!(
                "Spend-based: {} {} ({}), amounts converted to USD at annual average rates and deflated to 2022 with the US GDP price index",
                set.name, set.version, set.unit
            ),
        })
    }

    pub fn ledger(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, AppError> {
        self.check_filter(filter)?;
        Ok(self.store()?.ledger(filter, offset, limit)?)
    }
}

/// One window of the ledger, with the size of the whole selection for scrolling.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LedgerPage {
    pub total: i64,
    pub offset: i64,
    pub entries: Vec<LedgerEntry>,
}

/// Where a connection's incremental sync stands, per stream.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CursorView {
    pub stream: String,
    /// Every change before this moment is stored (RFC 3339), or none before the first sync.
    pub modified_since: Option<String>,
    /// A sync stopped part-way through this stream; the next one resumes it.
    pub resuming: bool,
}

impl App {
    pub fn ledger_page(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<LedgerPage, AppError> {
        let store = self.store()?;
        Ok(LedgerPage {
            total: store.ledger_count(filter)?,
            offset,
            entries: store.ledger(filter, offset, limit)?,
        })
    }

    pub fn cursors(&self, connection_id: i64) -> Result<Vec<CursorView>, AppError> {
        Ok(self
            .store()?
            .cursors(connection_id)?
            .into_iter()
            .map(|(stream, ms, resuming)| CursorView {
                stream,
                resuming,
                modified_since: ms
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            })
            .collect())
    }

    /// Writes the selected ledger entries as CSV, with every number needed to retrace
    /// each emission. Returns how many entries were written.
    pub fn export_ledger_csv(
        &self,
        filter: &LedgerFilter,
        path: &std::path::Path,
    ) -> Result<i64, AppError> {
        let failed = |e: csv::Error| {
            AppError::new("export", format!("Cannot write {}: {e}", path.display()))
        };
        let store = self.store()?;
        let mut out = csv::Writer::from_writer(
            crate::paths::create_private(path).map_err(|e| failed(e.into()))?,
        );
        out.write_record([
            "date",
            "source",
            "stream",
            "record_id",
            "line",
            "contact",
            "description",
            "account_code",
            "account_name",
            "net_amount",
            "currency",
            "status",
            "reason",
            "rule_id",
            "category",
            "scope",
            "scope3_category",
            "factor_set",
            "factor_version",
            "factor_code",
            "factor_value",
            "factor_unit",
            "fx_rate",
            "fx_source",
            "deflator",
            "deflator_source",
            "amount_usd_2022",
            "kg_co2e",
        ])
        .map_err(failed)?;
        let mut written = 0;
        let page = 10_000;
        loop {
            let entries = store.ledger(filter, written, page)?;
            for e in &entries {
                let a = &e.assessment;
                let fields: Vec<String> = vec![
                    e.date.clone(),
                    e.source.clone(),
                    e.stream.clone(),
                    e.record_id.clone(),
                    e.line_no.to_string(),
                    e.contact.clone().unwrap_or_default(),
                    e.description.clone().unwrap_or_default(),
                    e.account_code.clone().unwrap_or_default(),
                    e.account_name.clone().unwrap_or_default(),
                    e.net_amount.to_string(),
                    e.currency.clone(),
                    a.status.as_str().to_string(),
                    a.reason.clone().unwrap_or_default(),
                    a.rule_id.clone().unwrap_or_default(),
                    a.category.clone().unwrap_or_default(),
                    a.scope.map(|v| v.to_string()).unwrap_or_default(),
                    a.scope3_category.map(|v| v.to_string()).unwrap_or_default(),
                    a.factor_set.clone().unwrap_or_default(),
                    a.factor_version.clone().unwrap_or_default(),
                    a.factor_code.clone().unwrap_or_default(),
                    a.factor_value.map(|v| v.to_string()).unwrap_or_default(),
                    a.factor_unit.clone().unwrap_or_default(),
                    a.fx_rate.map(|v| v.to_string()).unwrap_or_default(),
                    a.fx_source.clone().unwrap_or_default(),
                    a.deflator.map(|v| v.to_string()).unwrap_or_default(),
                    a.deflator_source.clone().unwrap_or_default(),
                    a.amount_usd_2022.map(|v| v.to_string()).unwrap_or_default(),
                    a.kg_co2e.map(|v| v.to_string()).unwrap_or_default(),
                ];
                out.write_record(fields.into_iter().map(defuse_formula))
                    .map_err(failed)?;
            }
            written += entries.len() as i64;
            if (entries.len() as i64) < page {
                break;
            }
        }
        out.flush().map_err(|e| failed(e.into()))?;
        Ok(written)
    }
}

impl App {
    /// Exports to the user's Downloads folder (or the data folder's `exports/` where
    /// there is none) under a dated name; returns the file written.
    pub fn export_ledger_to_downloads(
        &self,
        filter: &LedgerFilter,
    ) -> Result<std::path::PathBuf, AppError> {
        let dir = directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(|d| d.to_path_buf()))
            .unwrap_or_else(|| self.paths().data_dir.join("exports"));
        std::fs::create_dir_all(&dir).map_err(|e| {
            AppError::new("export", format!("Cannot create {}: {e}", dir.display()))
        })?;
        let path = dir.join(format!(
            "carbonsync-ledger-{}.csv",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        ));
        self.export_ledger_csv(filter, &path)?;
        Ok(path)
    }
}

/// OWASP's guard against CSV injection, the same rule as the window's `csvCell`
/// (`ui/src/lib/csv.ts`); both are tested against `ui/src/lib/csv-formula-cases.json`. A
/// text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
/// single quote, so an opened export shows it instead of running it as a formula. A plain
/// decimal number (`-12.50`, as amounts and kg CO2e are written) is left as it is, so it
/// stays a number in the spreadsheet.
pub(crate) fn defuse_formula(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(&cell) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// An optional minus, digits, and an optional dot followed by digits: what a decimal's and
/// an integer's `Display` write for the export's numbers (never an exponent).
fn is_plain_number(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    match unsigned.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(unsigned),
    }
}

#[cfg(test)]
mod csv_formula_tests {
    use super::defuse_formula;

    /// Each case of the table shared with the window, written by a CSV writer set up as
    /// the export's is, followed by a second field so that an empty cell is a plain field.
    #[test]
    fn every_shared_case_is_written_as_the_table_says() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../../ui/src/lib/csv-formula-cases.json"))
                .expect("the shared CSV table is valid JSON");
        let cases = table["cases"].as_array().expect("a list of cases");
        assert!(cases.len() > 20, "the shared table has its cases");
        for case in cases {
            let input = case["input"].as_str().unwrap();
            let output = case["output"].as_str().unwrap();
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record([defuse_formula(input.to_string()).as_str(), "end"])
                .unwrap();
            let written = String::from_utf8(out.into_inner().unwrap()).unwrap();
            assert_eq!(
                written,
                format!("{output},end\n"),
                "{input:?} ({})",
                case["why"]
            );
        }
    }

    #[test]
    fn numbers_as_the_export_writes_them_stay_numbers() {
        for n in [
            "-12.50",
            "-0.000123",
            "1234.5",
            "-0.0000001",
            "-987654321.25",
        ] {
            let text = n.parse::<rust_decimal::Decimal>().unwrap().to_string();
            assert_eq!(text, n, "written digit for digit");
            assert_eq!(defuse_formula(text.clone()), text, "{n}");
        }
        assert_eq!(defuse_formula((-42_i64).to_string()), "-42");
    }
}
