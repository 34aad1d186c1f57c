//! The order in which `assess` decides, and the words it uses when it does not count a line.

use carbonsync_emissions::{Calculator, Outcome, SpendKind, SpendLine};
use rust_decimal::{dec, Decimal};

use crate::{bill, calculator, counted, date};

fn reason(line: &SpendLine<'_>) -> (Outcome, Option<String>, String) {
    let a = calculator().assess(line);
    (a.outcome, a.rule_id, a.reason.unwrap_or_default())
}

#[test]
fn a_deleted_line_is_excluded_even_when_it_would_be_counted() {
    let mut line = bill("494", "GBP", date(2024, 3, 14), dec!(1234.56));
    line.status_deleted = true;
    assert_eq!(
        reason(&line),
        (Outcome::Excluded, None, "deleted in the source".to_owned())
    );
}

#[test]
fn a_transfer_between_own_accounts_is_excluded_without_a_mapping_rule() {
    let mut line = bill("494", "GBP", date(2024, 3, 14), dec!(1234.56));
    line.kind = SpendKind::BankTransfer;
    assert_eq!(
        reason(&line),
        (
            Outcome::Excluded,
            None,
            "transfer between the organisation's own accounts".to_owned()
        )
    );
}

#[test]
fn sales_invoices_and_money_received_on_income_accounts_are_income_not_purchases() {
    // 200 is Sales in the standard chart; 494 (travel) is a purchase category, but a sales
    // invoice is income whatever account it names.
    for (kind, account) in [
        (SpendKind::BankReceive, "200"),
        (SpendKind::SalesInvoice, "494"),
    ] {
        let mut line = bill(account, "GBP", date(2024, 3, 14), dec!(1234.56));
        line.kind = kind;
        assert_eq!(
            reason(&line),
            (Outcome::Excluded, None, "income, not a purchase".to_owned()),
            "{kind:?}"
        );
    }
}

#[test]
fn money_received_back_on_a_purchase_account_is_a_refund_that_reduces_spend() {
    // A supplier refund of GBP 200.00 for a flight (account 494), paid into the bank: the same
    // arithmetic as the purchase, with the amount negative.
    let mut refund = bill("494", "GBP", date(2024, 4, 2), dec!(-200.0));
    refund.kind = SpendKind::BankReceive;
    let mut purchase = bill("494", "GBP", date(2024, 4, 2), dec!(200.0));
    purchase.kind = SpendKind::BankSpend;
    let calc = calculator();
    let back = counted(&calc.assess(&refund).outcome).kg_co2e;
    let spent = counted(&calc.assess(&purchase).outcome).kg_co2e;
    assert!(back.is_sign_negative());
    assert_eq!(back, -spent);
}

#[test]
fn a_supplier_credit_note_reverses_the_bill_it_credits() {
    let mut credit = bill("425", "GBP", date(2023, 11, 20), dec!(-100.0));
    credit.kind = SpendKind::SupplierCredit;
    let a = calculator().assess(&credit);
    // -100 × 1.2440 × 117.996 / 122.273 × 0.303 = -36.3747256...
    assert_eq!(counted(&a.outcome).kg_co2e, dec!(-36.374726));
}

#[test]
fn prepayments_and_overpayments_are_not_counted_as_purchases() {
    for (kind, words) in [
        (
            SpendKind::Prepayment,
            "prepayment to a supplier: the purchase is counted from the bill it is allocated to",
        ),
        (
            SpendKind::Overpayment,
            "overpayment of a bill: refunded or allocated to a later bill, where the purchase is counted",
        ),
    ] {
        let mut line = bill("485", "USD", date(2024, 5, 1), dec!(450.0));
        line.kind = kind;
        assert_eq!(
            reason(&line),
            (Outcome::Excluded, None, words.to_owned()),
            "{kind:?}"
        );
    }
}

#[test]
fn bank_spend_is_assessed_like_a_bill() {
    let mut line = bill("425", "GBP", date(2023, 6, 30), dec!(500.0));
    line.kind = SpendKind::BankSpend;
    let a = calculator().assess(&line);
    assert_eq!(counted(&a.outcome).kg_co2e, dec!(181.873628));
}

#[test]
fn a_line_without_an_account_is_unmapped_and_says_to_code_it_in_xero() {
    for account in [None, Some(""), Some("  ")] {
        let mut line = bill("", "USD", date(2024, 1, 1), dec!(10.0));
        line.account_code = account;
        assert_eq!(
            reason(&line),
            (
                Outcome::Unmapped,
                None,
                "no account on this line; code it in Xero".to_owned()
            )
        );
    }
}

#[test]
fn an_account_with_no_mapping_is_unmapped_and_named_with_the_organisations_own_name() {
    let mut line = bill("6100", "USD", date(2024, 1, 1), dec!(10.0));
    line.account_name = Some("Team offsite");
    assert_eq!(
        reason(&line),
        (
            Outcome::Unmapped,
            None,
            "account 6100 Team offsite has no mapping; choose a category for it".to_owned()
        )
    );
    line.account_name = None;
    assert_eq!(
        reason(&line).2,
        "account 6100 has no mapping; choose a category for it"
    );
}

#[test]
fn vat_on_account_820_is_excluded_as_tax() {
    let a = calculator().assess(&bill("820", "GBP", date(2024, 3, 14), dec!(246.91)));
    assert_eq!(a.outcome, Outcome::Excluded);
    assert_eq!(a.rule_id.as_deref(), Some("xero-std-820"));
    assert_eq!(a.category.as_deref(), Some("Tax"));
    assert!(a.reason.as_deref().unwrap_or_default().starts_with("tax"));
}

#[test]
fn payroll_depreciation_interest_and_bank_accounts_are_excluded_with_a_reason() {
    for (account, word) in [
        ("477", "payroll"),
        ("478", "payroll"),
        ("416", "depreciation"),
        ("437", "interest"),
        ("505", "tax"),
        ("825", "tax"),
        ("090", "bank account"),
        ("091", "bank account"),
        ("877", "transfer"),
        ("497", "revaluation"),
    ] {
        let a = calculator().assess(&bill(account, "USD", date(2024, 1, 1), dec!(100.0)));
        assert_eq!(a.outcome, Outcome::Excluded, "{account}");
        let why = a.reason.unwrap_or_default();
        assert!(why.contains(word), "{account}: {why}");
    }
}

#[test]
fn light_power_and_heating_is_unmapped_because_electricity_needs_kwh() {
    let a = calculator().assess(&bill("445", "GBP", date(2024, 2, 1), dec!(380.0)));
    assert_eq!(a.outcome, Outcome::Unmapped);
    assert_eq!(a.rule_id.as_deref(), Some("xero-std-445"));
    let why = a.reason.unwrap_or_default();
    assert!(why.contains("kWh"), "{why}");
    assert!(why.contains("Scope 2"), "{why}");
    assert!(
        why.contains("no factor for electric power generation"),
        "{why}"
    );
}

#[test]
fn general_expenses_and_cost_of_goods_sold_wait_for_a_person_to_map_them() {
    let general = calculator().assess(&bill("429", "USD", date(2024, 1, 1), dec!(50.0)));
    assert_eq!(general.outcome, Outcome::Unmapped);
    assert!(general.reason.unwrap_or_default().contains("too broad"));

    let cogs = calculator().assess(&bill("310", "USD", date(2024, 1, 1), dec!(50.0)));
    assert_eq!(cogs.outcome, Outcome::Unmapped);
    assert!(cogs
        .reason
        .unwrap_or_default()
        .contains("depends on what is sold"));
}

#[test]
fn motor_vehicle_spend_is_counted_as_fuel_supply_chain_with_the_scope_1_caveat() {
    let a = calculator().assess(&bill("449", "GBP", date(2024, 2, 1), dec!(80.0)));
    let e = counted(&a.outcome);
    // 80 × 1.2781 × 117.996 / 125.224 × 0.27 = 26.0134706...
    assert_eq!(e.kg_co2e, dec!(26.013471));
    assert_eq!((e.scope, e.scope3_category), (3, Some(3)));
    let caveat = a.reason.unwrap_or_default();
    assert!(
        caveat.contains("Scope 1") && caveat.contains("litres"),
        "{caveat}"
    );
}

#[test]
fn a_year_with_no_exchange_rate_is_unmapped_and_never_borrows_a_neighbouring_year() {
    // A rate table with EUR for 2022 and 2023 but not 2024; the 2024 price index exists.
    let fx: String = carbonsync_emissions::builtin::FX_CSV
        .lines()
        .filter(|l| !l.starts_with("EUR,2024,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let calc = Calculator::with_tables(
        carbonsync_emissions::builtin::FACTORS_CSV,
        carbonsync_emissions::builtin::MAPPINGS,
        &fx,
        carbonsync_emissions::builtin::INDEX_CSV,
    )
    .unwrap();
    let a = calc.assess(&bill("494", "EUR", date(2024, 5, 5), dec!(100.0)));
    assert_eq!(a.outcome, Outcome::Unmapped);
    assert_eq!(a.rule_id.as_deref(), Some("xero-std-494"));
    assert_eq!(
        a.reason.as_deref(),
        Some(
            "no USD exchange rate for EUR in 2024; add the 2024 rate for EUR to the \
             exchange-rate table"
        )
    );
}

#[test]
fn a_year_with_neither_rate_nor_price_index_names_both() {
    let a = calculator().assess(&bill("494", "GBP", date(2025, 1, 10), dec!(100.0)));
    assert_eq!(a.outcome, Outcome::Unmapped);
    let why = a.reason.unwrap_or_default();
    assert!(
        why.contains("exchange rate for GBP in 2025") && why.contains("price index for 2025"),
        "{why}"
    );
}

#[test]
fn a_currency_with_no_rates_is_never_treated_as_dollars() {
    let a = calculator().assess(&bill("494", "AUD", date(2024, 5, 5), dec!(100.0)));
    assert_eq!(a.outcome, Outcome::Unmapped);
    assert!(a.reason.unwrap_or_default().contains("AUD in 2024"));
}

#[test]
fn a_malformed_currency_code_is_unmapped() {
    let a = calculator().assess(&bill("494", "£", date(2024, 5, 5), dec!(100.0)));
    assert_eq!(a.outcome, Outcome::Unmapped);
    assert!(a.reason.unwrap_or_default().contains("ISO 4217"));
}

#[test]
fn an_amount_too_large_to_convert_exactly_is_unmapped_rather_than_poisoning_totals() {
    let a = calculator().assess(&bill("494", "USD", date(2024, 5, 5), Decimal::MAX));
    assert_eq!(a.outcome, Outcome::Unmapped);
    assert!(
        a.reason.unwrap_or_default().contains("too large"),
        "the reason says what is wrong"
    );
}

#[test]
fn an_account_of_another_platform_never_takes_a_xero_rule_with_the_same_code() {
    // "494" is Xero's Travel - International; QuickBooks Online keys its mapping on account
    // subtypes, none of which is "494", so its line is unmapped, never an air flight.
    let mut line = bill("494", "USD", date(2024, 3, 14), dec!(1234.56));
    line.platform = "quickbooks";
    assert_eq!(
        reason(&line),
        (
            Outcome::Unmapped,
            None,
            "account 494 has no mapping; choose a category for it".to_owned()
        )
    );
    assert!(calculator().rule("quickbooks", "494").is_none());
    assert!(calculator().rule("xero", "494").is_some());
}

#[test]
fn a_platform_without_a_mapping_table_is_unmapped_naming_the_platform() {
    let mut line = bill("494", "USD", date(2024, 3, 14), dec!(1234.56));
    line.platform = "acme";
    let (outcome, rule_id, why) = reason(&line);
    assert_eq!((outcome, rule_id), (Outcome::Unmapped, None));
    assert!(
        why.contains("no account mapping for acme"),
        "says which mapping is missing: {why}"
    );
}

#[test]
fn every_shipped_rule_id_names_its_platform() {
    // Each platform's own prefix; a platform added to the shipped mappings must be given one
    // here, and no prefix may begin another.
    let prefixes = [("xero", "xero-std-"), ("quickbooks", "qbo-")];
    let platforms: Vec<_> = carbonsync_emissions::builtin::MAPPINGS
        .iter()
        .map(|t| t.platform)
        .collect();
    assert_eq!(platforms, prefixes.map(|(p, _)| p));
    for (platform, prefix) in prefixes {
        for (other, other_prefix) in prefixes {
            assert!(
                platform == other || !other_prefix.starts_with(prefix),
                "{prefix} begins {other_prefix}"
            );
        }
        let rules: Vec<_> = calculator().rules(platform).cloned().collect();
        assert!(rules.len() > 50, "{platform} has its chart");
        for rule in rules {
            assert!(rule.rule_id.starts_with(prefix), "{}", rule.rule_id);
        }
    }
}

#[test]
fn settled_by_record_names_exactly_the_lines_assess_excludes_by_record() {
    let calc = calculator();
    let kinds = [
        SpendKind::BankSpend,
        SpendKind::BankReceive,
        SpendKind::BankTransfer,
        SpendKind::Bill,
        SpendKind::SupplierCredit,
        SpendKind::SalesInvoice,
        SpendKind::Prepayment,
        SpendKind::Overpayment,
    ];
    // A purchase account, an income account, an account with no mapping, and no account.
    for account in [Some("494"), Some("200"), Some("9999"), None] {
        for kind in kinds {
            for deleted in [false, true] {
                let mut line = bill(account.unwrap_or(""), "GBP", date(2024, 3, 14), dec!(50));
                line.account_code = account;
                line.kind = kind;
                line.status_deleted = deleted;
                let a = calc.assess(&line);
                let by_record = a.rule_id.is_none() && a.outcome == Outcome::Excluded;
                assert_eq!(
                    calc.settled_by_record(&line),
                    by_record,
                    "{kind:?} on {account:?}, deleted {deleted}"
                );
            }
        }
    }
}
