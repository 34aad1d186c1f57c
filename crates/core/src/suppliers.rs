//! The suppliers view of the review: spend and emissions by supplier across connections, so
//! a supplier is mapped once, with a rule on the supplier, instead of entry by entry.

use carbonsync_store::{LedgerFilter, SupplierSummary};
use serde::Serialize;

use crate::{App, AppError};

/// A page of suppliers.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SupplierPage {
    pub items: Vec<SupplierSummary>,
    pub offset: i64,
    /// Suppliers in the whole selection.
    pub total: i64,
}

impl App {
    /// The suppliers of `filter`, the most kg CO2e first, with their spend per currency, kg
    /// CO2e, categories, and the rule that maps each (if one matches the supplier alone).
    pub fn suppliers(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<SupplierPage, AppError> {
        self.check_filter(filter)?;
        let (items, total) = self.store()?.suppliers(filter, offset, limit)?;
        Ok(SupplierPage {
            items,
            offset,
            total,
        })
    }
}
