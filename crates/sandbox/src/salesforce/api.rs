//! The REST API resources under `{instance_url}/services/data/vXX.X/`: `query` and its query
//! locators, `sobjects/{object}/deleted/` (getDeleted), `PATCH sobjects/{object}/{field}/{value}`
//! (upsert by external id) and `limits`. The session and the daily allocation are checked
//! before any of them runs (`gate.rs`).

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value as Json};

use super::errors::{json_answer, ApiError};
use super::schema::{Column, FieldType, ObjectKind};
use super::soql;
use super::state::{SalesforceState, DEFAULT_BATCH_SIZE, MIN_REQUESTED_BATCH_SIZE};
use super::time::{format_datetime, parse_date, parse_datetime};
use super::value::{decimal_of, Value};
use crate::clock::now_ms;

/// The longest value a `string` field takes. Source: the Field Reference Guide gives `Name`
/// and the other string fields here a length of 255.
const STRING_FIELD_LENGTH: usize = 255;
/// getDeleted works in whole minutes. Source: SOAP API Developer Guide, `getDeleted()`: the
/// API ignores the seconds portion of the start and end dateTimes.
const MINUTE_MS: i64 = 60_000;

/// The batch size a client asks for with `Sforce-Query-Options: batchSize=N` (200 to 2,000),
/// if it asks for a valid one.
fn requested_batch_size(headers: &HeaderMap) -> Option<usize> {
    headers
        .get("sforce-query-options")?
        .to_str()
        .ok()?
        .split(',')
        .filter_map(|option| option.trim().split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("batchSize"))
        .and_then(|(_, size)| size.trim().parse::<usize>().ok())
        .filter(|size| (MIN_REQUESTED_BATCH_SIZE..=DEFAULT_BATCH_SIZE).contains(size))
}

/// `{"totalSize", "done", "nextRecordsUrl"?, "records"}`.
fn query_answer(records: Vec<Json>, total: usize, next: Option<String>) -> Response {
    let mut body = Map::new();
    body.insert("totalSize".into(), json!(total));
    body.insert("done".into(), json!(next.is_none()));
    if let Some(next) = next {
        body.insert("nextRecordsUrl".into(), json!(next));
    }
    body.insert("records".into(), Json::Array(records));
    json_answer(StatusCode::OK, &Json::Object(body))
}

fn next_records_url(version: &str, locator: &str, offset: usize) -> String {
    format!("/services/data/{version}/query/{locator}-{offset}")
}

/// `GET query?q=SELECT …`: the first batch, and a `nextRecordsUrl` when there is more.
pub async fn query(
    State(sf): State<SalesforceState>,
    Path(version): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(source) = params.get("q").filter(|q| !q.trim().is_empty()) else {
        sf.app.count_call("GET /salesforce/query");
        return ApiError::bad_request("MALFORMED_QUERY", "A query string has to be specified")
            .into_response();
    };
    let hidden = sf.hidden_fields();
    let plan = match soql::plan(source, &hidden) {
        Ok(plan) => plan,
        Err(e) => {
            sf.app.count_call("GET /salesforce/query");
            return e.into_response();
        }
    };
    sf.app
        .count_call(&format!("GET /salesforce/query {}", plan.object.name()));
    let records = plan.run(&sf.org(), &version);
    let allowed = sf.knobs().batch_size;
    let batch = requested_batch_size(&headers).map_or(allowed, |asked| asked.min(allowed));
    let total = records.len();
    if total <= batch {
        return query_answer(records, total, None);
    }
    let first = records[..batch].to_vec();
    let locator = sf.cursors().open(records, Instant::now());
    query_answer(
        first,
        total,
        Some(next_records_url(&version, &locator, batch)),
    )
}

/// `GET query/{locator}-{offset}`: the batch a `nextRecordsUrl` names.
pub async fn query_more(
    State(sf): State<SalesforceState>,
    Path((version, locator)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    sf.app.count_call("GET /salesforce/query locator");
    let invalid =
        || ApiError::bad_request("INVALID_QUERY_LOCATOR", "invalid query locator").into_response();
    let Some((id, offset)) = locator
        .rsplit_once('-')
        .and_then(|(id, offset)| Some((id, offset.parse::<usize>().ok()?)))
    else {
        return invalid();
    };
    let allowed = sf.knobs().batch_size;
    let size = requested_batch_size(&headers).map_or(allowed, |asked| asked.min(allowed));
    let Some(batch) = sf.cursors().batch(id, offset, size, Instant::now()) else {
        return invalid();
    };
    let next = batch
        .next_offset
        .map(|offset| next_records_url(&version, id, offset));
    query_answer(batch.records, batch.total, next)
}

fn replication_error(message: impl Into<String>) -> Response {
    ApiError::bad_request("INVALID_REPLICATION_DATE", message).into_response()
}

/// `GET sobjects/{object}/deleted/?start=…&end=…`: the records deleted in the window, with the
/// earliest date the delete log reaches and the latest date the answer covers (the client's
/// next `start`). Times are taken to the minute.
pub async fn deleted(
    State(sf): State<SalesforceState>,
    Path((_, object)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    sf.app.count_call("GET /salesforce/deleted");
    let Some(kind) = ObjectKind::parse(&object) else {
        return ApiError::not_found().into_response();
    };
    let minute = |name: &str| {
        params
            .get(name)
            .and_then(|t| parse_datetime(t))
            .map(|ms| ms - ms.rem_euclid(MINUTE_MS))
    };
    let (Some(start), Some(end)) = (minute("start"), minute("end")) else {
        return replication_error(
            "start and end are required, as ISO 8601 dateTimes such as 2024-01-05T00:00:00+00:00",
        );
    };
    if end - start < MINUTE_MS {
        return replication_error("startDate must be at least one minute before endDate");
    }
    let now = now_ms();
    let earliest = sf.knobs().earliest_deleted(now);
    if start < earliest {
        return replication_error(format!(
            "startDate cannot be before earliestDateAvailable ({})",
            format_datetime(earliest)
        ));
    }
    // The delete log is complete only up to the current minute: a deletion later in this
    // minute belongs to the client's next call, which starts here.
    let latest = end.min(now - now.rem_euclid(MINUTE_MS));
    let records: Vec<Json> = sf
        .org()
        .deleted_between(kind, start, latest)
        .into_iter()
        .map(|(id, at)| json!({ "id": id, "deletedDate": format_datetime(at) }))
        .collect();
    json_answer(
        StatusCode::OK,
        &json!({
            "deletedRecords": records,
            "earliestDateAvailable": format_datetime(earliest),
            "latestDateCovered": format_datetime(latest.max(start)),
        }),
    )
}

/// A JSON value as a value of a field of type `kind`, or Salesforce's complaint.
fn field_value(name: &str, kind: FieldType, json: &Json) -> Result<Value, ApiError> {
    let cannot = |expected: &str| {
        ApiError::bad_request(
            "JSON_PARSER_ERROR",
            format!("Cannot deserialize instance of {expected} from {json} value for field {name}"),
        )
    };
    if json.is_null() {
        return Ok(Value::Null);
    }
    Ok(match kind {
        FieldType::String | FieldType::Textarea | FieldType::Picklist => {
            let text = json.as_str().ok_or_else(|| cannot("string"))?;
            if kind == FieldType::String && text.chars().count() > STRING_FIELD_LENGTH {
                return Err(ApiError::bad_request(
                    "STRING_TOO_LONG",
                    format!(
                        "{name}: data value too large: {text} (max length={STRING_FIELD_LENGTH})"
                    ),
                )
                .with_fields(vec![name.to_owned()]));
            }
            Value::Text(text.to_owned())
        }
        FieldType::Boolean => Value::Bool(json.as_bool().ok_or_else(|| cannot("boolean"))?),
        FieldType::Date => Value::Date(
            json.as_str()
                .and_then(parse_date)
                .ok_or_else(|| cannot("date"))?,
        ),
        FieldType::DateTime => Value::DateTime(
            json.as_str()
                .and_then(parse_datetime)
                .ok_or_else(|| cannot("dateTime"))?,
        ),
        FieldType::Double { scale } => Value::Number(
            json.as_number()
                .and_then(|n| decimal_of(n, scale))
                .ok_or_else(|| cannot("double"))?,
        ),
        FieldType::Id | FieldType::Reference => {
            Value::Id(json.as_str().ok_or_else(|| cannot("id"))?.to_owned())
        }
    })
}

/// `PATCH sobjects/{object}/{externalIdField}/{value}` with the record's fields as JSON:
/// creates the record (201) or updates the one with that external id (200), answering
/// `{"id", "success", "errors", "created"}`.
pub async fn upsert(
    State(sf): State<SalesforceState>,
    Path((_, object, field, key)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    sf.app.count_call("PATCH /salesforce/upsert");
    match upsert_record(&sf, &object, &field, &key, &body) {
        Ok((id, created)) => {
            tracing::info!(object = %object, created, "Salesforce record upserted");
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            json_answer(
                status,
                &json!({ "id": id, "success": true, "errors": [], "created": created }),
            )
        }
        Err(e) => e.into_response(),
    }
}

fn upsert_record(
    sf: &SalesforceState,
    object: &str,
    field: &str,
    key: &str,
    body: &[u8],
) -> Result<(String, bool), ApiError> {
    let kind = ObjectKind::parse(object).ok_or_else(ApiError::not_found)?;
    let def = kind.def();
    let hidden = sf.hidden_fields();
    let hides = |name: &str| hidden.get(&kind).is_some_and(|h| h.contains(name));
    let key_field = def
        .external_id()
        .filter(|&i| def.fields[i].name.eq_ignore_ascii_case(field))
        .filter(|&i| !hides(def.fields[i].name))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("Provided external ID field does not exist or is not accessible: {field}"),
            )
        })?;
    let parsed: Json = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("JSON_PARSER_ERROR", format!("{e}")))?;
    let Json::Object(given) = parsed else {
        return Err(ApiError::bad_request(
            "JSON_PARSER_ERROR",
            "Cannot deserialize SObject from a value that is not a JSON object",
        ));
    };
    let mut fields = Vec::with_capacity(given.len());
    for (name, json) in &given {
        // Clients often send back the `attributes` a query gave them.
        if name == "attributes" {
            continue;
        }
        let column = def
            .column(name)
            .filter(|&c| !hides(def.column_name(c)))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_FIELD",
                    format!("No such column '{name}' on sobject of type {}", def.name),
                )
            })?;
        let Column::Own(i) = column else {
            return Err(ApiError::bad_request(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!(
                    "Unable to create/update fields: {}. Please check the security settings of \
                     this field and verify that it is read/write for your profile or \
                     permission set.",
                    def.column_name(column)
                ),
            )
            .with_fields(vec![def.column_name(column).to_owned()]));
        };
        let value = field_value(def.fields[i].name, def.fields[i].kind, json)?;
        if i == key_field {
            // The URL names the record; the body may repeat the key but not contradict it.
            if !matches!(&value, Value::Text(k) if k.eq_ignore_ascii_case(key)) {
                return Err(ApiError::bad_request(
                    "INVALID_FIELD",
                    format!(
                        "{} in the body does not match the URL: {key}",
                        def.fields[i].name
                    ),
                ));
            }
            continue;
        }
        fields.push((i, value));
    }
    sf.org().upsert(kind, key_field, key, fields, now_ms())
}

/// `GET limits`: the org's allocations; the daily API requests with what is left of them.
pub async fn limits(State(sf): State<SalesforceState>) -> Response {
    sf.app.count_call("GET /salesforce/limits");
    let usage = sf.usage();
    json_answer(
        StatusCode::OK,
        &json!({
            "DailyApiRequests": {
                "Max": usage.max,
                "Remaining": usage.max.saturating_sub(usage.used),
            }
        }),
    )
}
