//! The Carbon Optimization report API's shapes as the connector reads them, and the connector's
//! own page token.
//!
//! Source: Carbon Service - Query Carbon Emission Reports, api-version 2025-04-01
//! (<https://learn.microsoft.com/en-us/rest/api/carbon/carbon-service/query-carbon-emission-reports>;
//! OpenAPI description `specification/carbon/resource-manager/Microsoft.Carbon/Carbon/stable/2025-04-01/main.json`
//! in Azure/azure-rest-api-specs).

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::ProviderError;

/// The scopes a report is asked for one at a time (`carbonScopeList` takes several and
/// answers their sum), as GHG Protocol scope numbers and the API's names.
pub const SCOPES: [(u8, &str); 3] = [(1, "Scope1"), (2, "Scope2"), (3, "Scope3")];

/// The API's answer to any report: `value`, the next page's `skipToken` (absent or empty on
/// the last page) and, for every subscription asked for, whether it could be read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportAnswer {
    #[serde(default)]
    pub value: Vec<ReportItem>,
    #[serde(default)]
    pub skip_token: Option<String>,
    #[serde(default)]
    pub subscription_access_decision_list: Vec<AccessDecision>,
}

/// One item of `value`. For `ItemDetailsReport` by `Resource` it is a
/// `ResourceItemDetailsData`: `subscriptionId`, `resourceGroup` and `resourceId` always,
/// `location` (a display name in lower case, `east us`) and `resourceType`
/// (`microsoft.storage/storageaccounts`) when known. Emissions are in kgCO2e; the number is
/// kept as the text it was published as.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportItem {
    #[serde(default)]
    pub data_type: Option<String>,
    pub latest_month_emissions: Box<RawValue>,
    #[serde(default)]
    pub item_name: Option<String>,
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
}

/// `Allowed` or `Denied` for one subscription of the query, with the reason when denied.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessDecision {
    pub subscription_id: String,
    pub decision: String,
    #[serde(default)]
    pub denial_reason: Option<String>,
}

/// The exact decimal a JSON number was written as (`0.1`, `22`, `1.5E-05`), never through a
/// binary float.
///
/// Errors: [`ProviderError::BadResponse`] for anything that is not a number.
pub fn exact_number(raw: &RawValue, what: &str) -> Result<Decimal, ProviderError> {
    let text = raw.get().trim();
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    let parsed = if looks_numeric && !text.is_empty() {
        Decimal::from_str(text)
            .ok()
            .or_else(|| Decimal::from_scientific(text).ok())
    } else {
        None
    };
    parsed.ok_or_else(|| ProviderError::BadResponse {
        detail: format!("{what} is not a number"),
    })
}

/// The resource type from a resource id when the item leaves `resourceType` out:
/// `/subscriptions/…/resourceGroups/…/providers/Microsoft.Sql/servers/s1/databases/d1` →
/// `microsoft.sql/servers/databases`.
pub fn type_from_resource_id(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let start = lower.rfind("/providers/")? + "/providers/".len();
    let mut parts = lower[start..].split('/').filter(|p| !p.is_empty());
    let namespace = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    // Type and name alternate after the namespace: keep the types.
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    if types.is_empty() {
        return None;
    }
    Some(format!("{namespace}/{}", types.join("/")))
}

/// An Azure location as its ARM name: the report gives the display name in lower case
/// (`west europe`, `east us 2`), ARM and every other Azure API the name without spaces
/// (`westeurope`, `eastus2`).
pub fn location_code(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a read stands, carried from one [`crate::cloud::CloudConnector::emissions`] call to
/// the next as the opaque page token `azure:v1:<YYYY-MM>:<scope>`: the month and the GHG scope
/// (1–3) the next call reads. Each call reads one month and scope completely, every
/// `skipToken` page and every block of 100 subscriptions, so the token never carries a
/// `skipToken` (see the module documentation of the connector for why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub month: NaiveDate,
    /// Index into [`SCOPES`].
    pub scope: usize,
}

const CURSOR_PREFIX: &str = "azure:v1:";

impl Cursor {
    pub fn encode(self) -> String {
        format!(
            "{CURSOR_PREFIX}{}:{}",
            self.month.format("%Y-%m"),
            SCOPES[self.scope].0
        )
    }

    /// Reads a token written by [`Cursor::encode`].
    ///
    /// Errors: [`ProviderError::InvalidConfig`] for a token this connector did not write.
    pub fn decode(token: &str) -> Result<Cursor, ProviderError> {
        let bad = || ProviderError::InvalidConfig {
            detail: "the Azure page token was not written by this connector: start the read again"
                .to_owned(),
        };
        let rest = token.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
        let (month, scope) = rest.rsplit_once(':').ok_or_else(bad)?;
        let month =
            NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        let scope = SCOPES
            .iter()
            .position(|(n, _)| scope == n.to_string())
            .ok_or_else(bad)?;
        Ok(Cursor { month, scope })
    }

    /// The month and scope after this one, `None` after Scope 3 of `last`.
    pub fn after(self, last: NaiveDate) -> Option<Cursor> {
        if self.scope + 1 < SCOPES.len() {
            return Some(Cursor {
                month: self.month,
                scope: self.scope + 1,
            });
        }
        let month = next_month(self.month);
        (month <= last).then_some(Cursor { month, scope: 0 })
    }
}

/// The first day of the month of `date`.
pub fn first_of_month(date: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(date.year(), date.month(), 1).expect("the first of a month exists")
}

pub fn next_month(month: NaiveDate) -> NaiveDate {
    first_of_month(month)
        .checked_add_months(chrono::Months::new(1))
        .expect("a month within chrono's range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_exactly() {
        let raw = |t: &str| RawValue::from_string(t.to_owned()).unwrap();
        assert_eq!(exact_number(&raw("0.1"), "x").unwrap().to_string(), "0.1");
        assert_eq!(exact_number(&raw("22"), "x").unwrap().to_string(), "22");
        assert_eq!(
            exact_number(&raw("1234.567"), "x").unwrap().to_string(),
            "1234.567"
        );
        assert_eq!(
            exact_number(&raw("1.5E-05"), "x").unwrap().to_string(),
            "0.000015"
        );
        assert!(exact_number(&raw("\"12\""), "x").is_err());
        assert!(exact_number(&raw("null"), "x").is_err());
    }

    #[test]
    fn resource_types_and_locations() {
        assert_eq!(
            type_from_resource_id(
                "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/d1"
            )
            .as_deref(),
            Some("microsoft.sql/servers/databases")
        );
        assert_eq!(
            type_from_resource_id("/subscriptions/0/resourceGroups/rg/providers/microsoft.storage/storageaccounts/st1")
                .as_deref(),
            Some("microsoft.storage/storageaccounts")
        );
        assert_eq!(location_code("east us 2"), "eastus2");
        assert_eq!(location_code("West Europe"), "westeurope");
    }

    #[test]
    fn cursors_round_trip_and_walk_months_and_scopes() {
        let june = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let c = Cursor {
            month: june,
            scope: 1,
        };
        assert_eq!(c.encode(), "azure:v1:2024-06:2");
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("azure:v1:2024-06:4").is_err());
        assert!(Cursor::decode("opaque").is_err());
        let last = Cursor {
            month: june,
            scope: 2,
        };
        assert_eq!(last.after(june), None);
        assert_eq!(
            last.after(NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()),
            Some(Cursor {
                month: NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(),
                scope: 0
            })
        );
    }
}
