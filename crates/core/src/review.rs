//! Reading back what is stored: platforms, history, emissions. Nothing here touches
//! the network, so all of it works offline.

use crate::{App, AppError};
use carbonsync_providers::{Catalogue, Category, ProviderEntry};
use carbonsync_store::{EmissionsGroup, GroupBy, LedgerEntry, LedgerFilter, SyncRun, Totals};
use serde::Serialize;

/// A platform as the user sees it in a list.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    #[serde(flatten)]
    pub entry: ProviderEntry,
    pub category_label: String,
    /// Runs against the built-in sandbox (no client id configured).
    pub sandbox: bool,
    pub connections: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmissionsSummary {
    pub totals: Totals,
    pub by: Option<GroupBy>,
    pub groups: Vec<EmissionsGroup>,
    /// Which factor set and version produced the counted entries.
    pub method: String,
}

impl App {
    pub fn providers(&self) -> Result<Vec<ProviderView>, AppError> {
        let connections = self.connections()?;
        Ok(Catalogue::builtin()
            .entries()
            .iter()
            .map(|e| ProviderView {
                category_label: Category::label(e.category).to_string(),
                sandbox: e.available && self.config().provider(&e.id).client_id.is_none(),
                connections: connections
                    .iter()
                    .filter(|c| {
                        c.provider == e.id
                            && c.status != carbonsync_store::ConnectionStatus::Disconnected
                    })
                    .count(),
                entry: e.clone(),
            })
            .collect())
    }

    pub fn logs(&self, connection_id: Option<i64>, limit: i64) -> Result<Vec<SyncRun>, AppError> {
        if let Some(id) = connection_id {
            self.connection(id)?;
        }
        Ok(self.store()?.runs(connection_id, limit)?)
    }

    pub fn emissions(
        &self,
        by: Option<GroupBy>,
        filter: &LedgerFilter,
    ) -> Result<EmissionsSummary, AppError> {
        let store = self.store()?;
        let set = self.calculator().factor_set();
        Ok(EmissionsSummary {
            totals: store.totals(filter)?,
            by,
            groups: match by {
                Some(by) => store.emissions_by(by, filter)?,
                None => Vec::new(),
            },
            method: format!(
                "Spend-based: {} {} ({}), amounts converted to USD at annual average rates and deflated to 2022 with the US GDP price index",
                set.name, set.version, set.unit
            ),
        })
    }

    pub fn ledger(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, AppError> {
        Ok(self.store()?.ledger(filter, offset, limit)?)
    }
}
