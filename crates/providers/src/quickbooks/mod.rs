//! QuickBooks Online: the Accounting API client, its JSON shapes, its fault codes in words, and
//! its connector.

mod client;
mod connector;
pub mod faults;
pub mod shapes;
pub mod webhook;

pub use client::{
    check_page_size, Changes, QueryPage, QuickBooksClient, Select, CDC_MAX_OBJECTS, CDC_REACH_DAYS,
    MAX_PAGE_SIZE, MINOR_VERSION,
};
pub use connector::{document, QuickBooksConnector, REALM_EXTRA, REGISTRATION};
