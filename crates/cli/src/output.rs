//! Plain-text tables for people; `--json` prints the same data for programs.

use carbonsync_core::{
    Connection, EmissionsSummary, LedgerEntry, ProviderView, SyncReport, SyncRun,
};
use serde::Serialize;

pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

fn kg(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{:.2} t", v / 1000.0)
    } else {
        format!("{v:.1} kg")
    }
}

pub fn providers(list: &[ProviderView]) {
    let mut last = String::new();
    for p in list {
        if p.category_label != last {
            println!("{}", p.category_label);
            last = p.category_label.clone();
        }
        let state = if !p.available {
            "not yet available".to_string()
        } else if p.sandbox {
            format!("available, sandbox ({} connected)", p.connections)
        } else {
            format!("available ({} connected)", p.connections)
        };
        println!(
            "  {:<12} {:<20} {:<22} {}",
            p.id, p.name, p.auth_label, state
        );
    }
}

pub fn connections(list: &[Connection]) {
    if list.is_empty() {
        println!("No connections yet. Connect one with `carbonsync connect xero`.");
        return;
    }
    println!(
        "{:<4} {:<8} {:<28} {:<5} {:<16} {:<9} LAST SYNC",
        "ID", "PLATFORM", "ORGANISATION", "CCY", "STATUS", "SCHEDULE"
    );
    for c in list {
        let status = format!(
            "{}{}",
            c.status.as_str(),
            if c.sandbox { " (sandbox)" } else { "" }
        );
        let last = match (&c.last_sync_at, &c.last_status) {
            (Some(at), Some(s)) => format!("{} {}", &at[..16.min(at.len())], s),
            _ => "never".into(),
        };
        println!(
            "{:<4} {:<8} {:<28} {:<5} {:<16} {:<9} {}",
            c.id,
            c.provider,
            c.tenant_name,
            c.base_currency.as_deref().unwrap_or("-"),
            status,
            c.frequency,
            last
        );
        if let Some(e) = &c.last_error {
            println!("     ↳ {e}");
        }
    }
}

pub fn sync_report(id: i64, r: &SyncReport) {
    let c = &r.counts;
    println!(
        "Connection {id}: {} calls, {} pages; {} records fetched: {} new, {} updated, {} deleted, {} unchanged; {} emission entries ({:+.1} kg CO2e){}{}",
        c.calls,
        c.pages,
        c.fetched,
        c.created,
        c.updated,
        c.deleted,
        c.skipped,
        c.emissions_added,
        c.kg_co2e_delta,
        if c.rate_limited > 0 { format!("; waited out {} rate limits", c.rate_limited) } else { String::new() },
        if r.refreshed_token { "; sign-in renewed" } else { "" },
    );
}

pub fn logs(runs: &[SyncRun]) {
    if runs.is_empty() {
        println!("No syncs yet.");
        return;
    }
    println!(
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
        println!(
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
        if let Some(m) = &r.error_message {
            println!("      ↳ {m}");
        }
    }
}

pub fn emissions(s: &EmissionsSummary) {
    let t = &s.totals;
    println!(
        "Total: {} CO2e from {} counted lines (spend {:.2} in 2022 USD)",
        kg(t.kg_co2e),
        t.counted,
        t.spend_usd_2022
    );
    println!(
        "Not counted: {} excluded (not purchases), {} unmapped (need a category)",
        t.excluded, t.unmapped
    );
    if !s.groups.is_empty() {
        println!();
        for g in &s.groups {
            let key = match g.scope {
                Some(scope) => format!("{} scope {scope}", g.key),
                None => g.key.clone(),
            };
            if g.totals.counted == 0 {
                let not_counted = g.totals.excluded + g.totals.unmapped;
                println!("  {key:<44} {:>14} {not_counted:>7} lines not counted", "-");
            } else {
                println!(
                    "  {:<44} {:>14} {:>7} lines",
                    key,
                    kg(g.totals.kg_co2e),
                    g.totals.counted
                );
            }
        }
    }
    println!();
    println!("Method: {}", s.method);
}

pub fn ledger(entries: &[LedgerEntry]) {
    println!(
        "{:<10} {:<26} {:<6} {:>12} {:<4} {:<10} {:<9} {:>10}",
        "DATE", "CONTACT", "ACCT", "AMOUNT", "CCY", "STATUS", "FACTOR", "KG CO2E"
    );
    for e in entries {
        let a = &e.assessment;
        let status = a.status.as_str();
        println!(
            "{:<10} {:<26} {:<6} {:>12.2} {:<4} {:<10} {:<9} {:>10}",
            e.date,
            e.contact
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(26)
                .collect::<String>(),
            e.account_code.as_deref().unwrap_or("-"),
            e.net_amount,
            e.currency,
            status,
            a.factor_code.as_deref().unwrap_or("-"),
            a.kg_co2e
                .map(|k| format!("{k:.2}"))
                .unwrap_or_else(|| "-".into())
        );
        if a.kg_co2e.is_none() {
            if let Some(r) = &a.reason {
                println!("           ↳ {r}");
            }
        }
    }
}
