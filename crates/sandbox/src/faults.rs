//! Faults a test can queue for the next matching API calls, to exercise a client's retries,
//! parsing errors, back-off and re-authentication without a flaky network.

use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` and a Xero-style error body.
    Status,
    /// Answer 429 with `Retry-After: retry_after_secs`.
    RateLimit,
    /// Answer 200 with the real body cut short.
    BrokenJson,
    /// Wait `delay_ms`, then answer normally.
    Slow,
    /// Revoke the caller's grant, then answer 401 as Xero does for a disconnected app.
    RevokeGrant,
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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub path_contains: Option<String>,
    pub kind: FaultKind,
    pub status: u16,
    pub retry_after_secs: u64,
    pub delay_ms: u64,
    pub remaining: u32,
}

impl Fault {
    pub fn from_spec(spec: FaultSpec) -> Result<Self, String> {
        let status = spec.status.unwrap_or(500);
        if !(100..=599).contains(&status) {
            return Err(format!("status {status} is not an HTTP status"));
        }
        Ok(Fault {
            path_contains: spec.path_contains.filter(|p| !p.is_empty()),
            kind: spec.kind,
            status,
            retry_after_secs: spec.retry_after_secs.unwrap_or(1),
            delay_ms: spec.delay_ms.unwrap_or(2000),
            remaining: spec.count.unwrap_or(1),
        })
    }

    fn to_json(&self) -> Value {
        json!({
            "path_contains": self.path_contains,
            "kind": format!("{:?}", self.kind),
            "status": self.status,
            "retry_after_secs": self.retry_after_secs,
            "delay_ms": self.delay_ms,
            "remaining": self.remaining,
        })
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
    /// query of the request), oldest first.
    pub fn take(&mut self, target: &str) -> Option<Fault> {
        let i = self.queue.iter().position(|f| {
            f.path_contains
                .as_deref()
                .is_none_or(|needle| target.contains(needle))
        })?;
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
        }
    }

    #[test]
    fn a_fault_hits_only_matching_calls_and_only_count_times() {
        let mut faults = Faults::default();
        faults.add(fault(Some("BankTransactions"), 2));
        assert!(faults.take("/xero/api/api.xro/2.0/Invoices").is_none());
        assert!(faults
            .take("/xero/api/api.xro/2.0/BankTransactions")
            .is_some());
        assert!(faults
            .take("/xero/api/api.xro/2.0/BankTransactions?page=2")
            .is_some());
        assert!(faults
            .take("/xero/api/api.xro/2.0/BankTransactions")
            .is_none());
    }

    #[test]
    fn a_fault_without_a_path_matches_any_call() {
        let mut faults = Faults::default();
        faults.add(fault(None, 1));
        assert!(faults.take("/xero/api/connections").is_some());
        assert!(faults.take("/xero/api/connections").is_none());
    }
}
