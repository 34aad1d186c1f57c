//! Cost Explorer (awsJson1_1, SigV4 service name `ce`, `X-Amz-Target:
//! AWSInsightsIndexService.<Operation>`): `GetCostAndUsage` over the estate's monthly cost.
//!
//! Served: whole months (`TimePeriod` `Start` inclusive, `End` exclusive, `YYYY-MM-DD`) up to
//! the providers' clock, `MONTHLY` granularity, the cost metrics (`UnblendedCost` and the
//! others, which are all the same amount here: the estate has no reservations, savings plans
//! or credits), grouped by up to two of `SERVICE` (Cost Explorer's billing names),
//! `LINKED_ACCOUNT` and `REGION`, paged by `NextPageToken` every [`GROUPS_PER_PAGE`] groups.
//! A month not yet closed at the providers' clock is `Estimated`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{error, fingerprint, gate, names, ok, page_offset, page_token, Protocol};
use crate::app::AppState;
use crate::cloud::{month_date, month_index, Cloud};

const TARGET_PREFIX: &str = "AWSInsightsIndexService.";

/// Groups in one page of an answer. Cost Explorer does not let the caller choose; a small page
/// makes the sandbox's answers page as a big bill's do.
pub const GROUPS_PER_PAGE: usize = 20;

/// The cost metrics, all one amount in the sandbox.
const COST_METRICS: [&str; 5] = [
    "UnblendedCost",
    "BlendedCost",
    "AmortizedCost",
    "NetUnblendedCost",
    "NetAmortizedCost",
];

const GROUP_KEYS: [&str; 3] = ["SERVICE", "LINKED_ACCOUNT", "REGION"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Interval {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct GroupDefinition {
    #[serde(rename = "Type")]
    kind: Option<String>,
    key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    time_period: Option<Interval>,
    granularity: Option<String>,
    metrics: Option<Vec<String>>,
    group_by: Option<Vec<GroupDefinition>>,
    filter: Option<Value>,
    next_page_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct IntervalOut {
    start: String,
    end: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetricOut {
    amount: String,
    unit: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupOut {
    keys: Vec<String>,
    metrics: BTreeMap<String, MetricOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResultOut {
    time_period: IntervalOut,
    total: BTreeMap<String, MetricOut>,
    groups: Vec<GroupOut>,
    estimated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    group_definitions: Vec<GroupDefinition>,
    results_by_time: Vec<ResultOut>,
    dimension_value_attributes: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

/// A refused request: the error code and Cost Explorer's message.
struct Refused(&'static str, String);

fn validation(message: impl Into<String>) -> Refused {
    Refused("ValidationException", message.into())
}

pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let operation = target.strip_prefix(TARGET_PREFIX).unwrap_or_default();
    let counted = if operation.is_empty() {
        "unknown"
    } else {
        operation
    };
    if let Err(refused) = gate(
        &state,
        counted,
        Protocol::AwsJson11,
        "ce",
        &method,
        &uri,
        &headers,
        &body,
    ) {
        return *refused;
    }
    if operation != "GetCostAndUsage" {
        return error(
            &state,
            Protocol::AwsJson11,
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            "",
            false,
        );
    }
    let Ok(raw) = serde_json::from_slice::<Value>(&body) else {
        return error(
            &state,
            Protocol::AwsJson11,
            StatusCode::BAD_REQUEST,
            "SerializationException",
            "Start of structure or map found where not expected.",
            false,
        );
    };
    let result = match serde_json::from_value::<Request>(raw.clone()) {
        Ok(request) => get_cost_and_usage(&state, &raw, request).await,
        Err(e) => Err(validation(format!("The request is not valid: {e}"))),
    };
    match result {
        Ok(answer) => ok(&state, Protocol::AwsJson11, &answer),
        Err(Refused(code, message)) => error(
            &state,
            Protocol::AwsJson11,
            StatusCode::BAD_REQUEST,
            code,
            &message,
            true,
        ),
    }
}

fn date(value: Option<&str>, member: &str) -> Result<NaiveDate, Refused> {
    let text = value.ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at 'timePeriod.{member}' failed to satisfy constraint: Member must not be null"
        ))
    })?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        validation(format!(
            "{member} date is invalid: '{text}' is not YYYY-MM-DD"
        ))
    })
}

async fn get_cost_and_usage(
    state: &AppState,
    raw: &Value,
    request: Request,
) -> Result<Answer, Refused> {
    let period = request.time_period.ok_or_else(|| {
        validation("1 validation error detected: Value null at 'timePeriod' failed to satisfy constraint: Member must not be null")
    })?;
    let start = date(period.start.as_deref(), "start")?;
    let end = date(period.end.as_deref(), "end")?;
    if start >= end {
        return Err(validation(
            "Start date (inclusive) must be before end date (exclusive).",
        ));
    }
    let now = state.cloud().now().date_naive();
    if start > now {
        return Err(validation(
            "Start date must be equal to or no later than the current date.",
        ));
    }
    match request.granularity.as_deref() {
        Some("MONTHLY") => {}
        Some(other @ ("DAILY" | "HOURLY")) => {
            return Err(validation(format!(
                "This sandbox serves MONTHLY granularity only, not {other}."
            )))
        }
        Some(other) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [HOURLY, DAILY, MONTHLY]"
            )))
        }
        None => return Err(validation("Granularity is required.")),
    }
    let metrics = request.metrics.unwrap_or_default();
    if metrics.is_empty() {
        return Err(validation("Metrics is required."));
    }
    for m in &metrics {
        if !COST_METRICS.contains(&m.as_str()) {
            return Err(validation(format!(
                "Metrics {m} is not supported by this sandbox; ask for one of {}.",
                COST_METRICS.join(", ")
            )));
        }
    }
    if request.filter.is_some() {
        return Err(validation(
            "This sandbox does not filter: leave Filter out.",
        ));
    }
    let definitions = request.group_by.unwrap_or_default();
    if definitions.len() > 2 {
        return Err(validation("GroupBy supports up to two different groups."));
    }
    let mut keys = Vec::new();
    for d in &definitions {
        match (d.kind.as_deref(), d.key.as_deref()) {
            (Some("DIMENSION"), Some(key)) if GROUP_KEYS.contains(&key) => keys.push(key),
            (Some("DIMENSION"), Some(key)) => {
                return Err(validation(format!(
                    "Group Definition dimension is invalid. Valid values are {}. This sandbox does not group by {key}.",
                    GROUP_KEYS.join(", ")
                )))
            }
            _ => {
                return Err(validation(
                    "Group Definition type is invalid: this sandbox groups by DIMENSION only.",
                ))
            }
        }
    }
    let fingerprint = fingerprint("GetCostAndUsage", raw, &["NextPageToken"]);
    let offset = match request.next_page_token.as_deref() {
        None => 0,
        Some(token) => page_offset(token, &fingerprint).ok_or_else(|| {
            Refused(
                "InvalidNextTokenException",
                "The pagination token is invalid. Try again without a pagination token.".to_owned(),
            )
        })?,
    };

    // Whole months of the estate from start to end, up to the providers' current month.
    let first = month_index(start).unwrap_or(0);
    let last = month_index(now)
        .unwrap_or(0)
        .min(crate::company::calendar::MONTHS as u16 - 1);
    let months: Vec<u16> = (first..=last)
        .filter(|m| {
            let d = month_date(*m);
            d >= start && d < end
        })
        .collect();
    let estate = state.cloud().estate(Cloud::Aws).await;
    // (month, group keys) → cost, the groups in a stable order.
    let mut cost: BTreeMap<(u16, Vec<String>), Decimal> = BTreeMap::new();
    for m in &months {
        for u in estate.month(*m) {
            let group = keys
                .iter()
                .map(|k| match *k {
                    "SERVICE" => names::service_billing_name(u.service),
                    "LINKED_ACCOUNT" => names::account_id(u.account),
                    _ => names::region(u.region),
                })
                .collect();
            *cost.entry((*m, group)).or_default() += u.cost_usd;
        }
    }
    let metrics_of = |amount: Decimal| -> BTreeMap<String, MetricOut> {
        metrics
            .iter()
            .map(|m| {
                (
                    m.clone(),
                    MetricOut {
                        amount: amount.normalize().to_string(),
                        unit: "USD",
                    },
                )
            })
            .collect()
    };
    let result = |m: u16, total, groups| {
        let month = month_date(m);
        let next = month
            .checked_add_months(chrono::Months::new(1))
            .expect("months within the calendar");
        ResultOut {
            time_period: IntervalOut {
                start: month.format("%Y-%m-%d").to_string(),
                end: next.format("%Y-%m-%d").to_string(),
            },
            total,
            groups,
            estimated: next > now,
        }
    };

    if keys.is_empty() {
        // Ungrouped: one total a month, no paging.
        let results_by_time = months
            .iter()
            .map(|m| {
                let amount = cost.get(&(*m, Vec::new())).copied().unwrap_or_default();
                result(*m, metrics_of(amount), Vec::new())
            })
            .collect();
        return Ok(Answer {
            group_definitions: definitions,
            results_by_time,
            dimension_value_attributes: Vec::new(),
            next_page_token: None,
        });
    }
    let total_groups = cost.len();
    let mut by_month: BTreeMap<u16, Vec<GroupOut>> = BTreeMap::new();
    for ((m, group), amount) in cost.into_iter().skip(offset).take(GROUPS_PER_PAGE) {
        by_month.entry(m).or_default().push(GroupOut {
            keys: group,
            metrics: metrics_of(amount),
        });
    }
    let next_page_token = (total_groups > offset + GROUPS_PER_PAGE)
        .then(|| page_token(offset + GROUPS_PER_PAGE, &fingerprint));
    Ok(Answer {
        group_definitions: definitions,
        results_by_time: by_month
            .into_iter()
            .map(|(m, groups)| result(m, BTreeMap::new(), groups))
            .collect(),
        dimension_value_attributes: Vec::new(),
        next_page_token,
    })
}
