//! Reporting periods as people name them: a year (`2024`), a month (`2024-03`), a quarter
//! (`2024-Q2`) or a financial year (`FY2024`, the one that starts in 2024, in the month the
//! organisation's year starts).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::AppError;

/// A period: its name and its inclusive days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Period {
    /// As written: `2024`, `2024-03`, `2024-Q2`, `FY2024`.
    pub label: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
}

fn month_end(y: i32, m: u32) -> Option<NaiveDate> {
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|d| d.pred_opt())
}

impl Period {
    /// Reads `text`. `fy_start_month` (1–12) is the month a financial year starts in: with 4,
    /// `FY2024` (the year that starts in 2024) is 2024-04-01 to 2025-03-31, which may also be
    /// written with both its years, `FY2024-25` or `FY2024/2025` (labelled `FY2024-25`); with
    /// 1 it is the calendar year 2024.
    ///
    /// # Errors
    /// `usage`, in words that show the forms accepted, for anything else.
    pub fn parse(text: &str, fy_start_month: u32) -> Result<Period, AppError> {
        let p = text.trim();
        let bad = || {
            AppError::new(
                "usage",
                format!(
                    "{text:?} is not a period: write a year (2024), a month (2024-03), a quarter \
                     (2024-Q2) or a financial year (FY2024, the one that starts in 2024, or FY2024-25)"
                ),
            )
        };
        if !(1..=12).contains(&fy_start_month) {
            return Err(AppError::new(
                "usage",
                format!(
                    "The financial year cannot start in month {fy_start_month}: give 1 \
                     (January) to 12 (December)"
                ),
            ));
        }
        let year = |s: &str| -> Result<i32, AppError> {
            match s.parse::<i32>() {
                Ok(y) if (1900..=9999).contains(&y) && s.len() == 4 => Ok(y),
                _ => Err(bad()),
            }
        };
        let upper = p.to_ascii_uppercase();
        // One written form for each period (2024-3 is 2024-03, fy2024/2025 is FY2024-25), so
        // that a close is found by any way of naming it.
        let (label, first, last) = if let Some(y) = upper.strip_prefix("FY") {
            let (label, y) = match y.split_once(['-', '/']) {
                // The two-year form (FY2024-25, FY2024/2025), as UK accounts write a year that
                // does not start in January: it must name the years the start month gives.
                Some((a, b)) => {
                    let a = year(a)?;
                    let second = a + 1;
                    let named = match b.len() {
                        2 => b.parse::<i32>().ok() == Some(second % 100),
                        4 => b.parse::<i32>().ok() == Some(second),
                        _ => false,
                    };
                    if !named {
                        return Err(bad());
                    }
                    if fy_start_month == 1 {
                        return Err(AppError::new(
                            "usage",
                            format!(
                                "A financial year that starts in January lies in one calendar \
                                 year: write FY{a}, or give the month it starts in with \
                                 --fy-start-month (4 for April)"
                            ),
                        ));
                    }
                    (format!("FY{a}-{:02}", second % 100), a)
                }
                None => {
                    let a = year(y)?;
                    (format!("FY{a}"), a)
                }
            };
            let first = NaiveDate::from_ymd_opt(y, fy_start_month, 1);
            let last = first
                .and_then(|f| f.checked_add_months(chrono::Months::new(12)))
                .and_then(|d| d.pred_opt());
            (label, first, last)
        } else if let Some((y, q)) = upper.split_once("-Q") {
            let y = year(y)?;
            let q: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            (
                format!("{y}-Q{q}"),
                NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1),
                month_end(y, q * 3),
            )
        } else if let Some((y, m)) = p.split_once('-') {
            let y = year(y)?;
            if m.len() > 2 {
                return Err(bad());
            }
            let m: u32 = m.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&m) {
                return Err(bad());
            }
            (
                format!("{y}-{m:02}"),
                NaiveDate::from_ymd_opt(y, m, 1),
                month_end(y, m),
            )
        } else {
            let y = year(p)?;
            (
                y.to_string(),
                NaiveDate::from_ymd_opt(y, 1, 1),
                NaiveDate::from_ymd_opt(y, 12, 31),
            )
        };
        match (first, last) {
            (Some(f), Some(l)) => Ok(Period {
                label,
                from: f.format("%Y-%m-%d").to_string(),
                to: l.format("%Y-%m-%d").to_string(),
            }),
            _ => Err(bad()),
        }
    }

    /// The one written form of the period `text` names (`2024-3` → `2024-03`, `fy2024/2025`
    /// → `FY2024-25`), which does not depend on the financial year's start month; `text`
    /// trimmed and in capitals when it names no period.
    pub fn canonical_label(text: &str) -> String {
        Period::parse(text, 1)
            .or_else(|_| Period::parse(text, 4))
            .map(|p| p.label)
            .unwrap_or_else(|_| text.trim().to_ascii_uppercase())
    }

    /// Whether the period's last day is before `today`.
    pub fn ended_before(&self, today: NaiveDate) -> bool {
        NaiveDate::parse_from_str(&self.to, "%Y-%m-%d").is_ok_and(|to| to < today)
    }

    /// The months it spans, `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        let (Ok(mut d), Ok(to)) = (
            NaiveDate::parse_from_str(&self.from, "%Y-%m-%d"),
            NaiveDate::parse_from_str(&self.to, "%Y-%m-%d"),
        ) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while d <= to {
            out.push(format!("{:04}-{:02}", d.year(), d.month()));
            match d.checked_add_months(chrono::Months::new(1)) {
                Some(next) => d = next.with_day(1).unwrap_or(next),
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(text: &str, fy: u32) -> (String, String) {
        let p = Period::parse(text, fy).unwrap();
        (p.from, p.to)
    }

    #[test]
    fn the_forms_people_write() {
        assert_eq!(days("2024", 1), ("2024-01-01".into(), "2024-12-31".into()));
        assert_eq!(
            days("2024-02", 1),
            ("2024-02-01".into(), "2024-02-29".into())
        );
        assert_eq!(
            days("2024-Q4", 1),
            ("2024-10-01".into(), "2024-12-31".into())
        );
        assert_eq!(days("2024-q1", 1).1, "2024-03-31");
        assert_eq!(
            days("FY2024", 1),
            ("2024-01-01".into(), "2024-12-31".into())
        );
        assert_eq!(
            days("FY2024", 4),
            ("2024-04-01".into(), "2025-03-31".into())
        );
        assert_eq!(
            days("fy2023", 7),
            ("2023-07-01".into(), "2024-06-30".into())
        );
        assert_eq!(Period::parse("fy2023", 7).unwrap().label, "FY2023");
        // Both years named, as UK accounts write them: the same days as FY2024.
        for text in ["FY2024-25", "fy2024/25", "FY2024-2025", "FY2024/2025"] {
            let p = Period::parse(text, 4).unwrap();
            assert_eq!(
                (p.from.as_str(), p.to.as_str(), p.label.as_str()),
                ("2024-04-01", "2025-03-31", "FY2024-25"),
                "{text}"
            );
        }
        assert_eq!(
            days("FY1999-00", 7),
            ("1999-07-01".into(), "2000-06-30".into())
        );
    }

    #[test]
    fn each_period_has_one_written_form_whatever_way_it_is_named() {
        for (text, label) in [
            ("2024-3", "2024-03"),
            ("2024-03", "2024-03"),
            (" 2024-q02 ", "2024-Q2"),
            ("fy2024", "FY2024"),
            ("2024", "2024"),
        ] {
            assert_eq!(Period::parse(text, 1).unwrap().label, label, "{text}");
        }
        assert_eq!(Period::parse("fy2024/2025", 4).unwrap().label, "FY2024-25");
        assert_eq!(Period::canonical_label("fy2024/25"), "FY2024-25");
        assert_eq!(Period::canonical_label("FY2024-25"), "FY2024-25");
        assert_eq!(Period::canonical_label("2024-3"), "2024-03");
        assert_eq!(Period::canonical_label(" q9 "), "Q9");
    }

    #[test]
    fn a_two_year_financial_year_must_name_the_years_it_spans() {
        for bad in [
            "FY2024-24",
            "FY2024-26",
            "FY2024/2026",
            "FY2024-5",
            "FY2024-",
        ] {
            let e = Period::parse(bad, 4).unwrap_err();
            assert!(
                e.message.contains("is not a period"),
                "{bad}: {}",
                e.message
            );
        }
        let e = Period::parse("FY2024-25", 1).unwrap_err();
        assert!(
            e.message
                .contains("starts in January lies in one calendar year"),
            "{}",
            e.message
        );
    }

    #[test]
    fn anything_else_is_refused_in_words() {
        for bad in [
            "2024-13",
            "2024-Q5",
            "24",
            "FY24",
            "2024-03-01",
            "March",
            "",
            "2024-003",
        ] {
            let e = Period::parse(bad, 1).unwrap_err();
            assert!(
                e.message.contains("financial year (FY2024"),
                "{bad}: {}",
                e.message
            );
        }
        assert!(Period::parse("FY2024", 13)
            .unwrap_err()
            .message
            .contains("month 13"));
    }

    #[test]
    fn months_of_a_financial_year() {
        let p = Period::parse("FY2024", 4).unwrap();
        let m = p.months();
        assert_eq!(m.len(), 12);
        assert_eq!(m.first().unwrap(), "2024-04");
        assert_eq!(m.last().unwrap(), "2025-03");
    }
}
