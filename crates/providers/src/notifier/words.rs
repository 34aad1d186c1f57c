//! The words and numbers of CarbonSync's messages as people read them, the same on every
//! platform: tonnes to one decimal place, percentages with a sign, the status of an alert,
//! and the plain-text version of a whole message (a notification's text, and what a client
//! that cannot show blocks or cards shows instead).
//!
//! Everything here is plain text, not escaped for any platform: a renderer escapes what it
//! puts into its own markup.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

use super::{Alert, AlertKind, Change, EsgReport, Figure, Message};

/// The minus sign (U+2212) that negative figures are written with, not a hyphen.
pub const MINUS: char = '\u{2212}';

/// What the unmapped-entries line tells a person to do.
pub const MAP_HINT: &str = "open CarbonSync → Emissions to map them";

/// `d` rounded half away from zero to one decimal place, with thousands separators and a
/// real minus sign: `1234.45` → `1,234.5`, `-4` → `−4.0`; a value that rounds to zero is
/// `0.0` whatever its sign.
pub fn one_decimal(d: Decimal) -> String {
    grouped(d, 1, MINUS)
}

/// `d` rounded half away from zero to `places` decimals, with thousands separators and
/// `minus` before a negative value (a value that rounds to zero has no sign):
/// `grouped(1234567.125, 2, '-')` → `1,234,567.13`.
pub fn grouped(d: Decimal, places: u32, minus: char) -> String {
    let mut rounded = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    let digits = rounded.abs().to_string();
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits.as_str(), None),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if rounded.is_sign_negative() && !rounded.is_zero() {
        out.push(minus);
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(f) = fraction {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Tonnes CO2e as people read them: `1,234.5 t CO2e` (rounded half-up to one decimal
/// place); `< 0.1 t CO2e` for anything above zero and below 0.1, so a small but real amount
/// never reads as nothing; `0.0 t CO2e` for zero.
pub fn t_co2e(d: Decimal) -> String {
    if d > Decimal::ZERO && d < Decimal::new(1, 1) {
        return "< 0.1 t CO2e".to_owned();
    }
    format!("{} t CO2e", one_decimal(d))
}

/// A percentage with its sign: `+12.3%`, `−4.0%` (U+2212), `0.0%`; `n/a` when there is none
/// (the base it would divide by is zero).
pub fn percent(p: Option<Decimal>) -> String {
    let Some(p) = p else {
        return "n/a".to_owned();
    };
    let text = one_decimal(p);
    let rounded = p.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    if rounded > Decimal::ZERO {
        format!("+{text}%")
    } else {
        format!("{text}%")
    }
}

/// A comparison in one line: `+12.3% against October 2024 (1,100.0 t CO2e)`;
/// `n/a against October 2024 (0.0 t CO2e)` when the earlier total was zero.
pub fn change_line(c: &Change) -> String {
    format!(
        "{} against {} ({})",
        percent(c.percent),
        c.against,
        t_co2e(c.earlier_t_co2e)
    )
}

/// The report's title: `Emissions report · November 2024`, with ` (sandbox)` for the
/// built-in sandbox's data.
pub fn report_title(r: &EsgReport) -> String {
    let mut title = format!("Emissions report · {}", r.period_label);
    if r.sandbox {
        title.push_str(" (sandbox)");
    }
    title
}

/// How the total splits: `81.0% spend-based, 19.0% reported by providers`.
pub fn share_line(r: &EsgReport) -> String {
    let share = |p: Option<Decimal>| match p {
        Some(p) => format!("{}%", one_decimal(p)),
        None => "n/a".to_owned(),
    };
    format!(
        "{} spend-based, {} reported by providers",
        share(r.spend_based_percent),
        share(r.reported_percent)
    )
}

/// `3 entries to review` (`1 entry to review`): entries of the period with no emission
/// factor yet; see [`unmapped_line`] for the whole sentence.
pub fn unmapped_count(n: i64) -> String {
    if n == 1 {
        "1 entry to review".to_owned()
    } else {
        format!("{n} entries to review")
    }
}

/// The sentence about unmapped entries, with [`MAP_HINT`]; `None` when there are none.
pub fn unmapped_line(n: i64) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "{}: no emission factor yet, so not counted above; {MAP_HINT}.",
            unmapped_count(n)
        )
    })
}

/// An alert's status in words, without emoji: "Sync failed", "Reconnect needed",
/// "Syncs paused by a platform limit", or "Resolved: …" once the incident is over.
pub fn alert_status(a: &Alert) -> &'static str {
    match (a.kind, a.resolved) {
        (AlertKind::SyncFailed, false) => "Sync failed",
        (AlertKind::NeedsReconnect, false) => "Reconnect needed",
        (AlertKind::LimitPaused, false) => "Syncs paused by a platform limit",
        (AlertKind::SyncFailed, true) => "Resolved: syncs work again",
        (AlertKind::NeedsReconnect, true) => "Resolved: reconnected",
        (AlertKind::LimitPaused, true) => "Resolved: syncs resumed",
    }
}

/// A moment in UTC as `30 Nov 2024 14:05 UTC` (where a platform cannot show it in the
/// reader's own time zone).
pub fn utc_time(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y %H:%M UTC").to_string()
}

/// `Label: 12.3 t CO2e`.
pub fn figure_line(f: &Figure) -> String {
    format!("{}: {}", f.label, t_co2e(f.t_co2e))
}

/// The plain-text version of `m`: a notification's text and what a client without blocks
/// or cards shows. Lines separated by `\n`; the first says what the message is.
pub fn fallback_text(m: &Message) -> String {
    match m {
        Message::Report(r) => report_text(r),
        Message::Alert(a) => alert_text(a),
    }
}

fn report_text(r: &EsgReport) -> String {
    let figures = |figures: &[Figure]| {
        if figures.is_empty() {
            "none".to_owned()
        } else {
            figures
                .iter()
                .map(|f| format!("{} ({})", f.label, t_co2e(f.t_co2e)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut lines = vec![
        report_title(r),
        format!(
            "Total: {} (spend-based {}, reported by providers {}{})",
            t_co2e(r.total_t_co2e),
            t_co2e(r.spend_based_t_co2e),
            t_co2e(r.reported_t_co2e),
            if r.overlap_t_co2e.is_zero() {
                String::new()
            } else {
                format!(", less {} counted in both", t_co2e(r.overlap_t_co2e))
            }
        ),
        format!(
            "By scope: {}",
            r.by_scope
                .iter()
                .map(figure_line)
                .collect::<Vec<_>>()
                .join(" · ")
        ),
        format!("Month on month: {}", change_line(&r.vs_previous_month)),
        format!("Year on year: {}", change_line(&r.vs_year_before)),
        format!("Largest categories: {}", figures(&r.top_categories)),
        format!("Largest suppliers: {}", figures(&r.top_suppliers)),
        format!("Share: {}", share_line(r)),
    ];
    lines.extend(unmapped_line(r.unmapped_entries));
    if let Some(note) = &r.overlap_note {
        lines.push(format!("Overlap: {note}"));
    }
    lines.push(r.method.clone());
    lines.join("\n")
}

fn alert_text(a: &Alert) -> String {
    let sandbox = if a.sandbox { " (sandbox)" } else { "" };
    let mut lines = vec![
        format!("{}{sandbox}: {}", alert_status(a), a.connection),
        a.what.clone(),
    ];
    if !a.resolved && !a.fix.is_empty() {
        lines.push(format!("What to do: {}", a.fix));
    }
    lines.push(utc_time(a.at));
    lines.join("\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal::dec;

    /// A November report like the sandbox's, for this module's and the renderers' tests.
    pub(crate) fn report() -> EsgReport {
        let figure = |label: &str, t: Decimal| Figure {
            label: label.to_owned(),
            t_co2e: t,
        };
        EsgReport {
            period: "2024-11".to_owned(),
            period_label: "November 2024".to_owned(),
            total_t_co2e: dec!(1234.45),
            spend_based_t_co2e: dec!(1000.05),
            reported_t_co2e: dec!(234.4),
            overlap_t_co2e: dec!(0),
            by_scope: vec![
                figure("Scope 1", dec!(12.25)),
                figure("Scope 2", dec!(0.04)),
                figure("Scope 3", dec!(1222.16)),
            ],
            vs_previous_month: Change {
                against: "October 2024".to_owned(),
                earlier_t_co2e: dec!(1100),
                percent: Some(dec!(12.2)),
            },
            vs_year_before: Change {
                against: "November 2023".to_owned(),
                earlier_t_co2e: dec!(1286),
                percent: Some(dec!(-4.0)),
            },
            top_categories: vec![
                figure("Purchased goods and services", dec!(800.1)),
                figure("Business travel", dec!(200)),
                figure("Cloud computing", dec!(120)),
                figure("Capital goods", dec!(60)),
                figure("Waste", dec!(0.05)),
            ],
            top_suppliers: vec![
                figure("Harbour & Pine Ltd", dec!(500)),
                figure("<!channel>", dec!(300)),
                figure("Acme <b>Travel</b>", dec!(100)),
                figure("Northwind", dec!(50)),
                figure("Contoso", dec!(10)),
            ],
            spend_based_percent: Some(dec!(81.0)),
            reported_percent: Some(dec!(19.0)),
            unmapped_entries: 3,
            overlap_note: Some(
                "Salesforce reports 12.0 t CO2e that the books also count for Business travel."
                    .to_owned(),
            ),
            chart: Vec::new(),
            method: "Spend-based: EXIOBASE 3.8 (2022 prices); reported: as published, \
                     location-based."
                .to_owned(),
            sandbox: false,
        }
    }

    /// An open sync failure with a retry button.
    pub(crate) fn alert() -> Alert {
        Alert {
            incident_id: 7,
            kind: AlertKind::SyncFailed,
            resolved: false,
            connection_id: 42,
            connection: "Xero: Harbour & Pine Ltd".to_owned(),
            what: "The last 3 syncs failed: Xero answered 500 <!here>.".to_owned(),
            fix: "Retry later; if it goes on, check Xero's status page.".to_owned(),
            at: Utc.with_ymd_and_hms(2024, 11, 30, 14, 5, 0).unwrap(),
            retry_button: true,
            sandbox: false,
        }
    }

    #[test]
    fn tonnes_round_half_up_with_separators() {
        assert_eq!(t_co2e(dec!(1234.45)), "1,234.5 t CO2e");
        assert_eq!(t_co2e(dec!(1234.44)), "1,234.4 t CO2e");
        assert_eq!(t_co2e(dec!(0.15)), "0.2 t CO2e");
        assert_eq!(t_co2e(dec!(1234567)), "1,234,567.0 t CO2e");
        assert_eq!(t_co2e(dec!(999.96)), "1,000.0 t CO2e");
        assert_eq!(t_co2e(dec!(100)), "100.0 t CO2e");
        assert_eq!(t_co2e(dec!(0.1)), "0.1 t CO2e");
        assert_eq!(t_co2e(dec!(0.0999)), "< 0.1 t CO2e");
        assert_eq!(t_co2e(dec!(0.05)), "< 0.1 t CO2e");
        assert_eq!(t_co2e(dec!(0.000001)), "< 0.1 t CO2e");
        assert_eq!(t_co2e(Decimal::ZERO), "0.0 t CO2e");
        assert_eq!(t_co2e(dec!(-1234.45)), "\u{2212}1,234.5 t CO2e");
        assert_eq!(t_co2e(dec!(-0.04)), "0.0 t CO2e");
    }

    #[test]
    fn percentages_carry_a_real_sign() {
        assert_eq!(percent(Some(dec!(12.3))), "+12.3%");
        assert_eq!(percent(Some(dec!(12.25))), "+12.3%");
        assert_eq!(percent(Some(dec!(-4))), "\u{2212}4.0%");
        assert_eq!(percent(Some(dec!(-4.05))), "\u{2212}4.1%");
        assert_eq!(percent(Some(dec!(1234.5))), "+1,234.5%");
        assert_eq!(percent(Some(Decimal::ZERO)), "0.0%");
        assert_eq!(percent(Some(dec!(-0.01))), "0.0%");
        assert_eq!(percent(None), "n/a");
        assert!(
            !percent(Some(dec!(-4))).contains('-'),
            "a hyphen, not a minus"
        );
    }

    #[test]
    fn changes_in_one_line() {
        let r = report();
        assert_eq!(
            change_line(&r.vs_previous_month),
            "+12.2% against October 2024 (1,100.0 t CO2e)"
        );
        assert_eq!(
            change_line(&r.vs_year_before),
            "\u{2212}4.0% against November 2023 (1,286.0 t CO2e)"
        );
        let none = Change {
            against: "October 2024".to_owned(),
            earlier_t_co2e: Decimal::ZERO,
            percent: None,
        };
        assert_eq!(change_line(&none), "n/a against October 2024 (0.0 t CO2e)");
    }

    #[test]
    fn report_fallback_says_everything_in_plain_text() {
        let mut r = report();
        r.sandbox = true;
        let text = fallback_text(&Message::Report(Box::new(r)));
        let first = text.lines().next().unwrap();
        assert_eq!(first, "Emissions report · November 2024 (sandbox)");
        assert!(text.contains("Total: 1,234.5 t CO2e (spend-based 1,000.1 t CO2e, reported by providers 234.4 t CO2e)"), "{text}");
        assert!(text.contains("Scope 2: < 0.1 t CO2e"), "{text}");
        assert!(
            text.contains("Harbour & Pine Ltd (500.0 t CO2e)"),
            "plain, not escaped: {text}"
        );
        assert!(text.contains("3 entries to review"), "{text}");
        assert!(text.contains(MAP_HINT), "{text}");
        assert!(text.contains("Share: 81.0% spend-based, 19.0% reported by providers"));
        assert!(text.contains("Overlap: Salesforce"));
    }

    #[test]
    fn alert_fallback_and_status_words() {
        let mut a = alert();
        let text = fallback_text(&Message::Alert(a.clone()));
        assert_eq!(
            text,
            "Sync failed: Xero: Harbour & Pine Ltd\n\
             The last 3 syncs failed: Xero answered 500 <!here>.\n\
             What to do: Retry later; if it goes on, check Xero's status page.\n\
             30 Nov 2024 14:05 UTC"
        );
        a.resolved = true;
        a.kind = AlertKind::NeedsReconnect;
        assert_eq!(alert_status(&a), "Resolved: reconnected");
        let text = fallback_text(&Message::Alert(a));
        assert!(!text.contains("What to do"), "{text}");
        assert_eq!(unmapped_line(0), None);
        assert_eq!(unmapped_count(1), "1 entry to review");
    }
}
