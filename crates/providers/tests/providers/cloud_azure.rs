//! The Azure connector against the sandbox's Azure stand-in, over real HTTP: the identity
//! platform's client-credentials token, the subscription list and the Carbon Optimization
//! resource report read across many `skipToken` pages, sums per month and scope equal to the
//! generated totals, throttling waited out, refused credentials and a missing role in words
//! without the secret, a pending month published by a later clock, and a restated month.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use carbonsync_providers::{
    cloud_registration, Basis, CallMeter, ProviderError, ReportedEmission, RetryPolicy,
};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::cloud_support::{
    self, assert_restated, credentials, credentials_with, decimal, fields, month, read_all, sums,
    CloudSandbox, ScopeNames,
};

/// The sandbox's principal without the Carbon Optimization Reader role (published with the
/// stand-in as `AZURE_NO_ROLE_CLIENT_ID`); it shares the working principal's secret.
const NO_ROLE_CLIENT_ID: &str = "e3f1b7c2-58a9-4d06-8c4e-0a9b2d6f1e84";

/// Up to four attempts, with room for Azure's one-second Retry-After.
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    max_wait: Duration::from_secs(2),
    base_backoff: Duration::from_millis(5),
};

/// The three numbers Azure publishes, named as the totals name them.
const SCOPES: &ScopeNames = &[
    ((1, None), "scope1"),
    ((2, Some(Basis::Market)), "scope2_market"),
    ((3, None), "scope3_market"),
];

/// The months read are the months published, every month has all three scopes, and every
/// sum is the published number.
fn assert_sums_match(rows: &[ReportedEmission], totals: &BTreeMap<String, Value>) {
    cloud_support::assert_sums_match(rows, totals, SCOPES);
    for (m, by_scope) in &sums(rows, SCOPES) {
        assert_eq!(by_scope.len(), 3, "{m}: every scope");
    }
}

fn assert_no_secret(error: &ProviderError, secrets: &[&str]) {
    let text = format!("{error} {error:?}");
    for secret in secrets {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn identify_names_the_directory_and_its_subscriptions() {
    let azure = CloudSandbox::start().await;
    let connector = azure.connector("azure", 5000, RETRY);
    let meter = CallMeter::default();
    let estate = connector
        .identify(&credentials("azure"), &meter)
        .await
        .unwrap();
    let tenant = fields("azure")["tenant_id"].clone();
    assert_eq!(estate.tenant_id, tenant);
    assert_eq!(
        estate.name,
        format!("Azure directory {tenant} (3 subscriptions)")
    );
    assert_eq!(estate.accounts.len(), 3);
    assert!(estate
        .accounts
        .iter()
        .all(|a| a.len() == 36 && a == &a.to_ascii_lowercase()));
    assert_eq!(
        estate.server_time.unwrap().to_rfc3339(),
        "2025-01-10T12:00:00+00:00",
        "the providers' clock, from the Date header"
    );
    assert_eq!(
        meter.calls(),
        3,
        "a token, the subscriptions and one summary that proves the role"
    );
    assert_eq!(connector.publication_day(), 19);
    assert_eq!(
        connector.method(),
        "Microsoft Emissions Impact Dashboard / Carbon Optimization"
    );
    let registration = cloud_registration("azure").unwrap();
    let names: Vec<&str> = registration.fields.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        ["tenant_id", "client_id", "client_secret", "certificate"]
    );
    assert!(registration.fields[3].secret);
    assert!(registration.fields[2].secret);
    assert!(registration
        .fields
        .iter()
        .any(|f| f.help.contains("Carbon Optimization Reader")));
    assert!(registration.suppliers.contains(&"Microsoft Azure"));
}

#[tokio::test]
async fn every_published_month_is_read_across_pages_and_sums_to_the_totals() {
    let azure = CloudSandbox::start().await;
    let connector = azure.connector("azure", 20, RETRY);
    let meter = CallMeter::default();
    let estate = connector
        .identify(&credentials("azure"), &meter)
        .await
        .unwrap();
    let identify_calls = meter.calls();

    let (rows, pages) = read_all(
        &*connector,
        &credentials("azure"),
        month("2023-01"),
        month("2025-01"),
        &meter,
    )
    .await
    .unwrap();
    // One call per month and scope, through December 2024 (Azure's clock says January 2025
    // has not ended).
    assert_eq!(pages, 24 * 3);
    let requests = meter.calls() - identify_calls;
    assert!(
        requests as usize > 3 * pages,
        "many skipToken pages per month and scope: {requests} requests"
    );
    assert_eq!(meter.rate_limited(), 0);

    // The resources of one subscription, group, location and type are one row, every key
    // once.
    let keys: BTreeSet<String> = rows.iter().map(ReportedEmission::key).collect();
    assert_eq!(keys.len(), rows.len(), "row keys are unique");

    let totals = azure.totals("azure").await;
    assert!(totals.contains_key("2024-11") && !totals.contains_key("2024-12"));
    assert_sums_match(&rows, &totals);
    for m in totals.keys() {
        let count = rows
            .iter()
            .filter(|r| r.month.format("%Y-%m").to_string() == *m)
            .count();
        assert_eq!(count as u64, totals[m]["rows"].as_u64().unwrap() * 3, "{m}");
    }

    // A few rows by hand.
    let accounts: BTreeSet<&str> = estate.accounts.iter().map(String::as_str).collect();
    for r in rows.iter().step_by(41) {
        assert_eq!(r.reported_unit, "kgCO2e");
        assert_eq!(r.kg_co2e, r.reported_value);
        assert!(r.kg_co2e.scale() <= 3, "grams at most: {}", r.kg_co2e);
        assert_eq!(r.model_version, None, "the API publishes none");
        assert_eq!(r.scope3_category, None);
        assert!(accounts.contains(r.account.as_str()), "{}", r.account);
        assert!(r
            .account_name
            .as_deref()
            .unwrap()
            .starts_with("Cedar & Finch"));
        let region = r.region.as_deref().unwrap();
        assert!(
            !region.contains(' ') && region == region.to_ascii_lowercase(),
            "ARM's location name: {region}"
        );
        assert!(r.service.starts_with("microsoft."), "{}", r.service);
        assert!(r.grouping.as_deref().unwrap().starts_with("rg-"));
    }
    assert!(rows
        .iter()
        .any(|r| r.service == "microsoft.compute/virtualmachines"));
    assert!(rows
        .iter()
        .any(|r| r.region.as_deref() == Some("westeurope")));
    assert!(rows
        .iter()
        .any(|r| r.service == "microsoft.sql/servers/databases"));
}

#[tokio::test]
async fn throttling_is_waited_out_and_counted() {
    let azure = CloudSandbox::start().await;
    let connector = azure.connector("azure", 5000, RETRY);
    let creds = credentials("azure");
    // Sign in and list the subscriptions first, so the throttled requests are reports.
    connector
        .identify(&creds, &CallMeter::default())
        .await
        .unwrap();
    azure
        .control("/azure/throttle", json!({ "count": 2 }))
        .await;
    let meter = CallMeter::default();
    let page = connector
        .emissions(&creds, month("2024-03"), month("2024-03"), None, &meter)
        .await
        .unwrap();
    assert!(!page.rows.is_empty());
    assert_eq!(meter.rate_limited(), 2);
    assert!(
        meter.waited() >= Duration::from_secs(2),
        "Retry-After: 1, twice"
    );
    assert_eq!(
        meter.calls(),
        4,
        "the subscriptions, two throttled attempts and the one served"
    );
    let totals = azure.totals("azure").await;
    let scope1: Decimal = page.rows.iter().map(|r| r.kg_co2e).sum();
    assert_eq!(scope1, decimal(&totals["2024-03"]["scope1"]));
}

#[tokio::test]
async fn refused_credentials_are_explained_without_the_secret() {
    let azure = CloudSandbox::start().await;
    let connector = azure.connector("azure", 5000, RETRY);
    let real_secret = fields("azure")["client_secret"].clone();

    let wrong_secret = "Xq8Q~not.the-right_secret.value.0000";
    let meter = CallMeter::default();
    let error = connector
        .identify(
            &credentials_with("azure", "client_secret", wrong_secret),
            &meter,
        )
        .await
        .unwrap_err();
    let text = format!("{error}");
    assert!(
        matches!(error, ProviderError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(text.contains("Azure refused the client secret"), "{text}");
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert_no_secret(&error, &[wrong_secret, &real_secret]);
    assert_eq!(meter.calls(), 1, "a refused secret is not retried");

    let error = connector
        .identify(
            &credentials_with("azure", "client_id", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
            &CallMeter::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("check the client id"), "{error}");
    assert!(error.to_string().contains("AADSTS700016"), "{error}");
    assert_no_secret(&error, &[&real_secret]);

    let error = connector
        .identify(
            &credentials_with("azure", "tenant_id", "11111111-2222-4333-8444-555555555555"),
            &CallMeter::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("check the tenant id"), "{error}");
    assert!(error.to_string().contains("AADSTS90002"), "{error}");

    // A tenant id that is neither a GUID nor a domain, or no secret: nothing is sent.
    for creds in [
        credentials_with("azure", "tenant_id", "contoso/../x"),
        credentials_with("azure", "client_secret", ""),
    ] {
        let meter = CallMeter::default();
        let error = connector.identify(&creds, &meter).await.unwrap_err();
        assert!(
            matches!(error, ProviderError::InvalidConfig { .. }),
            "{error:?}"
        );
        assert_eq!(meter.calls(), 0);
    }

    // The same words when reading emissions.
    let error = connector
        .emissions(
            &credentials_with("azure", "client_secret", wrong_secret),
            month("2024-01"),
            month("2024-02"),
            None,
            &CallMeter::default(),
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("AADSTS7000215"), "{error}");
    assert_no_secret(&error, &[wrong_secret, &real_secret]);
}

#[tokio::test]
async fn a_principal_without_the_role_is_told_which_role_to_assign() {
    let azure = CloudSandbox::start().await;
    let connector = azure.connector("azure", 5000, RETRY);
    let creds = credentials_with("azure", "client_id", NO_ROLE_CLIENT_ID);
    let real_secret = fields("azure")["client_secret"].clone();

    let error = connector
        .identify(&creds, &CallMeter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::Forbidden { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("Carbon Optimization Reader"),
        "{error}"
    );
    assert!(error.to_string().contains(NO_ROLE_CLIENT_ID), "{error}");
    assert_no_secret(&error, &[&real_secret]);

    let error = read_all(
        &*connector,
        &creds,
        month("2024-01"),
        month("2024-01"),
        &CallMeter::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ProviderError::Forbidden { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("Carbon Optimization Reader"),
        "{error}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_pending_month_appears_once_published_and_a_restated_month_is_read_anew() {
    let azure = CloudSandbox::start().await;
    let connector = azure.connector("azure", 50, RETRY);
    let creds = credentials("azure");
    let meter = CallMeter::default();
    let december = month("2024-12");

    let (rows, _) = read_all(
        &*connector,
        &creds,
        month("2024-10"),
        month("2025-01"),
        &meter,
    )
    .await
    .unwrap();
    assert!(rows.iter().any(|r| r.month == month("2024-11")));
    assert!(
        !rows.iter().any(|r| r.month == december),
        "December 2024 is pending on 10 January"
    );

    azure
        .control("/clock", json!({ "now": "2025-01-25T00:00:00Z" }))
        .await;
    let (rows, _) = read_all(
        &*connector,
        &creds,
        month("2024-10"),
        month("2025-01"),
        &meter,
    )
    .await
    .unwrap();
    assert!(
        rows.iter().any(|r| r.month == december),
        "published by the 19th"
    );
    let totals = azure.totals("azure").await;
    assert_sums_match(
        &rows,
        &totals
            .clone()
            .into_iter()
            .filter(|(m, _)| m.as_str() >= "2024-10")
            .collect(),
    );

    let june = month("2024-06");
    let (before, _) = read_all(&*connector, &creds, june, june, &meter)
        .await
        .unwrap();
    azure
        .control(
            "/azure/restate",
            json!({ "month": "2024-06", "factor": "1.05" }),
        )
        .await;
    let (after, _) = read_all(&*connector, &creds, june, june, &meter)
        .await
        .unwrap();
    assert_eq!(before.len(), after.len());
    assert_restated(&before, &after, Decimal::new(105, 2));
    let totals = azure.totals("azure").await;
    assert_sums_match(
        &after,
        &totals.into_iter().filter(|(m, _)| m == "2024-06").collect(),
    );
}

#[tokio::test]
async fn page_tokens_are_the_connectors_own() {
    let azure = CloudSandbox::start().await;
    let connector = azure.connector("azure", 5000, RETRY);
    let creds = credentials("azure");
    let meter = CallMeter::default();
    let first = connector
        .emissions(&creds, month("2024-05"), month("2024-06"), None, &meter)
        .await
        .unwrap();
    assert!(first
        .rows
        .iter()
        .all(|r| r.scope == 1 && r.month == month("2024-05")));
    assert_eq!(first.next.as_deref(), Some("azure:v1:2024-05:2"));

    for token in ["dGVzZGZhZGZzZnNkZg==", "azure:v1:2023-01:1"] {
        let error = connector
            .emissions(
                &creds,
                month("2024-05"),
                month("2024-06"),
                Some(token),
                &meter,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, ProviderError::InvalidConfig { .. }),
            "{token}: {error:?}"
        );
    }

    // A range entirely after Azure's clock reads nothing.
    let page = connector
        .emissions(&creds, month("2025-01"), month("2025-03"), None, &meter)
        .await
        .unwrap();
    assert!(page.rows.is_empty() && page.next.is_none());
}
