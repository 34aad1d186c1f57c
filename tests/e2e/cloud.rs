//! A cloud platform connected with keys through its form: Google Cloud on the sandbox, with
//! the sandbox's own account (the form left empty), synced, and its reported totals checked
//! against what `carbonsync cloud` says.

use crate::harness::Desktop;
use crate::{as_shown, keychain_has, wait_for_a_succeeded_sync};
use std::time::{Duration, Instant};

/// Connects Google Cloud through the window's form, waits for its first sync and checks the
/// figures a person would: the reported totals under both bases on the Cloud page and beside
/// the spend-based total on the Emissions page. Returns the connection's id.
pub async fn connect_google_cloud_with_the_sandbox_account(d: &Desktop) -> i64 {
    d.click("[data-testid=nav-integrations]").await;
    d.click("[data-testid=connect-gcp]").await;
    d.find("[data-testid=cloud-connect-gcp]").await;
    // The form comes from the platform's fields: the key is a password field.
    let key = d
        .find("[data-testid=cloud-field-service_account_key]")
        .await;
    assert_eq!(
        key.attr("type").await.unwrap().as_deref(),
        Some("password"),
        "a secret is typed without being shown"
    );
    d.screenshot("cloud-connect-form").await;
    d.click("[data-testid=cloud-use-sandbox]").await;

    let start = Instant::now();
    let conn = loop {
        let connections = d.cli_json(&["connections"]);
        if let Some(c) = connections
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["provider"] == "gcp")
        {
            break c.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "Google Cloud was not connected: {connections}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let id = conn["id"].as_i64().unwrap();
    assert_eq!(conn["sandbox"], true);
    assert!(
        keychain_has(conn["vault_key"].as_str().unwrap()),
        "the keys are in the keychain"
    );
    // The window starts its first sync as soon as it is connected.
    wait_for_a_succeeded_sync(d, id).await;

    let cloud = d.cli_json(&["cloud", "--connection", &id.to_string()]);
    let location = as_shown(cloud["totals"]["location_kg_co2e"].as_str().unwrap());
    let market = as_shown(cloud["totals"]["market_kg_co2e"].as_str().unwrap());
    assert!(
        cloud["totals"]["rows"].as_i64().unwrap() > 0,
        "the sandbox reported something: {cloud}"
    );

    d.click("[data-testid=nav-cloud]").await;
    d.find("[data-testid=page-cloud]").await;
    d.text_until("[data-testid=cloud-total-location]", &location, |t| {
        t.contains(&location)
    })
    .await;
    d.text_until("[data-testid=cloud-total-market]", &market, |t| {
        t.contains(&market)
    })
    .await;
    d.find("[data-testid=cloud-rows]").await;
    d.find("[data-testid=cloud-months]").await;
    d.screenshot("cloud").await;

    // The Emissions page shows what every cloud connection reported beside the spend-based
    // total.
    let all = d.cli_json(&["cloud"]);
    let reported = as_shown(all["totals"]["location_kg_co2e"].as_str().unwrap());
    d.click("[data-testid=nav-emissions]").await;
    d.find("[data-testid=page-emissions]").await;
    d.text_until("[data-testid=beside-reported-location]", &reported, |t| {
        t.contains(&reported)
    })
    .await;
    d.screenshot("emissions-beside-reported").await;
    id
}
