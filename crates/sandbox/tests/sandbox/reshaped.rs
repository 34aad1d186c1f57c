//! Faults that serve what real Xero sometimes serves: records missing optional fields or
//! carrying unreadable values, and 429s naming each of Xero's limits.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn a_mangled_account_loses_exactly_the_named_fields() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let plain = sb.get_ok(&tokens.access, UK, "/Accounts", None).await;
    let queued = sb
        .control_ok(
            "/_control/faults",
            json!({"kind": "mangle_record", "path_contains": "/Accounts",
                   "remove": ["Status", "UpdatedDateUTC"], "count": 2}),
        )
        .await;
    assert_eq!(
        queued["faults"][0]["remove"],
        json!(["Status", "UpdatedDateUTC"])
    );
    assert_eq!(queued["faults"][0]["record_index"], 0);

    for _ in 0..2 {
        let body = sb.get_ok(&tokens.access, UK, "/Accounts", None).await;
        let accounts = body["Accounts"].as_array().unwrap();
        let first = accounts[0].as_object().unwrap();
        assert!(!first.contains_key("Status") && !first.contains_key("UpdatedDateUTC"));
        let mut expected = plain["Accounts"][0].as_object().unwrap().clone();
        expected.remove("Status");
        expected.remove("UpdatedDateUTC");
        assert_eq!(first, &expected, "nothing else changed");
        assert_eq!(accounts[1..], plain["Accounts"].as_array().unwrap()[1..]);
    }
    let after = sb.get_ok(&tokens.access, UK, "/Accounts", None).await;
    assert_eq!(after["Accounts"], plain["Accounts"], "only count answers");
}

#[tokio::test]
async fn a_mangled_bank_transaction_carries_the_value_set_and_keeps_the_rest_verbatim() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let path = "/api.xro/2.0/BankTransactions?page=1&pageSize=5";
    let plain = sb
        .api(&tokens.access, Some(US), path, None)
        .await
        .text()
        .await
        .unwrap();
    // A fault with no path waits for a listing: Organisation and connections pass it by.
    sb.control_ok(
        "/_control/faults",
        json!({"kind": "mangle_record", "record_index": 1,
               "set": {"Date": "/Date(abc)/", "Total": "n/a", "Extra": [1]}}),
    )
    .await;
    let org = sb.get_ok(&tokens.access, US, "/Organisation", None).await;
    assert_eq!(org["Organisations"][0]["Name"], "Northwind Outfitters Inc.");
    assert_eq!(
        sb.api(&tokens.access, None, "/connections", None)
            .await
            .status(),
        StatusCode::OK
    );
    let mangled = sb
        .api(&tokens.access, Some(US), path, None)
        .await
        .text()
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&mangled).unwrap();
    let plain_body: Value = serde_json::from_str(&plain).unwrap();
    let records = body["BankTransactions"].as_array().unwrap();
    let before = plain_body["BankTransactions"].as_array().unwrap();
    assert_eq!(records[1]["Date"], "/Date(abc)/");
    assert_eq!(records[1]["Total"], "n/a");
    assert_eq!(records[1]["Extra"], json!([1]));
    assert_eq!(records[1]["LineItems"], before[1]["LineItems"]);
    assert_eq!(
        records[1]["BankTransactionID"],
        before[1]["BankTransactionID"]
    );
    for i in [0, 2, 3, 4] {
        assert_eq!(records[i], before[i], "record {i} untouched");
    }
    // The other fields keep Xero's money text: two decimals.
    let plain_records = &plain[plain.find("\"BankTransactions\":").unwrap()..];
    let mangled_records = &mangled[mangled.find("\"BankTransactions\":").unwrap()..];
    let sub_total = |text: &str, n: usize| {
        let at = text.match_indices("\"SubTotal\":").nth(n).unwrap().0;
        text[at..at + text[at..].find(',').unwrap()].to_owned()
    };
    assert_eq!(sub_total(mangled_records, 1), sub_total(plain_records, 1));
    assert!(sub_total(mangled_records, 1).contains('.'));
    assert_eq!(mangled_records.matches("\"Total\":\"n/a\"").count(), 1);
}

#[tokio::test]
async fn a_mangle_fault_reaches_credit_notes_and_invoices_by_path() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    sb.control_ok(
        "/_control/faults",
        json!({"kind": "mangle_record", "path_contains": "CreditNotes",
               "remove": ["UpdatedDateUTC"], "set": {"Status": null}}),
    )
    .await;
    let invoices = sb.get_ok(&tokens.access, UK, "/Invoices", None).await;
    assert!(invoices["Invoices"][0].get("UpdatedDateUTC").is_some());
    let notes = sb.get_ok(&tokens.access, UK, "/CreditNotes", None).await;
    let first = &notes["CreditNotes"][0];
    assert!(first.get("UpdatedDateUTC").is_none());
    assert_eq!(first["Status"], Value::Null);
    assert!(first.get("Status").is_some());
    assert!(notes["CreditNotes"][1].get("UpdatedDateUTC").is_some());

    // An index past the end of the page leaves the answer as it is.
    sb.control_ok(
        "/_control/faults",
        json!({"kind": "mangle_record", "record_index": 500, "remove": ["Type"]}),
    )
    .await;
    let whole = sb.get_ok(&tokens.access, UK, "/Invoices", None).await;
    assert_eq!(whole["Invoices"], invoices["Invoices"]);
}

#[tokio::test]
async fn malformed_fault_specs_are_refused_with_a_reason() {
    let sb = sandbox(options()).await;
    for spec in [
        json!({"kind": "mangle_record"}),
        json!({"kind": "mangle_record", "remove": "Status"}),
        json!({"kind": "mangle_record", "set": ["Status"]}),
        json!({"kind": "status", "remove": ["Status"]}),
        json!({"kind": "rate_limit", "problem": "hour"}),
        json!({"kind": "status", "problem": "day"}),
    ] {
        let answer = sb.control_post("/_control/faults", spec.clone()).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{spec}");
        let body: Value = answer.json().await.unwrap();
        assert!(!body["error"].as_str().unwrap().is_empty(), "{spec}");
    }
    assert_eq!(
        sb.control_get("/_control/faults").await["faults"],
        json!([])
    );
}

#[tokio::test]
async fn a_rate_limit_fault_names_the_limit_that_was_hit() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    for (problem, retry, exhausted) in [
        ("day", 43_200, Some("x-daylimit-remaining")),
        ("appminute", 30, Some("x-appminlimit-remaining")),
        ("concurrent", 1, None),
        ("minute", 20, Some("x-minlimit-remaining")),
    ] {
        sb.control_ok(
            "/_control/faults",
            json!({"kind": "rate_limit", "problem": problem, "retry_after_secs": retry}),
        )
        .await;
        let answer = sb
            .api(&tokens.access, Some(UK), "/api.xro/2.0/Invoices", None)
            .await;
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS, "{problem}");
        let headers = answer.headers().clone();
        assert_eq!(headers["x-rate-limit-problem"], problem);
        assert_eq!(headers["retry-after"], retry.to_string().as_str());
        if let Some(header) = exhausted {
            assert_eq!(headers[header], "0", "{problem}");
        }
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["Status"], 429);
    }
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["rate_limited"], 4);
    assert_eq!(stats["calls"]["GET /Invoices"], 0);
}
