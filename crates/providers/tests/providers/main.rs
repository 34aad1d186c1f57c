//! Integration tests of carbonsync-providers: one binary, one module per area.

mod catalogue;
mod client;
mod cloud_aws;
mod cloud_azure;
mod cloud_azure_certificate;
mod cloud_gcp;
mod cloud_support;
mod dates;
mod paging;
mod quickbooks;
mod records;
mod retries;
mod shapes;
mod support;
