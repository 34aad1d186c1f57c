//! The one interface every platform's connector implements, the platform-neutral documents it
//! returns, and the registry that finds a platform's connector by its catalogue id.
//!
//! The sync engine, the store, the application core and the window know connectors, never a
//! platform by name: a platform joins by adding its connector module, a [`Registration`] in
//! [`REGISTRY`], its sandbox stand-in, its mapping table and its catalogue entry.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::http::{CallMeter, RetryPolicy};
use crate::{Endpoints, ProviderError, Unreadable};

/// One stream of records a connector reads, in the order they are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    /// Stable name, stored with cursors and records (`bank_transactions`).
    pub name: &'static str,
    /// What a person calls it (`Bank transactions`).
    pub label: &'static str,
    /// A word for a narrow column (`Bank`).
    pub short: &'static str,
    /// One of its records (`Bank transaction`).
    pub singular: &'static str,
}

/// What a spend document is, which decides how it counts (see `docs/methodology.md`). Each
/// connector maps its platform's types onto these; the emissions rules know only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Money spent straight from a bank or card account: a purchase.
    BankSpend,
    /// Money moved between the organisation's own accounts.
    BankTransfer,
    /// Money received: a supplier refund on a purchase account, income elsewhere.
    BankReceive,
    /// A payment before the bill: counted through the bill.
    Prepayment,
    /// A payment over a bill's amount: refunded or allocated later.
    Overpayment,
    /// A supplier's bill: a purchase.
    Bill,
    /// A supplier credit: reduces a purchase.
    SupplierCredit,
    /// Anything issued to customers: income.
    Income,
}

/// A purchase-side document as every platform has one: a bill, a bank or card spend, a credit.
/// Amounts are exact and already signed as spend (a refund's and a credit's are negative).
#[derive(Debug, Clone, PartialEq)]
pub struct SpendDocument {
    /// The platform's id for it.
    pub id: String,
    pub kind: DocumentKind,
    /// The platform's own name for its type (`ACCPAY`, `SPEND`, `Purchase`), for people.
    pub type_name: String,
    /// The platform's own status text (`AUTHORISED`, `PAID`, `DELETED`).
    pub status: String,
    /// Deleted or voided at the platform: produces no emission.
    pub deleted: bool,
    pub date: NaiveDate,
    pub contact: Option<String>,
    pub reference: Option<String>,
    /// ISO 4217; `None` for the organisation's base currency.
    pub currency: Option<String>,
    /// How the platform treated tax on the lines (`Exclusive`, `Inclusive`, `NoTax`), as it
    /// names it; the lines' net amounts already take it into account.
    pub tax_mode: Option<String>,
    pub lines: Vec<DocumentLine>,
    /// The document's total in its currency, signed as spend.
    pub total: Decimal,
    /// When the platform last changed it.
    pub updated: DateTime<Utc>,
    /// Only the id, the deletion and its time are known (a change feed's deleted entry): what
    /// is already stored of the document is kept and marked deleted, not overwritten.
    pub tombstone: bool,
}

impl SpendDocument {
    /// A deleted document of which only the id and the time of deletion are known.
    pub fn tombstone(
        id: String,
        kind: DocumentKind,
        type_name: &str,
        updated: DateTime<Utc>,
    ) -> Self {
        SpendDocument {
            id,
            kind,
            type_name: type_name.to_owned(),
            status: "Deleted".to_owned(),
            deleted: true,
            date: updated.date_naive(),
            contact: None,
            reference: None,
            currency: None,
            tax_mode: None,
            lines: Vec::new(),
            total: Decimal::ZERO,
            updated,
            tombstone: true,
        }
    }
}

/// One line of a [`SpendDocument`].
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentLine {
    pub description: Option<String>,
    /// The account the line is coded to, as the line names it: [`Account::line_ref`] of an
    /// account of the chart (Xero: its code; QuickBooks: its id).
    pub account_ref: Option<String>,
    /// Before tax, in the document's currency, signed as spend.
    pub net_amount: Decimal,
}

/// An account of the platform's chart of accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub account_id: String,
    /// How documents' lines name this account ([`DocumentLine::account_ref`]).
    pub line_ref: Option<String>,
    /// What the platform's account mapping keys on for this account (Xero: the code;
    /// QuickBooks: `AccountSubType`): the platform's mapping table is looked up with it.
    pub mapping_key: Option<String>,
    /// The code people know it by, when the chart has codes.
    pub code: Option<String>,
    pub name: Option<String>,
    /// The platform's type (`EXPENSE`, `Expense`), as it names it.
    pub account_type: Option<String>,
    pub class: Option<String>,
    pub status: Option<String>,
    pub tax_type: Option<String>,
    pub updated: Option<DateTime<Utc>>,
}

/// An organisation or company a grant reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The platform's id for this grant's link to it, when it has one (Xero's connection id,
    /// needed to disconnect one organisation); otherwise empty.
    pub id: String,
    /// The id API calls name it by (Xero tenant id, QuickBooks realm id).
    pub tenant_id: String,
    /// The platform's kind of tenant (`ORGANISATION`), when it says.
    pub tenant_type: String,
    pub tenant_name: String,
}

/// What a connection needs to know of its organisation once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub name: String,
    /// ISO 4217, the currency the books are kept in.
    pub base_currency: String,
}

/// One page of a stream, read and made platform-neutral.
#[derive(Debug, Clone)]
pub struct DocumentPage<T> {
    pub items: Vec<T>,
    /// Records of the page that could not be read, set aside with the reason.
    pub unreadable: Vec<Unreadable>,
    /// No page follows in this walk.
    pub last: bool,
    /// The platform's clock when it answered, when it says.
    pub server_time: Option<DateTime<Utc>>,
    /// The platform cannot say everything that changed since the walk's time (its change feed
    /// was cut short): the engine reads the stream whole instead. The reason is for the log.
    pub resync: Option<String>,
}

impl<T> DocumentPage<T> {
    /// Records on this page, readable or not.
    pub fn len(&self) -> usize {
        self.items.len() + self.unreadable.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a platform tells a client about deletions, which decides how positions move and when a
/// stream has to be read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeFeed {
    /// Deleted and voided documents keep coming back with their status (Xero): reading what
    /// changed since the position is always enough, and the position is the newest
    /// modification time seen.
    StatusInRecords,
    /// Deletions are reported only for `reach` back from the platform's clock (QuickBooks'
    /// change data capture: 30 days). A stream last complete longer ago is read whole, and a
    /// document the whole read no longer lists is deleted. Positions follow the platform's clock
    /// (when a walk began), since the feed is asked by time of change.
    Window { reach: chrono::Duration },
}

/// What a grant answered besides its tokens (`realmId` on QuickBooks' callback,
/// `instance_url` in Salesforce's token answer), as the platform names them.
pub type GrantExtras = BTreeMap<String, String>;

/// A platform's API, as the sync engine and the connect flow use it. Calls take a fresh
/// access token and the tenant's id; they never store anything.
///
/// Paging: a stream is read in walks of numbered pages (1, 2, …) of records modified at or
/// after a fixed time, until [`DocumentPage::last`]; the engine keeps the walk's place. How a
/// connector answers a page is its own affair: Xero pages its listings by number; QuickBooks
/// answers page 1 of a recent walk from its change feed (edits and deletions at once) and pages
/// a whole read by `STARTPOSITION`. See [`Connector::change_feed`] for what a whole read means.
#[async_trait]
pub trait Connector: Send + Sync + std::fmt::Debug {
    /// The catalogue id (`xero`).
    fn platform(&self) -> &'static str;

    /// The record streams, in the order they are read (after the chart of accounts).
    fn streams(&self) -> &'static [StreamSpec];

    /// Records asked for a page.
    fn page_size(&self) -> u32;

    /// How the platform reports deletions.
    fn change_feed(&self) -> ChangeFeed {
        ChangeFeed::StatusInRecords
    }

    /// The organisations or companies the grant behind `access_token` reaches; `extras` is what
    /// the grant answered besides its tokens.
    async fn tenants(
        &self,
        access_token: &str,
        extras: &GrantExtras,
    ) -> Result<Vec<Tenant>, ProviderError>;

    /// The organisation's name and base currency.
    async fn organisation(
        &self,
        access_token: &str,
        tenant_id: &str,
    ) -> Result<Organisation, ProviderError>;

    /// The chart of accounts, changed at or after `modified_since` (all without it).
    async fn accounts(
        &self,
        access_token: &str,
        tenant_id: &str,
        modified_since: Option<DateTime<Utc>>,
        meter: &CallMeter,
    ) -> Result<DocumentPage<Account>, ProviderError>;

    /// Page `page` (1-based) of `stream`'s documents modified at or after `modified_since`
    /// (every document, deleted ones excepted where the platform leaves them out, without it).
    ///
    /// Errors: [`ProviderError::InvalidConfig`] for a stream not in [`Connector::streams`].
    async fn documents(
        &self,
        access_token: &str,
        tenant_id: &str,
        stream: &str,
        modified_since: Option<DateTime<Utc>>,
        page: u32,
        meter: &CallMeter,
    ) -> Result<DocumentPage<SpendDocument>, ProviderError>;
}

/// How to build one platform's connector: its endpoints (production, sandbox or configured),
/// the page size and the retry policy.
#[derive(Debug, Clone)]
pub struct ConnectorSettings {
    pub endpoints: Endpoints,
    pub page_size: u32,
    pub retry: RetryPolicy,
}

/// A platform's entry in [`REGISTRY`].
pub struct Registration {
    /// The catalogue id.
    pub platform: &'static str,
    /// The record streams its connector reads, in order (the same as
    /// [`Connector::streams`]), so they can be listed without building one.
    pub streams: &'static [StreamSpec],
    /// Builds the connector; errors say which setting to change.
    pub build: fn(&ConnectorSettings) -> Result<Arc<dyn Connector>, ProviderError>,
    /// The kind of a stored record from the platform's own type name, so entries can be
    /// decided again from stored records without asking the platform.
    pub kind_of: fn(&str) -> DocumentKind,
    /// Checks a configured page size before anything is built; the message says the range.
    pub check_page_size: fn(u32) -> Result<(), String>,
    /// How the platform's webhooks are signed and shaped, when it sends any.
    pub webhook: Option<&'static crate::webhook::WebhookSpec>,
}

/// Every platform that has a connector.
pub static REGISTRY: &[Registration] =
    &[crate::xero::REGISTRATION, crate::quickbooks::REGISTRATION];

/// The registration of `platform`, if it has a connector.
pub fn registration(platform: &str) -> Option<&'static Registration> {
    REGISTRY.iter().find(|r| r.platform == platform)
}

/// The stream every connector reads first: the chart of accounts, which names the lines.
pub const ACCOUNTS_STREAM: StreamSpec = StreamSpec {
    name: "accounts",
    label: "Chart of accounts",
    short: "Account",
    singular: "Account",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalogue;

    #[test]
    fn a_platform_is_available_exactly_when_it_has_a_connector() {
        for entry in Catalogue::builtin().entries() {
            assert_eq!(
                entry.available,
                registration(&entry.id).is_some()
                    || crate::cloud::cloud_registration(&entry.id).is_some()
                    || crate::inventory::inventory_registration(&entry.id).is_some()
                    || crate::notifier::notifier_registration(&entry.id).is_some(),
                "{}: the catalogue and the registry disagree",
                entry.id
            );
        }
        for r in crate::cloud::CLOUD_REGISTRY {
            assert!(
                Catalogue::builtin().get(r.platform).is_some(),
                "{}",
                r.platform
            );
            assert!(!r.fields.is_empty(), "{}", r.platform);
        }
        for r in REGISTRY {
            assert!(
                Catalogue::builtin().get(r.platform).is_some(),
                "{}",
                r.platform
            );
            assert!(!r.streams.is_empty());
            assert!(r.streams.iter().all(|s| s.name != ACCOUNTS_STREAM.name));
        }
    }
}
