//! Activity data: a quantity a person knows for an entry (kWh on the electricity bill, litres of
//! diesel, passenger-km of a flight, room-nights, tonne-km, kilograms of waste) turned into
//! emissions with the UK DESNZ greenhouse gas conversion factors 2024 (v1.1), in place of the
//! spend-based estimate. The factors and their provenance are in `data/desnz-2024/`.

use std::str::FromStr;
use std::sync::OnceLock;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::RESULT_DP;

/// The factor set's name, as entries cite it.
pub const ACTIVITY_SET: &str = "UK DESNZ greenhouse gas conversion factors";
/// Its version.
pub const ACTIVITY_SET_VERSION: &str = "2024 v1.1";

const ACTIVITY_CSV: &str = include_str!("../data/desnz-2024/activity_factors.csv");

/// One activity a quantity can be given for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// CarbonSync's key (`electricity-uk`, `diesel`, `flight-long-haul`).
    pub key: String,
    pub label: String,
    /// GHG Protocol scope, as DESNZ assigns it: 1 (fuel burnt in owned vehicles or plant), 2
    /// (purchased electricity), 3.
    pub scope: u8,
    /// Scope 3 category (1-15) of a Scope 3 activity.
    pub scope3_category: Option<u8>,
    /// The DESNZ row's `ID` (`7_400_4000_5_1`).
    pub factor_id: String,
    /// The row's levels, joined (`UK electricity › Electricity generated › Electricity: UK`).
    pub title: String,
    /// The unit DESNZ gives the factor per (`kWh (Gross CV)`, `litres`, `passenger.km`).
    pub factor_unit: String,
    /// The unit a person gives the quantity in (`kWh`, `litres`, `passenger-km`, `kg`).
    pub quantity_unit: String,
    /// kg CO2e per `factor_unit`, exactly as published.
    pub value: Decimal,
}

/// A quantity turned into emissions, with every number used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityEmission {
    pub activity: Activity,
    /// As given, in `activity.quantity_unit`.
    pub quantity: Decimal,
    /// In the factor's unit (the same number, except kilograms of waste given per tonne).
    pub quantity_in_factor_unit: Decimal,
    /// quantity_in_factor_unit × value, rounded once to [`RESULT_DP`] places, half away from
    /// zero.
    pub kg_co2e: Decimal,
}

/// What a person types for a unit, for each unit DESNZ uses: and how many factor units one of
/// it is.
fn quantity_unit(factor_unit: &str) -> (&'static str, Decimal) {
    match factor_unit {
        "kWh" | "kWh (Gross CV)" | "kWh (Net CV)" => ("kWh", Decimal::ONE),
        "litres" => ("litres", Decimal::ONE),
        "passenger.km" => ("passenger-km", Decimal::ONE),
        "km" => ("km", Decimal::ONE),
        "Room per night" => ("room-nights", Decimal::ONE),
        "tonne.km" => ("tonne-km", Decimal::ONE),
        // Waste is weighed in kilograms on a collection note; the factor is per tonne.
        "tonnes" => ("kg", Decimal::new(1, 3)),
        _ => ("", Decimal::ONE),
    }
}

fn parse() -> Result<Vec<Activity>, String> {
    let mut reader = csv::Reader::from_reader(ACTIVITY_CSV.as_bytes());
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("activity factors line {}: {e}", i + 2))?;
        let get = |n: usize| row.get(n).unwrap_or("").trim().to_owned();
        let scope = match get(4).as_str() {
            "Scope 1" => 1,
            "Scope 2" => 2,
            "Scope 3" => 3,
            other => return Err(format!("activity factors line {}: scope {other:?}", i + 2)),
        };
        let factor_unit = get(10);
        let (unit, _) = quantity_unit(&factor_unit);
        if unit.is_empty() {
            return Err(format!(
                "activity factors line {}: unit {factor_unit:?}",
                i + 2
            ));
        }
        let value = Decimal::from_str(&get(12))
            .map_err(|e| format!("activity factors line {}: value: {e}", i + 2))?;
        let title = (5..=9)
            .map(get)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" › ");
        out.push(Activity {
            key: get(0),
            label: get(1),
            scope,
            scope3_category: get(2).parse().ok(),
            factor_id: get(3),
            title,
            quantity_unit: unit.to_owned(),
            factor_unit,
            value,
        });
    }
    Ok(out)
}

/// Every activity, in the table's order. The table is part of the program; it is read once.
pub fn activities() -> &'static [Activity] {
    static TABLE: OnceLock<Vec<Activity>> = OnceLock::new();
    TABLE.get_or_init(|| parse().expect("the shipped activity table is valid"))
}

/// The activity with this key.
pub fn activity(key: &str) -> Option<&'static Activity> {
    activities().iter().find(|a| a.key == key.trim())
}

impl Activity {
    /// The emissions of `quantity` of this activity, given in [`Activity::quantity_unit`].
    /// Errors say what to give instead: a negative or zero quantity, or another unit.
    pub fn emission(&self, quantity: Decimal, unit: &str) -> Result<ActivityEmission, String> {
        if unit.trim() != self.quantity_unit {
            return Err(format!(
                "{} is given in {}, not {:?}",
                self.label, self.quantity_unit, unit
            ));
        }
        if quantity <= Decimal::ZERO {
            return Err(format!(
                "the quantity must be more than zero {}",
                self.quantity_unit
            ));
        }
        let (_, per) = quantity_unit(&self.factor_unit);
        let in_factor_unit = quantity * per;
        let kg = in_factor_unit
            .checked_mul(self.value)
            .ok_or_else(|| "the quantity is too large".to_owned())?
            .round_dp_with_strategy(RESULT_DP, RoundingStrategy::MidpointAwayFromZero);
        Ok(ActivityEmission {
            activity: self.clone(),
            quantity,
            quantity_in_factor_unit: in_factor_unit,
            kg_co2e: kg,
        })
    }
}

/// Places a quantity estimated from spend is kept to (a millionth of a kWh or litre).
pub const ESTIMATE_DP: u32 = 6;

/// The quantity `amount` buys at `unit_price` (both in the same currency): |amount| ÷ price,
/// rounded once to [`ESTIMATE_DP`] places, half away from zero. The sign of a refund is the
/// caller's to apply to the emission. Errors: a price that is not more than zero.
pub fn estimated_quantity(amount: Decimal, unit_price: Decimal) -> Result<Decimal, String> {
    if unit_price <= Decimal::ZERO {
        return Err("the price per unit must be more than zero".to_owned());
    }
    amount
        .abs()
        .checked_div(unit_price)
        .map(|q| q.round_dp_with_strategy(ESTIMATE_DP, RoundingStrategy::MidpointAwayFromZero))
        .ok_or_else(|| "the amount is too large for that price".to_owned())
}

/// kg CO2e market-based: `quantity` (in the activity's quantity unit) × a supplier-specific or
/// contractual `factor` (kg CO2e per that unit), rounded once to [`RESULT_DP`] places, half
/// away from zero. Errors: a negative factor, or an overflow.
pub fn market_kg(quantity: Decimal, factor: Decimal) -> Result<Decimal, String> {
    if factor < Decimal::ZERO {
        return Err("a market-based factor cannot be negative".to_owned());
    }
    quantity
        .checked_mul(factor)
        .map(|kg| kg.round_dp_with_strategy(RESULT_DP, RoundingStrategy::MidpointAwayFromZero))
        .ok_or_else(|| "the quantity is too large".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantity_from_spend_is_the_amount_over_the_price_to_a_millionth() {
        assert_eq!(
            estimated_quantity(Decimal::new(51234, 2), Decimal::new(245, 3)),
            Ok(Decimal::new(2_091_183_673, 6))
        );
        assert_eq!(
            estimated_quantity(Decimal::new(-100, 0), Decimal::new(25, 2)),
            Ok(Decimal::new(400, 0))
        );
        assert!(estimated_quantity(Decimal::ONE, Decimal::ZERO).is_err());
        assert_eq!(
            market_kg(Decimal::new(12345, 1), Decimal::new(5, 2)),
            Ok(Decimal::new(61725, 3))
        );
        assert!(market_kg(Decimal::ONE, Decimal::NEGATIVE_ONE).is_err());
    }

    #[test]
    fn the_table_holds_the_published_values() {
        let grid = activity("electricity-uk").unwrap();
        assert_eq!(grid.scope, 2);
        assert_eq!(grid.value, Decimal::new(20705, 5));
        assert_eq!(grid.factor_id, "7_400_4000_5_1");
        assert_eq!(activity("natural-gas").unwrap().scope, 1);
        assert_eq!(activity("hotel-uk").unwrap().scope3_category, Some(6));
        assert!(activities().iter().all(|a| a.value > Decimal::ZERO));
    }

    #[test]
    fn quantities_become_kg_co2e_exactly() {
        // 1,234.5 kWh × 0.20705 = 255.603225 kg CO2e.
        let e = activity("electricity-uk")
            .unwrap()
            .emission(Decimal::new(12345, 1), "kWh")
            .unwrap();
        assert_eq!(e.kg_co2e, Decimal::new(255_603_225, 6));
        // 250 kg of waste to landfill = 0.25 t × 520.3342 = 130.08355 kg CO2e.
        let w = activity("waste-landfill")
            .unwrap()
            .emission(Decimal::new(250, 0), "kg")
            .unwrap();
        assert_eq!(w.quantity_in_factor_unit, Decimal::new(25, 2));
        assert_eq!(w.kg_co2e, Decimal::new(130_083_550, 6));
    }

    #[test]
    fn a_wrong_unit_or_quantity_is_refused_in_words() {
        let diesel = activity("diesel").unwrap();
        assert!(diesel
            .emission(Decimal::ONE, "kWh")
            .unwrap_err()
            .contains("litres"));
        assert!(diesel.emission(Decimal::ZERO, "litres").is_err());
    }
}
