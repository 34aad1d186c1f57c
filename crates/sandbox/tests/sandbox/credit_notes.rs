//! Credit notes, and the fixtures for the cases real Xero produces beyond plain spend: a
//! supplier credit note, a refund into the bank, a prepayment and an overpayment.

use std::collections::HashSet;

use carbonsync_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const F2: &str = "f1a00000-0000-4000-8000-000000000002";
const F7: &str = "f1a00000-0000-4000-8000-000000000007";
const F8: &str = "f1a00000-0000-4000-8000-000000000008";
const F9: &str = "f1a00000-0000-4000-8000-000000000009";
const F10: &str = "f1a00000-0000-4000-8000-000000000010";
const F11: &str = "f1a00000-0000-4000-8000-000000000011";

#[tokio::test]
async fn credit_notes_are_listed_paged_and_filtered_like_invoices() {
    let sb = sandbox(SandboxOptions {
        records_per_org: 20_000,
        ..options()
    })
    .await;
    let tokens = sb.sign_in().await;
    let all = sb
        .all_records(&tokens.access, UK, "/CreditNotes", None)
        .await;
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(
        stats["tenants"][0]["counts"]["credit_notes"],
        all.len(),
        "stats count what is listed"
    );
    let supplier: Vec<&Value> = all.iter().filter(|c| c["Type"] == "ACCPAYCREDIT").collect();
    let customer = all.iter().filter(|c| c["Type"] == "ACCRECCREDIT").count();
    // About one per hundred bills (~4,700 here) and one per hundred sales (~1,200).
    assert!((40..=55).contains(&supplier.len()), "{}", supplier.len());
    assert!((8..=15).contains(&customer), "{customer}");
    assert_eq!(supplier.len() + customer, all.len());

    let stamps: Vec<i64> = all.iter().map(|c| xero_ms(&c["UpdatedDateUTC"])).collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]));
    let unique: HashSet<&str> = all
        .iter()
        .map(|c| c["CreditNoteID"].as_str().unwrap())
        .collect();
    assert_eq!(unique.len(), all.len());

    let filtered = sb
        .all_records(
            &tokens.access,
            UK,
            "/CreditNotes?where=Type%3D%3D%22ACCPAYCREDIT%22",
            None,
        )
        .await;
    assert_eq!(filtered.iter().collect::<Vec<_>>(), supplier);
    for filter in ["Type%3D%3D%22ACCRECCREDIT%22", "Type%3D%3D%22ACCPAY%22"] {
        let answer = sb
            .api(
                &tokens.access,
                Some(UK),
                &format!("/api.xro/2.0/CreditNotes?where={filter}"),
                None,
            )
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{filter}");
    }

    let page = sb
        .get_ok(&tokens.access, UK, "/CreditNotes?page=2&pageSize=10", None)
        .await;
    let total = all.len() as u64;
    assert_eq!(
        page["pagination"],
        json!({"page": 2, "pageSize": 10, "pageCount": total.div_ceil(10), "itemCount": total})
    );
    assert_eq!(page["CreditNotes"].as_array().unwrap()[..], all[10..20]);

    // Each generated credit note partly refunds the first line of a bill of its contact.
    let bills = sb
        .all_records(
            &tokens.access,
            UK,
            "/Invoices?where=Type%3D%3D%22ACCPAY%22",
            None,
        )
        .await;
    for note in supplier.iter().filter(|c| c["CreditNoteID"] != F8) {
        let reference = note["Reference"].as_str().unwrap();
        let number = reference.strip_prefix("Refund on ").unwrap();
        assert_eq!(note["CreditNoteNumber"], format!("{number}-CR"));
        let line = &note["LineItems"][0];
        let refunds = |bill: &&Value| {
            let bill_line = &bill["LineItems"][0];
            bill["InvoiceNumber"] == number
                && bill["Contact"] == note["Contact"]
                && line["LineAmount"].as_f64() < bill_line["LineAmount"].as_f64()
                && line["AccountCode"] == bill_line["AccountCode"]
                && line["TaxType"] == bill_line["TaxType"]
                && xero_ms(&note["Date"]) > xero_ms(&bill["Date"])
        };
        assert!(
            bills.iter().any(|b| refunds(&b)),
            "no bill {number} it refunds"
        );
        assert_eq!(note["Status"], "AUTHORISED");
        assert_eq!(note["RemainingCredit"], note["Total"], "left unallocated");
        assert_eq!(note["Allocations"], json!([]));
        assert_eq!(note["CurrencyCode"], "GBP");
    }
}

#[tokio::test]
async fn credit_notes_change_and_delete_through_the_control_api_and_sync_incrementally() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let first = sb
        .all_records(&tokens.access, UK, "/CreditNotes", None)
        .await;
    let cursor = rfc3339_ms(
        first
            .iter()
            .map(|c| xero_ms(&c["UpdatedDateUTC"]))
            .max()
            .unwrap(),
    );
    let changed = sb
        .control_ok(
            "/_control/records/change",
            json!({"tenantId": UK, "stream": "credit_notes", "ids": [F8]}),
        )
        .await;
    assert_eq!(changed["ids"], json!([F8]));
    let delta = sb
        .all_records(&tokens.access, UK, "/CreditNotes", Some(&cursor))
        .await;
    assert_eq!(delta.len(), 1);
    assert_eq!(delta[0]["LineItems"][0]["LineAmount"], 110.0);
    assert_eq!(delta[0]["Reference"], "Refund on DHLUK-884213 (amended)");

    sb.control_ok(
        "/_control/records/delete",
        json!({"tenantId": UK, "stream": "credit_notes", "ids": [F8]}),
    )
    .await;
    let delta = sb
        .all_records(&tokens.access, UK, "/CreditNotes", Some(&cursor))
        .await;
    assert_eq!(delta.len(), 1);
    assert_eq!(delta[0]["Status"], "DELETED");
    assert_eq!(
        delta[0]["Allocations"],
        json!([]),
        "a deleted credit pays nothing off"
    );
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["tenants"][0]["counts"]["deleted"], 1);

    // The bill it was applied to is owed in full again.
    let invoices = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    let f2 = find(&invoices, "InvoiceID", F2);
    assert_eq!(f2["AmountCredited"], 0.0);
    assert_eq!(f2["AmountDue"], 600.0);
    assert!(f2.get("CreditNotes").is_none());

    sb.control_ok("/_control/stats/reset", json!({})).await;
    sb.api(&tokens.access, Some(US), "/api.xro/2.0/CreditNotes", None)
        .await;
    assert_eq!(
        sb.control_get("/_control/stats").await["calls"]["GET /CreditNotes"],
        1
    );
}

#[tokio::test]
async fn the_supplier_credit_note_fixture_is_applied_to_its_bill() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let notes = sb
        .all_records(&tokens.access, UK, "/CreditNotes", None)
        .await;
    let f8 = find(&notes, "CreditNoteID", F8);
    assert_eq!(f8["CreditNoteNumber"], "DHLUK-CN-1102");
    assert_eq!(f8["Type"], "ACCPAYCREDIT");
    assert_eq!(f8["Contact"]["Name"], "DHL Express (UK)");
    assert!(f8["Contact"]["ContactID"].is_string());
    assert_eq!(f8["Date"], "/Date(1700438400000+0000)/");
    assert_eq!(f8["DateString"], "2023-11-20T00:00:00");
    assert_eq!(f8["Status"], "AUTHORISED");
    assert_eq!(f8["LineAmountTypes"], "Exclusive");
    let line = &f8["LineItems"][0];
    assert_eq!(line["AccountCode"], "425");
    assert_eq!(line["Description"], "Refund: damaged parcel");
    assert_eq!(line["LineAmount"], 100.0);
    assert_eq!(line["TaxType"], "INPUT2");
    assert_eq!(line["TaxAmount"], 20.0);
    assert_eq!(
        (&f8["SubTotal"], &f8["TotalTax"], &f8["Total"]),
        (&json!(100.0), &json!(20.0), &json!(120.0))
    );
    assert_eq!(f8["CurrencyCode"], "GBP");
    assert_eq!(f8["CurrencyRate"], 1.0);
    assert_eq!(f8["RemainingCredit"], 0.0);
    assert_eq!(f8["Reference"], "Refund on DHLUK-884213");
    let allocations = f8["Allocations"].as_array().unwrap();
    assert_eq!(allocations.len(), 1);
    assert_eq!(
        allocations[0]["Invoice"],
        json!({"InvoiceID": F2, "InvoiceNumber": "DHLUK-884213"})
    );
    assert_eq!(allocations[0]["Amount"], 120.0);
    assert_eq!(allocations[0]["Date"], "/Date(1700438400000+0000)/");

    let invoices = sb.all_records(&tokens.access, UK, "/Invoices", None).await;
    let f2 = find(&invoices, "InvoiceID", F2);
    assert_eq!(f2["Total"], 600.0, "the bill's own amounts are unchanged");
    assert_eq!(f2["LineItems"][0]["LineAmount"], 500.0);
    assert_eq!(f2["Status"], "AUTHORISED");
    assert_eq!(f2["AmountCredited"], 120.0);
    assert_eq!(f2["AmountDue"], 480.0);
    assert_eq!(f2["AmountPaid"], 0.0);
    assert_eq!(f2["CreditNotes"][0]["CreditNoteID"], F8);
    assert_eq!(f2["CreditNotes"][0]["CreditNoteNumber"], "DHLUK-CN-1102");
    assert_eq!(f2["CreditNotes"][0]["AppliedAmount"], 120.0);

    let text = sb
        .api(
            &tokens.access,
            Some(UK),
            "/api.xro/2.0/CreditNotes?where=Type%3D%3D%22ACCPAYCREDIT%22",
            None,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("\"Total\":120.00"), "two decimals");
}

#[tokio::test]
async fn the_refund_prepayment_and_overpayment_fixtures_are_served_as_xero_shapes_them() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let uk_bank = sb
        .all_records(&tokens.access, UK, "/BankTransactions", None)
        .await;
    let f9 = find(&uk_bank, "BankTransactionID", F9);
    assert_eq!(f9["Type"], "RECEIVE");
    assert_eq!(f9["Contact"]["Name"], "British Airways");
    assert_eq!(f9["DateString"], "2024-04-02T00:00:00");
    assert_eq!(f9["LineAmountTypes"], "NoTax");
    assert_eq!(f9["LineItems"][0]["AccountCode"], "494");
    assert_eq!(
        f9["LineItems"][0]["Description"],
        "Refund: cancelled flight"
    );
    assert_eq!(f9["LineItems"][0]["TaxType"], "ZERORATEDINPUT");
    assert_eq!(f9["LineItems"][0]["LineAmount"], 200.0);
    assert_eq!(f9["Total"], 200.0);
    assert_eq!(f9["BankAccount"]["Code"], "090");

    let us_bank = sb
        .all_records(&tokens.access, US, "/BankTransactions", None)
        .await;
    let f10 = find(&us_bank, "BankTransactionID", F10);
    assert_eq!(f10["Type"], "SPEND-PREPAYMENT");
    assert_eq!(f10["PrepaymentID"], F10);
    assert_eq!(f10["Contact"]["Name"], "Slack Technologies");
    assert_eq!(f10["DateString"], "2024-05-01T00:00:00");
    assert_eq!(f10["LineAmountTypes"], "NoTax");
    assert_eq!(f10["LineItems"][0]["AccountCode"], "485");
    assert_eq!(
        f10["LineItems"][0]["Description"],
        "Prepayment: Slack annual plan"
    );
    assert_eq!(f10["Total"], 450.0);
    assert_eq!(f10["CurrencyCode"], "USD");
    let allocation = &f10["Allocations"][0];
    assert_eq!(
        allocation["Invoice"],
        json!({"InvoiceID": F7, "InvoiceNumber": "SLK-2024-0510"})
    );
    assert_eq!(allocation["Amount"], 450.0);
    assert_eq!(allocation["Date"], "/Date(1715299200000+0000)/");

    let f11 = find(&us_bank, "BankTransactionID", F11);
    assert_eq!(f11["Type"], "SPEND-OVERPAYMENT");
    assert_eq!(f11["OverpaymentID"], F11);
    assert_eq!(f11["Contact"]["Name"], "Delta Air Lines");
    assert_eq!(f11["DateString"], "2023-06-20T00:00:00");
    assert_eq!(f11["LineAmountTypes"], "NoTax");
    assert_eq!(f11["LineItems"][0]["AccountCode"], "800");
    assert_eq!(f11["LineItems"][0]["Description"], "Overpayment");
    assert_eq!(f11["Total"], 75.0);
    let accounts = sb.get_ok(&tokens.access, US, "/Accounts", None).await;
    let payable = accounts["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Code"] == "800")
        .unwrap();
    assert_eq!(payable["Name"], "Accounts Payable");
    assert_eq!(payable["Type"], "CURRLIAB");

    let us_invoices = sb.all_records(&tokens.access, US, "/Invoices", None).await;
    let f7 = find(&us_invoices, "InvoiceID", F7);
    assert_eq!(f7["Total"], 450.0, "the bill's amounts are unchanged");
    assert_eq!(f7["LineItems"].as_array().unwrap().len(), 2);
    assert_eq!(f7["LineItems"][0]["LineAmount"], 300.0);
    assert_eq!(f7["LineItems"][1]["LineAmount"], 150.0);
    assert_eq!(
        f7["Prepayments"],
        json!([{"PrepaymentID": F10, "Amount": 450.0, "AppliedAmount": 450.0,
                "Date": "/Date(1715299200000+0000)/"}])
    );
    assert_eq!(f7["AmountCredited"], 450.0);
    assert_eq!(f7["AmountDue"], 0.0);
    assert_eq!(f7["Status"], "PAID", "nothing left to pay");
    assert_eq!(f7["FullyPaidOnDate"], "/Date(1715299200000+0000)/");
}

#[tokio::test]
async fn the_new_fixtures_are_there_whatever_the_seed_and_size() {
    for (seed, size) in [(1, 0), (99, 40), (2024, 2500)] {
        let sb = sandbox(SandboxOptions {
            seed,
            records_per_org: size,
            ..options()
        })
        .await;
        let tokens = sb.sign_in().await;
        let uk_bank = sb
            .all_records(&tokens.access, UK, "/BankTransactions", None)
            .await;
        let us_bank = sb
            .all_records(&tokens.access, US, "/BankTransactions", None)
            .await;
        let notes = sb
            .all_records(&tokens.access, UK, "/CreditNotes", None)
            .await;
        assert_eq!(find(&uk_bank, "BankTransactionID", F9)["Total"], 200.0);
        assert_eq!(find(&us_bank, "BankTransactionID", F10)["Total"], 450.0);
        assert_eq!(find(&us_bank, "BankTransactionID", F11)["Total"], 75.0);
        assert_eq!(find(&notes, "CreditNoteID", F8)["Total"], 120.0);
        if size > 0 {
            let stats = sb.control_get("/_control/stats").await;
            for tenant in stats["tenants"].as_array().unwrap() {
                let counts = &tenant["counts"];
                assert_eq!(
                    counts["bank_transactions"].as_u64().unwrap()
                        + counts["invoices"].as_u64().unwrap(),
                    size as u64,
                    "the fixtures keep the planned size"
                );
            }
        }
    }
}
