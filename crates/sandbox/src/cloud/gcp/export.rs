//! The Carbon Footprint export table as the stand-in holds it: the generated estate's usage
//! named the way Google names projects, services, regions and billing accounts, with the
//! export's columns (<https://cloud.google.com/carbon-footprint/docs/data-schema>):
//!
//! | column | type |
//! |---|---|
//! | `usage_month` | DATE |
//! | `billing_account_id` | STRING |
//! | `project` | RECORD `id`, `number` STRING |
//! | `service` | RECORD `id`, `description` STRING |
//! | `location` | RECORD `location`, `region` STRING |
//! | `carbon_model_version` | INTEGER |
//! | `carbon_footprint_total_kgCO2e` | RECORD `market_based`, `location_based` FLOAT |
//! | `carbon_footprint_kgCO2e` | RECORD `scope1` FLOAT, `scope2` RECORD (`location_based`, `market_based` FLOAT), `scope3` FLOAT |
//!
//! Google publishes one Scope 3 number; the stand-in serves the estate's location-based
//! Scope 3 as it, so `/_control/cloud/gcp/totals`' `scope3_location` is what the export adds up
//! to (its `scope3_market` and `total_market` are not Google's).

use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::cloud::estate::Usage;
use crate::cloud::month_date;

/// The carbon model version of a month the provider has not restated.
pub const MODEL_VERSION: u32 = 11;

/// The company's projects, by account index.
const PROJECTS: &[&str] = &[
    "cedar-finch-web",
    "cedar-finch-data",
    "cedar-finch-shop",
    "cedar-finch-analytics",
    "cedar-finch-ml",
    "cedar-finch-tools",
    "cedar-finch-mobile",
    "cedar-finch-logistics",
    "cedar-finch-sandbox",
    "cedar-finch-network",
];

/// The two Cloud Billing accounts the projects are billed to.
const BILLING_ACCOUNTS: &[&str] = &["01A7C3-5E9B2F-D48C61", "018B2E-C7D410-9AF35B"];

/// Service descriptions as Cloud Billing names them, with the service ids known from public
/// exports; the others get a stable id of the same form.
const SERVICES: &[(&str, Option<&str>)] = &[
    ("Compute Engine", Some("6F81-5844-456A")),
    ("Cloud Storage", Some("95FF-2EF5-5EA1")),
    ("BigQuery", Some("24E6-581D-38E5")),
    ("Kubernetes Engine", Some("CCD8-9BF1-090E")),
    ("Cloud SQL", Some("9662-B51E-5089")),
    ("Networking", Some("E505-1604-58F8")),
    ("Cloud Run", Some("152E-C115-5142")),
    ("Cloud Logging", Some("5490-F7B7-8DF6")),
    ("Cloud Monitoring", Some("58CD-E7C3-72CA")),
    ("Cloud Pub/Sub", Some("A1E8-BE35-7EBC")),
    ("Cloud Functions", Some("29E7-DA93-CA13")),
    ("App Engine", Some("F17B-412E-CB64")),
    ("Vertex AI", None),
    ("Cloud Memorystore for Redis", None),
    ("Cloud Spanner", None),
    ("Cloud Bigtable", None),
    ("Cloud Dataflow", None),
    ("Cloud Dataproc", None),
    ("Artifact Registry", None),
    ("Cloud Build", None),
    ("Cloud Key Management Service (KMS)", None),
    ("Secret Manager", None),
    ("Cloud Filestore", None),
    ("Cloud Composer", None),
    ("Cloud Firestore", None),
    ("Cloud DNS", None),
    ("Cloud Scheduler", None),
    ("Cloud Tasks", None),
    ("Cloud Data Fusion", None),
    ("Dataplex", None),
    ("BigQuery Storage API", None),
    ("BigQuery Reservation API", None),
    ("Cloud Vision API", None),
    ("Cloud Speech API", None),
    ("Cloud Natural Language API", None),
    ("Cloud Translation API", None),
    ("Cloud Text-to-Speech API", None),
    ("Document AI", None),
    ("Cloud Video Intelligence API", None),
    ("Dialogflow", None),
    ("Apigee", None),
    ("Cloud Armor", None),
    ("Cloud Workstations", None),
    ("Cloud Healthcare", None),
    ("Backup and DR Service", None),
    ("Cloud Deploy", None),
    ("Memorystore for Memcached", None),
    ("AlloyDB", None),
    ("Batch", None),
    ("Firebase Realtime Database", None),
    ("Cloud Source Repositories", None),
    ("Identity Platform", None),
];

/// Services whose usage is reported by zone (`europe-west2-b`) rather than region.
const ZONAL: &[&str] = &[
    "Compute Engine",
    "Kubernetes Engine",
    "Cloud SQL",
    "Cloud Memorystore for Redis",
    "Cloud Filestore",
    "Memorystore for Memcached",
    "AlloyDB",
    "Cloud Workstations",
];

/// Google Cloud regions, a UK company's first.
const REGIONS: &[&str] = &[
    "europe-west2",
    "europe-west1",
    "us-central1",
    "europe-west4",
    "us-east1",
    "europe-west3",
    "europe-north1",
    "us-east4",
    "us-west1",
    "asia-southeast1",
    "europe-west6",
    "asia-northeast1",
    "australia-southeast1",
    "northamerica-northeast1",
    "southamerica-east1",
    "asia-east1",
    "asia-south1",
    "europe-central2",
    "us-west2",
    "europe-southwest1",
    "europe-west9",
    "europe-west8",
    "me-west1",
    "us-south1",
    "asia-northeast3",
    "africa-south1",
];

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The project id of account `i`.
pub fn project_id(i: u16) -> String {
    PROJECTS
        .get(usize::from(i))
        .map(|p| (*p).to_owned())
        .unwrap_or_else(|| format!("cedar-finch-proj-{i:03}"))
}

/// The project number (12 digits) of account `i`.
pub fn project_number(i: u16) -> String {
    let d = digest(&format!("project-number {i}"));
    let n = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    format!("{}", 100_000_000_000 + n % 900_000_000_000)
}

/// The billing account of account `i`: every third project is billed to the second account.
pub fn billing_account(i: u16) -> &'static str {
    BILLING_ACCOUNTS[usize::from(i % 3 == 2)]
}

/// Service `i`'s description and id.
pub fn service(i: u16) -> (String, String) {
    let (description, id) = match SERVICES.get(usize::from(i)) {
        Some((d, id)) => ((*d).to_owned(), id.map(str::to_owned)),
        None => (format!("Cloud Service {i}"), None),
    };
    let id = id.unwrap_or_else(|| {
        let d = digest(&description);
        let h: String = d[..6].iter().map(|b| format!("{b:02X}")).collect();
        format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12])
    });
    (description, id)
}

/// Region `i`'s code.
pub fn region(i: u16) -> String {
    REGIONS
        .get(usize::from(i))
        .map(|r| (*r).to_owned())
        .unwrap_or_else(|| format!("europe-west{}", 10 + usize::from(i) - REGIONS.len()))
}

/// A FLOAT64 as BigQuery's JSON writes it: plain (`400.125`, `12.0`), or with an exponent
/// below 0.001 and from 10,000,000 on (`1.5E-4`, `1.2345E7`). Exact: the text is the decimal.
pub fn float_text(value: Decimal) -> String {
    let v = value.normalize();
    if v.is_zero() {
        return "0.0".to_owned();
    }
    let abs = v.abs();
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let plain = abs.to_string();
    if abs >= Decimal::from(10_000_000) || abs < Decimal::new(1, 3) {
        let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let (digits, exponent) = if int != "0" {
            (format!("{int}{frac}"), int.len() as i64 - 1)
        } else {
            let zeros = frac.len() - frac.trim_start_matches('0').len();
            (frac[zeros..].to_owned(), -(zeros as i64) - 1)
        };
        let digits = digits.trim_end_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        return format!("{sign}{}.{rest}E{exponent}", &digits[..1]);
    }
    if plain.contains('.') {
        format!("{sign}{plain}")
    } else {
        format!("{sign}{plain}.0")
    }
}

/// A field of the table's (or a result's) schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// `STRING`, `DATE`, `INTEGER`, `FLOAT`, `RECORD`.
    pub kind: &'static str,
    pub fields: Vec<Field>,
}

impl Field {
    fn scalar(name: &str, kind: &'static str) -> Field {
        Field {
            name: name.to_owned(),
            kind,
            fields: Vec::new(),
        }
    }

    fn record(name: &str, fields: Vec<Field>) -> Field {
        Field {
            name: name.to_owned(),
            kind: "RECORD",
            fields,
        }
    }

    /// As a result's `schema.fields[]` entry.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"name": self.name, "type": self.kind, "mode": "NULLABLE"});
        if !self.fields.is_empty() {
            v["fields"] = Value::Array(self.fields.iter().map(Field::to_json).collect());
        }
        v
    }

    /// BigQuery's spelling of the type in messages (`STRUCT<id STRING, number STRING>`).
    pub fn type_name(&self) -> String {
        match self.kind {
            "RECORD" => format!(
                "STRUCT<{}>",
                self.fields
                    .iter()
                    .map(|f| format!("{} {}", f.name, f.type_name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "FLOAT" => "FLOAT64".to_owned(),
            "INTEGER" => "INT64".to_owned(),
            other => other.to_owned(),
        }
    }
}

/// The export table's columns, in the table's order.
pub fn table_schema() -> Vec<Field> {
    vec![
        Field::scalar("usage_month", "DATE"),
        Field::scalar("billing_account_id", "STRING"),
        Field::record(
            "project",
            vec![
                Field::scalar("id", "STRING"),
                Field::scalar("number", "STRING"),
            ],
        ),
        Field::record(
            "service",
            vec![
                Field::scalar("id", "STRING"),
                Field::scalar("description", "STRING"),
            ],
        ),
        Field::record(
            "location",
            vec![
                Field::scalar("location", "STRING"),
                Field::scalar("region", "STRING"),
            ],
        ),
        Field::scalar("carbon_model_version", "INTEGER"),
        Field::record(
            "carbon_footprint_total_kgCO2e",
            vec![
                Field::scalar("market_based", "FLOAT"),
                Field::scalar("location_based", "FLOAT"),
            ],
        ),
        Field::record(
            "carbon_footprint_kgCO2e",
            vec![
                Field::scalar("scope1", "FLOAT"),
                Field::record(
                    "scope2",
                    vec![
                        Field::scalar("location_based", "FLOAT"),
                        Field::scalar("market_based", "FLOAT"),
                    ],
                ),
                Field::scalar("scope3", "FLOAT"),
            ],
        ),
    ]
}

/// A value of a row: NULL, a scalar as BigQuery's JSON writes it (always a string), or a
/// RECORD's values in its fields' order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cell {
    Null,
    Text(String),
    Record(Vec<Cell>),
}

impl Cell {
    /// `{"v": …}`: a RECORD as `{"v": {"f": [...]}}`.
    pub fn to_json(&self) -> Value {
        match self {
            Cell::Null => json!({"v": null}),
            Cell::Text(s) => json!({"v": s}),
            Cell::Record(cells) => {
                json!({"v": {"f": cells.iter().map(Cell::to_json).collect::<Vec<_>>()}})
            }
        }
    }
}

/// One row of the export as published: the estate's usage with the provider's restatement
/// applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub month: u16,
    pub account: u16,
    pub service: u16,
    pub region: u16,
    pub scope1: Decimal,
    pub scope2_location: Decimal,
    pub scope2_market: Decimal,
    pub scope3: Decimal,
    pub model_version: u32,
}

impl ExportRow {
    /// The row of `usage`, each value through `published` (the month's restatement, if any).
    pub fn new(
        usage: &Usage,
        published: impl Fn(Decimal) -> Decimal,
        model_version: u32,
    ) -> ExportRow {
        ExportRow {
            month: usage.month,
            account: usage.account,
            service: usage.service,
            region: usage.region,
            scope1: published(usage.scope1),
            scope2_location: published(usage.scope2_location),
            scope2_market: published(usage.scope2_market),
            scope3: published(usage.scope3_location),
            model_version,
        }
    }

    /// The row's cells in [`table_schema`] order.
    pub fn cells(&self) -> Vec<Cell> {
        let text = |s: String| Cell::Text(s);
        let float = |d: Decimal| Cell::Text(float_text(d));
        let (description, service_id) = service(self.service);
        let region = region(self.region);
        let location = if ZONAL.contains(&description.as_str()) {
            let zone = if (self.account + self.service).is_multiple_of(2) {
                'b'
            } else {
                'c'
            };
            format!("{region}-{zone}")
        } else {
            region.clone()
        };
        vec![
            text(month_date(self.month).format("%Y-%m-%d").to_string()),
            text(billing_account(self.account).to_owned()),
            Cell::Record(vec![
                text(project_id(self.account)),
                text(project_number(self.account)),
            ]),
            Cell::Record(vec![text(service_id), text(description)]),
            Cell::Record(vec![text(location), text(region)]),
            text(self.model_version.to_string()),
            Cell::Record(vec![
                float(self.scope1 + self.scope2_market + self.scope3),
                float(self.scope1 + self.scope2_location + self.scope3),
            ]),
            Cell::Record(vec![
                float(self.scope1),
                Cell::Record(vec![float(self.scope2_location), float(self.scope2_market)]),
                float(self.scope3),
            ]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn floats_are_written_as_bigquery_writes_them() {
        assert_eq!(float_text(dec!(400.125)), "400.125");
        assert_eq!(float_text(dec!(12)), "12.0");
        assert_eq!(float_text(dec!(12.500)), "12.5");
        assert_eq!(float_text(dec!(0)), "0.0");
        assert_eq!(float_text(dec!(0.001)), "0.001");
        assert_eq!(float_text(dec!(0.00015)), "1.5E-4");
        assert_eq!(float_text(dec!(12345678.5)), "1.23456785E7");
        assert_eq!(float_text(dec!(10000000)), "1.0E7");
        assert_eq!(float_text(dec!(-2.5)), "-2.5");
    }

    #[test]
    fn names_are_googles_and_run_out_gracefully() {
        assert_eq!(
            service(0),
            ("Compute Engine".into(), "6F81-5844-456A".into())
        );
        let (d, id) = service(12);
        assert_eq!(d, "Vertex AI");
        assert_eq!(id.len(), 14);
        assert_eq!(service(70).0, "Cloud Service 70");
        assert!(SERVICES.len() >= 50);
        assert!(REGIONS.len() >= 20);
        assert_eq!(region(0), "europe-west2");
        assert_eq!(region(26), "europe-west10");
        assert_eq!(project_number(1).len(), 12);
        assert_eq!(project_id(12), "cedar-finch-proj-012");
    }
}
