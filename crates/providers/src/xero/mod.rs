//! Xero: the Accounting API client, its JSON shapes and Xero's date format.

mod client;
pub mod dates;
mod retry;
mod shapes;

pub use client::{format_modified_since, Fetched, Timeouts, XeroClient, XeroEndpoints};
pub use retry::RetryPolicy;
pub use shapes::{Account, BankTransaction, Invoice, LineItem, Organisation, Tenant};
