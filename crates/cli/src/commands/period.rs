//! `carbonsync period`: close a period so its numbers stay as reported, list closes, see the
//! changes after close, restate or leave them, reopen with a reason.

use carbonsync_core::{
    App, AppError, ChangeAfterClose, CloseChangeKind, ClosedLine, Period, PeriodClose,
};

use crate::output::{kg, local_time, print_json, truncate};
use crate::PeriodCmd;

/// `text` as a period, with `--fy-start-month`, which only a financial year (FY2024) has:
/// given with another period it is refused, so that `2024 --fy-start-month 4` is not
/// taken for April to March without a word.
fn period_arg(text: &str, fy_start_month: u32) -> Result<Period, AppError> {
    let p = Period::parse(text, fy_start_month)?;
    if fy_start_month != 1 && !p.label.starts_with("FY") {
        let fy = Period::parse(&format!("FY{}", &p.from[..4]), fy_start_month)?;
        return Err(AppError::new(
            "usage",
            format!(
                "--fy-start-month is for a financial year, and {} is not one ({} to {}): \
                 write {} for {} to {}, or leave --fy-start-month out",
                p.label, p.from, p.to, fy.label, fy.from, fy.to
            ),
        ));
    }
    Ok(p)
}

pub fn period(app: &App, action: Option<PeriodCmd>, json: bool) -> Result<(), AppError> {
    match action.unwrap_or(PeriodCmd::List) {
        PeriodCmd::List => {
            let closes = app.period_closes()?;
            if json {
                print_json(&closes);
            } else {
                list(&closes);
            }
        }
        PeriodCmd::Close {
            period,
            fy_start_month,
            note,
        } => {
            let p = period_arg(&period, fy_start_month)?;
            let c = app.close_period(&p, note.as_deref())?;
            if json {
                print_json(&c);
            } else {
                say!(
                    "Closed {} ({} to {}): {} CO2e from {} counted entries, as reported now.",
                    c.label,
                    c.from,
                    c.to,
                    kg(c.reported.kg_co2e),
                    c.reported.counted
                );
                if !c.took_in.is_empty() {
                    say!(
                        "It takes in {}, closed before: their days count as they reported them, \
                         and their changes after close are {}'s now.",
                        c.took_in.join(", "),
                        c.label
                    );
                }
                say!(
                    "Later syncs no longer change these numbers; what they change in the period \
                     is listed by `carbonsync period changes {}`.",
                    c.label
                );
            }
        }
        PeriodCmd::Reopen { period, reason } => {
            let c = app.reopen_period(&period, reason.as_deref().unwrap_or(""))?;
            if json {
                print_json(&c);
            } else {
                say!(
                    "Reopened {}: its totals are the live ledger's again. The close and the \
                     reason are in the audit trail.",
                    c.label
                );
                match c.took_in.as_slice() {
                    [] => {}
                    [one] => say!(
                        "{one}, which it took in, stands again as it reported; reopen it too to \
                         read its days from the live ledger."
                    ),
                    many => say!(
                        "{}, which it took in, stand again as they reported; reopen them too to \
                         read their days from the live ledger.",
                        many.join(", ")
                    ),
                }
            }
        }
        PeriodCmd::Changes { period } => {
            let changes = app.changes_after_close(period.as_deref())?;
            if json {
                print_json(&changes);
            } else {
                changes_table(&changes);
            }
        }
        PeriodCmd::Restate { period, entry, why } => {
            let entries = (!entry.is_empty()).then_some(entry.as_slice());
            let r = app.restate_period(&period, entries, why.as_deref())?;
            if json {
                print_json(&r);
            } else {
                say!(
                    "Restated {}: {} {} accepted; {} CO2e → {} CO2e. The restatement is in the \
                     audit trail.",
                    r.label,
                    r.entries,
                    if r.entries == 1 { "change" } else { "changes" },
                    kg(r.before.kg_co2e),
                    kg(r.after.kg_co2e)
                );
            }
        }
        PeriodCmd::Leave { period, entry, why } => {
            let entries = (!entry.is_empty()).then_some(entry.as_slice());
            let n = app.leave_changes(&period, entries, why.as_deref())?;
            if json {
                print_json(&serde_json::json!({ "left": n }));
            } else {
                say!(
                    "Left {n} {} out of {period}'s numbers; {} listed again only if the entry \
                     changes once more.",
                    if n == 1 { "change" } else { "changes" },
                    if n == 1 { "it is" } else { "each is" }
                );
            }
        }
    }
    Ok(())
}

fn list(closes: &[PeriodClose]) {
    if closes.is_empty() {
        say!("No period is closed. Close one with `carbonsync period close 2024-03` (a month, a quarter like 2024-Q2, a year, or FY2024 with --fy-start-month).");
        return;
    }
    say!(
        "{:<8} {:<10} {:<10} {:<10} {:>14} {:>8} {:<18} {:<16}",
        "PERIOD",
        "FROM",
        "TO",
        "STATE",
        "KG CO2E",
        "CHANGES",
        "CLOSED",
        "BY"
    );
    for c in closes {
        say!(
            "{:<8} {:<10} {:<10} {:<10} {:>14} {:>8} {:<18} {:<16}",
            c.label,
            c.from,
            c.to,
            if c.standing() {
                "closed"
            } else if c.taken_into.is_some() {
                "taken in"
            } else {
                "reopened"
            },
            kg(c.reported.kg_co2e),
            if c.standing() {
                c.changes_after_close.to_string()
            } else {
                "-".into()
            },
            local_time(c.closed_at_ms),
            truncate(&c.closed_by, 16)
        );
        if let Some(into) = &c.taken_into {
            say!("         taken into {into} when {into} was closed");
        }
        if let (Some(at), Some(reason)) = (c.reopened_at_ms, &c.reopen_reason) {
            say!(
                "         reopened {} by {}: {}",
                local_time(at),
                c.reopened_by.as_deref().unwrap_or("?"),
                reason
            );
        }
    }
}

fn line_words(l: &ClosedLine) -> String {
    let counted = match l.kg_co2e {
        Some(k) => format!("{} CO2e", kg(k)),
        None => l.status.as_str().to_owned(),
    };
    format!(
        "{} {} {} {} {}",
        l.date,
        l.net_amount,
        l.currency,
        l.category.as_deref().unwrap_or("-"),
        counted
    )
}

fn changes_table(changes: &[ChangeAfterClose]) {
    if changes.is_empty() {
        say!("No changes after close: every closed period's entries are as they were reported.");
        return;
    }
    say!(
        "{:<8} {:>7} {:<8} {:<24} {:>14}  WAS → NOW",
        "PERIOD",
        "ENTRY",
        "CHANGE",
        "SUPPLIER",
        "KG CO2E DIFF"
    );
    for c in changes {
        let kind = match c.kind {
            CloseChangeKind::Added => "added",
            CloseChangeKind::Removed => "removed",
            CloseChangeKind::Changed => "changed",
        };
        say!(
            "{:<8} {:>7} {:<8} {:<24} {:>14}  {} → {}",
            c.label,
            c.entry_id,
            kind,
            truncate(c.contact.as_deref().unwrap_or("-"), 24),
            kg(c.kg_co2e_difference),
            c.reported
                .as_ref()
                .map(line_words)
                .unwrap_or_else(|| "(none)".into()),
            c.now
                .as_ref()
                .map(line_words)
                .unwrap_or_else(|| "(gone)".into()),
        );
    }
    say!();
    say!("Accept them into the period's numbers with `carbonsync period restate <PERIOD> [--entry ID …] --why \"…\"`, or leave them with `carbonsync period leave <PERIOD> …`.");
}

/// `carbonsync report --period …`: the inventory report, as words, JSON, a PDF or CSV files.
pub fn inventory_report(app: &App, args: crate::InventoryArgs) -> Result<(), AppError> {
    let Some(period) = args.period.as_deref() else {
        return Err(AppError::new(
            "usage",
            "Give the report's period: `carbonsync report --period FY2024 --pdf report.pdf` \
             (a year, a quarter like 2024-Q2, a month, or FY2024 with --fy-start-month); \
             `carbonsync report send|preview` is the monthly ESG report",
        ));
    };
    let p = period_arg(period, args.fy_start_month)?;
    let report = app.inventory_report(&p, args.connection)?;
    if let Some(path) = &args.pdf {
        let bytes = report.to_pdf()?;
        crate::output::write_private(path, &bytes).map_err(|e| {
            AppError::new(
                "export_failed",
                format!(
                    "Cannot write {}: {e}. Choose a file in a folder you can write to, with \
                     room on its disk.",
                    path.display()
                ),
            )
        })?;
        if !args.json {
            say!(
                "Wrote the {} inventory report to {}.",
                p.label,
                path.display()
            );
        }
    }
    if let Some(dir) = &args.csv {
        let files = app.write_inventory_csv(&report, dir)?;
        if !args.json {
            say!(
                "Wrote {} tables and the audit trail as CSV into {}.",
                files.len() - 1,
                dir.display()
            );
        }
    }
    if args.json {
        print_json(&report);
    } else if args.pdf.is_none() && args.csv.is_none() {
        inventory_words(&report);
    }
    Ok(())
}

fn inventory_words(r: &carbonsync_core::InventoryReport) {
    let s = &r.scopes;
    say!(
        "Greenhouse gas inventory {} ({} to {})",
        r.period.label,
        r.period.from,
        r.period.to
    );
    for warning in &r.warnings {
        say!("  ! {warning}");
    }
    say!("  Scope 1:                   {:>16}", kg(s.scope1_kg_co2e));
    say!(
        "  Scope 2 (location-based):  {:>16}",
        kg(s.scope2_location_kg_co2e)
    );
    say!(
        "  Scope 2 (market-based):    {:>16}",
        kg(s.scope2_market_kg_co2e)
    );
    say!("  Scope 3:                   {:>16}", kg(s.scope3_kg_co2e));
    say!(
        "  Total:                     {:>16}  ({} kg CO2e exactly)",
        kg(r.inventory_kg_co2e),
        r.inventory_kg_co2e,
    );
    say!(
        "    from the books:          {:>16}  ({} counted entries)",
        kg(r.totals.kg_co2e),
        r.totals.counted
    );
    if !r.reported.is_empty() {
        say!(
            "    reported by providers:   {:>16}",
            kg(r.reported_kg_co2e)
        );
    }
    if !r.replaced.is_empty() {
        say!(
            "    books' entries the inventory platform reports, left out: {}",
            kg(r.replaced_kg_co2e)
        );
    }
    if let Some(dq) = r.data_quality_score {
        say!("  Data quality score:        {dq:>16}  (1 best to 5, weighted by kg CO2e)");
    }
    say!();
    say!("Scope 3 by category:");
    for l in &r.scope3_categories {
        say!("  {:<50} {:>16}", truncate(&l.label, 50), kg(l.kg_co2e));
    }
    if !r.reported.is_empty() {
        say!();
        say!("Reported by providers (counted):");
        for l in &r.reported {
            let counted_in = match l.scope3_category {
                Some(c) => format!("Scope 3 category {c}"),
                None => format!("Scope {}", l.scope),
            };
            say!(
                "  {:<34} {:<20} {:>16}  published as Scope {}",
                truncate(&l.source, 34),
                counted_in,
                kg(l.kg_co2e),
                l.published_scope
            );
        }
    }
    say!();
    say!("Method mix:");
    for m in &r.method_mix {
        say!(
            "  {:<50} {:>16}  quality {}",
            truncate(&m.label, 50),
            kg(m.kg_co2e),
            m.data_quality
        );
    }
    if !r.audit.intact {
        say!();
        say!(
            "The audit trail's chain is broken at row {}: run `carbonsync audit verify`.",
            r.audit.broken_at.unwrap_or_default()
        );
    }
    say!();
    say!("Write it as a PDF with --pdf FILE, or every table as CSV with --csv DIR.");
}
