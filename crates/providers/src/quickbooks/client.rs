//! The HTTP client for QuickBooks Online's Accounting API (or the local sandbox, which serves the
//! same shapes under `/quickbooks`): the query endpoint, change data capture, company info and
//! preferences. One call per method; the sync engine owns paging and positions.
//!
//! Source: Intuit, "Query operations and syntax", "Change data capture", "Minor versions"
//! (developer.intuit.com, checked 2026-12-01).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use url::Url;

use super::faults;
use super::shapes::{
    parse_timestamp, CdcAnswer, CdcStatus, CompanyInfo, CompanyInfoAnswer, PreferencesAnswer,
    QueryAnswer, Transaction,
};
use crate::catalogue::Endpoints;
use crate::error::ProviderError;
use crate::http::{CallMeter, HttpClient, PlatformRules, Request, RetryPolicy};
use crate::listing::{decode, read_records, Unreadable};

/// The most a query answers with: `MAXRESULTS` above it is served as 1,000.
/// Source: Intuit, "Query operations and syntax" (maximum number of entities: 1000).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The most objects one change data capture answer holds; beyond it the answer is cut.
/// Source: Intuit, "Change data capture" (a maximum of 1,000 objects).
pub const CDC_MAX_OBJECTS: usize = 1000;

/// How far back change data capture reaches. Source: Intuit, "Change data capture" (30 days).
pub const CDC_REACH_DAYS: i64 = 30;

/// The API minor version asked for on every call (Intuit: minor versions below 75 are retired
/// from 2025 on).
pub const MINOR_VERSION: &str = "75";

/// Intuit's conventions for the shared retry: no header names the limit (500 a minute and 10
/// concurrent per company both answer 429 with fault 3001), every answer carries `intuit_tid`,
/// and fault codes are put in words.
const QUICKBOOKS_RULES: PlatformRules = PlatformRules {
    name: "QuickBooks",
    limit_header: None,
    long_limits: &[],
    request_id_header: Some("intuit_tid"),
    describe_code: Some(faults::describe),
    usage_header: None,
    refusal: None,
};

/// A page of a query, read record by record.
#[derive(Debug, Clone)]
pub struct QueryPage<T> {
    pub items: Vec<T>,
    pub unreadable: Vec<Unreadable>,
    /// QuickBooks' clock when it answered (the envelope's `time`).
    pub server_time: Option<DateTime<Utc>>,
}

impl<T> QueryPage<T> {
    /// Records on this page, readable or not.
    pub fn len(&self) -> usize {
        self.items.len() + self.unreadable.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One entity's part of a change data capture answer.
#[derive(Debug, Clone)]
pub struct Changes {
    /// Objects changed (created or edited) since the time asked.
    pub changed: Vec<Transaction>,
    /// Objects deleted since the time asked: id and time of deletion.
    pub deleted: Vec<(String, DateTime<Utc>)>,
    pub unreadable: Vec<Unreadable>,
    /// Objects in the answer, of this entity, readable or not.
    pub objects: usize,
    /// Objects in the whole answer, every entity: at [`CDC_MAX_OBJECTS`] it may have been cut.
    pub answer_objects: usize,
    pub server_time: Option<DateTime<Utc>>,
}

/// A QuickBooks Online client for any number of companies and tokens. Cheap to clone.
#[derive(Debug, Clone)]
pub struct QuickBooksClient {
    http: HttpClient,
    /// `…/v3/company/{realm_id}`: the realm is put in per call.
    api_base: String,
    page_size: u32,
}

impl QuickBooksClient {
    /// A client asking for `page_size` records a query (1 to [`MAX_PAGE_SIZE`]).
    ///
    /// Errors: [`ProviderError::InvalidConfig`] for a page size outside 1..=1000, no `api_base`
    /// or one without `{realm_id}`.
    pub fn new(
        endpoints: &Endpoints,
        page_size: u32,
        retry: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        check_page_size(page_size)?;
        let api_base = endpoints
            .api_base
            .clone()
            .ok_or_else(|| invalid("the QuickBooks endpoints have no `api_base` URL".to_owned()))?;
        if !api_base.contains("{realm_id}") {
            return Err(invalid(format!(
                "the QuickBooks `api_base` URL must contain {{realm_id}} where the company id goes (like https://quickbooks.api.intuit.com/v3/company/{{realm_id}}); it is {api_base}"
            )));
        }
        let http = HttpClient::new(
            QUICKBOOKS_RULES,
            retry,
            Duration::from_secs(10),
            Duration::from_secs(60),
        )?;
        Ok(QuickBooksClient {
            http,
            api_base,
            page_size,
        })
    }

    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The company's name.
    pub async fn company_info(
        &self,
        access_token: &str,
        realm_id: &str,
    ) -> Result<CompanyInfo, ProviderError> {
        let url = self.url(realm_id, &["companyinfo", realm_id], &[])?;
        let answer: CompanyInfoAnswer = self
            .get_json("companyinfo", url, access_token, &CallMeter::default())
            .await?;
        Ok(answer.company_info)
    }

    /// The company's home currency (ISO 4217), from its preferences.
    pub async fn home_currency(
        &self,
        access_token: &str,
        realm_id: &str,
    ) -> Result<String, ProviderError> {
        let url = self.url(realm_id, &["preferences"], &[])?;
        let answer: PreferencesAnswer = self
            .get_json("preferences", url, access_token, &CallMeter::default())
            .await?;
        answer
            .preferences
            .currency
            .and_then(|c| c.home_currency)
            .map(|r| r.value)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ProviderError::BadResponse {
                detail: "GET preferences: the answer names no home currency".to_owned(),
            })
    }

    /// One page of a query (see [`Select`]), oldest change first.
    pub async fn query<T: DeserializeOwned>(
        &self,
        access_token: &str,
        realm_id: &str,
        page: &Select<'_>,
        meter: &CallMeter,
    ) -> Result<QueryPage<T>, ProviderError> {
        let query = page.text();
        let url = self.url(realm_id, &["query"], &[("query", &query)])?;
        let body = self.get_body("query", url, access_token, meter).await?;
        let answer: QueryAnswer<'_> = decode("query", &body)?;
        let raws = answer.response.map(|r| r.items).unwrap_or_default();
        let (items, unreadable) = read_records(&raws, "Id", last_updated);
        Ok(QueryPage {
            items,
            unreadable,
            server_time: answer.time,
        })
    }

    /// What change data capture reports for `entity` since `since` (at most
    /// [`CDC_REACH_DAYS`] back).
    pub async fn changes(
        &self,
        access_token: &str,
        realm_id: &str,
        entity: &str,
        since: DateTime<Utc>,
        meter: &CallMeter,
    ) -> Result<Changes, ProviderError> {
        let since = since.to_rfc3339_opts(SecondsFormat::Secs, false);
        let url = self.url(
            realm_id,
            &["cdc"],
            &[("entities", entity), ("changedSince", &since)],
        )?;
        let body = self.get_body("cdc", url, access_token, meter).await?;
        let answer: CdcAnswer<'_> = decode("cdc", &body)?;
        let mut raws = Vec::new();
        let mut answer_objects = 0;
        for response in &answer.responses {
            for entities in &response.entities {
                for (name, list) in entities {
                    let Ok(list) =
                        serde_json::from_str::<Vec<&serde_json::value::RawValue>>(list.get())
                    else {
                        // `startPosition`, `maxResults`, `totalCount` beside the list.
                        continue;
                    };
                    answer_objects += list.len();
                    if name.eq_ignore_ascii_case(entity) {
                        raws.extend(list);
                    }
                }
            }
        }
        let objects = raws.len();
        let mut live = Vec::with_capacity(raws.len());
        let mut deleted = Vec::new();
        let mut unreadable = Vec::new();
        for raw in raws {
            match serde_json::from_str::<CdcStatus>(raw.get()) {
                Ok(CdcStatus {
                    id: Some(id),
                    status: Some(status),
                    meta_data,
                }) if status.eq_ignore_ascii_case("Deleted") => match meta_data {
                    Some(m) => deleted.push((id, m.last_updated)),
                    None => unreadable.push(Unreadable {
                        record_id: Some(crate::http::clean_text(&id, 64)),
                        updated: None,
                        reason: "a deletion without MetaData.LastUpdatedTime".to_owned(),
                        raw: raw.get().chars().take(4096).collect(),
                    }),
                },
                _ => live.push(raw),
            }
        }
        let (changed, bad) = read_records(&live, "Id", last_updated);
        unreadable.extend(bad);
        Ok(Changes {
            changed,
            deleted,
            unreadable,
            objects,
            answer_objects,
            server_time: answer.time,
        })
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        label: &'static str,
        url: Url,
        access_token: &str,
        meter: &CallMeter,
    ) -> Result<T, ProviderError> {
        let body = self.get_body(label, url, access_token, meter).await?;
        decode(label, &body)
    }

    async fn get_body(
        &self,
        label: &'static str,
        url: Url,
        access_token: &str,
        meter: &CallMeter,
    ) -> Result<bytes::Bytes, ProviderError> {
        let request = Request {
            label,
            url,
            bearer: access_token,
            headers: Vec::new(),
            body: None,
        };
        self.http
            .get(&request, meter)
            .await?
            .body
            .ok_or_else(|| ProviderError::BadResponse {
                detail: format!("GET {label}: an empty answer (HTTP 304)"),
            })
    }

    fn url(
        &self,
        realm_id: &str,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Url, ProviderError> {
        // A realm id is digits; anything else would change the path.
        if realm_id.is_empty() || !realm_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "{realm_id:?} is not a QuickBooks company id (realmId: digits only); reconnect the company"
            )));
        }
        let base = self.api_base.replace("{realm_id}", realm_id);
        let mut url = Url::parse(&base)
            .map_err(|e| invalid(format!("the QuickBooks `api_base` URL is not valid: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(
                "the QuickBooks `api_base` URL must be an http(s) URL".to_owned(),
            ));
        }
        url.path_segments_mut()
            .map_err(|()| invalid("the QuickBooks `api_base` cannot take a path".to_owned()))?
            .pop_if_empty()
            .extend(segments);
        {
            let mut pairs = url.query_pairs_mut();
            pairs.extend_pairs(query);
            pairs.append_pair("minorversion", MINOR_VERSION);
        }
        Ok(url)
    }
}

/// What one page of a query asks for: records `start_position` (1-based) onwards of `entity`
/// changed at or after `since` (everything without it), `max_results` at most.
#[derive(Debug, Clone, Copy)]
pub struct Select<'a> {
    pub entity: &'a str,
    /// A further condition, e.g. `Active IN (true, false)`.
    pub also: Option<&'a str>,
    pub since: Option<DateTime<Utc>>,
    pub start_position: u32,
    pub max_results: u32,
}

impl Select<'_> {
    /// The query text: oldest change first, so the pages of a walk under one time meet records
    /// edited during the walk again at its end.
    pub fn text(&self) -> String {
        let since = self.since.map(|t| {
            format!(
                "Metadata.LastUpdatedTime >= '{}'",
                t.to_rfc3339_opts(SecondsFormat::Secs, false)
            )
        });
        let conditions: Vec<String> = self
            .also
            .map(str::to_owned)
            .into_iter()
            .chain(since)
            .collect();
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        format!(
            "SELECT * FROM {}{filter} ORDERBY Metadata.LastUpdatedTime STARTPOSITION {} MAXRESULTS {}",
            self.entity,
            self.start_position.max(1),
            self.max_results.clamp(1, MAX_PAGE_SIZE)
        )
    }
}

/// Refuses a page size QuickBooks would not serve, saying what to set instead.
pub fn check_page_size(page_size: u32) -> Result<(), ProviderError> {
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(invalid(format!(
            "page_size {page_size} is outside what QuickBooks serves (1 to {MAX_PAGE_SIZE} records a query); \
             set page_size to {MAX_PAGE_SIZE} or less under [providers.quickbooks] in the configuration file"
        )));
    }
    Ok(())
}

fn last_updated(v: &serde_json::Value) -> Option<DateTime<Utc>> {
    v.get("MetaData")?
        .get("LastUpdatedTime")?
        .as_str()
        .and_then(parse_timestamp)
}

fn invalid(detail: String) -> ProviderError {
    ProviderError::InvalidConfig { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_query_reads_oldest_change_first_from_the_position() {
        let since = DateTime::parse_from_rfc3339("2024-03-12T17:15:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let page = |entity, since, start_position, max_results| Select {
            entity,
            also: None,
            since,
            start_position,
            max_results,
        };
        assert_eq!(
            page("Purchase", Some(since), 1001, 1000).text(),
            "SELECT * FROM Purchase WHERE Metadata.LastUpdatedTime >= '2024-03-12T17:15:30+00:00' ORDERBY Metadata.LastUpdatedTime STARTPOSITION 1001 MAXRESULTS 1000"
        );
        let accounts = Select {
            entity: "Account",
            also: Some("Active IN (true, false)"),
            since: Some(since),
            start_position: 1,
            max_results: 1000,
        };
        assert_eq!(
            accounts.text(),
            "SELECT * FROM Account WHERE Active IN (true, false) AND Metadata.LastUpdatedTime >= '2024-03-12T17:15:30+00:00' ORDERBY Metadata.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000"
        );
        assert_eq!(
            page("Bill", None, 0, 5000).text(),
            "SELECT * FROM Bill ORDERBY Metadata.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000"
        );
    }

    #[test]
    fn a_realm_id_that_is_not_digits_never_reaches_a_path() {
        let endpoints = Endpoints {
            api_base: Some("https://quickbooks.api.intuit.com/v3/company/{realm_id}".into()),
            ..Endpoints::default()
        };
        let c = QuickBooksClient::new(&endpoints, 1000, RetryPolicy::default()).unwrap();
        assert!(c.url("../1", &["query"], &[]).is_err());
        let url = c.url(
            "9341453050090071",
            &["query"],
            &[("query", "SELECT * FROM Bill")],
        );
        assert_eq!(
            url.unwrap().as_str(),
            "https://quickbooks.api.intuit.com/v3/company/9341453050090071/query?query=SELECT+*+FROM+Bill&minorversion=75"
        );
        assert!(QuickBooksClient::new(&endpoints, 1001, RetryPolicy::default()).is_err());
    }
}
