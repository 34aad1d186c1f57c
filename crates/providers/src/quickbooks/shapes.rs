//! The parts of QuickBooks Online's JSON that CarbonSync reads (Accounting API, minor version
//! 75). Field names follow Intuit (PascalCase, `Id`, `MetaData`); fields not listed are skipped.
//!
//! Source: Intuit's API reference for Purchase, Bill, VendorCredit, Account, CompanyInfo and
//! Preferences (developer.intuit.com, "QuickBooks Online Accounting API").

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::amount;

/// A reference to another object: `{"value": "42", "name": "Travel"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ref {
    pub value: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `MetaData`: when the object was created and last changed, with the offset Intuit writes
/// (the company's local time, e.g. `2024-03-05T10:15:30-08:00`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MetaData {
    #[serde(rename = "LastUpdatedTime", deserialize_with = "timestamp")]
    pub last_updated: DateTime<Utc>,
}

/// A Purchase (money spent by cash, check or card), a Bill or a VendorCredit: the three
/// purchase-side transactions share these fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Transaction {
    pub id: String,
    pub meta_data: MetaData,
    pub txn_date: NaiveDate,
    /// Absent in a company without multicurrency: the home currency.
    #[serde(default)]
    pub currency_ref: Option<Ref>,
    /// Home currency per unit of the transaction's currency.
    #[serde(default, with = "amount::optional")]
    pub exchange_rate: Option<Decimal>,
    /// Purchase only: `Cash`, `Check` or `CreditCard`.
    #[serde(default)]
    pub payment_type: Option<String>,
    /// Purchase only: `true` on a credit card credit (a refund to the card).
    #[serde(default)]
    pub credit: Option<bool>,
    /// Purchase: the payee (vendor, customer or employee).
    #[serde(default)]
    pub entity_ref: Option<Ref>,
    /// Bill and VendorCredit: the vendor.
    #[serde(default)]
    pub vendor_ref: Option<Ref>,
    #[serde(default, with = "amount::optional")]
    pub total_amt: Option<Decimal>,
    /// `TaxExcluded`, `TaxInclusive` or `NotApplicable`.
    #[serde(default)]
    pub global_tax_calculation: Option<String>,
    #[serde(default)]
    pub doc_number: Option<String>,
    /// The memo; QuickBooks writes `Voided` here when a transaction is voided (and sets its
    /// amounts to zero).
    #[serde(default)]
    pub private_note: Option<String>,
    #[serde(rename = "Line", default)]
    pub lines: Vec<Line>,
}

/// One line of a transaction. `Amount` is before tax, whatever `GlobalTaxCalculation` says
/// (Intuit computes it from `TaxInclusiveAmt` for tax-inclusive entry).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Line {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, with = "amount::or_zero")]
    pub amount: Decimal,
    /// `AccountBasedExpenseLineDetail`, `ItemBasedExpenseLineDetail`, …
    #[serde(default)]
    pub detail_type: Option<String>,
    #[serde(default)]
    pub account_based_expense_line_detail: Option<AccountDetail>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountDetail {
    #[serde(default)]
    pub account_ref: Option<Ref>,
}

/// An account of the chart. Lines name it by `Id`; the mapping keys on `AccountSubType`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The account number, where the company uses them.
    #[serde(default)]
    pub acct_num: Option<String>,
    /// `Expense`, `Other Expense`, `Cost of Goods Sold`, `Bank`, …
    #[serde(default)]
    pub account_type: Option<String>,
    /// Intuit's `AccountSubTypeEnum` value: `Travel`, `Utilities`, …
    #[serde(default)]
    pub account_sub_type: Option<String>,
    /// `Expense`, `Asset`, `Liability`, `Equity`, `Revenue`.
    #[serde(default)]
    pub classification: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyInfo {
    pub company_name: String,
    #[serde(default)]
    pub country: Option<String>,
}

/// What `GET /companyinfo/{realmId}` answers.
#[derive(Debug, Deserialize)]
pub(crate) struct CompanyInfoAnswer {
    #[serde(rename = "CompanyInfo")]
    pub company_info: CompanyInfo,
}

/// What `GET /preferences` answers, as far as the home currency goes.
#[derive(Debug, Deserialize)]
pub(crate) struct PreferencesAnswer {
    #[serde(rename = "Preferences")]
    pub preferences: Preferences,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Preferences {
    #[serde(rename = "CurrencyPrefs", default)]
    pub currency: Option<CurrencyPrefs>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CurrencyPrefs {
    #[serde(rename = "HomeCurrency", default)]
    pub home_currency: Option<Ref>,
}

/// `{"QueryResponse": {"Purchase": [...], "startPosition": 1, "maxResults": n}, "time": …}`;
/// an empty result has no entity key at all.
#[derive(Deserialize)]
pub(crate) struct QueryAnswer<'a> {
    #[serde(rename = "QueryResponse", borrow, default)]
    pub response: Option<QueryResponse<'a>>,
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub time: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
pub(crate) struct QueryResponse<'a> {
    #[serde(
        rename = "Purchase",
        alias = "Bill",
        alias = "VendorCredit",
        alias = "Account",
        borrow,
        default
    )]
    pub items: Vec<&'a RawValue>,
}

/// `{"CDCResponse": [{"QueryResponse": [{"Purchase": [...]}, {"Bill": [...]}]}], "time": …}`.
#[derive(Deserialize)]
pub(crate) struct CdcAnswer<'a> {
    #[serde(rename = "CDCResponse", borrow, default)]
    pub responses: Vec<CdcResponse<'a>>,
    #[serde(default, deserialize_with = "optional_timestamp")]
    pub time: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
pub(crate) struct CdcResponse<'a> {
    /// One map per entity asked for: the entity's name to its list, beside `startPosition`,
    /// `maxResults` and `totalCount`.
    #[serde(rename = "QueryResponse", borrow, default)]
    pub entities: Vec<std::collections::HashMap<String, &'a RawValue>>,
}

/// A deleted object as change data capture reports it: the id, `status: "Deleted"` and when.
#[derive(Debug, Deserialize)]
pub(crate) struct CdcStatus {
    #[serde(rename = "Id")]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(rename = "MetaData", default)]
    pub meta_data: Option<MetaData>,
}

/// Intuit's timestamps: RFC 3339 with an offset (`2024-03-05T10:15:30-08:00`), sometimes with
/// fractions of a second.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    parse_timestamp(&text).ok_or_else(|| {
        serde::de::Error::custom("expected a date and time with an offset (RFC 3339)")
    })
}

fn optional_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .as_deref()
        .and_then(parse_timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_reads_with_its_local_offset_and_exact_amounts() {
        let json = r#"{"Id":"252","SyncToken":"0","domain":"QBO","sparse":false,
            "MetaData":{"CreateTime":"2024-03-12T09:00:00-07:00","LastUpdatedTime":"2024-03-12T10:15:30-07:00"},
            "TxnDate":"2024-03-12","CurrencyRef":{"value":"EUR","name":"Euro"},"ExchangeRate":1.085,
            "PaymentType":"CreditCard","Credit":true,"EntityRef":{"value":"56","name":"Skyway Air","type":"Vendor"},
            "TotalAmt":1250.1,"GlobalTaxCalculation":"NotApplicable",
            "Line":[{"Id":"1","Amount":1250.1,"DetailType":"AccountBasedExpenseLineDetail",
              "AccountBasedExpenseLineDetail":{"AccountRef":{"value":"7","name":"Travel"},"BillableStatus":"NotBillable"}},
              {"Id":"2","Amount":0.1,"DetailType":"ItemBasedExpenseLineDetail",
              "ItemBasedExpenseLineDetail":{"ItemRef":{"value":"3","name":"Widgets"},"Qty":1,"UnitPrice":0.1}}]}"#;
        let t: Transaction = serde_json::from_str(json).unwrap();
        assert_eq!(
            t.meta_data.last_updated.to_rfc3339(),
            "2024-03-12T17:15:30+00:00"
        );
        assert_eq!(t.total_amt, Some("1250.1".parse().unwrap()));
        assert_eq!(t.exchange_rate, Some("1.085".parse().unwrap()));
        assert_eq!(t.credit, Some(true));
        assert_eq!(t.lines.len(), 2);
        assert!(t.lines[1].account_based_expense_line_detail.is_none());
    }

    #[test]
    fn an_empty_query_answer_has_no_entity_key() {
        let a: QueryAnswer<'_> =
            serde_json::from_str(r#"{"QueryResponse":{},"time":"2026-12-01T01:02:03.123-08:00"}"#)
                .unwrap();
        assert!(a.response.unwrap().items.is_empty());
        assert!(a.time.is_some());
    }
}
