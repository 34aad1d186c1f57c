//! How exact decimals are kept in SQLite, which has no decimal type.
//!
//! - Amounts as received, and the factor, rate and deflator an entry was computed with, are
//!   decimal text (`'1234.56'`), digit for digit.
//! - The two results that reports sum, 2022 dollars and kg CO2e, are whole millionths in an
//!   INTEGER column (micro-dollars, milligrams), so `SUM` in SQL is exact and fast. The
//!   calculation rounds them to six places before they arrive here (see
//!   `carbonsync_emissions::RESULT_DP`); anything finer is refused rather than rounded again.

use rusqlite::types::{Type, ValueRef};
use rust_decimal::Decimal;

use crate::StoreError;

/// Millionths in one unit: the scale of the `*_micros` and `*_mg` columns.
const SCALE: u32 = 6;

/// Decimal text for a TEXT column.
pub(crate) fn text(value: &Decimal) -> String {
    value.to_string()
}

/// [`text`] for an optional value.
pub(crate) fn opt_text(value: &Option<Decimal>) -> Option<String> {
    value.as_ref().map(text)
}

/// Whole millionths for an INTEGER column. Errors when the value has more than six decimal
/// places or is beyond ±9.2 trillion units (i64).
pub(crate) fn millionths(value: &Decimal) -> Result<i64, StoreError> {
    let mut scaled = *value;
    scaled.rescale(SCALE);
    if scaled != *value {
        return Err(StoreError::Invalid(format!(
            "{value} has more than {SCALE} decimal places"
        )));
    }
    i64::try_from(scaled.mantissa()).map_err(|_| {
        StoreError::Invalid(format!(
            "{value} is too large to store (the limit is about 9.2 trillion); check the \
                 quantity or amount it was worked out from"
        ))
    })
}

/// [`millionths`] for an optional value.
pub(crate) fn opt_millionths(value: &Option<Decimal>) -> Result<Option<i64>, StoreError> {
    value.as_ref().map(millionths).transpose()
}

/// A value of an INTEGER column of millionths, with its six places.
pub(crate) fn from_millionths(value: i64) -> Decimal {
    Decimal::new(value, SCALE)
}

/// Reads a decimal from a TEXT column (or an INTEGER one). NULL is an error.
pub(crate) fn read(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Decimal> {
    read_opt(row, at)?.ok_or(rusqlite::Error::InvalidColumnType(
        at,
        "decimal".into(),
        Type::Null,
    ))
}

/// Reads an optional decimal from a TEXT column (or an INTEGER one).
pub(crate) fn read_opt(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<Decimal>> {
    let bad = |kind: Type| rusqlite::Error::InvalidColumnType(at, "decimal".into(), kind);
    match row.get_ref(at)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(Decimal::from(n))),
        ValueRef::Text(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|_| bad(Type::Text))?;
            parse(text).map(Some).ok_or_else(|| bad(Type::Text))
        }
        ValueRef::Real(_) => Err(bad(Type::Real)),
        ValueRef::Blob(_) => Err(bad(Type::Blob)),
    }
}

/// Reads an optional INTEGER column of millionths.
pub(crate) fn read_opt_millionths(
    row: &rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<Option<Decimal>> {
    Ok(row.get::<_, Option<i64>>(at)?.map(from_millionths))
}

/// Decimal text, also in the exponent form SQLite writes for very small or large values carried
/// over from before amounts were exact (`'1.0e-07'`).
fn parse(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        text.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn millionths_are_exact_and_refuse_finer_values() {
        assert_eq!(millionths(&dec!(957.508453)).unwrap(), 957_508_453);
        assert_eq!(millionths(&dec!(-0.1)).unwrap(), -100_000);
        assert_eq!(millionths(&dec!(12)).unwrap(), 12_000_000);
        assert!(millionths(&dec!(0.0000001)).is_err());
        assert_eq!(from_millionths(957_508_453), dec!(957.508453));
    }

    #[test]
    fn carried_over_text_in_exponent_form_is_read() {
        assert_eq!(parse("1.0e-07"), Some(dec!(0.0000001)));
        assert_eq!(parse("1234.56"), Some(dec!(1234.56)));
        assert_eq!(parse("100.0"), Some(dec!(100)));
        assert_eq!(parse("abc"), None);
    }
}
