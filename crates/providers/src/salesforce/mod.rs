//! Salesforce Net Zero Cloud: the REST API client (SOQL queries paged by
//! `nextRecordsUrl`, the `getDeleted` log, upserts by external id), the footprint objects
//! read and how each becomes reported rows, and the connector.
//!
//! Sources: Salesforce's REST API Developer Guide (Query, Get Deleted Records, Upsert,
//! Limits, `Sforce-Limit-Info`), the Net Zero Cloud Developer Guide ("Net Zero Cloud
//! Standard Objects") and the Salesforce Field Reference Guide for each object.

mod client;
mod connector;
pub mod footprints;

pub use client::{ApiUsage, ExternalId, QueryPage, SalesforceClient, API_VERSION};
pub use connector::{tonnes, SalesforceConnector, REGISTRATION};
