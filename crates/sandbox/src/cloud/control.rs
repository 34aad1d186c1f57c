//! The cloud providers' test controls:
//!
//! - `POST /_control/cloud/clock` `{"now": "2025-01-25T00:00:00Z"}`: moves the providers'
//!   clock, which publishes (or un-publishes) months.
//! - `POST /_control/cloud/{platform}/restate` `{"month": "2024-06", "factor": "1.05"}`: the
//!   provider publishes the month again with every number × factor.
//! - `POST /_control/cloud/{platform}/throttle` `{"count": 2}`: the next `count` data requests
//!   are refused the way the provider throttles.
//! - `GET /_control/cloud/{platform}/credentials`: the sandbox's own keys for the platform,
//!   by connect-form field name (what `connect <platform> --sandbox` enters).
//! - `GET /_control/cloud/{platform}/totals`: the generated sums per published month, in
//!   kg CO2e, for tests to compare with what was synced.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::{month_date, month_index, Cloud, Restatement};
use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_control/cloud/clock", post(set_clock))
        .route("/_control/cloud/{platform}/restate", post(restate))
        .route("/_control/cloud/{platform}/throttle", post(throttle))
        .route("/_control/cloud/{platform}/totals", get(totals))
        .route("/_control/cloud/{platform}/credentials", get(credentials))
}

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": message.into() })),
    )
        .into_response()
}

fn unknown(platform: &str) -> Response {
    bad(format!("no cloud stand-in named {platform:?}"))
}

async fn credentials(State(state): State<AppState>, Path(platform): Path<String>) -> Response {
    let seed = state.cloud().seed();
    // Generating Google's key takes a second or so: off the async workers.
    let found =
        tokio::task::spawn_blocking(move || super::credentials(&platform, seed).ok_or(platform))
            .await
            .expect("generating sandbox credentials panicked");
    match found {
        Ok(fields) => Json(fields).into_response(),
        Err(platform) => unknown(&platform),
    }
}

#[derive(Deserialize)]
struct Clock {
    now: DateTime<Utc>,
}

async fn set_clock(State(state): State<AppState>, Json(clock): Json<Clock>) -> Response {
    state.cloud().control().now = clock.now;
    Json(json!({ "now": clock.now })).into_response()
}

#[derive(Deserialize)]
struct Restate {
    /// `2024-06`.
    month: String,
    factor: Decimal,
}

async fn restate(
    State(state): State<AppState>,
    Path(platform): Path<String>,
    Json(body): Json<Restate>,
) -> Response {
    let Some(cloud) = Cloud::parse(&platform) else {
        return unknown(&platform);
    };
    let Some(month) = NaiveDate::parse_from_str(&format!("{}-01", body.month), "%Y-%m-%d")
        .ok()
        .and_then(month_index)
        .filter(|m| usize::from(*m) < crate::company::calendar::MONTHS)
    else {
        return bad("month must be YYYY-MM within 2023-01..2024-12");
    };
    if body.factor <= Decimal::ZERO {
        return bad("factor must be positive");
    }
    let mut control = state.cloud().control();
    let entry = control
        .restated
        .entry((cloud, month))
        .or_insert(Restatement {
            factor: Decimal::ONE,
            revision: 0,
        });
    entry.factor *= body.factor;
    entry.revision += 1;
    Json(json!({ "month": body.month, "factor": entry.factor, "revision": entry.revision }))
        .into_response()
}

#[derive(Deserialize)]
struct Throttle {
    count: u32,
}

async fn throttle(
    State(state): State<AppState>,
    Path(platform): Path<String>,
    Json(body): Json<Throttle>,
) -> Response {
    let Some(cloud) = Cloud::parse(&platform) else {
        return unknown(&platform);
    };
    state.cloud().control().throttle.insert(cloud, body.count);
    Json(json!({ "throttle": body.count })).into_response()
}

/// Per published month: `{"2024-06": {"scope1": "…", "scope2_location": "…", …,
/// "total_location": "…", "total_market": "…", "cost_usd": "…", "rows": n}}`, restatements
/// applied.
async fn totals(State(state): State<AppState>, Path(platform): Path<String>) -> Response {
    let Some(cloud) = Cloud::parse(&platform) else {
        return unknown(&platform);
    };
    let cloud_state = state.cloud();
    let estate = cloud_state.estate(cloud).await;
    let Some(through) = cloud_state.published_through(cloud) else {
        return Json(json!({})).into_response();
    };
    let mut out = BTreeMap::new();
    for m in 0..=through {
        let rows = estate.month(m);
        let p = |f: fn(&super::estate::Usage) -> Decimal| -> Decimal {
            rows.iter()
                .map(|u| cloud_state.published(cloud, m, f(u)))
                .sum()
        };
        let s1 = p(|u| u.scope1);
        let s2l = p(|u| u.scope2_location);
        let s2m = p(|u| u.scope2_market);
        let s3l = p(|u| u.scope3_location);
        let s3m = p(|u| u.scope3_market);
        let cost: Decimal = rows.iter().map(|u| u.cost_usd).sum();
        out.insert(
            month_date(m).format("%Y-%m").to_string(),
            json!({
                "scope1": s1, "scope2_location": s2l, "scope2_market": s2m,
                "scope3_location": s3l, "scope3_market": s3m,
                "total_location": s1 + s2l + s3l, "total_market": s1 + s2m + s3m,
                "cost_usd": cost, "rows": rows.len(),
            }),
        );
    }
    Json(out).into_response()
}
