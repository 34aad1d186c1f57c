//! Xero's JSON dates.
//!
//! The Accounting API writes instants in the old Microsoft JSON form
//! `"/Date(1476316800000+0000)/"`: milliseconds since the Unix epoch, UTC, optionally followed by
//! an offset that only records the zone the value was entered in (it does not shift the
//! instant). The number can be negative (before 1970) and the offset can be missing. Some
//! endpoints and fields use ISO 8601 instead (`"2016-10-13T00:00:00"`), so both are accepted.
//!
//! Used through `#[serde(with = "…")]` on the shapes: [`datetime`] for `UpdatedDateUTC`,
//! [`date`] for `Date` (the UTC calendar date of the instant).

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Why a date string was not understood. Holds no part of the input: the input came from a
/// response body, which errors never echo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Neither `/Date(…)/` nor ISO 8601.
    Format,
    /// Well formed, but outside the range chrono can represent.
    OutOfRange,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::Format => {
                f.write_str("not a Xero date (expected /Date(ms+zzzz)/ or ISO 8601)")
            }
            DateError::OutOfRange => f.write_str("Xero date out of range"),
        }
    }
}

impl std::error::Error for DateError {}

/// Parses a Xero date string into the instant it denotes.
pub fn parse_datetime(text: &str) -> Result<DateTime<Utc>, DateError> {
    let text = text.trim();
    if let Some(inner) = text
        .strip_prefix("/Date(")
        .and_then(|rest| rest.strip_suffix(")/"))
    {
        return parse_ms_form(inner);
    }
    parse_iso(text)
}

/// Parses a Xero date string into the UTC calendar date of its instant.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    parse_datetime(text).map(|dt| dt.date_naive())
}

/// Writes an instant the way Xero does, so shapes round-trip and test fixtures look real.
pub fn format_datetime(value: &DateTime<Utc>) -> String {
    format!("/Date({}+0000)/", value.timestamp_millis())
}

/// Writes a date as midnight UTC in Xero's form.
pub fn format_date(value: &NaiveDate) -> String {
    format_datetime(&value.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// `inner` is what sits between `/Date(` and `)/`: `-?digits` then optionally `[+-]hhmm`.
fn parse_ms_form(inner: &str) -> Result<DateTime<Utc>, DateError> {
    // The sign of the number is at index 0; an offset sign can only come after a digit.
    let split = inner
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '+' || c == '-')
        .map(|(i, _)| i);
    let (millis, offset) = match split {
        Some(i) => (&inner[..i], Some(&inner[i + 1..])),
        None => (inner, None),
    };
    if let Some(offset) = offset {
        // Only checked for shape: the number is already UTC.
        if offset.len() != 4 || !offset.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DateError::Format);
        }
    }
    let digits = millis.strip_prefix('-').unwrap_or(millis);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateError::Format);
    }
    let millis: i64 = millis.parse().map_err(|_| DateError::OutOfRange)?;
    DateTime::from_timestamp_millis(millis).ok_or(DateError::OutOfRange)
}

fn parse_iso(text: &str) -> Result<DateTime<Utc>, DateError> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.with_timezone(&Utc));
    }
    // Xero's ISO fields carry no zone; its API documents them as UTC.
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(naive.and_utc());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(DateError::Format)
}

/// A visitor that borrows the string when it can, so a page of records parses without an
/// allocation per date.
struct XeroDateVisitor<T> {
    parse: fn(&str) -> Result<T, DateError>,
}

impl<T> serde::de::Visitor<'_> for XeroDateVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Xero date string such as \"/Date(1476316800000+0000)/\"")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        // serde_json appends the position; the input itself stays out of the message.
        (self.parse)(value).map_err(E::custom)
    }
}

/// `#[serde(with = "dates::datetime")]` for `DateTime<Utc>` fields.
pub mod datetime {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        d.deserialize_str(XeroDateVisitor {
            parse: parse_datetime,
        })
    }

    pub fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_datetime(value))
    }
}

/// `#[serde(with = "dates::date")]` for `NaiveDate` fields.
pub mod date {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        d.deserialize_str(XeroDateVisitor { parse: parse_date })
    }

    pub fn serialize<S: Serializer>(value: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_date(value))
    }
}

/// `#[serde(with = "dates::optional_datetime", default)]` for optional `DateTime<Utc>` fields:
/// absent or `null` is `None`; a present value must still be a readable date.
pub mod optional_datetime {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    struct Wrapped(#[serde(with = "super::datetime")] DateTime<Utc>);

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }

    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(&format_datetime(v)),
            None => s.serialize_none(),
        }
    }
}
