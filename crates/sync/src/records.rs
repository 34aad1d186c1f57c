//! Turns Xero's records into rows for the store, assessing each line on the way.
//!
//! What each Xero document type means for emissions (see `docs/methodology.md`):
//! `SPEND` and bills (`ACCPAY`) are purchases; `SPEND-PREPAYMENT` and `SPEND-OVERPAYMENT` are
//! not (the bill they are allocated to is); `RECEIVE` on a purchase account and supplier credit
//! notes (`ACCPAYCREDIT`) are refunds and reduce spend, so their lines are stored negative;
//! transfers, other money received and sales invoices are excluded.

use carbonsync_emissions::{Calculator, Decimal, Outcome, SpendKind, SpendLine};
use carbonsync_providers::xero::{BankTransaction, CreditNote, Invoice, LineItem};
use carbonsync_store::{LedgerRow, LedgerStatus, LineInput, RecordInput};
use std::collections::HashMap;

/// The catalogue id these records come from: which account mapping applies.
const PLATFORM: &str = "xero";

/// Account code → the organisation's name for it.
pub type AccountNames = HashMap<String, String>;

/// Xero's bank transaction `Type` → what it is, and the sign of its lines as spend.
fn bank_kind(kind: &str) -> (SpendKind, Decimal) {
    match kind.to_ascii_uppercase().as_str() {
        "SPEND" => (SpendKind::BankSpend, Decimal::ONE),
        "SPEND-PREPAYMENT" => (SpendKind::Prepayment, Decimal::ONE),
        "SPEND-OVERPAYMENT" => (SpendKind::Overpayment, Decimal::ONE),
        "SPEND-TRANSFER" | "RECEIVE-TRANSFER" => (SpendKind::BankTransfer, Decimal::ONE),
        // Money back from a supplier: negative spend where it lands on a purchase account.
        "RECEIVE" => (SpendKind::BankReceive, Decimal::NEGATIVE_ONE),
        // Customers' prepayments and overpayments, and anything Xero adds later, are money in:
        // income, never a purchase.
        _ => (SpendKind::SalesInvoice, Decimal::ONE),
    }
}

fn invoice_kind(kind: &str) -> (SpendKind, Decimal) {
    match kind.to_ascii_uppercase().as_str() {
        "ACCPAY" => (SpendKind::Bill, Decimal::ONE),
        "ACCPAYCREDIT" => (SpendKind::SupplierCredit, Decimal::NEGATIVE_ONE),
        _ => (SpendKind::SalesInvoice, Decimal::ONE),
    }
}

fn is_deleted(status: Option<&str>) -> bool {
    status.is_some_and(|s| matches!(s.to_ascii_uppercase().as_str(), "DELETED" | "VOIDED"))
}

/// What every document needs beyond its lines, with Xero's defaults applied.
struct Head<'a> {
    kind: (SpendKind, Decimal),
    id: &'a str,
    type_name: &'a str,
    status: Option<&'a str>,
    date: chrono::NaiveDate,
    contact: &'a Option<String>,
    reference: Option<String>,
    currency: &'a str,
    line_amount_types: &'a str,
    total: Option<Decimal>,
    updated: chrono::DateTime<chrono::Utc>,
}

pub fn ledger_row(calc: &Calculator, line: &SpendLine<'_>) -> LedgerRow {
    let a = calc.assess(line);
    let status = match &a.outcome {
        Outcome::Counted(_) => LedgerStatus::Counted,
        Outcome::Excluded => LedgerStatus::Excluded,
        Outcome::Unmapped => LedgerStatus::Unmapped,
    };
    let mut row = LedgerRow {
        status,
        reason: a.reason,
        rule_id: a.rule_id,
        category: a.category,
        scope: None,
        scope3_category: None,
        factor_set: None,
        factor_version: None,
        factor_code: None,
        factor_title: None,
        factor_value: None,
        factor_unit: None,
        fx_rate: None,
        fx_source: None,
        deflator: None,
        deflator_source: None,
        amount_usd_2022: None,
        kg_co2e: None,
    };
    if let Outcome::Counted(e) = a.outcome {
        row.scope = Some(e.scope);
        row.scope3_category = e.scope3_category;
        row.factor_set = Some(e.factor_set);
        row.factor_version = Some(e.factor_version);
        row.factor_code = Some(e.factor_code);
        row.factor_title = Some(e.factor_title);
        row.factor_value = Some(e.factor_value);
        row.factor_unit = Some(e.factor_unit);
        row.fx_rate = Some(e.fx_rate);
        row.fx_source = Some(e.fx_source);
        row.deflator = Some(e.deflator);
        row.deflator_source = Some(e.deflator_source);
        row.amount_usd_2022 = Some(e.amount_usd_2022);
        row.kg_co2e = Some(e.kg_co2e);
    }
    row
}

fn record(
    calc: &Calculator,
    accounts: &AccountNames,
    head: Head<'_>,
    items: &[LineItem],
) -> RecordInput {
    let deleted = is_deleted(head.status);
    let (kind, sign) = head.kind;
    let lines: Vec<LineInput> = items
        .iter()
        .map(|li| {
            let code = li.account_code.as_deref().filter(|c| !c.is_empty());
            let name = code.and_then(|c| accounts.get(c)).map(String::as_str);
            let net = sign * li.net_amount(head.line_amount_types);
            let entry = ledger_row(
                calc,
                &SpendLine {
                    platform: PLATFORM,
                    kind,
                    status_deleted: deleted,
                    account_code: code,
                    account_name: name,
                    date: head.date,
                    currency: head.currency,
                    net_amount: net,
                },
            );
            LineInput {
                description: li.description.clone(),
                account_code: code.map(str::to_owned),
                account_name: name.map(str::to_owned),
                net_amount: net,
                entry,
            }
        })
        .collect();
    // Xero's documented default: without a Total, the lines are the document.
    let total = head.total.unwrap_or_else(|| {
        items
            .iter()
            .map(|li| {
                li.line_amount
                    + if head.line_amount_types.eq_ignore_ascii_case("Exclusive") {
                        li.tax_amount
                    } else {
                        Decimal::ZERO
                    }
            })
            .sum()
    });
    RecordInput {
        record_id: head.id.to_owned(),
        kind: head.type_name.to_owned(),
        status: head.status.unwrap_or("AUTHORISED").to_owned(),
        deleted,
        date: head.date.format("%Y-%m-%d").to_string(),
        contact: head.contact.clone(),
        reference: head.reference,
        currency: head.currency.to_owned(),
        line_amount_types: Some(head.line_amount_types.to_owned()),
        total: sign * total,
        updated_ms: head.updated.timestamp_millis(),
        lines,
    }
}

/// A bank transaction; `base_currency` stands in when Xero omits `CurrencyCode`.
pub fn bank_transaction(
    calc: &Calculator,
    accounts: &AccountNames,
    base_currency: &str,
    t: &BankTransaction,
) -> RecordInput {
    record(
        calc,
        accounts,
        Head {
            kind: bank_kind(&t.kind),
            id: &t.id,
            type_name: &t.kind,
            status: t.status.as_deref(),
            date: t.date,
            contact: &t.contact_name,
            reference: t.reference.clone(),
            currency: t.currency.as_deref().unwrap_or(base_currency),
            line_amount_types: &t.line_amount_types,
            total: t.total,
            updated: t.updated,
        },
        &t.line_items,
    )
}

pub fn bill(
    calc: &Calculator,
    accounts: &AccountNames,
    base_currency: &str,
    i: &Invoice,
) -> RecordInput {
    record(
        calc,
        accounts,
        Head {
            kind: invoice_kind(&i.kind),
            id: &i.id,
            type_name: &i.kind,
            status: i.status.as_deref(),
            date: i.date,
            contact: &i.contact_name,
            reference: i.reference.clone().or_else(|| i.invoice_number.clone()),
            currency: i.currency.as_deref().unwrap_or(base_currency),
            line_amount_types: &i.line_amount_types,
            total: i.total,
            updated: i.updated,
        },
        &i.line_items,
    )
}

pub fn credit_note(
    calc: &Calculator,
    accounts: &AccountNames,
    base_currency: &str,
    c: &CreditNote,
) -> RecordInput {
    record(
        calc,
        accounts,
        Head {
            kind: invoice_kind(&c.kind),
            id: &c.id,
            type_name: &c.kind,
            status: c.status.as_deref(),
            date: c.date,
            contact: &c.contact_name,
            reference: c.reference.clone().or_else(|| c.credit_note_number.clone()),
            currency: c.currency.as_deref().unwrap_or(base_currency),
            line_amount_types: &c.line_amount_types,
            total: c.total,
            updated: c.updated,
        },
        &c.line_items,
    )
}

/// The spend kind of a stored record from its Xero `Type`, whichever document it came from:
/// the bank-transaction and invoice types do not overlap.
fn kind_of(type_name: &str) -> SpendKind {
    match bank_kind(type_name).0 {
        SpendKind::SalesInvoice => invoice_kind(type_name).0,
        kind => kind,
    }
}

/// Decides every ledger entry again from the records in the store, with `calc`'s tables: after
/// an upgrade that owes it ([`carbonsync_store::REASSESS_LEDGER`]) or a change of mapping. The
/// stored line amounts are already signed as spend. Returns how many entries were decided.
pub fn reassess_ledger(
    store: &mut carbonsync_store::Store,
    calc: &Calculator,
) -> Result<usize, carbonsync_store::StoreError> {
    store.reassess_ledger(&mut |line| {
        let Ok(date) = chrono::NaiveDate::parse_from_str(line.date, "%Y-%m-%d") else {
            // Written by CarbonSync itself, so only a hand-edited file gets here.
            return LedgerRow {
                status: LedgerStatus::Unmapped,
                reason: Some(format!(
                    "the stored date {:?} is not a date; sync the connection again in full",
                    line.date
                )),
                rule_id: None,
                category: None,
                scope: None,
                scope3_category: None,
                factor_set: None,
                factor_version: None,
                factor_code: None,
                factor_title: None,
                factor_value: None,
                factor_unit: None,
                fx_rate: None,
                fx_source: None,
                deflator: None,
                deflator_source: None,
                amount_usd_2022: None,
                kg_co2e: None,
            };
        };
        ledger_row(
            calc,
            &SpendLine {
                platform: line.platform,
                kind: kind_of(line.kind),
                status_deleted: line.deleted,
                account_code: line.account_code,
                account_name: line.account_name,
                date,
                currency: line.currency,
                net_amount: line.net_amount,
            },
        )
    })
}
