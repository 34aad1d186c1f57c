//! Google Cloud: the emissions Google reports for a billing account's projects, read from the
//! **Carbon Footprint export** in BigQuery with a service account. Google has no carbon API of
//! its own: the export is a BigQuery Data Transfer that writes one row per billing account,
//! project, service, location and month (<https://cloud.google.com/carbon-footprint/docs/export>,
//! schema <https://cloud.google.com/carbon-footprint/docs/data-schema>).
//!
//! - **Sign-in**: the service account's JSON key signs a JWT (RS256, `kid` = the key's id,
//!   `iss` = its email, `scope` = BigQuery read-only, `aud` = the token endpoint, an hour long)
//!   that is traded at the token endpoint for an access token
//!   (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523; see [`key`]). The
//!   assertion is always posted to the configured `token` endpoint (Google's
//!   `https://oauth2.googleapis.com/token` in production, the sandbox's own there), and its
//!   `aud` is that endpoint. A key whose own `token_uri` is neither that endpoint nor one of
//!   Google's is refused, so a key of another authority is never sent to Google. The access
//!   token is kept in memory, per key, until five minutes before it expires; never stored.
//! - **Reading**: `POST {api_base}/projects/{billing}/queries` (`jobs.query`) with a
//!   parameterised standard-SQL query of the export table; `maxResults` = the page size. While
//!   the job is not complete (`jobComplete: false`) it is waited for with
//!   `GET {api_base}/projects/{billing}/queries/{jobId}?location=&timeoutMs=` (`jobs.getQueryResults`),
//!   and further pages come from the same call with `pageToken`. The query runs in (and is
//!   billed to) the billing project: the table's own project unless one is given.
//!
//! Rows: the export already holds one row per billing account, project, service, location and
//! month, so the query selects them as they are (no aggregation). Each becomes one
//! [`ReportedEmission`] per number: Scope 1 (no basis), Scope 2 location-based and
//! market-based, Scope 3 (no basis: Google publishes one Scope 3 number). The totals
//! (`carbon_footprint_total_kgCO2e`) are not rows. Values are kgCO2e, read exactly from the
//! text BigQuery sends; `model_version` is `carbon_model_version`. A row with a number that does
//! not read is skipped with a warning naming its project and month.
//!
//! Months: Google adds a month to the export on the 15th of the next month.
//!
//! Errors: a key file that is not a service-account key is [`ProviderError::InvalidConfig`]
//! in words; a key Google refuses (`invalid_grant`, e.g. "Invalid JWT Signature." for a deleted
//! key) is [`ProviderError::Unauthorized`]; a table that does not exist is
//! [`ProviderError::InvalidConfig`] naming it; missing roles are [`ProviderError::Forbidden`]
//! naming them (BigQuery Data Viewer on the dataset, BigQuery Job User on the billing project).
//! Throttling (HTTP 429) is waited out by the shared HTTP layer.

pub mod bigquery;
pub mod key;

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate, Utc};
use url::Url;

use super::{
    Basis, CloudConnector, CloudCredentials, CloudEstate, CloudRegistration, CloudSettings,
    CredentialField, ReportPage, ReportedEmission,
};
use crate::http::{Answer, Body, CallMeter, HttpClient, PlatformRules, Request};
use crate::ProviderError;
use bigquery::{Cursor, JobReference, QueryAnswer, TableId};
use key::{CachedToken, ServiceAccount, TokenAnswer, JWT_BEARER, SERVICE_ACCOUNT_KEY};

/// The connect-form field naming the export's table.
pub const TABLE: &str = "table";
/// The connect-form field naming the project queries run in.
pub const BILLING_PROJECT: &str = "billing_project";

/// The unit of every number in the export.
pub const UNIT: &str = "kgCO2e";

/// The role the service account needs on the export's dataset (or table).
pub const DATA_ROLE: &str = "BigQuery Data Viewer (roles/bigquery.dataViewer)";
/// The role the service account needs on the billing project to run queries.
pub const JOB_ROLE: &str = "BigQuery Job User (roles/bigquery.jobUser)";

/// How long one `jobs.query` or `jobs.getQueryResults` call may wait for the job server-side.
const QUERY_TIMEOUT_MS: u32 = 10_000;
/// How many times a job that is still running is asked about before giving up (each ask waits
/// up to [`QUERY_TIMEOUT_MS`] at Google).
const MAX_POLLS: u32 = 60;
/// The most projects `identify` lists.
const MAX_PROJECTS: u32 = 1000;

/// Google's conventions for the shared HTTP layer: throttling is a 429 (BigQuery's
/// `rateLimitExceeded`), waited out with backoff as Google's client libraries do.
const RULES: PlatformRules = PlatformRules {
    name: "Google Cloud",
    limit_header: None,
    long_limits: &[],
    request_id_header: None,
    describe_code: None,
    usage_header: None,
    refusal: None,
};

/// The connect form.
pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: SERVICE_ACCOUNT_KEY,
        label: "Service account key (JSON)",
        secret: true,
        optional: false,
        flag: "--key-file",
        help: "The JSON key file of a service account (IAM & Admin > Service accounts > Keys > \
               Add key > JSON). The account needs BigQuery Data Viewer on the export's dataset \
               and BigQuery Job User on the billing project. The key is kept in the keychain \
               only; delete the file once connected.",
    },
    CredentialField {
        name: TABLE,
        label: "Carbon Footprint export table",
        secret: false,
        optional: false,
        flag: "--table",
        help: "The export's BigQuery table as project.dataset.table (the Carbon Footprint \
               transfer writes a table named carbon_footprint into the dataset chosen for it).",
    },
    CredentialField {
        name: BILLING_PROJECT,
        label: "Billing project",
        secret: false,
        optional: true,
        flag: "--billing-project",
        help: "The project the queries run in and are billed to; the table's project when left \
               empty. The export is small (one row per project, service, region and month), so \
               reading it costs a fraction of BigQuery's free monthly query allowance.",
    },
];

/// The connection's settings read from its credentials.
struct Connection {
    account: ServiceAccount,
    table: TableId,
    /// Where jobs run.
    billing_project: String,
    /// Identifies the key in the token cache without keeping its text.
    cache_key: u64,
}

/// Reads the export of one billing account from BigQuery.
pub struct GcpConnector {
    http: HttpClient,
    token_url: Url,
    /// `https://bigquery.googleapis.com/bigquery/v2`, without a trailing slash.
    api_base: String,
    page_size: u32,
    tokens: Mutex<HashMap<u64, CachedToken>>,
    /// Keys the token cache by a hash of the key file (random per process), so a key's text is
    /// not kept beyond the call that hands it in.
    hasher: RandomState,
}

impl std::fmt::Debug for GcpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcpConnector")
            .field("token_url", &self.token_url.as_str())
            .field("api_base", &self.api_base)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

fn invalid(detail: impl Into<String>) -> ProviderError {
    ProviderError::InvalidConfig {
        detail: detail.into(),
    }
}

fn bad_response(label: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::BadResponse {
        detail: format!("{label}: {e}"),
    }
}

/// The error detail without the words the error type's own message adds.
fn detail_of(e: &ProviderError) -> String {
    match e {
        ProviderError::Unauthorized { detail }
        | ProviderError::Forbidden { detail }
        | ProviderError::Server { detail, .. }
        | ProviderError::BadResponse { detail }
        | ProviderError::Transport { detail }
        | ProviderError::InvalidConfig { detail } => detail.clone(),
        ProviderError::Refused { words, .. } => words.clone(),
        ProviderError::RateLimited { .. } => e.to_string(),
    }
}

fn build(settings: &CloudSettings) -> Result<Arc<dyn CloudConnector>, ProviderError> {
    Ok(Arc::new(GcpConnector::new(settings)?))
}

impl GcpConnector {
    /// Errors: [`ProviderError::InvalidConfig`] without a `token` or `api_base` endpoint, with
    /// one that is not a URL, or with a zero page size.
    pub fn new(settings: &CloudSettings) -> Result<GcpConnector, ProviderError> {
        let token = settings
            .endpoints
            .token
            .as_deref()
            .ok_or_else(|| invalid("Google Cloud needs a `token` endpoint"))?;
        let token_url = Url::parse(token)
            .map_err(|e| invalid(format!("Google Cloud's token endpoint is not a URL: {e}")))?;
        let api_base = settings
            .endpoints
            .api_base
            .as_deref()
            .ok_or_else(|| invalid("Google Cloud needs an `api_base` endpoint (BigQuery)"))?;
        Url::parse(api_base)
            .map_err(|e| invalid(format!("Google Cloud's api_base is not a URL: {e}")))?;
        if settings.page_size == 0 {
            return Err(invalid("Google Cloud's page size must be at least 1"));
        }
        let http = HttpClient::new(
            RULES,
            settings.retry.clone(),
            Duration::from_secs(15),
            // A getQueryResults call waits up to QUERY_TIMEOUT_MS at Google before answering.
            Duration::from_secs(120),
        )?;
        Ok(GcpConnector {
            http,
            token_url,
            api_base: api_base.trim_end_matches('/').to_owned(),
            page_size: settings.page_size,
            tokens: Mutex::new(HashMap::new()),
            hasher: RandomState::new(),
        })
    }

    fn tokens(&self) -> MutexGuard<'_, HashMap<u64, CachedToken>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn connection(&self, credentials: &CloudCredentials) -> Result<Connection, ProviderError> {
        let key_text = credentials.require(SERVICE_ACCOUNT_KEY)?;
        let account = ServiceAccount::from_json(key_text)?;
        account.check_token_uri(self.token_url.as_str())?;
        let table = TableId::parse(credentials.require(TABLE)?)?;
        let billing_project = match credentials.get(BILLING_PROJECT) {
            Some(p) => {
                let p = p.trim();
                if !bigquery::is_project_id(p) {
                    return Err(invalid(format!(
                        "the billing project must be a Google Cloud project id (6 to 30 lowercase letters, digits and hyphens, such as my-project); `{}` is not",
                        crate::http::clean_text(p, 60)
                    )));
                }
                p.to_owned()
            }
            None => table.project.clone(),
        };
        let cache_key = self
            .hasher
            .hash_one((self.token_url.as_str(), key_text.trim()));
        Ok(Connection {
            account,
            table,
            billing_project,
            cache_key,
        })
    }

    /// An access token for the connection: the cached one while it is fresh, else a new one.
    async fn access_token(
        &self,
        conn: &Connection,
        meter: &CallMeter,
    ) -> Result<String, ProviderError> {
        if let Some(cached) = self.tokens().get(&conn.cache_key) {
            if cached.fresh(Instant::now()) {
                return Ok(cached.token.clone());
            }
        }
        let assertion = conn
            .account
            .assertion(self.token_url.as_str(), Utc::now().timestamp())?;
        let request = Request {
            label: "token",
            url: self.token_url.clone(),
            bearer: "",
            headers: Vec::new(),
            body: Some(Body::Form(vec![
                ("grant_type", JWT_BEARER.to_owned()),
                ("assertion", assertion),
            ])),
        };
        let answer = self
            .http
            .send(&request, meter)
            .await
            .map_err(|e| self.token_error(conn, e))?;
        let body = answer.body.unwrap_or_default();
        let token: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| bad_response("token", e))?;
        if token.access_token.is_empty() {
            return Err(bad_response("token", "no access_token in the answer"));
        }
        let cached = CachedToken::new(token.access_token, token.expires_in, Instant::now());
        let access = cached.token.clone();
        self.tokens().insert(conn.cache_key, cached);
        Ok(access)
    }

    /// Google's token endpoint answers refusals as 400 with `invalid_grant` (a deleted or
    /// unknown key, a disabled account, a clock far off) or `invalid_scope`; the words say what
    /// to fix.
    fn token_error(&self, conn: &Connection, e: ProviderError) -> ProviderError {
        let detail = detail_of(&e);
        let who = &conn.account.client_email;
        match &e {
            ProviderError::Server { status: 400, .. } | ProviderError::Unauthorized { .. }
                if detail.contains("invalid_grant") =>
            {
                let why = if detail.contains("timeframe") || detail.contains("iat") {
                    "this computer's clock is off by more than a few minutes; correct it and try again"
                } else {
                    "the key was deleted or is not valid, or the service account was disabled or deleted; create a new JSON key and reconnect"
                };
                ProviderError::Unauthorized {
                    detail: format!("Google refused the key of service account {who}: {why} ({detail})"),
                }
            }
            ProviderError::Server { status: 400, .. } | ProviderError::Unauthorized { .. } => {
                ProviderError::Unauthorized {
                    detail: format!(
                        "Google refused to sign in service account {who}; create a new JSON key and reconnect ({detail})"
                    ),
                }
            }
            _ => e,
        }
    }

    /// Sends a BigQuery request with the connection's access token; a token BigQuery no longer
    /// accepts (401) is dropped and the request sent once more with a new one.
    async fn bigquery(
        &self,
        conn: &Connection,
        label: &'static str,
        url: Url,
        body: Option<String>,
        meter: &CallMeter,
    ) -> Result<Answer, ProviderError> {
        let mut retried = false;
        loop {
            let token = self.access_token(conn, meter).await?;
            let request = Request {
                label,
                url: url.clone(),
                bearer: &token,
                headers: Vec::new(),
                body: body.clone().map(Body::Json),
            };
            match self.http.send(&request, meter).await {
                Err(ProviderError::Unauthorized { detail }) if !retried => {
                    tracing::debug!(%detail, "BigQuery refused the access token; signing in again");
                    self.tokens().remove(&conn.cache_key);
                    retried = true;
                }
                Err(ProviderError::Unauthorized { detail }) => {
                    return Err(ProviderError::Unauthorized {
                        detail: format!(
                            "BigQuery refused the access token of service account {} ({detail}); reconnect with a new key",
                            conn.account.client_email
                        ),
                    })
                }
                Err(e) => return Err(self.bigquery_error(conn, label, e)),
                Ok(answer) => return Ok(answer),
            }
        }
    }

    /// BigQuery's refusals in words: 404 for the table (BigQuery's `notFound`, "Not found:
    /// Table …"), 403 for a missing role (`accessDenied`).
    fn bigquery_error(&self, conn: &Connection, label: &str, e: ProviderError) -> ProviderError {
        let detail = detail_of(&e);
        match &e {
            ProviderError::Server { status: 404, .. } if label == "jobs.query" => invalid(format!(
                "BigQuery has no table `{}` (or its dataset or project does not exist): check the table of this connection, written project.dataset.table as the Carbon Footprint export's transfer shows it ({detail})",
                conn.table
            )),
            ProviderError::Server { status: 404, .. } => ProviderError::Server {
                status: 404,
                detail: format!(
                    "BigQuery no longer has this query's results (it keeps them for a day); the export is read again from its first page on the next sync ({detail})"
                ),
            },
            ProviderError::Forbidden { .. } => ProviderError::Forbidden {
                detail: format!(
                    "service account {} may not read `{}` or run queries in project {}: grant it {DATA_ROLE} on dataset {}.{} and {JOB_ROLE} on project {} ({detail})",
                    conn.account.client_email,
                    conn.table,
                    conn.billing_project,
                    conn.table.project,
                    conn.table.dataset,
                    conn.billing_project
                ),
            },
            ProviderError::Server { status: 400, .. } => ProviderError::Server {
                status: 400,
                detail: format!(
                    "BigQuery refused the query of `{}`; is it the Carbon Footprint export's table? ({detail})",
                    conn.table
                ),
            },
            _ => e,
        }
    }

    fn queries_url(&self, project: &str, job: Option<&str>) -> Result<Url, ProviderError> {
        let mut url = Url::parse(&format!("{}/", self.api_base))
            .map_err(|e| invalid(format!("Google Cloud's api_base is not a URL: {e}")))?;
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|_| invalid("Google Cloud's api_base cannot hold a path"))?;
            segments
                .pop_if_empty()
                .extend(["projects", project, "queries"]);
            if let Some(job) = job {
                segments.push(job);
            }
        }
        Ok(url)
    }

    /// Runs `sql` with `jobs.query` and waits for it: the first page of results.
    async fn run_query(
        &self,
        conn: &Connection,
        sql: &str,
        parameters: Vec<serde_json::Value>,
        max_results: u32,
        meter: &CallMeter,
    ) -> Result<(QueryAnswer, Answer), ProviderError> {
        let url = self.queries_url(&conn.billing_project, None)?;
        let body = bigquery::query_request(sql, parameters, max_results, QUERY_TIMEOUT_MS);
        let answer = self
            .bigquery(conn, "jobs.query", url, Some(body), meter)
            .await?;
        let parsed = parse_answer("jobs.query", &answer)?;
        if parsed.complete() {
            return Ok((parsed, answer));
        }
        let job = parsed.job_reference.clone().ok_or_else(|| {
            bad_response("jobs.query", "an incomplete job without a jobReference")
        })?;
        self.wait_for(conn, &job, None, max_results, meter).await
    }

    /// Asks `jobs.getQueryResults` for a page of `job` (the first when `page_token` is `None`)
    /// until the job is complete.
    async fn wait_for(
        &self,
        conn: &Connection,
        job: &JobReference,
        page_token: Option<&str>,
        max_results: u32,
        meter: &CallMeter,
    ) -> Result<(QueryAnswer, Answer), ProviderError> {
        for poll in 0..MAX_POLLS {
            if poll > 0 {
                // Google waits up to timeoutMs itself; this only spaces out answers that come
                // back early.
                tokio::time::sleep(Duration::from_millis(250 * u64::from(poll.min(20)))).await;
            }
            let (parsed, answer) = self
                .results(conn, job, page_token, max_results, meter)
                .await?;
            if parsed.complete() {
                return Ok((parsed, answer));
            }
        }
        Err(ProviderError::Transport {
            detail: format!(
                "BigQuery job {} did not finish within {} minutes",
                job.job_id,
                u64::from(MAX_POLLS) * u64::from(QUERY_TIMEOUT_MS) / 60_000
            ),
        })
    }

    /// One `jobs.getQueryResults` call.
    async fn results(
        &self,
        conn: &Connection,
        job: &JobReference,
        page_token: Option<&str>,
        max_results: u32,
        meter: &CallMeter,
    ) -> Result<(QueryAnswer, Answer), ProviderError> {
        let mut url = self.queries_url(&job.project_id, Some(&job.job_id))?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("maxResults", &max_results.to_string());
            query.append_pair("timeoutMs", &QUERY_TIMEOUT_MS.to_string());
            if let Some(location) = job.location.as_deref() {
                query.append_pair("location", location);
            }
            if let Some(token) = page_token {
                query.append_pair("pageToken", token);
            }
        }
        let answer = self
            .bigquery(conn, "jobs.getQueryResults", url, None, meter)
            .await?;
        let parsed = parse_answer("jobs.getQueryResults", &answer)?;
        Ok((parsed, answer))
    }
}

fn parse_answer(label: &str, answer: &Answer) -> Result<QueryAnswer, ProviderError> {
    let body = answer.body.as_deref().unwrap_or_default();
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body))
        .map_err(|e| bad_response(label, format!("{} at {}", e.inner(), e.path())))
}

/// The query of one read: the export's rows of the months asked, as they are.
fn emissions_sql(table: &TableId) -> String {
    format!(
        "SELECT usage_month, billing_account_id, project, service, location, carbon_model_version, carbon_footprint_kgCO2e \
         FROM `{table}` \
         WHERE usage_month BETWEEN @from_month AND @to_month \
         ORDER BY usage_month, billing_account_id, project.id, service.description, location.location"
    )
}

/// The query that checks the connection: the projects the export holds.
fn projects_sql(table: &TableId) -> String {
    format!(
        "SELECT DISTINCT project.id AS project_id FROM `{table}` \
         WHERE project.id IS NOT NULL ORDER BY project_id LIMIT {MAX_PROJECTS}"
    )
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The rows of one export row; `None` (after a warning) when a number does not read.
fn emissions_of(row: &serde_json::Map<String, serde_json::Value>) -> Option<Vec<ReportedEmission>> {
    use bigquery::text;
    let project_id = text(row, &["project", "id"]);
    let project_number = text(row, &["project", "number"]).filter(|n| !n.is_empty());
    let month_text = text(row, &["usage_month"]);
    let month = month_text
        .and_then(|m| NaiveDate::parse_from_str(m, "%Y-%m-%d").ok())
        .map(first_of_month);
    let Some(month) = month else {
        tracing::warn!(
            project = project_id.unwrap_or(""),
            usage_month = month_text.unwrap_or(""),
            "skipping a Carbon Footprint export row whose usage_month does not read"
        );
        return None;
    };
    // A row of no project (or of a deleted one) has no id; its number, when there is one, still
    // tells such rows apart.
    let account = project_id
        .or(project_number)
        .unwrap_or("(no project)")
        .to_owned();
    let service = text(row, &["service", "description"])
        .or_else(|| text(row, &["service", "id"]))
        .unwrap_or("(unknown service)")
        .to_owned();
    let region = text(row, &["location", "region"])
        .or_else(|| text(row, &["location", "location"]))
        .map(str::to_owned);
    let grouping = text(row, &["billing_account_id"]).map(str::to_owned);
    let model_version = text(row, &["carbon_model_version"]).map(str::to_owned);
    // Not in Google's documented schema; read should a table carry it.
    let account_name = text(row, &["project", "name"]).map(str::to_owned);

    let numbers: [(u8, Option<Basis>, &[&str]); 4] = [
        (1, None, &["carbon_footprint_kgCO2e", "scope1"]),
        (
            2,
            Some(Basis::Location),
            &["carbon_footprint_kgCO2e", "scope2", "location_based"],
        ),
        (
            2,
            Some(Basis::Market),
            &["carbon_footprint_kgCO2e", "scope2", "market_based"],
        ),
        (3, None, &["carbon_footprint_kgCO2e", "scope3"]),
    ];
    let mut out = Vec::with_capacity(4);
    for (scope, basis, path) in numbers {
        let Some(value) = text(row, path) else {
            // Null: the export has no such number for the row.
            continue;
        };
        let Some(kg) = bigquery::exact(value) else {
            tracing::warn!(
                project = %account,
                month = %month.format("%Y-%m"),
                field = path.join("."),
                "skipping a Carbon Footprint export row whose value does not read as a number"
            );
            return None;
        };
        out.push(ReportedEmission {
            month,
            account: account.clone(),
            account_name: account_name.clone(),
            service: service.clone(),
            region: region.clone(),
            grouping: grouping.clone(),
            scope,
            scope3_category: None,
            basis,
            kg_co2e: kg,
            reported_value: kg,
            reported_unit: UNIT,
            model_version: model_version.clone(),
        });
    }
    Some(out)
}

#[async_trait]
impl CloudConnector for GcpConnector {
    fn platform(&self) -> &'static str {
        "gcp"
    }

    fn method(&self) -> &'static str {
        "Google Cloud Carbon Footprint"
    }

    /// "Carbon Footprint exports each month's data on the 15th day of the following month"
    /// (<https://cloud.google.com/carbon-footprint/docs/export>).
    fn publication_day(&self) -> u32 {
        15
    }

    /// Signs in and lists the projects the export holds (`SELECT DISTINCT project.id`, at
    /// most 1,000): proves the key, the table and the roles in one query. `tenant_id` is the
    /// table (`project.dataset.table`).
    async fn identify(
        &self,
        credentials: &CloudCredentials,
        meter: &CallMeter,
    ) -> Result<CloudEstate, ProviderError> {
        let conn = self.connection(credentials)?;
        let (mut parsed, mut answer) = self
            .run_query(
                &conn,
                &projects_sql(&conn.table),
                Vec::new(),
                MAX_PROJECTS,
                meter,
            )
            .await?;
        let mut projects = BTreeSet::new();
        loop {
            let fields = parsed.schema.clone().unwrap_or_default().fields;
            for row in &parsed.rows {
                let obj = bigquery::row_object(&fields, row);
                if let Some(id) = bigquery::text(&obj, &["project_id"]) {
                    projects.insert(id.to_owned());
                }
            }
            let (Some(token), Some(job)) =
                (parsed.page_token.clone(), parsed.job_reference.clone())
            else {
                break;
            };
            if projects.len() >= MAX_PROJECTS as usize {
                break;
            }
            let server_time = answer.server_time;
            (parsed, answer) = self
                .results(&conn, &job, Some(&token), MAX_PROJECTS, meter)
                .await?;
            answer.server_time = answer.server_time.or(server_time);
        }
        Ok(CloudEstate {
            tenant_id: conn.table.to_string(),
            name: format!("Google Cloud carbon export {}", conn.table),
            accounts: projects.into_iter().collect(),
            server_time: answer.server_time,
        })
    }

    /// One page of the export's rows with `usage_month` in `from..=to`. The first page runs the
    /// query; the page token (see [`Cursor`]) names the job, its location and BigQuery's
    /// `pageToken`, so later pages read the same job's results (`from` and `to` are then the
    /// job's).
    async fn emissions(
        &self,
        credentials: &CloudCredentials,
        from: NaiveDate,
        to: NaiveDate,
        next: Option<&str>,
        meter: &CallMeter,
    ) -> Result<ReportPage, ProviderError> {
        let conn = self.connection(credentials)?;
        let (parsed, answer) = match next {
            None => {
                let parameters = vec![
                    bigquery::date_parameter("from_month", first_of_month(from)),
                    bigquery::date_parameter("to_month", first_of_month(to)),
                ];
                self.run_query(
                    &conn,
                    &emissions_sql(&conn.table),
                    parameters,
                    self.page_size,
                    meter,
                )
                .await?
            }
            Some(token) => {
                let cursor = Cursor::parse(token)?;
                self.wait_for(
                    &conn,
                    &cursor.job,
                    Some(&cursor.page_token),
                    self.page_size,
                    meter,
                )
                .await?
            }
        };
        let fields = parsed
            .schema
            .as_ref()
            .map(|s| s.fields.clone())
            .unwrap_or_default();
        let mut rows = Vec::with_capacity(parsed.rows.len() * 4);
        for row in &parsed.rows {
            let obj = bigquery::row_object(&fields, row);
            if let Some(emissions) = emissions_of(&obj) {
                rows.extend(emissions);
            }
        }
        let next = match (parsed.page_token, parsed.job_reference) {
            (Some(page_token), Some(job)) if !page_token.is_empty() => {
                Some(Cursor { job, page_token }.encode())
            }
            (Some(_), None) => {
                return Err(bad_response(
                    "jobs.query",
                    "a page token without the job it belongs to",
                ))
            }
            _ => None,
        };
        Ok(ReportPage {
            rows,
            next,
            server_time: answer.server_time,
        })
    }
}

/// The registration of Google Cloud.
pub const REGISTRATION: CloudRegistration = CloudRegistration {
    platform: "gcp",
    fields: FIELDS,
    build,
    // Names Google bills Cloud under in accounting data. "Google Cloud EMEA" also bills Google
    // Workspace, which these reports do not cover; the supplier rules are editable for that.
    supplier_unless: "Workspace",
    suppliers: &[
        "Google Cloud",
        "Google Cloud EMEA",
        "Google Cloud Platform",
        "Google Cloud EMEA Limited",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_export_row_becomes_one_row_per_scope_and_basis() {
        let row = json!({
            "usage_month": "2024-06-01",
            "billing_account_id": "01A7C3-5E9B2F-D48C61",
            "project": {"id": "cedar-finch-web", "number": "402781934123"},
            "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
            "location": {"location": "europe-west2-b", "region": "europe-west2"},
            "carbon_model_version": "11",
            "carbon_footprint_kgCO2e": {
                "scope1": "0.5", "scope2": {"location_based": "400.125", "market_based": "1.2E-3"},
                "scope3": "98.7"
            }
        });
        let rows = emissions_of(row.as_object().unwrap()).unwrap();
        assert_eq!(rows.len(), 4);
        let market = rows
            .iter()
            .find(|r| r.basis == Some(Basis::Market))
            .unwrap();
        assert_eq!(market.kg_co2e, rust_decimal::dec!(0.0012));
        assert_eq!(market.account, "cedar-finch-web");
        assert_eq!(market.grouping.as_deref(), Some("01A7C3-5E9B2F-D48C61"));
        assert_eq!(market.region.as_deref(), Some("europe-west2"));
        assert_eq!(market.model_version.as_deref(), Some("11"));
        assert_eq!(market.month, NaiveDate::from_ymd_opt(2024, 6, 1).unwrap());
        assert_eq!(
            rows.iter()
                .filter(|r| r.scope == 3 && r.basis.is_none())
                .count(),
            1
        );

        let mut broken = row.clone();
        broken["carbon_footprint_kgCO2e"]["scope3"] = json!("n/a");
        assert!(emissions_of(broken.as_object().unwrap()).is_none());

        let mut partial = row;
        partial["carbon_footprint_kgCO2e"]["scope2"]["market_based"] = serde_json::Value::Null;
        assert_eq!(emissions_of(partial.as_object().unwrap()).unwrap().len(), 3);
    }

    #[test]
    fn the_queries_name_the_table_in_backticks() {
        let t =
            TableId::parse("cedar-finch-carbon.carbon_footprint_export.carbon_footprint").unwrap();
        assert!(emissions_sql(&t).contains(
            "FROM `cedar-finch-carbon.carbon_footprint_export.carbon_footprint` WHERE usage_month BETWEEN @from_month AND @to_month"
        ));
        assert!(projects_sql(&t).starts_with("SELECT DISTINCT project.id AS project_id FROM `"));
    }
}
