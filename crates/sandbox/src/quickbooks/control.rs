//! Test controls for the QuickBooks company: amend or delete records, as a bookkeeper would in
//! QuickBooks, so a client's incremental sync (by query or change data capture) has
//! something to pick up. Like the rest of `/_control`, they need no token.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::realm::{ChangeError, Entity, Selection};
use crate::app::AppState;
use crate::clock::now_ms;
use crate::company::Op;

/// Editing more than this many records in one call is surely a mistake in a test.
const MAX_CHANGE_COUNT: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_control/quickbooks/records/change", post(change_records))
        .route("/_control/quickbooks/records/delete", post(delete_records))
}

/// `{"entity": "Purchase" | "Bill" | "VendorCredit", "count": n | "ids": ["…"]}`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordsRequest {
    entity: String,
    count: Option<usize>,
    /// QuickBooks Ids are strings; numbers are taken too.
    ids: Option<Vec<Value>>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn change_records(
    State(app): State<AppState>,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
) -> Response {
    edit(&app, payload, Op::Change).await
}

async fn delete_records(
    State(app): State<AppState>,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
) -> Response {
    edit(&app, payload, Op::Delete).await
}

async fn edit(
    app: &AppState,
    payload: Result<Json<RecordsRequest>, JsonRejection>,
    op: Op,
) -> Response {
    let request = match payload {
        Ok(Json(r)) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let Some(entity) = Entity::parse(&request.entity) else {
        return error(
            StatusCode::BAD_REQUEST,
            "entity must be Purchase, Bill or VendorCredit",
        );
    };
    let selection = match (request.count, request.ids) {
        (Some(n), None) if n <= MAX_CHANGE_COUNT => Selection::Count(n),
        (None, Some(ids)) if ids.len() <= MAX_CHANGE_COUNT => {
            let ids: Option<Vec<String>> = ids
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect();
            match ids {
                Some(ids) => Selection::Ids(ids),
                None => return error(StatusCode::BAD_REQUEST, "ids are strings such as \"9001\""),
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("at most {MAX_CHANGE_COUNT} records per call"),
            )
        }
        _ => return error(StatusCode::BAD_REQUEST, "give either count or ids"),
    };
    let applied = app
        .realm()
        .await
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .apply(entity, op, selection, now_ms());
    match applied {
        Ok(ids) => {
            app.persist();
            tracing::info!(
                ?op,
                entity = entity.name(),
                edited = ids.len(),
                "QuickBooks records edited through the control API"
            );
            Json(json!({ "ids": ids })).into_response()
        }
        Err(e @ ChangeError::UnknownId(..)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ ChangeError::Deleted(..)) => error(StatusCode::CONFLICT, e.to_string()),
    }
}
