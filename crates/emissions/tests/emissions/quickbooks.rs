//! QuickBooks Online's shipped mapping: keyed by the account's `AccountSubType`, separate from
//! Xero's chart, and traceable to Intuit's enumeration and the EPA factor file.

use std::collections::BTreeSet;

use carbonsync_emissions::{
    builtin, Calculator, EmissionsError, MappingTable, Outcome, SpendKind, SpendLine, Treatment,
};
use chrono::NaiveDate;
use rust_decimal::{dec, Decimal};

use crate::{bill, calculator, counted, date};

/// Intuit's AccountSubTypeEnum, as published (see the note at the top of the file).
const INTUIT_SUBTYPES: &str = include_str!("intuit_account_subtypes.txt");

/// The key an item-based expense line is looked up with: Intuit's line `DetailType`, which no
/// account subtype spells, so it can never be taken for an account.
const ITEM_LINE: &str = "ItemBasedExpenseLineDetail";

/// A QuickBooks Online line on an account of `subtype`, as the sync passes it.
fn qbo<'a>(
    kind: SpendKind,
    subtype: &'a str,
    currency: &'a str,
    on: NaiveDate,
    net_amount: Decimal,
) -> SpendLine<'a> {
    SpendLine {
        platform: "quickbooks",
        kind,
        status_deleted: false,
        account_code: Some(subtype),
        account_name: None,
        date: on,
        currency,
        net_amount,
    }
}

fn intuit_subtypes() -> BTreeSet<&'static str> {
    INTUIT_SUBTYPES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// (rule id, key, treatment, naics) of every row of the shipped file, read directly rather than through
/// the calculator, so this still checks the file if the loader's validation were loosened.
fn shipped_rows() -> Vec<(String, String, String, String)> {
    let mut reader = csv::Reader::from_reader(builtin::QUICKBOOKS_MAPPING_CSV.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (id, key, treatment, naics) = (
        column("rule_id"),
        column("mapping_key"),
        column("treatment"),
        column("naics_code"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (
                r[id].to_owned(),
                r[key].to_owned(),
                r[treatment].to_owned(),
                r[naics].to_owned(),
            )
        })
        .collect()
}

#[test]
fn quickbooks_online_is_a_shipped_mapping_after_xero() {
    let platforms: Vec<_> = builtin::MAPPINGS
        .iter()
        .map(|t| (t.platform, t.platform_name))
        .collect();
    assert_eq!(
        platforms,
        [("xero", "Xero"), ("quickbooks", "QuickBooks Online")]
    );
    assert_eq!(builtin::MAPPINGS[1].csv, builtin::QUICKBOOKS_MAPPING_CSV);
}

#[test]
fn every_naics_code_in_the_quickbooks_mapping_exists_in_the_epa_file() {
    let calc = calculator();
    let mut spend_rows = 0;
    for (id, _, treatment, naics) in shipped_rows() {
        if treatment == "spend" {
            spend_rows += 1;
            assert!(
                calc.factor(&naics).is_some(),
                "{id}: NAICS {naics} is not in the EPA file"
            );
        } else {
            assert!(
                naics.is_empty(),
                "{id} is not counted but names NAICS {naics}"
            );
        }
    }
    assert_eq!(spend_rows, 43);
}

#[test]
fn every_intuit_account_subtype_has_exactly_one_rule_spelled_as_intuit_spells_it() {
    let intuit = intuit_subtypes();
    assert_eq!(intuit.len(), 297, "the enumeration as published");
    let rows = shipped_rows();
    let keys: BTreeSet<&str> = rows.iter().map(|(_, key, _, _)| key.as_str()).collect();
    assert_eq!(keys.len(), rows.len(), "a subtype is mapped twice");

    let missing: Vec<_> = intuit.difference(&keys).collect();
    assert!(missing.is_empty(), "subtypes without a rule: {missing:?}");
    // A key Intuit does not send would never match a line: only the item-line key is allowed.
    let unknown: Vec<_> = keys.difference(&intuit).collect();
    assert_eq!(unknown, [&ITEM_LINE]);
    assert!(!intuit.contains(ITEM_LINE));
    // Spellings easy to get wrong, as Intuit writes them.
    for key in [
        "ShippingFreightDelivery",
        "RentOrLeaseOfBuildings",
        "SuppliesMaterialsCogs",
    ] {
        assert!(intuit.contains(key) && keys.contains(key), "{key}");
    }
    assert!(!intuit.contains("ShippingFreightAndDelivery"));
}

#[test]
fn every_quickbooks_rule_id_is_qbo_and_its_subtype() {
    let calc = calculator();
    let rules: Vec<_> = calc.rules("quickbooks").collect();
    assert_eq!(rules.len(), 298);
    for rule in rules {
        assert_eq!(rule.rule_id, format!("qbo-{}", rule.account_code));
        assert!(!rule.account_name.is_empty(), "{}", rule.rule_id);
    }
    let counts = |t: Treatment| {
        calc.rules("quickbooks")
            .filter(|r| r.treatment == t)
            .count()
    };
    assert_eq!(
        (
            counts(Treatment::Spend),
            counts(Treatment::Exclude),
            counts(Treatment::Unmapped)
        ),
        (43, 209, 46)
    );
}

#[test]
fn subtypes_are_mapped_as_the_methodology_and_the_xero_table_decide_for_the_same_spend() {
    let calc = calculator();
    let spend = [
        ("Travel", "481111", 6),
        ("TravelExpensesGeneralAndAdminExpenses", "481111", 6),
        ("TravelMeals", "722511", 1),
        ("EntertainmentMeals", "722511", 1),
        ("Auto", "324110", 3),
        ("GasAndFuel", "324110", 3),
        ("ShippingFreightDelivery", "492110", 4),
        ("ShippingFreightDeliveryCos", "492110", 4),
        ("FreightAndDeliveryCos", "492110", 4),
        ("RentOrLeaseOfBuildings", "531120", 8),
        ("EquipmentRental", "532490", 8),
        ("AdvertisingPromotional", "541810", 1),
        ("BankCharges", "522110", 1),
        ("Insurance", "524126", 1),
        ("LegalProfessionalFees", "541110", 1),
        ("RepairMaintenance", "811310", 1),
        ("DuesSubscriptions", "511210", 1),
        ("FixedAssetComputers", "334111", 2),
        ("FurnitureAndFixtures", "337214", 2),
    ];
    for (key, naics, category) in spend {
        let rule = calc
            .rule("quickbooks", key)
            .unwrap_or_else(|| panic!("{key} is mapped"));
        assert_eq!(rule.treatment, Treatment::Spend, "{key}");
        assert_eq!(rule.naics_code.as_deref(), Some(naics), "{key}");
        assert_eq!(
            (rule.scope, rule.scope3_category),
            (Some(3), Some(category)),
            "{key}"
        );
        let label = rule.category.as_deref().unwrap_or_default();
        assert!(!label.is_empty() && label.len() <= 30, "{key}: {label:?}");
    }
    for (key, word) in [
        ("Checking", "bank account"),
        ("Savings", "bank account"),
        ("CreditCard", "transfer"),
        ("AccountsPayable", "transfer"),
        ("PayrollExpenses", "payroll"),
        ("PayrollTaxExpenses", "payroll"),
        ("CostOfLabor", "payroll"),
        ("CostOfLaborCos", "payroll"),
        ("TaxesPaid", "tax"),
        ("GlobalTaxExpense", "tax"),
        ("InterestPaid", "interest"),
        ("FinanceCosts", "interest"),
        ("Depreciation", "depreciation"),
        ("Amortization", "amortization"),
        ("BadDebts", "debt"),
        ("CharitableContributions", "charity"),
        ("ExchangeGainOrLoss", "currency"),
        ("PenaltiesSettlements", "penalty"),
        ("SalesOfProductIncome", "income"),
        ("ServiceFeeIncome", "income"),
    ] {
        let rule = calc
            .rule("quickbooks", key)
            .unwrap_or_else(|| panic!("{key} is mapped"));
        assert_eq!(rule.treatment, Treatment::Exclude, "{key}");
        let why = rule.reason.as_deref().unwrap_or_default();
        assert!(why.contains(word), "{key}: {why}");
    }
    for (key, word) in [
        ("SuppliesMaterialsCogs", "depends on what is bought"),
        ("CostOfSales", "depends on what is sold"),
        ("OtherMiscellaneousServiceCost", "too broad"),
        ("OtherMiscellaneousExpense", "too broad"),
        ("OtherBusinessExpenses", "too broad"),
        ("OfficeGeneralAdministrativeExpenses", "too broad"),
        ("MachineryAndEquipment", "Scope 3 category 2"),
        ("Vehicles", "Scope 3 category 2"),
        ("Utilities", "kWh"),
        (ITEM_LINE, "item-based line: map the item's expense account"),
    ] {
        let rule = calc
            .rule("quickbooks", key)
            .unwrap_or_else(|| panic!("{key} is mapped"));
        assert_eq!(rule.treatment, Treatment::Unmapped, "{key}");
        let why = rule.reason.as_deref().unwrap_or_default();
        assert!(why.contains(word), "{key}: {why}");
    }
}

#[test]
fn a_quickbooks_key_never_takes_a_xero_rule_and_a_xero_code_never_takes_a_quickbooks_rule() {
    let calc = calculator();
    // "400" is Xero's Advertising; in QuickBooks Online a line is keyed by subtype, and no
    // subtype is "400".
    assert!(calc.rule("quickbooks", "400").is_none());
    assert_eq!(
        calc.rule("xero", "400").map(|r| r.rule_id.as_str()),
        Some("xero-std-400")
    );
    assert!(calc.rule("xero", "Travel").is_none());
    assert_eq!(
        calc.rule("quickbooks", "Travel")
            .map(|r| r.rule_id.as_str()),
        Some("qbo-Travel")
    );

    let on = date(2024, 5, 20);
    let a = calc.assess(&qbo(SpendKind::Bill, "400", "USD", on, dec!(100.00)));
    assert_eq!(a.outcome, Outcome::Unmapped);
    assert_eq!(a.rule_id, None);
    assert_eq!(
        a.reason.as_deref(),
        Some("account 400 has no mapping; choose a category for it")
    );
    let mut xero_travel = bill("Travel", "USD", on, dec!(100.00));
    xero_travel.kind = SpendKind::BankSpend;
    let a = calc.assess(&xero_travel);
    assert_eq!((a.outcome, a.rule_id), (Outcome::Unmapped, None));
}

#[test]
fn a_usd_2024_travel_purchase_is_deflated_to_2022_and_multiplied_by_the_air_factor() {
    // Read from the shipped tables: qbo-Travel → NAICS 481111, 0.644 kg CO2e per 2022 USD with
    // margins; USD has rate 1; GDP price index 2022 = 117.996, 2024 = 125.224.
    //   1250.00 × 1 × 117.996 / 125.224 = 1177.84929406503...  → 1177.849294 USD 2022
    //   × 0.644                         =  758.53494537788...  →  758.534945 kg CO2e
    let calc = calculator();
    let a = calc.assess(&qbo(
        SpendKind::BankSpend,
        "Travel",
        "USD",
        date(2024, 5, 20),
        dec!(1250.00),
    ));
    let e = counted(&a.outcome);
    assert_eq!(e.fx_rate, dec!(1));
    assert_eq!(e.deflator, dec!(0.942279435252));
    assert_eq!(e.factor_code, "481111");
    assert_eq!(e.factor_value, dec!(0.644));
    assert_eq!(e.amount_usd_2022, dec!(1177.849294));
    assert_eq!(e.kg_co2e, dec!(758.534945));
    assert_eq!((e.scope, e.scope3_category), (3, Some(6)));
    assert_eq!(a.rule_id.as_deref(), Some("qbo-Travel"));
    assert_eq!(a.category.as_deref(), Some("Business travel – air"));
    assert!(a.reason.unwrap_or_default().contains("air travel factor"));
}

#[test]
fn a_card_refund_and_a_vendor_credit_reverse_the_spend_they_undo() {
    // A card purchase with `Credit: true` is money back to the card, and a VendorCredit a
    // supplier credit; both reach the calculator negative.
    let calc = calculator();
    let on = date(2023, 9, 1);
    let spent = calc.assess(&qbo(
        SpendKind::BankSpend,
        "ShippingFreightDelivery",
        "GBP",
        on,
        dec!(200),
    ));
    let refund = calc.assess(&qbo(
        SpendKind::BankReceive,
        "ShippingFreightDelivery",
        "GBP",
        on,
        dec!(-200),
    ));
    let credit = calc.assess(&qbo(
        SpendKind::SupplierCredit,
        "ShippingFreightDelivery",
        "GBP",
        on,
        dec!(-200),
    ));
    // 200 × 1.2440 × 117.996 / 122.273 × 0.303 = 72.7494512639...
    assert_eq!(counted(&spent.outcome).kg_co2e, dec!(72.749451));
    assert_eq!(counted(&refund.outcome).kg_co2e, dec!(-72.749451));
    assert_eq!(counted(&credit.outcome).kg_co2e, dec!(-72.749451));
    assert_eq!(counted(&credit.outcome).scope3_category, Some(4));

    // Money back to the card on an account that is no purchase category is not a refund of
    // spend: nothing is subtracted.
    let back = calc.assess(&qbo(
        SpendKind::BankReceive,
        "Utilities",
        "GBP",
        on,
        dec!(-50),
    ));
    assert_eq!(
        (back.outcome, back.reason.as_deref()),
        (Outcome::Excluded, Some("income, not a purchase"))
    );
}

#[test]
fn utilities_and_item_based_lines_are_unmapped_with_what_to_do() {
    let calc = calculator();
    let on = date(2024, 2, 1);
    let power = calc.assess(&qbo(SpendKind::Bill, "Utilities", "USD", on, dec!(380)));
    assert_eq!(power.outcome, Outcome::Unmapped);
    assert_eq!(power.rule_id.as_deref(), Some("qbo-Utilities"));
    let why = power.reason.unwrap_or_default();
    assert!(
        why.contains("kWh")
            && why.contains("Scope 2")
            && why.contains("no factor for electric power generation"),
        "{why}"
    );

    let item = calc.assess(&qbo(SpendKind::Bill, ITEM_LINE, "USD", on, dec!(45)));
    assert_eq!(item.outcome, Outcome::Unmapped);
    assert_eq!(
        item.rule_id.as_deref(),
        Some("qbo-ItemBasedExpenseLineDetail")
    );
    assert!(item
        .reason
        .unwrap_or_default()
        .starts_with("item-based line: map the item's expense account"));

    let wages = calc.assess(&qbo(
        SpendKind::Bill,
        "PayrollWageExpenses",
        "USD",
        on,
        dec!(9000),
    ));
    assert_eq!(wages.outcome, Outcome::Excluded);
    assert_eq!(wages.category.as_deref(), Some("Payroll"));
}

#[test]
fn the_fingerprint_of_the_builtin_tables_covers_the_quickbooks_mapping() {
    let builtin_calc = calculator();
    let load = |mappings: &[MappingTable<'_>]| {
        Calculator::with_tables(
            builtin::FACTORS_CSV,
            mappings,
            builtin::FX_CSV,
            builtin::INDEX_CSV,
        )
        .expect("tables load")
    };
    let same = load(builtin::MAPPINGS);
    assert_eq!(same.fingerprint(), builtin_calc.fingerprint());

    let xero_only = load(&builtin::MAPPINGS[..1]);
    assert_ne!(xero_only.fingerprint(), builtin_calc.fingerprint());

    // One rule changed, every byte else the same: a stored ledger is owed a recomputation.
    let edited = builtin::QUICKBOOKS_MAPPING_CSV.replace(
        "qbo-Travel,Travel,Travel,spend,Business travel – air,481111,3,6,",
        "qbo-Travel,Travel,Travel,spend,Business travel – ground,485310,3,6,",
    );
    assert_ne!(
        edited,
        builtin::QUICKBOOKS_MAPPING_CSV,
        "the row is in the file"
    );
    let changed = load(&[
        builtin::MAPPINGS[0],
        MappingTable {
            csv: &edited,
            ..builtin::MAPPINGS[1]
        },
    ]);
    assert_ne!(changed.fingerprint(), builtin_calc.fingerprint());
}

const USER_QBO: &str = "\
rule_id,mapping_key,account_name,treatment,category,naics_code,scope,scope3_category,reason,notes
acme-qbo-travel,Travel,Flights and hotels,spend,Business travel – ground,485310,3,6,,rail only since 2024
acme-qbo-office,OfficeGeneralAdministrativeExpenses,Office supplies,spend,Office supplies,453210,3,1,,
";

fn with_user_quickbooks(csv: &str) -> Result<Calculator, EmissionsError> {
    let mappings = [
        builtin::MAPPINGS[0],
        MappingTable {
            platform: "quickbooks",
            platform_name: "QuickBooks Online",
            csv,
        },
    ];
    Calculator::with_tables(
        builtin::FACTORS_CSV,
        &mappings,
        builtin::FX_CSV,
        builtin::INDEX_CSV,
    )
}

#[test]
fn a_users_quickbooks_table_replaces_the_shipped_one() {
    let calc = with_user_quickbooks(USER_QBO).expect("user table loads");
    let on = date(2024, 5, 20);
    let travel = calc.assess(&qbo(
        SpendKind::BankSpend,
        "Travel",
        "USD",
        on,
        dec!(1250.00),
    ));
    assert_eq!(travel.rule_id.as_deref(), Some("acme-qbo-travel"));
    // 1250.00 × 117.996 / 125.224 × 0.566 = 666.6627004408...
    assert_eq!(counted(&travel.outcome).kg_co2e, dec!(666.662700));
    assert_eq!(counted(&travel.outcome).factor_code, "485310");

    let office = calc.assess(&qbo(
        SpendKind::Bill,
        "OfficeGeneralAdministrativeExpenses",
        "USD",
        on,
        dec!(10),
    ));
    assert_eq!(office.rule_id.as_deref(), Some("acme-qbo-office"));

    // Replaced, not merged: a subtype only the shipped table maps is unmapped here, and Xero's
    // shipped table is untouched.
    let fuel = calc.assess(&qbo(SpendKind::Bill, "GasAndFuel", "USD", on, dec!(10)));
    assert_eq!((fuel.outcome, fuel.rule_id), (Outcome::Unmapped, None));
    assert_eq!(
        calc.rule("xero", "494").map(|r| r.rule_id.as_str()),
        Some("xero-std-494")
    );
    assert_ne!(calc.fingerprint(), calculator().fingerprint());
}

#[test]
fn a_quickbooks_table_in_the_xero_column_layout_loads_too() {
    let csv = USER_QBO.replacen("mapping_key", "account_code", 1);
    let calc = with_user_quickbooks(&csv).expect("user table loads");
    assert_eq!(
        calc.rule("quickbooks", "Travel")
            .map(|r| r.rule_id.as_str()),
        Some("acme-qbo-travel")
    );
}

fn error_text(result: Result<Calculator, EmissionsError>) -> String {
    match result {
        Ok(_) => panic!("expected the tables to be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_mapping_table_with_no_key_column_or_two_is_refused_naming_both_columns() {
    let neither = USER_QBO.replacen("mapping_key", "subtype", 1);
    let message = error_text(with_user_quickbooks(&neither));
    assert!(
        message.starts_with(
            "QuickBooks Online account mapping table: the header has no key column: add \
             `mapping_key`"
        ),
        "{message}"
    );
    assert!(message.contains("or `account_code`"), "{message}");

    let both = USER_QBO.replacen("notes", "account_code", 1);
    let message = error_text(with_user_quickbooks(&both));
    assert_eq!(
        message,
        "QuickBooks Online account mapping table: the header has both `mapping_key` and \
         `account_code`; keep one, so each row has a single key"
    );

    // Every other column stays required, whatever the key column is called.
    let short = USER_QBO.replacen(",reason", ",why", 1);
    let message = error_text(with_user_quickbooks(&short));
    assert!(message.contains("no column `reason`"), "{message}");
}

#[test]
fn a_subtype_mapped_twice_is_refused_with_its_line() {
    let twice = format!("{USER_QBO}acme-qbo-travel-2,Travel,Taxis,exclude,,,,,duplicate,\n");
    let message = error_text(with_user_quickbooks(&twice));
    assert_eq!(
        message,
        "QuickBooks Online account mapping table, line 4: key Travel is mapped twice"
    );
}
