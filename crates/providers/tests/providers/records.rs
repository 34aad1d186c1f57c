//! Each record of a listing is read on its own, through real HTTP: records Xero may send without
//! some fields are read, and one record that cannot be read is set aside while the rest of the
//! page is kept.

use carbonsync_providers::CallMeter;
use chrono::NaiveDate;
use rust_decimal::dec;
use serde_json::{json, Value};

use crate::support::{
    accounts, bank_transactions, fixture, invoices, utc, Canned, FakeXero, TENANT, TOKEN,
};

/// The bank transactions fixture with `edit` applied to its record number `index`.
fn bank_transactions_with(index: usize, edit: impl FnOnce(&mut Value)) -> String {
    let mut body: Value = serde_json::from_str(&fixture("bank_transactions.json")).unwrap();
    edit(&mut body["BankTransactions"][index]);
    body.to_string()
}

/// What the fixture's records hold that a reason about another record must never show.
const OTHER_RECORDS_CONTENT: [&str; 7] = [
    "d20b6c54-7f5d-4ce6-ab83-55f609719126",
    "Shell UK Oil Products",
    "Fuel card March",
    "Diesel",
    "6b1d3f5a-7c9e-4b2d-a4f6-8e0c2a4b6d8f",
    "Train to Leeds",
    "LNER return",
];

#[tokio::test]
async fn sets_aside_a_record_with_an_unreadable_date_and_keeps_the_others() {
    let xero = FakeXero::start().await;
    let body = bank_transactions_with(1, |record| {
        record["Date"] = json!("31/02/2024 CONFIDENTIAL");
    });
    xero.on(&bank_transactions(), [Canned::json(200, body)]);
    let meter = CallMeter::default();

    let page = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &meter)
        .await
        .unwrap();

    let ids: Vec<&str> = page.items.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "d20b6c54-7f5d-4ce6-ab83-55f609719126",
            "6b1d3f5a-7c9e-4b2d-a4f6-8e0c2a4b6d8f"
        ]
    );
    assert_eq!(page.items[1].reference.as_deref(), Some("Train to Leeds"));
    assert_eq!(page.len(), 3, "a record set aside still counts on its page");
    assert!(page.is_last(1, 100));

    assert_eq!(page.unreadable.len(), 1);
    let bad = &page.unreadable[0];
    assert_eq!(
        bad.record_id.as_deref(),
        Some("0e4f4a1c-9a38-4f6e-8b2d-6c1e7f0a9b3d")
    );
    assert_eq!(bad.updated, Some(utc("2024-03-14T10:05:30.500Z")));
    assert!(bad.reason.starts_with("Date: "), "{}", bad.reason);
    assert!(bad.reason.contains("not a Xero date"), "{}", bad.reason);
    assert!(!bad.reason.contains("CONFIDENTIAL"), "{}", bad.reason);
    assert!(!bad.reason.contains("Octopus"), "{}", bad.reason);
    for other in OTHER_RECORDS_CONTENT {
        assert!(!bad.reason.contains(other), "{other} in {}", bad.reason);
    }
    // The record is kept as sent, and only that record.
    let raw: Value = serde_json::from_str(&bad.raw).unwrap();
    assert_eq!(
        raw["BankTransactionID"],
        "0e4f4a1c-9a38-4f6e-8b2d-6c1e7f0a9b3d"
    );
    assert_eq!(raw["Date"], "31/02/2024 CONFIDENTIAL");
    for other in OTHER_RECORDS_CONTENT {
        assert!(!bad.raw.contains(other), "{other} in the raw record");
    }
    assert_eq!(meter.calls(), 1, "one record is not a reason to ask again");
}

#[tokio::test]
async fn sets_aside_a_record_without_its_id_saying_which_field_is_missing() {
    let xero = FakeXero::start().await;
    let body = bank_transactions_with(2, |record| {
        record.as_object_mut().unwrap().remove("BankTransactionID");
    });
    xero.on(&bank_transactions(), [Canned::json(200, body)]);

    let page = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 2);
    let bad = &page.unreadable[0];
    assert_eq!(bad.record_id, None);
    assert_eq!(bad.updated, Some(utc("2024-03-14T11:15:02Z")));
    assert!(bad.reason.contains("BankTransactionID"), "{}", bad.reason);
    assert!(!bad.reason.contains("Train to Leeds"), "{}", bad.reason);
}

#[tokio::test]
async fn sets_aside_an_account_with_an_unreadable_update_time() {
    let xero = FakeXero::start().await;
    let mut body: Value = serde_json::from_str(&fixture("accounts.json")).unwrap();
    body["Accounts"][0]["UpdatedDateUTC"] = json!("/Date(yesterday)/");
    xero.on(&accounts(), [Canned::json(200, body.to_string())]);

    let page = xero
        .client()
        .accounts(TOKEN, TENANT, None, &CallMeter::default())
        .await
        .unwrap();

    let codes: Vec<Option<&str>> = page.items.iter().map(|a| a.code.as_deref()).collect();
    assert_eq!(codes, [Some("449"), None]);
    assert_eq!(page.unreadable.len(), 1);
    let bad = &page.unreadable[0];
    assert_eq!(
        bad.record_id.as_deref(),
        Some("ebd06280-af70-4bed-97c6-7451a454ad85")
    );
    assert_eq!(
        bad.updated, None,
        "the update time is what could not be read"
    );
    assert!(bad.reason.starts_with("UpdatedDateUTC: "), "{}", bad.reason);
    assert!(!bad.reason.contains("yesterday"), "{}", bad.reason);
    assert!(!bad.reason.contains("Motor Vehicle"), "{}", bad.reason);
}

/// The bills fixture with its total sent as text.
fn bill_with_a_text_total() -> String {
    let body =
        fixture("bills.json").replace(r#""Total": 540.00"#, r#""Total": "CONFIDENTIAL-AMOUNT""#);
    assert!(body.contains("CONFIDENTIAL-AMOUNT"));
    body
}

#[tokio::test]
async fn sets_aside_a_wrongly_typed_field_naming_the_field() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::json(200, bill_with_a_text_total())]);

    let page = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap();

    assert!(page.items.is_empty());
    assert_eq!(page.unreadable.len(), 1);
    let bad = &page.unreadable[0];
    assert_eq!(
        bad.record_id.as_deref(),
        Some("243216c5-369e-4056-ac67-05388f86dc81")
    );
    assert_eq!(bad.updated, Some(utc("2024-03-14T10:00:00.123Z")));
    assert!(bad.reason.starts_with("Total: "), "{}", bad.reason);
    assert!(!bad.reason.contains("DHL"), "{}", bad.reason);
}

#[tokio::test]
async fn sets_aside_a_wrongly_typed_field_without_echoing_its_value() {
    let xero = FakeXero::start().await;
    xero.on(&invoices(), [Canned::json(200, bill_with_a_text_total())]);

    let page = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap();

    let bad = &page.unreadable[0];
    assert!(!bad.reason.contains("CONFIDENTIAL"), "{}", bad.reason);
}

#[tokio::test]
async fn sets_aside_a_record_that_is_not_an_object() {
    let xero = FakeXero::start().await;
    let mut body: Value = serde_json::from_str(&fixture("bills.json")).unwrap();
    body["Invoices"]
        .as_array_mut()
        .unwrap()
        .insert(0, Value::Null);
    xero.on(&invoices(), [Canned::json(200, body.to_string())]);

    let page = xero
        .client()
        .bills(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].invoice_number.as_deref(), Some("DHL-88123"));
    let bad = &page.unreadable[0];
    assert_eq!(bad.record_id, None);
    assert_eq!(bad.updated, None);
    assert_eq!(bad.raw, "null");
    assert!(!bad.reason.is_empty());
    assert!(!bad.reason.contains("DHL"), "{}", bad.reason);
}

#[tokio::test]
async fn reads_an_account_shaped_like_xeros_own_example() {
    // Xero's OpenAPI description marks no Account field as required, and its example Account
    // has neither Status nor UpdatedDateUTC.
    let body = r#"{
      "Id": "2d7e1f0a-4b3c-4d5e-9f8a-7b6c5d4e3f21",
      "Status": "OK",
      "ProviderName": "CarbonSync",
      "DateTimeUTC": "\/Date(1710410400123)\/",
      "Accounts": [
        {
          "AccountID": "c8e3a1d4-6f2b-4a7c-9e5d-0b1a2c3d4e5f",
          "Code": "4400",
          "Name": "Courier and postage",
          "Type": "EXPENSE",
          "TaxType": "INPUT",
          "Description": "Parcels and letters",
          "EnablePaymentsToAccount": false,
          "ShowInExpenseClaims": false,
          "Class": "EXPENSE",
          "ReportingCode": "EXP",
          "ReportingCodeName": "Expense",
          "HasAttachments": false
        },
        { "AccountID": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b" }
      ]
    }"#;
    let xero = FakeXero::start().await;
    xero.on(&accounts(), [Canned::json(200, body)]);

    let page = xero
        .client()
        .accounts(TOKEN, TENANT, None, &CallMeter::default())
        .await
        .unwrap();

    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    assert_eq!(page.items.len(), 2);
    let courier = &page.items[0];
    assert_eq!(courier.account_id, "c8e3a1d4-6f2b-4a7c-9e5d-0b1a2c3d4e5f");
    assert_eq!(courier.code.as_deref(), Some("4400"));
    assert_eq!(courier.name.as_deref(), Some("Courier and postage"));
    assert_eq!(courier.account_type.as_deref(), Some("EXPENSE"));
    assert_eq!(courier.class.as_deref(), Some("EXPENSE"));
    assert_eq!(courier.tax_type.as_deref(), Some("INPUT"));
    assert_eq!(courier.status, None);
    assert_eq!(courier.updated, None);
    let bare = &page.items[1];
    assert_eq!(bare.account_id, "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b");
    assert_eq!(
        (&bare.code, &bare.name, &bare.account_type, &bare.status),
        (&None, &None, &None, &None)
    );
}

#[tokio::test]
async fn reads_a_bank_transaction_without_currency_status_or_total() {
    let xero = FakeXero::start().await;
    let body = bank_transactions_with(0, |record| {
        let record = record.as_object_mut().unwrap();
        for field in ["CurrencyCode", "Status", "Total"] {
            assert!(record.remove(field).is_some(), "{field}");
        }
    });
    xero.on(&bank_transactions(), [Canned::json(200, body)]);

    let page = xero
        .client()
        .bank_transactions(TOKEN, TENANT, None, 1, &CallMeter::default())
        .await
        .unwrap();

    assert!(page.unreadable.is_empty(), "{:?}", page.unreadable);
    assert_eq!(page.items.len(), 3);
    let fuel = &page.items[0];
    assert_eq!(fuel.id, "d20b6c54-7f5d-4ce6-ab83-55f609719126");
    assert_eq!(fuel.currency, None);
    assert_eq!(fuel.status, None);
    assert_eq!(fuel.total, None);
    // The rest of the record is still read in full.
    assert_eq!(fuel.date, NaiveDate::from_ymd_opt(2024, 3, 12).unwrap());
    assert_eq!(fuel.contact_name.as_deref(), Some("Shell UK Oil Products"));
    assert_eq!(
        fuel.line_items[0].net_amount(&fuel.line_amount_types),
        dec!(82.00)
    );
    assert_eq!(fuel.updated, utc("2024-03-14T10:00:00.123Z"));
    // The untouched records keep theirs.
    assert_eq!(page.items[1].currency.as_deref(), Some("GBP"));
    assert_eq!(page.items[1].status.as_deref(), Some("AUTHORISED"));
    assert_eq!(page.items[1].total, Some(dec!(1281.60)));
}
