//! One test binary for the crate; modules group the tests by what they protect.

mod arithmetic;
mod data;
mod provenance;
mod quickbooks;
mod rules;
mod user_tables;

use carbonsync_emissions::{Calculator, Emission, Outcome, SpendKind, SpendLine};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub fn calculator() -> Calculator {
    Calculator::builtin().expect("built-in tables load")
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
}

/// A live bill line: the common case, varied field by field in the tests.
pub fn bill<'a>(
    account: &'a str,
    currency: &'a str,
    on: NaiveDate,
    net_amount: Decimal,
) -> SpendLine<'a> {
    SpendLine {
        platform: "xero",
        kind: SpendKind::Bill,
        status_deleted: false,
        account_code: Some(account),
        account_name: None,
        date: on,
        currency,
        net_amount,
    }
}

pub fn counted(outcome: &Outcome) -> &Emission {
    match outcome {
        Outcome::Counted(emission) => emission,
        other => panic!("expected a counted line, got {other:?}"),
    }
}
