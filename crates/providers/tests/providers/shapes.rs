//! The shapes are also exercised through HTTP in `client`; here they are read directly.

use carbonsync_providers::xero::{BankTransaction, Invoice, LineItem};
use chrono::NaiveDate;
use rust_decimal::{dec, Decimal};

use crate::support::fixture;

#[derive(serde::Deserialize)]
struct BankTransactions {
    #[serde(rename = "BankTransactions")]
    items: Vec<BankTransaction>,
}

#[derive(serde::Deserialize)]
struct Invoices {
    #[serde(rename = "Invoices")]
    items: Vec<Invoice>,
}

fn line(line_amount: Decimal, tax_amount: Decimal) -> LineItem {
    LineItem {
        line_item_id: None,
        description: None,
        account_code: None,
        line_amount,
        tax_amount,
    }
}

#[test]
fn takes_tax_out_of_inclusive_line_amounts_only() {
    let item = line(dec!(120.00), dec!(20.00));
    assert_eq!(item.net_amount("Inclusive"), dec!(100.00));
    assert_eq!(item.net_amount("Exclusive"), dec!(120.00));
    assert_eq!(item.net_amount("NoTax"), dec!(120.00));
}

#[test]
fn reads_a_bank_transaction_page_with_contacts_dates_and_lines() {
    let page: BankTransactions = serde_json::from_str(&fixture("bank_transactions.json")).unwrap();
    assert_eq!(page.items.len(), 3);
    let fuel = &page.items[0];
    assert_eq!(fuel.id, "d20b6c54-7f5d-4ce6-ab83-55f609719126");
    assert_eq!(fuel.kind, "SPEND");
    assert_eq!(fuel.contact_name.as_deref(), Some("Shell UK Oil Products"));
    assert_eq!(fuel.date, NaiveDate::from_ymd_opt(2024, 3, 12).unwrap());
    assert_eq!(fuel.reference.as_deref(), Some("Fuel card March"));
    assert_eq!(fuel.currency.as_deref(), Some("GBP"));
    assert_eq!(fuel.status.as_deref(), Some("AUTHORISED"));
    assert_eq!(fuel.line_amount_types, "Inclusive");
    assert_eq!(fuel.total, Some(dec!(98.40)));
    assert_eq!(
        fuel.updated
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "2024-03-14T10:00:00.123Z"
    );
    let diesel = &fuel.line_items[0];
    assert_eq!(diesel.account_code.as_deref(), Some("449"));
    assert_eq!(diesel.net_amount(&fuel.line_amount_types), dec!(82.00));

    let energy = &page.items[1];
    assert_eq!(energy.reference, None);
    assert_eq!(energy.line_items.len(), 2);
    assert_eq!(
        energy.line_items[1].tax_amount,
        Decimal::ZERO,
        "absent TaxAmount"
    );

    let train = &page.items[2];
    assert_eq!(train.contact_name, None, "no Contact at all");
    assert_eq!(train.line_items[0].line_item_id, None);
    assert_eq!(train.date, NaiveDate::from_ymd_opt(2024, 2, 28).unwrap());
}

#[test]
fn reads_a_bill_with_its_number_and_supplier() {
    let page: Invoices = serde_json::from_str(&fixture("bills.json")).unwrap();
    let bill = &page.items[0];
    assert_eq!(bill.kind, "ACCPAY");
    assert_eq!(bill.invoice_number.as_deref(), Some("DHL-88123"));
    assert_eq!(bill.contact_name.as_deref(), Some("DHL Express UK"));
    assert_eq!(bill.date, NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
    assert_eq!(bill.currency.as_deref(), Some("GBP"));
    assert_eq!(bill.status.as_deref(), Some("AUTHORISED"));
    assert_eq!(bill.total, Some(dec!(540.00)));
    assert_eq!(
        bill.line_items[0].net_amount(&bill.line_amount_types),
        dec!(450.00)
    );
}

#[test]
fn writes_back_the_shape_it_reads() {
    let page: BankTransactions = serde_json::from_str(&fixture("bank_transactions.json")).unwrap();
    let json = serde_json::to_value(&page.items[0]).unwrap();
    assert_eq!(
        json["BankTransactionID"],
        "d20b6c54-7f5d-4ce6-ab83-55f609719126"
    );
    assert_eq!(json["Contact"]["Name"], "Shell UK Oil Products");
    assert_eq!(json["Date"], "/Date(1710201600000+0000)/");
    assert_eq!(json["UpdatedDateUTC"], "/Date(1710410400123+0000)/");
    let back: BankTransaction = serde_json::from_value(json).unwrap();
    assert_eq!(back, page.items[0]);
}

/// Builds a page the size of a large Xero response, with the fields Xero sends that CarbonSync
/// skips, so the measurement includes skipping them.
fn big_page(records: usize) -> String {
    let one = r#"{"BankTransactionID":"d20b6c54-7f5d-4ce6-ab83-55f6097191NN","BankAccount":{"AccountID":"ebd06280-af70-4bed-97c6-7451a454ad85","Code":"090","Name":"Business Bank Account"},"Type":"SPEND","Reference":"Fuel card March","IsReconciled":true,"HasAttachments":false,"Contact":{"ContactID":"9f3c8a2b-1d4e-4f5a-b6c7-d8e9f0a1b2c3","Name":"Shell UK Oil Products","Addresses":[],"Phones":[],"ContactGroups":[],"ContactPersons":[],"HasValidationErrors":false},"DateString":"2024-03-12T00:00:00","Date":"\/Date(1710201600000+0000)\/","Status":"AUTHORISED","LineAmountTypes":"Inclusive","LineItems":[{"Description":"Diesel 62.4 L","UnitAmount":98.40,"TaxType":"INPUT2","TaxAmount":16.40,"LineAmount":98.40,"AccountCode":"449","Tracking":[],"Quantity":1.0000,"LineItemID":"52208ff9-528a-4985-a9ad-b2b1d4210e38","AccountID":"7d7a1f2e-3b4c-4d5e-8f90-a1b2c3d4e5f6","ValidationErrors":[]}],"SubTotal":82.00,"TotalTax":16.40,"Total":98.40,"UpdatedDateUTC":"\/Date(1710410400123+0000)\/","CurrencyCode":"GBP"}"#;
    let mut page = String::from(r#"{"Id":"x","Status":"OK","BankTransactions":["#);
    for i in 0..records {
        if i > 0 {
            page.push(',');
        }
        page.push_str(&one.replace("NN", &format!("{:02}", i % 100)));
    }
    page.push_str("]}");
    page
}

#[test]
fn a_large_page_with_fields_carbonsync_skips_parses_whole() {
    // Speed is measured by the sync benchmark, not here; this checks that a page of
    // realistic size, full of fields CarbonSync ignores, still parses completely.
    let records = 20_000;
    let body = big_page(records).into_bytes();
    let page: BankTransactions = serde_json::from_slice(&body).unwrap();
    assert_eq!(page.items.len(), records);
    assert_eq!(
        page.items[records - 1].line_items[0]
            .account_code
            .as_deref(),
        Some("449")
    );
}

#[test]
fn reads_amounts_as_the_exact_decimals_that_were_sent() {
    // Numbers that have no exact binary form, a large amount with cents, a numeric string and
    // an integer: each comes out digit for digit.
    let body = r#"{"LineAmount": 0.1, "TaxAmount": 0.2}"#;
    let item: LineItem = serde_json::from_str(body).unwrap();
    assert_eq!(item.line_amount.to_string(), "0.1");
    assert_eq!(item.tax_amount.to_string(), "0.2");
    assert_eq!((item.line_amount + item.tax_amount).to_string(), "0.3");

    let item: LineItem =
        serde_json::from_str(r#"{"LineAmount": 98765432109.87, "TaxAmount": "12.3400"}"#).unwrap();
    assert_eq!(item.line_amount.to_string(), "98765432109.87");
    assert_eq!(item.tax_amount.to_string(), "12.3400");

    let item: LineItem = serde_json::from_str(r#"{"LineAmount": 250, "TaxAmount": null}"#).unwrap();
    assert_eq!(item.line_amount, dec!(250));
    assert_eq!(item.tax_amount, Decimal::ZERO);
}

#[test]
fn an_amount_that_is_not_a_number_is_refused_without_echoing_it() {
    let err = serde_json::from_str::<LineItem>(r#"{"LineAmount": "about forty"}"#).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("expected an amount (a number)"),
        "{message}"
    );
    assert!(!message.contains("forty"), "{message}");
}
