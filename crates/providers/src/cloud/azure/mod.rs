//! Microsoft Azure: the emissions Microsoft reports for a customer's subscriptions, read from
//! the Carbon Optimization report API of Azure Resource Manager with a service principal.
//!
//! - **Sign-in**: the Microsoft identity platform's client-credentials grant (tenant id,
//!   client id, and a client secret or a certificate with its private key, exactly one) for
//!   `https://management.azure.com/.default` ([`identity`], [`certificate`]). The token is
//!   kept in memory until shortly before it expires, for one tenant and client at a time; it
//!   is never logged or stored.
//! - **Subscriptions**: `GET {arm}/subscriptions?api-version=2022-12-01`, following
//!   `nextLink`. They are the estate's accounts and the `subscriptionList` of every report
//!   (at most 100 per request, so larger estates are asked for in blocks).
//! - **Emissions**: `POST {api_base}/carbonEmissionReports?api-version=2025-04-01` with an
//!   `ItemDetailsReport` by `Resource`: the only category whose items carry subscription,
//!   resource group, location and resource type together. It answers one month
//!   (`dateRange.start == end`) and the sum of the scopes asked for, so each month is asked once
//!   per scope (`Scope1`, `Scope2`, `Scope3`), `pageSize` = the configured page size
//!   (at most 5,000), ordered by `ItemName`, following `skipToken`.
//!
//! Values are kgCO2e ("measured in kgCO2E", `latestMonthEmissions`) and are read from the JSON
//! number's text exactly. Microsoft publishes one number per scope, calculated with its cloud
//! carbon methodology, whose Scope 2 accounts for Microsoft's renewable-energy purchases: the
//! market-based view (<https://learn.microsoft.com/en-us/industry/sustainability/api-calculation-method>).
//! Scope 2 rows therefore carry [`Basis::Market`]; Scope 1 and 3 are not split by basis and carry
//! none. The API publishes no model version.
//!
//! **One row per subscription, resource group, location and resource type.** The report lists
//! resources, and a resource group often holds several resources of one type in one location
//! (three disks, two web apps); CarbonSync's row key has no place for the resource name, so the
//! connector sums them, exactly, into one row. A sum is only complete once every page of the
//! month and scope has been read, so one [`CloudConnector::emissions`] call reads one month and
//! one scope completely (every `skipToken` page, every block of subscriptions) and its page
//! token names the next month and scope (`azure:v1:2024-06:2`, see [`report::Cursor`]). A
//! failure part-way repeats at most that month and scope.
//!
//! Months: Microsoft publishes a month by the 19th of the next
//! (<https://learn.microsoft.com/en-us/azure/carbon-optimization/api-export-data>). Months that
//! cannot have been published yet (the current month and later) are
//! not asked for, judged by Azure's clock (the `Date` header of its last answer); an unpublished
//! month answers no rows and is simply absent.
//!
//! Errors: refused credentials are [`ProviderError::Unauthorized`] naming the field to fix; a
//! principal without the **Carbon Optimization Reader** role on a subscription (HTTP 403
//! `AuthorizationFailed`, or `Denied` in `subscriptionAccessDecisionList`) is
//! [`ProviderError::Forbidden`] naming the role and the subscriptions; throttling (HTTP 429 with
//! `Retry-After`) is waited out by the shared HTTP layer.

pub mod certificate;
pub mod identity;
pub mod report;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::{
    Basis, CloudConnector, CloudCredentials, CloudEstate, CloudRegistration, CloudSettings,
    CredentialField, ReportPage, ReportedEmission,
};
use crate::http::{Answer, Body, CallMeter, HttpClient, PlatformRules, Request};
use crate::ProviderError;
use identity::{CachedToken, ServicePrincipal};
use report::{Cursor, ReportAnswer, SCOPES};

/// The Carbon Optimization report API version read.
pub const CARBON_API_VERSION: &str = "2025-04-01";
/// The subscription list's API version.
pub const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";
/// The largest `pageSize` the report accepts (`ItemDetailsQueryFilter.pageSize`, maximum 5000).
pub const MAX_PAGE_SIZE: u32 = 5000;
/// The most subscriptions one report request may name (`subscriptionList`, "The max length of
/// list is 100").
pub const MAX_SUBSCRIPTIONS_PER_REPORT: usize = 100;
/// The unit every report number is in.
pub const UNIT: &str = "kgCO2e";
/// The role a service principal needs on each subscription to read its emissions.
pub const ROLE: &str = "Carbon Optimization Reader";

/// The path the catalogue's `api_base` ends with; what is before it is the Azure Resource
/// Manager root (`https://management.azure.com`).
const CARBON_PROVIDER_PATH: &str = "/providers/Microsoft.Carbon";

/// A subscription list kept for the read under way is asked for again after this long.
const SUBSCRIPTIONS_TTL: Duration = Duration::from_secs(15 * 60);

/// Azure Resource Manager's conventions for the shared HTTP layer: `x-ms-request-id` names the
/// request for Microsoft's support. Throttling is a 429 with `Retry-After` in seconds
/// (<https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling>).
const RULES: PlatformRules = PlatformRules {
    name: "Microsoft Azure",
    limit_header: None,
    long_limits: &[],
    request_id_header: Some("x-ms-request-id"),
    describe_code: None,
    usage_header: None,
    refusal: None,
};

/// The connect form: a service principal (an app registration) with a client secret or a
/// certificate. Both credential fields are optional for the form, which checks each
/// non-optional field by itself; [`ServicePrincipal::from_credentials`] requires exactly one
/// of the two.
pub const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: identity::TENANT_ID,
        label: "Directory (tenant) ID",
        secret: false,
        optional: false,
        flag: "--tenant-id",
        help: "The Directory (tenant) ID on the app registration's Overview page in the Azure \
               portal (Microsoft Entra ID > App registrations), or the tenant's domain such as \
               contoso.onmicrosoft.com.",
    },
    CredentialField {
        name: identity::CLIENT_ID,
        label: "Application (client) ID",
        secret: false,
        optional: false,
        flag: "--client-id",
        help: "The Application (client) ID of the app registration. Its service principal \
               needs the Carbon Optimization Reader role on every subscription whose emissions \
               CarbonSync should read (Subscription > Access control (IAM) > Add role \
               assignment); the role is free and reads nothing but emissions.",
    },
    CredentialField {
        name: identity::CLIENT_SECRET,
        label: "Client secret",
        secret: true,
        optional: true,
        flag: "",
        help: "The secret's Value (not its Secret ID), shown once when the secret is created \
               under Certificates & secrets. Kept only in this computer's keychain. Give either \
               the client secret or the certificate, not both.",
    },
    CredentialField {
        name: identity::CERTIFICATE,
        label: "Certificate (PEM with private key)",
        secret: true,
        optional: true,
        flag: "--certificate-file",
        help: "A PEM file holding the certificate uploaded to the app registration (Certificates \
               & secrets > Certificates) and its unencrypted RSA private key. Kept only in this \
               computer's keychain. Give either the client secret or the certificate, not both.",
    },
];

pub const REGISTRATION: CloudRegistration = CloudRegistration {
    platform: "azure",
    fields: FIELDS,
    build,
    supplier_unless: "365",
    suppliers: &[
        "Microsoft Azure",
        "Microsoft Ireland Operations",
        "Microsoft Corporation",
        "Azure",
    ],
};

fn build(settings: &CloudSettings) -> Result<Arc<dyn CloudConnector>, ProviderError> {
    Ok(Arc::new(AzureConnector::new(settings)?))
}

/// A subscription the service principal can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Lower-case GUID, as the report wants it.
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
struct CachedSubscriptions {
    key: (String, String),
    list: Vec<Subscription>,
    fetched_at: Instant,
}

/// The Azure connector. Holds no credentials; keeps the last access token and subscription
/// list in memory for the tenant and client they belong to.
#[derive(Debug)]
pub struct AzureConnector {
    http: HttpClient,
    /// The token URL with `{tenant_id}` in it.
    token_url: String,
    /// `…/providers/Microsoft.Carbon`.
    api_base: String,
    /// `https://management.azure.com`.
    arm_root: String,
    page_size: u32,
    token: Mutex<Option<CachedToken>>,
    subscriptions: Mutex<Option<CachedSubscriptions>>,
    /// Azure's clock as last seen (its `Date` header) and when: which months can have been
    /// published is judged by Azure's clock, not this computer's.
    clock: Mutex<Option<(DateTime<Utc>, Instant)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AzureConnector {
    /// Builds the connector from the catalogue's (or configured) endpoints: `token` with
    /// `{tenant_id}` in it and `api_base` ending in `/providers/Microsoft.Carbon`. A page size
    /// above 5,000 is read as 5,000.
    ///
    /// Errors: [`ProviderError::InvalidConfig`] naming the setting to change.
    pub fn new(settings: &CloudSettings) -> Result<Self, ProviderError> {
        let invalid = |detail: &str| ProviderError::InvalidConfig {
            detail: detail.to_owned(),
        };
        let token_url = settings
            .endpoints
            .token
            .clone()
            .ok_or_else(|| invalid("the Azure endpoints have no `token` URL"))?;
        if !token_url.contains("{tenant_id}") {
            return Err(invalid(
                "the Azure `token` URL must contain {tenant_id}, e.g. https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token",
            ));
        }
        let api_base = settings
            .endpoints
            .api_base
            .clone()
            .ok_or_else(|| invalid("the Azure endpoints have no `api_base` URL"))?;
        let api_base = api_base.trim_end_matches('/').to_owned();
        let cut = api_base.len().checked_sub(CARBON_PROVIDER_PATH.len());
        let arm_root = match cut {
            Some(at)
                if api_base.is_char_boundary(at)
                    && api_base[at..].eq_ignore_ascii_case(CARBON_PROVIDER_PATH) =>
            {
                api_base[..at].to_owned()
            }
            _ => {
                return Err(invalid(
                    "the Azure `api_base` must end in /providers/Microsoft.Carbon, e.g. https://management.azure.com/providers/Microsoft.Carbon",
                ))
            }
        };
        for url in [&api_base, &arm_root] {
            Url::parse(url).map_err(|_| invalid("the Azure `api_base` is not a valid URL"))?;
        }
        if settings.page_size == 0 {
            return Err(invalid("the Azure page size must be at least 1"));
        }
        let http = HttpClient::new(
            RULES,
            settings.retry.clone(),
            Duration::from_secs(15),
            Duration::from_secs(120),
        )?;
        Ok(AzureConnector {
            http,
            token_url,
            api_base,
            arm_root,
            page_size: settings.page_size.min(MAX_PAGE_SIZE),
            token: Mutex::new(None),
            subscriptions: Mutex::new(None),
            clock: Mutex::new(None),
        })
    }

    /// An access token for `principal`: the one in memory while it lasts, else a new one.
    async fn token(
        &self,
        principal: &ServicePrincipal,
        renew: bool,
        meter: &CallMeter,
    ) -> Result<identity::AccessToken, ProviderError> {
        let key = principal.key();
        if !renew {
            if let Some(cached) = lock(&self.token).as_ref() {
                if cached.key == key && Instant::now() < cached.renew_at {
                    return Ok(cached.token.clone());
                }
            }
        }
        let fresh = identity::request_token(&self.http, &self.token_url, principal, meter).await?;
        let token = fresh.token.clone();
        *lock(&self.token) = Some(fresh);
        Ok(token)
    }

    /// Sends one Azure Resource Manager request. A 401 with a token from memory (revoked or
    /// expired early) is tried once more with a new token.
    async fn arm(
        &self,
        principal: &ServicePrincipal,
        label: &'static str,
        url: Url,
        body: Option<Body>,
        meter: &CallMeter,
    ) -> Result<Answer, ProviderError> {
        let mut renew = false;
        loop {
            let token = self.token(principal, renew, meter).await?;
            let request = Request {
                label,
                url: url.clone(),
                bearer: token.expose(),
                headers: Vec::new(),
                body: body.clone(),
            };
            match self.http.send(&request, meter).await {
                Err(ProviderError::Unauthorized { .. }) if !renew => renew = true,
                Err(ProviderError::Unauthorized { detail }) => {
                    return Err(principal.scrub(ProviderError::Unauthorized {
                        detail: format!(
                            "Azure Resource Manager refused a new access token for this service \
                             principal; check that the app registration still exists in the \
                             tenant; {detail}"
                        ),
                    }))
                }
                Err(ProviderError::Forbidden { detail }) => {
                    return Err(principal.scrub(ProviderError::Forbidden {
                        detail: format!(
                            "the service principal (client id {}) may not read emissions: assign \
                             it the {ROLE} role on each subscription (Access control (IAM)) and \
                             allow a few minutes for the assignment to apply; {detail}",
                            principal.client
                        ),
                    }))
                }
                Ok(answer) => {
                    if let Some(time) = answer.server_time {
                        *lock(&self.clock) = Some((time, Instant::now()));
                    }
                    return Ok(answer);
                }
                Err(other) => return Err(principal.scrub(other)),
            }
        }
    }

    /// Azure's clock now: its last `Date` header moved on by the time since, or this
    /// computer's clock before Azure has answered.
    fn azure_now(&self) -> DateTime<Utc> {
        match *lock(&self.clock) {
            Some((time, seen)) => {
                time + chrono::Duration::from_std(seen.elapsed()).unwrap_or_default()
            }
            None => Utc::now(),
        }
    }

    /// The newest month that can have been published by Azure's clock: the one before its
    /// current month (Microsoft publishes a month by the 19th of the next).
    fn newest_possible_month(&self) -> NaiveDate {
        let this = report::first_of_month(self.azure_now().date_naive());
        this.checked_sub_months(chrono::Months::new(1))
            .expect("a month within chrono's range")
    }

    /// Every subscription the principal can see, following `nextLink`.
    async fn list_subscriptions(
        &self,
        principal: &ServicePrincipal,
        meter: &CallMeter,
    ) -> Result<Vec<Subscription>, ProviderError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Listing {
            #[serde(default)]
            value: Vec<Item>,
            #[serde(default)]
            next_link: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Item {
            subscription_id: String,
            #[serde(default)]
            display_name: Option<String>,
        }
        let mut url = self.url(&format!(
            "{}/subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}",
            self.arm_root
        ))?;
        let root = self.url(&self.arm_root)?;
        let mut out: Vec<Subscription> = Vec::new();
        for _ in 0..1000 {
            let answer = self
                .arm(principal, "Azure subscriptions", url.clone(), None, meter)
                .await?;
            let listing: Listing = parse(&answer, "the subscription list")?;
            out.extend(listing.value.into_iter().map(|s| Subscription {
                id: s.subscription_id.trim().to_ascii_lowercase(),
                name: s.display_name.filter(|n| !n.trim().is_empty()),
            }));
            match listing.next_link.filter(|l| !l.is_empty()) {
                Some(next) => {
                    let next = self.url(&next)?;
                    // The bearer token goes only where the first request went.
                    if next.origin() != root.origin() {
                        return Err(ProviderError::BadResponse {
                            detail: "the subscription list's nextLink points to another host"
                                .to_owned(),
                        });
                    }
                    url = next;
                }
                None => break,
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    /// The subscriptions for a read: listed again at the start of one (`fresh`), else the
    /// list in memory while it is recent.
    async fn subscriptions(
        &self,
        principal: &ServicePrincipal,
        fresh: bool,
        meter: &CallMeter,
    ) -> Result<Vec<Subscription>, ProviderError> {
        let key = principal.key();
        if !fresh {
            if let Some(cached) = lock(&self.subscriptions).as_ref() {
                if cached.key == key && cached.fetched_at.elapsed() < SUBSCRIPTIONS_TTL {
                    return Ok(cached.list.clone());
                }
            }
        }
        let list = self.list_subscriptions(principal, meter).await?;
        *lock(&self.subscriptions) = Some(CachedSubscriptions {
            key,
            list: list.clone(),
            fetched_at: Instant::now(),
        });
        if list.is_empty() {
            return Err(ProviderError::Forbidden {
                detail: format!(
                    "the service principal (client id {}) can see no subscription in this \
                     directory: assign it the {ROLE} role on each subscription whose emissions \
                     CarbonSync should read",
                    principal.client
                ),
            });
        }
        Ok(list)
    }

    fn url(&self, text: &str) -> Result<Url, ProviderError> {
        Url::parse(text).map_err(|_| ProviderError::BadResponse {
            detail: "Azure answered a URL that is not valid".to_owned(),
        })
    }

    fn reports_url(&self) -> Result<Url, ProviderError> {
        self.url(&format!(
            "{}/carbonEmissionReports?api-version={CARBON_API_VERSION}",
            self.api_base
        ))
    }

    /// One report request; a subscription answered `Denied` is an error naming it, since a
    /// read that silently left it out would look like a subscription without emissions.
    async fn report(
        &self,
        principal: &ServicePrincipal,
        body: serde_json::Value,
        meter: &CallMeter,
    ) -> Result<(ReportAnswer, Option<DateTime<Utc>>), ProviderError> {
        let answer = self
            .arm(
                principal,
                "Azure carbon emission report",
                self.reports_url()?,
                Some(Body::Json(body.to_string())),
                meter,
            )
            .await?;
        let parsed: ReportAnswer = parse(&answer, "the carbon emission report")?;
        let denied: Vec<String> = parsed
            .subscription_access_decision_list
            .iter()
            .filter(|d| !d.decision.eq_ignore_ascii_case("allowed"))
            .map(|d| match d.denial_reason.as_deref() {
                Some(reason) if !reason.trim().is_empty() => format!(
                    "{} ({})",
                    d.subscription_id,
                    crate::http::clean_text(reason, 80)
                ),
                _ => d.subscription_id.clone(),
            })
            .collect();
        if !denied.is_empty() {
            let shown = denied
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = denied.len().saturating_sub(5);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            return Err(ProviderError::Forbidden {
                detail: format!(
                    "the service principal (client id {}) may not read the emissions of \
                     subscription {shown}{more}: assign it the {ROLE} role there (Access control \
                     (IAM))",
                    principal.client
                ),
            });
        }
        Ok((parsed, answer.server_time))
    }

    /// Every resource row of `month` and `scope`, summed by subscription, resource group,
    /// location and resource type.
    async fn read_month_scope(
        &self,
        principal: &ServicePrincipal,
        subscriptions: &[Subscription],
        cursor: Cursor,
        meter: &CallMeter,
    ) -> Result<(Vec<ReportedEmission>, Option<DateTime<Utc>>), ProviderError> {
        let (scope, scope_name) = SCOPES[cursor.scope];
        let day = cursor.month.format("%Y-%m-%d").to_string();
        let names: BTreeMap<&str, Option<&str>> = subscriptions
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_deref()))
            .collect();
        // (subscription, resource group, location, resource type) → kg.
        let mut sums: BTreeMap<(String, String, Option<String>, String), Decimal> = BTreeMap::new();
        let mut server_time = None;
        for block in subscriptions.chunks(MAX_SUBSCRIPTIONS_PER_REPORT) {
            let ids: Vec<&str> = block.iter().map(|s| s.id.as_str()).collect();
            let mut skip: Option<String> = None;
            let mut pages = 0u32;
            loop {
                pages += 1;
                if pages > 100_000 {
                    return Err(ProviderError::BadResponse {
                        detail: "the carbon emission report never reached its last page".to_owned(),
                    });
                }
                let mut body = json!({
                    "reportType": "ItemDetailsReport",
                    "subscriptionList": ids,
                    "carbonScopeList": [scope_name],
                    "dateRange": { "start": day, "end": day },
                    "categoryType": "Resource",
                    "orderBy": "ItemName",
                    "sortDirection": "Asc",
                    "pageSize": self.page_size,
                });
                if let Some(token) = &skip {
                    body["skipToken"] = json!(token);
                }
                let (answer, time) = self.report(principal, body, meter).await?;
                server_time = time.or(server_time);
                for item in answer.value {
                    let kg = report::exact_number(
                        &item.latest_month_emissions,
                        "a resource's latestMonthEmissions",
                    )?;
                    let missing = |field: &str| ProviderError::BadResponse {
                        detail: format!("a resource of the carbon emission report has no {field}"),
                    };
                    let subscription = item
                        .subscription_id
                        .as_deref()
                        .map(|s| s.trim().to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| missing("subscriptionId"))?;
                    let group = item
                        .resource_group
                        .as_deref()
                        .map(|g| g.trim().to_ascii_lowercase())
                        .filter(|g| !g.is_empty())
                        .ok_or_else(|| missing("resourceGroup"))?;
                    let location = item
                        .location
                        .as_deref()
                        .map(report::location_code)
                        .filter(|l| !l.is_empty());
                    let kind = item
                        .resource_type
                        .as_deref()
                        .map(|t| t.trim().to_ascii_lowercase())
                        .filter(|t| !t.is_empty())
                        .or_else(|| {
                            item.resource_id
                                .as_deref()
                                .and_then(report::type_from_resource_id)
                        })
                        .ok_or_else(|| missing("resourceType"))?;
                    *sums
                        .entry((subscription, group, location, kind))
                        .or_insert(Decimal::ZERO) += kg;
                }
                match answer.skip_token.filter(|t| !t.is_empty()) {
                    Some(next) if skip.as_deref() == Some(next.as_str()) => {
                        return Err(ProviderError::BadResponse {
                            detail: "the carbon emission report answered the same skipToken twice"
                                .to_owned(),
                        })
                    }
                    Some(next) => skip = Some(next),
                    None => break,
                }
            }
        }
        let basis = (scope == 2).then_some(Basis::Market);
        let rows = sums
            .into_iter()
            .map(|((account, group, region, service), kg)| ReportedEmission {
                month: cursor.month,
                account_name: names
                    .get(account.as_str())
                    .copied()
                    .flatten()
                    .map(str::to_owned),
                account,
                service,
                region,
                grouping: Some(group),
                scope,
                scope3_category: None,
                basis,
                kg_co2e: kg.normalize(),
                reported_value: kg.normalize(),
                reported_unit: UNIT,
                model_version: None,
            })
            .collect();
        Ok((rows, server_time))
    }
}

/// Decodes a JSON answer, naming `what` when it does not fit.
fn parse<T: serde::de::DeserializeOwned>(answer: &Answer, what: &str) -> Result<T, ProviderError> {
    let body = answer.body.as_deref().unwrap_or_default();
    serde_json::from_slice(body).map_err(|e| ProviderError::BadResponse {
        detail: format!("{what} could not be read: {e}"),
    })
}

#[async_trait]
impl CloudConnector for AzureConnector {
    fn platform(&self) -> &'static str {
        "azure"
    }

    fn method(&self) -> &'static str {
        "Microsoft Emissions Impact Dashboard / Carbon Optimization"
    }

    fn publication_day(&self) -> u32 {
        19
    }

    /// Signs in, lists the subscriptions and asks for one month's summary of them, which
    /// proves the Carbon Optimization Reader role on each (three requests, plus one per
    /// further 100 subscriptions).
    async fn identify(
        &self,
        credentials: &CloudCredentials,
        meter: &CallMeter,
    ) -> Result<CloudEstate, ProviderError> {
        let principal = ServicePrincipal::from_credentials(credentials)?;
        let subscriptions = self.subscriptions(&principal, true, meter).await?;
        // Two months back is published whatever the day of the month.
        let probe = self
            .newest_possible_month()
            .checked_sub_months(chrono::Months::new(1))
            .expect("a month within chrono's range")
            .format("%Y-%m-%d")
            .to_string();
        let mut server_time = None;
        for block in subscriptions.chunks(MAX_SUBSCRIPTIONS_PER_REPORT) {
            let ids: Vec<&str> = block.iter().map(|s| s.id.as_str()).collect();
            let body = json!({
                "reportType": "MonthlySummaryReport",
                "subscriptionList": ids,
                "carbonScopeList": ["Scope1", "Scope2", "Scope3"],
                "dateRange": { "start": probe, "end": probe },
            });
            let (_, time) = self.report(&principal, body, meter).await?;
            server_time = time.or(server_time);
        }
        let count = subscriptions.len();
        Ok(CloudEstate {
            tenant_id: principal.tenant.clone(),
            name: format!(
                "Azure directory {} ({count} subscription{})",
                principal.tenant,
                if count == 1 { "" } else { "s" }
            ),
            accounts: subscriptions.into_iter().map(|s| s.id).collect(),
            server_time,
        })
    }

    /// One month and scope of the resource report, summed into rows (see the module
    /// documentation); `next` is `azure:v1:<YYYY-MM>:<scope>` for the month and scope after.
    async fn emissions(
        &self,
        credentials: &CloudCredentials,
        from: NaiveDate,
        to: NaiveDate,
        next: Option<&str>,
        meter: &CallMeter,
    ) -> Result<ReportPage, ProviderError> {
        let principal = ServicePrincipal::from_credentials(credentials)?;
        let from = report::first_of_month(from);
        // Listing the subscriptions first also reads Azure's clock, which decides the last
        // month worth asking for.
        let subscriptions = self
            .subscriptions(&principal, next.is_none(), meter)
            .await?;
        let last = report::first_of_month(to).min(self.newest_possible_month());
        let cursor = match next {
            None => Cursor {
                month: from,
                scope: 0,
            },
            Some(token) => {
                let cursor = Cursor::decode(token)?;
                if cursor.month < from || cursor.month > report::first_of_month(to) {
                    return Err(ProviderError::InvalidConfig {
                        detail: "the Azure page token belongs to another range of months: start \
                                 the read again"
                            .to_owned(),
                    });
                }
                cursor
            }
        };
        if cursor.month > last {
            return Ok(ReportPage {
                server_time: lock(&self.clock).map(|(time, _)| time),
                ..ReportPage::default()
            });
        }
        let (rows, server_time) = self
            .read_month_scope(&principal, &subscriptions, cursor, meter)
            .await?;
        Ok(ReportPage {
            rows,
            next: cursor.after(last).map(Cursor::encode),
            server_time,
        })
    }
}
