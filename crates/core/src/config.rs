use crate::AppError;
use carbonsync_providers::RedirectStyle;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `carbonsync.toml`. Every field is optional; an empty or missing file means "run
/// every platform against the built-in sandbox". Secrets (client secrets, keys) are
/// never read from here: they belong in the keychain.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub sandbox: SandboxConfig,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub sync: SyncConfig,
    pub emissions: EmissionsConfig,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Use a sandbox that is already running (`carbonsync sandbox --port N`) instead of
    /// starting one inside the process.
    pub url: Option<String>,
    /// Size of the in-process sandbox's generated company (records per organisation).
    pub records_per_org: Option<usize>,
    pub seed: Option<u64>,
}

/// Overrides for one platform. With a `client_id`, the platform is real; without one,
/// it runs against the sandbox and is labelled "sandbox" wherever it appears.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    pub client_id: Option<String>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
    pub api_base: Option<String>,
    pub connections_url: Option<String>,
    pub redirect: Option<RedirectStyle>,
    pub scopes: Option<Vec<String>>,
    pub page_size: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Refresh an access token that expires within this many seconds.
    pub refresh_margin_secs: u64,
    /// Frequency given to new connections.
    pub default_frequency: String,
    /// Longest single wait on a 429 `Retry-After` or a backoff.
    pub max_retry_wait_secs: u64,
    /// Attempts per request (429 and 5xx), the first included.
    pub max_attempts: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            refresh_margin_secs: 300,
            default_frequency: "hourly".into(),
            max_retry_wait_secs: 60,
            max_attempts: 6,
        }
    }
}

/// Replacement tables for the calculation (CSV files in the shipped formats).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmissionsConfig {
    pub factors_file: Option<PathBuf>,
    pub mapping_file: Option<PathBuf>,
    pub fx_rates_file: Option<PathBuf>,
    pub price_index_file: Option<PathBuf>,
}

impl Config {
    /// Reads the file; a missing file is the default configuration.
    pub fn load(path: &Path) -> Result<Config, AppError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(AppError::new(
                    "config",
                    format!("Cannot read the configuration file {}: {e}", path.display()),
                ))
            }
        };
        toml::from_str(&text).map_err(|e| {
            AppError::new(
                "config",
                format!(
                    "The configuration file {} is not valid: {}",
                    path.display(),
                    e.message()
                ),
            )
            .with_detail(e.to_string())
        })
    }

    pub fn provider(&self, id: &str) -> ProviderConfig {
        self.providers.get(id).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_the_default_and_a_typo_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::load(&dir.path().join("nope.toml")).unwrap();
        assert_eq!(cfg.sync.refresh_margin_secs, 300);

        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[sync]\nrefresh_margn_secs = 5\n").unwrap();
        let err = Config::load(&path).unwrap_err();
        assert!(
            err.message.contains("refresh_margn_secs"),
            "{}",
            err.message
        );

        std::fs::write(
            &path,
            "[sandbox]\nurl = \"http://127.0.0.1:4010\"\n[providers.xero]\npage_size = 1000\n",
        )
        .unwrap();
        let cfg = Config::load(&path).unwrap();
        assert_eq!(cfg.provider("xero").page_size, Some(1000));
        assert_eq!(cfg.sandbox.url.as_deref(), Some("http://127.0.0.1:4010"));
    }
}
