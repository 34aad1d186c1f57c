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
/// Intuit's access tokens last an hour.
pub const QUICKBOOKS_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// What Intuit's token answers give as `x_refresh_token_expires_in` (101 days; Intuit
/// documents "100 days, rolling": every refresh starts a new period).
pub const QUICKBOOKS_REFRESH_TOKEN_TTL: Duration = Duration::from_secs(8_726_400);

/// QuickBooks Online's per-company (realm) throttle: at most `calls` served within any
/// `window`, and at most `concurrent` in progress at once. Intuit: 500 a minute, 10 at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuickBooksLimit {
    pub calls: u32,
    pub window: Duration,
    pub concurrent: u32,
}

impl QuickBooksLimit {
    pub fn intuit() -> Self {
        QuickBooksLimit {
            calls: 500,
            window: Duration::from_secs(60),
            concurrent: 10,
        }
    }

    /// The per-window part, in the form the limiter takes.
    pub fn per_window(&self) -> RateLimit {
        RateLimit {
            calls: self.calls,
            window: self.window,
        }
    }
}

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
    pub quickbooks_access_token_ttl: Duration,
    pub quickbooks_refresh_token_ttl: Duration,
    /// `None`: QuickBooks calls are never throttled.
    pub quickbooks_rate_limit: Option<QuickBooksLimit>,
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
            quickbooks_access_token_ttl: QUICKBOOKS_ACCESS_TOKEN_TTL,
            quickbooks_refresh_token_ttl: QUICKBOOKS_REFRESH_TOKEN_TTL,
            // Options that switch Xero's limit off (as tests do) switch these off too.
            quickbooks_rate_limit: opts.rate_limit.as_ref().map(|_| QuickBooksLimit::intuit()),
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
            "quickbooks_access_token_ttl_secs": secs_value(self.quickbooks_access_token_ttl),
            "quickbooks_refresh_token_ttl_secs": secs_value(self.quickbooks_refresh_token_ttl),
            "quickbooks_rate_limit": self.quickbooks_rate_limit.as_ref().map(|r| json!({
                "calls": r.calls,
                "window_secs": secs_value(r.window),
                "concurrent": r.concurrent,
            })),
        })
    }

    /// Applies the fields present in `patch` and leaves the others alone, so a test can flip one
    /// setting without restating the rest. `"rate_limit": null` is a change (off), while a
    /// missing `rate_limit` is not.
    ///
    /// `access_token_ttl_secs`, `refresh_token_ttl_secs` and `"rate_limit": null` govern
    /// QuickBooks too (a test shortening lifetimes or switching limits off means both
    /// platforms); the `quickbooks_…` settings then refine QuickBooks alone. They are applied
    /// after the shared ones whatever their order in `patch`, so a saved settings object
    /// restores exactly.
    pub fn apply_patch(&mut self, patch: &Value) -> Result<(), String> {
        let fields = patch.as_object().ok_or("settings must be a JSON object")?;
        // Validate everything before changing anything, so a bad field leaves no half-update.
        let mut next = self.clone();
        let (quickbooks, shared): (Vec<_>, Vec<_>) = fields
            .iter()
            .partition(|(k, _)| k.starts_with("quickbooks_"));
        for (key, value) in shared.into_iter().chain(quickbooks) {
            match key.as_str() {
                "access_token_ttl_secs" => {
                    next.access_token_ttl = duration_field(key, value)?;
                    next.quickbooks_access_token_ttl = next.access_token_ttl;
                }
                "refresh_token_ttl_secs" => {
                    next.refresh_token_ttl = duration_field(key, value)?;
                    next.quickbooks_refresh_token_ttl = next.refresh_token_ttl;
                }
                "auto_approve" => {
                    next.auto_approve = value
                        .as_bool()
                        .ok_or("auto_approve must be true or false")?
                }
                "rate_limit" => {
                    next.rate_limit = rate_limit_field(value)?;
                    // Off means off everywhere; Xero's numbers are not QuickBooks' though.
                    if next.rate_limit.is_none() {
                        next.quickbooks_rate_limit = None;
                    }
                }
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
                "quickbooks_access_token_ttl_secs" => {
                    next.quickbooks_access_token_ttl = duration_field(key, value)?
                }
                "quickbooks_refresh_token_ttl_secs" => {
                    next.quickbooks_refresh_token_ttl = duration_field(key, value)?
                }
                "quickbooks_rate_limit" => next.quickbooks_rate_limit = quickbooks_limit_field(value)?,
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

/// `null`, or `{"calls", "window_secs", "concurrent"}` (`concurrent` defaults to Intuit's 10).
fn quickbooks_limit_field(value: &Value) -> Result<Option<QuickBooksLimit>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let shape =
        "quickbooks_rate_limit must be null or {\"calls\", \"window_secs\", \"concurrent\"}";
    let obj = value.as_object().ok_or(shape)?;
    if let Some(extra) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "calls" | "window_secs" | "concurrent"))
    {
        return Err(format!("{shape}, not {extra:?}"));
    }
    let per_window = rate_limit_field(&json!({
        "calls": obj.get("calls").cloned().unwrap_or(Value::Null),
        "window_secs": obj.get("window_secs").cloned().unwrap_or(Value::Null),
    }))
    .map_err(|e| format!("quickbooks_{e}"))?
    .ok_or(shape)?;
    let concurrent = match obj.get("concurrent") {
        None => QuickBooksLimit::intuit().concurrent,
        Some(v) => v
            .as_u64()
            .filter(|c| *c >= 1 && *c <= u64::from(u32::MAX))
            .ok_or("quickbooks_rate_limit.concurrent must be a whole number of at least 1")?
            as u32,
    };
    Ok(Some(QuickBooksLimit {
        calls: per_window.calls,
        window: per_window.window,
        concurrent,
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
        s.quickbooks_rate_limit = Some(QuickBooksLimit {
            calls: 7,
            window: Duration::from_millis(2500),
            concurrent: 2,
        });
        s.quickbooks_access_token_ttl = Duration::from_secs(5);
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

    #[test]
    fn the_shared_lifetimes_and_switching_limits_off_govern_quickbooks_too() {
        let mut s = Settings::from_options(&SandboxOptions::default());
        s.apply_patch(&json!({"access_token_ttl_secs": 30, "refresh_token_ttl_secs": 60}))
            .unwrap();
        assert_eq!(s.quickbooks_access_token_ttl, Duration::from_secs(30));
        assert_eq!(s.quickbooks_refresh_token_ttl, Duration::from_secs(60));
        // The QuickBooks setting refines, whatever the order of the keys.
        s.apply_patch(&json!({"quickbooks_access_token_ttl_secs": 5, "access_token_ttl_secs": 40}))
            .unwrap();
        assert_eq!(s.access_token_ttl, Duration::from_secs(40));
        assert_eq!(s.quickbooks_access_token_ttl, Duration::from_secs(5));
        s.apply_patch(&json!({"rate_limit": {"calls": 3, "window_secs": 60}}))
            .unwrap();
        assert_eq!(s.quickbooks_rate_limit, Some(QuickBooksLimit::intuit()));
        s.apply_patch(&json!({"rate_limit": null})).unwrap();
        assert_eq!(s.quickbooks_rate_limit, None);
    }

    #[test]
    fn quickbooks_limits_follow_the_options_and_take_a_partial_shape() {
        let on = Settings::from_options(&SandboxOptions::default());
        assert_eq!(on.quickbooks_rate_limit, Some(QuickBooksLimit::intuit()));
        assert_eq!(on.quickbooks_access_token_ttl, Duration::from_secs(3600));
        let mut off = Settings::from_options(&SandboxOptions {
            rate_limit: None,
            ..SandboxOptions::default()
        });
        assert_eq!(off.quickbooks_rate_limit, None);
        off.apply_patch(&json!({"quickbooks_rate_limit": {"calls": 2, "window_secs": 60}}))
            .unwrap();
        assert_eq!(
            off.quickbooks_rate_limit,
            Some(QuickBooksLimit {
                calls: 2,
                window: Duration::from_secs(60),
                concurrent: 10
            })
        );
        for bad in [
            json!({"quickbooks_rate_limit": {"calls": 0, "window_secs": 60}}),
            json!({"quickbooks_rate_limit": {"calls": 2}}),
            json!({"quickbooks_rate_limit": {"calls": 2, "window_secs": 60, "concurrent": 0}}),
            json!({"quickbooks_rate_limit": {"calls": 2, "window_secs": 60, "burst": 1}}),
        ] {
            assert!(off.apply_patch(&bad).is_err(), "{bad}");
        }
    }
}
