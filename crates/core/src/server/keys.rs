//! The keys that sign each platform's webhooks (Xero's "webhook key", Intuit's "verifier
//! token"), one per platform and data folder, kept in the keychain like every other
//! secret: `{install}/webhook-key/{platform}`.

use crate::{App, AppError};
use carbonsync_providers::connector::REGISTRY;
use carbonsync_providers::WebhookSpec;
use carbonsync_vault::Sensitive;
use std::collections::BTreeMap;

/// The keys read when the server starts, by catalogue id.
pub(crate) struct WebhookKeys {
    keys: BTreeMap<&'static str, Sensitive<String>>,
}

impl WebhookKeys {
    pub(crate) fn get(&self, platform: &str) -> Option<&Sensitive<String>> {
        self.keys.get(platform)
    }

    /// Platforms that send webhooks but have no key stored.
    pub(crate) fn missing(&self) -> Vec<String> {
        webhook_platforms()
            .filter(|(id, _)| !self.keys.contains_key(id))
            .map(|(id, _)| id.to_string())
            .collect()
    }
}

/// Every platform that sends webhooks, with how it signs them.
pub(crate) fn webhook_platforms() -> impl Iterator<Item = (&'static str, &'static WebhookSpec)> {
    REGISTRY
        .iter()
        .filter_map(|r| r.webhook.map(|spec| (r.platform, spec)))
}

/// The webhook description of `platform`, or an error naming the ones that have one.
/// Platforms whose interaction requests (a button clicked in a message) the server takes,
/// with what the platform calls the secret that signs them.
pub(crate) const INTERACTION_PLATFORMS: &[(&str, &str)] = &[("slack", "signing secret")];

/// What the platform calls the secret that signs what it sends: a webhook key, or an
/// interaction signing secret. Errors: `no_webhooks` for a platform that sends neither.
pub(crate) fn key_name(platform: &str) -> Result<&'static str, AppError> {
    match webhook_spec(platform) {
        Ok(spec) => Ok(spec.key_name),
        Err(e) => INTERACTION_PLATFORMS
            .iter()
            .find(|(id, _)| *id == platform)
            .map(|(_, name)| *name)
            .ok_or(e),
    }
}

pub(crate) fn webhook_spec(platform: &str) -> Result<&'static WebhookSpec, AppError> {
    webhook_platforms()
        .find(|(id, _)| *id == platform)
        .map(|(_, spec)| spec)
        .ok_or_else(|| {
            let known: Vec<&str> = webhook_platforms().map(|(id, _)| id).collect();
            AppError::new(
                "no_webhooks",
                format!(
                    "CarbonSync takes no webhooks from {platform:?}: it takes them from {}.",
                    known.join(" and ")
                ),
            )
        })
}

impl App {
    fn webhook_key_entry(&self, platform: &str) -> Result<String, AppError> {
        Ok(format!(
            "{}/webhook-key/{platform}",
            self.store()?.install_id()?
        ))
    }

    /// Keeps `key`, the secret `platform` signs its webhooks with (as its developer
    /// portal shows it), in the keychain, replacing any kept before. A running
    /// `carbonsync serve` uses it within seconds ([`crate::WEBHOOK_KEYS_FRESH_FOR`]).
    ///
    /// Errors: a platform that sends no webhooks, an empty key, a locked keychain.
    pub async fn set_webhook_key(
        &self,
        platform: &str,
        key: &Sensitive<String>,
    ) -> Result<(), AppError> {
        let name = key_name(platform)?;
        if key.expose().trim().is_empty() {
            return Err(AppError::new(
                "secret_empty",
                format!("The {name} is empty: paste it as the platform shows it."),
            ));
        }
        self.ensure_keychain_writable(platform).await?;
        let entry = self.webhook_key_entry(platform)?;
        self.vault()
            .put(&entry, &Sensitive::new(key.expose().trim().to_string()))?;
        tracing::info!(platform, "webhook key stored in the keychain");
        Ok(())
    }

    /// Keeps the sandbox's webhook key for `platform`, asked from its control API, so
    /// that deliveries its webhook sender signs are accepted.
    ///
    /// Errors: a platform set up with the organisation's own app (a client id in the
    /// configuration): its webhooks are signed with that app's key, and the sandbox's key,
    /// which anyone can compute, must never be trusted for it.
    pub async fn use_sandbox_webhook_key(&self, platform: &str) -> Result<(), AppError> {
        key_name(platform)?;
        if self.config().provider(platform).client_id.is_some() {
            let name = self
                .catalogue_entry(platform)
                .map_or(platform.to_string(), |e| e.name.clone());
            return Err(AppError::new(
                "not_sandbox",
                format!(
                    "{name} is set up with your own app (a client id in the configuration), so its webhooks are signed with that app's key: store it with `carbonsync webhook-key {platform}`. The sandbox's key is public and is never used for a real platform."
                ),
            ));
        }
        if platform == "slack" {
            // The sandbox's Slack app signs its interaction requests with a published test
            // secret.
            return self
                .set_webhook_key(
                    platform,
                    &Sensitive::new(carbonsync_sandbox::SLACK_SIGNING_SECRET.to_string()),
                )
                .await;
        }
        let base = self.sandbox_url().await?;
        let url = format!("{base}/_control/webhooks/{platform}/key");
        let failed = |e: reqwest::Error| {
            AppError::new(
                "sandbox",
                format!("The sandbox did not give its {platform} webhook key: {e}"),
            )
        };
        let answer: serde_json::Value = reqwest::get(&url)
            .await
            .and_then(|r| r.error_for_status())
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        let key = answer["key"].as_str().unwrap_or_default().to_string();
        self.set_webhook_key(platform, &Sensitive::new(key)).await
    }

    /// What `platform` calls the key that signs its webhooks ("webhook key", "verifier
    /// token"); an error for a platform that sends none.
    pub fn webhook_key_name(&self, platform: &str) -> Result<&'static str, AppError> {
        key_name(platform)
    }

    /// Removes the webhook key of `platform`; returns whether one was kept.
    pub fn clear_webhook_key(&self, platform: &str) -> Result<bool, AppError> {
        key_name(platform)?;
        let entry = self.webhook_key_entry(platform)?;
        let had = self.vault().get(&entry)?.is_some();
        if had {
            self.vault().delete(&entry)?;
        }
        Ok(had)
    }

    /// The catalogue ids of the platforms whose webhooks CarbonSync takes.
    pub fn webhook_platform_ids(&self) -> Vec<&'static str> {
        webhook_platforms().map(|(id, _)| id).collect()
    }

    /// Every stored webhook key, read once (the keychain talks D-Bus; a request must not
    /// wait on it).
    pub(crate) async fn webhook_keys(&self) -> Result<WebhookKeys, AppError> {
        let mut keys = BTreeMap::new();
        let ids = webhook_platforms()
            .map(|(id, _)| id)
            .chain(INTERACTION_PLATFORMS.iter().map(|(id, _)| *id));
        for id in ids {
            if let Some(key) = self.vault().get(&self.webhook_key_entry(id)?)? {
                keys.insert(id, key);
            }
        }
        Ok(WebhookKeys { keys })
    }
}

impl App {
    /// Whether a "Retry sync" button in a Slack alert would be taken: the signing secret
    /// that verifies Slack's interaction requests is in the keychain.
    pub(crate) fn slack_interactions_enabled(&self) -> bool {
        self.webhook_key_entry("slack")
            .ok()
            .and_then(|entry| self.vault().get(&entry).ok().flatten())
            .is_some()
    }
}
