//! The HTTP client for Xero's Accounting API (or the local sandbox, which serves the same shapes
//! at the same relative paths).
//!
//! One method per resource, one page per call: the sync engine owns paging, cursors and
//! checkpoints; the shared [`crate::http`] module owns retries and rate limits; this client owns
//! Xero's URLs, headers and JSON.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::{HeaderName, IF_MODIFIED_SINCE};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use super::dates;
use super::shapes::{
    Account, BankTransaction, CreditNote, Invoice, Organisation, Pagination, RawListing, Tenant,
};
use crate::catalogue::{Catalogue, Endpoints};
use crate::error::ProviderError;
use crate::http::{CallMeter, HttpClient, PlatformRules, Request, RetryPolicy};
pub use crate::listing::Unreadable;
use crate::listing::{decode, read_records};

/// The largest page Xero serves: larger `pageSize` values are served as 1,000 records, so a
/// client asking for more would take a full page for a short last one.
/// Source: Xero Accounting API, "Paging" (pageSize up to 1000).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Xero's rate-limit conventions: `X-Rate-Limit-Problem` names the limit; the daily one resets
/// hours away. Source: Xero developer docs, "OAuth 2.0 API limits".
const XERO_RULES: PlatformRules = PlatformRules {
    name: "Xero",
    limit_header: Some("x-rate-limit-problem"),
    long_limits: &["day"],
    request_id_header: None,
    describe_code: None,
    usage_header: None,
    refusal: None,
};

/// Where the client sends requests: production, a platform sandbox or the local sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XeroEndpoints {
    /// The Accounting API root, e.g. `https://api.xero.com/api.xro/2.0`.
    pub api_base: String,
    /// The tenant list, e.g. `https://api.xero.com/connections`.
    pub connections: String,
}

impl XeroEndpoints {
    /// Takes `api_base` and `connections` from resolved catalogue endpoints.
    pub fn from_catalogue(endpoints: &Endpoints) -> Result<Self, ProviderError> {
        let missing = |field: &str| ProviderError::InvalidConfig {
            detail: format!("the Xero endpoints have no `{field}` URL"),
        };
        Ok(XeroEndpoints {
            api_base: endpoints
                .api_base
                .clone()
                .ok_or_else(|| missing("api_base"))?,
            connections: endpoints
                .connections
                .clone()
                .ok_or_else(|| missing("connections"))?,
        })
    }

    /// Xero's production URLs from the built-in catalogue.
    pub fn production() -> Result<Self, ProviderError> {
        Self::from_catalogue(&xero_entry()?.production)
    }

    /// The local sandbox's Xero URLs under `base` (e.g. `http://127.0.0.1:4455`).
    pub fn sandbox(base: &str) -> Result<Self, ProviderError> {
        Self::from_catalogue(&xero_entry()?.sandbox.resolve_against(base))
    }
}

fn xero_entry() -> Result<&'static crate::ProviderEntry, ProviderError> {
    Catalogue::builtin()
        .get("xero")
        .ok_or_else(|| ProviderError::InvalidConfig {
            detail: "the catalogue has no `xero` entry".to_owned(),
        })
}

/// Network time limits for one HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the TCP (and TLS) connection.
    pub connect: Duration,
    /// For the whole request, body included. A full page of 1,000 transactions is a few MB.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Records of this page that could not be read.
    pub unreadable: Vec<Unreadable>,
    /// The paging Xero reported, when it did.
    pub pagination: Option<Pagination>,
    /// Xero's clock when it answered (the envelope's `DateTimeUTC`), when sent.
    pub server_time: Option<DateTime<Utc>>,
}

impl<T> Page<T> {
    fn empty() -> Self {
        Page {
            items: Vec::new(),
            unreadable: Vec::new(),
            pagination: None,
            server_time: None,
        }
    }

    /// Records on this page, readable or not.
    pub fn len(&self) -> usize {
        self.items.len() + self.unreadable.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether page number `page` (1-based), asked for with `page_size`, was the last one. The
    /// paging Xero reports decides when present; otherwise only a page shorter than asked is.
    pub fn is_last(&self, page: u32, page_size: u32) -> bool {
        if self.is_empty() {
            return true;
        }
        match self.pagination {
            Some(p) if p.page_count > 0 || p.item_count == 0 => page >= p.page_count,
            _ => self.len() < page_size as usize,
        }
    }
}

/// A Xero Accounting API client for any number of tenants and tokens: the token and tenant are
/// arguments of each call, so one client (and its connection pool) serves every connection.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct XeroClient {
    http: HttpClient,
    api_base: Url,
    connections: Url,
    page_size: u32,
}

impl XeroClient {
    /// A client asking for `page_size` records a page (1 to [`MAX_PAGE_SIZE`]).
    ///
    /// # Errors
    /// [`ProviderError::InvalidConfig`] for a page size outside 1..=1000, an unusable URL or
    /// retry policy; the message says what to change.
    pub fn new(
        endpoints: XeroEndpoints,
        page_size: u32,
        retry: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        Self::with_timeouts(endpoints, page_size, retry, Timeouts::default())
    }

    pub fn with_timeouts(
        endpoints: XeroEndpoints,
        page_size: u32,
        retry: RetryPolicy,
        timeouts: Timeouts,
    ) -> Result<Self, ProviderError> {
        check_page_size(page_size)?;
        let api_base = parse_base("api_base", &endpoints.api_base)?;
        let connections = parse_base("connections", &endpoints.connections)?;
        let http = HttpClient::new(XERO_RULES, retry, timeouts.connect, timeouts.request)?;
        Ok(XeroClient {
            http,
            api_base,
            connections,
            page_size,
        })
    }

    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        self.http.retry_policy()
    }

    /// The organisations this access token may read.
    pub async fn connections(&self, access_token: &str) -> Result<Vec<Tenant>, ProviderError> {
        let meter = CallMeter::default();
        let request = Request {
            label: "connections",
            url: self.connections.clone(),
            bearer: access_token,
            headers: Vec::new(),
            body: None,
        };
        match self.http.get(&request, &meter).await?.body {
            Some(body) => decode(request.label, &body),
            None => Ok(Vec::new()),
        }
    }

    pub async fn organisation(
        &self,
        access_token: &str,
        tenant_id: &str,
    ) -> Result<Organisation, ProviderError> {
        #[derive(Deserialize)]
        struct Organisations {
            #[serde(rename = "Organisations", default)]
            items: Vec<Organisation>,
        }
        let meter = CallMeter::default();
        let request = self.request(
            "Organisation",
            self.api_url("Organisation", &[])?,
            access_token,
            tenant_id,
            None,
        );
        let envelope: Organisations = match self.http.get(&request, &meter).await?.body {
            Some(body) => decode(request.label, &body)?,
            None => Organisations { items: Vec::new() },
        };
        envelope
            .items
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::BadResponse {
                detail: "GET Organisation: the answer lists no organisation".to_owned(),
            })
    }

    /// The chart of accounts (Xero does not page it), changed after `modified_since`.
    pub async fn accounts(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        meter: &CallMeter,
    ) -> Result<Page<Account>, ProviderError> {
        let url = self.api_url("Accounts", &[])?;
        let request = self.request("Accounts", url, access_token, tenant_id, modified_since);
        self.listing(&request, meter, "AccountID").await
    }

    /// One page (1-based) of bank transactions modified after `modified_since`, oldest change
    /// first.
    pub async fn bank_transactions(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        page: u32,
        meter: &CallMeter,
    ) -> Result<Page<BankTransaction>, ProviderError> {
        let url = self.page_url("BankTransactions", page, &[])?;
        let request = self.request(
            "BankTransactions",
            url,
            access_token,
            tenant_id,
            modified_since,
        );
        self.listing(&request, meter, "BankTransactionID").await
    }

    /// One page (1-based) of bills (`Invoices` of type `ACCPAY`), oldest change first.
    pub async fn bills(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        page: u32,
        meter: &CallMeter,
    ) -> Result<Page<Invoice>, ProviderError> {
        let url = self.page_url("Invoices", page, &[("where", r#"Type=="ACCPAY""#)])?;
        let request = self.request("Invoices", url, access_token, tenant_id, modified_since);
        self.listing(&request, meter, "InvoiceID").await
    }

    /// One page (1-based) of supplier credit notes (`CreditNotes` of type `ACCPAYCREDIT`),
    /// oldest change first.
    pub async fn supplier_credit_notes(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        page: u32,
        meter: &CallMeter,
    ) -> Result<Page<CreditNote>, ProviderError> {
        let url = self.page_url("CreditNotes", page, &[("where", r#"Type=="ACCPAYCREDIT""#)])?;
        let request = self.request("CreditNotes", url, access_token, tenant_id, modified_since);
        self.listing(&request, meter, "CreditNoteID").await
    }

    fn request<'a>(
        &self,
        label: &'static str,
        url: Url,
        access_token: &'a str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
    ) -> Request<'a> {
        let mut headers = vec![(
            HeaderName::from_static("xero-tenant-id"),
            tenant_id.to_owned(),
        )];
        if let Some(since) = modified_since {
            headers.push((IF_MODIFIED_SINCE, format_modified_since(since)));
        }
        Request {
            label,
            url,
            bearer: access_token,
            headers,
            body: None,
        }
    }

    /// Fetches a listing and reads each record on its own.
    async fn listing<T: DeserializeOwned>(
        &self,
        request: &Request<'_>,
        meter: &CallMeter,
        id_field: &str,
    ) -> Result<Page<T>, ProviderError> {
        match self.http.get(request, meter).await?.body {
            Some(body) => read_listing(request.label, &body, id_field),
            None => Ok(Page::empty()),
        }
    }

    fn api_url(&self, resource: &str, query: &[(&str, &str)]) -> Result<Url, ProviderError> {
        let mut url = self.api_base.clone();
        url.path_segments_mut()
            .map_err(|()| invalid("api_base cannot take a path"))?
            .pop_if_empty()
            .push(resource);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    fn page_url(
        &self,
        resource: &str,
        page: u32,
        extra: &[(&str, &str)],
    ) -> Result<Url, ProviderError> {
        if page == 0 {
            return Err(invalid("Xero pages are numbered from 1"));
        }
        let page = page.to_string();
        let page_size = self.page_size.to_string();
        let mut query = vec![
            ("page", page.as_str()),
            ("pageSize", page_size.as_str()),
            // Oldest change first, so a walk of the pages under one If-Modified-Since meets
            // records edited during the walk again at its end.
            ("order", "UpdatedDateUTC ASC"),
        ];
        query.extend_from_slice(extra);
        self.api_url(resource, &query)
    }
}

/// Refuses a page size Xero would not serve, saying what to set instead.
pub fn check_page_size(page_size: u32) -> Result<(), ProviderError> {
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(invalid(&format!(
            "page_size {page_size} is outside what Xero serves (1 to {MAX_PAGE_SIZE} records a page); \
             set page_size to {MAX_PAGE_SIZE} or less under [providers.xero] in the configuration file"
        )));
    }
    Ok(())
}

/// Xero takes an ISO 8601 timestamp with a zone here (not the HTTP date format).
pub fn format_modified_since(since: DateTime<Utc>) -> String {
    since.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads a listing's envelope, then each record on its own: one record of an unexpected shape is
/// set aside with the field that failed, and the rest of the page is kept.
fn read_listing<T: DeserializeOwned>(
    label: &str,
    body: &[u8],
    id_field: &str,
) -> Result<Page<T>, ProviderError> {
    let listing: RawListing<'_> = decode(label, body)?;
    let (items, unreadable) = read_records(&listing.items, id_field, |v| {
        v.get("UpdatedDateUTC")
            .and_then(|t| t.as_str())
            .and_then(|t| dates::parse_datetime(t).ok())
    });
    Ok(Page {
        items,
        unreadable,
        pagination: listing.pagination,
        server_time: listing
            .date_time_utc
            .as_deref()
            .and_then(|t| dates::parse_datetime(t).ok()),
    })
}

fn parse_base(field: &str, value: &str) -> Result<Url, ProviderError> {
    let url = Url::parse(value)
        .map_err(|e| invalid(&format!("the Xero `{field}` URL is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(invalid(&format!(
            "the Xero `{field}` URL must be an http(s) URL"
        )));
    }
    Ok(url)
}

fn invalid(detail: &str) -> ProviderError {
    ProviderError::InvalidConfig {
        detail: detail.to_owned(),
    }
}
