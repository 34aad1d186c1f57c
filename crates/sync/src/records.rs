//! Turns Xero's records into rows for the store, assessing each line on the way.

use carbonsync_emissions::{Calculator, Outcome, SpendKind, SpendLine};
use carbonsync_providers::xero::{BankTransaction, Invoice, LineItem};
use carbonsync_store::{LedgerRow, LedgerStatus, LineInput, RecordInput};
use std::collections::HashMap;

/// Account code → the organisation's name for it.
pub type AccountNames = HashMap<String, String>;

fn bank_kind(kind: &str) -> SpendKind {
    match kind {
        "SPEND-TRANSFER" | "RECEIVE-TRANSFER" => SpendKind::BankTransfer,
        k if k.starts_with("RECEIVE") => SpendKind::BankReceive,
        _ => SpendKind::BankSpend,
    }
}

fn invoice_kind(kind: &str) -> SpendKind {
    if kind == "ACCREC" {
        SpendKind::SalesInvoice
    } else {
        SpendKind::Bill
    }
}

fn is_deleted(status: &str) -> bool {
    matches!(status, "DELETED" | "VOIDED")
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

#[allow(clippy::too_many_arguments)]
fn record(
    calc: &Calculator,
    accounts: &AccountNames,
    kind: SpendKind,
    id: &str,
    type_name: &str,
    status: &str,
    date: chrono::NaiveDate,
    contact: &Option<String>,
    reference: &Option<String>,
    currency: &str,
    line_amount_types: &str,
    total: f64,
    updated: chrono::DateTime<chrono::Utc>,
    items: &[LineItem],
) -> RecordInput {
    let deleted = is_deleted(status);
    let lines = items
        .iter()
        .map(|li| {
            let code = li.account_code.as_deref().filter(|c| !c.is_empty());
            let name = code.and_then(|c| accounts.get(c)).map(String::as_str);
            let net = li.net_amount(line_amount_types);
            let entry = ledger_row(
                calc,
                &SpendLine {
                    kind,
                    status_deleted: deleted,
                    account_code: code,
                    account_name: name,
                    date,
                    currency,
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
    RecordInput {
        record_id: id.to_owned(),
        kind: type_name.to_owned(),
        status: status.to_owned(),
        deleted,
        date: date.format("%Y-%m-%d").to_string(),
        contact: contact.clone(),
        reference: reference.clone(),
        currency: currency.to_owned(),
        line_amount_types: Some(line_amount_types.to_owned()),
        total,
        updated_ms: updated.timestamp_millis(),
        lines,
    }
}

pub fn bank_transaction(
    calc: &Calculator,
    accounts: &AccountNames,
    t: &BankTransaction,
) -> RecordInput {
    record(
        calc,
        accounts,
        bank_kind(&t.kind),
        &t.id,
        &t.kind,
        &t.status,
        t.date,
        &t.contact_name,
        &t.reference,
        &t.currency,
        &t.line_amount_types,
        t.total,
        t.updated,
        &t.line_items,
    )
}

pub fn bill(calc: &Calculator, accounts: &AccountNames, i: &Invoice) -> RecordInput {
    let reference = i.reference.clone().or_else(|| i.invoice_number.clone());
    record(
        calc,
        accounts,
        invoice_kind(&i.kind),
        &i.id,
        &i.kind,
        &i.status,
        i.date,
        &i.contact_name,
        &reference,
        &i.currency,
        &i.line_amount_types,
        i.total,
        i.updated,
        &i.line_items,
    )
}
