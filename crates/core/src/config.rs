//! `carbonsync.toml`: read, and checked as a whole when it is read, so that a wrong value is
//! refused at once with the file, the key, its line and the allowed values, rather than
//! failing later under another name.

use crate::AppError;
use carbonsync_providers::RedirectStyle;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod checks;
mod locate;

/// `carbonsync.toml`. Every field is optional; an empty or missing file means "run
/// every platform against the built-in sandbox". Secrets (client secrets, keys) are
/// never read from here: they belong in the keychain. Unknown sections and keys are
/// refused, so a typo never passes silently.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub sandbox: SandboxConfig,
    /// By catalogue id (`xero`, see `carbonsync providers`); any other name is refused.
    pub providers: BTreeMap<String, ProviderConfig>,
    pub sync: SyncConfig,
    pub emissions: EmissionsConfig,
    pub updates: UpdatesConfig,
}

/// `[updates]`: where the desktop app asks whether a newer version is out. Without an
/// `endpoint` it never asks. What it offers is installed only when a person says so, and
/// only if the package's signature verifies with CarbonSync's public key (built into the
/// app; the endpoint cannot change it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpdatesConfig {
    /// The update manifest's URL (a static `latest.json`: version, notes, and per platform
    /// the package's URL and signature). An http(s) URL; a release build refuses plain http
    /// when it checks (only a debug build, as the tests run, accepts it).
    #[serde(deserialize_with = "checks::http_url")]
    pub endpoint: Option<String>,
}

/// `[sandbox]`: where the built-in stand-in for the platforms runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Use a sandbox that is already running (`carbonsync sandbox --port N`) instead of
    /// starting one inside the process. An http(s) URL.
    #[serde(deserialize_with = "checks::http_url")]
    pub url: Option<String>,
    /// Size of the in-process sandbox's generated company (records per organisation,
    /// 1 to 1,000,000).
    #[serde(deserialize_with = "checks::records_per_org")]
    pub records_per_org: Option<usize>,
    /// Seed of the in-process sandbox's generated company.
    pub seed: Option<u64>,
}

/// Overrides for one platform. With a `client_id`, the platform is real; without one,
/// it runs against the sandbox and is labelled "sandbox" wherever it appears. Every URL
/// is an http(s) URL.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// The client id of the app registered with the platform; not blank.
    #[serde(deserialize_with = "checks::client_id")]
    pub client_id: Option<String>,
    #[serde(deserialize_with = "checks::http_url")]
    pub authorize_url: Option<String>,
    #[serde(deserialize_with = "checks::http_url")]
    pub token_url: Option<String>,
    #[serde(deserialize_with = "checks::http_url")]
    pub revoke_url: Option<String>,
    #[serde(deserialize_with = "checks::http_url")]
    pub api_base: Option<String>,
    #[serde(deserialize_with = "checks::http_url")]
    pub connections_url: Option<String>,
    pub redirect: Option<RedirectStyle>,
    /// Where the https bounce page (`web/oauth-bounce/index.html`) is hosted, for platforms
    /// that redirect only to https (Slack): registered as the app's redirect URL there.
    #[serde(deserialize_with = "checks::http_url")]
    pub bounce_url: Option<String>,
    /// Loopback ports registered with the platform as `http://localhost:PORT/callback`
    /// redirect URIs, tried in order; the first free one receives the sign-in answer.
    /// Needed where the platform allows no wildcard port (Xero, QuickBooks); without
    /// a list, the listener takes any free port on 127.0.0.1. Each port 1 to 65535,
    /// listed once.
    #[serde(deserialize_with = "checks::redirect_ports")]
    pub redirect_ports: Option<Vec<u16>>,
    /// Scopes to ask for instead of the catalogue's; each one word.
    #[serde(deserialize_with = "checks::scopes")]
    pub scopes: Option<Vec<String>>,
    /// Records a page: 1 to 1000 for Xero (the most it serves).
    pub page_size: Option<u32>,
}

/// `[sync]`: token renewal, retries and the frequency new connections start with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Refresh an access token that expires within this many seconds (0 to 3600).
    #[serde(deserialize_with = "checks::refresh_margin_secs")]
    pub refresh_margin_secs: u64,
    /// Frequency given to new connections: manual, 15m, hourly, 6h, daily or a six-field
    /// cron expression (checked with `Frequency::parse`).
    #[serde(deserialize_with = "checks::default_frequency")]
    pub default_frequency: String,
    /// Longest single wait on a 429 `Retry-After` or a backoff inside one sync (seconds,
    /// 1 to 3600); a platform asking for longer pauses the schedule instead. Also the first
    /// step of the schedule's retries after a failed sync (1×, 2×, 4× … this, up to the
    /// period or an hour).
    #[serde(deserialize_with = "checks::max_retry_wait_secs")]
    pub max_retry_wait_secs: u64,
    /// Attempts per request (429 and 5xx), the first included (1 to 20).
    #[serde(deserialize_with = "checks::max_attempts")]
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

/// Replacement tables for the calculation (CSV files in the shipped formats); each one
/// named must be an existing file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmissionsConfig {
    pub factors_file: Option<PathBuf>,
    /// Xero's account mapping (the same as `mapping_files.xero`, which it predates).
    pub mapping_file: Option<PathBuf>,
    /// An account mapping per platform, by catalogue id (`[emissions.mapping_files]`,
    /// `quickbooks = "my-chart.csv"`): replaces that platform's shipped table, or gives one to a
    /// platform that has none. Each platform's accounts are looked up in its own table only.
    pub mapping_files: BTreeMap<String, PathBuf>,
    pub fx_rates_file: Option<PathBuf>,
    pub price_index_file: Option<PathBuf>,
}

impl Config {
    /// Reads and checks the file; a missing file is the default configuration.
    ///
    /// Errors (code `config`): the file cannot be read, is not TOML, or breaks a rule;
    /// the message names the file, the key, its line and the allowed values.
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
        Config::parse(&text, path)
    }

    /// Reads and checks configuration `text`; `file` is only used to name it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Config, AppError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (at, key) = match e.span() {
                Some(span) => (
                    Some(locate::line_at(text, span.start)),
                    locate::key_at(text, span),
                ),
                None => (None, None),
            };
            match e.message().strip_prefix(checks::PREDICATE) {
                Some(predicate) => invalid(file, at, key, Joined::AsSentence, predicate),
                None => {
                    let problem = in_words(e.message(), key.as_deref());
                    invalid(file, at, key, Joined::AfterColon, &problem)
                }
            }
        })?;
        checks::whole(&config).map_err(|p| {
            let path: Vec<&str> = p.path.iter().map(String::as_str).collect();
            let at = locate::span_of(text, &path).map(|span| locate::line_at(text, span.start));
            invalid(
                file,
                at,
                Some(locate::describe(&p.path, p.is_table)),
                Joined::AsSentence,
                &p.message,
            )
        })?;
        Ok(config)
    }

    /// The configuration as file text, checked by the same rules as [`Config::load`]: what
    /// is written here is read back. `file` names the file in errors.
    pub fn to_toml(&self, file: &Path) -> Result<String, AppError> {
        let text = toml::to_string_pretty(self)
            .map_err(|e| AppError::new("config", format!("Cannot write the configuration: {e}")))?;
        Config::parse(&text, file)?;
        Ok(text)
    }

    /// The overrides for platform `id` (all empty when it has no section).
    pub fn provider(&self, id: &str) -> ProviderConfig {
        self.providers.get(id).cloned().unwrap_or_default()
    }
}

/// The TOML reader's message in the file's terms rather than Rust's: keys and sections,
/// not fields; numbers, not `i64`. A client secret gets its own answer: it belongs in the
/// keychain.
fn in_words(message: &str, key: Option<&str>) -> String {
    if message.starts_with("unknown field `client_secret`") {
        return "a client secret is never read from this file: remove the line and enter the secret in the window's Settings, which keeps it in the keychain".into();
    }
    let is_section = key.is_some_and(|k| k.starts_with('[') && k.ends_with(']'));
    let unknown = if is_section {
        "unknown section"
    } else {
        "unknown key"
    };
    let mut message = message.to_string();
    for table in [
        "struct SandboxConfig",
        "struct ProviderConfig",
        "struct SyncConfig",
        "struct EmissionsConfig",
        "a map",
    ] {
        message = message.replace(&format!("expected {table}"), "expected a section of keys");
    }
    message
        .replace("unknown field", unknown)
        .replace("expected i64", "expected a whole number")
        .replace("expected u64", "expected a whole number, 0 or more")
        .replace("expected u32", "expected a whole number, 0 or more")
        .replace("expected usize", "expected a whole number, 0 or more")
        .replace(
            "expected a sequence",
            "expected a list such as [\"a\", \"b\"]",
        )
}

/// "The configuration file F is not valid at line 3: [providers.xero] page_size 0 is …
/// Correct it and run again." The line itself is not quoted: a secret pasted into the
/// wrong key must not travel on in an error.
fn invalid(
    file: &Path,
    line: Option<usize>,
    key: Option<String>,
    joined: Joined,
    problem: &str,
) -> AppError {
    let at = line.map(|n| format!(" at line {n}")).unwrap_or_default();
    let problem = problem.trim_end_matches('.');
    let what = match (key, joined) {
        (Some(key), Joined::AsSentence) => format!("{key} {problem}"),
        (Some(key), Joined::AfterColon) => format!("{key}: {problem}"),
        (None, Joined::AsSentence) => format!("a value {problem}"),
        (None, Joined::AfterColon) => problem.to_string(),
    };
    AppError::new(
        "config",
        format!(
            "The configuration file {} is not valid{at}: {what}. Correct it and run again.",
            file.display()
        ),
    )
}

/// How a problem follows the key it is about.
#[derive(Clone, Copy)]
enum Joined {
    /// Our own rules, worded to finish the sentence: "[sync] max_attempts 0 is out of range".
    AsSentence,
    /// The TOML reader's messages: "[sync] refresh_margn_secs: unknown key …".
    AfterColon,
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
        assert_eq!(cfg.provider("xero").redirect_ports, None);
    }

    #[test]
    fn redirect_ports_are_read_in_order_and_impossible_lists_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[providers.xero]\nredirect_ports = [53682, 53683]\n").unwrap();
        let cfg = Config::load(&path).unwrap();
        assert_eq!(
            cfg.provider("xero").redirect_ports,
            Some(vec![53682, 53683])
        );

        for (line, says) in [
            (
                "redirect_ports = []",
                "redirect_ports is empty: list the ports",
            ),
            (
                "redirect_ports = [0]",
                "redirect_ports contains 0, which is not a port",
            ),
            (
                "redirect_ports = [53682, 53682]",
                "redirect_ports lists 53682 twice",
            ),
            (
                "redirect_ports = [70000]",
                "contains 70000, which is not a port: list the registered ports (1 to 65535)",
            ),
        ] {
            std::fs::write(&path, format!("[providers.xero]\n{line}\n")).unwrap();
            let err = Config::load(&path).unwrap_err();
            assert!(err.message.contains(says), "{line}: {}", err.message);
            assert!(
                err.message
                    .contains("at line 2: [providers.xero] redirect_ports "),
                "{line}: {}",
                err.message
            );
        }
    }
}
