//! What the Settings page reads and changes: where things are, and how each platform
//! is reached (its own app credentials, or the sandbox).

use crate::{App, AppError};
use carbonsync_providers::Catalogue;
use carbonsync_vault::Sensitive;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SettingsView {
    pub data_dir: String,
    pub config_file: String,
    pub log_dir: String,
    pub providers: Vec<ProviderSettings>,
    /// Where the desktop app asks for a newer version (`[updates] endpoint`); `None`: it
    /// never asks.
    pub update_endpoint: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ProviderSettings {
    pub id: String,
    pub name: String,
    pub available: bool,
    /// No client id configured: the platform runs on the built-in sandbox.
    pub sandbox: bool,
    pub client_id: Option<String>,
    /// A client secret is stored in the keychain (its value is never shown).
    pub has_client_secret: bool,
}

impl App {
    pub(crate) fn client_secret_key(&self, provider_id: &str) -> Result<String, AppError> {
        Ok(format!(
            "{}/provider/{provider_id}/client_secret",
            self.store()?.install_id()?
        ))
    }

    /// Where things are and how each platform is reached. `log_dir` is the folder this
    /// process really writes its logs to (the desktop app's is the platform's log folder
    /// for apps, not the data folder); before logging is set up, the data folder's `logs/`,
    /// where the CLI writes.
    pub fn settings(&self) -> Result<SettingsView, AppError> {
        let config = self.config();
        let mut providers = Vec::new();
        for e in Catalogue::builtin().entries() {
            // Cloud platforms are connected with the customer's own keys: there is no app of
            // CarbonSync's to register with them, so no app credentials to set.
            if carbonsync_providers::cloud_registration(&e.id).is_some() {
                continue;
            }
            let cfg = config.provider(&e.id);
            providers.push(ProviderSettings {
                id: e.id.clone(),
                name: e.name.clone(),
                available: e.available,
                sandbox: cfg.client_id.is_none(),
                client_id: cfg.client_id.clone(),
                has_client_secret: self.vault().get(&self.client_secret_key(&e.id)?)?.is_some(),
            });
        }
        Ok(SettingsView {
            data_dir: self.paths().data_dir.display().to_string(),
            config_file: self.paths().config_file.display().to_string(),
            log_dir: crate::logging::active_dir()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| self.paths().logs_dir())
                .display()
                .to_string(),
            providers,
            update_endpoint: self.config().updates.endpoint,
        })
    }

    /// A choice the desktop app remembers for this data folder (`desktop.<name>`), such as
    /// whether the person was asked about starting at login; `None` until set.
    pub fn desktop_preference(&self, name: &str) -> Result<Option<String>, AppError> {
        Ok(self.store()?.meta_get(&format!("desktop.{name}"))?)
    }

    /// Remembers a desktop choice (see [`App::desktop_preference`]).
    pub fn set_desktop_preference(&self, name: &str, value: &str) -> Result<(), AppError> {
        Ok(self.store()?.meta_set(&format!("desktop.{name}"), value)?)
    }

    /// Sets (or, with `None`, clears) a platform's own app credentials. The client id
    /// goes to the configuration file; the secret only ever to the keychain. Clearing
    /// the client id puts the platform back on the sandbox.
    pub fn set_provider_credentials(
        &self,
        provider_id: &str,
        client_id: Option<String>,
        client_secret: Option<Sensitive<String>>,
    ) -> Result<SettingsView, AppError> {
        self.catalogue_entry(provider_id)?;
        let client_id = client_id
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let mut config = self.config();
        config
            .providers
            .entry(provider_id.to_string())
            .or_default()
            .client_id = client_id.clone();
        let path = &self.paths().config_file;
        // The file is checked by the rules it will be read with before anything is stored,
        // so a refused value changes neither the file nor the keychain.
        let text = config.to_toml(path)?;
        let key = self.client_secret_key(provider_id)?;
        match client_secret.filter(|s| !s.expose().trim().is_empty()) {
            Some(secret) => self.vault().put(&key, &secret)?,
            None if client_id.is_none() => {
                self.vault().delete(&key)?;
            }
            None => {}
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                AppError::new("config", format!("Cannot create {}: {e}", dir.display()))
            })?;
        }
        std::fs::write(path, text).map_err(|e| {
            AppError::new("config", format!("Cannot write {}: {e}", path.display()))
        })?;
        self.replace_config(config);
        self.settings()
    }
}
