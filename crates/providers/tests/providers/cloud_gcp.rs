//! The Google Cloud connector against the sandbox's stand-in, over real HTTP on loopback: the
//! service-account JWT grant, BigQuery's `jobs.query` / `jobs.getQueryResults` paging, and
//! what the export adds up to.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use carbonsync_providers::{
    Basis, CallMeter, CloudConnector, CloudCredentials, ProviderError, ReportedEmission,
    RetryPolicy,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::cloud_support::{decimal, read_all, sums, CloudSandbox, ScopeNames, SEED};

/// The export table the stand-in holds.
const TABLE: &str = "cedar-finch-carbon.carbon_footprint_export.carbon_footprint";

/// Up to five attempts, none waiting longer than two seconds.
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 5,
    max_wait: Duration::from_secs(2),
    base_backoff: Duration::from_millis(20),
};

/// The four numbers of each export row, named as the totals name them.
const SCOPES: &ScopeNames = &[
    ((1, None), "scope1"),
    ((2, Some(Basis::Location)), "scope2_location"),
    ((2, Some(Basis::Market)), "scope2_market"),
    ((3, None), "scope3_location"),
];

/// A sandbox and the service account key file it hands out.
struct Env {
    cloud: CloudSandbox,
    key_json: String,
}

async fn env_with_seed(seed: u64) -> Env {
    let cloud = CloudSandbox::start_seeded(seed).await;
    let key_json = cloud
        .get("/_control/gcp/service-account-key")
        .await
        .error_for_status()
        .unwrap()
        .text()
        .await
        .unwrap();
    Env { cloud, key_json }
}

async fn env() -> Env {
    env_with_seed(SEED).await
}

impl Env {
    fn connector(&self, page_size: u32) -> Arc<dyn CloudConnector> {
        self.cloud.connector("gcp", page_size, RETRY)
    }

    fn credentials(&self) -> CloudCredentials {
        credentials(&self.key_json, TABLE)
    }

    async fn calls(&self, name: &str) -> u64 {
        let stats: Value = self
            .cloud
            .get("/_control/stats")
            .await
            .json()
            .await
            .unwrap();
        find_count(&stats, name).unwrap_or(0)
    }
}

/// The count of `name` wherever `/_control/stats` keeps it.
fn find_count(stats: &Value, name: &str) -> Option<u64> {
    match stats {
        Value::Object(map) => map
            .get(name)
            .and_then(Value::as_u64)
            .or_else(|| map.values().find_map(|v| find_count(v, name))),
        _ => None,
    }
}

fn credentials(key: &str, table: &str) -> CloudCredentials {
    CloudCredentials::new(BTreeMap::from([
        ("service_account_key".to_owned(), key.to_owned()),
        ("table".to_owned(), table.to_owned()),
    ]))
}

fn month(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

/// For each of `months`, the sum of each of the four scopes is the published number (a
/// scope without rows sums to zero).
fn assert_matches_totals(
    rows: &[ReportedEmission],
    totals: &BTreeMap<String, Value>,
    months: &[String],
) {
    let sums = sums(rows, SCOPES);
    for m in months {
        let t = totals.get(m).unwrap_or(&Value::Null);
        assert!(t.is_object(), "no totals for {m}");
        for (_, scope) in SCOPES {
            assert_eq!(
                sums.get(m)
                    .and_then(|s| s.get(scope))
                    .copied()
                    .unwrap_or_default(),
                decimal(&t[*scope]),
                "{m} {scope}"
            );
        }
    }
}

#[tokio::test]
async fn a_full_read_across_many_pages_adds_up_to_the_published_totals() {
    let env = env().await;
    let connector = env.connector(250);
    let creds = env.credentials();
    let meter = CallMeter::default();
    let (rows, pages) = read_all(&*connector, &creds, month(2023, 1), month(2024, 12), &meter)
        .await
        .unwrap();
    assert!(pages >= 10, "only {pages} pages");

    let totals = env.cloud.totals("gcp").await;
    let published: Vec<String> = totals.keys().cloned().collect();
    assert_eq!(published.len(), 23, "January 2023 to November 2024");
    assert_matches_totals(&rows, &totals, &published);
    // December 2024 is not published at the default clock (10 January 2025).
    assert!(rows.iter().all(|r| r.month < month(2024, 12)));
    let months: BTreeSet<NaiveDate> = rows.iter().map(|r| r.month).collect();
    assert_eq!(months.len(), 23);

    // Every provider row gives four numbers, all in kg as published.
    let provider_rows: usize = published
        .iter()
        .map(|m| totals[m.as_str()]["rows"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(rows.len(), provider_rows * 4);
    assert!(rows.iter().all(|r| r.reported_unit == "kgCO2e"
        && r.reported_value == r.kg_co2e
        && r.model_version.as_deref() == Some("11")
        && r.scope3_category.is_none()));

    // A row by hand: the first project's first service in the first region, January 2023.
    let first: Vec<&ReportedEmission> = rows
        .iter()
        .filter(|r| {
            r.month == month(2023, 1)
                && r.account == "cedar-finch-web"
                && r.service == "Compute Engine"
                && r.region.as_deref() == Some("europe-west2")
        })
        .collect();
    assert_eq!(first.len(), 4, "{first:?}");
    assert!(
        first
            .iter()
            .all(|r| r.grouping.as_deref() == Some("01A7C3-5E9B2F-D48C61")
                && r.account_name.is_none())
    );
    let location = first
        .iter()
        .find(|r| r.basis == Some(Basis::Location))
        .unwrap();
    let market = first
        .iter()
        .find(|r| r.basis == Some(Basis::Market))
        .unwrap();
    assert!(market.kg_co2e <= location.kg_co2e);
    // The third project is billed to the second billing account.
    assert!(rows
        .iter()
        .filter(|r| r.account == "cedar-finch-shop")
        .all(|r| r.grouping.as_deref() == Some("018B2E-C7D410-9AF35B")));

    // One query; its result was still running on the first answer, so every page (the first
    // too) came from getQueryResults. One sign-in served the whole read.
    assert_eq!(env.calls("gcp.jobs.query").await, 1);
    assert_eq!(env.calls("gcp.jobs.getQueryResults").await, pages as u64);
    assert_eq!(env.calls("gcp.token").await, 1);
    assert_eq!(meter.calls() as usize, 1 + 1 + pages);
}

#[tokio::test]
async fn identify_names_the_table_and_its_projects_and_keeps_the_token() {
    let env = env().await;
    let connector = env.connector(1000);
    let meter = CallMeter::default();
    let estate = connector
        .identify(&env.credentials(), &meter)
        .await
        .unwrap();
    assert_eq!(estate.tenant_id, TABLE);
    assert_eq!(estate.name, format!("Google Cloud carbon export {TABLE}"));
    assert_eq!(
        estate.accounts,
        ["cedar-finch-data", "cedar-finch-shop", "cedar-finch-web"]
    );
    assert_eq!(
        estate.server_time.map(|t| t.to_rfc3339()),
        Some("2025-01-10T12:00:00+00:00".to_owned())
    );
    assert_eq!(connector.method(), "Google Cloud Carbon Footprint");
    assert_eq!(connector.publication_day(), 15);

    connector
        .identify(&env.credentials(), &meter)
        .await
        .unwrap();
    assert_eq!(env.calls("gcp.token").await, 1, "the access token is kept");
    assert_eq!(env.calls("gcp.jobs.query").await, 2);
}

#[tokio::test]
async fn a_forged_key_for_the_same_account_is_refused_with_invalid_grant() {
    let env = env().await;
    // Another RSA key (another sandbox's), passed off as this account's key: same email, same
    // key id, another private key.
    let other = env_with_seed(SEED + 1).await;
    let mut forged: Value = serde_json::from_str(&env.key_json).unwrap();
    let other_key: Value = serde_json::from_str(&other.key_json).unwrap();
    assert_eq!(forged["client_email"], other_key["client_email"]);
    assert_ne!(forged["private_key"], other_key["private_key"]);
    forged["private_key"] = other_key["private_key"].clone();
    let forged = forged.to_string();

    let connector = env.connector(100);
    let meter = CallMeter::default();
    let err = connector
        .identify(&credentials(&forged, TABLE), &meter)
        .await
        .unwrap_err();
    let ProviderError::Unauthorized { detail } = &err else {
        panic!("expected Unauthorized, got {err:?}");
    };
    assert!(detail.contains("invalid_grant"), "{detail}");
    assert!(detail.contains("Invalid JWT Signature."), "{detail}");
    assert!(
        detail.contains("the key was deleted or is not valid"),
        "{detail}"
    );
    assert!(detail.contains("carbonsync-reader@cedar-finch-carbon.iam.gserviceaccount.com"));
    // Neither the key nor any of its lines shows in the error.
    let pem = other_key["private_key"].as_str().unwrap();
    for line in pem.lines().filter(|l| l.len() > 20) {
        assert!(!err.to_string().contains(line));
        assert!(!format!("{err:?}").contains(line));
    }
    assert_eq!(meter.calls(), 1, "a refused grant is not retried");
    assert_eq!(env.calls("gcp.jobs.query").await, 0);
}

#[tokio::test]
async fn files_that_are_not_service_account_keys_are_refused_before_any_call() {
    let env = env().await;
    let connector = env.connector(100);
    let meter = CallMeter::default();
    let user = r#"{"type":"authorized_user","client_id":"x.apps.googleusercontent.com","client_secret":"d-FL95Q19q7MQmFpd7hHD0Ty","refresh_token":"1//0gsecret-refresh"}"#;
    let err = connector
        .identify(&credentials(user, TABLE), &meter)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::InvalidConfig { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("not a service account's key"),
        "{err}"
    );
    assert!(!err.to_string().contains("1//0gsecret-refresh"));
    assert!(!err.to_string().contains("d-FL95Q19q7MQmFpd7hHD0Ty"));

    let err = connector
        .identify(&credentials(&env.key_json, "carbon_footprint"), &meter)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("project.dataset.table"), "{err}");
    assert_eq!(meter.calls(), 0);
}

#[tokio::test]
async fn an_unknown_table_is_named_in_words_and_missing_access_names_the_roles() {
    let env = env().await;
    let connector = env.connector(100);
    let meter = CallMeter::default();

    let typo = "cedar-finch-carbon.carbon_footprint_export.carbon_footprnt";
    let err = connector
        .identify(&credentials(&env.key_json, typo), &meter)
        .await
        .unwrap_err();
    let ProviderError::InvalidConfig { detail } = &err else {
        panic!("expected InvalidConfig, got {err:?}");
    };
    assert!(
        detail.contains(&format!("BigQuery has no table `{typo}`")),
        "{detail}"
    );
    assert!(detail.contains("HTTP 404"), "{detail}");

    let other_dataset = "cedar-finch-carbon.billing_export.carbon_footprint";
    let err = connector
        .emissions(
            &credentials(&env.key_json, other_dataset),
            month(2024, 1),
            month(2024, 1),
            None,
            &meter,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::InvalidConfig { detail } if detail.contains(other_dataset)),
        "{err:?}"
    );

    let elsewhere = "someone-elses-project.carbon.carbon_footprint";
    let err = connector
        .identify(&credentials(&env.key_json, elsewhere), &meter)
        .await
        .unwrap_err();
    let ProviderError::Forbidden { detail } = &err else {
        panic!("expected Forbidden, got {err:?}");
    };
    assert!(
        detail.contains("BigQuery Data Viewer (roles/bigquery.dataViewer)"),
        "{detail}"
    );
    assert!(
        detail.contains("BigQuery Job User (roles/bigquery.jobUser)"),
        "{detail}"
    );
    assert!(detail.contains(elsewhere), "{detail}");

    // Queries run in the table's project unless another is named; one the account may not
    // run jobs in is refused naming it.
    let mut creds: BTreeMap<String, String> = BTreeMap::from([
        ("service_account_key".to_owned(), env.key_json.clone()),
        ("table".to_owned(), TABLE.to_owned()),
        (
            "billing_project".to_owned(),
            "finance-billing-01".to_owned(),
        ),
    ]);
    let err = connector
        .identify(&CloudCredentials::new(creds.clone()), &meter)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Forbidden { detail } if detail.contains("on project finance-billing-01")),
        "{err:?}"
    );
    creds.insert("billing_project".to_owned(), "Finance Billing".to_owned());
    let err = connector
        .identify(&CloudCredentials::new(creds), &meter)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::InvalidConfig { detail } if detail.contains("billing project")),
        "{err:?}"
    );
}

#[tokio::test]
async fn throttled_queries_are_waited_out() {
    let env = env().await;
    let connector = env.connector(100);
    let creds = env.credentials();
    env.cloud
        .control("/gcp/throttle", json!({"count": 3}))
        .await;
    let meter = CallMeter::default();
    let (rows, pages) = read_all(&*connector, &creds, month(2024, 1), month(2024, 3), &meter)
        .await
        .unwrap();
    assert!(pages >= 2);
    assert_eq!(meter.rate_limited(), 3);
    let totals = env.cloud.totals("gcp").await;
    assert_matches_totals(
        &rows,
        &totals,
        &[
            "2024-01".to_owned(),
            "2024-02".to_owned(),
            "2024-03".to_owned(),
        ],
    );
}

#[tokio::test]
async fn the_pending_month_appears_once_published_and_a_restated_month_is_read_anew() {
    let env = env().await;
    let connector = env.connector(400);
    let creds = env.credentials();
    let meter = CallMeter::default();

    let (rows, _) = read_all(
        &*connector,
        &creds,
        month(2024, 12),
        month(2024, 12),
        &meter,
    )
    .await
    .unwrap();
    assert!(rows.is_empty(), "December 2024 is pending on 10 January");

    env.cloud
        .control("/clock", json!({"now": "2025-01-25T00:00:00Z"}))
        .await;
    let (rows, _) = read_all(
        &*connector,
        &creds,
        month(2024, 12),
        month(2024, 12),
        &meter,
    )
    .await
    .unwrap();
    assert!(!rows.is_empty());
    let totals = env.cloud.totals("gcp").await;
    assert_matches_totals(&rows, &totals, &["2024-12".to_owned()]);

    let (before, _) = read_all(&*connector, &creds, month(2024, 6), month(2024, 6), &meter)
        .await
        .unwrap();
    env.cloud
        .control(
            "/gcp/restate",
            json!({"month": "2024-06", "factor": "1.05"}),
        )
        .await;
    let (after, _) = read_all(&*connector, &creds, month(2024, 6), month(2024, 6), &meter)
        .await
        .unwrap();
    let totals = env.cloud.totals("gcp").await;
    assert_matches_totals(&after, &totals, &["2024-06".to_owned()]);
    assert_eq!(before.len(), after.len());
    assert!(before
        .iter()
        .all(|r| r.model_version.as_deref() == Some("11")));
    assert!(after
        .iter()
        .all(|r| r.model_version.as_deref() == Some("12")));
    // Row by row: the same key, the value × 1.05 rounded to grams.
    let factor = Decimal::from_str("1.05").unwrap();
    let after_by_key: BTreeMap<String, Decimal> =
        after.iter().map(|r| (r.key(), r.kg_co2e)).collect();
    for r in &before {
        assert_eq!(
            after_by_key[&r.key()],
            (r.kg_co2e * factor).round_dp(3),
            "{}",
            r.key()
        );
    }
}
