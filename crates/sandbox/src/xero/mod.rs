//! Xero's Accounting API and the Identity API's `/connections`, served under `/xero/api`.

mod dates;
mod errors;
mod gate;
mod handlers;
pub mod json;
mod shapes;

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;

use crate::app::AppState;

const ACCOUNTING: &str = "/xero/api/api.xro/2.0";
/// The endpoints that answer with a list of records (what a `mangle_record` fault reshapes),
/// as they follow `ACCOUNTING`.
const LISTINGS: &[&str] = &[
    "/Accounts",
    "/BankTransactions",
    "/Invoices",
    "/CreditNotes",
];

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/xero/api/connections", get(handlers::connections))
        .route(
            &format!("{ACCOUNTING}/Organisation"),
            get(handlers::organisation),
        )
        .route(&format!("{ACCOUNTING}/Accounts"), get(handlers::accounts))
        .route(
            &format!("{ACCOUNTING}/BankTransactions"),
            get(handlers::bank_transactions),
        )
        .route(&format!("{ACCOUNTING}/Invoices"), get(handlers::invoices))
        .route(
            &format!("{ACCOUNTING}/CreditNotes"),
            get(handlers::credit_notes),
        )
        // route_layer: only matched routes pass the gate, so an unknown path is a plain 404
        // rather than a 401 that would suggest the path exists.
        .route_layer(from_fn_with_state(state, gate::gate))
}
