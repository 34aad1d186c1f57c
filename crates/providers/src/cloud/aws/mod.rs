//! Amazon Web Services: the emissions the AWS Customer Carbon Footprint Tool publishes, read
//! through the AWS Sustainability API (`GetEstimatedCarbonEmissions`), and the bill beside them
//! from Cost Explorer (`GetCostAndUsage`), both with the official AWS SDK for Rust.
//!
//! - API reference: <https://docs.aws.amazon.com/sustainability/latest/APIReference/Welcome.html>
//! - Key concepts (unit MTCO2e, 1 g resolution, data back to January 2022, a month published
//!   by the 21st of the next): <https://docs.aws.amazon.com/sustainability/latest/userguide/key-concepts.html>
//! - Cost Explorer: <https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetCostAndUsage.html>
//!   (each request, each page, costs USD 0.01).
//!
//! Requests are signed with SigV4 by the SDK; its standard retry waits out throttling
//! (`ThrottlingException`, Cost Explorer's `LimitExceededException`) and transient failures,
//! and [`metering::Metering`] counts every attempt on the [`CallMeter`]. A refused key is
//! answered at once: the SDK retries `InvalidSignatureException` only when this computer's
//! clock is more than four minutes from AWS's (its clock-skew correction signs again at AWS's
//! time), which makes a request from a computer with a wrong clock succeed.

mod errors;
mod metering;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sdk_costexplorer::types::{DateInterval, GroupDefinition, GroupDefinitionType};
use aws_sdk_sustainability::config::SharedHttpClient;
use aws_sdk_sustainability::primitives::DateTime as AwsDateTime;
use aws_sdk_sustainability::types::{
    Dimension, EmissionsType, EmissionsUnit, EstimatedCarbonEmissions, TimeGranularity, TimePeriod,
};
use chrono::{Datelike, Months, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{
    exact_from_f64, Basis, CloudConnector, CloudCredentials, CloudEstate, CloudRegistration,
    CloudSettings, CredentialField, ReportPage, ReportedEmission, ReportedSpend, KG_PER_METRIC_TON,
};
use crate::http::{CallMeter, RetryPolicy};
use crate::ProviderError;
use errors::{build_error, sdk_error, Operation};
use metering::Metering;

/// The region requests are signed for when the connection names none: the Sustainability API
/// and Cost Explorer both answer in US East (N. Virginia).
pub const DEFAULT_REGION: &str = "us-east-1";

/// `MaxResults` of `GetEstimatedCarbonEmissions` (and its dimension values) is 1 to 5,000
/// (the service model's `MaxResults` range).
pub const MAX_PAGE_SIZE: u32 = 5000;

/// The first month AWS reports: "Carbon emissions data is available back to January 2022"
/// (key concepts, above). `identify` asks for the accounts seen since then.
fn first_reported_month() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).expect("a valid date")
}

/// What the AWS Sustainability API reports: metric tons of CO2e.
const UNIT: &str = "MTCO2e";

/// The Cost Explorer metric read as the bill: what each line cost when it was used, before
/// any amortisation of reservations or savings plans.
const COST_METRIC: &str = "UnblendedCost";

/// The per-scope emission types asked for, with the GHG Protocol scope and basis each one is.
/// AWS's totals (`TOTAL_LBM_CARBON_EMISSIONS`, `TOTAL_MBM_CARBON_EMISSIONS`) are not asked
/// for: the engine sums the scopes itself.
const SCOPES: [(EmissionsType, u8, Option<Basis>); 5] = [
    (EmissionsType::TotalScope1CarbonEmissions, 1, None),
    (
        EmissionsType::TotalScope2LbmCarbonEmissions,
        2,
        Some(Basis::Location),
    ),
    (
        EmissionsType::TotalScope2MbmCarbonEmissions,
        2,
        Some(Basis::Market),
    ),
    (
        EmissionsType::TotalScope3LbmCarbonEmissions,
        3,
        Some(Basis::Location),
    ),
    (
        EmissionsType::TotalScope3MbmCarbonEmissions,
        3,
        Some(Basis::Market),
    ),
];

const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: "access_key_id",
        label: "Access key ID",
        secret: false,
        optional: true,
        flag: "--access-key-id",
        help: "An access key of an IAM user (IAM console → Users → your user → Security \
               credentials → Create access key); it starts with AKIA. The user needs \
               sustainability:GetEstimatedCarbonEmissions, \
               sustainability:GetEstimatedCarbonEmissionsDimensionValues and ce:GetCostAndUsage. \
               Each Cost Explorer request costs USD 0.01: CarbonSync reads each month's bill \
               once, when the month is new, in one request (a further one for each page of a \
               bill with many services). Leave empty to use a profile instead.",
    },
    CredentialField {
        name: "secret_access_key",
        label: "Secret access key",
        secret: true,
        optional: true,
        flag: "",
        help: "Shown once, when the access key is created. Kept only in this computer's \
               keychain. Leave empty to use a profile instead.",
    },
    CredentialField {
        name: "session_token",
        label: "Session token",
        secret: true,
        optional: true,
        flag: "",
        help: "Only for temporary credentials (AWS STS, IAM Identity Center). They expire within \
               hours, and the connection then needs new ones; an access key of an IAM user does \
               not.",
    },
    CredentialField {
        name: "profile",
        label: "Profile",
        secret: false,
        optional: true,
        flag: "--profile",
        help: "A named profile from your AWS configuration (~/.aws/config and \
               ~/.aws/credentials, as the AWS CLI uses), used instead of an access key. It needs \
               the same permissions.",
    },
    CredentialField {
        name: "region",
        label: "Region",
        secret: false,
        optional: true,
        flag: "--region",
        help: "The region requests are signed for; us-east-1 when empty, where the \
               Sustainability API and Cost Explorer answer.",
    },
];

/// The connector's registration: the connect form, the builder and the names AWS bills under.
pub const REGISTRATION: CloudRegistration = CloudRegistration {
    platform: "aws",
    fields: FIELDS,
    build,
    supplier_unless: "",
    suppliers: &[
        "Amazon Web Services",
        "AWS",
        "Amazon Web Services EMEA SARL",
        "Amazon Web Services Inc",
    ],
};

fn build(settings: &CloudSettings) -> Result<Arc<dyn CloudConnector>, ProviderError> {
    Ok(Arc::new(AwsConnector::new(settings)?))
}

/// The AWS connector. Holds no credentials: each call builds its SDK clients from the
/// connection's (cheap; the HTTP client and its connections are shared).
#[derive(Debug)]
pub struct AwsConnector {
    /// Sustainability API endpoint override (`endpoints.api_base`); `None` lets the SDK
    /// resolve AWS's own.
    sustainability_url: Option<String>,
    /// Cost Explorer endpoint override (`endpoints.spend`).
    cost_explorer_url: Option<String>,
    sandbox: bool,
    page_size: i32,
    retry: RetryPolicy,
    /// The SDK's HTTP client, kept from the first call so later calls reuse its connections.
    http: Mutex<Option<SharedHttpClient>>,
}

/// One call's SDK clients.
struct Clients {
    sustainability: aws_sdk_sustainability::Client,
    cost_explorer: aws_sdk_costexplorer::Client,
}

impl AwsConnector {
    /// Errors: [`ProviderError::InvalidConfig`] for a page size outside 1–5,000 or no
    /// attempts allowed.
    pub fn new(settings: &CloudSettings) -> Result<Self, ProviderError> {
        if settings.page_size == 0 || settings.page_size > MAX_PAGE_SIZE {
            return Err(ProviderError::InvalidConfig {
                detail: format!(
                    "AWS page size must be between 1 and {MAX_PAGE_SIZE}, not {}",
                    settings.page_size
                ),
            });
        }
        if settings.retry.max_attempts == 0 {
            return Err(ProviderError::InvalidConfig {
                detail: "max_attempts must be at least 1".to_owned(),
            });
        }
        Ok(AwsConnector {
            sustainability_url: settings.endpoints.api_base.clone(),
            cost_explorer_url: settings.endpoints.spend.clone(),
            sandbox: settings.sandbox,
            page_size: settings.page_size as i32,
            retry: settings.retry.clone(),
            http: Mutex::new(None),
        })
    }

    /// The SDK clients for `credentials`: static keys when the connection has an access key
    /// id, else the named profile through the SDK's profile provider.
    async fn clients(&self, credentials: &CloudCredentials) -> Result<Clients, ProviderError> {
        let region = if self.sandbox {
            // The sandbox verifies signatures scoped to us-east-1 only.
            DEFAULT_REGION
        } else {
            credentials.get("region").unwrap_or(DEFAULT_REGION)
        };
        let retry = RetryConfig::standard()
            .with_max_attempts(self.retry.max_attempts)
            .with_initial_backoff(self.retry.base_backoff)
            .with_max_backoff(self.retry.max_wait);
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(60))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(retry)
            .timeout_config(timeouts);
        if self.sandbox {
            // The SDK compares each answer's `Date` with this machine's clock and, when they
            // are more than four minutes apart, retries a refused signature
            // (`InvalidSignatureException`) signed at AWS's time. The sandbox's `Date` is its
            // providers' clock, which its tests set months away from the real time: the
            // correction would retry every wrong secret, which real AWS answers once.
            loader = loader.disable_clock_skew_correction(true);
        }
        match (credentials.get("access_key_id"), credentials.get("profile")) {
            (Some(key_id), _) => {
                let secret = credentials.require("secret_access_key")?;
                loader = loader.credentials_provider(Credentials::new(
                    key_id.trim(),
                    secret.trim(),
                    credentials
                        .get("session_token")
                        .map(|t| t.trim().to_owned()),
                    None,
                    "CarbonSync connection",
                ));
            }
            (None, Some(profile)) => {
                // The profile's own credentials only: the SDK's default chain would go on to
                // the environment and the EC2 instance metadata service, and connect as
                // whoever those name.
                let profile = profile.trim();
                let provider = ProfileFileCredentialsProvider::builder()
                    .profile_name(profile)
                    .build();
                if let Err(e) = provider.provide_credentials().await {
                    // Not a refusal by AWS: the profile is missing or broken on this computer.
                    return Err(ProviderError::InvalidConfig {
                        detail: format!(
                            "the AWS profile \"{profile}\" gives no credentials ({}): check it \
                             in ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE and \
                             AWS_SHARED_CREDENTIALS_FILE), or connect with an access key",
                            std::error::Error::source(&e)
                                .map_or_else(|| e.to_string(), |s| format!("{e}: {s}"))
                        ),
                    });
                }
                loader = loader.profile_name(profile).credentials_provider(provider);
            }
            (None, None) => {
                return Err(ProviderError::InvalidConfig {
                    detail: "give an access key id (--access-key-id) and its secret, or a named \
                             profile (--profile); on the sandbox, give no field at all to use its \
                             own account"
                        .to_owned(),
                })
            }
        }
        let shared = self.http.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(http) = shared {
            loader = loader.http_client(http);
        }
        let config = loader.load().await;
        if let Some(http) = config.http_client() {
            self.http
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(http);
        }

        let mut sustainability = aws_sdk_sustainability::config::Builder::from(&config)
            // The service prefers SigV4a; plain SigV4 is what its endpoints also accept and
            // what the sandbox verifies.
            .auth_scheme_preference(sigv4_only());
        if let Some(url) = &self.sustainability_url {
            sustainability = sustainability.endpoint_url(url);
        }
        let mut cost_explorer = aws_sdk_costexplorer::config::Builder::from(&config);
        if let Some(url) = &self.cost_explorer_url {
            cost_explorer = cost_explorer.endpoint_url(url);
        }
        Ok(Clients {
            sustainability: aws_sdk_sustainability::Client::from_conf(sustainability.build()),
            cost_explorer: aws_sdk_costexplorer::Client::from_conf(cost_explorer.build()),
        })
    }
}

/// `[sigv4]` as an auth scheme preference. The element type (`AuthSchemeId`) is not
/// re-exported by the SDK crates, so it is left to inference from the preference's
/// `From<impl AsRef<[AuthSchemeId]>>`.
fn sigv4_only<T: From<&'static str>>() -> [T; 1] {
    [T::from("sigv4")]
}

/// Midnight UTC at the start of `date`, as the SDK's timestamp.
fn aws_time(date: NaiveDate) -> AwsDateTime {
    let secs = date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp();
    AwsDateTime::from_secs(secs)
}

/// First day of the month of `date`.
fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("every month has a first day")
}

/// First day of the month after `date`'s.
fn next_month(date: NaiveDate) -> NaiveDate {
    month_start(date)
        .checked_add_months(Months::new(1))
        .expect("months within the calendar")
}

/// `[from, to)` as the Sustainability API's time period: both ends are midnight UTC, the start
/// inclusive and the end exclusive (`TimePeriod`: "The end (exclusive) of the time period").
fn time_period(from: NaiveDate, to_exclusive: NaiveDate) -> Result<TimePeriod, ProviderError> {
    TimePeriod::builder()
        .start(aws_time(from))
        .end(aws_time(to_exclusive))
        .build()
        .map_err(build_error)
}

/// The reported rows of one `EstimatedCarbonEmissions`: one per scope (and basis). A value that
/// is not a finite number is skipped with a warning and the rest of the page kept, so one bad
/// number does not stop a sync; a unit other than MTCO2e fails the page, as converting it would
/// be a guess.
fn rows_of(result: &EstimatedCarbonEmissions) -> Result<Vec<ReportedEmission>, ProviderError> {
    let period = result
        .time_period()
        .ok_or_else(|| ProviderError::BadResponse {
            detail: "GetEstimatedCarbonEmissions: a result has no TimePeriod".to_owned(),
        })?;
    let start = chrono::DateTime::from_timestamp(period.start().secs(), 0).ok_or_else(|| {
        ProviderError::BadResponse {
            detail: "GetEstimatedCarbonEmissions: a result's TimePeriod is out of range".to_owned(),
        }
    })?;
    let month = month_start(start.date_naive());
    let dimension = |d: &Dimension| {
        result
            .dimensions_values()
            .get(d)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let account =
        dimension(&Dimension::UsageAccountId).ok_or_else(|| ProviderError::BadResponse {
            detail: format!(
                "GetEstimatedCarbonEmissions: a result of {} has no USAGE_ACCOUNT_ID",
                month.format("%Y-%m")
            ),
        })?;
    let service = dimension(&Dimension::Service).ok_or_else(|| ProviderError::BadResponse {
        detail: format!(
            "GetEstimatedCarbonEmissions: a result of {} for account {account} has no SERVICE",
            month.format("%Y-%m")
        ),
    })?;
    let region = dimension(&Dimension::Region);
    let model_version = Some(result.model_version().trim().to_owned()).filter(|v| !v.is_empty());

    let mut rows = Vec::with_capacity(SCOPES.len());
    for (kind, scope, basis) in &SCOPES {
        let Some(emissions) = result.emissions_values().get(kind) else {
            continue;
        };
        if *emissions.unit() != EmissionsUnit::MtCo2E {
            return Err(ProviderError::BadResponse {
                detail: format!(
                    "GetEstimatedCarbonEmissions: {kind} of {} is in {:?}, not {UNIT}",
                    month.format("%Y-%m"),
                    emissions.unit().as_str()
                ),
            });
        }
        let Some(value) = exact_from_f64(emissions.value()) else {
            tracing::warn!(
                month = %month.format("%Y-%m"),
                account = %account,
                service = %service,
                region = region.as_deref().unwrap_or(""),
                emissions_type = kind.as_str(),
                "AWS reported a value that is not a number; that row is left out"
            );
            continue;
        };
        rows.push(ReportedEmission {
            month,
            account: account.clone(),
            account_name: None,
            service: service.clone(),
            region: region.clone(),
            grouping: None,
            scope: *scope,
            // AWS's Scope 3 mixes categories (fuel- and energy-related activities, IT hardware,
            // buildings, equipment), so no single category is named.
            scope3_category: None,
            basis: *basis,
            // `normalize`: the product keeps the scale of the published text (0.00068 t is
            // 0.68000 kg); kg are written with no more decimals than the value needs.
            kg_co2e: (value * KG_PER_METRIC_TON).normalize(),
            reported_value: value,
            reported_unit: UNIT,
            model_version: model_version.clone(),
        });
    }
    Ok(rows)
}

#[async_trait]
impl CloudConnector for AwsConnector {
    fn platform(&self) -> &'static str {
        "aws"
    }

    fn method(&self) -> &'static str {
        "AWS Customer Carbon Footprint Tool (Sustainability API)"
    }

    /// "New data is published monthly by the 21st of the month following the usage" (key
    /// concepts, in the module's documentation).
    fn publication_day(&self) -> u32 {
        21
    }

    /// `GetEstimatedCarbonEmissionsDimensionValues` for `USAGE_ACCOUNT_ID` since January 2022:
    /// the accounts the keys can read, `MaxResults` the page size. The tenant is the access
    /// key id (or `profile:<name>`).
    async fn identify(
        &self,
        credentials: &CloudCredentials,
        meter: &CallMeter,
    ) -> Result<CloudEstate, ProviderError> {
        let clients = self.clients(credentials).await?;
        let period = time_period(first_reported_month(), next_month(Utc::now().date_naive()))?;
        let metering = Metering::new(meter);
        let mut accounts = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let answer = clients
                .sustainability
                .get_estimated_carbon_emissions_dimension_values()
                .time_period(period.clone())
                .dimensions(Dimension::UsageAccountId)
                .max_results(self.page_size)
                .set_next_token(next.take())
                .customize()
                .interceptor(metering.interceptor())
                .send()
                .await
                .map_err(|e| sdk_error(e, Operation::DimensionValues))?;
            accounts.extend(
                answer
                    .results()
                    .iter()
                    .filter(|e| *e.dimension() == Dimension::UsageAccountId)
                    .map(|e| e.value().trim().to_owned())
                    .filter(|v| !v.is_empty()),
            );
            next = answer.next_token().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        accounts.sort();
        accounts.dedup();
        let tenant_id = match credentials.get("access_key_id") {
            Some(key_id) => key_id.trim().to_owned(),
            None => format!("profile:{}", credentials.require("profile")?.trim()),
        };
        let name = match accounts.len() {
            1 => "AWS (1 account)".to_owned(),
            n => format!("AWS ({n} accounts)"),
        };
        Ok(CloudEstate {
            tenant_id,
            name,
            accounts,
            server_time: metering.server_time(),
        })
    }

    /// One page of `GetEstimatedCarbonEmissions`, monthly, grouped by account, region and
    /// service, with the five per-scope emission types; `MaxResults` is the page size and
    /// `next` the `NextToken` of the page before.
    async fn emissions(
        &self,
        credentials: &CloudCredentials,
        from: NaiveDate,
        to: NaiveDate,
        next: Option<&str>,
        meter: &CallMeter,
    ) -> Result<ReportPage, ProviderError> {
        let clients = self.clients(credentials).await?;
        let metering = Metering::new(meter);
        let mut request = clients
            .sustainability
            .get_estimated_carbon_emissions()
            .time_period(time_period(month_start(from), next_month(to))?)
            .granularity(TimeGranularity::Monthly)
            .group_by(Dimension::UsageAccountId)
            .group_by(Dimension::Region)
            .group_by(Dimension::Service)
            .max_results(self.page_size)
            .set_next_token(next.map(str::to_owned));
        for (kind, _, _) in &SCOPES {
            request = request.emissions_types(kind.clone());
        }
        let answer = request
            .customize()
            .interceptor(metering.interceptor())
            .send()
            .await
            .map_err(|e| sdk_error(e, Operation::Emissions))?;
        let mut rows = Vec::with_capacity(answer.results().len() * SCOPES.len());
        for result in answer.results() {
            rows.extend(rows_of(result)?);
        }
        Ok(ReportPage {
            rows,
            next: answer
                .next_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty()),
            server_time: metering.server_time(),
        })
    }

    /// Cost Explorer's `UnblendedCost` of `month` by service, every page read. Amounts are
    /// exact, from the decimal text Cost Explorer sends.
    async fn spend(
        &self,
        credentials: &CloudCredentials,
        month: NaiveDate,
        meter: &CallMeter,
    ) -> Result<Vec<ReportedSpend>, ProviderError> {
        let clients = self.clients(credentials).await?;
        let month = month_start(month);
        // DateInterval: start inclusive, end exclusive, both YYYY-MM-DD.
        let interval = DateInterval::builder()
            .start(month.format("%Y-%m-%d").to_string())
            .end(next_month(month).format("%Y-%m-%d").to_string())
            .build()
            .map_err(build_error)?;
        let metering = Metering::new(meter);
        let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        let mut next: Option<String> = None;
        loop {
            let answer = clients
                .cost_explorer
                .get_cost_and_usage()
                .time_period(interval.clone())
                .granularity(aws_sdk_costexplorer::types::Granularity::Monthly)
                .metrics(COST_METRIC)
                .group_by(
                    GroupDefinition::builder()
                        .r#type(GroupDefinitionType::Dimension)
                        .key("SERVICE")
                        .build(),
                )
                .set_next_page_token(next.take())
                .customize()
                .interceptor(metering.interceptor())
                .send()
                .await
                .map_err(|e| sdk_error(e, Operation::CostAndUsage))?;
            for result in answer.results_by_time() {
                for group in result.groups() {
                    let Some(service) = group.keys().first() else {
                        continue;
                    };
                    let Some(metric) = group.metrics().and_then(|m| m.get(COST_METRIC)) else {
                        continue;
                    };
                    let text = metric.amount().unwrap_or("0").trim();
                    let amount = text
                        .parse::<Decimal>()
                        .or_else(|_| Decimal::from_scientific(text))
                        .map_err(|_| ProviderError::BadResponse {
                            detail: format!(
                                "GetCostAndUsage: the {COST_METRIC} of {service} in {} is not a number",
                                month.format("%Y-%m")
                            ),
                        })?;
                    let currency = metric.unit().unwrap_or("USD").trim().to_owned();
                    *sums.entry((service.clone(), currency)).or_default() += amount;
                }
            }
            next = answer
                .next_page_token()
                .map(str::to_owned)
                .filter(|t| !t.is_empty());
            if next.is_none() {
                break;
            }
        }
        Ok(sums
            .into_iter()
            .map(|((service, currency), amount)| ReportedSpend {
                month,
                service,
                amount,
                currency,
            })
            .collect())
    }
}
