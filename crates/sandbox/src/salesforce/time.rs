//! Salesforce's date and time texts. The REST API writes a dateTime as
//! `2024-01-05T02:00:00.000+0000` (UTC, milliseconds, an offset without a colon) and a date as
//! `2024-01-05`; SOQL literals and `getDeleted`'s parameters are ISO 8601 with `Z` or an
//! offset (`2024-01-05T02:00:00Z`, `2024-01-05T02:00:00+00:00`), and clients often pass back
//! the API's own form, which Salesforce also takes.

use chrono::{DateTime, NaiveDate, Utc};

/// A dateTime as the API writes it.
pub fn format_datetime(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Milliseconds since 1970 of an ISO 8601 date and time with a zone: `Z`, `±hh:mm` or
/// `±hhmm`, with or without fractional seconds.
pub fn parse_datetime(text: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .ok()
        .map(|t| t.timestamp_millis())
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_a_client_sends_reads_back() {
        let ms = parse_datetime("2024-01-05T02:00:00Z").unwrap();
        assert_eq!(format_datetime(ms), "2024-01-05T02:00:00.000+0000");
        for text in [
            "2024-01-05T02:00:00.000+0000",
            "2024-01-05T02:00:00+00:00",
            "2024-01-05T03:00:00+01:00",
            "2024-01-05T02:00:00.000Z",
        ] {
            assert_eq!(parse_datetime(text), Some(ms), "{text}");
        }
        assert_eq!(parse_datetime("2024-01-05"), None);
        assert_eq!(parse_datetime("yesterday"), None);
    }
}
