//! The API endpoints. The gate has already checked the token, the company, faults and limits;
//! these read the company and write QuickBooks' answers, building record JSON per page.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::RwLockReadGuard;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;

use super::errors::Fault;
use super::query::{self, Target};
use super::realm::chart::{CHART, ITEMS};
use super::realm::{Entity, Realm, Table, FLAG_DELETED, STAMP_EPOCH_S};
use super::shapes;
use super::time::answer_time;
use super::REALM_ID;
use crate::app::AppState;
use crate::clock::now_ms;
use crate::faults::Mangle;
use crate::xero::json::{push_str, reshape};

/// Change data capture looks back this far at most.
const CDC_LOOKBACK_MS: i64 = 30 * 24 * 3600 * 1000;
/// The most objects one change data capture answer holds.
const CDC_CAP: usize = 1000;

fn read(realm: &std::sync::RwLock<Realm>) -> RwLockReadGuard<'_, Realm> {
    realm.read().unwrap_or_else(|e| e.into_inner())
}

fn json_answer(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

/// Query parameters by name, case-insensitively.
fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn target_entity(target: Target) -> Option<Entity> {
    match target {
        Target::Purchase => Some(Entity::Purchase),
        Target::Bill => Some(Entity::Bill),
        Target::VendorCredit => Some(Entity::VendorCredit),
        Target::Account | Target::Vendor | Target::Item => None,
    }
}

/// `GET …/companyinfo/{realmId}`
pub async fn company_info(Path((_, id)): Path<(String, String)>) -> Response {
    if id != REALM_ID {
        return Fault::validation(
            "610",
            "Object Not Found",
            format!(
                "Object Not Found : the company info of this company has Id {REALM_ID}, not {id}."
            ),
        )
        .into_response();
    }
    let body = json!({"CompanyInfo": shapes::company_info(), "time": answer_time(now_ms())});
    json_answer(body.to_string())
}

/// `GET …/preferences`
pub async fn preferences() -> Response {
    let body = json!({"Preferences": shapes::preferences(), "time": answer_time(now_ms())});
    json_answer(body.to_string())
}

/// Writes one record of a listing, reshaped if a `mangle_record` fault names it.
fn write_record(
    out: &mut String,
    index: usize,
    mangle: Option<&Mangle>,
    write: &mut impl FnMut(&mut String),
) {
    match mangle.filter(|m| m.record_index == index) {
        Some(m) => {
            let mut record = String::new();
            write(&mut record);
            let reshaped = reshape(&record, &m.remove, &m.set);
            out.push_str(reshaped.as_deref().unwrap_or(&record));
        }
        None => write(out),
    }
}

/// `{"QueryResponse":{"<key>":[…],"startPosition":s,"maxResults":n},"time":"…"}`, or
/// `{"QueryResponse":{},"time":"…"}` when nothing matched, as Intuit answers.
fn query_answer(
    key: &str,
    count: usize,
    start: usize,
    mangle: Option<&Mangle>,
    mut write: impl FnMut(usize, &mut String),
) -> Response {
    let mut out = String::with_capacity(128 + count * 1024);
    out.push_str("{\"QueryResponse\":{");
    if count > 0 {
        push_str(&mut out, key);
        out.push_str(":[");
        for i in 0..count {
            if i > 0 {
                out.push(',');
            }
            write_record(&mut out, i, mangle, &mut |o| write(i, o));
        }
        out.push_str(&format!(
            "],\"startPosition\":{start},\"maxResults\":{count}"
        ));
    }
    out.push_str("},\"time\":");
    push_str(&mut out, &answer_time(now_ms()));
    out.push('}');
    json_answer(out)
}

fn count_answer(total: usize) -> Response {
    let body = json!({"QueryResponse": {"totalCount": total}, "time": answer_time(now_ms())});
    json_answer(body.to_string())
}

/// `LastUpdatedTime` of a row, ms since 1970.
fn row_ms(table: &Table, pos: u32) -> i64 {
    (STAMP_EPOCH_S + i64::from(table.txns[pos as usize].updated)) * 1000
}

/// The live rows a query's conditions select, in order of `LastUpdatedTime` then Id. The
/// time range is two binary searches over the ordering; an Id list is looked up.
fn matching<'a>(table: &'a Table, q: &query::Query) -> Cow<'a, [u32]> {
    let live = &table.live;
    let lo = q
        .from_ms
        .map_or(0, |from| live.partition_point(|&p| row_ms(table, p) < from));
    let hi = q.to_ms.map_or(live.len(), |to| {
        live.partition_point(|&p| row_ms(table, p) <= to)
    });
    let range = &live[lo..hi.max(lo)];
    let Some(ids) = &q.ids else {
        return Cow::Borrowed(range);
    };
    let in_range = |p: u32| {
        let ms = row_ms(table, p);
        q.from_ms.is_none_or(|f| ms >= f) && q.to_ms.is_none_or(|t| ms <= t)
    };
    let mut picked: Vec<u32> = ids
        .iter()
        .filter_map(|id| id.trim().parse::<u32>().ok())
        .filter_map(|id| table.position_of(id))
        .filter(|&p| !table.txns[p as usize].has(FLAG_DELETED) && in_range(p))
        .collect();
    picked.sort_unstable_by_key(|&p| table.key(p));
    picked.dedup();
    Cow::Owned(picked)
}

/// The page of `rows` a query asks for.
fn page<T: Copy>(rows: &[T], q: &query::Query) -> Vec<T> {
    let skip = q.start - 1;
    if q.descending {
        rows.iter().rev().skip(skip).take(q.max).copied().collect()
    } else {
        rows.iter().skip(skip).take(q.max).copied().collect()
    }
}

/// `GET …/query?query=<statement>`
pub async fn query(
    State(app): State<AppState>,
    mangle: Option<Extension<Mangle>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mangle = mangle.map(|Extension(m)| m);
    let parsed = match param(&params, "query") {
        Some(text) => query::parse(text),
        None => Err(Fault::parse(
            "the query parameter is missing: ?query=SELECT * FROM …",
        )),
    };
    let q = match parsed {
        Ok(q) => q,
        Err(fault) => {
            app.count_call("GET /quickbooks/query");
            return fault.into_response();
        }
    };
    app.count_call(&format!("GET /quickbooks/query {}", q.target.name()));
    let realm = read(app.realm().await);
    match target_entity(q.target) {
        Some(entity) => {
            if q.active.is_some() {
                return Fault::invalid_query(format!("{} has no property Active", entity.name()))
                    .into_response();
            }
            let table = realm.table(entity);
            let rows = matching(table, &q);
            if q.count {
                return count_answer(rows.len());
            }
            let page = page(&rows, &q);
            query_answer(
                entity.name(),
                page.len(),
                q.start,
                mangle.as_ref(),
                |i, out| shapes::txn(out, &realm, entity, page[i]),
            )
        }
        None => list_answer(&realm, &q, mangle.as_ref()),
    }
}

/// Accounts, vendors and items: short lists, all set up at one moment, in Id order.
fn list_answer(realm: &Realm, q: &query::Query, mangle: Option<&Mangle>) -> Response {
    let ids: Vec<u32> = match q.target {
        Target::Account => CHART.iter().map(|a| a.id).collect(),
        Target::Vendor => realm.vendors.iter().map(|v| v.id).collect(),
        _ => ITEMS.iter().map(|i| i.id).collect(),
    };
    let setup_ms = shapes::setup_s() * 1000;
    let in_range = q.from_ms.is_none_or(|f| setup_ms >= f) && q.to_ms.is_none_or(|t| setup_ms <= t);
    // Every account, vendor and item is active.
    let active_ok = q.active.as_ref().is_none_or(|a| a.contains(&true));
    let rows: Vec<usize> = ids
        .iter()
        .enumerate()
        .filter(|_| in_range && active_ok)
        .filter(|(_, id)| {
            q.ids
                .as_ref()
                .is_none_or(|want| want.iter().any(|w| w.trim() == id.to_string()))
        })
        .map(|(i, _)| i)
        .collect();
    if q.count {
        return count_answer(rows.len());
    }
    let page = page(&rows, q);
    query_answer(q.target.name(), page.len(), q.start, mangle, |i, out| {
        let at = page[i];
        match q.target {
            Target::Account => shapes::account(out, &CHART[at]),
            Target::Vendor => shapes::vendor(out, &realm.vendors[at]),
            _ => shapes::item(out, &ITEMS[at]),
        }
    })
}

/// One object a change data capture answer reports.
#[derive(Clone, Copy)]
struct Change {
    /// `LastUpdatedTime`, seconds since 1970.
    updated_s: i64,
    /// Which requested entity (its index in the request).
    slot: usize,
    id: u32,
    /// Row position (transactions) or list index (accounts, vendors, items).
    at: usize,
}

fn cdc_fault(detail: String) -> Response {
    Fault::validation(
        "2010",
        "Request has invalid or unsupported property",
        detail,
    )
    .into_response()
}

/// `GET …/cdc?entities=Purchase,Bill&changedSince=<ISO 8601>`: every object of those
/// entities changed at or after `changedSince` (inclusive, so a client passing the newest
/// `LastUpdatedTime` it saw gets that object again rather than missing one that shares its
/// second), changed ones in full and deleted ones as `{"Id", "status": "Deleted", "domain",
/// "MetaData": {"LastUpdatedTime"}}`. At most 1,000 objects: the oldest changes across the
/// entities asked for, so a client that gets exactly 1,000 can ask again from the newest
/// `LastUpdatedTime` it got.
pub async fn cdc(
    State(app): State<AppState>,
    mangle: Option<Extension<Mangle>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mangle = mangle.map(|Extension(m)| m);
    let Some(list) = param(&params, "entities").filter(|l| !l.trim().is_empty()) else {
        return cdc_fault(
            "entities is required: a comma-separated list such as Purchase,Bill".into(),
        );
    };
    let mut targets: Vec<Target> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(target) = Target::parse(name) else {
            return cdc_fault(format!(
                "The entity {name:?} is not served by the sandbox (Purchase, Bill, \
                 VendorCredit, Account, Vendor, Item)."
            ));
        };
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    let Some(text) = param(&params, "changedSince") else {
        return cdc_fault("changedSince is required, a date-time within the last 30 days".into());
    };
    let Some(since_ms) = super::time::parse(text) else {
        return cdc_fault(format!(
            "changedSince {text:?} is not a date-time such as 2024-03-05T10:15:30-08:00"
        ));
    };
    if since_ms < now_ms() - CDC_LOOKBACK_MS {
        return cdc_fault(format!(
            "Operation cdc with changedSince date {text} which is older than fixed days is not \
             supported. Change data capture covers the last 30 days."
        ));
    }

    let realm = read(app.realm().await);
    let mut changes: Vec<Change> = Vec::new();
    for (slot, &target) in targets.iter().enumerate() {
        match target_entity(target) {
            Some(entity) => {
                let table = realm.table(entity);
                let from = table
                    .order
                    .partition_point(|&p| row_ms(table, p) < since_ms);
                // The oldest CDC_CAP of each are enough to find the oldest CDC_CAP of all.
                changes.extend(table.order[from..].iter().take(CDC_CAP).map(|&p| {
                    let t = &table.txns[p as usize];
                    Change {
                        updated_s: t.updated_s(),
                        slot,
                        id: t.id,
                        at: p as usize,
                    }
                }));
            }
            None => {
                let setup_s = shapes::setup_s();
                if setup_s * 1000 >= since_ms {
                    let ids: Vec<u32> = match target {
                        Target::Account => CHART.iter().map(|a| a.id).collect(),
                        Target::Vendor => realm.vendors.iter().map(|v| v.id).collect(),
                        _ => ITEMS.iter().map(|i| i.id).collect(),
                    };
                    changes.extend(ids.into_iter().enumerate().map(|(at, id)| Change {
                        updated_s: setup_s,
                        slot,
                        id,
                        at,
                    }));
                }
            }
        }
    }
    changes.sort_unstable_by_key(|c| (c.updated_s, c.slot, c.id));
    changes.truncate(CDC_CAP);

    let mut out = String::with_capacity(256 + changes.len() * 1024);
    out.push_str("{\"CDCResponse\":[{\"QueryResponse\":[");
    let mut index = 0;
    for (slot, &target) in targets.iter().enumerate() {
        if slot > 0 {
            out.push(',');
        }
        let mine: Vec<Change> = changes.iter().copied().filter(|c| c.slot == slot).collect();
        out.push('{');
        if !mine.is_empty() {
            push_str(&mut out, target.name());
            out.push_str(":[");
            for (i, change) in mine.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_record(&mut out, index, mangle.as_ref(), &mut |o: &mut String| {
                    write_change(o, &realm, target, change)
                });
                index += 1;
            }
            out.push_str(&format!(
                "],\"startPosition\":1,\"maxResults\":{}",
                mine.len()
            ));
        }
        out.push('}');
    }
    out.push_str("]}],\"time\":");
    push_str(&mut out, &answer_time(now_ms()));
    out.push('}');
    json_answer(out)
}

fn write_change(out: &mut String, realm: &Realm, target: Target, change: &Change) {
    match target_entity(target) {
        Some(entity) => {
            let t = &realm.table(entity).txns[change.at];
            if t.has(FLAG_DELETED) {
                shapes::deleted(out, t.id, t.updated_s());
            } else {
                shapes::txn(out, realm, entity, change.at as u32);
            }
        }
        None => match target {
            Target::Account => shapes::account(out, &CHART[change.at]),
            Target::Vendor => shapes::vendor(out, &realm.vendors[change.at]),
            _ => shapes::item(out, &ITEMS[change.at]),
        },
    }
}
