//! `POST /azure/management/providers/Microsoft.Carbon/carbonEmissionReports?api-version=2025-04-01`:
//! the Carbon Optimization report API (`CarbonService_QueryCarbonEmissionReports`), as its
//! OpenAPI description for 2025-04-01 has it
//! (`specification/carbon/resource-manager/Microsoft.Carbon/Carbon/stable/2025-04-01/main.json`).
//!
//! Served: `OverallSummaryReport`, `MonthlySummaryReport` and `ItemDetailsReport` (by
//! `Subscription`, `ResourceGroup`, `Location`, `Resource` or `ResourceType`, ordered by any
//! `orderBy` column, `pageSize` 1–5000, an opaque `skipToken` that only fits the query it came
//! from). The `TopItems…` reports answer 400. Optional filters `resourceGroupUrlList`,
//! `resourceTypeList` and `locationList` apply.
//!
//! Rules checked as the description states them: `subscriptionList` (1–100 ids, lower case
//! compared), `carbonScopeList` (one or more of `Scope1`, `Scope2`, `Scope3`; the answer is
//! their sum), `dateRange` (first days of months, at most 12 months apart, and the same month
//! for `ItemDetailsReport`). Broken rules answer 400 `BadRequest` with a message naming the
//! field (the real service's validation wording is not published; the code is ARM's generic
//! one); a body that is not JSON answers 400 `InvalidRequestContent`.
//!
//! Access: every subscription is `Allowed` or `Denied` in `subscriptionAccessDecisionList`;
//! when none is allowed (the principal without the role) the answer is ARM's 403
//! `AuthorizationFailed`. Throttling (`/_control/cloud/azure/throttle`) answers 429 with
//! `Retry-After: 1` and ARM's `ResourceRequestsThrottled` body.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::arm::{api_version, authenticate, Caller};
use super::names::{self, Resource};
use super::{arm_error, finish};
use crate::app::AppState;
use crate::cloud::estate::{Estate, Usage};
use crate::cloud::{month_index, Cloud};

/// The api-versions of the report the stand-in answers.
pub const CARBON_API_VERSIONS: &[&str] = &["2025-04-01"];
/// `ItemDetailsQueryFilter.pageSize` maximum.
pub const MAX_PAGE_SIZE: u64 = 5000;
/// `subscriptionList` maximum.
pub const MAX_SUBSCRIPTIONS: usize = 100;

const SCOPE_NAMES: [&str; 3] = ["Scope1", "Scope2", "Scope3"];

/// The estate's number for `scope` (1–3): what Microsoft publishes, its market-based view.
fn scope_value(usage: &Usage, scope: u8) -> Decimal {
    match scope {
        1 => usage.scope1,
        2 => usage.scope2_market,
        _ => usage.scope3_market,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportType {
    Overall,
    Monthly,
    ItemDetails,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Subscription,
    ResourceGroup,
    Location,
    Resource,
    ResourceType,
}

impl Category {
    fn parse(text: &str) -> Option<Category> {
        Some(match text {
            "Subscription" => Category::Subscription,
            "ResourceGroup" => Category::ResourceGroup,
            "Location" => Category::Location,
            "Resource" => Category::Resource,
            "ResourceType" => Category::ResourceType,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Category::Subscription => "Subscription",
            Category::ResourceGroup => "ResourceGroup",
            Category::Location => "Location",
            Category::Resource => "Resource",
            Category::ResourceType => "ResourceType",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderBy {
    ItemName,
    Latest,
    Previous,
    Ratio,
    Change,
    ResourceGroup,
}

#[derive(Debug)]
struct Details {
    category: Category,
    order_by: OrderBy,
    descending: bool,
    page_size: usize,
    skip: Option<String>,
}

#[derive(Debug)]
struct ReportQuery {
    report: ReportType,
    subscriptions: Vec<String>,
    scopes: Vec<u8>,
    start: NaiveDate,
    end: NaiveDate,
    groups: Option<BTreeSet<String>>,
    kinds: Option<BTreeSet<String>>,
    locations: Option<BTreeSet<String>>,
    details: Option<Details>,
    /// What a `skipToken` is tied to: the query without its paging fields.
    fingerprint: String,
}

fn bad_request(state: &AppState, message: &str) -> Response {
    finish(
        state,
        arm_error(StatusCode::BAD_REQUEST, "BadRequest", message),
    )
}

fn strings(body: &Value, field: &str) -> Result<Option<Vec<String>>, String> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(|s| s.trim().to_ascii_lowercase())
                    .ok_or_else(|| format!("'{field}' must be a list of strings."))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("'{field}' must be a list of strings.")),
    }
}

fn month_of(body: &Value, field: &str) -> Result<NaiveDate, String> {
    let text = body
        .get("dateRange")
        .and_then(|d| d.get(field))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("'dateRange.{field}' is required."))?;
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'dateRange.{field}' must be a date in yyyy-MM-01 format."))?;
    if date.day() != 1 {
        return Err(format!(
            "'dateRange.{field}' must be the first day of a month (yyyy-MM-01): only the first \
             day of each month is accepted."
        ));
    }
    Ok(date)
}

fn months_between(start: NaiveDate, end: NaiveDate) -> i32 {
    (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32
}

/// Reads and checks a query body, as the 2025-04-01 description states its rules.
fn parse_query(body: &Value) -> Result<ReportQuery, String> {
    let report = match body.get("reportType").and_then(Value::as_str) {
        None => return Err("'reportType' is required.".to_owned()),
        Some("OverallSummaryReport") => ReportType::Overall,
        Some("MonthlySummaryReport") => ReportType::Monthly,
        Some("ItemDetailsReport") => ReportType::ItemDetails,
        Some(other @ ("TopItemsSummaryReport" | "TopItemsMonthlySummaryReport")) => {
            return Err(format!(
                "reportType '{other}' is not served by the CarbonSync sandbox; it serves \
                 OverallSummaryReport, MonthlySummaryReport and ItemDetailsReport."
            ))
        }
        Some(other) => {
            return Err(format!(
                "'{other}' is not a valid reportType. Valid values are OverallSummaryReport, \
                 MonthlySummaryReport, TopItemsSummaryReport, TopItemsMonthlySummaryReport, \
                 ItemDetailsReport."
            ))
        }
    };
    let subscriptions = strings(body, "subscriptionList")?
        .filter(|s| !s.is_empty())
        .ok_or("'subscriptionList' is required and must name at least one subscription.")?;
    if subscriptions.len() > MAX_SUBSCRIPTIONS {
        return Err(format!(
            "'subscriptionList' may name at most {MAX_SUBSCRIPTIONS} subscriptions; it names {}.",
            subscriptions.len()
        ));
    }
    let scope_texts: Vec<String> = match body.get("carbonScopeList") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).unwrap_or_default())
            .collect(),
        _ => {
            return Err(
                "'carbonScopeList' is required and must name at least one of Scope1, Scope2, \
                 Scope3."
                    .to_owned(),
            )
        }
    };
    let mut scopes = Vec::new();
    for text in &scope_texts {
        let scope = SCOPE_NAMES.iter().position(|s| s == text).ok_or_else(|| {
            format!(
                "'{text}' is not a valid carbon scope. Valid values are Scope1, Scope2, Scope3."
            )
        })?;
        let scope = scope as u8 + 1;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    let start = month_of(body, "start")?;
    let end = month_of(body, "end")?;
    if end < start {
        return Err("'dateRange.end' must not be before 'dateRange.start'.".to_owned());
    }
    if months_between(start, end) > 11 {
        return Err("'dateRange' must be within 12 months between start and end date.".to_owned());
    }
    let details = if report == ReportType::ItemDetails {
        if start != end {
            return Err(
                "ItemDetailsReport supports only one month of data at a time: 'dateRange.start' \
                 and 'dateRange.end' must be the same date."
                    .to_owned(),
            );
        }
        let category = body
            .get("categoryType")
            .and_then(Value::as_str)
            .and_then(Category::parse)
            .ok_or(
                "'categoryType' is required: one of Subscription, ResourceGroup, Location, \
                 Resource, ResourceType.",
            )?;
        let order_by = match body.get("orderBy").and_then(Value::as_str) {
            Some("ItemName") => OrderBy::ItemName,
            Some("LatestMonthEmissions") => OrderBy::Latest,
            Some("PreviousMonthEmissions") => OrderBy::Previous,
            Some("MonthOverMonthEmissionsChangeRatio") => OrderBy::Ratio,
            Some("MonthlyEmissionsChangeValue") => OrderBy::Change,
            Some("ResourceGroup") => OrderBy::ResourceGroup,
            _ => {
                return Err(
                    "'orderBy' is required: one of ItemName, LatestMonthEmissions, \
                     PreviousMonthEmissions, MonthOverMonthEmissionsChangeRatio, \
                     MonthlyEmissionsChangeValue, ResourceGroup."
                        .to_owned(),
                )
            }
        };
        let descending = match body.get("sortDirection").and_then(Value::as_str) {
            Some("Desc") => true,
            Some("Asc") => false,
            _ => return Err("'sortDirection' is required: Desc or Asc.".to_owned()),
        };
        let page_size = match body.get("pageSize").and_then(Value::as_u64) {
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n as usize,
            Some(n) => {
                return Err(format!(
                    "'pageSize' must be between 1 and {MAX_PAGE_SIZE}; it is {n}."
                ))
            }
            None => {
                return Err(format!(
                    "'pageSize' is required: a whole number between 1 and {MAX_PAGE_SIZE}."
                ))
            }
        };
        let skip = match body.get("skipToken") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("'skipToken' must be a string.".to_owned()),
        };
        Some(Details {
            category,
            order_by,
            descending,
            page_size,
            skip,
        })
    } else {
        None
    };
    let set = |field: &str| -> Result<Option<BTreeSet<String>>, String> {
        Ok(strings(body, field)?
            .filter(|l| !l.is_empty())
            .map(|l| l.into_iter().collect()))
    };
    let mut unpaged = body.clone();
    if let Some(object) = unpaged.as_object_mut() {
        object.remove("skipToken");
        object.remove("pageSize");
    }
    let fingerprint = hex(&Sha256::digest(unpaged.to_string().as_bytes())[..8]);
    Ok(ReportQuery {
        report,
        subscriptions,
        scopes,
        start,
        end,
        groups: set("resourceGroupUrlList")?,
        kinds: set("resourceTypeList")?,
        locations: set("locationList")?,
        details,
        fingerprint,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One resource's emissions in one month, for the scopes asked.
struct Emitting {
    resource: Resource,
    kg: Decimal,
}

/// Every resource of the allowed accounts that emitted in `month` (a date), filtered as the
/// query asks. Empty for a month outside the estate or not yet published.
fn month_items(
    state: &AppState,
    estate: &Estate,
    month: NaiveDate,
    query: &ReportQuery,
    allowed: &BTreeSet<u16>,
) -> Vec<Emitting> {
    let cloud = state.cloud();
    let Some(m) = month_index(month) else {
        return Vec::new();
    };
    if usize::from(m) >= crate::company::calendar::MONTHS
        || cloud.published_through(Cloud::Azure).is_none_or(|p| m > p)
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    for usage in estate.month(m) {
        if !allowed.contains(&usage.account) {
            continue;
        }
        let resources = names::resources(usage.account, usage.service, usage.region);
        let first = &resources[0];
        let group_url = format!(
            "/subscriptions/{}/resourcegroups/{}",
            first.subscription, first.group
        );
        if query
            .groups
            .as_ref()
            .is_some_and(|g| !g.contains(&group_url))
            || query
                .kinds
                .as_ref()
                .is_some_and(|k| !k.contains(&first.kind))
            || query
                .locations
                .as_ref()
                .is_some_and(|l| !l.contains(&first.location))
        {
            continue;
        }
        let weights: Vec<u64> = resources.iter().map(|r| r.weight).collect();
        let mut kg = vec![Decimal::ZERO; resources.len()];
        for &scope in &query.scopes {
            let published = cloud.published(Cloud::Azure, m, scope_value(usage, scope));
            for (total, part) in kg.iter_mut().zip(names::split(published, &weights)) {
                *total += part;
            }
        }
        out.extend(
            resources
                .into_iter()
                .zip(kg)
                .map(|(resource, kg)| Emitting { resource, kg }),
        );
    }
    out
}

fn previous_month(month: NaiveDate) -> Option<NaiveDate> {
    month.checked_sub_months(chrono::Months::new(1))
}

fn num(value: Decimal) -> Box<RawValue> {
    RawValue::from_string(value.normalize().to_string()).expect("a decimal is a JSON number")
}

/// One item of `value`, with its numbers written exactly.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DataOut {
    data_type: &'static str,
    latest_month_emissions: Box<RawValue>,
    previous_month_emissions: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    month_over_month_emissions_change_ratio: Option<Box<RawValue>>,
    monthly_emissions_change_value: Box<RawValue>,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

impl DataOut {
    fn new(
        data_type: &'static str,
        latest: Decimal,
        previous: Decimal,
        fields: Map<String, Value>,
    ) -> Self {
        DataOut {
            data_type,
            latest_month_emissions: num(latest),
            previous_month_emissions: num(previous),
            month_over_month_emissions_change_ratio: ratio(latest, previous).map(num),
            monthly_emissions_change_value: num(latest - previous),
            fields,
        }
    }
}

fn ratio(latest: Decimal, previous: Decimal) -> Option<Decimal> {
    (previous > Decimal::ZERO).then(|| ((latest - previous) / previous).round_dp(6))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListOut {
    subscription_access_decision_list: Vec<Value>,
    value: Vec<DataOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_token: Option<String>,
}

/// An item of an `ItemDetailsReport` before it is ordered and paged.
struct Row {
    name: String,
    /// Breaks ties, so every order is total and pages never overlap.
    key: String,
    group: String,
    latest: Decimal,
    previous: Decimal,
    data_type: &'static str,
    fields: Map<String, Value>,
}

fn group_key(
    category: Category,
    r: &Resource,
) -> (String, String, &'static str, Map<String, Value>) {
    let mut fields = Map::new();
    fields.insert("categoryType".to_owned(), json!(category.name()));
    let (key, name, data_type) = match category {
        Category::Subscription => (
            r.subscription.clone(),
            r.subscription.clone(),
            "ItemDetailsData",
        ),
        Category::Location => (r.location.clone(), r.location.clone(), "ItemDetailsData"),
        Category::ResourceType => (r.kind.clone(), r.kind.clone(), "ItemDetailsData"),
        Category::ResourceGroup => {
            let url = format!(
                "/subscriptions/{}/resourcegroups/{}",
                r.subscription, r.group
            );
            fields.insert("subscriptionId".to_owned(), json!(r.subscription));
            fields.insert("resourceGroupUrl".to_owned(), json!(url));
            (url, r.group.clone(), "ResourceGroupItemDetailsData")
        }
        Category::Resource => {
            fields.insert("subscriptionId".to_owned(), json!(r.subscription));
            fields.insert("resourceGroup".to_owned(), json!(r.group));
            fields.insert("resourceId".to_owned(), json!(r.id));
            fields.insert("location".to_owned(), json!(r.location));
            fields.insert("resourceType".to_owned(), json!(r.kind));
            (
                r.id.to_ascii_lowercase(),
                r.name.clone(),
                "ResourceItemDetailsData",
            )
        }
    };
    fields.insert("itemName".to_owned(), json!(name));
    (key, name, data_type, fields)
}

/// The items of an `ItemDetailsReport`, ordered; `Err` for a skip token that does not fit.
fn item_details(
    state: &AppState,
    estate: &Estate,
    query: &ReportQuery,
    details: &Details,
    allowed: &BTreeSet<u16>,
) -> Result<(Vec<DataOut>, Option<String>), String> {
    let latest = month_items(state, estate, query.start, query, allowed);
    let previous = previous_month(query.start)
        .map(|m| month_items(state, estate, m, query, allowed))
        .unwrap_or_default();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for item in &latest {
        let (key, name, data_type, fields) = group_key(details.category, &item.resource);
        rows.entry(key.clone())
            .or_insert_with(|| Row {
                name,
                key,
                group: item.resource.group.clone(),
                latest: Decimal::ZERO,
                previous: Decimal::ZERO,
                data_type,
                fields,
            })
            .latest += item.kg;
    }
    for item in &previous {
        let (key, ..) = group_key(details.category, &item.resource);
        if let Some(row) = rows.get_mut(&key) {
            row.previous += item.kg;
        }
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    let minus_one = Decimal::NEGATIVE_ONE;
    rows.sort_by(|a, b| {
        let primary = match details.order_by {
            OrderBy::ItemName => a.name.cmp(&b.name),
            OrderBy::Latest => a.latest.cmp(&b.latest),
            OrderBy::Previous => a.previous.cmp(&b.previous),
            OrderBy::Ratio => ratio(a.latest, a.previous)
                .unwrap_or(minus_one)
                .cmp(&ratio(b.latest, b.previous).unwrap_or(minus_one)),
            OrderBy::Change => (a.latest - a.previous).cmp(&(b.latest - b.previous)),
            OrderBy::ResourceGroup => a.group.cmp(&b.group).then_with(|| a.name.cmp(&b.name)),
        };
        primary.then_with(|| a.key.cmp(&b.key))
    });
    if details.descending {
        rows.reverse();
    }
    let offset = match &details.skip {
        None => 0,
        Some(token) => read_skip_token(token, &query.fingerprint)
            .filter(|o| *o <= rows.len())
            .ok_or_else(|| {
                "The skipToken is invalid: it does not belong to this query. Send the query \
                 again without it to start from the first page."
                    .to_owned()
            })?,
    };
    let end = (offset + details.page_size).min(rows.len());
    let next = (end < rows.len()).then(|| write_skip_token(end, &query.fingerprint));
    let page = rows
        .drain(offset..end)
        .map(|row| DataOut::new(row.data_type, row.latest, row.previous, row.fields))
        .collect();
    Ok((page, next))
}

fn write_skip_token(offset: usize, fingerprint: &str) -> String {
    STANDARD.encode(format!("{{\"o\":{offset},\"q\":\"{fingerprint}\"}}"))
}

fn read_skip_token(token: &str, fingerprint: &str) -> Option<usize> {
    let bytes = STANDARD.decode(token).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    if value.get("q")?.as_str()? != fingerprint {
        return None;
    }
    usize::try_from(value.get("o")?.as_u64()?).ok()
}

fn total(items: &[Emitting]) -> Decimal {
    items.iter().map(|i| i.kg).sum()
}

/// `MonthlySummaryData` for each published month of the range, newest first.
fn monthly(
    state: &AppState,
    estate: &Estate,
    query: &ReportQuery,
    allowed: &BTreeSet<u16>,
) -> Vec<DataOut> {
    let mut out = Vec::new();
    let mut month = query.end;
    while month >= query.start {
        let items = month_items(state, estate, month, query, allowed);
        if !items.is_empty() {
            let latest = total(&items);
            let previous = previous_month(month)
                .map(|m| total(&month_items(state, estate, m, query, allowed)))
                .unwrap_or_default();
            // kg per resource-hour of the month: the report's "per unit of normalized usage".
            let hours = Decimal::from(items.len() as u64 * 730);
            let intensity = (latest / hours).round_dp(6).to_f64().unwrap_or_default();
            let mut fields = Map::new();
            fields.insert(
                "date".to_owned(),
                json!(month.format("%Y-%m-%d").to_string()),
            );
            fields.insert("carbonIntensity".to_owned(), json!(intensity));
            out.push(DataOut::new("MonthlySummaryData", latest, previous, fields));
        }
        match previous_month(month) {
            Some(m) => month = m,
            None => break,
        }
    }
    out
}

/// The one `OverallSummaryData` of the range and of the range a month earlier.
fn overall(
    state: &AppState,
    estate: &Estate,
    query: &ReportQuery,
    allowed: &BTreeSet<u16>,
) -> Vec<DataOut> {
    let mut latest = Decimal::ZERO;
    let mut previous = Decimal::ZERO;
    let mut month = query.start;
    while month <= query.end {
        latest += total(&month_items(state, estate, month, query, allowed));
        if let Some(before) = previous_month(month) {
            previous += total(&month_items(state, estate, before, query, allowed));
        }
        month = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
    }
    vec![DataOut::new(
        "OverallSummaryData",
        latest,
        previous,
        Map::new(),
    )]
}

fn throttled(state: &AppState) -> Response {
    let mut response = arm_error(
        StatusCode::TOO_MANY_REQUESTS,
        "ResourceRequestsThrottled",
        "Number of requests for action 'Microsoft.Carbon/carbonEmissionReports/action' exceeded \
         the limit of '60' for time interval '00:01:00'. Please try again after '1' seconds.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    finish(state, response)
}

fn forbidden(state: &AppState, caller: &Caller) -> Response {
    finish(
        state,
        arm_error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            &format!(
                "The client '{}' with object id '{}' does not have authorization to perform \
                 action 'Microsoft.Carbon/carbonEmissionReports/action' over scope \
                 '/providers/Microsoft.Carbon' or the scope is invalid. If access was recently \
                 granted, please refresh your credentials.",
                caller.client_id, caller.object_id
            ),
        ),
    )
}

/// The handler: authentication, `api-version`, throttling, the body, access, the report.
pub async fn reports(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count_call("azure.carbonEmissionReports");
    let caller = match authenticate(&state, &headers) {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    if state.cloud().take_throttle(Cloud::Azure) {
        return throttled(&state);
    }
    if let Err(response) = api_version(
        &state,
        &params,
        CARBON_API_VERSIONS,
        Some("carbonEmissionReports"),
    ) {
        return response;
    }
    let body: Value =
        match serde_json::from_slice(&body) {
            Ok(value @ Value::Object(_)) => value,
            Ok(_) | Err(_) => return finish(
                &state,
                arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContent",
                    "The request content was invalid and could not be deserialized: expected a \
                     JSON object with the query parameters.",
                ),
            ),
        };
    let query = match parse_query(&body) {
        Ok(query) => query,
        Err(message) => return bad_request(&state, &message),
    };
    let estate = state.cloud().estate(Cloud::Azure).await;
    let accounts: BTreeMap<String, u16> = (0..estate.scale.accounts as u16)
        .map(|a| (names::subscription_id(a), a))
        .collect();
    let mut allowed = BTreeSet::new();
    let mut decisions = Vec::new();
    for id in &query.subscriptions {
        match accounts.get(id).filter(|_| caller.has_role) {
            Some(account) => {
                allowed.insert(*account);
                decisions.push(json!({ "subscriptionId": id, "decision": "Allowed" }));
            }
            None => decisions.push(json!({
                "subscriptionId": id,
                "decision": "Denied",
                "denialReason": "Carbon Optimization Reader permission required",
            })),
        }
    }
    if allowed.is_empty() {
        return forbidden(&state, &caller);
    }
    let (value, skip_token) = match (query.report, &query.details) {
        (ReportType::ItemDetails, Some(details)) => {
            match item_details(&state, &estate, &query, details, &allowed) {
                Ok(page) => page,
                Err(message) => return bad_request(&state, &message),
            }
        }
        (ReportType::Monthly, _) => (monthly(&state, &estate, &query, &allowed), None),
        _ => (overall(&state, &estate, &query, &allowed), None),
    };
    let out = ListOut {
        subscription_access_decision_list: decisions,
        value,
        skip_token,
    };
    let text = serde_json::to_string(&out).expect("a report serialises");
    finish(
        &state,
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            text,
        )
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_tokens_fit_only_their_query() {
        let token = write_skip_token(40, "abc");
        assert_eq!(read_skip_token(&token, "abc"), Some(40));
        assert_eq!(read_skip_token(&token, "abd"), None);
        assert_eq!(read_skip_token("not base64!", "abc"), None);
    }

    #[test]
    fn queries_are_checked_as_the_description_states() {
        let base = json!({
            "reportType": "ItemDetailsReport",
            "subscriptionList": ["00000000-0000-0000-0000-000000000000"],
            "carbonScopeList": ["Scope1"],
            "dateRange": { "start": "2024-05-01", "end": "2024-05-01" },
            "categoryType": "Resource", "orderBy": "ItemName", "sortDirection": "Asc",
            "pageSize": 100,
        });
        assert!(parse_query(&base).is_ok());
        let with = |field: &str, value: Value| {
            let mut body = base.clone();
            body[field] = value;
            parse_query(&body).unwrap_err()
        };
        assert!(with("pageSize", json!(5001)).contains("between 1 and 5000"));
        assert!(with(
            "dateRange",
            json!({"start": "2024-05-01", "end": "2024-06-01"})
        )
        .contains("same date"));
        assert!(with(
            "dateRange",
            json!({"start": "2024-05-02", "end": "2024-05-02"})
        )
        .contains("first day"));
        assert!(with("carbonScopeList", json!(["Scope4"])).contains("Scope4"));
        assert!(with("subscriptionList", json!([])).contains("subscriptionList"));
    }
}
