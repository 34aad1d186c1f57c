//! The QuickBooks company's API: company info, preferences, the query language with its
//! paging and answer shapes, the fixtures, Intuit's faults and throttling.

use std::collections::HashSet;
use std::time::Duration;

use carbonsync_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::quickbooks_support::*;
use crate::support::*;

/// Big enough for more than 2,500 purchases.
fn large() -> SandboxOptions {
    SandboxOptions {
        records_per_org: 4_500,
        ..options()
    }
}

/// The first error of a fault answer, after checking status, type and `intuit_tid`.
async fn fault(answer: reqwest::Response, status: StatusCode, kind: &str) -> Value {
    assert_eq!(answer.status(), status);
    assert!(answer.headers().contains_key("intuit_tid"));
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["Fault"]["type"], kind, "{body}");
    assert!(body["time"].is_string());
    body["Fault"]["Error"][0].clone()
}

fn by_id<'a>(records: &'a [Value], id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["Id"] == id)
        .unwrap_or_else(|| panic!("record {id} is missing"))
}

#[tokio::test]
async fn company_info_and_preferences_describe_the_company() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let answer = sb
        .qb_get(
            &tokens.access,
            &format!("/companyinfo/{REALM}?minorversion=75"),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers().contains_key("intuit_tid"));
    let body: Value = answer.json().await.unwrap();
    let info = &body["CompanyInfo"];
    assert_eq!(info["CompanyName"], "Cedar & Finch Trading Co.");
    assert_eq!(info["Country"], "US");
    assert_eq!(info["Id"], "1");
    assert!(info["SyncToken"].is_string());
    qb_time(&info["MetaData"]["LastUpdatedTime"]);
    qb_time(&body["time"]);

    let prefs: Value = sb
        .qb_get(&tokens.access, "/preferences?minorversion=75")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        prefs["Preferences"]["CurrencyPrefs"],
        json!({"MultiCurrencyEnabled": true, "HomeCurrency": {"value": "USD"}})
    );
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["calls"]["GET /quickbooks/companyinfo"], 1);
    assert_eq!(stats["calls"]["GET /quickbooks/preferences"], 1);
    assert_eq!(stats["quickbooks"]["realmId"], REALM);
    assert_eq!(stats["quickbooks"]["name"], "Cedar & Finch Trading Co.");
}

#[tokio::test]
async fn a_missing_unknown_or_expired_token_gets_an_authentication_fault() {
    let sb = sandbox(options()).await;
    let no_token = sb
        .http
        .get(sb.url(&format!("/quickbooks/v3/company/{REALM}/preferences")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_token.headers()["www-authenticate"],
        "Bearer realm=\"Intuit\", error=\"invalid_token\""
    );
    let error = fault(no_token, StatusCode::UNAUTHORIZED, "AuthenticationFault").await;
    assert_eq!(
        error["Message"],
        "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    );
    assert_eq!(error["code"], "3200");
    assert!(error["Detail"].is_string());

    let bogus = sb.qb_get("sbx_qbat_not-a-token", "/preferences").await;
    assert!(bogus.headers().contains_key("www-authenticate"));
    assert_eq!(
        fault(bogus, StatusCode::UNAUTHORIZED, "AuthenticationFault").await["code"],
        "3200"
    );

    sb.control_ok(
        "/_control/settings",
        json!({"quickbooks_access_token_ttl_secs": 0}),
    )
    .await;
    let tokens = sb.qb_sign_in().await;
    let expired = sb.qb_get(&tokens.access, "/preferences").await;
    let error = fault(expired, StatusCode::UNAUTHORIZED, "AuthenticationFault").await;
    assert!(error["Detail"].as_str().unwrap().contains("expired"));
    assert_eq!(
        sb.control_get("/_control/stats").await["calls"]["GET /quickbooks/preferences"],
        0,
        "refused calls are not served"
    );
}

#[tokio::test]
async fn another_realm_is_an_authorization_fault() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let answer = sb
        .qb_get_in(&tokens.access, "1234567890", "/preferences")
        .await;
    let error = fault(answer, StatusCode::FORBIDDEN, "AuthorizationFault").await;
    assert_eq!(error["code"], "3100");
    assert_eq!(
        error["Message"],
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
    );
}

#[tokio::test]
async fn paging_with_maxresults_1000_returns_every_purchase_once_in_time_order() {
    let sb = sandbox(large()).await;
    let tokens = sb.qb_sign_in().await;
    let count = sb
        .qb_query(&tokens.access, "select count(*) from Purchase")
        .await;
    let total = count["QueryResponse"]["totalCount"].as_u64().unwrap() as usize;
    assert!(total > 2_500, "{total}");

    // MAXRESULTS above 1000 is served as 1000.
    let first = sb
        .qb_query(
            &tokens.access,
            "SELECT * FROM Purchase STARTPOSITION 1 MAXRESULTS 5000",
        )
        .await;
    assert_eq!(first["QueryResponse"]["maxResults"], 1000);
    assert_eq!(first["QueryResponse"]["startPosition"], 1);
    let time = qb_time(&first["time"]);
    assert_eq!(
        time.offset().local_minus_utc() % 3600,
        0,
        "a whole-hour Pacific offset"
    );

    let all = sb.qb_all(&tokens.access, "Purchase", "").await;
    assert_eq!(all.len(), total);
    let ids: HashSet<&str> = all.iter().map(|r| r["Id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), total, "no record twice");
    let times: Vec<_> = all
        .iter()
        .map(|r| qb_time(&r["MetaData"]["LastUpdatedTime"]))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // Written to the second with a Pacific offset, winter and summer.
    let offsets: HashSet<String> = all
        .iter()
        .map(|r| r["MetaData"]["LastUpdatedTime"].as_str().unwrap()[19..].to_owned())
        .collect();
    assert_eq!(
        offsets,
        HashSet::from(["-08:00".to_owned(), "-07:00".to_owned()])
    );
    for r in &all {
        assert_eq!(r["domain"], "QBO");
        assert!(["Cash", "Check", "CreditCard"].contains(&r["PaymentType"].as_str().unwrap()));
        let lines: i64 = r["Line"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| cents(&l["Amount"]))
            .sum();
        let tax = cents(&r["TxnTaxDetail"]["TotalTax"]);
        assert_eq!(cents(&r["TotalAmt"]), lines + tax, "{}", r["Id"]);
    }
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(
        stats["calls"]["GET /quickbooks/query Purchase"].as_u64(),
        Some(2 + total.div_ceil(1000) as u64 + 1)
    );
    assert_eq!(stats["quickbooks"]["counts"]["Purchase"], total);
}

#[tokio::test]
async fn a_time_condition_selects_strictly_later_or_at_and_later_records() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let all = sb.qb_all(&tokens.access, "Bill", "").await;
    let middle = &all[all.len() / 2];
    let stamp = middle["MetaData"]["LastUpdatedTime"].as_str().unwrap();
    let later = sb
        .qb_all(
            &tokens.access,
            "Bill",
            &format!("WHERE Metadata.LastUpdatedTime > '{stamp}'"),
        )
        .await;
    assert_eq!(later.len(), all.len() - all.len() / 2 - 1);
    assert!(later
        .iter()
        .all(|r| qb_time(&r["MetaData"]["LastUpdatedTime"]) > qb_time(&json!(stamp))));
    let from = sb
        .qb_all(
            &tokens.access,
            "Bill",
            &format!("where metadata.lastupdatedtime >= '{stamp}'"),
        )
        .await;
    assert_eq!(from.len(), later.len() + 1);
    assert_eq!(from[0]["Id"], middle["Id"]);
    // The same instant written in UTC selects the same.
    let utc = qb_time(&json!(stamp))
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let same = sb
        .qb_all(
            &tokens.access,
            "Bill",
            &format!("WHERE Metadata.LastUpdatedTime > '{utc}'"),
        )
        .await;
    assert_eq!(same.len(), later.len());
}

#[tokio::test]
async fn an_empty_result_has_no_entity_key() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let body = sb
        .qb_query(
            &tokens.access,
            "SELECT * FROM VendorCredit WHERE Metadata.LastUpdatedTime > '2031-01-01T00:00:00-08:00'",
        )
        .await;
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["QueryResponse", "time"]);
    assert_eq!(body["QueryResponse"], json!({}));
    let beyond = sb
        .qb_query(&tokens.access, "SELECT * FROM Bill STARTPOSITION 100000")
        .await;
    assert_eq!(beyond["QueryResponse"], json!({}));
}

#[tokio::test]
async fn a_query_that_does_not_parse_is_a_validation_fault_4000() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    for statement in [
        "SELECT * FROM",
        "SELECT * FROM Purchase WHERE Metadata.LastUpdatedTime > ",
        "SELECT * FROM Purchase ORDER Metadata.LastUpdatedTime",
    ] {
        let answer = sb
            .http
            .get(sb.url(&format!("/quickbooks/v3/company/{REALM}/query")))
            .query(&[("query", statement)])
            .bearer_auth(&tokens.access)
            .send()
            .await
            .unwrap();
        let error = fault(answer, StatusCode::BAD_REQUEST, "ValidationFault").await;
        assert_eq!(error["code"], "4000", "{statement}");
        assert_eq!(error["Message"], "Error parsing query");
    }
    let unknown = sb
        .http
        .get(sb.url(&format!("/quickbooks/v3/company/{REALM}/query")))
        .query(&[("query", "SELECT * FROM Invoice")])
        .bearer_auth(&tokens.access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fault(unknown, StatusCode::BAD_REQUEST, "ValidationFault").await["code"],
        "4001"
    );
    assert_eq!(
        sb.control_get("/_control/stats").await["calls"]["GET /quickbooks/query"],
        4
    );
}

#[tokio::test]
async fn the_fixtures_have_their_ids_and_exact_amounts() {
    for seed in [1, 2024] {
        let sb = sandbox(SandboxOptions {
            seed,
            records_per_org: 50,
            ..options()
        })
        .await;
        let tokens = sb.qb_sign_in().await;
        let purchases = sb
            .qb_query(
                &tokens.access,
                "SELECT * FROM Purchase WHERE Id IN ('9001', '9004', '9005')",
            )
            .await;
        let purchases = purchases["QueryResponse"]["Purchase"].as_array().unwrap();
        assert_eq!(purchases.len(), 3);

        let q1 = by_id(purchases, "9001");
        assert_eq!(q1["PaymentType"], "CreditCard");
        assert_eq!(q1["TotalAmt"], json!(1250));
        assert_eq!(q1["TxnDate"], "2024-03-12");
        assert_eq!(q1["CurrencyRef"]["value"], "USD");
        assert_eq!(q1["EntityRef"]["type"], "Vendor");
        assert!(q1.get("Credit").is_none_or(|c| c == false));
        assert_eq!(
            q1["AccountRef"],
            json!({"value": "3", "name": "Business Credit Card"})
        );
        let line = &q1["Line"][0];
        assert_eq!(line["Amount"], json!(1250));
        assert_eq!(line["DetailType"], "AccountBasedExpenseLineDetail");
        assert_eq!(
            line["AccountBasedExpenseLineDetail"]["AccountRef"],
            json!({"value": "23", "name": "Travel"})
        );

        let q4 = by_id(purchases, "9004");
        assert_eq!(q4["PaymentType"], "Check");
        assert_eq!(q4["DocNumber"], "1042");
        assert_eq!(q4["TotalAmt"], json!(300));
        assert_eq!(
            q4["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"],
            json!({"value": "29", "name": "Sundry 400"})
        );

        let q5 = by_id(purchases, "9005");
        assert_eq!(q5["Credit"], true);
        assert_eq!(q5["PaymentType"], "CreditCard");
        assert_eq!(q5["TotalAmt"], json!(75));
        assert_eq!(q5["TxnDate"], "2024-03-20");
        assert_eq!(q5["EntityRef"], q1["EntityRef"]);

        let bill = sb
            .qb_query(&tokens.access, "SELECT * FROM Bill WHERE Id = '9002'")
            .await;
        let q2 = &bill["QueryResponse"]["Bill"][0];
        assert_eq!(q2["CurrencyRef"], json!({"value": "EUR", "name": "Euro"}));
        assert_eq!(q2["ExchangeRate"], json!(1.085));
        assert_eq!(q2["TxnDate"], "2024-05-20");
        assert_eq!(q2["TotalAmt"], json!(999.99));
        assert_eq!(q2["Balance"], json!(999.99));
        assert_eq!(q2["DocNumber"], "VDB-24-0520");
        assert_eq!(q2["APAccountRef"]["value"], "4");
        let amounts: Vec<i64> = q2["Line"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| cents(&l["Amount"]))
            .collect();
        assert_eq!(amounts, [80_000, 19_999]);
        assert_eq!(
            q2["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["name"],
            "Shipping & Delivery"
        );
        assert_eq!(
            q2["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]["name"],
            "Supplies & Materials"
        );

        let credit = sb
            .qb_query(
                &tokens.access,
                "SELECT * FROM VendorCredit WHERE Id = '9003'",
            )
            .await;
        let q3 = &credit["QueryResponse"]["VendorCredit"][0];
        assert_eq!(q3["TotalAmt"], json!(150));
        assert_eq!(q3["TxnDate"], "2024-05-28");
        assert_eq!(q3["CurrencyRef"]["value"], "USD");
        assert_eq!(
            q3["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["name"],
            "Shipping & Delivery"
        );
    }
}

#[tokio::test]
async fn the_chart_uses_intuit_types_and_subtypes_and_numbers_only_some_accounts() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let body = sb
        .qb_query(
            &tokens.access,
            "select * from Account where Active IN (true, false) maxresults 1000",
        )
        .await;
    let accounts = body["QueryResponse"]["Account"].as_array().unwrap();
    assert_eq!(accounts.len(), 30);
    let numbered: Vec<&Value> = accounts
        .iter()
        .filter(|a| a.get("AcctNum").is_some())
        .collect();
    assert!(numbered.len() < accounts.len());
    let sundry: Vec<&&Value> = numbered.iter().filter(|a| a["AcctNum"] == "400").collect();
    assert_eq!(sundry.len(), 1);
    assert_eq!(sundry[0]["Name"], "Sundry 400");
    assert_eq!(sundry[0]["AccountType"], "Other Expense");
    assert_eq!(sundry[0]["AccountSubType"], "OtherMiscellaneousExpense");
    assert_eq!(sundry[0]["Classification"], "Expense");
    let pairs: HashSet<(String, String)> = accounts
        .iter()
        .map(|a| {
            (
                a["AccountType"].as_str().unwrap().to_owned(),
                a["AccountSubType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (t, s) in [
        ("Bank", "Checking"),
        ("Credit Card", "CreditCard"),
        ("Accounts Payable", "AccountsPayable"),
        ("Expense", "AdvertisingPromotional"),
        ("Expense", "Travel"),
        ("Expense", "TravelMeals"),
        ("Cost of Goods Sold", "SuppliesMaterialsCogs"),
        ("Fixed Asset", "MachineryAndEquipment"),
    ] {
        assert!(pairs.contains(&(t.to_owned(), s.to_owned())), "{t}/{s}");
    }
    assert!(accounts
        .iter()
        .all(|a| a["Id"].as_str().unwrap().parse::<u32>().unwrap() <= 30));

    let vendors = sb.qb_query(&tokens.access, "select * from Vendor").await;
    let vendors = vendors["QueryResponse"]["Vendor"].as_array().unwrap();
    assert!(vendors.iter().any(|v| v["CurrencyRef"]["value"] == "EUR"));
}

#[tokio::test]
async fn a_tight_rate_limit_answers_429_throttle_exceeded_without_retry_after() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    sb.control_ok(
        "/_control/settings",
        json!({"quickbooks_rate_limit": {"calls": 2, "window_secs": 60}}),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            sb.qb_get(&tokens.access, "/preferences").await.status(),
            StatusCode::OK
        );
    }
    let answer = sb.qb_get(&tokens.access, "/preferences").await;
    assert!(answer.headers().get("retry-after").is_none());
    let error = fault(answer, StatusCode::TOO_MANY_REQUESTS, "ThrottleExceeded").await;
    assert_eq!(
        error,
        json!({
            "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "Detail": "The request limit was reached.",
            "code": "3001"
        })
    );
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["rate_limited"], 1);
    assert_eq!(stats["calls"]["GET /quickbooks/preferences"], 2);
    // Xero's own limit is untouched.
    assert_eq!(
        sb.control_get("/_control/settings").await["rate_limit"],
        Value::Null
    );
}

#[tokio::test]
async fn calls_over_the_concurrent_limit_are_throttled() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    sb.control_ok(
        "/_control/settings",
        json!({"quickbooks_rate_limit": {"calls": 500, "window_secs": 60, "concurrent": 1}}),
    )
    .await;
    sb.control_ok(
        "/_control/faults",
        json!({"kind": "slow", "delay_ms": 400, "path_contains": "/preferences"}),
    )
    .await;
    let slow = sb.qb_get(&tokens.access, "/preferences");
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        sb.qb_get(&tokens.access, &format!("/companyinfo/{REALM}"))
            .await
    };
    let (slow, second) = tokio::join!(slow, second);
    assert_eq!(slow.status(), StatusCode::OK);
    fault(second, StatusCode::TOO_MANY_REQUESTS, "ThrottleExceeded").await;
    // Once the first is answered its slot is free again.
    assert_eq!(
        sb.qb_get(&tokens.access, "/preferences").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_default_limits_follow_intuit() {
    let sb = sandbox(SandboxOptions {
        rate_limit: Some(carbonsync_sandbox::RateLimit::xero_minute()),
        ..options()
    })
    .await;
    assert_eq!(
        sb.control_get("/_control/settings").await["quickbooks_rate_limit"],
        json!({"calls": 500, "window_secs": 60, "concurrent": 10})
    );
}

#[tokio::test]
async fn injected_faults_answer_in_quickbooks_shapes() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    sb.control_ok(
        "/_control/faults",
        json!({"kind": "status", "status": 503, "path_contains": "/quickbooks/"}),
    )
    .await;
    let error = fault(
        sb.qb_get(&tokens.access, "/preferences").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "SystemFault",
    )
    .await;
    assert_eq!(error["code"], "10000");

    sb.control_ok(
        "/_control/faults",
        json!({"kind": "rate_limit", "path_contains": "companyinfo"}),
    )
    .await;
    fault(
        sb.qb_get(&tokens.access, &format!("/companyinfo/{REALM}"))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "ThrottleExceeded",
    )
    .await;

    sb.control_ok(
        "/_control/faults",
        json!({"kind": "mangle_record", "path_contains": "Purchase", "record_index": 1,
               "remove": ["MetaData"], "set": {"TotalAmt": "12.50"}}),
    )
    .await;
    let body = sb
        .qb_query(&tokens.access, "SELECT * FROM Purchase MAXRESULTS 3")
        .await;
    let records = body["QueryResponse"]["Purchase"].as_array().unwrap();
    assert!(records[0]["MetaData"].is_object());
    assert!(records[1].get("MetaData").is_none());
    assert_eq!(records[1]["TotalAmt"], "12.50");

    sb.control_ok(
        "/_control/faults",
        json!({"kind": "broken_json", "path_contains": "query"}),
    )
    .await;
    let broken = sb
        .http
        .get(sb.url(&format!("/quickbooks/v3/company/{REALM}/query")))
        .query(&[("query", "SELECT * FROM Bill")])
        .bearer_auth(&tokens.access)
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&broken.text().await.unwrap()).is_err());

    sb.control_ok("/_control/faults", json!({"kind": "revoke_grant"}))
        .await;
    fault(
        sb.qb_get(&tokens.access, "/preferences").await,
        StatusCode::UNAUTHORIZED,
        "AuthenticationFault",
    )
    .await;
    assert_eq!(
        sb.qb_get(&tokens.access, "/preferences").await.status(),
        StatusCode::UNAUTHORIZED,
        "the grant is gone"
    );
}
