//! A user may replace any of the four tables; what they supply is checked row by row.

use carbonsync_emissions::{builtin, Calculator, EmissionsError, MappingTable, Outcome};
use rust_decimal::dec;

use crate::{bill, counted, date};

const FACTORS: &str = "\
2017 NAICS Code,2017 NAICS Title,GHG,Unit,Supply Chain Emission Factors without Margins,Margins of Supply Chain Emission Factors,Supply Chain Emission Factors with Margins,Reference USEEIO Code
481111,Scheduled Passenger Air Transportation,All GHGs,\"kg CO2e/2022 USD, purchaser price\",0.644,0,0.644,481000
541511,Custom Computer Programming Services,All GHGs,\"kg CO2e/2022 USD, purchaser price\",0.09,0.01,0.1,541511
";

const MAPPING: &str = "\
rule_id,account_code,account_name,treatment,category,naics_code,scope,scope3_category,reason
acme-6000,6000,Flights,spend,Business travel – air,481111,3,6,
acme-6100,6100,Contractors,spend,Contract developers,541511,3,1,
acme-7000,7000,Donations,exclude,Donations,,,,a gift is not a purchase
";

const FX: &str = "\
currency,year,usd_per_unit,source,note
AUD,2024,0.66,Acme treasury policy rate,board minute 2024-01
AUD,2025,0.64,Acme treasury policy rate,
";

const INDEX: &str = "\
year,index_2017_100,source,note
2022,100,Test index,
2024,110,Test index,
";

fn load(factors: &str, mapping: &str, fx: &str, index: &str) -> Result<Calculator, EmissionsError> {
    let mappings = [MappingTable {
        platform: "xero",
        platform_name: "Xero",
        csv: mapping,
    }];
    Calculator::with_tables(factors, &mappings, fx, index)
}

#[test]
fn with_tables_reads_the_users_own_files() {
    let calc = load(FACTORS, MAPPING, FX, INDEX).expect("user tables load");
    let a = calc.assess(&bill("6000", "AUD", date(2024, 8, 1), dec!(1000.0)));
    let e = counted(&a.outcome);

    // 1000 × 0.66 × 100 / 110 × 0.644 = 386.4 exactly.
    assert_eq!(e.kg_co2e, dec!(386.4));
    assert_eq!(a.rule_id.as_deref(), Some("acme-6000"));
    assert_eq!(
        e.fx_source,
        "USD per AUD, 2024: Acme treasury policy rate (board minute 2024-01)"
    );

    let donation = calc.assess(&bill("7000", "AUD", date(2024, 8, 1), dec!(50.0)));
    assert_eq!(donation.outcome, Outcome::Excluded);
    assert_eq!(donation.reason.as_deref(), Some("a gift is not a purchase"));

    // The shipped mapping is replaced, not merged: 494 means nothing here.
    let unknown = calc.assess(&bill("494", "AUD", date(2024, 8, 1), dec!(50.0)));
    assert_eq!(unknown.outcome, Outcome::Unmapped);
}

#[test]
fn a_user_factor_table_is_identified_by_its_hash_on_every_emission() {
    let calc = load(FACTORS, MAPPING, FX, INDEX).expect("user tables load");
    let info = calc.factor_set().clone();
    assert!(info.user_supplied);
    assert_eq!(info.name, "User-supplied spend factor table");
    assert_eq!(info.version, format!("sha256:{}", &info.sha256[..16]));
    assert_eq!(info.factor_count, 2);

    let a = calc.assess(&bill("6100", "AUD", date(2024, 8, 1), dec!(10.0)));
    let e = counted(&a.outcome);
    assert_eq!(e.factor_set, info.name);
    assert_eq!(e.factor_version, info.version);
}

#[test]
fn the_shipped_factor_file_supplied_as_a_user_file_keeps_its_epa_identity() {
    let calc = load(builtin::FACTORS_CSV, MAPPING, FX, INDEX).expect("tables load");
    assert_eq!(calc.factor_set().version, "v1.3.0");
    assert!(!calc.factor_set().user_supplied);
}

#[test]
fn a_year_with_a_rate_but_no_price_index_is_unmapped_naming_the_index() {
    let calc = load(FACTORS, MAPPING, FX, INDEX).expect("user tables load");
    let a = calc.assess(&bill("6000", "AUD", date(2025, 2, 1), dec!(1000.0)));
    assert_eq!(a.outcome, Outcome::Unmapped);
    assert_eq!(
        a.reason.as_deref(),
        Some("no US price index for 2025 to convert to 2022 dollars; add 2025 to the price-index table")
    );
}

#[test]
fn files_saved_by_a_spreadsheet_with_a_byte_order_mark_and_crlf_load() {
    let mapping = format!("\u{feff}{}", MAPPING.replace('\n', "\r\n"));
    let calc = load(FACTORS, &mapping, FX, INDEX).expect("tables load");
    assert!(calc.rule("xero", "6000").is_some());
}

fn error_text(result: Result<Calculator, EmissionsError>) -> String {
    match result {
        Ok(_) => panic!("expected the tables to be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_mapping_that_names_a_factor_not_in_the_factor_table_is_refused_with_its_line() {
    let mapping = format!("{MAPPING}acme-8000,8000,Cloud,spend,Cloud hosting,518210,3,1,\n");
    let message = error_text(load(FACTORS, &mapping, FX, INDEX));
    assert_eq!(
        message,
        "Xero account mapping table, line 5: NAICS code 518210 is not in the emission factor table"
    );
}

#[test]
fn factors_in_another_dollar_year_are_refused_rather_than_mis_deflated() {
    let factors = FACTORS.replace("2022 USD", "2021 USD");
    let message = error_text(load(&factors, MAPPING, FX, INDEX));
    assert!(message.contains("2021 USD"), "{message}");
    assert!(
        message.starts_with("emission factor table, line 2"),
        "{message}"
    );
}

#[test]
fn a_price_index_without_2022_is_refused() {
    let index = "year,index_2017_100,source,note\n2024,110,Test index,\n";
    let message = error_text(load(FACTORS, MAPPING, FX, index));
    assert!(message.contains("no 2022 index"), "{message}");
}

#[test]
fn an_account_mapped_twice_is_refused() {
    let mapping = format!("{MAPPING}acme-6000b,6000,Flights again,exclude,,,,,duplicate\n");
    let message = error_text(load(FACTORS, &mapping, FX, INDEX));
    assert!(
        message.contains("account code 6000 is mapped twice"),
        "{message}"
    );
}

#[test]
fn a_spend_rule_claiming_scope_1_is_refused_because_spend_factors_are_supply_chain() {
    let mapping = MAPPING.replace("481111,3,6", "481111,1,");
    let message = error_text(load(FACTORS, &mapping, FX, INDEX));
    assert!(message.contains("always Scope 3"), "{message}");
}

#[test]
fn an_excluded_account_without_a_reason_is_refused() {
    let mapping = MAPPING.replace("a gift is not a purchase", "");
    let message = error_text(load(FACTORS, &mapping, FX, INDEX));
    assert!(message.contains("must say why"), "{message}");
}

#[test]
fn a_rate_table_missing_a_column_names_the_column() {
    let fx = "currency,year,rate,source,note\nAUD,2024,0.66,x,\n";
    let message = error_text(load(FACTORS, MAPPING, fx, INDEX));
    assert!(message.contains("no column `usd_per_unit`"), "{message}");
}

#[test]
fn a_rate_that_is_not_positive_or_repeated_is_refused() {
    let zero = "currency,year,usd_per_unit,source,note\nAUD,2024,0,x,\n";
    assert!(error_text(load(FACTORS, MAPPING, zero, INDEX)).contains("not positive"));
    let twice = format!("{FX}aud,2024,0.7,x,\n");
    assert!(error_text(load(FACTORS, MAPPING, &twice, INDEX)).contains("AUD 2024 appears twice"));
}

#[test]
fn each_platform_has_its_own_mapping_and_an_error_names_the_platform() {
    let other = "\
rule_id,account_code,account_name,treatment,category,naics_code,scope,scope3_category,reason
qbo-6000,6000,Donations,exclude,Donations,,,,a gift is not a purchase
";
    let mappings = [
        MappingTable {
            platform: "xero",
            platform_name: "Xero",
            csv: MAPPING,
        },
        MappingTable {
            platform: "quickbooks",
            platform_name: "QuickBooks Online",
            csv: other,
        },
    ];
    let calc = Calculator::with_tables(FACTORS, &mappings, FX, INDEX).expect("tables load");
    // The same code, two accounts: a flight in one chart, a donation in the other.
    let flight = calc.assess(&bill("6000", "AUD", date(2024, 8, 1), dec!(10)));
    assert_eq!(flight.rule_id.as_deref(), Some("acme-6000"));
    let mut line = bill("6000", "AUD", date(2024, 8, 1), dec!(10));
    line.platform = "quickbooks";
    let donation = calc.assess(&line);
    assert_eq!(donation.outcome, Outcome::Excluded);
    assert_eq!(donation.rule_id.as_deref(), Some("qbo-6000"));

    let broken = [
        mappings[0],
        MappingTable {
            csv: "rule_id,account_code\n",
            ..mappings[1]
        },
    ];
    let message = error_text(Calculator::with_tables(FACTORS, &broken, FX, INDEX));
    assert!(
        message.starts_with("QuickBooks Online account mapping table: the header has no column"),
        "{message}"
    );
}
