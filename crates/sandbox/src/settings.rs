//! The options a running sandbox lets tests change without a restart, and their JSON form for
//! the control API and the state file.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::options::{RateLimit, SandboxOptions};

/// Xero's own cap on `pageSize`, and the sandbox's until a test sets another.
pub const DEFAULT_MAX_PAGE_SIZE: usize = 1000;
/// The largest `max_page_size` a test may set: enough for any test, small enough that one
/// page of JSON stays a reasonable answer.
const LARGEST_MAX_PAGE_SIZE: usize = 100_000;

/// How a record's `UpdatedDateUTC` is compared with `If-Modified-Since`. Xero does not say;
/// reports have it compare at whole seconds and include the boundary, so a client must cope
/// with every variant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ModifiedSince {
    /// `UpdatedDateUTC > header`, at milliseconds.
    #[default]
    Strict,
    /// `UpdatedDateUTC >= header`, at milliseconds.
    Inclusive,
    /// Both truncated to whole seconds, then `>=`.
    WholeSeconds,
}

impl ModifiedSince {
    pub fn name(self) -> &'static str {
        match self {
            ModifiedSince::Strict => "strict",
            ModifiedSince::Inclusive => "inclusive",
            ModifiedSince::WholeSeconds => "whole_seconds",
        }
    }

    fn parse(value: &Value) -> Result<Self, String> {
        match value.as_str() {
            Some("strict") => Ok(ModifiedSince::Strict),
            Some("inclusive") => Ok(ModifiedSince::Inclusive),
            Some("whole_seconds") => Ok(ModifiedSince::WholeSeconds),
            _ => {
                Err("modified_since must be \"strict\", \"inclusive\" or \"whole_seconds\"".into())
            }
        }
    }

    /// The earliest `UpdatedDateUTC` (ms) a listing with `If-Modified-Since: header_ms`
    /// includes: every rule above is "at least this".
    pub fn earliest_included(self, header_ms: i64) -> i64 {
        match self {
            ModifiedSince::Strict => header_ms.saturating_add(1),
            ModifiedSince::Inclusive => header_ms,
            // floor(u / 1000) >= floor(h / 1000)  ⇔  u >= floor(h / 1000) * 1000
            ModifiedSince::WholeSeconds => header_ms.div_euclid(1000) * 1000,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub rate_limit: Option<RateLimit>,
    pub auto_approve: bool,
    pub modified_since: ModifiedSince,
    /// The largest page a listing serves, whatever `pageSize` asks for.
    pub max_page_size: usize,
}

impl Settings {
    pub fn from_options(opts: &SandboxOptions) -> Self {
        Settings {
            access_token_ttl: opts.access_token_ttl,
            refresh_token_ttl: opts.refresh_token_ttl,
            rate_limit: opts.rate_limit.clone(),
            auto_approve: opts.auto_approve,
            modified_since: ModifiedSince::default(),
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "access_token_ttl_secs": secs_value(self.access_token_ttl),
            "refresh_token_ttl_secs": secs_value(self.refresh_token_ttl),
            "rate_limit": self.rate_limit.as_ref().map(|r| json!({
                "calls": r.calls,
                "window_secs": secs_value(r.window),
            })),
            "auto_approve": self.auto_approve,
            "modified_since": self.modified_since.name(),
            "max_page_size": self.max_page_size,
        })
    }

    /// Applies the fields present in `patch` and leaves the others alone, so a test can flip one
    /// setting without restating the rest. `"rate_limit": null` is a change (off), while a
    /// missing `rate_limit` is not.
    pub fn apply_patch(&mut self, patch: &Value) -> Result<(), String> {
        let fields = patch.as_object().ok_or("settings must be a JSON object")?;
        // Validate everything before changing anything, so a bad field leaves no half-update.
        let mut next = self.clone();
        for (key, value) in fields {
            match key.as_str() {
                "access_token_ttl_secs" => next.access_token_ttl = duration_field(key, value)?,
                "refresh_token_ttl_secs" => next.refresh_token_ttl = duration_field(key, value)?,
                "auto_approve" => {
                    next.auto_approve = value
                        .as_bool()
                        .ok_or("auto_approve must be true or false")?
                }
                "rate_limit" => next.rate_limit = rate_limit_field(value)?,
                "modified_since" => next.modified_since = ModifiedSince::parse(value)?,
                "max_page_size" => {
                    next.max_page_size = value
                        .as_u64()
                        .filter(|n| (1..=LARGEST_MAX_PAGE_SIZE as u64).contains(n))
                        .ok_or_else(|| {
                            format!(
                                "max_page_size must be a whole number from 1 to {LARGEST_MAX_PAGE_SIZE}"
                            )
                        })? as usize
                }
                other => return Err(format!("unknown setting {other:?}")),
            }
        }
        *self = next;
        Ok(())
    }
}

fn rate_limit_field(value: &Value) -> Result<Option<RateLimit>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let obj: &Map<String, Value> = value
        .as_object()
        .ok_or("rate_limit must be null or {\"calls\", \"window_secs\"}")?;
    let calls = obj
        .get("calls")
        .and_then(Value::as_u64)
        .filter(|c| *c >= 1 && *c <= u64::from(u32::MAX))
        .ok_or("rate_limit.calls must be a whole number of at least 1")?;
    let window = duration_field(
        "rate_limit.window_secs",
        obj.get("window_secs").unwrap_or(&Value::Null),
    )?;
    if window.is_zero() {
        return Err("rate_limit.window_secs must be more than 0".into());
    }
    Ok(Some(RateLimit {
        calls: calls as u32,
        window,
    }))
}

/// Seconds may be fractional so a test can use a short window without waiting whole seconds.
fn duration_field(key: &str, value: &Value) -> Result<Duration, String> {
    value
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e12)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{key} must be a number of seconds"))
}

/// Whole seconds print as integers (what most callers expect); fractions stay fractions.
fn secs_value(d: Duration) -> Value {
    if d.subsec_nanos() == 0 {
        json!(d.as_secs())
    } else {
        json!(d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_patch_changes_only_the_named_fields() {
        let mut s = Settings::from_options(&SandboxOptions::default());
        let before = s.clone();
        s.apply_patch(&json!({"access_token_ttl_secs": 5})).unwrap();
        assert_eq!(s.access_token_ttl, Duration::from_secs(5));
        assert_eq!(s.rate_limit, before.rate_limit);
        s.apply_patch(&json!({"rate_limit": null})).unwrap();
        assert_eq!(s.rate_limit, None);
    }

    #[test]
    fn a_bad_field_changes_nothing() {
        let mut s = Settings::from_options(&SandboxOptions::default());
        let before = s.clone();
        assert!(s
            .apply_patch(&json!({"access_token_ttl_secs": 5, "auto_approve": "yes"}))
            .is_err());
        assert_eq!(s, before);
    }

    #[test]
    fn settings_round_trip_through_json() {
        let mut s = Settings::from_options(&SandboxOptions::default());
        s.rate_limit = Some(RateLimit {
            calls: 3,
            window: Duration::from_millis(1500),
        });
        s.modified_since = ModifiedSince::WholeSeconds;
        s.max_page_size = 25;
        let mut back = Settings::from_options(&SandboxOptions::default());
        back.apply_patch(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn each_comparison_includes_what_it_says() {
        let header = 1_700_000_000_250;
        assert_eq!(
            ModifiedSince::Strict.earliest_included(header),
            1_700_000_000_251
        );
        assert_eq!(
            ModifiedSince::Inclusive.earliest_included(header),
            1_700_000_000_250
        );
        assert_eq!(
            ModifiedSince::WholeSeconds.earliest_included(header),
            1_700_000_000_000
        );
        assert_eq!(
            ModifiedSince::WholeSeconds.earliest_included(1_700_000_000_000),
            1_700_000_000_000
        );
    }

    #[test]
    fn bad_comparison_or_page_size_values_are_refused() {
        let mut s = Settings::from_options(&SandboxOptions::default());
        for patch in [
            json!({"modified_since": "loose"}),
            json!({"modified_since": 1}),
            json!({"max_page_size": 0}),
            json!({"max_page_size": 2.5}),
            json!({"max_page_size": 1_000_000}),
        ] {
            assert!(s.apply_patch(&patch).is_err(), "{patch}");
        }
        assert_eq!(s.max_page_size, DEFAULT_MAX_PAGE_SIZE);
        assert_eq!(s.modified_since, ModifiedSince::Strict);
    }
}
