//! Integration tests of carbonsync-providers: one binary, one module per area.

mod catalogue;
mod client;
mod dates;
mod paging;
mod quickbooks;
mod records;
mod retries;
mod shapes;
mod support;
