//! Times as QuickBooks Online writes them: the company's local time with its offset, to the
//! second (`2024-03-05T10:15:30-08:00`), and the answers' `time` with milliseconds. The
//! company is on US Pacific time, so the offset is −08:00 in winter and −07:00 in summer: a
//! client must read the offset, not assume one.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta, Utc};

const HOUR: i64 = 3600;

/// The day of month of the `n`th Sunday of `month`.
fn nth_sunday(year: i32, month: u32, n: u64) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let to_sunday = u64::from((7 - first.weekday().num_days_from_sunday()) % 7);
    first.checked_add_days(Days::new(to_sunday + 7 * (n - 1)))
}

/// Seconds east of UTC of US Pacific time at the instant `utc_s` (seconds since 1970):
/// daylight time (−7 h) from the second Sunday of March at 02:00 standard time to the first
/// Sunday of November at 02:00 daylight time, standard time (−8 h) otherwise.
pub fn pacific_offset(utc_s: i64) -> i64 {
    let Some(t) = DateTime::<Utc>::from_timestamp(utc_s, 0) else {
        return -8 * HOUR;
    };
    let year = t.year();
    let at = |date: Option<NaiveDate>, utc_hour: u32| {
        date.and_then(|d| d.and_hms_opt(utc_hour, 0, 0))
            .map(|d| d.and_utc().timestamp())
    };
    // 02:00 PST is 10:00 UTC; 02:00 PDT is 09:00 UTC.
    match (
        at(nth_sunday(year, 3, 2), 10),
        at(nth_sunday(year, 11, 1), 9),
    ) {
        (Some(start), Some(end)) if (start..end).contains(&utc_s) => -7 * HOUR,
        _ => -8 * HOUR,
    }
}

fn local_text(utc_ms: i64, millis: bool) -> String {
    let utc_s = utc_ms.div_euclid(1000);
    let offset = pacific_offset(utc_s);
    let local = DateTime::<Utc>::from_timestamp_millis(utc_ms + offset * 1000)
        .unwrap_or_default()
        .naive_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.abs() / HOUR, offset.abs() % HOUR / 60);
    let fraction = if millis { "%.3f" } else { "" };
    format!(
        "{}{sign}{h:02}:{m:02}",
        local.format(&format!("%Y-%m-%dT%H:%M:%S{fraction}"))
    )
}

/// `2024-03-05T10:15:30-08:00` for an instant in whole seconds since 1970, as in `MetaData`.
pub fn stamp(utc_s: i64) -> String {
    local_text(utc_s * 1000, false)
}

/// `2026-05-04T10:15:30.123-07:00`: the `time` every answer carries.
pub fn answer_time(utc_ms: i64) -> String {
    local_text(utc_ms, true)
}

/// The instant (seconds since 1970) of a Pacific wall-clock time. In the hour skipped in
/// spring the standard-time reading is used; in the hour repeated in autumn, the first.
pub fn pacific_to_utc(local: NaiveDateTime) -> i64 {
    let as_standard = local.and_utc().timestamp() + 8 * HOUR;
    let daylight = as_standard - HOUR;
    if pacific_offset(daylight) == -7 * HOUR {
        daylight
    } else {
        as_standard
    }
}

/// `2024-03-12` for a day number counted from 2023-01-01.
pub fn date(day: i64) -> String {
    let date = NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date") + TimeDelta::days(day);
    date.format("%Y-%m-%d").to_string()
}

/// Milliseconds since 1970 of a timestamp in a query or a `changedSince`: ISO 8601 with an
/// offset or `Z` (fractions allowed), or without one, or a bare date, both read as the
/// company's local (Pacific) time, as QuickBooks reads them.
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            let millis = local.and_utc().timestamp_subsec_millis();
            return Some(pacific_to_utc(local) * 1000 + i64::from(millis));
        }
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(pacific_to_utc(day.and_hms_opt(0, 0, 0)?) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacific_offsets_follow_daylight_saving() {
        // 2024: daylight time from 10 March 10:00 UTC to 3 November 09:00 UTC.
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        assert_eq!(pacific_offset(t("2024-03-10T09:59:59Z")), -8 * HOUR);
        assert_eq!(pacific_offset(t("2024-03-10T10:00:00Z")), -7 * HOUR);
        assert_eq!(pacific_offset(t("2024-11-03T08:59:59Z")), -7 * HOUR);
        assert_eq!(pacific_offset(t("2024-11-03T09:00:00Z")), -8 * HOUR);
        assert_eq!(
            stamp(t("2024-03-05T18:15:30Z")),
            "2024-03-05T10:15:30-08:00"
        );
        assert_eq!(
            stamp(t("2024-07-01T17:00:00Z")),
            "2024-07-01T10:00:00-07:00"
        );
        assert_eq!(
            answer_time(t("2024-07-01T17:00:00Z") * 1000 + 4),
            "2024-07-01T10:00:00.004-07:00"
        );
    }

    #[test]
    fn timestamps_read_with_or_without_a_zone() {
        let utc = DateTime::parse_from_rfc3339("2024-03-05T18:15:30Z")
            .unwrap()
            .timestamp_millis();
        for text in [
            "2024-03-05T10:15:30-08:00",
            "2024-03-05T18:15:30Z",
            "2024-03-05T18:15:30.000+00:00",
            "2024-03-05T10:15:30",
        ] {
            assert_eq!(parse(text), Some(utc), "{text}");
        }
        assert_eq!(parse("2024-03-05T10:15:30.250"), Some(utc + 250));
        assert_eq!(
            parse("2024-07-01"),
            Some(
                DateTime::parse_from_rfc3339("2024-07-01T07:00:00Z")
                    .unwrap()
                    .timestamp_millis()
            )
        );
        assert_eq!(parse("last week"), None);
        assert_eq!(date(436), "2024-03-12");
    }
}
