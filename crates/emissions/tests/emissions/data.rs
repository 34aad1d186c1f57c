//! The shipped tables say what the brief and the methodology say they should.

use carbonsync_emissions::{builtin, Treatment};
use rust_decimal::dec;

use crate::calculator;

#[test]
fn the_builtin_factor_set_is_epa_v1_3_in_2022_purchaser_dollars() {
    let calc = calculator();
    let info = calc.factor_set();
    assert_eq!(
        info.name,
        "US EPA Supply Chain GHG Emission Factors (USEEIO v2.2)"
    );
    assert_eq!(info.version, "v1.3.0");
    assert_eq!(info.unit, "kg CO2e/2022 USD, purchaser price");
    assert_eq!(info.doi.as_deref(), Some("10.23719/1531143"));
    assert_eq!(info.factor_count, 1016);
    assert!(!info.user_supplied);
}

#[test]
fn a_factor_can_be_looked_up_by_naics_code_with_all_its_columns() {
    let calc = calculator();
    let f = calc.factor("511210").expect("software publishers");
    assert_eq!(f.title, "Software Publishers");
    assert_eq!(
        (f.without_margins, f.margins, f.with_margins),
        (dec!(0.036), dec!(0.045), dec!(0.08))
    );
    // Exactly as the file writes it, trailing zero included.
    assert_eq!(f.with_margins.to_string(), "0.08");
    assert_eq!(f.useeio_code, "511200");
    assert!(calc.factor("999999").is_none());
}

#[test]
fn the_factor_set_has_no_factor_for_electric_power_generation() {
    let calc = calculator();
    for code in [
        "221111", "221112", "221113", "221114", "221118", "221121", "221122",
    ] {
        assert!(calc.factor(code).is_none(), "{code}");
    }
}

/// Reads the mapping file directly rather than through the calculator, so this still checks
/// the file if the loader's own validation were ever loosened.
#[test]
fn every_naics_code_in_the_shipped_mapping_exists_in_the_epa_file() {
    let calc = calculator();
    let mut reader = csv::Reader::from_reader(builtin::XERO_MAPPING_CSV.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let naics_column = headers
        .iter()
        .position(|h| h == "naics_code")
        .expect("column");
    let treatment_column = headers
        .iter()
        .position(|h| h == "treatment")
        .expect("column");
    let mut spend_rows = 0;
    for record in reader.records() {
        let record = record.expect("row");
        let naics = &record[naics_column];
        if &record[treatment_column] == "spend" {
            spend_rows += 1;
            assert!(
                calc.factor(naics).is_some(),
                "NAICS {naics} is not in the EPA file"
            );
        } else {
            assert!(naics.is_empty(), "a non-spend row names NAICS {naics}");
        }
    }
    assert_eq!(spend_rows, 17);
}

#[test]
fn the_standard_chart_is_mapped_as_the_methodology_says() {
    let calc = calculator();
    let spend = [
        ("400", "541810", 1),
        ("404", "522110", 1),
        ("408", "561720", 1),
        ("412", "541211", 1),
        ("420", "722511", 1),
        ("425", "492110", 4),
        ("433", "524126", 1),
        ("441", "541110", 1),
        ("449", "324110", 3),
        ("453", "453210", 1),
        ("461", "323111", 1),
        ("469", "531120", 8),
        ("473", "811310", 1),
        ("485", "511210", 1),
        ("489", "517311", 1),
        ("493", "485310", 6),
        ("494", "481111", 6),
    ];
    for (code, naics, category) in spend {
        let rule = calc
            .rule("xero", code)
            .unwrap_or_else(|| panic!("{code} is mapped"));
        assert_eq!(rule.rule_id, format!("xero-std-{code}"));
        assert_eq!(rule.treatment, Treatment::Spend, "{code}");
        assert_eq!(rule.naics_code.as_deref(), Some(naics), "{code}");
        assert_eq!(
            (rule.scope, rule.scope3_category),
            (Some(3), Some(category)),
            "{code}"
        );
        let label = rule.category.as_deref().unwrap_or_default();
        assert!(!label.is_empty() && label.len() <= 30, "{code}: {label:?}");
    }
    for code in [
        "416", "437", "477", "478", "497", "505", "820", "825", "090", "091", "877",
    ] {
        let rule = calc
            .rule("xero", code)
            .unwrap_or_else(|| panic!("{code} is mapped"));
        assert_eq!(rule.treatment, Treatment::Exclude, "{code}");
        assert!(rule.reason.is_some(), "{code}");
    }
    for code in ["310", "429", "445"] {
        let rule = calc
            .rule("xero", code)
            .unwrap_or_else(|| panic!("{code} is mapped"));
        assert_eq!(rule.treatment, Treatment::Unmapped, "{code}");
        assert!(rule.reason.is_some(), "{code}");
    }
}

#[test]
fn the_rate_tables_hold_the_documented_values() {
    let fx = builtin::FX_CSV;
    for row in [
        "USD,2022,1,identity,",
        "GBP,2022,1.2371,",
        "GBP,2023,1.2440,",
        "GBP,2024,1.2781,\"Federal Reserve G.5A annual average, noon buying rates in New York\",G.5A release of January 2025",
        "EUR,2022,1.0534,",
        "EUR,2023,1.0817,",
    ] {
        assert!(fx.contains(row), "{row}");
    }
    let index = builtin::INDEX_CSV;
    for row in ["2022,117.996,", "2023,122.273,", "2024,125.224,"] {
        assert!(index.contains(row), "{row}");
    }
    // The 2024 value is the mean of the four published quarters, rounded to three places.
    let mean = (dec!(124.163) + dec!(124.943) + dec!(125.532) + dec!(126.257)) / dec!(4);
    assert_eq!(mean.round_dp(3), dec!(125.224));
}
