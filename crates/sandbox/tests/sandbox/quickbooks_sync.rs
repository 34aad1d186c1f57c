//! Incremental sync against the QuickBooks company: edits made through the control API seen
//! by queries and by change data capture, the CDC limits, persistence, and the company being
//! built only when QuickBooks is used.

use std::collections::HashSet;

use carbonsync_sandbox::SandboxOptions;
use chrono::{Duration as Span, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::quickbooks_support::*;
use crate::support::*;

/// An ISO 8601 time `minutes` from now, in UTC.
fn minutes_from_now(minutes: i64) -> String {
    (Utc::now() + Span::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The entity lists of a CDC answer, by entity name.
fn cdc_lists(body: &Value) -> Vec<(String, Vec<Value>)> {
    body["CDCResponse"][0]["QueryResponse"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|entry| {
            entry
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| v.is_array())
                .map(|(k, v)| (k.clone(), v.as_array().unwrap().clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn cdc_reports_a_changed_record_in_full_and_a_deleted_one_by_id() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let before = sb.qb_all(&tokens.access, "Purchase", "").await;
    let newest = before.last().unwrap()["MetaData"]["LastUpdatedTime"]
        .as_str()
        .unwrap()
        .to_owned();

    let changed = sb
        .control_ok(
            "/_control/quickbooks/records/change",
            json!({"entity": "Purchase", "count": 1}),
        )
        .await;
    let changed_id = changed["ids"][0].as_str().unwrap().to_owned();
    let deleted = sb
        .control_ok(
            "/_control/quickbooks/records/delete",
            json!({"entity": "Bill", "ids": ["9002"]}),
        )
        .await;
    assert_eq!(deleted, json!({"ids": ["9002"]}));

    let answer = sb
        .qb_cdc(
            &tokens.access,
            "Purchase,Bill,VendorCredit",
            &minutes_from_now(-5),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers().contains_key("intuit_tid"));
    let body: Value = answer.json().await.unwrap();
    qb_time(&body["time"]);
    let entries = body["CDCResponse"][0]["QueryResponse"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "one entry per entity asked for");
    assert_eq!(entries[2], json!({}), "no vendor credit changed");

    let purchases = entries[0]["Purchase"].as_array().unwrap();
    assert_eq!(purchases.len(), 1);
    assert_eq!(entries[0]["startPosition"], 1);
    assert_eq!(entries[0]["maxResults"], 1);
    let purchase = &purchases[0];
    assert_eq!(purchase["Id"], changed_id.as_str());
    assert_eq!(purchase["SyncToken"], "1");
    let original = before
        .iter()
        .find(|r| r["Id"] == changed_id.as_str())
        .unwrap();
    assert_eq!(
        cents(&purchase["Line"][0]["Amount"]),
        cents(&original["Line"][0]["Amount"]) + 1_000
    );
    assert_eq!(
        cents(&purchase["TotalAmt"]),
        cents(&original["TotalAmt"]) + 1_000
    );
    assert!(
        qb_time(&purchase["MetaData"]["LastUpdatedTime"]) > qb_time(&json!(newest)),
        "stamped later than every other record"
    );
    assert_eq!(
        purchase["MetaData"]["CreateTime"],
        original["MetaData"]["CreateTime"]
    );

    let bill = &entries[1]["Bill"].as_array().unwrap()[0];
    let mut fields: Vec<&String> = bill.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["Id", "MetaData", "domain", "status"]);
    assert_eq!(bill["Id"], "9002");
    assert_eq!(bill["status"], "Deleted");
    assert_eq!(bill["domain"], "QBO");
    assert!(
        qb_time(&bill["MetaData"]["LastUpdatedTime"])
            > qb_time(&purchase["MetaData"]["LastUpdatedTime"])
    );

    // Queries never show the deleted bill, and see the change after the newest stamp seen.
    let gone = sb
        .qb_query(&tokens.access, "SELECT * FROM Bill WHERE Id = '9002'")
        .await;
    assert_eq!(gone["QueryResponse"], json!({}));
    let since = sb
        .qb_all(
            &tokens.access,
            "Purchase",
            &format!("WHERE Metadata.LastUpdatedTime > '{newest}'"),
        )
        .await;
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["Id"], changed_id.as_str());
    assert_eq!(
        sb.control_get("/_control/stats").await["calls"]["GET /quickbooks/cdc"],
        1
    );
}

#[tokio::test]
async fn cdc_refuses_a_look_back_of_more_than_30_days() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let old = (Utc::now() - Span::days(31)).format("%Y-%m-%d").to_string();
    let answer = sb.qb_cdc(&tokens.access, "Purchase", &old).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["Fault"]["type"], "ValidationFault");
    let detail = body["Fault"]["Error"][0]["Detail"].as_str().unwrap();
    assert!(detail.contains("older than"), "{detail}");

    // 29 days back is fine, and with nothing changed every entry is empty.
    let recent = (Utc::now() - Span::days(29)).format("%Y-%m-%d").to_string();
    let answer = sb.qb_cdc(&tokens.access, "Purchase,Bill", &recent).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body["CDCResponse"][0]["QueryResponse"],
        json!([{}, {}]),
        "the generated data is older than 30 days"
    );
    for (entities, since) in [
        ("Invoice", minutes_from_now(-5)),
        ("Purchase", "yesterday".to_owned()),
        ("", minutes_from_now(-5)),
    ] {
        let answer = sb.qb_cdc(&tokens.access, entities, &since).await;
        assert_eq!(
            answer.status(),
            StatusCode::BAD_REQUEST,
            "{entities} {since}"
        );
    }
}

#[tokio::test]
async fn cdc_answers_at_most_1000_objects_the_oldest_changes_first() {
    let sb = sandbox(SandboxOptions {
        records_per_org: 4_500,
        ..options()
    })
    .await;
    let tokens = sb.qb_sign_in().await;
    let since = minutes_from_now(-5);
    let purchases = sb
        .control_ok(
            "/_control/quickbooks/records/change",
            json!({"entity": "Purchase", "count": 700}),
        )
        .await;
    assert_eq!(purchases["ids"].as_array().unwrap().len(), 700);
    let bills = sb
        .control_ok(
            "/_control/quickbooks/records/delete",
            json!({"entity": "Bill", "count": 400}),
        )
        .await;
    assert_eq!(bills["ids"].as_array().unwrap().len(), 400);

    let body: Value = sb
        .qb_cdc(&tokens.access, "Purchase,Bill", &since)
        .await
        .json()
        .await
        .unwrap();
    let lists = cdc_lists(&body);
    let total: usize = lists.iter().map(|(_, l)| l.len()).sum();
    assert_eq!(total, 1000);
    assert_eq!(lists[0].0, "Purchase");
    assert_eq!(lists[0].1.len(), 700, "the older changes come first");
    assert_eq!(lists[1].1.len(), 300);

    // Asking again from the newest stamp seen brings the rest (and that one again).
    let newest = lists[1].1.last().unwrap()["MetaData"]["LastUpdatedTime"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest: Value = sb
        .qb_cdc(&tokens.access, "Purchase,Bill", &newest)
        .await
        .json()
        .await
        .unwrap();
    let rest = cdc_lists(&rest);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].0, "Bill");
    assert_eq!(rest[0].1.len(), 101);
    let seen: HashSet<&str> = lists[1]
        .1
        .iter()
        .chain(rest[0].1.iter())
        .map(|b| b["Id"].as_str().unwrap())
        .collect();
    assert_eq!(seen.len(), 400, "every deleted bill reported");
}

#[tokio::test]
async fn edits_refuse_unknown_or_deleted_ids_and_unknown_entities() {
    let sb = sandbox(options()).await;
    let unknown = sb
        .control_post(
            "/_control/quickbooks/records/change",
            json!({"entity": "Purchase", "ids": ["9001", "77"]}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    sb.control_ok(
        "/_control/quickbooks/records/delete",
        json!({"entity": "VendorCredit", "ids": ["9003"]}),
    )
    .await;
    let again = sb
        .control_post(
            "/_control/quickbooks/records/change",
            json!({"entity": "VendorCredit", "ids": ["9003"]}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    for bad in [
        json!({"entity": "Invoice", "count": 1}),
        json!({"entity": "Purchase"}),
        json!({"entity": "Purchase", "count": 1, "ids": ["9001"]}),
        json!({"entity": "Purchase", "count": 1, "stream": "x"}),
    ] {
        let answer = sb
            .control_post("/_control/quickbooks/records/change", bad.clone())
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    // The one bad id changed nothing: 9001 is untouched.
    let tokens = sb.qb_sign_in().await;
    let q1 = sb
        .qb_query(&tokens.access, "SELECT * FROM Purchase WHERE Id = '9001'")
        .await;
    assert_eq!(q1["QueryResponse"]["Purchase"][0]["SyncToken"], "0");
}

#[tokio::test]
async fn tokens_and_edits_survive_a_restart_and_the_company_is_built_only_when_used() {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("state.json");
    let opts = || SandboxOptions {
        state_path: Some(state_path.clone()),
        ..options()
    };

    let first = sandbox(opts()).await;
    let xero = first.sign_in().await;
    first
        .get_ok(&xero.access, UK, "/BankTransactions?page=1", None)
        .await;
    let stats = first.control_get("/_control/stats").await;
    assert_eq!(
        stats["quickbooks"]["generated"], false,
        "Xero alone builds nothing"
    );
    assert_eq!(stats["quickbooks"]["counts"], Value::Null);

    let tokens = first.qb_sign_in().await;
    let changed = first
        .control_ok(
            "/_control/quickbooks/records/change",
            json!({"entity": "Bill", "count": 2}),
        )
        .await;
    first
        .control_ok(
            "/_control/quickbooks/records/delete",
            json!({"entity": "Purchase", "ids": ["9005"]}),
        )
        .await;
    let before = first.qb_all(&tokens.access, "Bill", "").await;
    let stats = first.control_get("/_control/stats").await;
    assert_eq!(stats["quickbooks"]["generated"], true);
    assert_eq!(stats["quickbooks"]["counts"]["deleted"], 1);
    first.handle.shutdown().await;

    let text = std::fs::read_to_string(&state_path).unwrap();
    assert!(!text.contains(&tokens.access) && !text.contains(&tokens.refresh));

    let second = sandbox(opts()).await;
    let after = second.qb_all(&tokens.access, "Bill", "").await;
    assert_eq!(after, before, "same records, edits included, same order");
    let tail: Vec<&Value> = after[after.len() - 2..].iter().map(|r| &r["Id"]).collect();
    assert_eq!(
        tail,
        changed["ids"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    );
    let q5 = second
        .qb_query(&tokens.access, "SELECT * FROM Purchase WHERE Id = '9005'")
        .await;
    assert_eq!(q5["QueryResponse"], json!({}), "still deleted");
    let refreshed = second.qb_refresh(&tokens.refresh).await;
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "the refresh token was kept"
    );
    // Xero's grant came back too.
    assert_eq!(
        second
            .api(&xero.access, None, "/connections", None)
            .await
            .status(),
        StatusCode::OK
    );
}
