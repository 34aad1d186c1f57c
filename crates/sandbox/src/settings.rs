//! The options a running sandbox lets tests change without a restart, and their JSON form for
//! the control API and the state file.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::options::{RateLimit, SandboxOptions};

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub rate_limit: Option<RateLimit>,
    pub auto_approve: bool,
}

impl Settings {
    pub fn from_options(opts: &SandboxOptions) -> Self {
        Settings {
            access_token_ttl: opts.access_token_ttl,
            refresh_token_ttl: opts.refresh_token_ttl,
            rate_limit: opts.rate_limit.clone(),
            auto_approve: opts.auto_approve,
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
        let mut back = Settings::from_options(&SandboxOptions::default());
        back.apply_patch(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }
}
