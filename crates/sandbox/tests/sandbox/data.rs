//! The generated company: reproducible from its seed, and able to scale to a million records
//! per organisation.

use carbonsync_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

/// The raw text of every record array a client would download, page by page.
async fn raw_listings(sb: &Sandbox, token: &str) -> Vec<String> {
    let mut pages = Vec::new();
    for tenant in [UK, US] {
        for (listing, key) in [
            ("BankTransactions", "\"BankTransactions\":"),
            ("Invoices", "\"Invoices\":"),
        ] {
            for page in 1.. {
                let text = sb
                    .api(
                        token,
                        Some(tenant),
                        &format!("/api.xro/2.0/{listing}?page={page}&pageSize=150"),
                        None,
                    )
                    .await
                    .text()
                    .await
                    .unwrap();
                // The envelope carries a per-answer Id and time; the records follow the key.
                let records = &text[text.find(key).unwrap()..];
                if records.starts_with(&format!("{key}[]")) {
                    break;
                }
                pages.push(records.to_owned());
            }
        }
    }
    pages
}

#[tokio::test]
async fn the_same_seed_serves_byte_identical_records() {
    let opts = || SandboxOptions {
        seed: 42,
        records_per_org: 400,
        ..options()
    };
    let a = sandbox(opts()).await;
    let b = sandbox(opts()).await;
    let c = sandbox(SandboxOptions { seed: 43, ..opts() }).await;
    let (ta, tb, tc) = (a.sign_in().await, b.sign_in().await, c.sign_in().await);
    let from_a = raw_listings(&a, &ta.access).await;
    let from_b = raw_listings(&b, &tb.access).await;
    let from_c = raw_listings(&c, &tc.access).await;
    assert!(from_a.len() >= 6);
    assert_eq!(from_a, from_b);
    assert_ne!(from_a, from_c);
}

#[tokio::test]
async fn a_million_records_per_organisation_are_generated_and_paged() {
    let sb = sandbox(SandboxOptions {
        records_per_org: 1_000_000,
        ..options()
    })
    .await;
    let stats = sb.control_get("/_control/stats").await;
    for tenant in stats["tenants"].as_array().unwrap() {
        assert_eq!(tenant["counts"]["bank_transactions"], 700_000);
        assert_eq!(tenant["counts"]["invoices"], 300_000);
    }
    let tokens = sb.sign_in().await;
    let body = sb
        .get_ok(
            &tokens.access,
            UK,
            "/BankTransactions?page=350&pageSize=1000",
            None,
        )
        .await;
    assert_eq!(body["pagination"]["pageCount"], 700);
    assert_eq!(body["BankTransactions"].as_array().unwrap().len(), 1000);
    let since = sb
        .get_ok(
            &tokens.access,
            US,
            "/Invoices?pageSize=10",
            Some("2024-12-31T00:00:00"),
        )
        .await;
    let left = since["pagination"]["itemCount"].as_u64().unwrap();
    assert!(left > 0 && left < 2000, "{left}");
}

#[tokio::test]
async fn the_data_spans_two_years_of_a_uk_and_a_us_business() {
    let sb = sandbox(SandboxOptions {
        records_per_org: 2500,
        ..options()
    })
    .await;
    let tokens = sb.sign_in().await;
    let uk = sb
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    assert_eq!(uk.len(), 1750);
    let years: Vec<&str> = uk
        .iter()
        .map(|r| &r["DateString"].as_str().unwrap()[..4])
        .collect();
    assert!(years.iter().all(|y| *y == "2023" || *y == "2024"));
    assert!(uk.iter().all(|r| r["CurrencyCode"] == "GBP"));
    let inclusive = uk
        .iter()
        .filter(|r| r["LineAmountTypes"] == "Inclusive")
        .count();
    assert!(
        inclusive * 2 > uk.len(),
        "UK bank spend is mostly VAT-inclusive"
    );
    let types: std::collections::HashSet<&str> =
        uk.iter().map(|r| r["Type"].as_str().unwrap()).collect();
    for t in ["SPEND", "RECEIVE", "SPEND-TRANSFER", "RECEIVE-TRANSFER"] {
        assert!(types.contains(t), "no {t}");
    }
    let rent: Vec<&Value> = uk
        .iter()
        .filter(|r| r["LineItems"][0]["AccountCode"] == "469")
        .collect();
    assert!(rent.len() >= 20, "monthly rent: {}", rent.len());

    let us = sb.all_records(&tokens.access, US, "/Invoices", None).await;
    assert!(us
        .iter()
        .all(|r| r["LineAmountTypes"] == "NoTax" && r["TotalTax"] == 0.0));
    assert!(us.iter().any(|r| r["Status"] == "PAID"));
    let answer = sb
        .api(
            &tokens.access,
            Some(US),
            "/api.xro/2.0/Invoices?page=x",
            None,
        )
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
}
