//! Builds the Net Zero Cloud org from the generated company: each of its two organisations
//! (the UK and the US one) brings two buildings (`StnryAssetEnvrSrc`) and two vehicles
//! (`VehicleAssetEmssnSrc`), and every month of the generated two years gets a footprint
//! per building, per vehicle, and a spend-based Scope 3 footprint per organisation computed
//! from what that organisation actually spent with its suppliers in the month. About 250
//! records; the same seed gives the same records.
//!
//! Footprints are written by a monthly calculation run, so every footprint of a month shares
//! one `SystemModstamp`: a tie that a client paging by `SystemModstamp` must break by `Id`.

use chrono::{DateTime, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::org::Org;
use super::schema::ObjectKind;
use super::value::{fixed, Value};
use crate::company::calendar::{month_label, month_of, MONTHS, MONTH_STARTS};
use crate::company::record::{Kind, LineAmounts, Status, EPOCH_DAY_MS};
use crate::company::{Company, Country, Org as Books};

/// Any fixed mask gives the org its own random stream, apart from the company's.
const SEED_MASK: u64 = 0x6e7a_632d_6f72_6721; // "nzc-org!"
/// When the org's sources were set up: 2022-12-01T09:00:00Z, before the data starts.
const SOURCES_CREATED_MS: i64 = 1_669_885_200_000;
/// A month's footprints are calculated this many days into the next month, at 02:00 UTC.
const CALCULATION_DAY: i64 = 4;
const CALCULATION_HOUR_MS: i64 = 2 * 3600 * 1000;
/// The last months' footprints still await approval.
const MONTHS_PENDING_APPROVAL: usize = 2;
/// A month's measured energy and fuel vary by this much either way around the expected.
const MONTHLY_VARIATION: f64 = 0.08;

/// UK grid electricity, kg CO2e per kWh. Source: UK Government (DESNZ) GHG conversion
/// factors 2023, "UK electricity", electricity generated: 0.20707.
const UK_GRID_KG_PER_KWH: f64 = 0.20707;
/// US grid electricity, kg CO2e per kWh: a round figure near the US national average of EPA's
/// eGRID (roughly 0.37–0.39 kg per kWh in recent editions); an illustration, not a published
/// value.
const US_GRID_KG_PER_KWH: f64 = 0.38;
/// Natural gas, kg CO2e per kWh (gross calorific value). Source: DESNZ GHG conversion factors
/// 2023, "Fuels", natural gas: 0.18293. Used for both countries.
const NATURAL_GAS_KG_PER_KWH: f64 = 0.18293;
/// Diesel (average biofuel blend), kg CO2e per litre. Source: DESNZ GHG conversion factors
/// 2023, "Fuels", diesel (average biofuel blend): 2.51279.
const UK_DIESEL_KG_PER_LITRE: f64 = 2.51279;
/// Diesel, kg CO2 per litre. Source: US EPA GHG Emission Factors Hub, mobile combustion:
/// 10.21 kg CO2 per US gallon, over 3.78541 litres per gallon.
const US_DIESEL_KG_PER_LITRE: f64 = 10.21 / 3.78541;
/// Motor gasoline, kg CO2 per litre. Source: US EPA GHG Emission Factors Hub: 8.78 kg CO2 per
/// US gallon, over 3.78541 litres per gallon.
const US_GASOLINE_KG_PER_LITRE: f64 = 8.78 / 3.78541;

/// Spend-based intensities, kg CO2e per unit of the organisation's currency: illustrative
/// values in the range of published spend-based factors (such as the US EPA's supply chain
/// emission factors), not taken from one. Purchased goods and services.
const PURCHASES_KG_PER_UNIT: f64 = 0.25;
/// Freight and courier: upstream transportation and distribution.
const FREIGHT_KG_PER_UNIT: f64 = 0.60;
/// Business travel.
const TRAVEL_KG_PER_UNIT: f64 = 0.35;

/// Heating's share of the year by calendar month (January first): gas use follows the
/// weather; normalised to a mean of 1 where used.
const GAS_SEASON: [f64; 12] = [1.7, 1.5, 1.3, 0.9, 0.6, 0.35, 0.3, 0.3, 0.5, 0.9, 1.3, 1.6];
/// Electricity varies less: lighting in winter, cooling in summer.
const ELECTRICITY_SEASON: [f64; 12] = [
    1.1, 1.05, 1.0, 0.95, 0.9, 0.95, 1.05, 1.05, 0.95, 0.95, 1.0, 1.1,
];

/// A building of an organisation, with its yearly energy use.
struct Site {
    name: &'static str,
    city: &'static str,
    /// The `Country` picklist's value (ISO 3166 code).
    country: &'static str,
    /// A `BusinessRegion` picklist value.
    region: &'static str,
    electricity_kwh_per_year: f64,
    gas_kwh_per_year: f64,
    /// The share of electricity bought on a renewable tariff, which the market-based Scope 2
    /// method counts as zero.
    renewable_share: f64,
}

/// A vehicle of an organisation, with its usual fuel use.
struct Vehicle {
    name: &'static str,
    litres_per_month: f64,
    kg_per_litre: f64,
}

const UK_SITES: [Site; 2] = [
    Site {
        name: "Bristol Head Office",
        city: "Bristol",
        country: "GB",
        region: "Europe",
        electricity_kwh_per_year: 120_000.0,
        gas_kwh_per_year: 60_000.0,
        renewable_share: 1.0,
    },
    Site {
        name: "Avonmouth Warehouse",
        city: "Avonmouth",
        country: "GB",
        region: "Europe",
        electricity_kwh_per_year: 260_000.0,
        gas_kwh_per_year: 180_000.0,
        renewable_share: 0.0,
    },
];

const US_SITES: [Site; 2] = [
    Site {
        name: "Portland Store",
        city: "Portland",
        country: "US",
        region: "North America",
        electricity_kwh_per_year: 90_000.0,
        gas_kwh_per_year: 45_000.0,
        renewable_share: 0.0,
    },
    Site {
        name: "Reno Distribution Center",
        city: "Reno",
        country: "US",
        region: "North America",
        electricity_kwh_per_year: 400_000.0,
        gas_kwh_per_year: 150_000.0,
        renewable_share: 0.5,
    },
];

const UK_VEHICLES: [Vehicle; 2] = [
    Vehicle {
        name: "Delivery Van 1",
        litres_per_month: 220.0,
        kg_per_litre: UK_DIESEL_KG_PER_LITRE,
    },
    Vehicle {
        name: "Delivery Van 2",
        litres_per_month: 180.0,
        kg_per_litre: UK_DIESEL_KG_PER_LITRE,
    },
];

const US_VEHICLES: [Vehicle; 2] = [
    Vehicle {
        name: "Box Truck 1",
        litres_per_month: 600.0,
        kg_per_litre: US_DIESEL_KG_PER_LITRE,
    },
    Vehicle {
        name: "Sales Car 2",
        litres_per_month: 120.0,
        kg_per_litre: US_GASOLINE_KG_PER_LITRE,
    },
];

/// One organisation's footprint sources and monthly supplier spend.
struct Unit<'a> {
    books: &'a Books,
    sites: Vec<(&'static Site, String)>,
    vehicles: Vec<(&'static Vehicle, String)>,
    grid_kg_per_kwh: f64,
    spend: Vec<Spend>,
}

/// Supplier spend in a month, in the organisation's currency units.
#[derive(Clone, Copy, Default)]
struct Spend {
    purchases: f64,
    freight: f64,
    travel: f64,
}

/// What the organisation spent with suppliers each month, net of tax: spend from the bank
/// and supplier bills, by the account each line is coded to.
fn monthly_spend(books: &Books) -> Vec<Spend> {
    let mut months = vec![Spend::default(); MONTHS];
    for stream in [&books.bank, &books.invoices] {
        for record in &stream.records {
            let spent = matches!(record.kind, Kind::Spend | Kind::AccPay)
                && matches!(record.status, Status::Authorised | Status::Paid);
            if !spent {
                continue;
            }
            let month = &mut months[month_of(record.day)];
            for line in record.lines(&stream.lines) {
                let net_cents = match record.amounts {
                    LineAmounts::Inclusive => {
                        line.line_cents() - line.tax_cents(LineAmounts::Inclusive)
                    }
                    LineAmounts::Exclusive | LineAmounts::NoTax => line.line_cents(),
                };
                let units = net_cents as f64 / 100.0;
                let code = books
                    .accounts
                    .get(usize::from(line.account))
                    .map_or("", |a| a.code);
                match code {
                    "425" => month.freight += units,
                    "493" | "494" => month.travel += units,
                    // Cost of goods, advertising, cleaning, consulting, general, office,
                    // printing, repairs, subscriptions, telephone: bought goods and services.
                    "310" | "400" | "408" | "412" | "429" | "453" | "461" | "473" | "485"
                    | "489" => month.purchases += units,
                    _ => {}
                }
            }
        }
    }
    months
}

/// `x` rounded to `scale` decimals, as a number value.
fn rounded(x: f64, scale: u32) -> Value {
    let factor = 10f64.powi(scale as i32);
    fixed((x * factor).round() as i64, scale)
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// The first and last day of generated month `month`.
fn month_bounds(month: usize) -> (NaiveDate, NaiveDate) {
    let day = |n: u16| {
        DateTime::from_timestamp_millis(EPOCH_DAY_MS)
            .unwrap_or_default()
            .date_naive()
            + Duration::days(i64::from(n))
    };
    (day(MONTH_STARTS[month]), day(MONTH_STARTS[month + 1] - 1))
}

/// When month `month`'s footprints were calculated (and so their `SystemModstamp`).
fn calculated_at(month: usize) -> i64 {
    let next_month_ms = EPOCH_DAY_MS + i64::from(MONTH_STARTS[month + 1]) * 86_400_000;
    next_month_ms + CALCULATION_DAY * 86_400_000 + CALCULATION_HOUR_MS
}

/// `values[m % 12]` over their mean, so a year of them averages 1.
fn season(values: &[f64; 12], month: usize) -> f64 {
    let mean = values.iter().sum::<f64>() / 12.0;
    values[month % 12] / mean
}

/// The Net Zero Cloud org for `company`.
pub fn build(company: &Company) -> Org {
    let mut org = Org::new();
    // First, so that its id is the org id the identity URL names.
    let org_record = org.insert(
        ObjectKind::Organization,
        vec![text(super::ORG_NAME.to_string())],
        SOURCES_CREATED_MS,
    );
    debug_assert_eq!(org_record, super::ids::org_id());
    let mut rng = ChaCha8Rng::seed_from_u64(company.seed ^ SEED_MASK);
    let mut units: Vec<Unit<'_>> = Vec::new();
    for books in &company.orgs {
        let (sites, vehicles, grid): (&'static [Site], &'static [Vehicle], f64) =
            match books.profile.country {
                Country::Uk => (&UK_SITES, &UK_VEHICLES, UK_GRID_KG_PER_KWH),
                Country::Us => (&US_SITES, &US_VEHICLES, US_GRID_KG_PER_KWH),
            };
        let owner = books.profile.name;
        let sites = sites
            .iter()
            .map(|site| {
                let values = vec![
                    text(format!("{owner} {}", site.name)),
                    text(site.city),
                    text(site.country),
                    text(site.region),
                ];
                let id = org.insert(ObjectKind::StnryAssetEnvrSrc, values, SOURCES_CREATED_MS);
                (site, id)
            })
            .collect();
        let vehicles = vehicles
            .iter()
            .map(|vehicle| {
                let values = vec![text(format!("{owner} {}", vehicle.name))];
                let id = org.insert(ObjectKind::VehicleAssetEmssnSrc, values, SOURCES_CREATED_MS);
                (vehicle, id)
            })
            .collect();
        units.push(Unit {
            books,
            sites,
            vehicles,
            grid_kg_per_kwh: grid,
            spend: monthly_spend(books),
        });
    }

    // Month by month, so ids rise with SystemModstamp and a month's records sit together.
    for month in 0..MONTHS {
        let at = calculated_at(month);
        let (start, end) = month_bounds(month);
        let label = month_label(month);
        let year = start.format("%Y").to_string();
        let status = if month + MONTHS_PENDING_APPROVAL >= MONTHS {
            "Pending Approval"
        } else {
            "Approved"
        };
        let period = |name: String| {
            vec![
                text(name),
                Value::Date(start),
                Value::Date(end),
                text(year.clone()),
                text(status),
            ]
        };
        for unit in &units {
            for (site, site_id) in &unit.sites {
                let vary = 1.0 + rng.random_range(-MONTHLY_VARIATION..MONTHLY_VARIATION);
                let electricity = site.electricity_kwh_per_year / 12.0
                    * season(&ELECTRICITY_SEASON, month)
                    * vary;
                let gas = site.gas_kwh_per_year / 12.0 * season(&GAS_SEASON, month) * vary;
                let location_t = electricity * unit.grid_kg_per_kwh / 1000.0;
                let mut values = period(format!("{} — {label}", site.name));
                values.insert(1, Value::Id(site_id.clone()));
                values.extend([
                    rounded(electricity + gas, 2),
                    rounded(gas * NATURAL_GAS_KG_PER_KWH / 1000.0, 2),
                    rounded(location_t, 2),
                    rounded(location_t * (1.0 - site.renewable_share), 2),
                ]);
                org.insert(ObjectKind::StnryAssetCrbnFtprnt, values, at);
            }
        }
        for unit in &units {
            for (vehicle, vehicle_id) in &unit.vehicles {
                let litres = vehicle.litres_per_month
                    * (1.0 + rng.random_range(-MONTHLY_VARIATION..MONTHLY_VARIATION));
                let mut values = period(format!("{} — {label}", vehicle.name));
                values.insert(1, Value::Id(vehicle_id.clone()));
                values.extend([
                    rounded(litres, 2),
                    rounded(litres * vehicle.kg_per_litre / 1000.0, 2),
                ]);
                org.insert(ObjectKind::VehicleAssetCrbnFtprnt, values, at);
            }
        }
        for unit in &units {
            let spend = unit.spend[month];
            let purchases = spend.purchases * PURCHASES_KG_PER_UNIT / 1000.0;
            let freight = spend.freight * FREIGHT_KG_PER_UNIT / 1000.0;
            let travel = spend.travel * TRAVEL_KG_PER_UNIT / 1000.0;
            // tCO2e to four decimals (the fields hold five).
            let (purchases, freight, travel) = (
                (purchases * 10_000.0).round() as i64,
                (freight * 10_000.0).round() as i64,
                (travel * 10_000.0).round() as i64,
            );
            let mut values = period(format!("{} Scope 3 — {label}", unit.books.profile.name));
            values.extend([
                fixed(purchases, 4),
                fixed(freight, 4),
                fixed(travel, 4),
                fixed(purchases + freight + travel, 4),
            ]);
            org.insert(ObjectKind::Scope3CrbnFtprnt, values, at);
        }
    }
    org
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::schema::{Column, SystemField};

    #[test]
    fn the_org_is_a_few_hundred_records_with_ties_and_is_the_same_for_the_same_seed() {
        let company = Company::generate(7, 300);
        let org = build(&company);
        let again = build(&company);
        let footprints = &org.table(ObjectKind::StnryAssetCrbnFtprnt).rows;
        assert_eq!(footprints.len(), 4 * MONTHS);
        assert_eq!(
            org.table(ObjectKind::VehicleAssetCrbnFtprnt).rows.len(),
            4 * MONTHS
        );
        assert_eq!(
            org.table(ObjectKind::Scope3CrbnFtprnt).rows.len(),
            2 * MONTHS
        );
        assert_eq!(
            footprints[0].modstamp_ms, footprints[3].modstamp_ms,
            "a month's footprints share a stamp"
        );
        assert!(footprints[3].modstamp_ms < footprints[4].modstamp_ms);
        for (a, b) in footprints
            .iter()
            .zip(&again.table(ObjectKind::StnryAssetCrbnFtprnt).rows)
        {
            assert_eq!((&a.id, &a.values), (&b.id, &b.values));
        }
        // Every field has a value of its declared type.
        for kind in ObjectKind::ALL {
            let def = kind.def();
            for row in &org.table(kind).rows {
                assert_eq!(row.values.len(), def.fields.len(), "{}", def.name);
                for (value, field) in row.values.iter().zip(def.fields) {
                    assert!(
                        crate::salesforce::value::fits(value, field.kind),
                        "{}.{}",
                        def.name,
                        field.name
                    );
                }
            }
        }
        let first = &footprints[0];
        assert_eq!(
            first.get(Column::System(SystemField::SystemModstamp), ""),
            Value::DateTime(calculated_at(0))
        );
        assert_eq!(
            month_bounds(1).1,
            NaiveDate::from_ymd_opt(2023, 2, 28).unwrap()
        );
    }

    #[test]
    fn scope_3_follows_the_supplier_spend() {
        let company = Company::generate(7, 2_000);
        let org = build(&company);
        let total: Vec<&Value> = org
            .table(ObjectKind::Scope3CrbnFtprnt)
            .rows
            .iter()
            .map(|r| &r.values[8])
            .collect();
        assert!(
            total
                .iter()
                .any(|v| matches!(v, Value::Number(n) if !n.is_zero())),
            "some month has supplier spend"
        );
    }
}
