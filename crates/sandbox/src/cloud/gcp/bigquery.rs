//! BigQuery's `jobs.query` (`POST /gcp/bigquery/v2/projects/{projectId}/queries`) and
//! `jobs.getQueryResults` (`GET /gcp/bigquery/v2/projects/{projectId}/queries/{jobId}`) over
//! the one table the stand-in holds: the Carbon Footprint export
//! (<https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query>,
//! <https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults>).
//!
//! A query's result is fixed when it runs (published months, restatements), as a job's result
//! table is. A result of more than [`LARGE_RESULT_ROWS`] rows is still "running" when
//! `jobs.query` answers (`jobComplete: false`), so a client has to wait for it with
//! `jobs.getQueryResults`. Page tokens are opaque; results are kept for the last
//! [`KEPT_JOBS`] jobs.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};

use super::export::{table_schema, Cell, ExportRow, Field, MODEL_VERSION};
use super::sql::{self, CompareOp, Condition, Operand, PathRef, Pos, SelectItem};
use super::token::check_bearer;
use super::{google_error, respond, DATASET, LOCATION, PROJECT, TABLE};
use crate::app::AppState;
use crate::cloud::{month_date, month_index, Cloud};

/// Results with more rows than this are not complete on `jobs.query`'s answer.
pub const LARGE_RESULT_ROWS: usize = 1000;
/// How long such a job "runs".
const RUNNING_FOR: Duration = Duration::from_millis(50);
/// Rows in a page when the request does not say.
const DEFAULT_PAGE_ROWS: usize = 10_000;
/// Jobs whose results are kept.
pub const KEPT_JOBS: usize = 64;

/// The rows of a result, rendered as `{"f": [...]}` when a page is asked for.
enum Rows {
    /// Export rows and the columns selected from them.
    Export {
        rows: Vec<ExportRow>,
        select: Vec<Selected>,
    },
    /// Rows already made (a `DISTINCT` result).
    Cells(Vec<Vec<Cell>>),
}

/// A column of a result: where its value is in an export row's cells.
#[derive(Debug, Clone)]
struct Selected {
    field: Field,
    indices: Vec<usize>,
}

struct Job {
    project: String,
    job_id: String,
    ready_at: Instant,
    schema: Vec<Field>,
    rows: Rows,
    bytes_processed: u64,
}

impl Job {
    fn total(&self) -> usize {
        match &self.rows {
            Rows::Export { rows, .. } => rows.len(),
            Rows::Cells(rows) => rows.len(),
        }
    }

    fn row_json(&self, i: usize) -> Value {
        let cells: Vec<Cell> = match &self.rows {
            Rows::Export { rows, select } => {
                let all = rows[i].cells();
                select.iter().map(|s| pick(&all, &s.indices)).collect()
            }
            Rows::Cells(rows) => rows[i].clone(),
        };
        json!({"f": cells.iter().map(Cell::to_json).collect::<Vec<_>>()})
    }

    fn reference(&self) -> Value {
        json!({"projectId": self.project, "jobId": self.job_id, "location": LOCATION})
    }
}

fn pick(cells: &[Cell], indices: &[usize]) -> Cell {
    let mut cell = &Cell::Null;
    let mut level = cells;
    for (n, &i) in indices.iter().enumerate() {
        cell = level.get(i).unwrap_or(&Cell::Null);
        if n + 1 < indices.len() {
            match cell {
                Cell::Record(inner) => level = inner,
                _ => return Cell::Null,
            }
        }
    }
    cell.clone()
}

/// Jobs by id, and their ids oldest first.
type Jobs = (HashMap<String, Arc<Job>>, VecDeque<String>);

/// The jobs run, beside the shared state (whose shape belongs to the whole sandbox); job ids
/// are random, so sandboxes in one process never see each other's.
fn jobs() -> std::sync::MutexGuard<'static, Jobs> {
    static JOBS: OnceLock<Mutex<Jobs>> = OnceLock::new();
    JOBS.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn keep(job: Arc<Job>) {
    let mut jobs = jobs();
    let (map, order) = &mut *jobs;
    order.push_back(job.job_id.clone());
    map.insert(job.job_id.clone(), job);
    while order.len() > KEPT_JOBS {
        if let Some(old) = order.pop_front() {
            map.remove(&old);
        }
    }
}

fn error_item(message: &str, reason: &str) -> Value {
    json!([{"message": message, "domain": "global", "reason": reason}])
}

fn invalid_query(state: &AppState, message: &str) -> Response {
    google_error(
        state,
        StatusCode::BAD_REQUEST,
        message,
        json!([{"message": message, "domain": "global", "reason": "invalidQuery", "location": "q", "locationType": "parameter"}]),
    )
}

fn not_found(state: &AppState, message: &str) -> Response {
    google_error(
        state,
        StatusCode::NOT_FOUND,
        message,
        error_item(message, "notFound"),
    )
}

fn access_denied(state: &AppState, message: &str) -> Response {
    google_error(
        state,
        StatusCode::FORBIDDEN,
        message,
        error_item(message, "accessDenied"),
    )
}

/// BigQuery's answer to a caller over its per-user API rate.
fn rate_limited(state: &AppState) -> Response {
    let message = "Exceeded rate limits: too many api requests per user per method for this user_method. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas";
    google_error(
        state,
        StatusCode::TOO_MANY_REQUESTS,
        message,
        json!([{"message": message, "domain": "usageLimits", "reason": "rateLimitExceeded"}]),
    )
}

/// What stands before a BigQuery call is served: the token, the throttle, the project.
fn admit(state: &AppState, headers: &HeaderMap, project: &str) -> Option<Response> {
    if let Some(refused) = check_bearer(state, headers) {
        return Some(refused);
    }
    if state.cloud().take_throttle(Cloud::Gcp) {
        return Some(rate_limited(state));
    }
    if project != PROJECT {
        return Some(access_denied(
            state,
            &format!(
                "Access Denied: Project {project}: User does not have bigquery.jobs.create permission in project {project}."
            ),
        ));
    }
    None
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryRequest {
    query: Option<String>,
    use_legacy_sql: Option<bool>,
    max_results: Option<u32>,
    #[serde(default)]
    query_parameters: Vec<QueryParameter>,
    parameter_mode: Option<String>,
    location: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryParameter {
    name: Option<String>,
    parameter_type: Option<ParameterType>,
    parameter_value: Option<ParameterValue>,
}

#[derive(Deserialize)]
struct ParameterType {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct ParameterValue {
    value: Option<String>,
}

/// `POST /gcp/bigquery/v2/projects/{projectId}/queries`.
pub async fn query(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count_call("gcp.jobs.query");
    if let Some(refused) = admit(&state, &headers, &project) {
        return refused;
    }
    let request: QueryRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let message = format!("Invalid JSON payload received. {e}");
            return google_error(
                &state,
                StatusCode::BAD_REQUEST,
                &message,
                error_item(&message, "invalid"),
            );
        }
    };
    let Some(text) = request.query.as_deref().filter(|q| !q.trim().is_empty()) else {
        let message = "Required parameter is missing: query";
        return google_error(
            &state,
            StatusCode::BAD_REQUEST,
            message,
            error_item(message, "required"),
        );
    };
    // jobs.query defaults to legacy SQL, which has neither backticks nor named parameters.
    if request.use_legacy_sql != Some(false) {
        return invalid_query(
            &state,
            "Invalid table name: the query is standard SQL [Try using standard SQL (https://cloud.google.com/bigquery/docs/reference/standard-sql/enabling-standard-sql)].",
        );
    }
    if !request.query_parameters.is_empty()
        && !request
            .parameter_mode
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("NAMED"))
    {
        return invalid_query(&state, "Named parameters need parameterMode NAMED.");
    }
    if let Some(location) = request.location.as_deref() {
        if !location.eq_ignore_ascii_case(LOCATION) {
            return not_found(
                &state,
                &format!(
                    "Not found: Dataset {PROJECT}:{DATASET} was not found in location {location}"
                ),
            );
        }
    }
    let parsed = match sql::parse(text) {
        Ok(q) => q,
        Err(e) => return invalid_query(&state, &e.0),
    };
    let mut parameters = HashMap::new();
    for p in &request.query_parameters {
        if let (Some(name), Some(value)) = (
            p.name.as_deref(),
            p.parameter_value.as_ref().and_then(|v| v.value.as_deref()),
        ) {
            let kind = p
                .parameter_type
                .as_ref()
                .and_then(|t| t.kind.as_deref())
                .unwrap_or("STRING");
            parameters.insert(
                name.to_ascii_lowercase(),
                (kind.to_ascii_uppercase(), value.to_owned()),
            );
        }
    }
    let job = match run(&state, &project, &parsed, &parameters).await {
        Ok(job) => job,
        Err(response) => return response,
    };
    if request.dry_run {
        return respond(
            &state,
            StatusCode::OK,
            json!({
                "kind": "bigquery#queryResponse",
                "schema": {"fields": job.schema.iter().map(Field::to_json).collect::<Vec<_>>()},
                "jobComplete": true,
                "totalBytesProcessed": job.bytes_processed.to_string(),
                "cacheHit": false,
            }),
        );
    }
    let job = Arc::new(job);
    keep(job.clone());
    if Instant::now() < job.ready_at {
        return respond(
            &state,
            StatusCode::OK,
            json!({
                "kind": "bigquery#queryResponse",
                "jobReference": job.reference(),
                "jobComplete": false,
            }),
        );
    }
    let page = request
        .max_results
        .map_or(DEFAULT_PAGE_ROWS, |m| m as usize);
    let mut answer = page_json(&job, 0, page);
    answer["kind"] = json!("bigquery#queryResponse");
    respond(&state, StatusCode::OK, answer)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultsQuery {
    max_results: Option<u32>,
    page_token: Option<String>,
    start_index: Option<u64>,
    timeout_ms: Option<u64>,
    location: Option<String>,
}

/// `GET /gcp/bigquery/v2/projects/{projectId}/queries/{jobId}`.
pub async fn results(
    State(state): State<AppState>,
    Path((project, job_id)): Path<(String, String)>,
    UrlQuery(q): UrlQuery<ResultsQuery>,
    headers: HeaderMap,
) -> Response {
    state.count_call("gcp.jobs.getQueryResults");
    if let Some(refused) = admit(&state, &headers, &project) {
        return refused;
    }
    let location = q.location.as_deref().unwrap_or(LOCATION);
    let job = jobs().0.get(&job_id).cloned();
    let Some(job) = job.filter(|j| j.project == project && location.eq_ignore_ascii_case(LOCATION))
    else {
        return not_found(
            &state,
            &format!("Not found: Job {project}:{location}.{job_id}"),
        );
    };
    let now = Instant::now();
    if now < job.ready_at {
        // Waits for the job as BigQuery does, up to the caller's timeout (10 s by default).
        let wait = Duration::from_millis(q.timeout_ms.unwrap_or(10_000));
        tokio::time::sleep(wait.min(job.ready_at - now)).await;
        if Instant::now() < job.ready_at {
            return respond(
                &state,
                StatusCode::OK,
                json!({
                    "kind": "bigquery#getQueryResultsResponse",
                    "jobReference": job.reference(),
                    "jobComplete": false,
                }),
            );
        }
    }
    let start = match q.page_token.as_deref() {
        Some(token) => match read_page_token(token, &job.job_id) {
            Some(offset) => offset,
            None => {
                let message = "Invalid page token.";
                return google_error(
                    &state,
                    StatusCode::BAD_REQUEST,
                    message,
                    error_item(message, "invalid"),
                );
            }
        },
        None => q.start_index.unwrap_or(0) as usize,
    };
    let page = q.max_results.map_or(DEFAULT_PAGE_ROWS, |m| m as usize);
    let mut answer = page_json(&job, start, page);
    answer["kind"] = json!("bigquery#getQueryResultsResponse");
    respond(&state, StatusCode::OK, answer)
}

/// An opaque token naming the row a page starts at, valid for its job only.
fn page_token(job_id: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{job_id}/{offset}"))
}

fn read_page_token(token: &str, job_id: &str) -> Option<usize> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let (job, offset) = decoded.rsplit_once('/')?;
    if job == job_id {
        offset.parse().ok()
    } else {
        None
    }
}

/// A complete answer's body from row `start`, at most `page` rows.
fn page_json(job: &Job, start: usize, page: usize) -> Value {
    let total = job.total();
    let start = start.min(total);
    let end = start.saturating_add(page.max(1)).min(total);
    let mut answer = json!({
        "schema": {"fields": job.schema.iter().map(Field::to_json).collect::<Vec<_>>()},
        "jobReference": job.reference(),
        "totalRows": total.to_string(),
        "totalBytesProcessed": job.bytes_processed.to_string(),
        "jobComplete": true,
        "cacheHit": false,
    });
    if end > start {
        answer["rows"] = Value::Array((start..end).map(|i| job.row_json(i)).collect());
    }
    if end < total {
        answer["pageToken"] = json!(page_token(&job.job_id, end));
    }
    answer
}

/// Finds `path` in `fields`: the field and where its value is.
fn resolve(fields: &[Field], path: &PathRef) -> Result<(Field, Vec<usize>), String> {
    let mut level = fields;
    let mut indices = Vec::new();
    let mut found: Option<&Field> = None;
    for (n, name) in path.names.iter().enumerate() {
        let position = level.iter().position(|f| f.name.eq_ignore_ascii_case(name));
        let Some(i) = position else {
            return Err(match found {
                None => format!("Unrecognized name: {name} at {}", path.pos),
                Some(parent) => format!(
                    "Field name {name} does not exist in {} at {}",
                    parent.type_name(),
                    Pos {
                        line: path.pos.line,
                        col: path.pos.col
                            + path.names[..n].iter().map(|s| s.len() + 1).sum::<usize>()
                    }
                ),
            });
        };
        indices.push(i);
        let field = &level[i];
        found = Some(field);
        level = &field.fields;
    }
    let field = found
        .cloned()
        .ok_or_else(|| format!("Unrecognized name at {}", path.pos))?;
    Ok((field, indices))
}

fn operand_date(
    operand: &Operand,
    parameters: &HashMap<String, (String, String)>,
) -> Result<NaiveDate, String> {
    let (text, pos) = match operand {
        Operand::Param { name, pos } => match parameters.get(&name.to_ascii_lowercase()) {
            Some((kind, value)) if kind == "DATE" => (value.clone(), *pos),
            Some((kind, _)) => {
                return Err(format!(
                    "No matching signature for operator comparing DATE and {kind} at {pos}"
                ))
            }
            None => return Err(format!("Query parameter '{name}' not found at {pos}")),
        },
        Operand::Literal { text, pos } => (text.clone(), *pos),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| format!("Could not cast literal \"{text}\" to type DATE at {pos}"))
}

/// The months (indices) a condition on `usage_month` keeps, as an inclusive range.
fn month_range(
    condition: &Condition,
    parameters: &HashMap<String, (String, String)>,
) -> Result<Option<(NaiveDate, NaiveDate)>, String> {
    let min = NaiveDate::MIN;
    let max = NaiveDate::MAX;
    Ok(match condition {
        Condition::Between { low, high, .. } => Some((
            operand_date(low, parameters)?,
            operand_date(high, parameters)?,
        )),
        Condition::Compare { op, value, .. } => {
            let d = operand_date(value, parameters)?;
            Some(match op {
                CompareOp::Eq => (d, d),
                CompareOp::Ge => (d, max),
                CompareOp::Gt => (d.succ_opt().unwrap_or(max), max),
                CompareOp::Le => (min, d),
                CompareOp::Lt => (min, d.pred_opt().unwrap_or(min)),
                CompareOp::Ne => return Err("The stand-in reads != only on other columns".into()),
            })
        }
        Condition::IsNull { .. } => None,
    })
}

/// Runs a parsed query: its result, or BigQuery's refusal.
async fn run(
    state: &AppState,
    job_project: &str,
    query: &sql::Query,
    parameters: &HashMap<String, (String, String)>,
) -> Result<Job, Response> {
    // The table: `project.dataset.table`, or `dataset.table` in the job's project.
    let (project, dataset, table) = match query.table.as_slice() {
        [d, t] => (job_project.to_owned(), d.clone(), t.clone()),
        [p @ .., d, t] if !p.is_empty() => (p.join("."), d.clone(), t.clone()),
        _ => {
            return Err(invalid_query(
                state,
                &format!(
                    "Table \"{}\" must be qualified with a dataset (e.g. dataset.table). at {}",
                    query.table.join("."),
                    query.table_pos
                ),
            ))
        }
    };
    if project != PROJECT {
        let id = format!("{project}:{dataset}.{table}");
        return Err(access_denied(
            state,
            &format!(
                "Access Denied: Table {id}: User does not have permission to query table {id}, or perhaps it does not exist."
            ),
        ));
    }
    if dataset != DATASET {
        return Err(not_found(
            state,
            &format!("Not found: Dataset {project}:{dataset} was not found in location {LOCATION}"),
        ));
    }
    if table != TABLE {
        return Err(not_found(
            state,
            &format!(
                "Not found: Table {project}:{dataset}.{table} was not found in location {LOCATION}"
            ),
        ));
    }

    let schema = table_schema();
    let mut select = Vec::new();
    for item in &query.select {
        match item {
            SelectItem::Star => select.extend(schema.iter().enumerate().map(|(i, f)| Selected {
                field: f.clone(),
                indices: vec![i],
            })),
            SelectItem::Path { path, alias } => {
                let (mut field, indices) =
                    resolve(&schema, path).map_err(|m| invalid_query(state, &m))?;
                if let Some(alias) = alias {
                    field.name = alias.clone();
                }
                select.push(Selected { field, indices });
            }
        }
    }
    // Conditions: ranges of usage_month, and IS [NOT] NULL on any column.
    let (mut from, mut to) = (NaiveDate::MIN, NaiveDate::MAX);
    let mut null_checks = Vec::new();
    for condition in &query.conditions {
        let path = match condition {
            Condition::Between { path, .. }
            | Condition::Compare { path, .. }
            | Condition::IsNull { path, .. } => path,
        };
        let (field, indices) = resolve(&schema, path).map_err(|m| invalid_query(state, &m))?;
        match condition {
            Condition::IsNull { negated, .. } => null_checks.push((indices, *negated)),
            _ if field.kind == "DATE" && indices == [0] => {
                if let Some((lo, hi)) =
                    month_range(condition, parameters).map_err(|m| invalid_query(state, &m))?
                {
                    from = from.max(lo);
                    to = to.min(hi);
                }
            }
            _ => {
                return Err(invalid_query(
                    state,
                    &format!(
                        "The sandbox's BigQuery compares only usage_month at {}",
                        path.pos
                    ),
                ))
            }
        }
    }

    let cloud = state.cloud();
    let estate = cloud.estate(Cloud::Gcp).await;
    let mut rows = Vec::new();
    let mut scanned = 0u64;
    if let Some(through) = cloud.published_through(Cloud::Gcp) {
        let first = month_index(from.max(month_date(0))).unwrap_or(0);
        // A date past what a month index holds is past every published month.
        let last = month_index(to).map_or(through, |m| m.min(through));
        let in_range = to >= month_date(0);
        for m in first..=last {
            if !in_range {
                break;
            }
            let month = month_date(m);
            if month < from || month > to {
                continue;
            }
            let version =
                MODEL_VERSION + cloud.restatement(Cloud::Gcp, m).map_or(0, |r| r.revision);
            for usage in estate.month(m) {
                scanned += 1;
                let row = ExportRow::new(usage, |kg| cloud.published(Cloud::Gcp, m, kg), version);
                if !null_checks.is_empty() {
                    let cells = row.cells();
                    let keep = null_checks.iter().all(|(indices, negated)| {
                        let is_null = pick(&cells, indices) == Cell::Null;
                        is_null != *negated
                    });
                    if !keep {
                        continue;
                    }
                }
                rows.push(row);
            }
        }
    }
    let limit = query.limit.map(|l| l as usize);
    let result = if query.distinct {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for row in &rows {
            let all = row.cells();
            let cells: Vec<Cell> = select.iter().map(|s| pick(&all, &s.indices)).collect();
            if seen.insert(cells.clone()) {
                out.push(cells);
            }
        }
        if let Some(l) = limit {
            out.truncate(l);
        }
        Rows::Cells(out)
    } else {
        if let Some(l) = limit {
            rows.truncate(l);
        }
        Rows::Export {
            rows,
            select: select.clone(),
        }
    };
    let mut id = [0u8; 18];
    rand::rng().fill_bytes(&mut id);
    let mut job = Job {
        project: job_project.to_owned(),
        job_id: format!("job_{}", URL_SAFE_NO_PAD.encode(id)),
        ready_at: Instant::now(),
        schema: select.into_iter().map(|s| s.field).collect(),
        rows: result,
        // Roughly what the columns of the rows read weigh.
        bytes_processed: scanned * 160,
    };
    if job.total() > LARGE_RESULT_ROWS {
        job.ready_at += RUNNING_FOR;
    }
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_belong_to_their_job() {
        let t = page_token("job_abc", 1200);
        assert_eq!(read_page_token(&t, "job_abc"), Some(1200));
        assert_eq!(read_page_token(&t, "job_other"), None);
        assert_eq!(read_page_token("garbage!", "job_abc"), None);
    }
}
