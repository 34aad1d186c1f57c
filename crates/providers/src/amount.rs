//! Amounts as exact decimals. Platforms send JSON numbers (Xero
//! with up to four decimal places, QuickBooks with two); a
//! number is read through its shortest round-trip form, which gives back exactly the digits that
//! were sent for any amount of up to 15 significant digits (trillions with cents). A numeric
//! string is accepted too. Written out as a decimal string, so no digit is lost.

use std::fmt;

use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::de::{self, Unexpected, Visitor};
use serde::{Deserializer, Serializer};

/// What a person reads when an amount is not one.
const EXPECTED: &str = "an amount (a number)";

struct AmountVisitor;

impl<'de> Visitor<'de> for AmountVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // `Display` of an f64 is its shortest round-trip form: "1234.56", never
        // "1234.5599999…". Beyond Decimal's range (about 7.9e28) it is not an amount.
        v.to_string()
            .parse::<Decimal>()
            .ok()
            .or_else(|| Decimal::from_f64(v))
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        v.trim()
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| E::invalid_type(Unexpected::Str("…"), &self))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(AmountVisitor)
    }
}

fn write<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

/// An amount that is absent or `null` when there is none (a document's `Total`).
pub mod optional {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        d.deserialize_option(AmountVisitor)
    }

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => write(v, s),
            None => s.serialize_none(),
        }
    }
}

/// An amount where absent or `null` means zero (a `NoTax` line's `TaxAmount`).
pub mod or_zero {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        Ok(d.deserialize_option(AmountVisitor)?.unwrap_or_default())
    }

    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        write(v, s)
    }
}
