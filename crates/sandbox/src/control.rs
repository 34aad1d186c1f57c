//! The control API tests use to observe and steer the sandbox: counters, record changes,
//! injected faults and settings. It needs no token: it stands for "the world changing", not
//! for anything a Xero or QuickBooks client could do. (The QuickBooks record edits live in
//! `quickbooks::control`.)

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::AppState;
use crate::clock::now_ms;
use crate::company::{ChangeError, Op, Selection, Stamping, StreamName};
use crate::faults::{Fault, FaultSpec};
use crate::quickbooks::realm::Entity;
use crate::quickbooks::{COMPANY_NAME, REALM_ID};
use crate::stats::Stats;

/// Changing more than this many records in one call is surely a mistake in a test.
const MAX_CHANGE_COUNT: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_control/stats", get(stats))
        .route("/_control/stats/reset", post(reset_stats))
        .route("/_control/records/change", post(change_records))
        .route("/_control/records/delete", post(delete_records))
        .route(
            "/_control/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_control/settings", get(get_settings).post(set_settings))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// The JSON body, or why it could not be read (axum's message names the problem).
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, String> {
    payload.map(|Json(v)| v).map_err(|e| e.body_text())
}

async fn stats(State(app): State<AppState>) -> Response {
    let tenants: Vec<Value> = {
        let company = app.company();
        company
            .orgs
            .iter()
            .map(|org| {
                json!({
                    "tenantId": org.tenant_id,
                    "name": org.profile.name,
                    "currency": org.profile.currency,
                    "counts": {
                        "accounts": org.accounts.len(),
                        "bank_transactions": org.bank.records.len(),
                        "invoices": org.invoices.records.len(),
                        "credit_notes": org.credit_notes.records.len(),
                        "deleted": org.bank.deleted
                            + org.invoices.deleted
                            + org.credit_notes.deleted,
                    },
                })
            })
            .collect()
    };
    let quickbooks = quickbooks_stats(&app);
    let stats = app.stats();
    Json(json!({
        "tenants": tenants,
        "quickbooks": quickbooks,
        "calls": stats.calls_json(),
        "tokens": stats.tokens_json(),
        "rate_limited": stats.rate_limited,
    }))
    .into_response()
}

/// The QuickBooks company: `{"realmId", "name", "generated", "counts"}`. Counts (records a
/// query can see per entity, plus `deleted`, and the list sizes) are known once the company
/// has been built by its first use; reading stats does not build it.
fn quickbooks_stats(app: &AppState) -> Value {
    let counts = app.realm_if_built().map(|realm| {
        let (live, deleted) = realm.counts();
        let mut counts = serde_json::Map::new();
        for (entity, n) in Entity::ALL.iter().zip(live) {
            counts.insert(entity.name().to_owned(), json!(n));
        }
        counts.insert("deleted".into(), json!(deleted));
        counts.insert(
            "Account".into(),
            json!(crate::quickbooks::realm::chart::CHART.len()),
        );
        counts.insert("Vendor".into(), json!(realm.vendors.len()));
        Value::Object(counts)
    });
    json!({
        "realmId": REALM_ID,
        "name": COMPANY_NAME,
        "generated": counts.is_some(),
        "counts": counts,
    })
}

async fn reset_stats(State(app): State<AppState>) -> Response {
    *app.stats() = Stats::default();
    Json(json!({ "ok": true })).into_response()
}

/// The body of `/_control/records/change` and `/_control/records/delete`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordsRequest {
    #[serde(rename = "tenantId")]
    tenant_id: Uuid,
    /// `bank_transactions`, `invoices` or `credit_notes`.
    stream: String,
    count: Option<usize>,
    ids: Option<Vec<Uuid>>,
    /// Every selected record gets one identical fresh `UpdatedDateUTC`.
    #[serde(default)]
    same_updated: bool,
    /// Fresh stamps fall on whole seconds (millisecond part 000).
    #[serde(default)]
    whole_second: bool,
}

async fn change_records(
    State(app): State<AppState>,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
) -> Response {
    edit_records(&app, payload, Op::Change)
}

async fn delete_records(
    State(app): State<AppState>,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
) -> Response {
    edit_records(&app, payload, Op::Delete)
}

fn edit_records(
    app: &AppState,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
    op: Op,
) -> Response {
    let request = match body(payload) {
        Ok(r) => r,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let Some(stream) = StreamName::parse(&request.stream) else {
        return error(
            StatusCode::BAD_REQUEST,
            "stream must be bank_transactions, invoices or credit_notes",
        );
    };
    let selection = match (request.count, request.ids) {
        (Some(n), None) if n <= MAX_CHANGE_COUNT => Selection::Count(n),
        (Some(_), None) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("count may be at most {MAX_CHANGE_COUNT}"),
            )
        }
        (None, Some(ids)) if ids.len() <= MAX_CHANGE_COUNT => Selection::Ids(ids),
        (None, Some(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("ids may name at most {MAX_CHANGE_COUNT} records"),
            )
        }
        _ => return error(StatusCode::BAD_REQUEST, "give either count or ids"),
    };
    let stamping = Stamping {
        same_updated: request.same_updated,
        whole_second: request.whole_second,
    };
    let applied = app.company_mut().apply_stamped(
        request.tenant_id,
        stream,
        op,
        selection,
        now_ms(),
        stamping,
    );
    match applied {
        Ok(ids) => {
            app.persist();
            tracing::info!(
                ?op,
                ?stream,
                changed = ids.len(),
                "records edited through the control API"
            );
            Json(json!({ "ids": ids })).into_response()
        }
        Err(e @ (ChangeError::UnknownTenant(_) | ChangeError::UnknownId(_))) => {
            error(StatusCode::NOT_FOUND, e.to_string())
        }
    }
}

async fn list_faults(State(app): State<AppState>) -> Response {
    Json(json!({ "faults": app.faults().to_json() })).into_response()
}

async fn add_fault(
    State(app): State<AppState>,
    payload: Result<Json<FaultSpec>, JsonRejection>,
) -> Response {
    let spec = match body(payload) {
        Ok(spec) => spec,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    match Fault::from_spec(spec) {
        Ok(fault) => {
            let mut faults = app.faults();
            faults.add(fault);
            Json(json!({ "faults": faults.to_json() })).into_response()
        }
        Err(message) => error(StatusCode::BAD_REQUEST, message),
    }
}

async fn clear_faults(State(app): State<AppState>) -> Response {
    app.faults().clear();
    Json(json!({ "faults": [] })).into_response()
}

async fn get_settings(State(app): State<AppState>) -> Response {
    Json(app.settings().to_json()).into_response()
}

async fn set_settings(
    State(app): State<AppState>,
    payload: Result<Json<Value>, JsonRejection>,
) -> Response {
    let patch = match body(payload) {
        Ok(patch) => patch,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let (result, limit_changed, quickbooks_limit_changed) = {
        let mut settings = app.settings();
        let before = settings.rate_limit.clone();
        let quickbooks_before = settings.quickbooks_rate_limit.clone();
        let result = settings.apply_patch(&patch).map(|()| settings.to_json());
        (
            result,
            settings.rate_limit != before,
            settings.quickbooks_rate_limit != quickbooks_before,
        )
    };
    match result {
        Ok(current) => {
            if limit_changed {
                // Usage counted under the old limit would make the new one misleading.
                app.limiter().reset();
            }
            if quickbooks_limit_changed {
                app.quickbooks_limiter().reset();
            }
            app.persist();
            Json(current).into_response()
        }
        Err(message) => error(StatusCode::BAD_REQUEST, message),
    }
}
