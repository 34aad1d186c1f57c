use crate::{AppError, Config, Paths};
use carbonsync_emissions::Calculator;
use carbonsync_providers::{Catalogue, ProviderEntry};
use carbonsync_store::{Connection, ConnectionStatus, Store};
use carbonsync_sync::{Frequency, SyncContext, SyncOptions, SyncReport};
use carbonsync_vault::Vault;
use std::path::PathBuf;
use std::sync::Arc;

/// Where to find the configuration and the data.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

/// One open CarbonSync: its configuration, its data folder, its keychain.
pub struct App {
    paths: Paths,
    /// Replaced as a whole when the user saves settings.
    config: std::sync::RwLock<Config>,
    vault: Vault,
    calculator: Calculator,
    pub(crate) sandbox: tokio::sync::Mutex<Option<carbonsync_sandbox::SandboxHandle>>,
    pub(crate) waiting: std::sync::Mutex<
        std::collections::HashMap<String, crate::redirect_connect::TenantChoiceWaiting>,
    >,
}

impl App {
    pub fn open(opts: &OpenOptions) -> Result<Arc<App>, AppError> {
        let paths = Paths::resolve(opts.config_file.as_deref(), opts.data_dir.as_deref());
        let config = Config::load(&paths.config_file)?;
        std::fs::create_dir_all(&paths.data_dir).map_err(|e| {
            AppError::new(
                "data_dir",
                format!(
                    "Cannot create the data folder {}: {e}",
                    paths.data_dir.display()
                ),
            )
        })?;
        // Opening once here runs the migrations before anything else touches the file,
        // and gives the data folder the id that namespaces its keychain entries.
        Store::open(&paths.database())?.install_id()?;
        let calculator = load_calculator(&config)?;
        Ok(Arc::new(App {
            paths,
            config: std::sync::RwLock::new(config),
            vault: Vault::default(),
            calculator,
            sandbox: tokio::sync::Mutex::new(None),
            waiting: Default::default(),
        }))
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The configuration as it is now (a copy: settings may change it meanwhile).
    pub fn config(&self) -> Config {
        self.config.read().expect("config lock").clone()
    }

    pub(crate) fn replace_config(&self, config: Config) {
        *self.config.write().expect("config lock") = config;
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn calculator(&self) -> &Calculator {
        &self.calculator
    }

    pub(crate) fn store(&self) -> Result<Store, AppError> {
        Ok(Store::open(&self.paths.database())?)
    }

    pub(crate) fn catalogue_entry(&self, id: &str) -> Result<&'static ProviderEntry, AppError> {
        Catalogue::builtin().get(id).ok_or_else(|| {
            let known: Vec<_> = Catalogue::builtin()
                .entries()
                .iter()
                .map(|e| e.id.as_str())
                .collect();
            AppError::new(
                "unknown_provider",
                format!(
                    "There is no platform called `{id}`. Known platforms: {}.",
                    known.join(", ")
                ),
            )
        })
    }

    pub fn connections(&self) -> Result<Vec<Connection>, AppError> {
        Ok(self.store()?.connections()?)
    }

    pub fn connection(&self, id: i64) -> Result<Connection, AppError> {
        Ok(self.store()?.connection(id)?)
    }

    /// The connections a "sync everything" covers.
    pub fn active_connections(&self) -> Result<Vec<Connection>, AppError> {
        Ok(self
            .connections()?
            .into_iter()
            .filter(|c| c.status == ConnectionStatus::Active)
            .collect())
    }

    async fn sync_context(&self, conn: &Connection) -> Result<SyncContext, AppError> {
        let platform = self.platform(&conn.provider, Some(conn.sandbox)).await?;
        Ok(SyncContext {
            db_path: self.paths.database(),
            locks_dir: self.paths.locks_dir(),
            vault: self.vault.clone(),
            oauth: platform.oauth()?,
            xero: platform.xero(self)?,
            calculator: self.calculator.clone(),
            refresh_margin: chrono::Duration::seconds(
                self.config().sync.refresh_margin_secs as i64,
            ),
        })
    }

    /// Syncs one connection. Waits for a sync of the same connection that is already
    /// running (here or in another process) to finish first.
    pub async fn sync(
        &self,
        connection_id: i64,
        opts: &SyncOptions,
    ) -> Result<SyncReport, AppError> {
        let conn = self.connection(connection_id)?;
        let ctx = self.sync_context(&conn).await?;
        Ok(carbonsync_sync::sync_connection(&ctx, connection_id, opts).await?)
    }

    pub fn set_frequency(
        &self,
        connection_id: i64,
        frequency: &str,
    ) -> Result<Frequency, AppError> {
        let f = Frequency::parse(frequency).map_err(|m| AppError::new("invalid_frequency", m))?;
        self.store()?
            .set_connection_frequency(connection_id, &f.label())?;
        Ok(f)
    }

    /// Revokes the connection's access at the platform, deletes its keychain entry,
    /// and keeps its data for review (or deletes it too, with `delete_data`).
    /// Returns a warning when the platform could not be told.
    pub async fn disconnect(
        &self,
        connection_id: i64,
        delete_data: bool,
    ) -> Result<Option<String>, AppError> {
        let store = self.store()?;
        let conn = store.connection(connection_id)?;
        let mut warning = None;
        if let Some(secret) = self.vault.get(&conn.vault_key)? {
            if let Some(tokens) = carbonsync_oauth::TokenSet::from_secret(&secret) {
                let platform = self.platform(&conn.provider, Some(conn.sandbox)).await?;
                let name = platform.display_name();
                let revoked = match &tokens.refresh_token {
                    Some(rt) => platform.oauth()?.revoke(rt, true).await,
                    None => platform.oauth()?.revoke(&tokens.access_token, false).await,
                };
                if let Err(e) = revoked {
                    warning = Some(format!(
                        "{name} could not be told to revoke CarbonSync's access ({e}); the keychain entry was removed anyway. You can also remove CarbonSync under connected apps in {name}."
                    ));
                }
            }
            self.vault.delete(&conn.vault_key)?;
        }
        if delete_data {
            store.delete_connection(connection_id)?;
        } else {
            store.set_connection_status(connection_id, ConnectionStatus::Disconnected, None)?;
        }
        tracing::info!(connection = connection_id, delete_data, "disconnected");
        Ok(warning)
    }
}

fn load_calculator(config: &Config) -> Result<Calculator, AppError> {
    let e = &config.emissions;
    if e.factors_file.is_none()
        && e.mapping_file.is_none()
        && e.fx_rates_file.is_none()
        && e.price_index_file.is_none()
    {
        return Calculator::builtin().map_err(|err| {
            AppError::new(
                "emissions_data",
                format!("The built-in emission data is unreadable: {err}"),
            )
        });
    }
    let read = |p: &Option<PathBuf>, builtin: &'static str| -> Result<String, AppError> {
        match p {
            None => Ok(builtin.to_string()),
            Some(p) => std::fs::read_to_string(p).map_err(|err| {
                AppError::new(
                    "emissions_data",
                    format!("Cannot read {}: {err}", p.display()),
                )
            }),
        }
    };
    use carbonsync_emissions::builtin as b;
    Calculator::with_tables(
        &read(&e.factors_file, b::FACTORS_CSV)?,
        &read(&e.mapping_file, b::MAPPING_CSV)?,
        &read(&e.fx_rates_file, b::FX_CSV)?,
        &read(&e.price_index_file, b::INDEX_CSV)?,
    )
    .map_err(|err| {
        AppError::new(
            "emissions_data",
            format!("The configured emission tables are invalid: {err}"),
        )
    })
}
