//! The Net Zero Cloud footprint objects CarbonSync reads, and how one record becomes
//! reported rows: one per scope, basis and Scope 3 category it holds a value for.
//!
//! Object and field names: Net Zero Cloud Developer Guide, "Net Zero Cloud Standard
//! Objects", and the Salesforce Field Reference Guide (`StnryAssetCrbnFtprnt`,
//! `VehicleAssetCrbnFtprnt`, `Scope3CrbnFtprnt`). Values are in tCO2e (Salesforce stores
//! them as doubles with 2 or 5 decimals); they are kept as the API writes them and turned
//! into kg CO2e by × 1,000, exactly.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::str::FromStr;

use crate::cloud::{Basis, ReportedEmission};
use crate::inventory::{FootprintRecord, Position};

use super::client::parse_datetime;

/// One value field of a footprint object: which scope, basis and category it reports.
#[derive(Debug)]
pub struct ValueField {
    pub field: &'static str,
    /// What the ledger calls this number (its `service`), e.g. `Stationary assets`.
    pub label: &'static str,
    pub scope: u8,
    pub basis: Option<Basis>,
    /// GHG Protocol Scope 3 category (1–15).
    pub scope3_category: Option<u8>,
}

/// A footprint object and its value fields.
#[derive(Debug)]
pub struct FootprintObject {
    pub name: &'static str,
    pub values: &'static [ValueField],
    /// A field holding the total of the object's Scope 3 categories, read to report what
    /// the listed categories leave out (as "other categories", with no category number).
    pub scope3_total: Option<&'static str>,
}

const fn value(
    field: &'static str,
    label: &'static str,
    scope: u8,
    basis: Option<Basis>,
    scope3_category: Option<u8>,
) -> ValueField {
    ValueField {
        field,
        label,
        scope,
        basis,
        scope3_category,
    }
}

/// Every footprint object read, in order.
pub static OBJECTS: &[FootprintObject] = &[
    FootprintObject {
        name: "StnryAssetCrbnFtprnt",
        values: &[
            value(
                "TotScope1EmissionsInTco2e",
                "Stationary assets",
                1,
                None,
                None,
            ),
            value(
                "TotScope2LocBasedEmissions",
                "Stationary assets",
                2,
                Some(Basis::Location),
                None,
            ),
            value(
                "TotScope2MktBasedEmissions",
                "Stationary assets",
                2,
                Some(Basis::Market),
                None,
            ),
        ],
        scope3_total: None,
    },
    FootprintObject {
        name: "VehicleAssetCrbnFtprnt",
        values: &[value(
            "TotScope1EmissionsInTco2e",
            "Vehicles",
            1,
            None,
            None,
        )],
        scope3_total: None,
    },
    FootprintObject {
        name: "Scope3CrbnFtprnt",
        values: &[
            value(
                "Scp3EmssnPurchGoodsService",
                "Scope 3: purchased goods and services",
                3,
                None,
                Some(1),
            ),
            value(
                "Scp3EmssnUpstrmTrnspDistr",
                "Scope 3: upstream transportation and distribution",
                3,
                None,
                Some(4),
            ),
            value(
                "TotalScp3EmssnBusTrvl",
                "Scope 3: business travel",
                3,
                None,
                Some(6),
            ),
        ],
        scope3_total: Some("TotScope3EmissionsInTco2e"),
    },
];

/// The names of [`OBJECTS`].
pub static OBJECT_NAMES: &[&str] = &[
    "StnryAssetCrbnFtprnt",
    "VehicleAssetCrbnFtprnt",
    "Scope3CrbnFtprnt",
];

/// The unit Net Zero Cloud keeps its footprints in.
pub const UNIT: &str = "tCO2e";

pub fn object(name: &str) -> Option<&'static FootprintObject> {
    OBJECTS.iter().find(|o| o.name == name)
}

impl FootprintObject {
    /// The fields a query selects.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut fields = vec!["Id", "Name", "SystemModstamp", "StartDate", "EndDate"];
        fields.extend(self.values.iter().map(|v| v.field));
        fields.extend(self.scope3_total);
        fields
    }

    /// Reads one record of a query answer. `org_id` is the account of every row;
    /// `instance_url` makes the record's link.
    ///
    /// Errors: what could not be read, naming the field, never the record's values.
    pub fn read(
        &self,
        record: &serde_json::Value,
        org_id: &str,
        instance_url: &str,
    ) -> Result<FootprintRecord, String> {
        let text = |field: &str| record.get(field).and_then(|v| v.as_str());
        let id = text("Id").ok_or("Id is missing")?.to_string();
        let modified = text("SystemModstamp")
            .and_then(parse_datetime)
            .ok_or("SystemModstamp is missing or not a Salesforce datetime")?;
        let start = text("StartDate")
            .ok_or("StartDate is empty: the footprint has no period")
            .and_then(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| "StartDate is not a date (YYYY-MM-DD)")
            })?;
        let month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).expect("a month");
        let mut rows = Vec::new();
        let mut categorised = Decimal::ZERO;
        let row = |label: &str, scope, basis, category, tonnes: Decimal| ReportedEmission {
            month,
            account: org_id.to_string(),
            account_name: None,
            service: label.to_string(),
            region: None,
            grouping: Some(id.clone()),
            scope,
            scope3_category: category,
            basis,
            kg_co2e: tonnes * Decimal::ONE_THOUSAND,
            reported_value: tonnes,
            reported_unit: UNIT,
            model_version: None,
        };
        for v in self.values {
            if let Some(tonnes) = tonnes(record, v.field)? {
                if v.scope == 3 {
                    categorised += tonnes;
                }
                rows.push(row(v.label, v.scope, v.basis, v.scope3_category, tonnes));
            }
        }
        if let Some(total_field) = self.scope3_total {
            if let Some(total) = tonnes(record, total_field)? {
                let rest = total - categorised;
                if rest > Decimal::ZERO {
                    rows.push(row("Scope 3: other categories", 3, None, None, rest));
                }
            }
        }
        let period_end =
            text("EndDate").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        Ok(FootprintRecord {
            period_end,
            name: text("Name").unwrap_or_default().to_string(),
            link: format!("{}/{id}", instance_url.trim_end_matches('/')),
            position: Position {
                modified_ms: modified.timestamp_millis(),
                id: id.clone(),
            },
            id,
            rows,
        })
    }
}

/// A tCO2e field: `None` when empty; exact decimal text of the JSON number otherwise.
fn tonnes(record: &serde_json::Value, field: &str) -> Result<Option<Decimal>, String> {
    match record.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map(Some)
            .map_err(|_| format!("{field} is not a number CarbonSync can hold exactly")),
        Some(_) => Err(format!("{field} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn a_scope3_footprint_gives_a_row_per_category_and_the_rest_uncategorised() {
        let record = serde_json::json!({
            "attributes": {"type": "Scope3CrbnFtprnt"},
            "Id": "0t5000000000001AAA", "Name": "FY2024 Scope 3",
            "SystemModstamp": "2024-03-01T10:00:00.000+0000",
            "StartDate": "2024-01-01", "EndDate": "2024-12-31",
            "Scp3EmssnPurchGoodsService": 120.12345, "Scp3EmssnUpstrmTrnspDistr": null,
            "TotalScp3EmssnBusTrvl": 10.5, "TotScope3EmissionsInTco2e": 140.62345
        });
        let r = object("Scope3CrbnFtprnt")
            .unwrap()
            .read(&record, "00D000000000001", "https://acme.my.salesforce.com")
            .unwrap();
        assert_eq!(r.link, "https://acme.my.salesforce.com/0t5000000000001AAA");
        let got: Vec<(Option<u8>, Decimal)> = r
            .rows
            .iter()
            .map(|x| (x.scope3_category, x.kg_co2e))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(1), dec!(120123.45)),
                (Some(6), dec!(10500)),
                (None, dec!(10000))
            ]
        );
        assert!(r
            .rows
            .iter()
            .all(|x| x.month == NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()));
        let keys: std::collections::BTreeSet<String> = r.rows.iter().map(|x| x.key()).collect();
        assert_eq!(keys.len(), 3, "each row has its own key");
    }

    #[test]
    fn an_unreadable_field_is_named_and_no_value_is_repeated() {
        let record = serde_json::json!({
            "Id": "0t2000000000001AAA", "SystemModstamp": "2024-03-01T10:00:00.000+0000",
            "StartDate": "2024-01-01", "TotScope1EmissionsInTco2e": "secret-ish text"
        });
        let err = object("StnryAssetCrbnFtprnt")
            .unwrap()
            .read(&record, "00D", "https://x")
            .unwrap_err();
        assert!(
            err.contains("TotScope1EmissionsInTco2e") && !err.contains("secret"),
            "{err}"
        );
    }
}
