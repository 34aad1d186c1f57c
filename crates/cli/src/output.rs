//! Plain-text tables for people; `--json` prints the same data for programs.

use carbonsync_core::{
    Connection, ConnectionStatus, EmissionsSummary, LedgerEntry, ProviderView, SyncReport, SyncRun,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Writes one line of the command's output. When the reader has gone (`carbonsync … | head`),
/// the program ends quietly with success, as other command-line tools do; any other failure
/// to write ends it with a message.
pub fn emit(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(line).and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}

pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => say!("{s}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

/// `v` with exactly `places` decimals, rounded half away from zero, for a table (the JSON
/// output keeps every digit).
pub(crate) fn fixed(v: Decimal, places: u32) -> String {
    let mut r = v.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        // "-0.0" would read as a tiny negative emission.
        r.set_sign_positive(true);
    }
    r.rescale(places);
    r.to_string()
}

pub(crate) fn kg(v: Decimal) -> String {
    if v.abs() >= Decimal::ONE_THOUSAND {
        format!("{} t", fixed(v / Decimal::ONE_THOUSAND, 2))
    } else {
        format!("{} kg", fixed(v, 1))
    }
}

/// A change of kg CO2e with its sign: "+12.5", "-3.0", "+0.0".
fn signed_kg(v: Decimal) -> String {
    let text = fixed(v, 1);
    if text.starts_with('-') {
        text
    } else {
        format!("+{text}")
    }
}

pub fn providers(list: &[ProviderView]) {
    let mut last = String::new();
    for p in list {
        if p.category_label != last {
            say!("{}", p.category_label);
            last = p.category_label.clone();
        }
        let state = if !p.available {
            "not yet available".to_string()
        } else if p.sandbox {
            format!("available, sandbox ({} connected)", p.connections)
        } else {
            format!("available ({} connected)", p.connections)
        };
        say!(
            "  {:<12} {:<20} {:<22} {}",
            p.id,
            p.name,
            p.auth_label,
            state
        );
    }
}

pub fn connections(list: &[Connection]) {
    if list.is_empty() {
        say!("No connections yet. Connect one with `carbonsync connect xero` or `carbonsync connect quickbooks` (`carbonsync providers` lists every platform).");
        return;
    }
    let status_of = |c: &Connection| {
        format!(
            "{}{}",
            c.status.as_str(),
            if c.sandbox { " (sandbox)" } else { "" }
        )
    };
    // As wide as the longest status shown, so "needs_reconnect (sandbox)" keeps the columns.
    let width = list
        .iter()
        .map(|c| status_of(c).chars().count())
        .max()
        .unwrap_or(0)
        .max("STATUS".len());
    say!(
        "{:<4} {:<10} {:<28} {:<5} {:<width$} {:<9} LAST SYNC",
        "ID",
        "PLATFORM",
        "ORGANISATION",
        "CCY",
        "STATUS",
        "SCHEDULE"
    );
    for c in list {
        let status = status_of(c);
        let last = match (&c.last_sync_at, &c.last_status) {
            (Some(at), Some(s)) => format!("{} {}", &at[..16.min(at.len())], s),
            _ => "never".into(),
        };
        say!(
            "{:<4} {:<10} {:<28} {:<5} {:<width$} {:<9} {}",
            c.id,
            c.provider,
            c.tenant_name,
            c.base_currency.as_deref().unwrap_or("-"),
            status,
            c.frequency,
            last
        );
        let hold = schedule_hold(c);
        // A held schedule usually gives the last error as its reason: say it once.
        if let Some(e) = &c.last_error {
            if hold.is_none() || c.pause_reason.as_ref() != Some(e) {
                say!("     ↳ {e}");
            }
        }
        if let Some(hold) = hold {
            say!("     ↳ {hold}");
        }
    }
}

/// The schedule's state when it is held, in the terminal's local time, with what to do
/// when it waits for the person.
pub fn schedule_hold(c: &Connection) -> Option<String> {
    let words = c.schedule_hold_words_local()?;
    if !c.schedule_stopped {
        return Some(words);
    }
    let todo = if c.status == ConnectionStatus::NeedsReconnect {
        format!(
            "Reconnect it with `carbonsync connect {} --tenant \"{}\"`; the schedule starts again by itself.",
            c.provider, c.tenant_name
        )
    } else {
        format!(
            "Once the cause is fixed, run `carbonsync sync {}` (or choose a frequency with `carbonsync schedule {} …`) to start the schedule again.",
            c.id, c.id
        )
    };
    Some(format!("{words} {todo}"))
}

pub fn sync_report(id: i64, r: &SyncReport) {
    let c = &r.counts;
    say!(
        "Connection {id}: {} calls, {} pages; {} records fetched: {} new, {} updated, {} deleted, {} unchanged, {} set aside; {} emission {} ({} kg CO2e){}{}",
        c.calls,
        c.pages,
        c.fetched,
        c.created,
        c.updated,
        c.deleted,
        c.skipped - c.set_aside,
        c.set_aside,
        c.emissions_added,
        if c.emissions_added == 1 { "entry" } else { "entries" },
        signed_kg(c.kg_co2e_delta),
        if c.rate_limited > 0 { format!("; waited out {} rate limits", c.rate_limited) } else { String::new() },
        if r.refreshed_token { "; sign-in renewed" } else { "" },
    );
}

pub fn logs(runs: &[SyncRun]) {
    if runs.is_empty() {
        say!("No syncs yet.");
        return;
    }
    say!(
        "{:<5} {:<4} {:<9} {:<20} {:<11} {:>6} {:>8} {:>7} {:>7} {:>7} {:>8}",
        "RUN",
        "CONN",
        "TRIGGER",
        "STARTED",
        "STATUS",
        "PAGES",
        "FETCHED",
        "NEW",
        "UPDATED",
        "DELETED",
        "SKIPPED"
    );
    for r in runs {
        let c = &r.counts;
        say!(
            "{:<5} {:<4} {:<9} {:<20} {:<11} {:>6} {:>8} {:>7} {:>7} {:>7} {:>8}",
            r.id,
            r.connection_id,
            r.trigger,
            &r.started_at[..19.min(r.started_at.len())],
            r.status.as_str(),
            c.pages,
            c.fetched,
            c.created,
            c.updated,
            c.deleted,
            c.skipped
        );
        for note in &r.notes {
            say!("      · {note}");
        }
        if let Some(m) = &r.error_message {
            say!("      ↳ {m}");
        }
    }
}

/// Records set aside, one line each: where, which, why.
pub fn set_aside(records: &[carbonsync_core::SetAsideRecord]) {
    if records.is_empty() {
        say!("No records set aside: everything the platforms sent could be read.");
        return;
    }
    say!(
        "{:<5} {:<4} {:<18} {:<38} REASON",
        "ID",
        "CONN",
        "STREAM",
        "RECORD"
    );
    for r in records {
        say!(
            "{:<5} {:<4} {:<18} {:<38} {}",
            r.id,
            r.connection_id,
            r.stream,
            r.record_id.as_deref().unwrap_or("(no id)"),
            r.reason
        );
    }
    say!(
        "A record leaves this list when a later sync reads it (once it is corrected at the \
         platform, or with `carbonsync sync <id> --full`). \
         `carbonsync logs --set-aside --json` shows each as the platform sent it."
    );
}

/// After the history: how many records are set aside, and where to see them.
pub fn set_aside_note(records: &[carbonsync_core::SetAsideRecord]) {
    if !records.is_empty() {
        say!(
            "\n{} record(s) could not be read and were set aside; the rest were synced. \
             See them with `carbonsync logs --set-aside`.",
            records.len()
        );
    }
}

pub fn emissions(s: &EmissionsSummary) {
    let t = &s.totals;
    say!(
        "Total: {} CO2e from {} counted lines (spend {} in 2022 USD)",
        kg(t.kg_co2e),
        t.counted,
        fixed(t.spend_usd_2022, 2)
    );
    say!(
        "Not counted: {} excluded (not purchases, or deleted in the source), {} unmapped (need a category)",
        t.excluded,
        t.unmapped
    );
    if !s.groups.is_empty() {
        say!();
        for g in &s.groups {
            let key = match g.scope {
                Some(scope) => format!("{} scope {scope}", g.key),
                None => g.key.clone(),
            };
            if g.totals.counted == 0 {
                let not_counted = g.totals.excluded + g.totals.unmapped;
                say!("  {key:<44} {:>14} {not_counted:>7} lines not counted", "-");
            } else {
                say!(
                    "  {:<44} {:>14} {:>7} lines",
                    key,
                    kg(g.totals.kg_co2e),
                    g.totals.counted
                );
            }
        }
    }
    let r = &s.reported;
    if r.rows > 0 {
        say!();
        say!(
            "Reported by cloud providers and inventories (their own numbers, not added to the total above): {} CO2e location-based, {} CO2e market-based, from {} rows",
            kg(r.location_kg_co2e),
            kg(r.market_kg_co2e),
            r.rows
        );
        scope2_market_only_note(r);
        for g in &s.reported_groups {
            let key = match g.scope {
                Some(scope) => format!("{} scope {scope}", g.key),
                None => g.key.clone(),
            };
            say!(
                "  {:<44} {:>14} location-based {:>14} market-based",
                key,
                kg(g.totals.location_kg_co2e),
                kg(g.totals.market_kg_co2e)
            );
        }
    }
    say!();
    say!("Method: {}", s.method);
    if r.rows > 0 {
        say!("Reported: as each platform reports it (AWS, Azure, Google Cloud, Salesforce Net Zero Cloud), never re-estimated; spend with a cloud provider in a month it reports is excluded from the spend-based total.");
    }
}

/// Says which closed periods the totals hold as reported at close, and their waiting changes.
pub fn closes_note(closes: &[carbonsync_core::PeriodClose]) {
    for c in closes {
        let waiting = match c.changes_after_close {
            0 => String::new(),
            1 => format!(
                "; 1 change after close waits (`carbonsync period changes {}`)",
                c.label
            ),
            n => format!(
                "; {n} changes after close wait (`carbonsync period changes {}`)",
                c.label
            ),
        };
        say!(
            "Closed: {} ({} to {}) counts as reported when closed on {} by {}{}.",
            c.label,
            c.from,
            c.to,
            local_time(c.closed_at_ms),
            c.closed_by,
            waiting
        );
    }
}

pub fn ledger(entries: &[LedgerEntry]) {
    say!(
        "{:<10} {:<26} {:<16} {:>12} {:<4} {:<10} {:<9} {:>10}",
        "DATE",
        "CONTACT",
        "ACCOUNT",
        "AMOUNT",
        "CCY",
        "STATUS",
        "FACTOR",
        "KG CO2E"
    );
    for e in entries {
        let a = &e.assessment;
        let status = a.status.as_str();
        say!(
            "{:<10} {:<26} {:<16} {:>12} {:<4} {:<10} {:<9} {:>10}",
            e.date,
            e.contact
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(26)
                .collect::<String>(),
            // The code people know the account by; its name where the chart has no codes
            // (QuickBooks Online).
            e.account_code
                .as_deref()
                .or(e.account_name.as_deref())
                .unwrap_or("-")
                .chars()
                .take(16)
                .collect::<String>(),
            fixed(e.net_amount, 2),
            e.currency,
            status,
            a.factor_code.as_deref().unwrap_or("-"),
            a.kg_co2e.map(|k| fixed(k, 2)).unwrap_or_else(|| "-".into())
        );
        if a.kg_co2e.is_none() {
            if let Some(r) = &a.reason {
                say!("           ↳ {r}");
            }
        }
    }
}

/// "November 2024" from `2024-11`.
fn month_words(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| month.to_owned())
}

/// Says by how much a location-based total is short when a provider publishes Scope 2
/// market-based only (Microsoft).
fn scope2_market_only_note(t: &carbonsync_core::ReportedTotals) {
    if !t.scope2_market_only_kg_co2e.is_zero() {
        say!(
            "  The location-based total leaves out {} CO2e of Scope 2 that a provider publishes market-based only (Microsoft Azure).",
            kg(t.scope2_market_only_kg_co2e)
        );
    }
}

pub fn cloud_summary(s: &carbonsync_core::CloudSummary) {
    let t = &s.totals;
    if t.rows == 0 {
        say!("No reported emissions yet: connect AWS, Azure, Google Cloud (`carbonsync connect aws`) or Salesforce (`carbonsync connect salesforce`) and sync it.");
        return;
    }
    say!(
        "Reported by cloud providers and inventories: {} CO2e location-based, {} CO2e market-based ({} rows)",
        kg(t.location_kg_co2e),
        kg(t.market_kg_co2e),
        t.rows
    );
    scope2_market_only_note(t);
    say!();
    say!("{:<44} {:>16} {:>16}", "", "LOCATION-BASED", "MARKET-BASED");
    for g in &s.groups {
        let key = match g.scope {
            Some(scope) => format!("{} scope {scope}", g.key),
            None => g.key.clone(),
        };
        say!(
            "{:<44} {:>16} {:>16}",
            truncate(&key, 44),
            kg(g.totals.location_kg_co2e),
            kg(g.totals.market_kg_co2e)
        );
    }
    if !s.overlaps.is_empty() {
        say!();
        say!(
            "Counted twice if added together: an inventory reports these months, scopes and categories, and CarbonSync also estimates them from spend. The totals never add them; choose one for your report."
        );
        say!(
            "{:<8} {:<18} {:>6} {:>16} {:>16}",
            "MONTH",
            "SCOPE",
            "CONN",
            "REPORTED",
            "SPEND-BASED"
        );
        for o in &s.overlaps {
            let scope = match o.scope3_category {
                Some(c) => format!("Scope {} cat. {c}", o.scope),
                None => format!("Scope {}", o.scope),
            };
            say!(
                "{:<8} {:<18} {:>6} {:>16} {:>16}",
                o.month,
                scope,
                o.connection_id,
                kg(o.reported_kg_co2e),
                kg(o.spend_based_kg_co2e)
            );
        }
    }
}

pub fn cloud_rows(rows: &[carbonsync_core::ReportedRow]) {
    say!(
        "{:<8} {:<14} {:<22} {:<14} {:<5} {:<8} {:>16} {:>14} {:<8}",
        "MONTH",
        "ACCOUNT",
        "SERVICE",
        "REGION",
        "SCOPE",
        "BASIS",
        "AS PUBLISHED",
        "KG CO2E",
        "MODEL"
    );
    for r in rows {
        say!(
            "{:<8} {:<14} {:<22} {:<14} {:<5} {:<8} {:>16} {:>14} {:<8}",
            r.month,
            truncate(r.account_name.as_deref().unwrap_or(&r.account), 14),
            truncate(&r.service, 22),
            truncate(r.region.as_deref().unwrap_or("-"), 14),
            r.scope,
            r.basis.as_deref().unwrap_or("both"),
            format!("{} {}", r.reported_value, r.reported_unit),
            r.kg_co2e.to_string(),
            r.model_version.as_deref().unwrap_or("-")
        );
    }
}

pub fn cloud_months(months: &[carbonsync_core::ReportedMonth]) {
    if months.is_empty() {
        say!("No cloud months yet: sync a cloud connection first.");
        return;
    }
    say!(
        "{:<4} {:<15} {:<10} {:>6} {:>16} {:>16} {:>14} {:>10}",
        "CONN",
        "MONTH",
        "STATE",
        "ROWS",
        "LOCATION-BASED",
        "MARKET-BASED",
        "BILL",
        "COVERS"
    );
    for m in months {
        let state = match m.state {
            carbonsync_core::MonthState::Published => "published",
            carbonsync_core::MonthState::Pending => "pending",
        };
        let (loc, market) = if m.state == carbonsync_core::MonthState::Pending {
            ("-".to_owned(), "-".to_owned())
        } else {
            (kg(m.location_kg_co2e), kg(m.market_kg_co2e))
        };
        let bill = match (&m.spend, &m.spend_currency) {
            (Some(a), Some(c)) => format!("{} {c}", fixed(*a, 2)),
            _ => "-".to_owned(),
        };
        say!(
            "{:<4} {:<15} {:<10} {:>6} {:>16} {:>16} {:>14} {:>10}",
            m.connection_id,
            month_words(&m.month),
            state,
            m.rows,
            loc,
            market,
            bill,
            if m.covered_entries > 0 {
                format!("{} lines", m.covered_entries)
            } else {
                "-".to_owned()
            }
        );
    }
}

pub fn supplier_rules(rules: &[carbonsync_core::SupplierRule]) {
    if rules.is_empty() {
        say!("No supplier rules yet: they come with the first cloud connection.");
        return;
    }
    say!(
        "{:<4} {:<10} {:<32} {:<20} {:<8} {:<4}",
        "ID",
        "PLATFORM",
        "SUPPLIER NAME CONTAINS",
        "UNLESS LINE SAYS",
        "ORIGIN",
        "ON"
    );
    for r in rules {
        say!(
            "{:<4} {:<10} {:<32} {:<20} {:<8} {:<4}",
            r.id,
            r.platform,
            truncate(&r.pattern, 32),
            truncate(r.unless.as_deref().unwrap_or("-"), 20),
            r.origin,
            if r.enabled { "yes" } else { "no" }
        );
    }
}

/// At most `max` characters, the last one an ellipsis when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A time (ms since 1970) in the local zone, to the second.
pub(crate) fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// Writes a file readable by its owner only (charts and reports show the company's emissions).
pub(crate) fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    carbonsync_core::create_private(path)?.write_all(bytes)
}
