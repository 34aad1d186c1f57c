//! Sending CarbonSync's own numbers to an inventory platform (Salesforce Net Zero Cloud):
//! the spend-based Scope 3 of the months and categories the person chose.

use crate::{App, AppError};
use carbonsync_providers::{inventory_registration, ScopeThreeExport};
use carbonsync_sync::{SyncOptions, SyncReport, Trigger};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// `YYYY-MM` (exactly: four digits, a dash, two digits) as the first day of that month.
fn month_start(month: &str) -> Result<NaiveDate, AppError> {
    let shaped = month.len() == 7
        && month.as_bytes()[4] == b'-'
        && month
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit());
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| shaped)
        .ok_or_else(|| {
            AppError::new(
                "invalid_month",
                format!("{month:?} is not a month: write YYYY-MM, e.g. 2024-11."),
            )
        })
}

impl App {
    /// Sends the spend-based Scope 3 of the months `from..=to` (`YYYY-MM`) to inventory
    /// connection `connection_id`, one record per month with data, by Scope 3 category;
    /// `categories` keeps only those (all when `None`). Sending a month again updates its
    /// record there (each month has a fixed key); what was sent is in the connection's
    /// history, trigger "export".
    ///
    /// Errors: a connection that is not an inventory platform's, months out of order or
    /// not months, nothing to send, and what the platform answers.
    pub async fn export_to_inventory(
        &self,
        connection_id: i64,
        from: &str,
        to: &str,
        categories: Option<&[u8]>,
    ) -> Result<SyncReport, AppError> {
        let conn = self.connection(connection_id)?;
        if inventory_registration(&conn.provider).is_none() {
            return Err(AppError::new(
                "not_an_inventory",
                format!(
                    "Connection {connection_id} is {}, which keeps no inventory to send to; CarbonSync sends its Scope 3 to Salesforce Net Zero Cloud.",
                    conn.tenant_name
                ),
            ));
        }
        let (first, last) = (month_start(from)?, month_start(to)?);
        if let Some(bad) = categories.and_then(|c| c.iter().find(|c| !(1..=15).contains(*c))) {
            return Err(AppError::new(
                "invalid_category",
                format!("{bad} is not a Scope 3 category: the GHG Protocol numbers them 1 to 15."),
            ));
        }
        if first > last {
            return Err(AppError::new(
                "invalid_month",
                format!("{from} is after {to}: give the earlier month first."),
            ));
        }
        let store = self.store()?;
        let mut months: BTreeMap<String, BTreeMap<u8, rust_decimal::Decimal>> = BTreeMap::new();
        for row in store.scope3_by_month(from, to)? {
            if categories.is_none_or(|keep| keep.contains(&row.category)) {
                months
                    .entry(row.month)
                    .or_default()
                    .insert(row.category, row.kg_co2e);
            }
        }
        drop(store);
        if months.is_empty() {
            return Err(AppError::new(
                "nothing_to_send",
                format!(
                    "There is no counted spend-based Scope 3 from {from} to {to}{}: nothing was sent. `carbonsync emissions --by month` shows the months that have some.",
                    if categories.is_some() { " in those categories" } else { "" }
                ),
            ));
        }
        let exports: Vec<ScopeThreeExport> = months
            .into_iter()
            .map(|(month, by_category)| {
                Ok(ScopeThreeExport {
                    // One record per org and month, whichever CarbonSync installation sends
                    // it (a desktop and a server on the same books): never two for a month.
                    key: format!("carbonsync-{month}"),
                    month: month_start(&month)?,
                    by_category,
                    description: format!(
                        "Spend-based Scope 3 estimated by CarbonSync for {month} from the counted ledger of every accounting connection, as CarbonSync's totals show it (EEIO factors per USD 2022 of spend; GHG Protocol Scope 3 categories, 8 to 15 under uncategorised). Sent again, this record is replaced."
                    ),
                })
            })
            .collect::<Result<_, AppError>>()?;
        let ctx = self.inventory_sync_context(&conn).await?;
        let opts = SyncOptions::new(Trigger::Export);
        Ok(carbonsync_sync::export_to_inventory(&ctx, connection_id, &exports, &opts).await?)
    }
}
