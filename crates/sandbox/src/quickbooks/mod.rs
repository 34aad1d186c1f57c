//! A stand-in for QuickBooks Online's Accounting API (quickbooks.api.intuit.com), served
//! under `/quickbooks/v3/company/{realmId}`: company info, preferences, the query language and
//! change data capture, over one generated company. Its authorization server lives with
//! Xero's in `auth` (profile `QUICKBOOKS`).
//!
//! The company is built on its first use (an API call or a control edit), so a sandbox used
//! only for Xero starts as fast and stays as small as before.

pub mod control;
mod errors;
mod gate;
mod handlers;
mod query;
pub mod realm;
mod shapes;
pub mod time;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uuid::Uuid;

use crate::app::AppState;

/// The one company the sandbox serves (Intuit's realm id, also called company id).
pub const REALM_ID: &str = "9341453050090071";
pub const COMPANY_NAME: &str = "Cedar & Finch Trading Co.";
pub const LEGAL_NAME: &str = "Cedar & Finch Trading Company, Inc.";

/// Where the API lives; `{realmId}` follows.
const COMPANY: &str = "/quickbooks/v3/company";

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            &format!("{COMPANY}/{{realm}}/companyinfo/{{id}}"),
            get(handlers::company_info),
        )
        .route(
            &format!("{COMPANY}/{{realm}}/preferences"),
            get(handlers::preferences),
        )
        .route(&format!("{COMPANY}/{{realm}}/query"), get(handlers::query))
        .route(&format!("{COMPANY}/{{realm}}/cdc"), get(handlers::cdc))
        // route_layer: an unknown path is a plain 404, not a 401 suggesting it exists.
        .route_layer(from_fn_with_state(state, gate::gate))
        .layer(from_fn(intuit_tid))
}

/// Gives every answer an `intuit_tid` header, a fresh transaction id, as Intuit's carry (a
/// client logs it for support requests).
pub async fn intuit_tid(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Ok(tid) = HeaderValue::from_str(&Uuid::new_v4().to_string()) {
        response.headers_mut().insert("intuit_tid", tid);
    }
    response
}
