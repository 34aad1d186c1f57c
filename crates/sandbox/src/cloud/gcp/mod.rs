//! The Google Cloud stand-in: a service account's token endpoint and BigQuery holding the
//! company's **Carbon Footprint export**, the only way Google publishes a customer's emissions
//! (<https://cloud.google.com/carbon-footprint/docs/export>).
//!
//! - `POST /gcp/token`: the service-account JWT-bearer grant ([`token`]). The assertion must be
//!   signed (RS256) by the sandbox's generated service account ([`account`]); a forged or
//!   unknown key is `400 {"error":"invalid_grant","error_description":"Invalid JWT Signature."}`.
//!   Access tokens are random and live an hour.
//! - `POST /gcp/bigquery/v2/projects/{projectId}/queries` and
//!   `GET /gcp/bigquery/v2/projects/{projectId}/queries/{jobId}`: BigQuery's `jobs.query` and
//!   `jobs.getQueryResults` over the one table [`TABLE_ID`] ([`bigquery`], [`sql`],
//!   [`export`]). Jobs run in project [`PROJECT`], location [`LOCATION`].
//! - `GET /_control/gcp/service-account-key`: the generated key file, for tests and the demo.
//!
//! Months are served up to the providers' clock's newest published month (Google publishes a
//! month on the 15th of the next); restated months carry the restated values and a carbon model
//! version one higher per restatement. Errors have Google's shape:
//! `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`.

pub mod account;
pub mod bigquery;
pub mod export;
pub mod sql;
pub mod token;

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::app::AppState;
use account::ServiceAccount;

/// The project the export (and the service account) live in, where queries run.
pub const PROJECT: &str = "cedar-finch-carbon";
/// The dataset the Carbon Footprint transfer writes to.
pub const DATASET: &str = "carbon_footprint_export";
/// The table the transfer creates.
pub const TABLE: &str = "carbon_footprint";
/// `project.dataset.table`, as the connect form takes it.
pub const TABLE_ID: &str = "cedar-finch-carbon.carbon_footprint_export.carbon_footprint";
/// The dataset's location (multi-region).
pub const LOCATION: &str = "EU";
/// The generated service account.
pub const SERVICE_ACCOUNT_EMAIL: &str =
    "carbonsync-reader@cedar-finch-carbon.iam.gserviceaccount.com";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gcp/token", post(token::token))
        .route(
            "/gcp/bigquery/v2/projects/{project}/queries",
            post(bigquery::query),
        )
        .route(
            "/gcp/bigquery/v2/projects/{project}/queries/{job}",
            get(bigquery::results),
        )
        .route(
            "/_control/gcp/service-account-key",
            get(service_account_key),
        )
}

/// The sandbox's own credentials for Google Cloud, by connect-form field name: the generated
/// key file and the export's table. Generates the key on first use (a second or so).
pub fn credentials(seed: u64) -> BTreeMap<String, String> {
    let account = ServiceAccount::for_seed(seed);
    BTreeMap::from([
        ("service_account_key".to_owned(), account.key_json.clone()),
        ("table".to_owned(), TABLE_ID.to_owned()),
    ])
}

/// `GET /_control/gcp/service-account-key`: the key file's JSON.
async fn service_account_key(State(state): State<AppState>) -> Response {
    let seed = state.opts.seed;
    match tokio::task::spawn_blocking(move || credentials(seed)).await {
        Ok(mut fields) => {
            let key = fields.remove("service_account_key").unwrap_or_default();
            let mut response = (StatusCode::OK, key).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "the service account could not be generated"})),
        )
            .into_response(),
    }
}

/// A JSON answer with the providers' clock as its `Date`.
pub fn respond(state: &AppState, status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let date = state
        .cloud()
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(value) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

/// Google's error envelope (`google.rpc.Status` in its JSON form with the v1 `errors` list).
pub fn google_error(
    state: &AppState,
    status: StatusCode,
    message: &str,
    errors: Value,
) -> Response {
    let rpc_status = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        _ => "INTERNAL",
    };
    respond(
        state,
        status,
        json!({"error": {
            "code": status.as_u16(),
            "message": message,
            "errors": errors,
            "status": rpc_status,
        }}),
    )
}
