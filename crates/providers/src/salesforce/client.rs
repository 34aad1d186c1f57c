//! Salesforce's REST API for one org, at the `instance_url` its token answer named.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use url::Url;

use crate::http::{Body, CallMeter, HttpClient, PlatformRules, Request, RetryPolicy};
use crate::ProviderError;

/// The REST API version called: Winter '25. Net Zero Cloud's objects exist from 54.0.
pub const API_VERSION: &str = "v62.0";

/// How long a sync waits after Salesforce's daily request limit before trying again. The
/// limit is counted over a rolling 24 hours, so some allowance comes back within the hour.
const DAILY_LIMIT_WAIT: Duration = Duration::from_secs(3600);

const RULES: PlatformRules = PlatformRules {
    name: "Salesforce",
    limit_header: None,
    long_limits: &[],
    request_id_header: None,
    describe_code: Some(describe),
    usage_header: Some("sforce-limit-info"),
    refusal: None,
};

/// Salesforce's `errorCode`s in words, with what to do.
fn describe(code: &str) -> Option<&'static str> {
    Some(match code {
        "REQUEST_LIMIT_EXCEEDED" => {
            "The org has used its daily allowance of API requests; syncing goes on when it resets"
        }
        "INVALID_SESSION_ID" => "Salesforce ended the session",
        "INVALID_FIELD" | "INVALID_FIELD_FOR_INSERT_UPDATE" => {
            "A field CarbonSync reads or writes is hidden from the connected user (field-level security) or missing in the org: give that user access to it (read for a sync, edit for an export); reconnecting does not help"
        }
        "INVALID_TYPE" => {
            "A Net Zero Cloud object is not available to the connected user: check that Net Zero Cloud is enabled and the user may use it"
        }
        "API_DISABLED_FOR_ORG" => "The org's edition or settings do not allow API access",
        "INSUFFICIENT_ACCESS_OR_READONLY" | "INSUFFICIENT_ACCESS" => {
            "The connected user may not change this record"
        }
        _ => return None,
    })
}

/// `Sforce-Limit-Info: api-usage=18/15000`: the org's API requests in the last 24 hours
/// and its allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    pub used: u64,
    pub max: u64,
}

impl ApiUsage {
    pub fn parse(header: &str) -> Option<ApiUsage> {
        let value = header
            .split(';')
            .find_map(|part| part.trim().strip_prefix("api-usage="))?;
        let (used, max) = value.split_once('/')?;
        Some(ApiUsage {
            used: used.trim().parse().ok()?,
            max: max.trim().parse().ok()?,
        })
    }
}

/// One batch of a query's records.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    pub total_size: u64,
    pub done: bool,
    /// The path of the next batch (`/services/data/v62.0/query/01g…-2000`), while not done.
    #[serde(default)]
    pub next_records_url: Option<String>,
    pub records: Vec<serde_json::Value>,
    /// The usage header of the answer.
    #[serde(skip)]
    pub usage: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedAnswer {
    #[serde(default)]
    pub deleted_records: Vec<DeletedRecord>,
    #[serde(default)]
    pub latest_date_covered: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DeletedRecord {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct UpsertAnswer {
    pub id: String,
    #[serde(default)]
    pub created: bool,
}

/// A record named by an external id: `object`'s record whose `field` holds `value`.
#[derive(Debug, Clone, Copy)]
pub struct ExternalId<'a> {
    pub object: &'a str,
    pub field: &'a str,
    pub value: &'a str,
}

/// The client for every org; the org's `instance_url` is given per call.
#[derive(Debug, Clone)]
pub struct SalesforceClient {
    http: HttpClient,
}

/// A Salesforce datetime as SOQL and `getDeleted` take it (`2024-01-05T02:00:00.000Z`).
pub fn soql_datetime(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A Salesforce datetime as its API writes it (`2024-01-05T02:00:00.000+0000`).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl SalesforceClient {
    pub fn new(retry: RetryPolicy) -> Result<Self, ProviderError> {
        Ok(SalesforceClient {
            http: HttpClient::new(
                RULES,
                retry,
                Duration::from_secs(10),
                Duration::from_secs(120),
            )?,
        })
    }

    fn url(api_base: &str, path: &str) -> Result<Url, ProviderError> {
        Url::parse(&format!("{}{path}", api_base.trim_end_matches('/'))).map_err(|e| {
            ProviderError::InvalidConfig {
                detail: format!("Salesforce's API address is not a URL ({e})"),
            }
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        label: &'static str,
        url: Url,
        token: &str,
        headers: Vec<(reqwest::header::HeaderName, String)>,
        meter: &CallMeter,
    ) -> Result<(T, Option<String>), ProviderError> {
        let answer = self
            .http
            .send(
                &Request {
                    label,
                    url,
                    bearer: token,
                    headers,
                    body: None,
                },
                meter,
            )
            .await
            .map_err(salesforce_error)?;
        let body = answer.body.unwrap_or_default();
        let parsed = serde_json::from_slice(&body).map_err(|e| ProviderError::BadResponse {
            detail: format!("{label}: {e}"),
        })?;
        Ok((parsed, answer.usage))
    }

    /// Runs `soql`; the first batch of up to `batch_size` records (Salesforce takes 200 to
    /// 2,000 through `Sforce-Query-Options`, and may send fewer). `api_base` is the org's
    /// `{instance_url}/services/data`.
    pub async fn query(
        &self,
        api_base: &str,
        token: &str,
        soql: &str,
        batch_size: u32,
        meter: &CallMeter,
    ) -> Result<QueryPage, ProviderError> {
        let mut url = Self::url(api_base, &format!("/{API_VERSION}/query"))?;
        url.query_pairs_mut().append_pair("q", soql);
        let options = (
            reqwest::header::HeaderName::from_static("sforce-query-options"),
            format!("batchSize={}", batch_size.clamp(200, 2000)),
        );
        let (mut page, usage): (QueryPage, _) = self
            .get_json("query", url, token, vec![options], meter)
            .await?;
        page.usage = usage;
        Ok(page)
    }

    /// The batch at `next` (a query answer's `nextRecordsUrl`, a path on the instance).
    pub async fn query_more(
        &self,
        instance_url: &str,
        token: &str,
        next: &str,
        meter: &CallMeter,
    ) -> Result<QueryPage, ProviderError> {
        if !next.starts_with("/services/data/") {
            return Err(ProviderError::BadResponse {
                detail: "query: nextRecordsUrl is not a path of the org's API".into(),
            });
        }
        let url = Self::url(instance_url, next)?;
        let (mut page, usage): (QueryPage, _) = self
            .get_json("query (next batch)", url, token, Vec::new(), meter)
            .await?;
        page.usage = usage;
        Ok(page)
    }

    /// The ids of `object`'s records deleted between `from` and `to` (Get Deleted
    /// Records; at most 15 days back, and `from` must be within the org's deletion log).
    pub async fn deleted(
        &self,
        api_base: &str,
        token: &str,
        object: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        meter: &CallMeter,
    ) -> Result<DeletedAnswer, ProviderError> {
        let mut url = Self::url(
            api_base,
            &format!("/{API_VERSION}/sobjects/{object}/deleted/"),
        )?;
        url.query_pairs_mut()
            .append_pair("start", &soql_datetime(from))
            .append_pair("end", &soql_datetime(to));
        Ok(self
            .get_json("getDeleted", url, token, Vec::new(), meter)
            .await?
            .0)
    }

    /// Creates or updates the record named by `key` with `fields`; the answer says whether
    /// it was created. Repeating it changes nothing more.
    pub async fn upsert(
        &self,
        api_base: &str,
        token: &str,
        key: &ExternalId<'_>,
        fields: &serde_json::Value,
        meter: &CallMeter,
    ) -> Result<UpsertAnswer, ProviderError> {
        let ExternalId {
            object,
            field,
            value,
        } = *key;
        let mut url = Self::url(
            api_base,
            &format!("/{API_VERSION}/sobjects/{object}/{field}/"),
        )?;
        url.path_segments_mut()
            .map_err(|_| ProviderError::InvalidConfig {
                detail: "Salesforce's API address cannot take a path".into(),
            })?
            .pop_if_empty()
            .push(value);
        let answer = self
            .http
            .send(
                &Request {
                    label: "upsert",
                    url,
                    bearer: token,
                    headers: Vec::new(),
                    body: Some(Body::Patch(fields.to_string())),
                },
                meter,
            )
            .await
            .map_err(salesforce_error)?;
        let body = answer.body.unwrap_or_default();
        serde_json::from_slice(&body).map_err(|e| ProviderError::BadResponse {
            detail: format!("upsert: {e}"),
        })
    }
}

/// Salesforce's own codes where the shared client's reading is not enough: the daily
/// request limit comes as 403 `REQUEST_LIMIT_EXCEEDED`, a limit to wait for rather than a
/// refusal; a field hidden by field-level security comes as 400 `INVALID_FIELD`, which
/// neither retrying nor signing in again can fix.
fn salesforce_error(e: ProviderError) -> ProviderError {
    match e {
        ProviderError::Forbidden { detail } if detail.contains("REQUEST_LIMIT_EXCEEDED") => {
            ProviderError::RateLimited {
                retry_after: Some(DAILY_LIMIT_WAIT),
                limit: Some("day".into()),
            }
        }
        // A setting of the org to change, not a sign-in to renew: never a reconnect.
        ProviderError::Server {
            status: 400,
            detail,
        } if detail.contains("INVALID_FIELD") || detail.contains("INVALID_TYPE") => {
            ProviderError::InvalidConfig { detail }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_header_reads_as_used_of_allowance() {
        assert_eq!(
            ApiUsage::parse("api-usage=18/15000"),
            Some(ApiUsage {
                used: 18,
                max: 15000
            })
        );
        assert_eq!(
            ApiUsage::parse("per-app-api-usage=1/100(appName=x); api-usage=7/5000"),
            Some(ApiUsage { used: 7, max: 5000 })
        );
        assert_eq!(ApiUsage::parse("nonsense"), None);
    }

    #[test]
    fn salesforce_datetimes_read_and_write() {
        let t = parse_datetime("2024-01-05T02:00:00.000+0000").unwrap();
        assert_eq!(soql_datetime(t), "2024-01-05T02:00:00.000Z");
        assert_eq!(parse_datetime("2024-01-05T02:00:00Z"), Some(t));
        assert_eq!(parse_datetime("5 Jan"), None);
    }
}
