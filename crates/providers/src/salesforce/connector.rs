//! Salesforce as an inventory platform: the org a grant reaches, its footprint records
//! changed since a position, and its deletion log.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::client::{parse_datetime, soql_datetime, ExternalId, SalesforceClient};
use super::footprints::{self, OBJECT_NAMES};
use crate::connector::GrantExtras;
use crate::http::CallMeter;
use crate::inventory::{
    Deletions, FootprintPage, InventoryConnector, InventoryRegistration, InventorySettings,
    Position, ScopeThreeExport,
};
use crate::listing::Unreadable;
use crate::{ProviderError, Tenant};

/// The grant extra naming the org's API host (the token answer's `instance_url`).
pub const INSTANCE_URL_EXTRA: &str = "instance_url";
/// The grant extra with the identity URL (`https://login.salesforce.com/id/{org}/{user}`).
pub const IDENTITY_EXTRA: &str = "id";

/// How far back `getDeleted` reaches: Salesforce keeps deleted records in the recycle bin
/// and its log for 15 days (REST API Developer Guide, "Get Deleted Records").
pub const DELETION_REACH_DAYS: i64 = 15;

pub const REGISTRATION: InventoryRegistration = InventoryRegistration {
    platform: "salesforce",
    build,
};

fn build(settings: &InventorySettings) -> Result<Arc<dyn InventoryConnector>, ProviderError> {
    let api_base = settings
        .endpoints
        .api_base
        .clone()
        .unwrap_or_else(|| "{instance_url}/services/data".into());
    if !api_base.contains("{instance_url}") {
        return Err(ProviderError::InvalidConfig {
            detail: format!(
                "the Salesforce `api_base` must contain {{instance_url}} where the org's address goes (like {{instance_url}}/services/data); it is {api_base}"
            ),
        });
    }
    if !(200..=2000).contains(&settings.page_size) {
        return Err(ProviderError::InvalidConfig {
            detail: format!(
                "{} is outside what Salesforce serves: use 200 to 2000 records a batch",
                settings.page_size
            ),
        });
    }
    Ok(Arc::new(SalesforceConnector {
        client: SalesforceClient::new(settings.retry.clone())?,
        api_base,
        page_size: settings.page_size,
        sandbox_base: settings.sandbox_base.clone(),
    }))
}

/// Salesforce Net Zero Cloud's footprints, read through the REST API.
#[derive(Debug)]
pub struct SalesforceConnector {
    client: SalesforceClient,
    /// `{instance_url}/services/data`.
    api_base: String,
    /// Records a batch asked for (`Sforce-Query-Options: batchSize`).
    page_size: u32,
    /// See [`InventorySettings::sandbox_base`].
    sandbox_base: Option<String>,
}

fn named_instance_url(extras: &GrantExtras) -> Result<&str, ProviderError> {
    extras
        .get(INSTANCE_URL_EXTRA)
        .map(|s| s.trim_end_matches('/'))
        .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
        .ok_or_else(|| ProviderError::InvalidConfig {
            detail: "the sign-in did not name the org's instance_url: reconnect Salesforce".into(),
        })
}

/// The org id in the identity URL `…/id/{org id}/{user id}`.
fn org_id(extras: &GrantExtras) -> Result<String, ProviderError> {
    extras
        .get(IDENTITY_EXTRA)
        .and_then(|url| {
            let mut parts = url.rsplit('/');
            let _user = parts.next()?;
            parts.next().map(str::to_string)
        })
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ProviderError::InvalidConfig {
            detail: "the sign-in did not name the org (identity URL): reconnect Salesforce".into(),
        })
}

impl SalesforceConnector {
    /// The org's API host: the one its sign-in named, moved onto the sandbox's current
    /// address for a sandbox connection.
    fn instance_url(&self, extras: &GrantExtras) -> Result<String, ProviderError> {
        let named = named_instance_url(extras)?;
        let Some(base) = &self.sandbox_base else {
            return Ok(named.to_string());
        };
        let path = url::Url::parse(named)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        Ok(format!("{}{path}", base.trim_end_matches('/')))
    }

    fn api_base(&self, extras: &GrantExtras) -> Result<String, ProviderError> {
        Ok(self
            .api_base
            .replace("{instance_url}", &self.instance_url(extras)?))
    }
}

/// SOQL for `object`'s records after `after`, oldest change first, ties by id.
fn changed_query(
    object: &footprints::FootprintObject,
    after: Option<&Position>,
    limit: u32,
) -> String {
    let mut q = format!("SELECT {} FROM {}", object.fields().join(", "), object.name);
    if let Some(p) = after {
        let stamp = DateTime::<Utc>::from_timestamp_millis(p.modified_ms)
            .map(soql_datetime)
            .unwrap_or_default();
        // Record ids are letters and digits only; anything else is not one of ours.
        let id: String = p.id.chars().filter(char::is_ascii_alphanumeric).collect();
        q.push_str(&format!(
            " WHERE SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > '{id}')"
        ));
    }
    q.push_str(&format!(" ORDER BY SystemModstamp, Id LIMIT {limit}"));
    q
}

/// How many records a walk reads before starting again from its last position: a query
/// cursor lives 15 minutes at Salesforce, and a bounded walk also bounds a stop's loss.
const WALK_RECORDS: u32 = 50_000;

#[async_trait]
impl InventoryConnector for SalesforceConnector {
    fn platform(&self) -> &'static str {
        "salesforce"
    }

    fn method(&self) -> &'static str {
        "Salesforce Net Zero Cloud"
    }

    fn objects(&self) -> &'static [&'static str] {
        OBJECT_NAMES
    }

    fn deletion_reach_days(&self) -> i64 {
        DELETION_REACH_DAYS
    }

    async fn organisation(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        meter: &CallMeter,
    ) -> Result<Tenant, ProviderError> {
        let org = org_id(extras)?;
        let page = self
            .client
            .query(
                &self.api_base(extras)?,
                access_token,
                "SELECT Id, Name FROM Organization",
                self.page_size,
                meter,
            )
            .await?;
        let name = page
            .records
            .first()
            .and_then(|r| r.get("Name"))
            .and_then(|n| n.as_str())
            .unwrap_or("Salesforce org")
            .to_string();
        Ok(Tenant {
            id: String::new(),
            tenant_id: org,
            tenant_type: "ORGANIZATION".into(),
            tenant_name: name,
        })
    }

    async fn changed(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        object: &str,
        after: Option<&Position>,
        next: Option<&str>,
        meter: &CallMeter,
    ) -> Result<FootprintPage, ProviderError> {
        let spec = footprints::object(object).ok_or_else(|| ProviderError::InvalidConfig {
            detail: format!("{object} is not a footprint object CarbonSync reads"),
        })?;
        let instance = self.instance_url(extras)?;
        let page = match next {
            Some(next) => {
                self.client
                    .query_more(&instance, access_token, next, meter)
                    .await?
            }
            None => {
                let soql = changed_query(spec, after, WALK_RECORDS);
                self.client
                    .query(
                        &self.api_base(extras)?,
                        access_token,
                        &soql,
                        self.page_size,
                        meter,
                    )
                    .await?
            }
        };
        let org = org_id(extras)?;
        let mut out = FootprintPage {
            next: if page.done {
                None
            } else {
                page.next_records_url
            },
            usage: page.usage,
            ..FootprintPage::default()
        };
        for record in &page.records {
            match spec.read(record, &org, &instance) {
                Ok(r) => out.records.push(r),
                Err(reason) => out.unreadable.push(Unreadable {
                    record_id: record
                        .get("Id")
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    updated: record
                        .get("SystemModstamp")
                        .and_then(|v| v.as_str())
                        .and_then(parse_datetime),
                    reason,
                    raw: crate::listing::raw_text(record),
                }),
            }
        }
        Ok(out)
    }

    async fn deleted(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        object: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        meter: &CallMeter,
    ) -> Result<Deletions, ProviderError> {
        let answer = self
            .client
            .deleted(
                &self.api_base(extras)?,
                access_token,
                object,
                from,
                to,
                meter,
            )
            .await?;
        Ok(Deletions {
            ids: answer.deleted_records.into_iter().map(|d| d.id).collect(),
            covered_until: answer
                .latest_date_covered
                .as_deref()
                .and_then(parse_datetime),
        })
    }

    async fn export(
        &self,
        access_token: &str,
        extras: &GrantExtras,
        export: &ScopeThreeExport,
        meter: &CallMeter,
    ) -> Result<bool, ProviderError> {
        let answer = self
            .client
            .upsert(
                &self.api_base(extras)?,
                access_token,
                &ExternalId {
                    object: EXPORT_OBJECT,
                    field: EXPORT_KEY_FIELD,
                    value: &export.key,
                },
                &export_fields(export),
                meter,
            )
            .await
            .map_err(|e| match e {
                // Salesforce answers 404 when the object has no such external-id field.
                ProviderError::Server { status: 404, detail } => ProviderError::InvalidConfig {
                    detail: format!(
                        "the org's {EXPORT_OBJECT} has no external-id field {EXPORT_KEY_FIELD}: add it in Setup (Object Manager, {EXPORT_OBJECT}, Fields: a text field of 255 characters marked External ID and Unique), then send again ({detail})"
                    ),
                },
                other => other,
            })?;
        Ok(answer.created)
    }
}

/// Where CarbonSync's spend-based Scope 3 goes: Net Zero Cloud's Scope 3 procurement
/// summary, one record per month.
pub const EXPORT_OBJECT: &str = "Scope3PcmtSummary";
/// The custom external-id field an org adds to `Scope3PcmtSummary` for CarbonSync, so that
/// a month sent again updates its record instead of adding one.
pub const EXPORT_KEY_FIELD: &str = "CarbonSync_Key__c";

/// `Scope3PcmtSummary`'s field for each Scope 3 category it has one for (Field Reference
/// Guide: categories 1 to 7); the others (8 to 15: leased assets, downstream, investments)
/// go to `Scp3UncatgEmissions`.
fn category_field(category: u8) -> Option<&'static str> {
    Some(match category {
        1 => "Scp3EmssnPurchGoodsService",
        2 => "Scp3EmssnCapitalGood",
        3 => "Scp3EmssnFuelEnergyActivity",
        4 => "Scp3EmssnUpstrmTrnspDistr",
        5 => "Scp3WasteGenInOper",
        6 => "Scp3EmssnBusinessTravel",
        7 => "ScpEmssnEmployeeCommuting",
        _ => return None,
    })
}

/// kg CO2e as tCO2e at the five decimals the procurement fields hold.
pub fn tonnes(kg: rust_decimal::Decimal) -> rust_decimal::Decimal {
    (kg / rust_decimal::Decimal::ONE_THOUSAND).round_dp(5)
}

/// A decimal as a JSON number.
fn number(d: rust_decimal::Decimal) -> serde_json::Value {
    serde_json::Value::Number(
        d.normalize()
            .to_string()
            .parse()
            .unwrap_or_else(|_| serde_json::Number::from(0)),
    )
}

/// The fields of one month's summary record.
fn export_fields(export: &ScopeThreeExport) -> serde_json::Value {
    use chrono::Datelike;
    let mut fields = serde_json::Map::new();
    fields.insert(
        "Name".into(),
        format!(
            "CarbonSync spend-based Scope 3, {}",
            export.month.format("%B %Y")
        )
        .into(),
    );
    fields.insert(
        "CalendarYear".into(),
        export.month.year().to_string().into(),
    );
    let last_day = export
        .month
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(export.month);
    fields.insert(
        "CarbonFootprintReportDate".into(),
        last_day.format("%Y-%m-%d").to_string().into(),
    );
    fields.insert("Description".into(), export.description.clone().into());
    // Every category field is written, empty when not sent: a month sent again with fewer
    // categories leaves no figure of the earlier sending behind. The total is the sum of the
    // fields as rounded, so the record adds up.
    let mut uncategorised = rust_decimal::Decimal::ZERO;
    let mut total = rust_decimal::Decimal::ZERO;
    for category in 1..=7u8 {
        let field = category_field(category).expect("a field for categories 1 to 7");
        match export.by_category.get(&category) {
            Some(&kg) => {
                let t = tonnes(kg);
                total += t;
                fields.insert(field.into(), number(t));
            }
            None => {
                fields.insert(field.into(), serde_json::Value::Null);
            }
        }
    }
    for (&category, &kg) in &export.by_category {
        if category_field(category).is_none() {
            uncategorised += kg;
        }
    }
    if uncategorised.is_zero() {
        fields.insert("Scp3UncatgEmissions".into(), serde_json::Value::Null);
    } else {
        let t = tonnes(uncategorised);
        total += t;
        fields.insert("Scp3UncatgEmissions".into(), number(t));
    }
    fields.insert("TotalScp3Emissions".into(), number(total));
    serde_json::Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incremental_query_breaks_ties_by_id_and_keeps_ids_plain() {
        let spec = footprints::object("VehicleAssetCrbnFtprnt").unwrap();
        assert_eq!(
            changed_query(spec, None, 10),
            "SELECT Id, Name, SystemModstamp, StartDate, EndDate, TotScope1EmissionsInTco2e FROM VehicleAssetCrbnFtprnt ORDER BY SystemModstamp, Id LIMIT 10"
        );
        let q = changed_query(
            spec,
            Some(&Position {
                modified_ms: 1_704_420_000_000,
                id: "0t4' OR Name != '".into(),
            }),
            10,
        );
        assert!(q.contains(
            "WHERE SystemModstamp > 2024-01-05T02:00:00.000Z OR (SystemModstamp = 2024-01-05T02:00:00.000Z AND Id > '0t4ORName')"
        ), "{q}");
    }

    #[test]
    fn the_org_is_read_from_the_identity_url() {
        let extras = GrantExtras::from([(
            IDENTITY_EXTRA.to_string(),
            "https://login.salesforce.com/id/00D5g000004ABCDEAA/0055g00000XYZ12AAA".to_string(),
        )]);
        assert_eq!(org_id(&extras).unwrap(), "00D5g000004ABCDEAA");
        assert!(org_id(&GrantExtras::new()).is_err());
    }
}
