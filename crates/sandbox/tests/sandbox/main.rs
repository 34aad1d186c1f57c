//! End-to-end tests: each starts a real sandbox on an ephemeral loopback port and talks to it
//! over HTTP with reqwest, as CarbonSync would, to Xero's side and to QuickBooks'.

mod api;
mod cloud_aws;
mod cloud_azure;
mod cloud_azure_certificate;
mod cloud_gcp;
mod consent;
mod control;
mod credit_notes;
mod data;
mod incremental;
mod oauth;
mod persistence;
mod quickbooks_api;
mod quickbooks_oauth;
mod quickbooks_support;
mod quickbooks_sync;
mod reshaped;
mod salesforce;
mod support;
