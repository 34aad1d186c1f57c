//! Xero: the Accounting API client, its JSON shapes and Xero's date format.

mod client;
mod connector;
pub mod dates;
mod shapes;
pub mod webhook;

pub use client::{
    check_page_size, format_modified_since, Page, Timeouts, Unreadable, XeroClient, XeroEndpoints,
    MAX_PAGE_SIZE,
};
pub use connector::{bank_transaction, bill, credit_note, XeroConnector, REGISTRATION};
pub use shapes::{
    Account, BankTransaction, CreditNote, Invoice, LineItem, Organisation, Pagination, Tenant,
};
