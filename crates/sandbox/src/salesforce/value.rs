//! A field's value, how it is written in JSON, and how SOQL compares and sorts it.

use std::cmp::Ordering;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value as Json};

use super::ids;
use super::time::{format_date, format_datetime};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// An 18-character record id (the record's own or a reference).
    Id(String),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    /// Milliseconds since 1970, UTC.
    DateTime(i64),
    /// Exact, at the field's scale.
    Number(Decimal),
}

impl Value {
    /// The JSON the REST API answers: numbers as JSON numbers (Salesforce writes doubles as
    /// numbers, `12.5`, not strings), dates and times as Salesforce formats them.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Id(s) | Value::Text(s) => json!(s),
            Value::Bool(b) => json!(b),
            Value::Date(d) => json!(format_date(*d)),
            Value::DateTime(ms) => json!(format_datetime(*ms)),
            Value::Number(d) => number_json(d),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// How SOQL orders two values of one field: text without regard to case, ids by their
    /// 15-character form. `None` for values of different kinds or a null.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Id(a), Value::Id(b)) => Some(id15(a).cmp(id15(b))),
            (Value::Text(a), Value::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
            (Value::Number(a), Value::Number(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

fn id15(id: &str) -> &str {
    ids::canonical(id).unwrap_or(id)
}

/// A decimal as a JSON number, without trailing zeros (`12.5`, `3`).
fn number_json(d: &Decimal) -> Json {
    let text = d.normalize().to_string();
    serde_json::from_str::<serde_json::Number>(&text)
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

/// A JSON number as a decimal rounded (half away from zero) to `scale` places, as Salesforce
/// stores a double.
pub fn decimal_of(number: &serde_json::Number, scale: u32) -> Option<Decimal> {
    let text = number.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
        .map(|d| d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero))
}

/// `units / 10^scale` as a decimal: how the generator writes exact amounts.
pub fn fixed(units: i64, scale: u32) -> Value {
    Value::Number(Decimal::new(units, scale))
}

/// Whether a value may be stored in a field of type `kind` (nulls fit any field).
#[cfg(test)]
pub fn fits(value: &Value, kind: super::schema::FieldType) -> bool {
    use super::schema::FieldType;
    matches!(
        (value, kind),
        (Value::Null, _)
            | (Value::Id(_), FieldType::Id | FieldType::Reference)
            | (
                Value::Text(_),
                FieldType::String | FieldType::Textarea | FieldType::Picklist
            )
            | (Value::Bool(_), FieldType::Boolean)
            | (Value::Date(_), FieldType::Date)
            | (Value::DateTime(_), FieldType::DateTime)
            | (Value::Number(_), FieldType::Double { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_json_numbers_without_trailing_zeros() {
        assert_eq!(fixed(12_3400, 4).to_json().to_string(), "12.34");
        assert_eq!(fixed(500, 2).to_json().to_string(), "5");
        let n: serde_json::Number = serde_json::from_str("0.123456").unwrap();
        assert_eq!(decimal_of(&n, 5), Some(Decimal::new(12346, 5)));
    }

    #[test]
    fn text_compares_without_case_and_ids_by_their_short_form() {
        let a = Value::Text("alpha".into());
        let b = Value::Text("ALPHA".into());
        assert_eq!(a.compare(&b), Some(Ordering::Equal));
        let id = ids::record_id("0t2", 5);
        let short = Value::Id(id[..15].to_owned());
        assert_eq!(Value::Id(id).compare(&short), Some(Ordering::Equal));
        assert_eq!(a.compare(&Value::Null), None);
    }
}
