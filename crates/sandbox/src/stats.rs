//! Counters that tests read through `/_control/stats` to check what a client actually did:
//! how many pages it fetched, how often it refreshed, whether it hit the rate limit. Xero's
//! calls are keyed `"GET /BankTransactions"`; QuickBooks' `"GET /quickbooks/…"`, a query by
//! its entity (`"GET /quickbooks/query Purchase"`; one that names none it serves, or does not
//! parse, under `"GET /quickbooks/query"`). Token counters cover both platforms.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// Listed even before their first call, so a test can read any of them without a missing
/// key meaning zero.
const ENDPOINTS: &[&str] = &[
    "GET /authorize",
    "POST /authorize/decision",
    "POST /token",
    "POST /revocation",
    "GET /connections",
    "GET /Organisation",
    "GET /Accounts",
    "GET /BankTransactions",
    "GET /Invoices",
    "GET /CreditNotes",
    "GET /quickbooks/authorize",
    "POST /quickbooks/authorize/decision",
    "POST /quickbooks/tokens/bearer",
    "POST /quickbooks/tokens/revoke",
    "GET /quickbooks/companyinfo",
    "GET /quickbooks/preferences",
    "GET /quickbooks/query Purchase",
    "GET /quickbooks/query Bill",
    "GET /quickbooks/query VendorCredit",
    "GET /quickbooks/query Account",
    "GET /quickbooks/query Vendor",
    "GET /quickbooks/query Item",
    "GET /quickbooks/query",
    "GET /quickbooks/cdc",
];

#[derive(Debug)]
pub struct Stats {
    calls: BTreeMap<String, u64>,
    pub tokens_issued: u64,
    pub tokens_refreshed: u64,
    pub tokens_revoked: u64,
    pub rate_limited: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            calls: ENDPOINTS.iter().map(|e| (e.to_string(), 0)).collect(),
            tokens_issued: 0,
            tokens_refreshed: 0,
            tokens_revoked: 0,
            rate_limited: 0,
        }
    }
}

impl Stats {
    pub fn count(&mut self, endpoint: &str) {
        *self.calls.entry(endpoint.to_owned()).or_default() += 1;
    }

    pub fn calls_json(&self) -> Value {
        json!(self.calls)
    }

    pub fn tokens_json(&self) -> Value {
        json!({
            "issued": self.tokens_issued,
            "refreshed": self.tokens_refreshed,
            "revoked": self.tokens_revoked,
        })
    }
}
