//! Cloud platforms that publish their own estimate of a customer's emissions (AWS, Azure,
//! Google Cloud): the interface their connectors implement, the platform-neutral rows they
//! return, and the registry that finds one by its catalogue id.
//!
//! These numbers are **reported**: imported as the provider publishes them, never
//! re-estimated (`docs/methodology.md`, "Provider-reported"). A connector turns the provider's
//! unit into kg CO2e exactly (AWS publishes MTCO2e: × 1,000) and keeps the provider's model
//! version with every row.
//!
//! Credentials are not OAuth grants: each platform names the fields a person enters once
//! ([`CredentialField`]); the application keeps them together as one keychain entry and hands
//! them back as [`CloudCredentials`] for every call.

pub mod aws;
pub mod azure;
pub mod gcp;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::http::{CallMeter, RetryPolicy};
use crate::ProviderError;

/// One field of a cloud platform's connect form, in the order it is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CredentialField {
    /// The key it is stored under (`secret_access_key`).
    pub name: &'static str,
    /// What the form calls it (`Secret access key`).
    pub label: &'static str,
    /// Read without echo, kept only in the keychain and never shown again.
    pub secret: bool,
    /// May be left empty.
    pub optional: bool,
    /// `--flag` of `carbonsync connect <platform>`. For a field that is not secret it takes the
    /// value; a secret field is read from the terminal without echo or from standard input,
    /// never from an argument, unless its flag is given, which then names a file to read it
    /// from once (a Google service-account key file; `""` when there is no such flag).
    pub flag: &'static str,
    /// A sentence under the field: where to find it, what it costs.
    pub help: &'static str,
}

/// The fields a person entered for one cloud connection, by [`CredentialField::name`]. Kept
/// as one JSON object in the keychain; `Debug` shows the field names only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudCredentials(BTreeMap<String, String>);

impl fmt::Debug for CloudCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl CloudCredentials {
    pub fn new(fields: BTreeMap<String, String>) -> Self {
        CloudCredentials(fields)
    }

    /// The field's value, `None` when it is missing or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The field's value, or [`ProviderError::InvalidConfig`] naming the missing field.
    pub fn require(&self, name: &str) -> Result<&str, ProviderError> {
        self.get(name).ok_or_else(|| ProviderError::InvalidConfig {
            detail: format!("the connection has no `{name}`: reconnect it"),
        })
    }

    /// The JSON object kept in the keychain.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a map of strings serialises")
    }

    /// Reads what [`CloudCredentials::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Self, ProviderError> {
        serde_json::from_str(text)
            .map(CloudCredentials)
            .map_err(|_| ProviderError::InvalidConfig {
                detail: "the keychain entry of this connection is not readable: reconnect it"
                    .to_owned(),
            })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// Location- or market-based (GHG Protocol Scope 2 Guidance): how electricity is counted.
/// Scope 1 has no such split; a provider's Scope 3 sometimes has one (AWS).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Location,
    Market,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Location => "location",
            Basis::Market => "market",
        }
    }

    pub fn parse(text: &str) -> Option<Basis> {
        match text {
            "location" => Some(Basis::Location),
            "market" => Some(Basis::Market),
            _ => None,
        }
    }

    /// `location-based`, as totals say it.
    pub fn label(self) -> &'static str {
        match self {
            Basis::Location => "location-based",
            Basis::Market => "market-based",
        }
    }
}

/// One number the provider reports: a month's emissions of one scope (and basis) for one
/// account, service and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedEmission {
    /// First day of the month reported.
    pub month: NaiveDate,
    /// AWS account id, Azure subscription id, Google Cloud project id.
    pub account: String,
    /// The account's name, when the provider gives one.
    pub account_name: Option<String>,
    /// The provider's name for the service (`AmazonEC2`, `Compute`, `Compute Engine`).
    pub service: String,
    /// The provider's region or location (`eu-west-1`, `westeurope`), when the row has one.
    pub region: Option<String>,
    /// Azure's resource group, Google's billing account: a grouping the provider adds.
    pub grouping: Option<String>,
    /// GHG Protocol scope: 1, 2 or 3.
    pub scope: u8,
    /// GHG Protocol Scope 3 category (1–15), when the provider says.
    pub scope3_category: Option<u8>,
    /// `None` when the number is the same under both bases (Scope 1, and any scope the
    /// provider does not split).
    pub basis: Option<Basis>,
    /// kg CO2e, exact: the provider's value converted from its unit by an exact factor.
    pub kg_co2e: Decimal,
    /// The provider's value as published, in `reported_unit`.
    pub reported_value: Decimal,
    /// The provider's unit (`MTCO2e`, `kgCO2e`).
    pub reported_unit: &'static str,
    /// The provider's model or methodology version (`carbon_model_version`, AWS
    /// `ModelVersion`), when it gives one.
    pub model_version: Option<String>,
}

impl ReportedEmission {
    /// What identifies the provider's row across syncs: a later number under the same key is
    /// a restatement. `month|account|service|region|grouping|scope|basis`.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.month.format("%Y-%m"),
            self.account,
            self.service,
            self.region.as_deref().unwrap_or(""),
            self.grouping.as_deref().unwrap_or(""),
            self.scope,
            self.basis.map(Basis::as_str).unwrap_or("")
        )
    }
}

/// Spend the provider bills for a month and service (AWS Cost Explorer), shown beside the
/// month's emissions; never turned into emissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedSpend {
    pub month: NaiveDate,
    pub service: String,
    /// Exact, in `currency`.
    pub amount: Decimal,
    /// ISO 4217.
    pub currency: String,
}

/// One page of a provider's report.
#[derive(Debug, Clone, Default)]
pub struct ReportPage {
    pub rows: Vec<ReportedEmission>,
    /// The provider's own token for the next page (`NextToken`, `skipToken`, `pageToken`),
    /// opaque; `None` on the last page.
    pub next: Option<String>,
    /// The provider's clock when it answered (its `Date` header): what "published by the
    /// 19th of the next month" is judged against.
    pub server_time: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a grant of keys reaches, found when they are first checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEstate {
    /// What identifies it across reconnects (the AWS access key's accounts, the Azure
    /// directory, the BigQuery table).
    pub tenant_id: String,
    /// What people call it.
    pub name: String,
    /// The accounts, subscriptions or projects the keys can read, when the provider lists them.
    pub accounts: Vec<String>,
    /// The provider's clock when it answered (the `Date` header of the call that checked the
    /// credentials): a sync judges which months are published by it, and reads its history
    /// back from it.
    pub server_time: Option<chrono::DateTime<chrono::Utc>>,
}

/// A cloud platform's API as the sync engine uses it. Calls take the connection's
/// credentials; they never store anything.
///
/// Months are first days of calendar months (UTC). A month the provider has not published yet
/// is simply absent from the rows; the engine decides whether that is "pending" from
/// [`CloudConnector::publication_day`].
#[async_trait]
pub trait CloudConnector: Send + Sync + std::fmt::Debug {
    /// The catalogue id (`aws`).
    fn platform(&self) -> &'static str;

    /// The provider's method, for the trail (`AWS Customer Carbon Footprint Tool`).
    fn method(&self) -> &'static str;

    /// The day of the following month by which the provider publishes a month (Azure: 19),
    /// from its documentation; before it, a month without rows is pending.
    fn publication_day(&self) -> u32;

    /// Checks the credentials with one cheap call and says what they reach.
    ///
    /// Errors: [`ProviderError::Unauthorized`] (or a platform error in words) for keys the
    /// provider refuses; nothing is stored by the caller then.
    async fn identify(
        &self,
        credentials: &CloudCredentials,
        meter: &CallMeter,
    ) -> Result<CloudEstate, ProviderError>;

    /// One page of the emissions reported for the months `from..=to`, starting at `next` (the
    /// token of the page before; `None` for the first).
    async fn emissions(
        &self,
        credentials: &CloudCredentials,
        from: NaiveDate,
        to: NaiveDate,
        next: Option<&str>,
        meter: &CallMeter,
    ) -> Result<ReportPage, ProviderError>;

    /// The provider's bill for `month` by service, where it has one to read (AWS Cost
    /// Explorer). One call per month; the default reads nothing.
    async fn spend(
        &self,
        _credentials: &CloudCredentials,
        _month: NaiveDate,
        _meter: &CallMeter,
    ) -> Result<Vec<ReportedSpend>, ProviderError> {
        Ok(Vec::new())
    }
}

/// How to build one cloud platform's connector.
#[derive(Debug, Clone)]
pub struct CloudSettings {
    /// Where its APIs are, absolute: the catalogue's `production` endpoints (or configured
    /// ones), or its `sandbox` paths resolved against the sandbox's base URL. An endpoint left
    /// out means the provider's own default (the AWS SDK resolves AWS's by region).
    pub endpoints: crate::Endpoints,
    /// The endpoints are the local sandbox's: its SigV4 region and such are fixed.
    pub sandbox: bool,
    pub page_size: u32,
    pub retry: RetryPolicy,
}

/// A cloud platform's entry in [`CLOUD_REGISTRY`].
pub struct CloudRegistration {
    /// The catalogue id.
    pub platform: &'static str,
    /// The connect form, in order.
    pub fields: &'static [CredentialField],
    /// Builds the connector; errors say which setting to change.
    pub build: fn(&CloudSettings) -> Result<Arc<dyn CloudConnector>, ProviderError>,
    /// Suppliers in accounting data whose bills this platform's reports cover (matched
    /// case-insensitively as whole words in the contact name): the default rows of the
    /// editable supplier-matching rules.
    pub suppliers: &'static [&'static str],
    /// Words that keep a line out although its supplier matches (whole words in the line's
    /// description, `""` for none): the same supplier's products this platform's reports do
    /// not cover (Google Workspace billed by Google Cloud EMEA, Microsoft 365 by Microsoft).
    pub supplier_unless: &'static str,
}

/// Every cloud platform that has a connector.
pub static CLOUD_REGISTRY: &[CloudRegistration] =
    &[aws::REGISTRATION, azure::REGISTRATION, gcp::REGISTRATION];

/// The registration of cloud platform `platform`, if it has a connector.
pub fn cloud_registration(platform: &str) -> Option<&'static CloudRegistration> {
    CLOUD_REGISTRY.iter().find(|r| r.platform == platform)
}

/// kg in a metric ton: AWS publishes MTCO2e.
pub const KG_PER_METRIC_TON: Decimal = Decimal::ONE_THOUSAND;

/// The exact decimal a JSON number was written as, from the `f64` an SDK parsed it into.
/// Rust prints the shortest text that reads back as the same `f64`, which for a number
/// published with up to 15 significant digits is the text that was published.
///
/// Errors: `None` for a value that is not finite.
pub fn exact_from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    let text = format!("{value}");
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&format!("{value:e}")).ok())
}
