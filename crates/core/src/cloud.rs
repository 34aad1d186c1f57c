//! Cloud connections (AWS, Azure, Google Cloud): keys entered once and kept in the keychain,
//! checked with the provider before anything is stored, and the reported emissions read back
//! for the window and the CLI.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use carbonsync_providers::{
    cloud_registration, CallMeter, CloudConnector, CloudCredentials, CloudRegistration,
    CloudSettings, CredentialField, ProviderError, RetryPolicy,
};
use carbonsync_store::{
    Connection, NewConnection, ReportedFilter, ReportedGroup, ReportedGroupBy, ReportedMonth,
    ReportedRow, ReportedTotals, SupplierRule,
};
use carbonsync_sync::CloudSyncContext;
use carbonsync_vault::Sensitive;
use serde::Serialize;

use crate::platform::Platform;
use crate::{App, AppError};

/// Months a first or full sync of a cloud connection reads, back from the provider's current
/// month: AWS keeps 38 months of estimates, Azure and Google Cloud at least as many, and three
/// years cover a prior-year comparison.
pub const CLOUD_HISTORY_MONTHS: u32 = 36;

/// Published months every sync reads again: providers restate recent months when late usage
/// data or a new model version arrives.
pub const CLOUD_RESTATE_MONTHS: u32 = 3;

/// The reported emissions of a selection: totals under both bases and the groups asked for.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CloudSummary {
    pub totals: ReportedTotals,
    pub by: ReportedGroupBy,
    pub groups: Vec<ReportedGroup>,
    /// Where an inventory platform's report (Salesforce) and the spend-based ledger count
    /// the same month, scope and category: shown side by side, never added together.
    pub overlaps: Vec<carbonsync_store::ReportedOverlap>,
}

impl App {
    /// The connect form of cloud platform `provider_id`, in order.
    ///
    /// Errors: `not_available` for a platform that is not a cloud platform with a connector.
    pub fn cloud_fields(&self, provider_id: &str) -> Result<&'static [CredentialField], AppError> {
        Ok(self.cloud_registration(provider_id)?.fields)
    }

    fn cloud_registration(
        &self,
        provider_id: &str,
    ) -> Result<&'static CloudRegistration, AppError> {
        let entry = self.catalogue_entry(provider_id)?;
        cloud_registration(provider_id).ok_or_else(|| {
            AppError::new(
                "not_available",
                format!(
                    "{} is not connected with keys; use `carbonsync connect {}`.",
                    entry.name, entry.id
                ),
            )
        })
    }

    /// The connector of a cloud platform with the endpoints `platform` resolved.
    fn cloud_connector(
        &self,
        registration: &CloudRegistration,
        platform: &Platform,
    ) -> Result<Arc<dyn CloudConnector>, AppError> {
        let sync = &self.config().sync;
        let retry = RetryPolicy {
            max_attempts: sync.max_attempts.max(1),
            max_wait: Duration::from_secs(sync.max_retry_wait_secs),
            ..RetryPolicy::default()
        };
        Ok((registration.build)(&CloudSettings {
            endpoints: platform.endpoints.clone(),
            sandbox: platform.sandbox,
            page_size: platform.page_size,
            retry,
        })?)
    }

    /// Connects a cloud account with keys: checks every field the form requires, asks the
    /// provider whether the keys work (one cheap call), and only then keeps them in the
    /// keychain (one entry) and the connection in the database. `sandbox` connects to the
    /// built-in sandbox's stand-in for the provider instead of the provider itself.
    /// Connecting the same account again replaces its keys and keeps its history.
    ///
    /// Errors: `missing_field` naming the field; `keys_refused` with the provider's reason
    /// (nothing is stored); `keychain` when the keychain cannot take them.
    pub async fn connect_cloud(
        &self,
        provider_id: &str,
        fields: BTreeMap<String, Sensitive<String>>,
        sandbox: bool,
    ) -> Result<Connection, AppError> {
        let registration = self.cloud_registration(provider_id)?;
        let mut values = BTreeMap::new();
        for (name, value) in fields {
            let value = value.into_inner();
            if !value.trim().is_empty() {
                values.insert(name, value);
            }
        }
        // On the sandbox, an empty form means the sandbox's own generated account; any field
        // given (a wrong secret, to see it refused) wins over it.
        if sandbox && values.is_empty() {
            values = self.sandbox_cloud_credentials(provider_id).await?;
        }
        // A named profile (AWS) stands for the keys: the provider's own configuration holds
        // them.
        let uses_profile = values.contains_key("profile");
        for field in registration.fields {
            let given = values.get(field.name).is_some_and(|v| !v.trim().is_empty());
            if !field.optional && !given && !uses_profile {
                return Err(AppError::new(
                    "missing_field",
                    format!("{} is needed to connect.", field.label),
                ));
            }
        }
        let known: Vec<&str> = registration.fields.iter().map(|f| f.name).collect();
        values.retain(|k, _| known.contains(&k.as_str()));
        let credentials = CloudCredentials::new(values);

        self.ensure_keychain_writable(provider_id).await?;
        let platform = self.platform(provider_id, Some(sandbox)).await?;
        let name = platform.display_name();
        let connector = self.cloud_connector(registration, &platform)?;
        let estate = connector
            .identify(&credentials, &CallMeter::default())
            .await
            .map_err(|e| keys_refused(&name, e))?;

        let _setup = self.setup_lock().await?;
        let store = self.store()?;
        let install = store.install_id()?;
        let (conn, created) = store.start_connection(
            &NewConnection {
                provider: provider_id,
                tenant_id: &estate.tenant_id,
                tenant_name: &estate.name,
                base_currency: None,
                sandbox,
                frequency: &self.config().sync.default_frequency,
            },
            |id| format!("{install}/connection/{id}"),
        )?;
        let stored = self
            .vault()
            .put(&conn.vault_key, &Sensitive::new(credentials.to_json()))
            .map_err(AppError::from)
            .and_then(|()| Ok(store.activate_connection(conn.id, &estate.name, None)?));
        let conn = match stored {
            Ok(conn) => conn,
            Err(e) => {
                if created {
                    let _ = self.vault().delete(&conn.vault_key);
                    let _ = store.delete_connection(conn.id);
                } else {
                    let _ = store.end_connection_setup(conn.id);
                }
                return Err(e);
            }
        };
        if !created {
            store.end_connection_setup(conn.id)?;
        }
        store.seed_supplier_rules(
            provider_id,
            registration.suppliers,
            registration.supplier_unless,
        )?;
        tracing::info!(
            connection = conn.id,
            provider = provider_id,
            "connected with keys"
        );
        Ok(conn)
    }

    /// The sandbox's own keys for `provider_id`, from its control API (a sandbox started
    /// elsewhere may have another seed, so they are asked for, not computed here).
    async fn sandbox_cloud_credentials(
        &self,
        provider_id: &str,
    ) -> Result<BTreeMap<String, String>, AppError> {
        let base = self.sandbox_url().await?;
        let url = format!("{base}/_control/cloud/{provider_id}/credentials");
        let failed = |e: reqwest::Error| {
            AppError::new(
                "sandbox",
                format!("The sandbox did not give its {provider_id} keys: {e}"),
            )
        };
        reqwest::get(&url)
            .await
            .and_then(|r| r.error_for_status())
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)
    }

    /// What a sync of cloud connection `conn` needs, or `None` for a connection of another
    /// kind.
    pub(crate) async fn cloud_sync_context(
        &self,
        conn: &Connection,
    ) -> Result<Option<CloudSyncContext>, AppError> {
        let Some(registration) = cloud_registration(&conn.provider) else {
            return Ok(None);
        };
        let platform = self.platform(&conn.provider, Some(conn.sandbox)).await?;
        Ok(Some(CloudSyncContext {
            db_path: self.paths().database(),
            locks_dir: self.paths().locks_dir(),
            vault: self.vault().clone(),
            connector: self.cloud_connector(registration, &platform)?,
            history_months: CLOUD_HISTORY_MONTHS,
            restate_months: CLOUD_RESTATE_MONTHS,
        }))
    }

    /// Reported emissions of a selection, grouped.
    pub fn cloud_emissions(
        &self,
        filter: &ReportedFilter,
        by: ReportedGroupBy,
    ) -> Result<CloudSummary, AppError> {
        let store = self.store()?;
        let inventories: Vec<&str> = carbonsync_providers::INVENTORY_REGISTRY
            .iter()
            .map(|r| r.platform)
            .collect();
        Ok(CloudSummary {
            totals: store.reported_totals(filter)?,
            by,
            groups: store.reported_by(by, filter)?,
            overlaps: store.reported_overlaps(&inventories)?,
        })
    }

    /// Reported rows as the provider published them, for tracing a figure.
    pub fn cloud_rows(
        &self,
        filter: &ReportedFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ReportedRow>, AppError> {
        Ok(self.store()?.reported_rows(filter, offset, limit)?)
    }

    /// The months of cloud connections: published or pending, sums, bill, what they cover.
    pub fn cloud_months(&self, connection_id: Option<i64>) -> Result<Vec<ReportedMonth>, AppError> {
        Ok(self.store()?.reported_months(connection_id)?)
    }

    /// The supplier-matching rules that keep cloud bills from being counted twice.
    pub fn supplier_rules(&self) -> Result<Vec<SupplierRule>, AppError> {
        Ok(self.store()?.supplier_rules()?)
    }

    /// Adds a supplier pattern for cloud platform `provider_id` and applies it at once;
    /// `unless` words keep out lines whose description has them (the supplier's other
    /// products).
    pub fn add_supplier_rule(
        &self,
        provider_id: &str,
        pattern: &str,
        unless: Option<&str>,
    ) -> Result<SupplierRule, AppError> {
        self.cloud_registration(provider_id)?;
        if pattern.trim().is_empty() {
            return Err(AppError::new(
                "invalid_rule",
                "A supplier rule needs words of the supplier's name, e.g. \"Amazon Web Services\".",
            ));
        }
        let mut store = self.store()?;
        let rule = store.add_supplier_rule(provider_id, pattern, unless)?;
        store.refresh_cloud_cover()?;
        crate::audit::record(
            &store,
            "supplier_rule_added",
            &format!("supplier_rule:{}", rule.id),
            None::<&SupplierRule>,
            Some(&rule),
            None,
        )?;
        Ok(rule)
    }

    /// Switches a supplier rule on or off and applies the change at once.
    pub fn set_supplier_rule_enabled(&self, id: i64, enabled: bool) -> Result<(), AppError> {
        let mut store = self.store()?;
        let Some(before) = store.supplier_rules()?.into_iter().find(|r| r.id == id) else {
            return Err(AppError::new(
                "no_such_rule",
                format!("There is no supplier rule {id}: `carbonsync suppliers` lists them."),
            ));
        };
        store.set_supplier_rule_enabled(id, enabled)?;
        store.refresh_cloud_cover()?;
        let after = store.supplier_rules()?.into_iter().find(|r| r.id == id);
        crate::audit::record(
            &store,
            if enabled {
                "supplier_rule_enabled"
            } else {
                "supplier_rule_disabled"
            },
            &format!("supplier_rule:{id}"),
            Some(&before),
            after.as_ref(),
            None,
        )?;
        Ok(())
    }

    /// The day of the month after a reported month by which cloud platform `provider_id`
    /// publishes that month, from its documentation (Google Cloud: 15, Azure: 19, AWS: 21):
    /// until then a month without rows is pending, expected by that day.
    ///
    /// Errors: `not_available` for a platform that is not a cloud platform with a connector.
    pub async fn cloud_publication_day(&self, provider_id: &str) -> Result<u32, AppError> {
        let registration = self.cloud_registration(provider_id)?;
        // The provider's own endpoints: the day is the connector's, wherever it points, and
        // the sandbox need not be started to learn it.
        let platform = self.platform(provider_id, Some(false)).await?;
        Ok(self
            .cloud_connector(registration, &platform)?
            .publication_day())
    }
}

/// The provider's refusal of keys, in words, with what to do; never the keys.
fn keys_refused(name: &str, e: ProviderError) -> AppError {
    match e {
        ProviderError::Unauthorized { detail } => AppError::new(
            "keys_refused",
            format!("{name} refused these credentials: {detail}. Nothing was stored; check them and connect again."),
        ),
        ProviderError::Forbidden { detail } => AppError::new(
            "keys_refused",
            format!("{name} accepted the credentials but refused to show emissions: {detail}. Nothing was stored; grant the access named and connect again."),
        ),
        ProviderError::InvalidConfig { detail } => AppError::new(
            "keys_refused",
            format!("{name}: {detail}. Nothing was stored."),
        ),
        other => AppError::from(other),
    }
}
