//! Platforms that keep a company's own greenhouse-gas inventory (Salesforce Net Zero Cloud),
//! signed in with OAuth like the accounting platforms: the interface their connectors
//! implement, the records they return, and the registry that finds one by catalogue id.
//!
//! Their numbers are **reported**, like the cloud providers': imported as the inventory
//! holds them, never re-estimated. Each footprint record becomes one
//! [`ReportedEmission`] per scope, basis and Scope 3 category it gives a value for, all
//! keyed by the record's own id so that a change to the record restates exactly its rows
//! and a deletion withdraws them.
//!
//! Reading is incremental per object: records whose modification stamp is after the last
//! position (ties broken by record id, so records sharing a stamp are neither skipped nor
//! read twice), and deletions since the last sync from the platform's deletion log.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cloud::ReportedEmission;
use crate::connector::GrantExtras;
use crate::http::{CallMeter, RetryPolicy};
use crate::listing::Unreadable;
use crate::{Endpoints, ProviderError, Tenant};

/// Where a walk through one object's changes stands: the last record saved, by its
/// modification stamp (ms since 1970, UTC) and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub modified_ms: i64,
    pub id: String,
}

/// One footprint record and the rows it reports.
#[derive(Debug, Clone)]
pub struct FootprintRecord {
    /// The platform's record id (Salesforce: 18 characters).
    pub id: String,
    /// The record's name, as people see it in the platform.
    pub name: String,
    pub position: Position,
    /// Where a person opens the record in the platform.
    pub link: String,
    /// The last day of the period the record covers, when it says (a footprint's `EndDate`).
    pub period_end: Option<NaiveDate>,
    /// One row per scope, basis and Scope 3 category with a value; empty for a record that
    /// reports nothing yet.
    pub rows: Vec<ReportedEmission>,
}

/// One page of an object's changed records.
#[derive(Debug, Default)]
pub struct FootprintPage {
    pub records: Vec<FootprintRecord>,
    /// Records that could not be read, each with why; the rest of the page is kept.
    pub unreadable: Vec<Unreadable>,
    /// The platform's link to the next page of the same walk, `None` on the last.
    pub next: Option<String>,
    /// On a walk's last page: the walk stopped at its own bound (a query's record limit),
    /// so more records may follow the last one; read again after it.
    pub restart: bool,
    /// The platform's usage report on the answer (Salesforce: `api-usage=18/15000`).
    pub usage: Option<String>,
}

/// Records of one object deleted in a time range.
#[derive(Debug, Default)]
pub struct Deletions {
    pub ids: Vec<String>,
    /// Until when the platform's answer covers (the next range starts here).
    pub covered_until: Option<DateTime<Utc>>,
}

/// One month of CarbonSync's spend-based Scope 3, as sent to an inventory.
#[derive(Debug, Clone)]
pub struct ScopeThreeExport {
    /// The external id the platform keeps it under: the same month is always the same
    /// record there, so sending it again updates it.
    pub key: String,
    /// First day of the month.
    pub month: NaiveDate,
    /// kg CO2e by GHG Protocol Scope 3 category (1–15), exactly.
    pub by_category: BTreeMap<u8, Decimal>,
    /// What the record is, for the people who read it in the platform.
    pub description: String,
}

/// An inventory platform's API as the sync engine and the connect flow use it. Calls take
/// a fresh access token and the grant's extras (Salesforce: `instance_url`, the base of
/// every API call of that org); they never store anything.
#[async_trait]
pub trait InventoryConnector: Send + Sync + std::fmt::Debug {
    /// The catalogue id (`salesforce`).
    fn platform(&self) -> &'static str;

    /// The method, for the trail (`Salesforce Net Zero Cloud`).
    fn method(&self) -> &'static str;

    /// The footprint objects read, in order, by the platform's names.
    fn objects(&self) -> &'static [&'static str];

    /// How far back the deletion log reaches, in days (Salesforce: 15); a gap longer than
    /// this is read whole again.
    fn deletion_reach_days(&self) -> i64;

    /// The organisation the grant reaches.
    async fn organisation(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        meter: &CallMeter,
    ) -> Result<Tenant, ProviderError>;

    /// One page of `object`'s records changed after `after` (all of them without it), or,
    /// with `next`, the page the previous one linked to.
    async fn changed(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        object: &str,
        after: Option<&Position>,
        next: Option<&str>,
        meter: &CallMeter,
    ) -> Result<FootprintPage, ProviderError>;

    /// Ids of `object`'s records deleted between `from` and `to`.
    ///
    /// Errors: [`ProviderError::InvalidConfig`] is never returned for a range the platform
    /// no longer covers; the caller keeps ranges within [`Self::deletion_reach_days`].
    async fn deleted(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        object: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        meter: &CallMeter,
    ) -> Result<Deletions, ProviderError>;

    /// Writes `export` to the platform's Scope 3 procurement records, creating or updating
    /// the one under its key; returns whether it was created.
    async fn export(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        export: &ScopeThreeExport,
        meter: &CallMeter,
    ) -> Result<bool, ProviderError>;
}

/// How to build one inventory platform's connector.
#[derive(Debug, Clone)]
pub struct InventorySettings {
    pub endpoints: Endpoints,
    pub page_size: u32,
    pub retry: RetryPolicy,
    /// The local sandbox's base URL, for a sandbox connection: an org host named at sign-in
    /// (`instance_url`) is moved onto it, since a sandbox started in a later process listens
    /// on another port.
    pub sandbox_base: Option<String>,
}

/// An inventory platform's entry in [`INVENTORY_REGISTRY`].
pub struct InventoryRegistration {
    /// The catalogue id.
    pub platform: &'static str,
    /// Builds the connector; errors say which setting to change.
    pub build: fn(&InventorySettings) -> Result<Arc<dyn InventoryConnector>, ProviderError>,
}

/// Every inventory platform.
pub static INVENTORY_REGISTRY: &[InventoryRegistration] = &[crate::salesforce::REGISTRATION];

/// The registration of `platform`, if it is an inventory platform.
pub fn inventory_registration(platform: &str) -> Option<&'static InventoryRegistration> {
    INVENTORY_REGISTRY.iter().find(|r| r.platform == platform)
}
