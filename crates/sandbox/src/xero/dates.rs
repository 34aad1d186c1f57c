//! Xero's date formats: the .NET-style `/Date(ms+0000)/` in the Accounting API, plain ISO
//! date strings beside them, the 7-digit fractions of the Identity API, and the several forms
//! clients send in `If-Modified-Since`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use crate::company::record::{DAY_MS, EPOCH_DAY_MS};

/// `/Date(1672531200000+0000)/`
pub fn xero_date(ms: i64) -> String {
    format!("/Date({ms}+0000)/")
}

/// `2024-03-14T00:00:00` for a day number counted from 2023-01-01.
pub fn date_string(day: i64) -> String {
    let date = NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date") + TimeDelta::days(day);
    format!("{}T00:00:00", date.format("%Y-%m-%d"))
}

pub fn day_ms(day: i64) -> i64 {
    EPOCH_DAY_MS + day * DAY_MS
}

/// `2023-01-01T00:00:00.0000000`, as `/connections` prints its dates (.NET ticks precision).
pub fn identity_date(at: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}",
        at.format("%Y-%m-%dT%H:%M:%S"),
        at.timestamp_subsec_nanos() / 100
    )
}

/// `02/04/2021 11:33:14`, the form Xero's TokenExpired message uses.
pub fn expiry_text(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%m/%d/%Y %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Milliseconds since the epoch of an `If-Modified-Since` value: RFC 3339 with or without
/// fractional seconds, with or without a zone (none means UTC, as Xero reads it), or an HTTP
/// date. Sub-millisecond digits are dropped, since record stamps have millisecond precision.
pub fn parse_modified_since(value: &str) -> Option<i64> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    // RFC 2822 covers the HTTP date ("Sun, 01 Jan 2023 00:00:00 GMT").
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW_YEAR_2023: i64 = 1_672_531_200_000;

    #[test]
    fn modified_since_accepts_the_forms_clients_send() {
        for value in [
            "2023-01-01T00:00:00",
            "2023-01-01T00:00:00Z",
            "2023-01-01T00:00:00.000Z",
            "2023-01-01T01:00:00+01:00",
            "2023-01-01T00:00:00.0000000",
            "Sun, 01 Jan 2023 00:00:00 GMT",
        ] {
            assert_eq!(parse_modified_since(value), Some(NEW_YEAR_2023), "{value}");
        }
        assert_eq!(
            parse_modified_since("2023-01-01T00:00:00.123456"),
            Some(NEW_YEAR_2023 + 123)
        );
        assert_eq!(parse_modified_since("yesterday"), None);
        assert_eq!(parse_modified_since(""), None);
    }

    #[test]
    fn dates_print_as_xero_prints_them() {
        assert_eq!(xero_date(NEW_YEAR_2023), "/Date(1672531200000+0000)/");
        assert_eq!(date_string(438), "2024-03-14T00:00:00");
        let t = DateTime::<Utc>::from_timestamp_millis(NEW_YEAR_2023 + 1).unwrap();
        assert_eq!(identity_date(t), "2023-01-01T00:00:00.0010000");
        assert_eq!(expiry_text(NEW_YEAR_2023), "01/01/2023 00:00:00");
    }
}
