//! Test controls for the Salesforce org, under `/_control/salesforce`. Like the rest of
//! `/_control`, they need no token: they stand for the world changing (someone recalculating
//! or deleting a footprint, an administrator changing a policy), not for a client's calls.
//!
//! - `GET|POST /_control/salesforce/settings`: read or patch the settings (see [`Patch`]).
//! - `POST /_control/salesforce/records/change` and `/records/delete` with
//!   `{"object": "StnryAssetCrbnFtprnt", "ids": ["…"]}` or `{"object": …, "count": n}`, and
//!   optionally `"at": "<ISO 8601>"` (default: now) for the new `SystemModstamp` or the
//!   deletion time. Every record of one call gets the same time.
//! - `POST /_control/salesforce/sessions/expire`: ends every access token now.
//! - `GET /_control/salesforce/exports`: every `Scope3PcmtSummary` record, all fields.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::org::{ChangeError, Org, Selection};
use super::schema::{FieldType, ObjectKind};
use super::soql::Hidden;
use super::state::{SalesforceState, DEFAULT_BATCH_SIZE};
use super::time::{format_datetime, parse_datetime};
use super::API_VERSION;
use crate::auth::profile::Platform;
use crate::clock::now_ms;

/// Editing more than this many records in one call is surely a mistake in a test.
const MAX_CHANGE_COUNT: usize = 10_000;

pub fn routes() -> Router<SalesforceState> {
    Router::new()
        .route(
            "/_control/salesforce/settings",
            get(get_settings).post(set_settings),
        )
        .route("/_control/salesforce/records/change", post(change_records))
        .route("/_control/salesforce/records/delete", post(delete_records))
        .route(
            "/_control/salesforce/sessions/expire",
            post(expire_sessions),
        )
        .route("/_control/salesforce/exports", get(exports))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// A field given as `null` (`Some(None)`) apart from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /_control/salesforce/settings`: any of these, the rest left as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    /// Records per query batch, 1 to 2,000.
    batch_size: Option<usize>,
    /// API requests allowed per day.
    daily_api_limit: Option<u64>,
    /// API requests counted so far (0 resets the count).
    api_requests_used: Option<u64>,
    /// Whether a refresh answers a new refresh token and retires the old one.
    refresh_token_rotation: Option<bool>,
    /// `{"StnryAssetCrbnFtprnt": ["TotScope2MktBasedEmissions"]}`: the fields field-level
    /// security hides, replacing the current set.
    hidden_fields: Option<BTreeMap<String, Vec<String>>>,
    /// Where getDeleted's window starts (ISO 8601), or `null` for 15 days before now.
    #[serde(default, deserialize_with = "present")]
    earliest_deleted: Option<Option<String>>,
}

async fn get_settings(State(sf): State<SalesforceState>) -> Response {
    Json(sf.knobs().to_json(now_ms())).into_response()
}

/// Proper field names by object; unknown objects and fields, and the fields that cannot be
/// hidden (system fields and `Name`, which field-level security does not govern), refused.
fn hidden_fields(asked: BTreeMap<String, Vec<String>>) -> Result<Hidden, String> {
    let mut hidden = Hidden::new();
    for (object, fields) in asked {
        let kind = ObjectKind::parse(&object).ok_or(format!("unknown object {object}"))?;
        let def = kind.def();
        let mut names = BTreeSet::new();
        for field in fields {
            let own = def
                .fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(&field) && f.name != "Name")
                .ok_or(format!(
                    "{object}.{field} is not a field that field-level security can hide"
                ))?;
            names.insert(own.name);
        }
        hidden.insert(kind, names);
    }
    Ok(hidden)
}

async fn set_settings(
    State(sf): State<SalesforceState>,
    payload: Result<Json<Patch>, JsonRejection>,
) -> Response {
    let patch = match payload {
        Ok(Json(p)) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    if patch
        .batch_size
        .is_some_and(|n| !(1..=DEFAULT_BATCH_SIZE).contains(&n))
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("batch_size must be 1 to {DEFAULT_BATCH_SIZE}"),
        );
    }
    let hidden = match patch.hidden_fields.map(hidden_fields).transpose() {
        Ok(hidden) => hidden,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let earliest = match patch.earliest_deleted {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => match parse_datetime(&text) {
            Some(ms) => Some(Some(ms)),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "earliest_deleted must be an ISO 8601 dateTime or null",
                )
            }
        },
    };
    let mut knobs = sf.knobs();
    if let Some(n) = patch.batch_size {
        knobs.batch_size = n;
    }
    if let Some(n) = patch.daily_api_limit {
        knobs.daily_api_limit = n;
    }
    if let Some(n) = patch.api_requests_used {
        knobs.api_requests_used = n;
    }
    if let Some(on) = patch.refresh_token_rotation {
        knobs.refresh_token_rotation = on;
    }
    if let Some(hidden) = hidden {
        knobs.hidden_fields = hidden;
    }
    if let Some(earliest) = earliest {
        knobs.earliest_deleted_ms = earliest;
    }
    tracing::info!("Salesforce settings changed through the control API");
    Json(knobs.to_json(now_ms())).into_response()
}

/// `{"object": "…", "count": n | "ids": ["…"], "at": "<ISO 8601>"?, "set": {"Field": 12.5}?}`
/// (`set`, on a change only: new values of number fields, as someone editing the footprint
/// in the org would write them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordsRequest {
    object: String,
    count: Option<usize>,
    ids: Option<Vec<String>>,
    at: Option<String>,
    #[serde(default)]
    set: BTreeMap<String, rust_decimal::Decimal>,
}

#[derive(Clone, Copy, Debug)]
enum Edit {
    Change,
    Delete,
}

async fn change_records(
    State(sf): State<SalesforceState>,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
) -> Response {
    edit(&sf, payload, Edit::Change)
}

async fn delete_records(
    State(sf): State<SalesforceState>,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
) -> Response {
    edit(&sf, payload, Edit::Delete)
}

fn edit(
    sf: &SalesforceState,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
    how: Edit,
) -> Response {
    let request = match payload {
        Ok(Json(r)) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let Some(kind) = ObjectKind::parse(&request.object) else {
        let names: Vec<&str> = ObjectKind::ALL.iter().map(|k| k.name()).collect();
        return error(
            StatusCode::BAD_REQUEST,
            format!("object must be one of {}", names.join(", ")),
        );
    };
    let selection = match (request.count, request.ids) {
        (Some(n), None) if n <= MAX_CHANGE_COUNT => Selection::Count(n),
        (None, Some(ids)) if ids.len() <= MAX_CHANGE_COUNT => Selection::Ids(ids),
        (Some(_), None) | (None, Some(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("at most {MAX_CHANGE_COUNT} records per call"),
            )
        }
        _ => return error(StatusCode::BAD_REQUEST, "give either count or ids"),
    };
    let at = match request.at.as_deref().map(parse_datetime) {
        None => now_ms(),
        Some(Some(ms)) => ms,
        Some(None) => return error(StatusCode::BAD_REQUEST, "at must be an ISO 8601 dateTime"),
    };
    // Salesforce stamps whole seconds.
    let at = at - at.rem_euclid(1000);
    let mut values = Vec::new();
    for (field, value) in &request.set {
        let def = kind.def();
        match def.fields.iter().position(|f| f.name == field.as_str()) {
            Some(i) if matches!(def.fields[i].kind, FieldType::Double { .. }) => {
                values.push((i, *value))
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("set: {field} is not a number field of {}", kind.name()),
                )
            }
        }
    }
    let edited = {
        let mut org = sf.org();
        match how {
            Edit::Change => org.change(kind, &selection, at).inspect(|ids| {
                for id in ids {
                    org.set_numbers(kind, id, &values);
                }
            }),
            Edit::Delete => org.delete(kind, &selection, at),
        }
    };
    match edited {
        Ok(ids) => {
            tracing::info!(
                ?how,
                object = kind.name(),
                edited = ids.len(),
                "Salesforce records edited through the control API"
            );
            Json(json!({ "ids": ids, "at": format_datetime(at) })).into_response()
        }
        Err(e @ ChangeError::UnknownId(..)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ ChangeError::Deleted(..)) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

/// Ends every Salesforce session, as the org's session timeout or an administrator would;
/// answers how many were live.
async fn expire_sessions(State(sf): State<SalesforceState>) -> Response {
    let expired = sf
        .app
        .auth()
        .expire_access_on(Platform::Salesforce, now_ms());
    sf.app.persist();
    tracing::info!(
        expired,
        "Salesforce sessions expired through the control API"
    );
    Json(json!({ "expired": expired })).into_response()
}

/// What CarbonSync has exported: every live `Scope3PcmtSummary`, with all its fields.
async fn exports(State(sf): State<SalesforceState>) -> Response {
    let kind = ObjectKind::Scope3PcmtSummary;
    let columns = Org::all_columns(kind);
    let version = format!("v{API_VERSION}");
    let records: Vec<Value> = {
        let org = sf.org();
        org.table(kind)
            .rows
            .iter()
            .filter(|r| r.is_live())
            .map(|r| org.render(kind, r, &columns, &version))
            .collect()
    };
    Json(json!({ "totalSize": records.len(), "records": records })).into_response()
}
