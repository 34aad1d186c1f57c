//! The Xero API: connections, tenant header rules, reference data, paging, If-Modified-Since,
//! the invoice filter and the fixtures' exact values.

use std::collections::HashSet;

use carbonsync_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn connections_list_both_organisations_uk_first() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let answer = sb.api(&tokens.access, None, "/connections", None).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let list: Vec<Value> = answer.json().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["tenantId"], UK);
    assert_eq!(list[0]["tenantName"], "Harbour & Pine Ltd");
    assert_eq!(list[1]["tenantId"], US);
    assert_eq!(list[1]["tenantName"], "Northwind Outfitters Inc.");
    for c in &list {
        assert_eq!(c["tenantType"], "ORGANISATION");
        assert!(c["id"].is_string() && c["authEventId"].is_string());
        let created = c["createdDateUtc"].as_str().unwrap();
        // 2025-01-01T12:34:56.1234567
        assert_eq!(created.len(), 27, "{created}");
        assert_eq!(&created[19..20], ".");
        assert!(c["updatedDateUtc"].is_string());
    }
    assert_eq!(list[0]["authEventId"], list[1]["authEventId"]);
}

#[tokio::test]
async fn organisation_answers_for_the_tenant_named_in_the_header() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let uk = sb.get_ok(&tokens.access, UK, "/Organisation", None).await;
    let org = &uk["Organisations"][0];
    assert_eq!(org["OrganisationID"], UK);
    assert_eq!(org["Name"], "Harbour & Pine Ltd");
    assert_eq!(org["BaseCurrency"], "GBP");
    assert_eq!(org["CountryCode"], "GB");
    assert_eq!(org["OrganisationType"], "COMPANY");
    assert!(org["LegalName"].is_string());
    let us = sb.get_ok(&tokens.access, US, "/Organisation", None).await;
    assert_eq!(us["Organisations"][0]["BaseCurrency"], "USD");
    assert_eq!(us["Organisations"][0]["CountryCode"], "US");
}

#[tokio::test]
async fn a_missing_tenant_header_is_a_400_and_a_foreign_tenant_a_403() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let missing = sb
        .api(&tokens.access, None, "/api.xro/2.0/Accounts", None)
        .await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let body: Value = missing.json().await.unwrap();
    assert!(body["Detail"].as_str().unwrap().contains("xero-tenant-id"));
    for foreign in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
        let answer = sb
            .api(&tokens.access, Some(foreign), "/api.xro/2.0/Accounts", None)
            .await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{foreign}");
    }
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthorized() {
    let sb = sandbox(options()).await;
    let answer = sb
        .api("sbx_at_0000", Some(UK), "/api.xro/2.0/Accounts", None)
        .await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["Detail"], "AuthenticationUnsuccessful");
    let bare = sb
        .http
        .get(sb.url("/xero/api/connections"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn accounts_follow_xeros_standard_chart() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let uk = sb.get_ok(&tokens.access, UK, "/Accounts", None).await;
    let accounts = uk["Accounts"].as_array().unwrap();
    let codes: Vec<&str> = accounts
        .iter()
        .map(|a| a["Code"].as_str().unwrap())
        .collect();
    let expected = [
        "090", "091", "200", "260", "270", "310", "400", "404", "408", "412", "416", "420", "425",
        "429", "433", "437", "441", "445", "449", "453", "461", "469", "473", "477", "478", "485",
        "489", "493", "494", "497", "505", "610", "710", "720", "800", "820", "825", "877", "960",
    ];
    assert_eq!(codes, expected);
    let by_code =
        |list: &[Value], code: &str| list.iter().find(|a| a["Code"] == code).unwrap().clone();
    let bank = by_code(accounts, "090");
    assert_eq!(bank["Type"], "BANK");
    assert_eq!(bank["BankAccountType"], "BANK");
    assert_eq!(bank["Class"], "ASSET");
    let flights = by_code(accounts, "494");
    assert_eq!(flights["Name"], "Travel - International");
    assert_eq!(flights["Class"], "EXPENSE");
    assert_eq!(flights["Status"], "ACTIVE");
    assert_eq!(flights["EnablePaymentsToAccount"], false);
    assert_eq!(flights["UpdatedDateUTC"], "/Date(1672531200000+0000)/");
    assert!(flights.get("BankAccountType").is_none());
    assert_eq!(by_code(accounts, "820")["Name"], "VAT");
    assert_eq!(by_code(accounts, "960")["Class"], "EQUITY");
    assert_eq!(by_code(accounts, "800")["Class"], "LIABILITY");
    let us = sb.get_ok(&tokens.access, US, "/Accounts", None).await;
    assert_eq!(
        by_code(us["Accounts"].as_array().unwrap(), "820")["Name"],
        "Sales Tax"
    );

    let unchanged = sb
        .get_ok(&tokens.access, UK, "/Accounts", Some("2023-06-01T00:00:00"))
        .await;
    assert_eq!(unchanged["Accounts"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn paging_walks_every_record_once_in_updated_order() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let mut seen = HashSet::new();
    let mut stamps = Vec::new();
    for page in 1..=5 {
        let body = sb
            .get_ok(
                &tokens.access,
                UK,
                &format!("/BankTransactions?page={page}&pageSize=50"),
                None,
            )
            .await;
        let p = &body["pagination"];
        assert_eq!(p["page"], page);
        assert_eq!(p["pageSize"], 50);
        assert_eq!(p["itemCount"], 210);
        assert_eq!(p["pageCount"], 5);
        let records = body["BankTransactions"].as_array().unwrap();
        assert_eq!(records.len(), if page < 5 { 50 } else { 10 });
        for r in records {
            assert!(seen.insert(r["BankTransactionID"].as_str().unwrap().to_owned()));
            stamps.push(xero_ms(&r["UpdatedDateUTC"]));
        }
    }
    assert_eq!(seen.len(), 210);
    assert!(stamps.windows(2).all(|w| w[0] < w[1]));

    let past_end = sb
        .get_ok(
            &tokens.access,
            UK,
            "/BankTransactions?page=6&pageSize=50",
            None,
        )
        .await;
    assert_eq!(past_end["BankTransactions"].as_array().unwrap().len(), 0);
    assert_eq!(past_end["pagination"]["itemCount"], 210);

    let defaults = sb
        .get_ok(&tokens.access, UK, "/BankTransactions", None)
        .await;
    assert_eq!(defaults["pagination"]["page"], 1);
    assert_eq!(defaults["pagination"]["pageSize"], 100);
    assert_eq!(defaults["BankTransactions"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn page_size_is_clamped_to_1000() {
    let sb = sandbox(SandboxOptions {
        records_per_org: 3000,
        ..options()
    })
    .await;
    let tokens = sb.sign_in().await;
    let body = sb
        .get_ok(
            &tokens.access,
            US,
            "/BankTransactions?page=1&pageSize=5000",
            None,
        )
        .await;
    assert_eq!(body["pagination"]["pageSize"], 1000);
    assert_eq!(body["pagination"]["itemCount"], 2100);
    assert_eq!(body["pagination"]["pageCount"], 3);
    assert_eq!(body["BankTransactions"].as_array().unwrap().len(), 1000);
}

#[tokio::test]
async fn if_modified_since_returns_only_records_updated_strictly_after_it() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let all = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    assert_eq!(all.len(), 90);
    let k = 40;
    let stamp = xero_ms(&all[k]["UpdatedDateUTC"]);

    let after = sb
        .all_records(&tokens.access, UK, "/Invoices", Some(&rfc3339_ms(stamp)))
        .await;
    assert_eq!(after.len(), all.len() - k - 1);
    assert_eq!(after[0]["InvoiceID"], all[k + 1]["InvoiceID"]);

    let just_before = sb
        .all_records(
            &tokens.access,
            UK,
            "/Invoices",
            Some(&rfc3339_ms(stamp - 1)),
        )
        .await;
    assert_eq!(just_before[0]["InvoiceID"], all[k]["InvoiceID"]);

    // The same instant written the other ways clients write it.
    let t = chrono::DateTime::from_timestamp_millis(stamp).unwrap();
    for since in [
        t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string(),
    ] {
        let same = sb
            .all_records(&tokens.access, UK, "/Invoices", Some(&since))
            .await;
        assert_eq!(same.len(), after.len(), "{since}");
    }
    let http_date = sb
        .all_records(
            &tokens.access,
            UK,
            "/Invoices",
            Some("Sun, 01 Jan 2023 00:00:00 GMT"),
        )
        .await;
    assert_eq!(http_date.len(), all.len());
    let none_left = sb
        .all_records(&tokens.access, UK, "/Invoices", Some("2030-01-01T00:00:00"))
        .await;
    assert!(none_left.is_empty());

    let garbled = sb
        .api(
            &tokens.access,
            Some(UK),
            "/api.xro/2.0/Invoices",
            Some("last tuesday"),
        )
        .await;
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_invoices_filter_keeps_bills_only_and_other_filters_are_refused() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let all = sb.all_records(&tokens.access, US, "/Invoices", None).await;
    let bills = sb
        .all_records(
            &tokens.access,
            US,
            "/Invoices?where=Type%3D%3D%22ACCPAY%22",
            None,
        )
        .await;
    assert!(all.iter().any(|i| i["Type"] == "ACCREC"));
    assert!(!bills.is_empty() && bills.iter().all(|i| i["Type"] == "ACCPAY"));
    assert_eq!(
        bills.len(),
        all.iter().filter(|i| i["Type"] == "ACCPAY").count()
    );

    for filter in ["Type%3D%3D%22ACCREC%22", "Status%3D%3D%22PAID%22"] {
        let answer = sb
            .api(
                &tokens.access,
                Some(US),
                &format!("/api.xro/2.0/Invoices?where={filter}"),
                None,
            )
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{filter}");
    }
}

fn find<'a>(records: &'a [Value], key: &str, id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r[key] == id)
        .unwrap_or_else(|| panic!("{id} is missing"))
}

#[tokio::test]
async fn fixtures_are_served_with_their_exact_values() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let uk_bank = sb
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    let f1 = find(
        &uk_bank,
        "BankTransactionID",
        "f1a00000-0000-4000-8000-000000000001",
    );
    assert_eq!(f1["Type"], "SPEND");
    assert_eq!(f1["Contact"]["Name"], "British Airways");
    assert_eq!(f1["Reference"], "LHR-JFK team offsite");
    assert_eq!(f1["DateString"], "2024-03-14T00:00:00");
    assert_eq!(f1["LineAmountTypes"], "Inclusive");
    assert_eq!(f1["Status"], "AUTHORISED");
    assert_eq!(f1["IsReconciled"], true);
    assert_eq!(f1["CurrencyCode"], "GBP");
    assert_eq!(f1["BankAccount"]["Code"], "090");
    let line = &f1["LineItems"][0];
    assert_eq!(line["AccountCode"], "494");
    assert_eq!(line["Description"], "Flights London–New York");
    assert_eq!(line["LineAmount"], 1234.56);
    assert_eq!(line["TaxAmount"], 0.0);
    assert_eq!(line["TaxType"], "ZERORATEDINPUT");
    assert_eq!(f1["Total"], 1234.56);
    assert_eq!(xero_ms(&f1["Date"]), 1_710_374_400_000);

    let f3 = find(
        &uk_bank,
        "BankTransactionID",
        "f1a00000-0000-4000-8000-000000000003",
    );
    assert_eq!(f3["Type"], "SPEND-TRANSFER");
    assert_eq!(f3["Contact"]["Name"], "Harbour & Pine Ltd");
    assert_eq!(f3["Reference"], "Transfer to savings");
    assert_eq!(f3["LineItems"][0]["AccountCode"], "091");
    assert_eq!(f3["Total"], 10000.0);
    let f4 = find(
        &uk_bank,
        "BankTransactionID",
        "f1a00000-0000-4000-8000-000000000004",
    );
    assert_eq!(f4["Contact"]["Name"], "HM Revenue & Customs");
    assert_eq!(f4["Reference"], "VAT Q4 2023");
    assert_eq!(f4["LineAmountTypes"], "NoTax");
    assert_eq!(f4["LineItems"][0]["AccountCode"], "820");
    assert_eq!(f4["Total"], 4321.0);

    let uk_invoices = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    let f2 = find(
        &uk_invoices,
        "InvoiceID",
        "f1a00000-0000-4000-8000-000000000002",
    );
    assert_eq!(f2["Type"], "ACCPAY");
    assert_eq!(f2["Contact"]["Name"], "DHL Express (UK)");
    assert_eq!(f2["DateString"], "2023-11-02T00:00:00");
    assert_eq!(f2["LineAmountTypes"], "Exclusive");
    assert_eq!(f2["LineItems"][0]["AccountCode"], "425");
    assert_eq!(f2["LineItems"][0]["TaxType"], "INPUT2");
    assert_eq!(f2["LineItems"][0]["TaxAmount"], 100.0);
    assert_eq!(
        (
            f2["SubTotal"].as_f64(),
            f2["TotalTax"].as_f64(),
            f2["Total"].as_f64()
        ),
        (Some(500.0), Some(100.0), Some(600.0))
    );
    assert_eq!(f2["CurrencyRate"], 1.0);

    let us_bank = sb
        .all_records(&tokens.access, US, "/BankTransactions", None)
        .await;
    let f5 = find(
        &us_bank,
        "BankTransactionID",
        "f1a00000-0000-4000-8000-000000000005",
    );
    assert_eq!(f5["Contact"]["Name"], "Delta Air Lines");
    assert_eq!(f5["DateString"], "2023-06-15T00:00:00");
    assert_eq!(f5["LineItems"][0]["Description"], "Flight SFO–JFK");
    assert_eq!(f5["Total"], 842.3);
    assert_eq!(f5["CurrencyCode"], "USD");

    let us_invoices = sb.all_records(&tokens.access, US, "/Invoices", None).await;
    let f6 = find(
        &us_invoices,
        "InvoiceID",
        "f1a00000-0000-4000-8000-000000000006",
    );
    assert_eq!(f6["Contact"]["Name"], "Pacific Gas & Electric");
    assert_eq!(f6["LineItems"][0]["Description"], "Electricity September");
    assert_eq!(f6["Total"], 1200.0);
    let f7 = find(
        &us_invoices,
        "InvoiceID",
        "f1a00000-0000-4000-8000-000000000007",
    );
    let lines = f7["LineItems"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["Description"], "Slack Business+ annual");
    assert_eq!(lines[1]["LineAmount"], 150.0);
    assert_eq!(f7["Total"], 450.0);
}

#[tokio::test]
async fn amounts_are_written_with_two_decimals() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let mut found = false;
    for page in 1..=3 {
        let text = sb
            .api(
                &tokens.access,
                Some(UK),
                &format!("/api.xro/2.0/Invoices?page={page}&pageSize=50"),
                None,
            )
            .await
            .text()
            .await
            .unwrap();
        if text.contains("\"InvoiceID\":\"f1a00000-0000-4000-8000-000000000002\"") {
            assert!(text.contains("\"LineAmount\":500.00"));
            assert!(text.contains("\"Total\":600.00"));
            found = true;
        }
    }
    assert!(found);
}

#[tokio::test]
async fn records_carry_xeros_shape() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let bank = sb
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    for r in &bank {
        for field in [
            "BankTransactionID",
            "Type",
            "Contact",
            "LineItems",
            "BankAccount",
            "IsReconciled",
            "Date",
            "DateString",
            "Reference",
            "CurrencyCode",
            "Status",
            "LineAmountTypes",
            "SubTotal",
            "TotalTax",
            "Total",
            "UpdatedDateUTC",
        ] {
            assert!(r.get(field).is_some(), "{field} missing from {r}");
        }
        let sum: f64 = r["LineItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["LineAmount"].as_f64().unwrap())
            .sum();
        let total = r["Total"].as_f64().unwrap();
        match r["LineAmountTypes"].as_str().unwrap() {
            "Exclusive" => assert!((total - sum - r["TotalTax"].as_f64().unwrap()).abs() < 0.005),
            _ => assert!((total - sum).abs() < 0.005),
        }
    }
    let invoices = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    for i in &invoices {
        for field in [
            "InvoiceID",
            "Type",
            "InvoiceNumber",
            "Reference",
            "Contact",
            "Date",
            "DateString",
            "DueDate",
            "DueDateString",
            "Status",
            "LineAmountTypes",
            "LineItems",
            "SubTotal",
            "TotalTax",
            "Total",
            "CurrencyCode",
            "CurrencyRate",
            "UpdatedDateUTC",
        ] {
            assert!(i.get(field).is_some(), "{field} missing from {i}");
        }
        assert!(xero_ms(&i["DueDate"]) >= xero_ms(&i["Date"]));
    }
    assert!(invoices
        .iter()
        .any(|i| i["LineItems"].as_array().unwrap().len() > 1));
}
