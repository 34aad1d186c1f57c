//! The parts of BigQuery's REST API the connector speaks: the table id it is given, the
//! `jobs.query` request (<https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query>),
//! the answers of `jobs.query` and `jobs.getQueryResults`
//! (<https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults>), their rows
//! (`{"f": [{"v": …}]}`, a RECORD's value nested as `{"v": {"f": […]}}`, every scalar as a
//! string), and the page token the connector hands the engine.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::http::clean_text;
use crate::ProviderError;

fn invalid(detail: impl Into<String>) -> ProviderError {
    ProviderError::InvalidConfig {
        detail: detail.into(),
    }
}

/// A BigQuery table: `project.dataset.table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableId {
    pub project: String,
    pub dataset: String,
    pub table: String,
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.project, self.dataset, self.table)
    }
}

/// A project id: 6–30 lowercase letters, digits and hyphens, starting with a letter and not
/// ending with a hyphen (<https://cloud.google.com/resource-manager/docs/creating-managing-projects>),
/// optionally after an organisation's domain (`example.com:my-project`, the older
/// domain-scoped projects).
pub fn is_project_id(text: &str) -> bool {
    let (domain, id) = match text.rsplit_once(':') {
        Some((d, id)) => (Some(d), id),
        None => (None, text),
    };
    let domain_ok = domain.is_none_or(|d| {
        !d.is_empty()
            && d.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    });
    let bytes = id.as_bytes();
    domain_ok
        && (6..=30).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// Dataset ids: letters, digits and underscores, at most 1,024
/// (<https://cloud.google.com/bigquery/docs/datasets#dataset-naming>).
fn is_dataset_id(text: &str) -> bool {
    (1..=1024).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Table ids: letters, digits, underscores and hyphens here (BigQuery allows more Unicode, which
/// an export's table never uses), at most 1,024.
fn is_table_id(text: &str) -> bool {
    (1..=1024).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl TableId {
    /// Reads `project.dataset.table` as the console's "Copy ID" gives it; backticks around it
    /// and the bq tool's `project:dataset.table` are accepted too.
    ///
    /// Errors: [`ProviderError::InvalidConfig`] saying the form expected.
    pub fn parse(text: &str) -> Result<TableId, ProviderError> {
        let wrong = || {
            invalid(format!(
                "the table must be the Carbon Footprint export's BigQuery table written project.dataset.table (for example my-project.carbon_footprint_export.carbon_footprint: the export creates a table named carbon_footprint in the dataset chosen for it); `{}` is not",
                clean_text(text, 120)
            ))
        };
        let t = text.trim().trim_matches('`').trim();
        let parts: Vec<&str> = t.split('.').collect();
        let (project, dataset, table) = if parts.len() == 2 {
            // `project:dataset.table`
            let (project, dataset) = parts[0].rsplit_once(':').ok_or_else(wrong)?;
            (project.to_owned(), dataset, parts[1])
        } else if parts.len() >= 3 {
            let n = parts.len();
            (parts[..n - 2].join("."), parts[n - 2], parts[n - 1])
        } else {
            return Err(wrong());
        };
        if !is_project_id(&project) || !is_dataset_id(dataset) || !is_table_id(table) {
            return Err(wrong());
        }
        Ok(TableId {
            project,
            dataset: dataset.to_owned(),
            table: table.to_owned(),
        })
    }
}

/// A named `DATE` query parameter (`parameterMode: NAMED`).
pub fn date_parameter(name: &str, date: chrono::NaiveDate) -> Value {
    json!({
        "name": name,
        "parameterType": {"type": "DATE"},
        "parameterValue": {"value": date.format("%Y-%m-%d").to_string()},
    })
}

/// The body of `jobs.query`: standard SQL, named parameters, `maxResults` rows in the first
/// page, waiting up to `timeout_ms` for the job before answering `jobComplete: false`.
pub fn query_request(
    sql: &str,
    parameters: Vec<Value>,
    max_results: u32,
    timeout_ms: u32,
) -> String {
    let mut body = json!({
        "query": sql,
        "useLegacySql": false,
        "maxResults": max_results,
        "timeoutMs": timeout_ms,
    });
    if !parameters.is_empty() {
        body["parameterMode"] = json!("NAMED");
        body["queryParameters"] = Value::Array(parameters);
    }
    body.to_string()
}

/// Where a query job is: what `jobs.getQueryResults` needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReference {
    pub project_id: String,
    pub job_id: String,
    #[serde(default)]
    pub location: Option<String>,
}

/// A field of a result's schema; RECORDs carry their own `fields`.
#[derive(Debug, Clone, Deserialize)]
pub struct SchemaField {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub fields: Vec<SchemaField>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Schema {
    #[serde(default)]
    pub fields: Vec<SchemaField>,
}

/// One result row: `{"f": [{"v": …}, …]}` in schema order.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    #[serde(default)]
    pub f: Vec<Cell>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Cell {
    #[serde(default)]
    pub v: Value,
}

/// The answer of `jobs.query` or `jobs.getQueryResults` (the two share these fields).
/// `rows` is absent when the result is empty; `schema`, `rows` and `totalRows` only come once
/// `jobComplete` is true.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryAnswer {
    #[serde(default)]
    pub job_reference: Option<JobReference>,
    #[serde(default)]
    pub job_complete: Option<bool>,
    #[serde(default)]
    pub schema: Option<Schema>,
    #[serde(default)]
    pub rows: Vec<Row>,
    #[serde(default)]
    pub page_token: Option<String>,
    #[serde(default)]
    pub total_rows: Option<String>,
}

impl QueryAnswer {
    pub fn complete(&self) -> bool {
        self.job_complete.unwrap_or(false)
    }
}

/// A row as a JSON object by field name (`{"project": {"id": "…"}}`): RECORDs become objects,
/// REPEATED fields arrays, scalars stay the strings BigQuery sent (or null).
pub fn row_object(fields: &[SchemaField], row: &Row) -> Map<String, Value> {
    let mut out = Map::new();
    for (field, cell) in fields.iter().zip(&row.f) {
        out.insert(field.name.clone(), field_value(field, &cell.v));
    }
    out
}

fn field_value(field: &SchemaField, v: &Value) -> Value {
    let repeated = field.mode.as_deref() == Some("REPEATED");
    if repeated {
        // `{"v": [{"v": …}, …]}`.
        return match v {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| scalar_or_record(field, item.get("v").unwrap_or(&Value::Null)))
                    .collect(),
            ),
            _ => Value::Array(Vec::new()),
        };
    }
    scalar_or_record(field, v)
}

fn scalar_or_record(field: &SchemaField, v: &Value) -> Value {
    let record = field.kind == "RECORD" || field.kind == "STRUCT";
    match v {
        Value::Object(inner) if record => {
            let cells: Vec<Cell> = inner
                .get("f")
                .and_then(Value::as_array)
                .map(|f| {
                    f.iter()
                        .map(|c| Cell {
                            v: c.get("v").cloned().unwrap_or(Value::Null),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Value::Object(row_object(&field.fields, &Row { f: cells }))
        }
        other => other.clone(),
    }
}

/// The string at `path` in a row object (`["carbon_footprint_kgCO2e", "scope2",
/// "location_based"]`), `None` when it is null or absent.
pub fn text<'a>(row: &'a Map<String, Value>, path: &[&str]) -> Option<&'a str> {
    let (first, rest) = path.split_first()?;
    let mut value = row.get(*first)?;
    for name in rest {
        value = value.get(*name)?;
    }
    value.as_str()
}

/// A number BigQuery sent as text, exactly: plain (`400.123`) or in the exponent form it uses
/// for very small and very large FLOAT64 values (`1.2E-5`, `3.4E7`).
pub fn exact(text: &str) -> Option<Decimal> {
    let t = text.trim();
    Decimal::from_str(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
        .map(|d| d.normalize())
}

/// The connector's page token: where the next page of a query job's results is.
/// Written `bq1|<project>|<location>|<job id>|<BigQuery's pageToken>` (project ids, locations and
/// job ids never hold `|`; BigQuery's token, last, is kept as it came).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub job: JobReference,
    pub page_token: String,
}

const CURSOR_PREFIX: &str = "bq1";

impl Cursor {
    pub fn encode(&self) -> String {
        format!(
            "{CURSOR_PREFIX}|{}|{}|{}|{}",
            self.job.project_id,
            self.job.location.as_deref().unwrap_or(""),
            self.job.job_id,
            self.page_token
        )
    }

    /// Reads what [`Cursor::encode`] wrote.
    ///
    /// Errors: [`ProviderError::InvalidConfig`] for a token this connector did not write.
    pub fn parse(text: &str) -> Result<Cursor, ProviderError> {
        let mut parts = text.splitn(5, '|');
        let (Some(CURSOR_PREFIX), Some(project), Some(location), Some(job), Some(token)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid(
                "the saved BigQuery page token is not one CarbonSync wrote; read the export again from its first page",
            ));
        };
        if project.is_empty() || job.is_empty() || token.is_empty() {
            return Err(invalid(
                "the saved BigQuery page token is incomplete; read the export again from its first page",
            ));
        }
        Ok(Cursor {
            job: JobReference {
                project_id: project.to_owned(),
                job_id: job.to_owned(),
                location: Some(location.to_owned()).filter(|l| !l.is_empty()),
            },
            page_token: token.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn table_ids_are_read_in_the_forms_people_paste() {
        let t = TableId::parse(" `cedar-finch-carbon.carbon_footprint_export.carbon_footprint` ")
            .unwrap();
        assert_eq!(t.project, "cedar-finch-carbon");
        assert_eq!(t.dataset, "carbon_footprint_export");
        assert_eq!(t.table, "carbon_footprint");
        assert_eq!(
            TableId::parse("my-project:exports.carbon_footprint")
                .unwrap()
                .to_string(),
            "my-project.exports.carbon_footprint"
        );
        assert_eq!(
            TableId::parse("example.com:my-project.exports.carbon_footprint")
                .unwrap()
                .project,
            "example.com:my-project"
        );
        for bad in [
            "",
            "carbon_footprint",
            "exports.carbon_footprint",
            "My_Project.exports.t",
            "p.exports.t",
            "my-project.exp-orts.t",
            "my-project.exports.t`; DROP",
        ] {
            let e = TableId::parse(bad).unwrap_err();
            assert!(
                e.to_string().contains("project.dataset.table"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn numbers_are_read_exactly_in_both_forms() {
        assert_eq!(exact("400.125"), Some(dec!(400.125)));
        assert_eq!(exact("0.0"), Some(dec!(0)));
        assert_eq!(exact("1.2E-5"), Some(dec!(0.000012)));
        assert_eq!(exact("3.4125E7"), Some(dec!(34125000)));
        assert_eq!(exact("2.5e-3"), Some(dec!(0.0025)));
        assert_eq!(exact("NaN"), None);
        assert_eq!(exact("Infinity"), None);
        assert_eq!(exact("twelve"), None);
    }

    #[test]
    fn nested_records_become_objects() {
        let schema: Schema = serde_json::from_value(json!({"fields": [
            {"name": "usage_month", "type": "DATE", "mode": "NULLABLE"},
            {"name": "project", "type": "RECORD", "mode": "NULLABLE", "fields": [
                {"name": "id", "type": "STRING"}, {"name": "number", "type": "STRING"}]},
            {"name": "carbon_footprint_kgCO2e", "type": "RECORD", "fields": [
                {"name": "scope1", "type": "FLOAT"},
                {"name": "scope2", "type": "RECORD", "fields": [
                    {"name": "location_based", "type": "FLOAT"},
                    {"name": "market_based", "type": "FLOAT"}]},
                {"name": "scope3", "type": "FLOAT"}]},
            {"name": "labels", "type": "STRING", "mode": "REPEATED"}
        ]}))
        .unwrap();
        let row: Row = serde_json::from_value(json!({"f": [
            {"v": "2024-06-01"},
            {"v": {"f": [{"v": "web-prod"}, {"v": "402781934123"}]}},
            {"v": {"f": [{"v": "1.5"}, {"v": {"f": [{"v": "400"}, {"v": null}]}}, {"v": "9.75E-4"}]}},
            {"v": [{"v": "a"}, {"v": "b"}]}
        ]}))
        .unwrap();
        let obj = row_object(&schema.fields, &row);
        assert_eq!(text(&obj, &["usage_month"]), Some("2024-06-01"));
        assert_eq!(text(&obj, &["project", "id"]), Some("web-prod"));
        assert_eq!(
            text(
                &obj,
                &["carbon_footprint_kgCO2e", "scope2", "location_based"]
            ),
            Some("400")
        );
        assert_eq!(
            text(&obj, &["carbon_footprint_kgCO2e", "scope2", "market_based"]),
            None
        );
        assert_eq!(text(&obj, &["project", "name"]), None);
        assert_eq!(obj["labels"], json!(["a", "b"]));
    }

    #[test]
    fn cursors_round_trip_and_refuse_foreign_tokens() {
        let c = Cursor {
            job: JobReference {
                project_id: "example.com:billing-proj".into(),
                job_id: "job_AbC-123".into(),
                location: Some("EU".into()),
            },
            page_token: "BFHQ|2X3=/+".into(),
        };
        assert_eq!(Cursor::parse(&c.encode()).unwrap(), c);
        assert!(Cursor::parse("skiptoken-from-azure").is_err());
        assert!(Cursor::parse("bq1|p|EU|job|").is_err());
    }
}
