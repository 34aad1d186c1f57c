//! Reading a platform's listing record by record, so one record of an unexpected shape is set
//! aside with the field that failed and the rest of the page is kept; and decoding an answer
//! with an error that names the endpoint and the position, never the body's content.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::ProviderError;
use crate::http::clean_text;

/// Longest reason kept for a record set aside.
const REASON_MAX_CHARS: usize = 240;
/// Largest record JSON kept beside the reason.
const RAW_MAX_BYTES: usize = 64 * 1024;

/// A record of a listing that could not be read. The rest of the page is read as usual; this one
/// is kept with the reason so a person can see it and the next sync can try it again.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    /// The platform's id of the record, when even that much could be read.
    pub record_id: Option<String>,
    /// When the platform last changed it, when readable (it still moves the stream's position).
    pub updated: Option<DateTime<Utc>>,
    /// What could not be read, e.g. `Date: not a Xero date (…)`; never the record's content.
    pub reason: String,
    /// The record's JSON as sent, up to 64 KiB.
    pub raw: String,
}

/// Reads each raw record into `T`. `id_field` names the record's id; `updated` finds its
/// modification time in a record that could not be read.
pub(crate) fn read_records<T: DeserializeOwned>(
    raws: &[&RawValue],
    id_field: &str,
    updated: impl Fn(&serde_json::Value) -> Option<DateTime<Utc>>,
) -> (Vec<T>, Vec<Unreadable>) {
    let mut items = Vec::with_capacity(raws.len());
    let mut unreadable = Vec::new();
    for raw in raws {
        match serde_json::from_str::<T>(raw.get()) {
            Ok(item) => items.push(item),
            Err(_) => {
                // Read again, this time keeping track of where it fails, to name the field:
                // only the rare bad record pays for the tracking.
                let mut de = serde_json::Deserializer::from_str(raw.get());
                match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Ok(item) => items.push(item),
                    Err(e) => unreadable.push(set_aside(raw.get(), id_field, &updated, &e)),
                }
            }
        }
    }
    (items, unreadable)
}

fn set_aside(
    raw: &str,
    id_field: &str,
    updated: &impl Fn(&serde_json::Value) -> Option<DateTime<Utc>>,
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> Unreadable {
    let value: Option<serde_json::Value> = serde_json::from_str(raw).ok();
    let path = error.path().to_string();
    // serde_json's message ends with "at line 1 column N", which means nothing to a person.
    let message = error.inner().to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    // serde's "invalid type: string \"…\", expected f64" quotes the record's value: keep only
    // what was expected.
    let message = match message.split_once(", expected ") {
        Some((_, expected)) => format!("expected {expected}"),
        None => message.to_owned(),
    };
    let reason = if path == "." || path.is_empty() {
        clean_text(&message, REASON_MAX_CHARS)
    } else {
        clean_text(&format!("{path}: {message}"), REASON_MAX_CHARS)
    };
    let mut raw = raw.to_owned();
    if raw.len() > RAW_MAX_BYTES {
        let mut cut = RAW_MAX_BYTES;
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        raw.truncate(cut);
    }
    Unreadable {
        record_id: value
            .as_ref()
            .and_then(|v| v.get(id_field))
            .and_then(|v| v.as_str())
            .filter(|id| !id.is_empty() && id.len() <= 64)
            .map(|id| clean_text(id, 64)),
        updated: value.as_ref().and_then(updated),
        reason,
        raw,
    }
}

/// A record kept as it was sent, cut to the set-aside limit on a character boundary.
pub(crate) fn raw_text(record: &serde_json::Value) -> String {
    let mut raw = record.to_string();
    if raw.len() > RAW_MAX_BYTES {
        let mut cut = RAW_MAX_BYTES;
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        raw.truncate(cut);
    }
    raw
}

/// Parses a body into `T` straight from the bytes. On failure the message names the endpoint and
/// the position, never the body's content.
pub(crate) fn decode<'a, T: Deserialize<'a>>(
    label: &str,
    body: &'a [u8],
) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Data => "JSON of an unexpected shape",
            serde_json::error::Category::Io => "an unreadable body",
        };
        ProviderError::BadResponse {
            detail: format!(
                "GET {label}: {what} at line {} column {} ({} bytes)",
                e.line(),
                e.column(),
                body.len()
            ),
        }
    })
}
