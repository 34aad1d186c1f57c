//! Faults a test can queue for the next matching API calls, to exercise a client's retries,
//! parsing errors, back-off and re-authentication without a flaky network.

use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` and a Xero-style error body.
    Status,
    /// Answer 429 with `Retry-After: retry_after_secs` and `X-Rate-Limit-Problem: problem`.
    RateLimit,
    /// Answer 200 with the real body cut short.
    BrokenJson,
    /// Wait `delay_ms`, then answer normally.
    Slow,
    /// Revoke the caller's grant, then answer 401 as Xero does for a disconnected app.
    RevokeGrant,
    /// Answer normally, except that the record at `record_index` of the listing loses the
    /// `remove` fields and gets the `set` ones. Only listings (Accounts, BankTransactions,
    /// Invoices, CreditNotes) match it.
    MangleRecord,
}

/// Which of Xero's limits a 429 says was hit, in its `X-Rate-Limit-Problem` header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum RateProblem {
    /// 60 calls per minute per organisation.
    #[default]
    #[serde(rename = "minute")]
    Minute,
    /// 5,000 calls per day per organisation: waiting means hours, not seconds.
    #[serde(rename = "day")]
    Day,
    /// 10,000 calls per minute across every organisation the app reaches.
    #[serde(rename = "appminute")]
    AppMinute,
    /// More than 5 calls in progress at once.
    #[serde(rename = "concurrent")]
    Concurrent,
}

impl RateProblem {
    /// The header value, as Xero writes it.
    pub fn name(self) -> &'static str {
        match self {
            RateProblem::Minute => "minute",
            RateProblem::Day => "day",
            RateProblem::AppMinute => "appminute",
            RateProblem::Concurrent => "concurrent",
        }
    }

    /// The `Detail` of the 429 body.
    pub fn detail(self) -> &'static str {
        match self {
            RateProblem::Minute => {
                "Rate limit exceeded: too many calls for this organisation in the last minute."
            }
            RateProblem::Day => {
                "Rate limit exceeded: the daily call limit for this organisation is used up."
            }
            RateProblem::AppMinute => {
                "Rate limit exceeded: too many calls from this app across all organisations in \
                 the last minute."
            }
            RateProblem::Concurrent => {
                "Rate limit exceeded: too many calls for this organisation in progress at once."
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub path_contains: Option<String>,
    pub kind: FaultKind,
    pub status: Option<u16>,
    pub retry_after_secs: Option<u64>,
    pub delay_ms: Option<u64>,
    pub count: Option<u32>,
    /// `rate_limit` only.
    pub problem: Option<RateProblem>,
    /// `mangle_record` only: which record of the answer's list (0 = the first).
    pub record_index: Option<usize>,
    /// `mangle_record` only: top-level fields to drop.
    pub remove: Option<Vec<String>>,
    /// `mangle_record` only: top-level fields to put, with their JSON values.
    pub set: Option<Map<String, Value>>,
}

/// How a `mangle_record` fault reshapes one record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mangle {
    pub record_index: usize,
    pub remove: Vec<String>,
    pub set: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub path_contains: Option<String>,
    pub kind: FaultKind,
    pub status: u16,
    pub retry_after_secs: u64,
    pub delay_ms: u64,
    pub remaining: u32,
    pub problem: RateProblem,
    /// Set for `mangle_record` faults.
    pub mangle: Option<Mangle>,
}

impl Fault {
    pub fn from_spec(spec: FaultSpec) -> Result<Self, String> {
        let status = spec.status.unwrap_or(500);
        if !(100..=599).contains(&status) {
            return Err(format!("status {status} is not an HTTP status"));
        }
        if spec.problem.is_some() && spec.kind != FaultKind::RateLimit {
            return Err("problem applies only to rate_limit faults".into());
        }
        let reshapes = spec.record_index.is_some() || spec.remove.is_some() || spec.set.is_some();
        let mangle = if spec.kind == FaultKind::MangleRecord {
            let mangle = Mangle {
                record_index: spec.record_index.unwrap_or(0),
                remove: spec.remove.unwrap_or_default(),
                set: spec.set.unwrap_or_default(),
            };
            if mangle.remove.is_empty() && mangle.set.is_empty() {
                return Err(
                    "mangle_record needs fields to remove or set, e.g. {\"remove\": [\"Status\"]}"
                        .into(),
                );
            }
            Some(mangle)
        } else if reshapes {
            return Err("record_index, remove and set apply only to mangle_record faults".into());
        } else {
            None
        };
        Ok(Fault {
            path_contains: spec.path_contains.filter(|p| !p.is_empty()),
            kind: spec.kind,
            status,
            retry_after_secs: spec.retry_after_secs.unwrap_or(1),
            delay_ms: spec.delay_ms.unwrap_or(2000),
            remaining: spec.count.unwrap_or(1),
            problem: spec.problem.unwrap_or_default(),
            mangle,
        })
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "path_contains": self.path_contains,
            "kind": format!("{:?}", self.kind),
            "status": self.status,
            "retry_after_secs": self.retry_after_secs,
            "delay_ms": self.delay_ms,
            "remaining": self.remaining,
        });
        if self.kind == FaultKind::RateLimit {
            v["problem"] = json!(self.problem.name());
        }
        if let Some(m) = &self.mangle {
            v["record_index"] = json!(m.record_index);
            v["remove"] = json!(m.remove);
            v["set"] = Value::Object(m.set.clone());
        }
        v
    }

    /// Whether this fault may answer a call to `target`; `listing` says whether the call
    /// is a record listing (the only calls a `mangle_record` fault reshapes).
    fn matches(&self, target: &str, listing: bool) -> bool {
        (self.kind != FaultKind::MangleRecord || listing)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|needle| target.contains(needle))
    }
}

#[derive(Default, Debug)]
pub struct Faults {
    queue: Vec<Fault>,
}

impl Faults {
    pub fn add(&mut self, fault: Fault) {
        if fault.remaining > 0 {
            self.queue.push(fault);
        }
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// Uses up one occurrence of the first queued fault that matches `target` (path and
    /// query of the request), oldest first. `listing`: whether the call lists records.
    pub fn take(&mut self, target: &str, listing: bool) -> Option<Fault> {
        let i = self.queue.iter().position(|f| f.matches(target, listing))?;
        let fault = self.queue[i].clone();
        self.queue[i].remaining -= 1;
        if self.queue[i].remaining == 0 {
            self.queue.remove(i);
        }
        Some(fault)
    }

    pub fn to_json(&self) -> Value {
        Value::Array(self.queue.iter().map(Fault::to_json).collect())
    }
}

/// 200 with the body cut in half: a connection that dropped mid-answer, as a client sees it
/// (the `broken_json` fault, on any platform's API).
pub async fn truncate(response: axum::response::Response) -> axum::response::Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    axum::response::Response::from_parts(
        parts,
        axum::body::Body::from(bytes.slice(..bytes.len() / 2)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(path: Option<&str>, count: u32) -> Fault {
        Fault {
            path_contains: path.map(str::to_owned),
            kind: FaultKind::Status,
            status: 500,
            retry_after_secs: 1,
            delay_ms: 0,
            remaining: count,
            problem: RateProblem::Minute,
            mangle: None,
        }
    }

    #[test]
    fn a_fault_hits_only_matching_calls_and_only_count_times() {
        let mut faults = Faults::default();
        faults.add(fault(Some("BankTransactions"), 2));
        assert!(faults
            .take("/xero/api/api.xro/2.0/Invoices", true)
            .is_none());
        assert!(faults
            .take("/xero/api/api.xro/2.0/BankTransactions", true)
            .is_some());
        assert!(faults
            .take("/xero/api/api.xro/2.0/BankTransactions?page=2", true)
            .is_some());
        assert!(faults
            .take("/xero/api/api.xro/2.0/BankTransactions", true)
            .is_none());
    }

    #[test]
    fn a_fault_without_a_path_matches_any_call() {
        let mut faults = Faults::default();
        faults.add(fault(None, 1));
        assert!(faults.take("/xero/api/connections", false).is_some());
        assert!(faults.take("/xero/api/connections", false).is_none());
    }

    fn spec(kind: FaultKind) -> FaultSpec {
        FaultSpec {
            path_contains: None,
            kind,
            status: None,
            retry_after_secs: None,
            delay_ms: None,
            count: None,
            problem: None,
            record_index: None,
            remove: None,
            set: None,
        }
    }

    #[test]
    fn a_mangle_fault_waits_for_a_listing() {
        let mut faults = Faults::default();
        let fault = Fault::from_spec(FaultSpec {
            remove: Some(vec!["Status".into()]),
            ..spec(FaultKind::MangleRecord)
        })
        .unwrap();
        assert_eq!(fault.mangle.as_ref().unwrap().record_index, 0);
        faults.add(fault);
        assert!(faults
            .take("/xero/api/api.xro/2.0/Organisation", false)
            .is_none());
        assert!(faults
            .take("/xero/api/api.xro/2.0/Accounts", true)
            .is_some());
        assert!(faults
            .take("/xero/api/api.xro/2.0/Accounts", true)
            .is_none());
    }

    #[test]
    fn fields_of_another_kind_are_refused() {
        assert!(Fault::from_spec(spec(FaultKind::MangleRecord)).is_err());
        assert!(Fault::from_spec(FaultSpec {
            record_index: Some(1),
            ..spec(FaultKind::Status)
        })
        .is_err());
        assert!(Fault::from_spec(FaultSpec {
            problem: Some(RateProblem::Day),
            ..spec(FaultKind::Slow)
        })
        .is_err());
        let day = Fault::from_spec(FaultSpec {
            problem: Some(RateProblem::Day),
            retry_after_secs: Some(43_200),
            ..spec(FaultKind::RateLimit)
        })
        .unwrap();
        assert_eq!((day.problem.name(), day.retry_after_secs), ("day", 43_200));
    }
}
