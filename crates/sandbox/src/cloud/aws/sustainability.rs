//! The AWS Sustainability API (restJson1, SigV4 service name `sustainability`):
//! `GetEstimatedCarbonEmissions` and `GetEstimatedCarbonEmissionsDimensionValues`.
//!
//! Request and answer members are those of the SDK's serializers (`TimePeriod`
//! `{Start, End}` as date-time strings, `GroupBy`, `FilterBy.Dimensions`, `EmissionsTypes`,
//! `Granularity`, `MaxResults` 1–5,000 with 1,000 by default, `NextToken`; answers `Results`
//! and `NextToken`). Errors: `ValidationException` (400) with the Smithy validation wording,
//! `SerializationException` (400) for a body that is not JSON.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use super::{error, fingerprint, gate, names, ok, page_offset, page_token, Protocol};
use crate::app::AppState;
use crate::cloud::estate::{Estate, Usage};
use crate::cloud::{month_date, Cloud};

/// `MaxResults` bounds and default (the service model's `MaxResults`: range 1–5,000,
/// default 1,000).
const MAX_RESULTS: i64 = 5000;
const DEFAULT_MAX_RESULTS: i64 = 1000;

/// The methodology version of a month published once; a restated month counts up the patch
/// number with each restatement (`v3.0.0` → `v3.0.1`).
const MODEL_VERSION: &str = "v3.0";

const DIMENSIONS: [&str; 3] = ["USAGE_ACCOUNT_ID", "REGION", "SERVICE"];

const EMISSIONS_TYPES: [&str; 7] = [
    "TOTAL_LBM_CARBON_EMISSIONS",
    "TOTAL_MBM_CARBON_EMISSIONS",
    "TOTAL_SCOPE_1_CARBON_EMISSIONS",
    "TOTAL_SCOPE_2_LBM_CARBON_EMISSIONS",
    "TOTAL_SCOPE_2_MBM_CARBON_EMISSIONS",
    "TOTAL_SCOPE_3_LBM_CARBON_EMISSIONS",
    "TOTAL_SCOPE_3_MBM_CARBON_EMISSIONS",
];

const GRANULARITIES: [&str; 5] = [
    "YEARLY_CALENDAR",
    "YEARLY_FISCAL",
    "QUARTERLY_CALENDAR",
    "QUARTERLY_FISCAL",
    "MONTHLY",
];

/// A refused request: `ValidationException` with this message.
struct Invalid(String);

impl Invalid {
    /// The Smithy validation wording (`1 validation error detected: Value … at '…' failed to
    /// satisfy constraint: …`).
    fn constraint(value: &str, member: &str, constraint: &str) -> Invalid {
        Invalid(format!(
            "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ))
    }

    fn missing(member: &str) -> Invalid {
        Invalid::constraint("null", member, "Member must not be null")
    }

    fn enum_value(value: &str, member: &str, allowed: &[&str]) -> Invalid {
        Invalid::constraint(
            &format!("'{value}'"),
            member,
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        )
    }
}

fn invalid(state: &AppState, reason: Invalid) -> Response {
    error(
        state,
        Protocol::RestJson1,
        StatusCode::BAD_REQUEST,
        "ValidationException",
        &reason.0,
        true,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Period {
    start: Option<Value>,
    end: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Filter {
    #[serde(default)]
    dimensions: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EmissionsRequest {
    time_period: Option<Period>,
    group_by: Option<Vec<String>>,
    filter_by: Option<Filter>,
    emissions_types: Option<Vec<String>>,
    granularity: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DimensionValuesRequest {
    time_period: Option<Period>,
    dimensions: Option<Vec<String>>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PeriodOut {
    start: String,
    end: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EmissionsOut {
    /// MTCO2e as the exact decimal text.
    value: Box<RawValue>,
    unit: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResultOut {
    time_period: PeriodOut,
    dimensions_values: BTreeMap<&'static str, String>,
    model_version: String,
    emissions_values: BTreeMap<&'static str, EmissionsOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EmissionsAnswer {
    results: Vec<ResultOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DimensionEntry {
    dimension: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DimensionValuesAnswer {
    results: Vec<DimensionEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// A timestamp member: a date-time string (the model's `timestampFormat: date-time`) or,
/// as some clients send, epoch seconds.
fn timestamp(value: &Value, member: &str) -> Result<DateTime<Utc>, Invalid> {
    let parsed = match value {
        Value::String(text) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Value::Number(n) => n
            .as_f64()
            .and_then(|secs| DateTime::from_timestamp(secs.floor() as i64, 0)),
        _ => None,
    };
    parsed.ok_or_else(|| {
        Invalid::constraint(
            &format!("'{value}'"),
            member,
            "Member must be an ISO-8601 date-time",
        )
    })
}

/// `[start, end)` of a request's `TimePeriod`.
fn period(period: Option<&Period>) -> Result<(DateTime<Utc>, DateTime<Utc>), Invalid> {
    let period = period.ok_or_else(|| Invalid::missing("timePeriod"))?;
    let start = timestamp(
        period
            .start
            .as_ref()
            .ok_or_else(|| Invalid::missing("timePeriod.start"))?,
        "timePeriod.start",
    )?;
    let end = timestamp(
        period
            .end
            .as_ref()
            .ok_or_else(|| Invalid::missing("timePeriod.end"))?,
        "timePeriod.end",
    )?;
    if start >= end {
        return Err(Invalid(
            "The start of the time period must be before its end.".to_owned(),
        ));
    }
    Ok((start, end))
}

fn max_results(value: Option<i64>) -> Result<usize, Invalid> {
    let n = value.unwrap_or(DEFAULT_MAX_RESULTS);
    if n < 1 {
        return Err(Invalid::constraint(
            &format!("'{n}'"),
            "maxResults",
            "Member must have value greater than or equal to 1",
        ));
    }
    if n > MAX_RESULTS {
        return Err(Invalid::constraint(
            &format!("'{n}'"),
            "maxResults",
            &format!("Member must have value less than or equal to {MAX_RESULTS}"),
        ));
    }
    Ok(n as usize)
}

/// The page offset of `token`, 0 without one.
fn offset(token: Option<&str>, fingerprint: &str) -> Result<usize, Invalid> {
    match token {
        None => Ok(0),
        Some(t) => page_offset(t, fingerprint).ok_or_else(|| {
            Invalid(
                "Invalid NextToken: it does not belong to this request; ask again without it."
                    .to_owned(),
            )
        }),
    }
}

/// The published months whose first day falls in `[start, end)` ("The range must include the
/// start date of a month for that month's data to be included in the response").
fn months_in(state: &AppState, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<u16> {
    let Some(through) = state.cloud().published_through(Cloud::Aws) else {
        return Vec::new();
    };
    (0..=through)
        .filter(|m| {
            let first = month_date(*m)
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc();
            first >= start && first < end
        })
        .collect()
}

/// The estate's names, looked up once a request.
struct Names {
    accounts: Vec<String>,
    services: Vec<String>,
    regions: Vec<String>,
}

impl Names {
    fn of(estate: &Estate) -> Names {
        let scale = estate.scale;
        Names {
            accounts: (0..scale.accounts as u16).map(names::account_id).collect(),
            services: (0..scale.services as u16)
                .map(names::service_code)
                .collect(),
            regions: (0..scale.regions as u16).map(names::region).collect(),
        }
    }

    /// The indices whose name is among `wanted`, for a `FilterBy` dimension.
    fn indices(names: &[String], wanted: &[String]) -> BTreeSet<u16> {
        names
            .iter()
            .enumerate()
            .filter(|(_, n)| wanted.contains(n))
            .map(|(i, _)| i as u16)
            .collect()
    }
}

/// One result row: a month and the grouped dimensions (`None` where not grouped by).
type GroupKey = (u16, Option<u16>, Option<u16>, Option<u16>);

fn first_of(month: u16) -> String {
    format!("{}T00:00:00Z", month_date(month).format("%Y-%m-%d"))
}

fn first_after(month: u16) -> String {
    let next = month_date(month)
        .checked_add_months(chrono::Months::new(1))
        .expect("months within the calendar");
    format!("{}T00:00:00Z", next.format("%Y-%m-%d"))
}

fn model_version(state: &AppState, month: u16) -> String {
    let revision = state
        .cloud()
        .restatement(Cloud::Aws, month)
        .map_or(0, |r| r.revision);
    format!("{MODEL_VERSION}.{revision}")
}

/// kg CO2e (grams exact) as MTCO2e text: exact, without trailing zeros.
fn mtco2e(kg: Decimal) -> Box<RawValue> {
    let tons = (kg / Decimal::ONE_THOUSAND).normalize();
    RawValue::from_string(tons.to_string()).expect("a decimal is a JSON number")
}

pub async fn emissions(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = "GetEstimatedCarbonEmissions";
    let (raw, request) =
        match admit::<EmissionsRequest>(&state, operation, &method, &uri, &headers, &body) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
    answer(
        &state,
        serve_emissions(&state, operation, &raw, request).await,
    )
}

/// What stands before an operation is served: the signature and throttle (`gate`), then the
/// body as JSON and as the operation's request. Returns both: the raw JSON is checked for
/// members the request type does not name.
fn admit<R: serde::de::DeserializeOwned>(
    state: &AppState,
    operation: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Value, R), Box<Response>> {
    gate(
        state,
        operation,
        Protocol::RestJson1,
        "sustainability",
        method,
        uri,
        headers,
        body,
    )?;
    let Ok(raw) = serde_json::from_slice::<Value>(body) else {
        return Err(Box::new(not_json(state)));
    };
    match serde_json::from_value(raw.clone()) {
        Ok(request) => Ok((raw, request)),
        Err(e) => {
            let reason = Invalid(format!("The request is not valid: {e}"));
            Err(Box::new(invalid(state, reason)))
        }
    }
}

/// The operation's answer, or its `ValidationException`.
fn answer(state: &AppState, served: Result<impl serde::Serialize, Invalid>) -> Response {
    match served {
        Ok(answer) => ok(state, Protocol::RestJson1, &answer),
        Err(reason) => invalid(state, reason),
    }
}

fn not_json(state: &AppState) -> Response {
    error(
        state,
        Protocol::RestJson1,
        StatusCode::BAD_REQUEST,
        "SerializationException",
        "The request body is not valid JSON.",
        true,
    )
}

async fn serve_emissions(
    state: &AppState,
    operation: &str,
    raw: &Value,
    request: EmissionsRequest,
) -> Result<EmissionsAnswer, Invalid> {
    let (start, end) = period(request.time_period.as_ref())?;
    let page = max_results(request.max_results)?;
    let granularity = request.granularity.as_deref().unwrap_or("MONTHLY");
    if !GRANULARITIES.contains(&granularity) {
        return Err(Invalid::enum_value(
            granularity,
            "granularity",
            &GRANULARITIES,
        ));
    }
    if granularity != "MONTHLY" {
        return Err(Invalid(format!(
            "This sandbox serves MONTHLY granularity only, not {granularity}."
        )));
    }
    let group_by = request.group_by.unwrap_or_default();
    for d in &group_by {
        if !DIMENSIONS.contains(&d.as_str()) {
            return Err(Invalid::enum_value(d, "groupBy", &DIMENSIONS));
        }
    }
    let by = |d: &str| group_by.iter().any(|g| g == d);
    let (by_account, by_region, by_service) = (by("USAGE_ACCOUNT_ID"), by("REGION"), by("SERVICE"));
    let mut types: Vec<&'static str> = Vec::new();
    match request.emissions_types {
        None => types.extend(&EMISSIONS_TYPES[..2]),
        Some(asked) => {
            for t in &asked {
                let Some(known) = EMISSIONS_TYPES.iter().find(|k| **k == t.as_str()) else {
                    return Err(Invalid::enum_value(t, "emissionsTypes", &EMISSIONS_TYPES));
                };
                if !types.contains(known) {
                    types.push(known);
                }
            }
        }
    }
    let filter = request.filter_by.unwrap_or_default();
    for d in filter.dimensions.keys() {
        if !DIMENSIONS.contains(&d.as_str()) {
            return Err(Invalid::enum_value(d, "filterBy.dimensions", &DIMENSIONS));
        }
    }
    let fingerprint = fingerprint(operation, raw, &["NextToken", "MaxResults"]);
    let offset = offset(request.next_token.as_deref(), &fingerprint)?;

    let cloud = state.cloud();
    let estate = cloud.estate(Cloud::Aws).await;
    let names = Names::of(&estate);
    let only = |d: &str, names: &[String]| {
        filter
            .dimensions
            .get(d)
            .map(|wanted| Names::indices(names, wanted))
    };
    let accounts = only("USAGE_ACCOUNT_ID", &names.accounts);
    let services = only("SERVICE", &names.services);
    let regions = only("REGION", &names.regions);
    let months = months_in(state, start, end);
    let rows = months.iter().flat_map(|m| estate.month(*m)).filter(|u| {
        accounts.as_ref().is_none_or(|s| s.contains(&u.account))
            && services.as_ref().is_none_or(|s| s.contains(&u.service))
            && regions.as_ref().is_none_or(|s| s.contains(&u.region))
    });
    let key = |u: &Usage| -> GroupKey {
        (
            u.month,
            by_account.then_some(u.account),
            by_service.then_some(u.service),
            by_region.then_some(u.region),
        )
    };

    // One page of groups, one more to know whether another page follows. Grouped by all
    // three dimensions, each usage row is its own group (the estate has one row per month,
    // account, service and region, in that order), so nothing needs gathering first.
    let mut groups: Vec<(GroupKey, Vec<&Usage>)> = if by_account && by_region && by_service {
        rows.skip(offset)
            .take(page + 1)
            .map(|u| (key(u), vec![u]))
            .collect()
    } else {
        let mut gathered: BTreeMap<GroupKey, Vec<&Usage>> = BTreeMap::new();
        for u in rows {
            gathered.entry(key(u)).or_default().push(u);
        }
        gathered.into_iter().skip(offset).take(page + 1).collect()
    };
    let next_token = (groups.len() > page).then(|| page_token(offset + page, &fingerprint));
    groups.truncate(page);

    let results = groups
        .into_iter()
        .map(|((month, account, service, region), usage)| {
            let sum = |f: fn(&Usage) -> Decimal| -> Decimal {
                usage
                    .iter()
                    .map(|u| cloud.published(Cloud::Aws, month, f(u)))
                    .sum()
            };
            let s1 = sum(|u| u.scope1);
            let s2l = sum(|u| u.scope2_location);
            let s2m = sum(|u| u.scope2_market);
            let s3l = sum(|u| u.scope3_location);
            let s3m = sum(|u| u.scope3_market);
            let emissions_values = types
                .iter()
                .map(|t| {
                    let kg = match *t {
                        "TOTAL_LBM_CARBON_EMISSIONS" => s1 + s2l + s3l,
                        "TOTAL_MBM_CARBON_EMISSIONS" => s1 + s2m + s3m,
                        "TOTAL_SCOPE_1_CARBON_EMISSIONS" => s1,
                        "TOTAL_SCOPE_2_LBM_CARBON_EMISSIONS" => s2l,
                        "TOTAL_SCOPE_2_MBM_CARBON_EMISSIONS" => s2m,
                        "TOTAL_SCOPE_3_LBM_CARBON_EMISSIONS" => s3l,
                        _ => s3m,
                    };
                    (
                        *t,
                        EmissionsOut {
                            value: mtco2e(kg),
                            unit: "MTCO2e",
                        },
                    )
                })
                .collect();
            let mut dimensions_values = BTreeMap::new();
            if let Some(a) = account {
                dimensions_values
                    .insert("USAGE_ACCOUNT_ID", names.accounts[usize::from(a)].clone());
            }
            if let Some(r) = region {
                dimensions_values.insert("REGION", names.regions[usize::from(r)].clone());
            }
            if let Some(s) = service {
                dimensions_values.insert("SERVICE", names.services[usize::from(s)].clone());
            }
            ResultOut {
                time_period: PeriodOut {
                    start: first_of(month),
                    end: first_after(month),
                },
                dimensions_values,
                model_version: model_version(state, month),
                emissions_values,
            }
        })
        .collect();
    Ok(EmissionsAnswer {
        results,
        next_token,
    })
}

pub async fn dimension_values(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = "GetEstimatedCarbonEmissionsDimensionValues";
    let (raw, request) =
        match admit::<DimensionValuesRequest>(&state, operation, &method, &uri, &headers, &body) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
    answer(
        &state,
        serve_dimension_values(&state, operation, &raw, request).await,
    )
}

async fn serve_dimension_values(
    state: &AppState,
    operation: &str,
    raw: &Value,
    request: DimensionValuesRequest,
) -> Result<DimensionValuesAnswer, Invalid> {
    let (start, end) = period(request.time_period.as_ref())?;
    let page = max_results(request.max_results)?;
    let asked = request
        .dimensions
        .ok_or_else(|| Invalid::missing("dimensions"))?;
    let mut dimensions: Vec<&'static str> = Vec::new();
    for d in &asked {
        let Some(known) = DIMENSIONS.iter().find(|k| **k == d.as_str()) else {
            return Err(Invalid::enum_value(d, "dimensions", &DIMENSIONS));
        };
        if !dimensions.contains(known) {
            dimensions.push(known);
        }
    }
    if dimensions.is_empty() {
        return Err(Invalid::constraint(
            "'[]'",
            "dimensions",
            "Member must have length greater than or equal to 1",
        ));
    }
    let fingerprint = fingerprint(operation, raw, &["NextToken", "MaxResults"]);
    let offset = offset(request.next_token.as_deref(), &fingerprint)?;

    let estate = state.cloud().estate(Cloud::Aws).await;
    let names = Names::of(&estate);
    let months = months_in(state, start, end);
    let mut used: [BTreeSet<u16>; 3] = Default::default();
    for u in months.iter().flat_map(|m| estate.month(*m)) {
        used[0].insert(u.account);
        used[1].insert(u.region);
        used[2].insert(u.service);
    }
    let mut entries = Vec::new();
    for d in dimensions {
        let (set, table) = match d {
            "USAGE_ACCOUNT_ID" => (&used[0], &names.accounts),
            "REGION" => (&used[1], &names.regions),
            _ => (&used[2], &names.services),
        };
        let mut values: Vec<&String> = set.iter().map(|i| &table[usize::from(*i)]).collect();
        values.sort();
        entries.extend(values.into_iter().map(|v| DimensionEntry {
            dimension: d,
            value: v.clone(),
        }));
    }
    let next_token =
        (entries.len() > offset + page).then(|| page_token(offset + page, &fingerprint));
    let results = entries.into_iter().skip(offset).take(page).collect();
    Ok(DimensionValuesAnswer {
        results,
        next_token,
    })
}
