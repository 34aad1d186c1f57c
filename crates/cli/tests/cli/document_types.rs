//! Each Xero document type counted as the methodology says (`docs/methodology.md`), checked by
//! hand against the published factors and rates: a purchase once, refunds reduce it.

use crate::support::*;
use rust_decimal::{dec, Decimal};
use serde_json::Value;

fn ledger_for(env: &Env, record: &str) -> Vec<Value> {
    env.json(&["emissions", "--ledger", "--record", record, "--json"])
        .as_array()
        .unwrap()
        .clone()
}

/// The exact kg CO2e of the counted entries (none counts zero).
fn kg(entries: &[Value]) -> Decimal {
    entries
        .iter()
        .filter(|e| !e["kg_co2e"].is_null())
        .map(|e| decimal(&e["kg_co2e"]))
        .sum()
}

// Worked by hand, each line rounded half away from zero to six places:
// EPA v1.3 with margins: 492110 couriers 0.303, 481111 air 0.644, 511210 software 0.080.
// USD per GBP 2023 1.2440, 2024 1.2781; GDP price index 2022 117.996, 2023 122.273, 2024 125.224.

#[test]
fn refunds_and_credit_notes_reduce_spend_and_a_prepaid_bill_counts_once() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    let us = env.connect(US)["id"].as_i64().unwrap();
    env.sync(uk);
    env.sync(us);

    // DHL: a GBP 500.00 courier bill, then a GBP 100.00 credit note (net of VAT) against it.
    let bill = ledger_for(&env, "f1a00000-0000-4000-8000-000000000002");
    let credit = ledger_for(&env, "f1a00000-0000-4000-8000-000000000008");
    assert_eq!(credit.len(), 1);
    assert_eq!(credit[0]["status"], "counted");
    assert_eq!(
        decimal(&credit[0]["net_amount"]),
        dec!(-100.00),
        "credit net"
    );
    // -100.00 × 1.2440 × 117.996 / 122.273 × 0.303
    assert_eq!(
        kg(&credit),
        dec!(-36.374726),
        "the credit note reverses part of the bill"
    );
    // 500.00 of the bill, less the credit: 181.873628 - 36.374726.
    assert_eq!(
        kg(&bill) + kg(&credit),
        dec!(145.498902),
        "what DHL was paid for, net"
    );

    // British Airways refunds GBP 200.00 of a flight into the bank: negative air travel.
    let refund = ledger_for(&env, "f1a00000-0000-4000-8000-000000000009");
    assert_eq!(refund[0]["status"], "counted");
    // -200.00 × 1.2781 × 117.996 / 125.224 × 0.644
    assert_eq!(
        kg(&refund),
        dec!(-155.117362),
        "the refund reduces air travel"
    );

    // Slack: a USD 450.00 prepayment later allocated to the USD 450.00 bill: counted once,
    // from the bill.
    let prepayment = ledger_for(&env, "f1a00000-0000-4000-8000-000000000010");
    assert_eq!(prepayment[0]["status"], "excluded");
    assert!(prepayment[0]["reason"]
        .as_str()
        .unwrap()
        .contains("counted from the bill"));
    let slack_bill = ledger_for(&env, "f1a00000-0000-4000-8000-000000000007");
    // The bill's two lines, 300.00 and 150.00 × 117.996 / 125.224 × 0.080.
    assert_eq!(
        kg(&slack_bill) + kg(&prepayment),
        dec!(33.922059),
        "the prepaid purchase, once"
    );

    // Delta: USD 75.00 paid over a bill is not a purchase.
    let overpayment = ledger_for(&env, "f1a00000-0000-4000-8000-000000000011");
    assert_eq!(overpayment[0]["status"], "excluded");
    assert!(overpayment[0]["reason"]
        .as_str()
        .unwrap()
        .contains("overpayment"));
}
