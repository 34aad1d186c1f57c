//! CarbonSync's knowledge of the platforms it connects to: the catalogue (what each platform
//! is, how it authenticates, where it lives) and the API clients that read its records.
//!
//! Nothing here stores tokens or decides when to sync; callers pass a fresh access token in and
//! get typed records and precise errors out.

mod amount;
pub mod catalogue;
pub mod cloud;
pub mod connector;
mod error;
pub mod http;
pub mod inventory;
mod listing;
pub mod notifier;
pub mod quickbooks;
pub mod salesforce;
pub mod slack;
pub mod teams;
pub mod webhook;
pub mod xero;

pub use catalogue::{
    AuthKind, Catalogue, CatalogueError, Category, Endpoints, ProviderEntry, RateLimitInfo,
    RedirectStyle,
};
pub use cloud::{
    cloud_registration, Basis, CloudConnector, CloudCredentials, CloudEstate, CloudRegistration,
    CloudSettings, CredentialField, ReportPage, ReportedEmission, ReportedSpend, CLOUD_REGISTRY,
};
pub use connector::{
    registration, Account, ChangeFeed, Connector, ConnectorSettings, DocumentKind, DocumentLine,
    DocumentPage, GrantExtras, Organisation, SpendDocument, StreamSpec, Tenant, ACCOUNTS_STREAM,
};
pub use error::ProviderError;
pub use http::{CallMeter, RetryPolicy};
pub use inventory::{
    inventory_registration, Deletions, FootprintPage, FootprintRecord, InventoryConnector,
    InventoryRegistration, InventorySettings, Position, ScopeThreeExport, INVENTORY_REGISTRY,
};
pub use listing::Unreadable;
pub use webhook::{WebhookEvent, WebhookSpec};
pub use xero::{Page, XeroClient, XeroEndpoints};
