//! Turns a connector's platform-neutral documents into rows for the store, assessing each line
//! on the way with the platform's own account mapping (see `docs/methodology.md`).

use carbonsync_emissions::{Calculator, Outcome, SpendKind, SpendLine};
use carbonsync_providers::{registration, DocumentKind, SpendDocument};
use carbonsync_store::{LedgerRow, LedgerStatus, LineInput, RecordInput};
use std::collections::HashMap;

/// Account code → the organisation's name for it.
pub type AccountNames = HashMap<String, String>;

/// The emissions rules' name for a document's kind.
fn spend_kind(kind: DocumentKind) -> SpendKind {
    match kind {
        DocumentKind::BankSpend => SpendKind::BankSpend,
        DocumentKind::BankTransfer => SpendKind::BankTransfer,
        DocumentKind::BankReceive => SpendKind::BankReceive,
        DocumentKind::Prepayment => SpendKind::Prepayment,
        DocumentKind::Overpayment => SpendKind::Overpayment,
        DocumentKind::Bill => SpendKind::Bill,
        DocumentKind::SupplierCredit => SpendKind::SupplierCredit,
        DocumentKind::Income => SpendKind::SalesInvoice,
    }
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

/// A document of `platform` as a record with its ledger entries; `base_currency` stands in
/// when the document names none.
pub fn document(
    calc: &Calculator,
    accounts: &AccountNames,
    base_currency: &str,
    platform: &str,
    doc: &SpendDocument,
) -> RecordInput {
    let kind = spend_kind(doc.kind);
    let currency = doc.currency.as_deref().unwrap_or(base_currency);
    let lines: Vec<LineInput> = doc
        .lines
        .iter()
        .map(|line| {
            let code = line.account_code.as_deref();
            let name = code.and_then(|c| accounts.get(c)).map(String::as_str);
            let entry = ledger_row(
                calc,
                &SpendLine {
                    platform,
                    kind,
                    status_deleted: doc.deleted,
                    account_code: code,
                    account_name: name,
                    date: doc.date,
                    currency,
                    net_amount: line.net_amount,
                },
            );
            LineInput {
                description: line.description.clone(),
                account_code: code.map(str::to_owned),
                account_name: name.map(str::to_owned),
                net_amount: line.net_amount,
                entry,
            }
        })
        .collect();
    RecordInput {
        record_id: doc.id.clone(),
        kind: doc.type_name.clone(),
        status: doc.status.clone(),
        deleted: doc.deleted,
        date: doc.date.format("%Y-%m-%d").to_string(),
        contact: doc.contact.clone(),
        reference: doc.reference.clone(),
        currency: currency.to_owned(),
        line_amount_types: doc.tax_mode.clone(),
        total: doc.total,
        updated_ms: doc.updated.timestamp_millis(),
        lines,
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
                // A platform without a connector any more: its records stay, as income.
                kind: registration(line.platform).map_or(SpendKind::SalesInvoice, |r| {
                    spend_kind((r.kind_of)(line.kind))
                }),
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
