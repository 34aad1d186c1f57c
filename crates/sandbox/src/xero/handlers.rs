//! The API endpoints themselves. The gate has already checked the token, tenant, faults and
//! rate limit; these only read the company.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::DateTime;
use serde_json::{json, Value};
use uuid::Uuid;

use super::dates::{identity_date, parse_modified_since, xero_date};
use super::errors::{bad_request, Problem};
use super::gate::Caller;
use super::json::{reshape, Obj};
use super::shapes;
use crate::app::AppState;
use crate::clock::now_ms;
use crate::company::chart::ACCOUNTS_UPDATED_MS;
use crate::company::{Org, StreamName, View, PROFILES};
use crate::faults::Mangle;

const PROVIDER_NAME: &str = "CarbonSync Sandbox";
const DEFAULT_PAGE_SIZE: usize = 100;

/// The fields Xero puts around every Accounting API answer.
fn envelope() -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("Id".into(), json!(Uuid::new_v4()));
    map.insert("Status".into(), json!("OK"));
    map.insert("ProviderName".into(), json!(PROVIDER_NAME));
    map.insert("DateTimeUTC".into(), json!(xero_date(now_ms())));
    map
}

fn forbidden() -> Response {
    Problem::forbidden().into_response()
}

/// `GET /xero/api/connections`: the organisations this grant reaches (those ticked on the
/// consent page), UK first.
pub async fn connections(Extension(caller): Extension<Caller>) -> Response {
    let grant = &caller.grant;
    let connected = DateTime::from_timestamp_millis(grant.created_ms).unwrap_or_default();
    let list: Vec<Value> = PROFILES
        .iter()
        .map(|p| (Uuid::parse_str(p.tenant_id).unwrap_or_default(), p))
        .filter(|(tenant, _)| grant.reaches(tenant))
        .map(|(tenant, p)| {
            json!({
                // Stable per grant and tenant, as Xero's connection ids are.
                "id": Uuid::new_v5(&grant.id, tenant.as_bytes()),
                "authEventId": grant.auth_event_id,
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
                "tenantName": p.name,
                "createdDateUtc": identity_date(connected),
                "updatedDateUtc": identity_date(connected),
            })
        })
        .collect();
    Json(list).into_response()
}

fn with_org(app: &AppState, caller: &Caller, f: impl FnOnce(&Org) -> Response) -> Response {
    let company = app.company();
    match caller.tenant.and_then(|t| company.org(&t)) {
        Some(org) => f(org),
        None => forbidden(),
    }
}

/// The earliest `UpdatedDateUTC` (ms) that `If-Modified-Since` lets through under the
/// `modified_since` setting, `None` when the header is absent, or the 400 to send.
fn modified_since(app: &AppState, headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(value) = headers.get(header::IF_MODIFIED_SINCE) else {
        return Ok(None);
    };
    let rule = app.settings().modified_since;
    value
        .to_str()
        .ok()
        .and_then(parse_modified_since)
        .map(|t| Some(rule.earliest_included(t)))
        .ok_or_else(|| {
            Problem::bad_request(
                "The If-Modified-Since header could not be read. Use an ISO 8601 timestamp \
                 such as 2023-01-01T00:00:00 (UTC unless a zone is given) or an HTTP date.",
            )
        })
}

/// Xero's query parameter names are case-insensitive.
fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn number_param(
    params: &HashMap<String, String>,
    name: &str,
    default: usize,
) -> Result<usize, Problem> {
    match param(params, name) {
        None | Some("") => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .map_err(|_| Problem::bad_request(format!("{name} must be a whole number, not {v:?}"))),
    }
}

/// `GET …/Organisation`
pub async fn organisation(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    with_org(&app, &caller, |org| {
        let mut body = envelope();
        body.insert("Organisations".into(), json!([shapes::organisation(org)]));
        Json(body).into_response()
    })
}

/// `GET …/Accounts`
pub async fn accounts(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    mangle: Option<Extension<Mangle>>,
    headers: HeaderMap,
) -> Response {
    let since = match modified_since(&app, &headers) {
        Ok(since) => since,
        Err(problem) => return problem.into_response(),
    };
    with_org(&app, &caller, |org| {
        let changed = since.is_none_or(|from| ACCOUNTS_UPDATED_MS >= from);
        let mut accounts: Vec<Value> = if changed {
            org.accounts.iter().map(shapes::account).collect()
        } else {
            Vec::new()
        };
        if let Some(Extension(m)) = mangle {
            if let Some(Value::Object(account)) = accounts.get_mut(m.record_index) {
                for field in &m.remove {
                    account.remove(field);
                }
                for (field, value) in &m.set {
                    account.insert(field.clone(), value.clone());
                }
            }
        }
        let mut body = envelope();
        body.insert("Accounts".into(), json!(accounts));
        Json(body).into_response()
    })
}

/// `GET …/BankTransactions`
pub async fn bank_transactions(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    mangle: Option<Extension<Mangle>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if param(&params, "where").is_some() {
        return bad_request("The sandbox does not support where filters on BankTransactions.");
    }
    let mangle = mangle.map(|Extension(m)| m);
    list(
        &app,
        &caller,
        &headers,
        &params,
        Listing::BANK,
        View::All,
        mangle.as_ref(),
    )
}

/// `GET …/Invoices`, optionally `where=Type=="ACCPAY"` for bills only.
pub async fn invoices(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    mangle: Option<Extension<Mangle>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let view = match type_filter(&params, "Invoices", "ACCPAY") {
        Ok(view) => view,
        Err(refusal) => return refusal.into_response(),
    };
    let mangle = mangle.map(|Extension(m)| m);
    list(
        &app,
        &caller,
        &headers,
        &params,
        Listing::INVOICES,
        view,
        mangle.as_ref(),
    )
}

/// `GET …/CreditNotes`, optionally `where=Type=="ACCPAYCREDIT"` for supplier credit notes.
pub async fn credit_notes(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    mangle: Option<Extension<Mangle>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let view = match type_filter(&params, "CreditNotes", "ACCPAYCREDIT") {
        Ok(view) => view,
        Err(refusal) => return refusal.into_response(),
    };
    let mangle = mangle.map(|Extension(m)| m);
    list(
        &app,
        &caller,
        &headers,
        &params,
        Listing::CREDIT_NOTES,
        view,
        mangle.as_ref(),
    )
}

/// The one `where` filter a listing supports, `Type=="<supplier_type>"` (spaces ignored),
/// as the supplier-side view; no filter is the whole listing; anything else is a 400.
fn type_filter(
    params: &HashMap<String, String>,
    listing: &str,
    supplier_type: &str,
) -> Result<View, Problem> {
    match param(params, "where") {
        None | Some("") => Ok(View::All),
        Some(filter) => {
            let compact: String = filter.chars().filter(|c| !c.is_whitespace()).collect();
            if compact == format!("Type==\"{supplier_type}\"") {
                Ok(View::Bills)
            } else {
                Err(Problem::bad_request(format!(
                    "The sandbox supports only where=Type==\"{supplier_type}\" on {listing}, not {filter:?}."
                )))
            }
        }
    }
}

/// One of the paged record listings.
struct Listing {
    stream: StreamName,
    key: &'static str,
    write: fn(&mut String, &Org, u32),
}

impl Listing {
    const BANK: Listing = Listing {
        stream: StreamName::BankTransactions,
        key: "BankTransactions",
        write: shapes::bank_transaction,
    };
    const INVOICES: Listing = Listing {
        stream: StreamName::Invoices,
        key: "Invoices",
        write: shapes::invoice,
    };
    const CREDIT_NOTES: Listing = Listing {
        stream: StreamName::CreditNotes,
        key: "CreditNotes",
        write: shapes::credit_note,
    };
}

/// A page of records updated since `If-Modified-Since` (compared as the `modified_since`
/// setting says), in order of `UpdatedDateUTC` then sequence number. Finding the start is a
/// binary search over the stream's ordering, so a page costs the same whether it is the first
/// or the thousandth. `pageSize` is capped at the `max_page_size` setting, and `pagination`
/// reports the size actually served.
fn list(
    app: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    listing: Listing,
    view: View,
    mangle: Option<&Mangle>,
) -> Response {
    let since = match modified_since(app, headers) {
        Ok(since) => since,
        Err(problem) => return problem.into_response(),
    };
    let page = match number_param(params, "page", 1) {
        Ok(page) => page.max(1),
        Err(problem) => return problem.into_response(),
    };
    let max_size = app.settings().max_page_size;
    let size = match number_param(params, "pageSize", DEFAULT_PAGE_SIZE) {
        Ok(size) => size.clamp(1, max_size),
        Err(problem) => return problem.into_response(),
    };

    let body = {
        let company = app.company();
        let Some(org) = caller.tenant.and_then(|t| company.org(&t)) else {
            return forbidden();
        };
        let seqs = org.stream(listing.stream).updated_since(view, since);
        let item_count = seqs.len();
        let start = (page - 1).saturating_mul(size).min(item_count);
        let end = start.saturating_add(size).min(item_count);

        let mut out = String::with_capacity(512 + (end - start) * 1024);
        let mut o = Obj::open(&mut out);
        o.str("Id", &Uuid::new_v4().to_string())
            .str("Status", "OK")
            .str("ProviderName", PROVIDER_NAME)
            .str("DateTimeUTC", &xero_date(now_ms()))
            .obj("pagination", |p| {
                p.int("page", page as i64)
                    .int("pageSize", size as i64)
                    .int("pageCount", item_count.div_ceil(size) as i64)
                    .int("itemCount", item_count as i64);
            })
            .raw_with(listing.key, |out| {
                out.push('[');
                for (i, &seq) in seqs[start..end].iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    match mangle.filter(|m| m.record_index == i) {
                        Some(m) => {
                            let mut record = String::new();
                            (listing.write)(&mut record, org, seq);
                            let reshaped = reshape(&record, &m.remove, &m.set);
                            out.push_str(reshaped.as_deref().unwrap_or(&record));
                        }
                        None => (listing.write)(out, org, seq),
                    }
                }
                out.push(']');
            });
        o.close();
        out
    };
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}
