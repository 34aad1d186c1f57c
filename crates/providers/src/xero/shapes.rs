//! The parts of Xero's JSON that CarbonSync reads.
//!
//! Field names follow Xero (PascalCase, with Xero's own spelling of `…ID` and `…UTC`); fields
//! not listed here are skipped by serde without being kept, which keeps pages cheap to parse.
//! Serialize is derived too, writing the same shapes back (dates in Xero's `/Date(…)/` form),
//! so fixtures and fakes can be built from these types.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::dates;
use crate::amount;

/// One organisation (or practice) the access token may read, from `GET /connections`.
/// That endpoint is camelCase, unlike the Accounting API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// The connection's id (needed to disconnect one tenant).
    pub id: String,
    /// The value for the `xero-tenant-id` header.
    pub tenant_id: String,
    /// `ORGANISATION`, `PRACTICEMANAGER`, …
    pub tenant_type: String,
    /// Xero sends `null` for some tenant types; kept as an empty string then.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tenant_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Organisation {
    #[serde(rename = "OrganisationID")]
    pub organisation_id: String,
    pub name: String,
    /// ISO 4217, the currency the books are kept in.
    pub base_currency: String,
    /// ISO 3166 alpha-2.
    pub country_code: String,
}

/// An account of the chart of accounts; mapping rules key on its code and type.
///
/// Xero's OpenAPI description marks none of an Account's fields as required, and its own example
/// Account has neither `Status` nor `UpdatedDateUTC`: only the id is needed to keep one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    #[serde(rename = "AccountID")]
    pub account_id: String,
    /// Optional in Xero (bank accounts often have none).
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Xero's `Type`: `EXPENSE`, `DIRECTCOSTS`, `OVERHEADS`, `BANK`, …
    #[serde(rename = "Type", default)]
    pub account_type: Option<String>,
    /// `ASSET`, `EQUITY`, `EXPENSE`, `LIABILITY`, `REVENUE`.
    #[serde(default)]
    pub class: Option<String>,
    /// `ACTIVE` or `ARCHIVED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tax_type: Option<String>,
    #[serde(
        rename = "UpdatedDateUTC",
        default,
        with = "dates::optional_datetime",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated: Option<DateTime<Utc>>,
}

/// A spend or receive money transaction on a bank account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BankTransaction {
    #[serde(rename = "BankTransactionID")]
    pub id: String,
    /// Xero's `Type`: `SPEND`, `RECEIVE`, `SPEND-TRANSFER`, …
    #[serde(rename = "Type")]
    pub kind: String,
    /// `Contact.Name`.
    #[serde(
        rename = "Contact",
        default,
        with = "contact_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub contact_name: Option<String>,
    #[serde(with = "dates::date")]
    pub date: NaiveDate,
    #[serde(default)]
    pub reference: Option<String>,
    /// Absent means the organisation's base currency (Xero's documented default).
    #[serde(rename = "CurrencyCode", default)]
    pub currency: Option<String>,
    /// `AUTHORISED`, `PAID`, `DELETED`, `VOIDED`, …; absent is read as a live document.
    #[serde(default)]
    pub status: Option<String>,
    /// `Exclusive`, `Inclusive` or `NoTax`: how to read the line amounts.
    #[serde(default = "default_line_amount_types")]
    pub line_amount_types: String,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    /// The document total as Xero sent it, exactly.
    #[serde(default, with = "amount::optional")]
    pub total: Option<Decimal>,
    #[serde(rename = "UpdatedDateUTC", with = "dates::datetime")]
    pub updated: DateTime<Utc>,
}

/// An invoice; CarbonSync asks only for bills (`Type == "ACCPAY"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Invoice {
    #[serde(rename = "InvoiceID")]
    pub id: String,
    /// Xero's `Type`: `ACCPAY` (a bill) or `ACCREC` (a sales invoice).
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(
        rename = "Contact",
        default,
        with = "contact_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub contact_name: Option<String>,
    #[serde(with = "dates::date")]
    pub date: NaiveDate,
    #[serde(default)]
    pub reference: Option<String>,
    /// Absent means the organisation's base currency (Xero's documented default).
    #[serde(rename = "CurrencyCode", default)]
    pub currency: Option<String>,
    /// `AUTHORISED`, `PAID`, `DELETED`, `VOIDED`, …; absent is read as a live document.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default = "default_line_amount_types")]
    pub line_amount_types: String,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    /// The document total as Xero sent it, exactly.
    #[serde(default, with = "amount::optional")]
    pub total: Option<Decimal>,
    #[serde(rename = "UpdatedDateUTC", with = "dates::datetime")]
    pub updated: DateTime<Utc>,
}

/// A credit note; CarbonSync asks only for supplier credit notes (`Type == "ACCPAYCREDIT"`),
/// which reduce spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreditNote {
    #[serde(rename = "CreditNoteID")]
    pub id: String,
    /// Xero's `Type`: `ACCPAYCREDIT` (from a supplier) or `ACCRECCREDIT` (to a customer).
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default)]
    pub credit_note_number: Option<String>,
    #[serde(
        rename = "Contact",
        default,
        with = "contact_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub contact_name: Option<String>,
    #[serde(with = "dates::date")]
    pub date: NaiveDate,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(rename = "CurrencyCode", default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default = "default_line_amount_types")]
    pub line_amount_types: String,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    /// The document total as Xero sent it, exactly.
    #[serde(default, with = "amount::optional")]
    pub total: Option<Decimal>,
    #[serde(rename = "UpdatedDateUTC", with = "dates::datetime")]
    pub updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LineItem {
    #[serde(rename = "LineItemID", default)]
    pub line_item_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub account_code: Option<String>,
    /// In the document's currency, exactly as sent; absent or `null` reads as zero.
    #[serde(default, with = "amount::or_zero")]
    pub line_amount: Decimal,
    /// Absent (or `null`) on `NoTax` lines.
    #[serde(default, with = "amount::or_zero")]
    pub tax_amount: Decimal,
}

impl LineItem {
    /// The amount before tax. With `Inclusive` line amounts the tax is inside `LineAmount`;
    /// with `Exclusive` and `NoTax` the line amount already is the net.
    pub fn net_amount(&self, line_amount_types: &str) -> Decimal {
        if line_amount_types.eq_ignore_ascii_case("Inclusive") {
            self.line_amount - self.tax_amount
        } else {
            self.line_amount
        }
    }
}

/// Xero's documented default when a document does not say.
fn default_line_amount_types() -> String {
    "Exclusive".to_owned()
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads `"Contact": {"Name": …, …}` as just the name; the rest of the contact is not needed.
mod contact_name {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize, Serialize)]
    struct ContactRef {
        #[serde(rename = "Name", default)]
        name: Option<String>,
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<ContactRef>::deserialize(d)?.and_then(|c| c.name))
    }

    pub fn serialize<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        value
            .as_ref()
            .map(|name| ContactRef {
                name: Some(name.clone()),
            })
            .serialize(s)
    }
}

/// A listing answer with its records kept as raw JSON, so each record is read on its own and one
/// that cannot be read is set aside instead of failing the page. Xero names the list after the
/// resource; the aliases cover the listings CarbonSync reads.
#[derive(Deserialize)]
pub(crate) struct RawListing<'a> {
    #[serde(
        rename = "BankTransactions",
        alias = "Invoices",
        alias = "CreditNotes",
        alias = "Accounts",
        borrow,
        default
    )]
    pub items: Vec<&'a serde_json::value::RawValue>,
    /// Present on paged listings (Xero added it in 2024).
    #[serde(default)]
    pub pagination: Option<Pagination>,
    /// Xero's clock when it answered, `/Date(…)/`.
    #[serde(rename = "DateTimeUTC", default)]
    pub date_time_utc: Option<String>,
}

/// The paging Xero reports with a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    #[serde(default)]
    pub page: u32,
    /// The page size actually served, which may be smaller than the one asked for.
    #[serde(default)]
    pub page_size: u32,
    #[serde(default)]
    pub page_count: u32,
    #[serde(default)]
    pub item_count: u64,
}
