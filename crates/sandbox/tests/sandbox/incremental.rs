//! How incremental listings behave at their edges: the `modified_since` comparison, records
//! sharing one `UpdatedDateUTC`, and the `max_page_size` cap.

use carbonsync_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

fn stamps(records: &[Value]) -> Vec<i64> {
    records
        .iter()
        .map(|r| xero_ms(&r["UpdatedDateUTC"]))
        .collect()
}

fn ids(records: &[Value], key: &str) -> Vec<String> {
    records
        .iter()
        .map(|r| r[key].as_str().unwrap().to_owned())
        .collect()
}

async fn set_comparison(sb: &Sandbox, rule: &str) {
    let settings = sb
        .control_ok("/_control/settings", json!({"modified_since": rule}))
        .await;
    assert_eq!(settings["modified_since"], rule);
}

#[tokio::test]
async fn each_modified_since_rule_starts_the_listing_where_it_says() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    assert_eq!(
        sb.control_get("/_control/settings").await["modified_since"],
        "strict"
    );
    let all = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    let all_stamps = stamps(&all);
    // Records of one day are stamped 10:00:00 plus their sequence number in ms, so a record
    // with an earlier one in the same whole second shows the three rules apart.
    let k = (1..all.len())
        .find(|&k| k > 5 && second_of(all_stamps[k - 1]) == second_of(all_stamps[k]))
        .expect("two invoices stamped in the same second");
    let first_of_second = (0..=k)
        .find(|&j| second_of(all_stamps[j]) == second_of(all_stamps[k]))
        .unwrap();
    assert!(first_of_second < k);
    let header = rfc3339_ms(all_stamps[k]);
    let from = |records: &[Value]| all.len() - records.len();

    let strict = sb
        .all_records(&tokens.access, UK, "/Invoices", Some(&header))
        .await;
    assert_eq!(from(&strict), k + 1, "strict: after the stamp");

    set_comparison(&sb, "inclusive").await;
    let inclusive = sb
        .all_records(&tokens.access, UK, "/Invoices", Some(&header))
        .await;
    assert_eq!(from(&inclusive), k, "inclusive: the stamp itself too");
    assert_eq!(inclusive[0]["InvoiceID"], all[k]["InvoiceID"]);

    set_comparison(&sb, "whole_seconds").await;
    let whole = sb
        .all_records(&tokens.access, UK, "/Invoices", Some(&header))
        .await;
    assert_eq!(
        from(&whole),
        first_of_second,
        "whole seconds: everything from the start of the stamp's second"
    );
    assert_eq!(whole[0]["InvoiceID"], all[first_of_second]["InvoiceID"]);
    let next_second = rfc3339_ms((second_of(all_stamps[k]) + 1) * 1000);
    let after = sb
        .all_records(&tokens.access, UK, "/Invoices", Some(&next_second))
        .await;
    assert!(after
        .iter()
        .all(|r| second_of(xero_ms(&r["UpdatedDateUTC"])) > second_of(all_stamps[k])));

    // The other listings follow the same rule: the chart is dated 2023-01-01T00:00:00.000.
    let half_past = Some("2023-01-01T00:00:00.500");
    let accounts = sb.get_ok(&tokens.access, UK, "/Accounts", half_past).await;
    assert_eq!(accounts["Accounts"].as_array().unwrap().len(), 39);
    set_comparison(&sb, "inclusive").await;
    let accounts = sb.get_ok(&tokens.access, UK, "/Accounts", half_past).await;
    assert!(accounts["Accounts"].as_array().unwrap().is_empty());
    let exact = Some("2023-01-01T00:00:00");
    let accounts = sb.get_ok(&tokens.access, UK, "/Accounts", exact).await;
    assert_eq!(accounts["Accounts"].as_array().unwrap().len(), 39);
    set_comparison(&sb, "strict").await;
    let accounts = sb.get_ok(&tokens.access, UK, "/Accounts", exact).await;
    assert!(accounts["Accounts"].as_array().unwrap().is_empty());

    for listing in ["/BankTransactions", "/CreditNotes"] {
        let whole_list = sb.all_records(&tokens.access, UK, listing, None).await;
        let last = whole_list.last().unwrap();
        let at_last = rfc3339_ms(xero_ms(&last["UpdatedDateUTC"]));
        set_comparison(&sb, "strict").await;
        assert!(sb
            .all_records(&tokens.access, UK, listing, Some(&at_last))
            .await
            .is_empty());
        set_comparison(&sb, "inclusive").await;
        let same = sb
            .all_records(&tokens.access, UK, listing, Some(&at_last))
            .await;
        assert_eq!(same, vec![last.clone()], "{listing}");
    }

    let bad = sb
        .control_post("/_control/settings", json!({"modified_since": "loose"}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_tie_larger_than_a_page_is_walked_once_in_a_stable_order() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let before = sb
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    let cursor = rfc3339_ms(*stamps(&before).iter().max().unwrap());

    let tied = sb
        .control_ok(
            "/_control/records/change",
            json!({"tenantId": UK, "stream": "bank_transactions", "count": 20, "same_updated": true}),
        )
        .await;
    let mut tied_ids: Vec<String> = tied["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tied_ids.len(), 20);

    let settings = sb
        .control_ok("/_control/settings", json!({"max_page_size": 7}))
        .await;
    assert_eq!(settings["max_page_size"], 7);
    let (delta, sizes) = sb
        .walk(&tokens.access, UK, "/BankTransactions", Some(&cursor), 1000)
        .await;
    assert_eq!(sizes, vec![7, 7, 7], "the page size actually served");
    let delta_stamps = stamps(&delta);
    assert!(delta_stamps.windows(2).all(|w| w[0] == w[1]));
    assert!(delta_stamps[0] > *stamps(&before).iter().max().unwrap());
    let mut delta_ids = ids(&delta, "BankTransactionID");
    let order = delta_ids.clone();
    delta_ids.sort();
    tied_ids.sort();
    assert_eq!(delta_ids, tied_ids, "each tied record exactly once");
    let (again, _) = sb
        .walk(&tokens.access, UK, "/BankTransactions", Some(&cursor), 1000)
        .await;
    assert_eq!(ids(&again, "BankTransactionID"), order, "the same order");

    // The whole listing still holds every record once, ties and all.
    let (full, _) = sb
        .walk(&tokens.access, UK, "/BankTransactions", None, 7)
        .await;
    let mut full_ids = ids(&full, "BankTransactionID");
    assert_eq!(full_ids.len(), before.len());
    full_ids.sort();
    full_ids.dedup();
    assert_eq!(full_ids.len(), before.len());
    assert_eq!(&ids(&full, "BankTransactionID")[full.len() - 20..], order);
}

#[tokio::test]
async fn whole_second_stamps_end_in_000_and_come_after_everything() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let changed = sb
        .control_ok(
            "/_control/records/change",
            json!({"tenantId": US, "stream": "invoices", "count": 3, "whole_second": true}),
        )
        .await;
    let deleted = sb
        .control_ok(
            "/_control/records/delete",
            json!({"tenantId": US, "stream": "invoices", "count": 2,
                   "whole_second": true, "same_updated": true}),
        )
        .await;
    let all = sb.all_records(&tokens.access, US, "/Invoices", None).await;
    let tail = &all[all.len() - 5..];
    let tail_stamps = stamps(tail);
    assert!(tail_stamps.iter().all(|s| s % 1000 == 0), "{tail_stamps:?}");
    assert!(tail_stamps[0] > stamps(&all[..all.len() - 5]).into_iter().max().unwrap());
    assert!(tail_stamps[..3].windows(2).all(|w| w[0] < w[1]));
    assert_eq!(tail_stamps[3], tail_stamps[4]);
    assert!(tail_stamps[3] > tail_stamps[2]);
    assert_eq!(ids(&tail[..3], "InvoiceID"), ids_of(&changed));
    let mut deleted_ids = ids_of(&deleted);
    let mut tail_deleted = ids(&tail[3..], "InvoiceID");
    deleted_ids.sort();
    tail_deleted.sort();
    assert_eq!(tail_deleted, deleted_ids);
    assert!(tail[3..].iter().all(|r| r["Status"] == "DELETED"));
}

fn ids_of(answer: &Value) -> Vec<String> {
    answer["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn more_tied_records_than_the_default_page_holds() {
    let sb = sandbox(SandboxOptions {
        records_per_org: 4000,
        ..options()
    })
    .await;
    let tokens = sb.sign_in().await;
    let first = sb
        .get_ok(
            &tokens.access,
            UK,
            "/BankTransactions?pageSize=1",
            Some("2030-01-01T00:00:00"),
        )
        .await;
    assert_eq!(first["pagination"]["itemCount"], 0);
    let tied = sb
        .control_ok(
            "/_control/records/change",
            json!({"tenantId": UK, "stream": "bank_transactions", "count": 1500,
                   "same_updated": true, "whole_second": true}),
        )
        .await;
    assert_eq!(tied["ids"].as_array().unwrap().len(), 1500);
    let all = sb
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    let stamp = xero_ms(&all.last().unwrap()["UpdatedDateUTC"]);
    let just_before = rfc3339_ms(stamp - 1);
    let (tie, sizes) = sb
        .walk(
            &tokens.access,
            UK,
            "/BankTransactions",
            Some(&just_before),
            5000,
        )
        .await;
    assert_eq!(sizes, vec![1000, 1000]);
    assert_eq!(tie.len(), 1500);
    assert!(stamps(&tie).iter().all(|&s| s == stamp));
    let page = sb
        .get_ok(
            &tokens.access,
            UK,
            "/BankTransactions?page=2&pageSize=5000",
            Some(&just_before),
        )
        .await;
    assert_eq!(
        page["pagination"],
        json!({"page": 2, "pageSize": 1000, "pageCount": 2, "itemCount": 1500})
    );
    assert_eq!(page["BankTransactions"].as_array().unwrap().len(), 500);

    for body in [
        json!({"tenantId": UK, "stream": "bank_transactions", "count": 10_001}),
        json!({"tenantId": UK, "stream": "bank_transactions", "count": 1, "same_updated": "yes"}),
        json!({"tenantId": UK, "stream": "bank_transactions", "count": 1, "tie": true}),
    ] {
        let answer = sb
            .control_post("/_control/records/change", body.clone())
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn the_page_size_cap_is_a_setting_and_pagination_reports_what_was_served() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    assert_eq!(
        sb.control_get("/_control/settings").await["max_page_size"],
        1000
    );
    sb.control_ok("/_control/settings", json!({"max_page_size": 40}))
        .await;
    for (query, served) in [
        ("?pageSize=5000", 40),
        ("", 40),
        ("?pageSize=30", 30),
        ("?pageSize=0", 1),
    ] {
        let body = sb
            .get_ok(&tokens.access, US, &format!("/Invoices{query}"), None)
            .await;
        assert_eq!(body["pagination"]["pageSize"], served, "{query}");
        assert_eq!(body["pagination"]["itemCount"], 90);
        assert_eq!(
            body["pagination"]["pageCount"],
            90u64.div_ceil(served),
            "{query}"
        );
        assert_eq!(
            body["Invoices"].as_array().unwrap().len() as u64,
            served.min(90)
        );
    }
    for bad in [json!(0), json!(-1), json!("big"), json!(1_000_000)] {
        let answer = sb
            .control_post("/_control/settings", json!({"max_page_size": bad}))
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    sb.control_ok("/_control/settings", json!({"max_page_size": 1000}))
        .await;
    let body = sb
        .get_ok(&tokens.access, US, "/Invoices?pageSize=5000", None)
        .await;
    assert_eq!(body["pagination"]["pageSize"], 1000);
}
