//! The control API: record edits seen by incremental sync, the rate limit, faults, settings
//! and counters.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

fn last_stamp(records: &[Value]) -> i64 {
    records
        .iter()
        .map(|r| xero_ms(&r["UpdatedDateUTC"]))
        .max()
        .unwrap()
}

#[tokio::test]
async fn changed_records_come_back_incrementally_with_new_amounts() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let first = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    let cursor = rfc3339_ms(last_stamp(&first));
    assert!(sb
        .all_records(&tokens.access, UK, "/Invoices", Some(&cursor))
        .await
        .is_empty());

    let changed = sb
        .control_ok(
            "/_control/records/change",
            json!({"tenantId": UK, "stream": "invoices", "count": 3}),
        )
        .await;
    let ids: Vec<&str> = changed["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);

    let delta = sb
        .all_records(&tokens.access, UK, "/Invoices", Some(&cursor))
        .await;
    let delta_ids: Vec<&str> = delta
        .iter()
        .map(|r| r["InvoiceID"].as_str().unwrap())
        .collect();
    assert_eq!(
        delta_ids, ids,
        "exactly the changed records, in the order they changed"
    );
    for new in &delta {
        let old = first
            .iter()
            .find(|r| r["InvoiceID"] == new["InvoiceID"])
            .unwrap();
        assert_eq!(new["Type"], "ACCPAY");
        assert!(
            !new["InvoiceID"].as_str().unwrap().starts_with("f1a00000"),
            "fixtures are never picked"
        );
        let old_line = old["LineItems"][0]["LineAmount"].as_f64().unwrap();
        let new_line = new["LineItems"][0]["LineAmount"].as_f64().unwrap();
        assert!((new_line - old_line - 10.0).abs() < 0.001);
        assert_eq!(
            new["Reference"].as_str().unwrap(),
            format!("{} (amended)", old["Reference"].as_str().unwrap())
        );
        assert!(new["Total"].as_f64().unwrap() > old["Total"].as_f64().unwrap());
        assert!(xero_ms(&new["UpdatedDateUTC"]) > xero_ms(&old["UpdatedDateUTC"]));
    }
    // A full listing still has each record once, with the changed ones at the end.
    let full = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    assert_eq!(full.len(), first.len());
    let tail: Vec<&str> = full[full.len() - 3..]
        .iter()
        .map(|r| r["InvoiceID"].as_str().unwrap())
        .collect();
    assert_eq!(tail, ids);
}

#[tokio::test]
async fn deleted_records_come_back_with_deleted_status() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let first = sb
        .all_records(&tokens.access, US, "/BankTransactions", None)
        .await;
    let cursor = rfc3339_ms(last_stamp(&first));

    let f5 = "f1a00000-0000-4000-8000-000000000005";
    let by_count = sb
        .control_ok(
            "/_control/records/delete",
            json!({"tenantId": US, "stream": "bank_transactions", "count": 2}),
        )
        .await;
    let by_id = sb
        .control_ok(
            "/_control/records/delete",
            json!({"tenantId": US, "stream": "bank_transactions", "ids": [f5]}),
        )
        .await;
    assert_eq!(by_id["ids"], json!([f5]));

    let delta = sb
        .all_records(&tokens.access, US, "/BankTransactions", Some(&cursor))
        .await;
    assert_eq!(delta.len(), 3);
    assert!(delta.iter().all(|r| r["Status"] == "DELETED"));
    assert_eq!(delta[2]["BankTransactionID"], f5);
    for id in by_count["ids"].as_array().unwrap() {
        let r = delta
            .iter()
            .find(|r| &r["BankTransactionID"] == id)
            .unwrap();
        assert_eq!(r["Type"], "SPEND");
    }
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["tenants"][1]["counts"]["deleted"], 3);
    assert_eq!(stats["tenants"][0]["counts"]["deleted"], 0);
}

#[tokio::test]
async fn record_edits_with_bad_input_are_refused() {
    let sb = sandbox(options()).await;
    let cases = [
        (
            json!({"tenantId": UK, "stream": "journals", "count": 1}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"tenantId": UK, "stream": "invoices"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"tenantId": "00000000-0000-4000-8000-000000000000", "stream": "invoices", "count": 1}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"tenantId": UK, "stream": "invoices", "ids": ["00000000-0000-4000-8000-000000000000"]}),
            StatusCode::NOT_FOUND,
        ),
        // A UK fixture id is not in the US data.
        (
            json!({"tenantId": US, "stream": "bank_transactions", "ids": ["f1a00000-0000-4000-8000-000000000001"]}),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (body, status) in cases {
        assert_eq!(
            sb.control_post("/_control/records/change", body.clone())
                .await
                .status(),
            status,
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let sb = sandbox(options()).await;
    sb.control_ok(
        "/_control/settings",
        json!({"rate_limit": {"calls": 3, "window_secs": 60}}),
    )
    .await;
    let tokens = sb.sign_in().await;
    for expected_left in ["2", "1", "0"] {
        let answer = sb
            .api(&tokens.access, Some(UK), "/api.xro/2.0/Organisation", None)
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["x-minlimit-remaining"], expected_left);
        assert!(answer.headers().contains_key("x-daylimit-remaining"));
        assert!(answer.headers().contains_key("x-appminlimit-remaining"));
    }
    let refused = sb
        .api(&tokens.access, Some(UK), "/api.xro/2.0/Organisation", None)
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["x-rate-limit-problem"], "minute");
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // The limit is per tenant.
    let other = sb
        .api(&tokens.access, Some(US), "/api.xro/2.0/Organisation", None)
        .await;
    assert_eq!(other.status(), StatusCode::OK);

    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["rate_limited"], 1);
    assert_eq!(
        stats["calls"]["GET /Organisation"], 4,
        "the 429 is not a call served"
    );
}

#[tokio::test]
async fn a_rate_limited_client_gets_through_after_waiting_retry_after() {
    let sb = sandbox(options()).await;
    sb.control_ok(
        "/_control/settings",
        json!({"rate_limit": {"calls": 1, "window_secs": 1}}),
    )
    .await;
    let tokens = sb.sign_in().await;
    assert_eq!(
        sb.api(&tokens.access, Some(UK), "/api.xro/2.0/Accounts", None)
            .await
            .status(),
        StatusCode::OK
    );
    let refused = sb
        .api(&tokens.access, Some(UK), "/api.xro/2.0/Accounts", None)
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "1");
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(
        sb.api(&tokens.access, Some(UK), "/api.xro/2.0/Accounts", None)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_status_fault_hits_only_the_next_matching_calls() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.control_ok(
        "/_control/faults",
        json!({"path_contains": "BankTransactions", "kind": "status", "status": 503, "count": 2}),
    )
    .await;
    let path = "/api.xro/2.0/BankTransactions";
    assert_eq!(
        sb.api(&tokens.access, Some(UK), "/api.xro/2.0/Invoices", None)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        sb.api(&tokens.access, Some(UK), path, None).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        sb.api(&tokens.access, Some(US), path, None).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        sb.api(&tokens.access, Some(UK), path, None).await.status(),
        StatusCode::OK
    );
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(
        stats["calls"]["GET /BankTransactions"], 1,
        "faulted calls are not served"
    );
}

#[tokio::test]
async fn a_broken_json_fault_truncates_a_200_body() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.control_ok("/_control/faults", json!({"kind": "broken_json"}))
        .await;
    let answer = sb
        .api(&tokens.access, Some(UK), "/api.xro/2.0/Invoices", None)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let text = answer.text().await.unwrap();
    assert!(!text.is_empty());
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let whole = sb
        .api(&tokens.access, Some(UK), "/api.xro/2.0/Invoices", None)
        .await;
    assert!(whole.json::<Value>().await.is_ok());
}

#[tokio::test]
async fn a_slow_fault_delays_the_answer() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.control_ok(
        "/_control/faults",
        json!({"kind": "slow", "delay_ms": 300, "path_contains": "Organisation"}),
    )
    .await;
    let started = Instant::now();
    let answer = sb
        .api(&tokens.access, Some(UK), "/api.xro/2.0/Organisation", None)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_rate_limit_fault_answers_429_with_the_requested_retry_after() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.control_ok(
        "/_control/faults",
        json!({"kind": "rate_limit", "retry_after_secs": 7}),
    )
    .await;
    let answer = sb
        .api(&tokens.access, Some(UK), "/api.xro/2.0/Accounts", None)
        .await;
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers()["retry-after"], "7");
    assert_eq!(answer.headers()["x-rate-limit-problem"], "minute");
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["rate_limited"], 1);
}

#[tokio::test]
async fn a_revoke_grant_fault_disconnects_the_caller() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.control_ok("/_control/faults", json!({"kind": "revoke_grant"}))
        .await;
    let answer = sb
        .api(&tokens.access, Some(UK), "/api.xro/2.0/Accounts", None)
        .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        sb.api(&tokens.access, None, "/connections", None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let refresh = sb.refresh(&tokens.refresh).await;
    assert_eq!(refresh.status(), StatusCode::BAD_REQUEST);
    let body: Value = refresh.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn clearing_faults_drops_the_queued_ones() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.control_ok("/_control/faults", json!({"kind": "status", "count": 5}))
        .await;
    let cleared = sb
        .http
        .delete(sb.url("/_control/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(
        sb.api(&tokens.access, Some(UK), "/api.xro/2.0/Accounts", None)
            .await
            .status(),
        StatusCode::OK
    );
    let bad = sb
        .control_post("/_control/faults", json!({"kind": "explode"}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn settings_change_only_the_given_fields() {
    let sb = sandbox(options()).await;
    let before = sb.control_get("/_control/settings").await;
    assert_eq!(before["access_token_ttl_secs"], 1800);
    assert_eq!(before["refresh_token_ttl_secs"], 60 * 24 * 3600);
    assert_eq!(before["rate_limit"], Value::Null);
    assert_eq!(before["auto_approve"], false);

    let after = sb
        .control_ok(
            "/_control/settings",
            json!({"rate_limit": {"calls": 10, "window_secs": 30}}),
        )
        .await;
    assert_eq!(after["rate_limit"], json!({"calls": 10, "window_secs": 30}));
    assert_eq!(after["access_token_ttl_secs"], 1800);
    let off = sb
        .control_ok(
            "/_control/settings",
            json!({"rate_limit": null, "auto_approve": true}),
        )
        .await;
    assert_eq!(off["rate_limit"], Value::Null);
    assert_eq!(off["auto_approve"], true);
    assert_eq!(sb.control_get("/_control/settings").await, off);

    let bad = sb
        .control_post(
            "/_control/settings",
            json!({"access_token_ttl_secs": "soon"}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn stats_count_the_calls_served_and_reset_to_zero() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.api(&tokens.access, None, "/connections", None).await;
    sb.get_ok(&tokens.access, UK, "/Accounts", None).await;
    sb.get_ok(&tokens.access, UK, "/BankTransactions?page=1", None)
        .await;
    sb.get_ok(&tokens.access, US, "/BankTransactions?page=2", None)
        .await;
    sb.api("sbx_at_bogus", Some(UK), "/api.xro/2.0/Invoices", None)
        .await;

    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["calls"]["GET /connections"], 1);
    assert_eq!(stats["calls"]["GET /Accounts"], 1);
    assert_eq!(stats["calls"]["GET /BankTransactions"], 2);
    assert_eq!(
        stats["calls"]["GET /Invoices"], 0,
        "an unauthorised call is not served"
    );
    assert_eq!(stats["calls"]["POST /token"], 1);
    assert_eq!(stats["tokens"]["issued"], 1);
    let tenants = stats["tenants"].as_array().unwrap();
    assert_eq!(tenants[0]["tenantId"], UK);
    assert_eq!(tenants[0]["name"], "Harbour & Pine Ltd");
    assert_eq!(tenants[0]["currency"], "GBP");
    assert_eq!(tenants[0]["counts"]["accounts"], 39);
    assert_eq!(tenants[0]["counts"]["bank_transactions"], 210);
    assert_eq!(tenants[0]["counts"]["invoices"], 90);
    assert_eq!(tenants[1]["currency"], "USD");

    sb.control_ok("/_control/stats/reset", json!({})).await;
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["calls"]["GET /BankTransactions"], 0);
    assert_eq!(stats["tokens"]["issued"], 0);
    assert_eq!(stats["rate_limited"], 0);
}
