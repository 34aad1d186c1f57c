//! The AWS connector against the sandbox's AWS stand-in, over real HTTP with SigV4: every
//! published month read across many pages, sums per month and scope equal to the generated
//! totals, throttling waited out, refused keys in words without the secret, a pending month
//! published by a later clock, a restated month, and Cost Explorer's bill.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use carbonsync_providers::cloud::CloudCredentials;
use carbonsync_providers::{Basis, CallMeter, ProviderError, ReportedEmission, RetryPolicy};
use rust_decimal::Decimal;
use serde_json::json;

use crate::cloud_support::{
    assert_restated, assert_sums_match, credentials, credentials_with, decimal, fields, month,
    read_all, CloudSandbox, ScopeNames,
};

/// Up to four attempts, none waiting longer than 200 ms.
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    max_wait: Duration::from_millis(200),
    base_backoff: Duration::from_millis(5),
};

/// AWS's five numbers per result, named as the totals name them.
const SCOPES: &ScopeNames = &[
    ((1, None), "scope1"),
    ((2, Some(Basis::Location)), "scope2_location"),
    ((2, Some(Basis::Market)), "scope2_market"),
    ((3, Some(Basis::Location)), "scope3_location"),
    ((3, Some(Basis::Market)), "scope3_market"),
];

#[tokio::test]
async fn every_published_month_is_read_across_pages_and_sums_to_the_totals() {
    let aws = CloudSandbox::start().await;
    let connector = aws.connector("aws", 150, RETRY);
    let meter = CallMeter::default();

    let estate = connector
        .identify(&credentials("aws"), &meter)
        .await
        .unwrap();
    assert_eq!(estate.tenant_id, fields("aws")["access_key_id"]);
    assert_eq!(estate.accounts.len(), 3, "{:?}", estate.accounts);
    assert_eq!(estate.name, "AWS (3 accounts)");
    assert!(estate
        .accounts
        .iter()
        .all(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())));
    assert_eq!(
        estate.server_time.unwrap().to_rfc3339(),
        "2025-01-10T12:00:00+00:00",
        "the providers' clock, from the Date header"
    );
    assert_eq!(meter.calls(), 1);

    let (rows, pages) = read_all(
        &*connector,
        &credentials("aws"),
        month("2023-01"),
        month("2025-01"),
        &meter,
    )
    .await
    .unwrap();
    assert!(pages > 10, "{pages} pages");
    assert_eq!(meter.calls() as usize, 1 + pages, "one HTTP request a page");
    assert_eq!(meter.rate_limited(), 0);

    // One row per scope and basis of each AWS result, every key once.
    let keys: BTreeSet<String> = rows.iter().map(ReportedEmission::key).collect();
    assert_eq!(keys.len(), rows.len(), "row keys are unique");
    assert_eq!(rows.len() % 5, 0);

    let totals = aws.totals("aws").await;
    assert!(totals.contains_key("2024-11") && !totals.contains_key("2024-12"));
    assert_sums_match(&rows, &totals, SCOPES);
    for m in totals.keys() {
        let count = rows
            .iter()
            .filter(|r| r.month.format("%Y-%m").to_string() == *m)
            .count();
        assert_eq!(count as u64, totals[m]["rows"].as_u64().unwrap() * 5, "{m}");
    }

    // A few rows by hand.
    let accounts: BTreeSet<&str> = estate.accounts.iter().map(String::as_str).collect();
    for r in rows.iter().step_by(97) {
        assert_eq!(r.reported_unit, "MTCO2e");
        assert_eq!(r.kg_co2e, r.reported_value * Decimal::ONE_THOUSAND);
        assert!(r.kg_co2e.scale() <= 3, "grams at most: {}", r.kg_co2e);
        assert_eq!(r.model_version.as_deref(), Some("v3.0.0"));
        assert!(accounts.contains(r.account.as_str()), "{}", r.account);
        let region = r.region.as_deref().unwrap();
        assert!(
            region.contains('-') && region.ends_with(|c: char| c.is_ascii_digit()),
            "{region}"
        );
        assert!(
            r.service.starts_with("Amazon")
                || r.service.starts_with("AWS")
                || r.service.starts_with("aws")
                || r.service == "CodeBuild"
                || r.service == "ElasticMapReduce",
            "{}",
            r.service
        );
        assert_eq!(r.month.format("%d").to_string(), "01");
    }
    assert!(rows.iter().any(|r| r.service == "AmazonEC2"));
    assert!(rows
        .iter()
        .any(|r| r.region.as_deref() == Some("us-east-1")));
}

#[tokio::test]
async fn throttling_is_waited_out_and_counted() {
    let aws = CloudSandbox::start().await;
    let connector = aws.connector("aws", 1000, RETRY);
    aws.control("/aws/throttle", json!({ "count": 2 })).await;
    let meter = CallMeter::default();
    let page = connector
        .emissions(
            &credentials("aws"),
            month("2024-01"),
            month("2024-03"),
            None,
            &meter,
        )
        .await
        .unwrap();
    assert!(!page.rows.is_empty());
    assert_eq!(
        meter.calls(),
        3,
        "two throttled attempts and the one served"
    );
    assert_eq!(meter.rate_limited(), 2);

    // Throttled more often than the attempts allow: RateLimited, every attempt counted.
    aws.control("/aws/throttle", json!({ "count": 10 })).await;
    let meter = CallMeter::default();
    let error = connector
        .emissions(
            &credentials("aws"),
            month("2024-01"),
            month("2024-03"),
            None,
            &meter,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::RateLimited { .. }),
        "{error:?}"
    );
    assert_eq!(meter.calls(), 4);
    assert_eq!(meter.rate_limited(), 4);

    // Cost Explorer throttles with LimitExceededException (HTTP 400): waited out too.
    aws.control("/aws/throttle", json!({ "count": 1 })).await;
    let meter = CallMeter::default();
    let spend = connector
        .spend(&credentials("aws"), month("2024-02"), &meter)
        .await
        .unwrap();
    assert!(!spend.is_empty());
    assert_eq!(meter.rate_limited(), 1);
}

#[tokio::test]
async fn refused_keys_are_explained_without_the_secret() {
    let aws = CloudSandbox::start().await;
    let connector = aws.connector("aws", 1000, RETRY);
    let real_secret = credentials("aws")
        .get("secret_access_key")
        .unwrap()
        .to_owned();

    let wrong_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let meter = CallMeter::default();
    let error = connector
        .identify(
            &credentials_with("aws", "secret_access_key", wrong_secret),
            &meter,
        )
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        matches!(error, ProviderError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(
        text.contains("the secret access key does not match the access key id"),
        "{text}"
    );
    assert!(text.contains("InvalidSignatureException"), "{text}");
    assert!(
        !text.contains(wrong_secret) && !text.contains(&real_secret),
        "{text}"
    );
    assert_eq!(meter.calls(), 1, "a refused signature is not retried");

    let error = connector
        .identify(
            &credentials_with("aws", "access_key_id", "carbonsync-unknown-access-key"),
            &CallMeter::default(),
        )
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        matches!(error, ProviderError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(
        text.contains("AWS does not know this access key id"),
        "{text}"
    );
    assert!(text.contains("UnrecognizedClientException"), "{text}");
    assert!(!text.contains(&real_secret), "{text}");

    // Cost Explorer (another protocol) says it the same way.
    let error = connector
        .spend(
            &credentials_with("aws", "secret_access_key", wrong_secret),
            month("2024-01"),
            &CallMeter::default(),
        )
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the secret access key does not match"),
        "{error}"
    );

    // Neither keys nor a profile: nothing is sent.
    let meter = CallMeter::default();
    let error = connector
        .identify(&CloudCredentials::new(BTreeMap::new()), &meter)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::InvalidConfig { .. }),
        "{error:?}"
    );
    assert_eq!(meter.calls(), 0);
}

#[tokio::test]
async fn a_pending_month_appears_once_published_and_a_restated_month_is_read_anew() {
    let aws = CloudSandbox::start().await;
    let connector = aws.connector("aws", 1000, RETRY);
    let creds = credentials("aws");
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

    aws.control("/clock", json!({ "now": "2025-01-25T00:00:00Z" }))
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
        "published by the 21st"
    );
    let totals = aws.totals("aws").await;
    assert_sums_match(
        &rows,
        &totals
            .clone()
            .into_iter()
            .filter(|(m, _)| m.as_str() >= "2024-10")
            .collect(),
        SCOPES,
    );

    let june = month("2024-06");
    let (before, _) = read_all(&*connector, &creds, june, june, &meter)
        .await
        .unwrap();
    aws.control(
        "/aws/restate",
        json!({ "month": "2024-06", "factor": "1.05" }),
    )
    .await;
    let (after, _) = read_all(&*connector, &creds, june, june, &meter)
        .await
        .unwrap();
    assert_eq!(before.len(), after.len());
    assert!(after
        .iter()
        .all(|r| r.model_version.as_deref() == Some("v3.0.1")));
    assert_restated(&before, &after, Decimal::new(105, 2));
    let totals = aws.totals("aws").await;
    assert_sums_match(
        &after,
        &totals.into_iter().filter(|(m, _)| m == "2024-06").collect(),
        SCOPES,
    );
}

/// Groups in one page of the stand-in's `GetCostAndUsage`. Cost Explorer chooses its page
/// size itself (the caller cannot); the stand-in pages every 20 groups, so a month billed for
/// more services than that comes in pages and a smaller one in one.
const COST_EXPLORER_PAGE: usize = 20;

#[tokio::test]
async fn spend_by_service_sums_to_the_estates_cost() {
    let aws = CloudSandbox::start().await;
    let connector = aws.connector("aws", 1000, RETRY);
    let totals = aws.totals("aws").await;
    let mut paged = 0;
    for m in ["2023-01", "2024-06", "2024-11"] {
        let meter = CallMeter::default();
        let lines = connector
            .spend(&credentials("aws"), month(m), &meter)
            .await
            .unwrap();
        assert_eq!(
            meter.calls() as usize,
            lines.len().div_ceil(COST_EXPLORER_PAGE),
            "{m}: one request a page of the bill ({} services)",
            lines.len()
        );
        if lines.len() > COST_EXPLORER_PAGE {
            paged += 1;
        }
        assert!(lines
            .iter()
            .all(|l| l.currency == "USD" && l.month == month(m)));
        let services: BTreeSet<&str> = lines.iter().map(|l| l.service.as_str()).collect();
        assert_eq!(services.len(), lines.len(), "one line a service");
        assert!(
            services.contains("Amazon Elastic Compute Cloud - Compute"),
            "{services:?}"
        );
        let sum: Decimal = lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, decimal(&totals[m]["cost_usd"]), "{m}");
    }
    assert!(paged >= 1, "some month's bill comes in pages");
}
