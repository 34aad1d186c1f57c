//! Turns a connector's platform-neutral documents into rows for the store, assessing each line
//! on the way with the platform's own account mapping (see `docs/methodology.md`).

use carbonsync_emissions::{Calculator, Outcome, SpendKind, SpendLine};
use carbonsync_providers::{registration, DocumentKind, SpendDocument};
use carbonsync_store::{LedgerRow, LedgerStatus, LineInput, Reassess, RecordInput};
use rust_decimal::Decimal;

use crate::review::{LineFacts, Review};
use std::collections::HashMap;

/// What a line's account reference ([`carbonsync_providers::DocumentLine::account_ref`])
/// stands for in the connection's chart of accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountInfo {
    /// The code people know it by, when the chart has codes.
    pub code: Option<String>,
    /// The organisation's name for it.
    pub name: Option<String>,
    /// What the platform's mapping keys on for it (Xero: the code).
    pub mapping_key: Option<String>,
}

/// The connection's chart of accounts, by how lines name an account.
pub type AccountIndex = HashMap<String, AccountInfo>;

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

/// The account mapping's decision on a line, as a ledger row.
pub fn ledger_row(calc: &Calculator, line: &SpendLine<'_>) -> LedgerRow {
    row_of(calc.assess(line))
}

/// An assessment as a ledger row.
pub(crate) fn row_of(a: carbonsync_emissions::Assessment) -> LedgerRow {
    let status = match &a.outcome {
        Outcome::Counted(_) => LedgerStatus::Counted,
        Outcome::Excluded => LedgerStatus::Excluded,
        Outcome::Unmapped => LedgerStatus::Unmapped,
    };
    let mut row = LedgerRow {
        rule_id: a.rule_id,
        category: a.category,
        ..bare(status, a.reason)
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

/// Where a document comes from, and what decides its lines.
pub struct Origin<'a> {
    pub calc: &'a Calculator,
    pub review: &'a Review,
    pub accounts: &'a AccountIndex,
    /// Stands in when a document names no currency.
    pub base_currency: &'a str,
    /// The platform's catalogue id.
    pub platform: &'a str,
    pub connection_id: i64,
    pub stream: &'a str,
}

/// A document as a record with its ledger entries, each line decided by the review (a
/// person's decision, then the person's rules) and else by the platform's account mapping.
pub fn document(origin: &Origin<'_>, doc: &SpendDocument) -> RecordInput {
    let Origin {
        calc,
        review,
        accounts,
        base_currency,
        platform,
        connection_id,
        stream,
    } = *origin;
    let kind = spend_kind(doc.kind);
    let currency = doc.currency.as_deref().unwrap_or(base_currency);
    let lines: Vec<LineInput> = doc
        .lines
        .iter()
        .enumerate()
        .map(|(line_no, line)| {
            let reference = line.account_ref.as_deref();
            let account = reference.and_then(|r| accounts.get(r));
            // An account the chart does not (yet) have is known only by the line's reference,
            // which is also what the mapping is tried with: for Xero that is the code.
            let (code, name, key) = match account {
                Some(a) => (
                    a.code.as_deref(),
                    a.name.as_deref(),
                    a.mapping_key.as_deref(),
                ),
                None => (reference, None, reference),
            };
            let spend = SpendLine {
                platform,
                kind,
                status_deleted: doc.deleted,
                account_code: key,
                account_name: name,
                date: doc.date,
                currency,
                net_amount: line.net_amount,
            };
            let facts = LineFacts {
                connection_id,
                stream,
                record_id: &doc.id,
                line_no: line_no as i64,
                contact: doc.contact.as_deref(),
                description: line.description.as_deref(),
                account_code: code,
            };
            let entry = review.decide(calc, &spend, &facts, || ledger_row(calc, &spend));
            LineInput {
                description: line.description.clone(),
                account_code: code.map(str::to_owned),
                mapping_key: key.map(str::to_owned),
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
        tombstone: doc.tombstone,
    }
}

/// Decides every ledger entry again from the records in the store, with `calc`'s tables: after
/// an upgrade that owes it ([`carbonsync_store::REASSESS_LEDGER`]) or a change of mapping. The
/// stored line amounts are already signed as spend. Returns how many entries were decided.
pub fn reassess_ledger(
    store: &mut carbonsync_store::Store,
    calc: &Calculator,
) -> Result<usize, carbonsync_store::StoreError> {
    reassess_entries(store, calc, &Reassess::All)
}

/// Decides the entries `which` selects again from their records, with `calc`'s tables and the
/// review's decisions and rules as they stand in the store: after a person decides an entry or
/// changes a rule. Returns how many entries were decided.
pub fn reassess_entries(
    store: &mut carbonsync_store::Store,
    calc: &Calculator,
    which: &Reassess,
) -> Result<usize, carbonsync_store::StoreError> {
    let review = Review::load(store, None)?;
    store.reassess_entries(which, &mut |line| decide_line(calc, &review, line))
}

/// What a change of the rules to `rules` would do to the entries `which` selects, writing
/// nothing: each entry whose outcome would change, as a [`PreviewedChange`]. Each
/// line is decided once, under the new rules, and compared with what the ledger holds, as the
/// write would compare it.
pub fn preview_rules(
    store: &mut carbonsync_store::Store,
    calc: &Calculator,
    rules: Vec<carbonsync_store::ReviewRule>,
    which: &Reassess,
) -> Result<Vec<PreviewedChange>, carbonsync_store::StoreError> {
    let after = Review::load(store, None)?.with_rules(rules);
    let mut changes = Vec::new();
    store.preview_entries(which, &mut |line| {
        let row = decide_line(calc, &after, line);
        if line.stored.differs(&row) {
            changes.push(PreviewedChange {
                entry_id: line.entry_id,
                kg_co2e_now: line.stored.kg_co2e(),
                same_result: !line.stored.result_differs(&row),
                after: row.clone(),
            });
        }
        row
    })?;
    Ok(changes)
}

/// An entry the rules being previewed would change.
#[derive(Debug, Clone)]
pub struct PreviewedChange {
    pub entry_id: i64,
    /// kg CO2e as stored now (`None` when it counts none).
    pub kg_co2e_now: Option<Decimal>,
    /// The entry as the rules would decide it.
    pub after: LedgerRow,
    /// Only who decides it would change (the rule instead of the account mapping or another
    /// rule): its status, category, factor and kg CO2e stay as they are.
    pub same_result: bool,
}

/// Decides one stored line again: the review first, then the platform's account mapping.
fn decide_line(
    calc: &Calculator,
    review: &Review,
    line: &carbonsync_store::LedgerLine<'_>,
) -> LedgerRow {
    {
        // Written by CarbonSync itself, so only a hand-edited file has another date form.
        let Ok(date) = chrono::NaiveDate::parse_from_str(line.date, "%Y-%m-%d") else {
            return unmapped(format!(
                "the stored date {:?} is not a date; sync the connection again in full",
                line.date
            ));
        };
        let Some(connector) = registration(line.platform) else {
            return unmapped(format!(
                "this version of CarbonSync has no connector for {}, so its records cannot be \
                 assessed; use a version that has one",
                line.platform
            ));
        };
        let spend = SpendLine {
            platform: line.platform,
            kind: spend_kind((connector.kind_of)(line.kind)),
            status_deleted: line.deleted,
            account_code: line.mapping_key,
            account_name: line.account_name,
            date,
            currency: line.currency,
            net_amount: line.net_amount,
        };
        let facts = LineFacts {
            connection_id: line.connection_id,
            stream: line.stream,
            record_id: line.record_id,
            line_no: line.line_no,
            contact: line.contact,
            description: line.description,
            account_code: line.account_code,
        };
        review.decide(calc, &spend, &facts, || ledger_row(calc, &spend))
    }
}

/// An entry no rule could decide, with the reason.
fn unmapped(reason: String) -> LedgerRow {
    bare(LedgerStatus::Unmapped, Some(reason))
}

/// An unmapped entry with nothing else: the base of a row built field by field.
pub(crate) fn bare_row() -> LedgerRow {
    bare(LedgerStatus::Unmapped, None)
}

/// An entry with only its status and reason: no rule, no factor, no emission.
fn bare(status: LedgerStatus, reason: Option<String>) -> LedgerRow {
    LedgerRow {
        status,
        reason,
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
        decision_id: None,
        review_rule_id: None,
        market_kg_co2e: None,
        part_no: 0,
        share_percent: None,
        part_amount: None,
        more_parts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbonsync_providers::DocumentLine;
    use carbonsync_store::{LedgerFilter, NewConnection, PageInput, Store, StreamPosition};
    use rust_decimal::Decimal;

    fn bill(id: &str) -> SpendDocument {
        SpendDocument {
            id: id.into(),
            kind: DocumentKind::Bill,
            type_name: "ACCPAY".into(),
            status: "AUTHORISED".into(),
            deleted: false,
            date: chrono::NaiveDate::from_ymd_opt(2024, 3, 14).unwrap(),
            contact: Some("British Airways".into()),
            reference: None,
            currency: None,
            tax_mode: Some("Exclusive".into()),
            lines: vec![DocumentLine {
                description: None,
                account_ref: Some("494".into()),
                net_amount: Decimal::new(123456, 2),
            }],
            total: Decimal::new(148147, 2),
            updated: chrono::Utc::now(),
            tombstone: false,
        }
    }

    #[test]
    fn stored_records_are_decided_again_by_their_platforms_connector_or_said_to_need_one() {
        let calc = Calculator::builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        for provider in ["xero", "acme"] {
            let (c, _) = store
                .upsert_connection(
                    &NewConnection {
                        provider,
                        tenant_id: "t-1",
                        tenant_name: "Harbour & Pine Ltd",
                        base_currency: Some("GBP"),
                        sandbox: true,
                        frequency: "hourly",
                    },
                    |id| format!("install/connection/{id}"),
                )
                .unwrap();
            let record = document(
                &Origin {
                    calc: &calc,
                    review: &Review::default(),
                    accounts: &AccountIndex::new(),
                    base_currency: "GBP",
                    platform: provider,
                    connection_id: c.id,
                    stream: "bills",
                },
                &bill(provider),
            );
            store
                .write_page(&PageInput {
                    connection_id: c.id,
                    run_id: 0,
                    stream: "bills",
                    records: &[record],
                    set_aside: &[],
                    position: &|_| StreamPosition {
                        modified_since: None,
                        walk: None,
                    },
                    overlap_until_ms: None,
                    watch: None,
                    sweep_mark: None,
                })
                .unwrap();
        }
        assert_eq!(reassess_ledger(&mut store, &calc).unwrap(), 2);
        let entries = store.ledger(&LedgerFilter::default(), 0, 10).unwrap();
        let of = |provider: &str| {
            entries
                .iter()
                .find(|e| e.record_id == provider)
                .map(|e| e.assessment.clone())
                .unwrap()
        };
        let xero = of("xero");
        assert_eq!(xero.status, LedgerStatus::Counted);
        assert_eq!(xero.rule_id.as_deref(), Some("xero-std-494"));
        assert_eq!(xero.kg_co2e, Some(Decimal::new(957_508_453, 6)));
        let acme = of("acme");
        assert_eq!(acme.status, LedgerStatus::Unmapped);
        assert!(
            acme.reason
                .unwrap_or_default()
                .contains("no connector for acme"),
            "says why"
        );
    }

    #[test]
    fn a_line_naming_its_account_by_id_is_mapped_by_what_the_platform_keys_on() {
        // As QuickBooks has it: lines name an account by id, the chart gives its subtype, and
        // the platform's mapping keys on the subtype.
        let mapping = "\
rule_id,account_code,account_name,treatment,category,naics_code,scope,scope3_category,reason
acme-travelmeals,TravelMeals,Travel meals,spend,Business travel – meals,722511,3,6,
";
        let b = carbonsync_emissions::builtin::MAPPINGS[0];
        let calc = Calculator::with_tables(
            carbonsync_emissions::builtin::FACTORS_CSV,
            &[
                b,
                carbonsync_emissions::MappingTable {
                    platform: "acme",
                    platform_name: "Acme Books",
                    csv: mapping,
                },
            ],
            carbonsync_emissions::builtin::FX_CSV,
            carbonsync_emissions::builtin::INDEX_CSV,
        )
        .unwrap();
        let accounts = AccountIndex::from([(
            "57".to_owned(),
            AccountInfo {
                code: None,
                name: Some("Meals on the road".into()),
                mapping_key: Some("TravelMeals".into()),
            },
        )]);
        let review = Review::default();
        let origin = Origin {
            calc: &calc,
            review: &review,
            accounts: &accounts,
            base_currency: "GBP",
            platform: "acme",
            connection_id: 1,
            stream: "bills",
        };
        let mut doc = bill("p-1");
        doc.lines[0].account_ref = Some("57".into());
        let record = document(&origin, &doc);
        let line = &record.lines[0];
        assert_eq!(line.entry.status, LedgerStatus::Counted);
        assert_eq!(line.entry.rule_id.as_deref(), Some("acme-travelmeals"));
        assert_eq!(line.account_name.as_deref(), Some("Meals on the road"));
        assert_eq!(line.account_code, None, "no code in this chart");
        assert_eq!(line.mapping_key.as_deref(), Some("TravelMeals"));

        // An account the chart does not have: tried by the line's reference, and unmapped.
        doc.lines[0].account_ref = Some("99".into());
        let record = document(&origin, &doc);
        assert_eq!(record.lines[0].entry.status, LedgerStatus::Unmapped);
        assert_eq!(record.lines[0].account_code.as_deref(), Some("99"));
    }
}
