//! What the cloud connector tests share: a sandbox on an ephemeral loopback port with its cloud
//! control endpoints, a connector built as the app builds it but pointed at the sandbox, the
//! sandbox's own credentials, a paged read of every row, and sums of the rows by month and
//! scope to compare with the totals the sandbox publishes.

use std::collections::BTreeMap;
use std::sync::Arc;

use carbonsync_providers::cloud::{CloudConnector, CloudCredentials, CloudSettings};
use carbonsync_providers::{
    cloud_registration, Basis, CallMeter, Catalogue, ProviderError, ReportedEmission, RetryPolicy,
};
use carbonsync_sandbox::{SandboxHandle, SandboxOptions};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

/// The seed of the sandbox the cloud tests start (also the sandbox's default).
pub const SEED: u64 = 2024;

/// A running sandbox and an HTTP client for its control endpoints.
pub struct CloudSandbox {
    sandbox: SandboxHandle,
    http: reqwest::Client,
}

impl CloudSandbox {
    /// A sandbox with [`SEED`] on `127.0.0.1:0`: a small accounting company and no rate limit.
    pub async fn start() -> CloudSandbox {
        CloudSandbox::start_seeded(SEED).await
    }

    /// As [`CloudSandbox::start`], with another seed (another estate and other keys).
    pub async fn start_seeded(seed: u64) -> CloudSandbox {
        let sandbox = carbonsync_sandbox::start(
            SandboxOptions {
                seed,
                records_per_org: 50,
                rate_limit: None,
                ..SandboxOptions::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .expect("sandbox starts");
        CloudSandbox {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    /// Where the sandbox serves, `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        self.sandbox.base_url()
    }

    /// `platform`'s connector from its registration, with the catalogue's sandbox endpoints on
    /// this sandbox, pages of `page_size` and the platform's own `retry`.
    pub fn connector(
        &self,
        platform: &str,
        page_size: u32,
        retry: RetryPolicy,
    ) -> Arc<dyn CloudConnector> {
        let entry = Catalogue::builtin()
            .get(platform)
            .unwrap_or_else(|| panic!("{platform} is in the catalogue"));
        (cloud_registration(platform).unwrap().build)(&CloudSettings {
            endpoints: entry.sandbox_endpoints(self.base_url()),
            sandbox: true,
            page_size,
            retry,
        })
        .expect("the connector builds")
    }

    /// `POST /_control/cloud{path}` with `body` as JSON; the sandbox must accept it.
    pub async fn control(&self, path: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}/_control/cloud{path}", self.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    /// `GET /_control/cloud/{platform}/totals`: per published month (`2024-06`), what the
    /// platform publishes for it (kg CO2e per scope, the provider's row count, and so on).
    pub async fn totals(&self, platform: &str) -> BTreeMap<String, Value> {
        self.get(&format!("/_control/cloud/{platform}/totals"))
            .await
            .json()
            .await
            .unwrap()
    }

    /// `GET path` on the sandbox, whatever it answers.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base_url()))
            .send()
            .await
            .unwrap()
    }
}

/// The sandbox's own working credentials for `platform` (with [`SEED`]), field by field.
pub fn fields(platform: &str) -> BTreeMap<String, String> {
    carbonsync_sandbox::cloud_credentials(platform, SEED).unwrap()
}

/// The sandbox's own working credentials, as the connect form stores them.
pub fn credentials(platform: &str) -> CloudCredentials {
    CloudCredentials::new(fields(platform))
}

/// The working credentials with one field replaced.
pub fn credentials_with(platform: &str, field: &str, value: &str) -> CloudCredentials {
    let mut fields = fields(platform);
    fields.insert(field.to_owned(), value.to_owned());
    CloudCredentials::new(fields)
}

/// The first day of a month written `2024-06`.
pub fn month(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").unwrap()
}

/// The exact decimal of a JSON number, or of a string holding one.
pub fn decimal(value: &Value) -> Decimal {
    match value {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.to_string().parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

/// Every row of `from..=to`, page by page, with how many pages (calls of `emissions`) it
/// took; the first error as it came.
pub async fn read_all(
    connector: &dyn CloudConnector,
    credentials: &CloudCredentials,
    from: NaiveDate,
    to: NaiveDate,
    meter: &CallMeter,
) -> Result<(Vec<ReportedEmission>, usize), ProviderError> {
    let mut rows = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = connector
            .emissions(credentials, from, to, next.as_deref(), meter)
            .await?;
        pages += 1;
        assert!(
            page.server_time.is_some(),
            "every page has the provider's Date"
        );
        rows.extend(page.rows);
        next = page.next;
        if next.is_none() {
            return Ok((rows, pages));
        }
        assert!(pages < 1000, "paging does not end");
    }
}

/// What a platform's totals call each scope and basis it publishes; a row of any other scope
/// and basis is a failure.
pub type ScopeNames = [((u8, Option<Basis>), &'static str)];

/// Sums per month (`2024-06`) of each scope and basis, named by `names`.
pub fn sums(
    rows: &[ReportedEmission],
    names: &ScopeNames,
) -> BTreeMap<String, BTreeMap<&'static str, Decimal>> {
    let mut out: BTreeMap<String, BTreeMap<&'static str, Decimal>> = BTreeMap::new();
    for r in rows {
        let name = names
            .iter()
            .find(|(key, _)| *key == (r.scope, r.basis))
            .map(|(_, name)| *name)
            .unwrap_or_else(|| panic!("unexpected scope and basis {:?}", (r.scope, r.basis)));
        *out.entry(r.month.format("%Y-%m").to_string())
            .or_default()
            .entry(name)
            .or_default() += r.kg_co2e;
    }
    out
}

/// The months of `rows` are exactly the months of `totals`, and every sum of a scope in a
/// month is the published number.
pub fn assert_sums_match(
    rows: &[ReportedEmission],
    totals: &BTreeMap<String, Value>,
    names: &ScopeNames,
) {
    let sums = sums(rows, names);
    assert_eq!(
        sums.keys().collect::<Vec<_>>(),
        totals.keys().collect::<Vec<_>>(),
        "the months read are the months published"
    );
    for (m, by_scope) in &sums {
        for (scope, kg) in by_scope {
            assert_eq!(*kg, decimal(&totals[m][*scope]), "{m} {scope}");
        }
    }
}

/// Each row read after a restatement is the row of the same key before it times `factor`,
/// rounded to grams.
pub fn assert_restated(before: &[ReportedEmission], after: &[ReportedEmission], factor: Decimal) {
    let before: BTreeMap<String, Decimal> = before.iter().map(|r| (r.key(), r.kg_co2e)).collect();
    for r in after {
        let old = before[&r.key()];
        assert_eq!(r.kg_co2e, (old * factor).round_dp(3), "{}", r.key());
    }
}
