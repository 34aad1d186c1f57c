//! Expected values are the arithmetic an auditor would do by hand, worked out to more digits
//! than needed and rounded half away from zero to six places:
//! amount × USD per unit × index 2022 / index of the year × factor with margins.

use carbonsync_emissions::Outcome;
use rust_decimal::dec;

use crate::{bill, calculator, counted, date};

#[test]
fn a_gbp_2024_international_flight_is_converted_deflated_and_multiplied_by_the_air_factor() {
    let calc = calculator();
    let a = calc.assess(&bill("494", "GBP", date(2024, 3, 14), dec!(1234.56)));
    let e = counted(&a.outcome);

    assert_eq!(e.fx_rate, dec!(1.2781));
    // 117.996 / 125.224 = 0.94227943525206...
    assert_eq!(e.deflator, dec!(0.942279435252));
    assert_eq!(e.factor_value, dec!(0.644));
    // 1234.56 × 1.2781 × 117.996 / 125.224 = 1486.81436907...
    assert_eq!(e.amount_usd_2022, dec!(1486.814369));
    // × 0.644 = 957.50845368...
    assert_eq!(e.kg_co2e, dec!(957.508453));
    assert_eq!(e.kg_co2e.to_string(), "957.508453");

    assert_eq!(e.factor_code, "481111");
    assert_eq!(e.factor_title, "Scheduled Passenger Air Transportation");
    assert_eq!((e.scope, e.scope3_category), (3, Some(6)));
    assert_eq!(a.rule_id.as_deref(), Some("xero-std-494"));
    assert_eq!(a.category.as_deref(), Some("Business travel – air"));
    assert_eq!(a.reason, None);
}

#[test]
fn a_usd_2023_flight_uses_the_identity_rate_and_the_2023_deflator() {
    let calc = calculator();
    let a = calc.assess(&bill("494", "USD", date(2023, 11, 2), dec!(842.30)));
    let e = counted(&a.outcome);

    assert_eq!(e.fx_rate, dec!(1));
    assert_eq!(e.deflator, dec!(0.965020895864));
    assert_eq!(e.amount_usd_2022, dec!(812.837101));
    assert_eq!(e.kg_co2e, dec!(523.467093));
    assert!(e.fx_source.contains("identity"), "{}", e.fx_source);
}

#[test]
fn gbp_2023_freight_is_counted_as_upstream_transportation() {
    let calc = calculator();
    let a = calc.assess(&bill("425", "GBP", date(2023, 6, 30), dec!(500.00)));
    let e = counted(&a.outcome);

    assert_eq!(e.amount_usd_2022, dec!(600.242997));
    assert_eq!(e.kg_co2e, dec!(181.873628));
    assert_eq!(e.factor_code, "492110");
    assert_eq!((e.scope, e.scope3_category), (3, Some(4)));
    assert_eq!(a.category.as_deref(), Some("Freight & courier"));
}

#[test]
fn a_usd_2024_subscription_uses_the_software_factor_with_margins() {
    let calc = calculator();
    let a = calc.assess(&bill("485", "USD", date(2024, 1, 31), dec!(300.00)));
    let e = counted(&a.outcome);

    // Software publishers: 0.036 without margins + margins = 0.080 with margins (as published).
    assert_eq!(e.factor_value, dec!(0.080));
    assert_eq!(e.amount_usd_2022, dec!(282.683831));
    assert_eq!(e.kg_co2e, dec!(22.614706));
    assert_eq!(a.category.as_deref(), Some("Software subscriptions"));
}

#[test]
fn a_2022_line_is_already_in_2022_dollars() {
    let calc = calculator();
    let a = calc.assess(&bill("469", "EUR", date(2022, 12, 31), dec!(2000.0)));
    let e = counted(&a.outcome);

    assert_eq!(e.deflator, dec!(1));
    assert_eq!(e.amount_usd_2022, dec!(2106.8));
    assert_eq!(e.kg_co2e, dec!(518.2728));
    assert_eq!(e.scope3_category, Some(8));
}

#[test]
fn a_refund_reverses_the_emission_and_is_still_counted() {
    let calc = calculator();
    let purchase = calc.assess(&bill("494", "GBP", date(2024, 3, 14), dec!(1234.56)));
    let refund = calc.assess(&bill("494", "GBP", date(2024, 4, 2), dec!(-1234.56)));
    let refund_emission = counted(&refund.outcome);

    // Rounded half away from zero, so a refund is the exact mirror of its purchase.
    assert_eq!(refund_emission.kg_co2e, dec!(-957.508453));
    assert_eq!(refund_emission.kg_co2e, -counted(&purchase.outcome).kg_co2e);
}

#[test]
fn every_counted_emission_names_its_factor_set_and_conversion_sources() {
    let calc = calculator();
    let a = calc.assess(&bill("494", "GBP", date(2024, 3, 14), dec!(100.0)));
    let e = counted(&a.outcome);

    assert_eq!(
        e.factor_set,
        "US EPA Supply Chain GHG Emission Factors (USEEIO v2.2)"
    );
    assert_eq!(e.factor_version, "v1.3.0");
    assert_eq!(e.factor_unit, "kg CO2e/2022 USD, purchaser price");
    assert_eq!(
        e.fx_source,
        "USD per GBP, 2024: Federal Reserve G.5A annual average, noon buying rates in New York \
         (G.5A release of January 2025)"
    );
    assert!(e
        .deflator_source
        .starts_with("index(2022) 117.996 / index(2024) 125.224"));
    assert!(e.deflator_source.contains("GDPDEF"));
    assert!(e
        .deflator_source
        .contains("124.163, 124.943, 125.532, 126.257"));
}

#[test]
fn currency_codes_and_account_codes_are_read_regardless_of_case_and_padding() {
    let calc = calculator();
    let a = calc.assess(&bill(" 494 ", "gbp", date(2024, 3, 14), dec!(1234.56)));
    assert_eq!(counted(&a.outcome).kg_co2e, dec!(957.508453));
}

#[test]
fn a_zero_amount_line_counts_zero() {
    let calc = calculator();
    let a = calc.assess(&bill("404", "USD", date(2024, 5, 1), dec!(0.00)));
    assert!(matches!(a.outcome, Outcome::Counted(ref e) if e.kg_co2e.is_zero()));
}

#[test]
fn ten_thousand_lines_with_cents_sum_to_the_exact_total() {
    // 0.10 and 0.20 have no exact binary form: summed as floating point, 10,000 of each drift
    // away from 3,000.00. Each line is converted on its own and the results add up exactly.
    let calc = calculator();
    let mut spend = dec!(0);
    let mut usd = dec!(0);
    for n in 0..20_000 {
        let amount = if n % 2 == 0 { dec!(0.10) } else { dec!(0.20) };
        spend += amount;
        let a = calc.assess(&bill("469", "USD", date(2022, 6, 1), amount));
        usd += counted(&a.outcome).amount_usd_2022;
    }
    assert_eq!(spend, dec!(3000.00));
    // 2022 USD in 2022 dollars: rate 1, deflator 1, so the converted total is the spend.
    assert_eq!(usd, dec!(3000));
}
