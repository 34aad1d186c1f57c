//! Everything that differs between a platform's production service and the sandbox:
//! URLs, client id, and the sandbox server itself.

use crate::{App, AppError};
use carbonsync_oauth::{ClientAuth, OAuthClient, OAuthConfig, RevokeBody};
use carbonsync_providers::catalogue::{ClientAuthStyle, ClientKind};
use carbonsync_providers::{
    inventory_registration, registration, CallMeter, Connector, ConnectorSettings, Endpoints,
    GrantExtras, InventoryConnector, InventorySettings, ProviderEntry, RetryPolicy, Tenant,
};
use std::sync::Arc;
use std::time::Duration;

/// The resolved way to reach one platform.
pub(crate) struct Platform {
    pub entry: ProviderEntry,
    pub sandbox: bool,
    pub endpoints: Endpoints,
    pub client_id: String,
    pub page_size: u32,
    pub scopes: Vec<String>,
    /// Confidential clients only; from the keychain.
    pub client_secret: Option<carbonsync_vault::Sensitive<String>>,
    /// The sandbox's base URL, when this is the sandbox.
    pub sandbox_base: Option<String>,
}

impl Platform {
    /// "Xero" or "Xero (sandbox)": how the platform is named in every message.
    pub fn display_name(&self) -> String {
        if self.sandbox {
            format!("{} (sandbox)", self.entry.name)
        } else {
            self.entry.name.clone()
        }
    }

    pub fn oauth(&self) -> Result<OAuthClient, AppError> {
        let missing = |what: &str| {
            AppError::new(
                "config",
                format!(
                    "{} has no {what} URL: set {what}_url under [providers.{}] in the configuration file",
                    self.display_name(),
                    self.entry.id
                ),
            )
        };
        let rules = &self.entry.oauth;
        if rules.client == ClientKind::Confidential && self.client_secret.is_none() {
            return Err(AppError::new(
                "client_secret_missing",
                format!(
                    "{} gives every app a client secret and needs it to sign in. Enter your {} app's client id and secret in the window's Settings, or pipe the secret to `carbonsync app-credentials {} --client-id ID --client-secret-stdin` (it is kept in the keychain), then connect again.",
                    self.display_name(),
                    self.entry.name,
                    self.entry.id,
                ),
            ));
        }
        Ok(OAuthClient::new(OAuthConfig {
            provider: self.display_name(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            authorize_url: self
                .endpoints
                .authorize
                .clone()
                .ok_or_else(|| missing("authorize"))?,
            token_url: self
                .endpoints
                .token
                .clone()
                .ok_or_else(|| missing("token"))?,
            revoke_url: self.endpoints.revoke.clone(),
            scopes: match &rules.scope_separator {
                Some(sep) if !self.scopes.is_empty() => vec![self.scopes.join(sep)],
                _ => self.scopes.clone(),
            },
            default_lifetime: chrono::Duration::minutes(
                rules.default_lifetime_minutes.unwrap_or(30).into(),
            ),
            client_auth: match rules.client_auth {
                ClientAuthStyle::Basic => ClientAuth::Basic,
                ClientAuthStyle::Form => ClientAuth::Form,
            },
            callback_extras: rules.callback_extras.clone(),
            token_extras: rules.token_extras.clone(),
            revoke_body: match rules.revoke_body {
                carbonsync_providers::catalogue::RevokeBody::Form => RevokeBody::Form,
                carbonsync_providers::catalogue::RevokeBody::Json => RevokeBody::Json,
            },
        })?)
    }

    /// The configured retries (`[sync] max_attempts`, `max_retry_wait_secs`).
    pub(crate) fn retry(app: &App) -> RetryPolicy {
        let sync = &app.config().sync;
        RetryPolicy {
            max_attempts: sync.max_attempts.max(1),
            max_wait: Duration::from_secs(sync.max_retry_wait_secs),
            ..RetryPolicy::default()
        }
    }

    /// The platform's connector, with these endpoints, page size and the configured retries.
    ///
    /// Errors: `not_available` for a catalogued platform that has no connector yet; a setting
    /// the connector refuses (a page size it does not serve, an unusable URL).
    pub fn connector(&self, app: &App) -> Result<Arc<dyn Connector>, AppError> {
        let Some(registration) = registration(&self.entry.id) else {
            return Err(self.not_available());
        };
        Ok((registration.build)(&ConnectorSettings {
            endpoints: self.endpoints.clone(),
            page_size: self.page_size,
            retry: Self::retry(app),
        })?)
    }

    fn not_available(&self) -> AppError {
        AppError::new(
            "not_available",
            format!("{} is not available yet in CarbonSync.", self.entry.name),
        )
    }

    /// The platform's inventory connector (Salesforce), if it is an inventory platform.
    pub fn inventory_connector(
        &self,
        app: &App,
    ) -> Result<Option<Arc<dyn InventoryConnector>>, AppError> {
        let Some(registration) = inventory_registration(&self.entry.id) else {
            return Ok(None);
        };
        Ok(Some((registration.build)(&InventorySettings {
            endpoints: self.endpoints.clone(),
            page_size: self.page_size,
            retry: Self::retry(app),
            sandbox_base: self.sandbox_base.clone(),
        })?))
    }

    /// What connecting needs of an OAuth platform, whichever kind it is. Building it also
    /// checks the settings its client refuses (a page size it does not serve), before
    /// anyone signs in.
    pub fn signed_in_api(&self, app: &App) -> Result<SignedInApi, AppError> {
        if let Some(inventory) = self.inventory_connector(app)? {
            return Ok(SignedInApi::Inventory(inventory));
        }
        Ok(SignedInApi::Accounting(self.connector(app)?))
    }
}

/// An OAuth platform's API as the connect flow uses it.
pub(crate) enum SignedInApi {
    /// Xero, QuickBooks Online: spend documents.
    Accounting(Arc<dyn Connector>),
    /// Salesforce Net Zero Cloud: reported footprints.
    Inventory(Arc<dyn InventoryConnector>),
}

impl SignedInApi {
    /// The organisations a grant reaches.
    pub async fn tenants(
        &self,
        access_token: &str,
        extras: &GrantExtras,
    ) -> Result<Vec<Tenant>, AppError> {
        Ok(match self {
            SignedInApi::Accounting(c) => c.tenants(access_token, extras).await?,
            SignedInApi::Inventory(c) => vec![
                c.organisation(access_token, extras, &CallMeter::default())
                    .await?,
            ],
        })
    }

    /// The currency an accounting organisation keeps its books in; `None` for an
    /// inventory, whose numbers are tonnes.
    pub async fn base_currency(
        &self,
        access_token: &str,
        tenant: &Tenant,
    ) -> Result<Option<String>, AppError> {
        Ok(match self {
            SignedInApi::Accounting(c) => Some(
                c.organisation(access_token, &tenant.tenant_id)
                    .await?
                    .base_currency,
            ),
            SignedInApi::Inventory(_) => None,
        })
    }
}

impl App {
    /// How to reach `provider_id` now: production when a client id is configured,
    /// otherwise the sandbox (started in this process if none is configured).
    /// `force_sandbox` is for connections that were made against the sandbox.
    pub(crate) async fn platform(
        &self,
        provider_id: &str,
        force_sandbox: Option<bool>,
    ) -> Result<Platform, AppError> {
        let entry = self.catalogue_entry(provider_id)?.clone();
        let cfg = self.config().provider(provider_id);
        let sandbox = force_sandbox.unwrap_or(cfg.client_id.is_none());
        let sandbox_base = if sandbox {
            Some(self.sandbox_url().await?)
        } else {
            None
        };
        let mut endpoints = match &sandbox_base {
            Some(base) => entry.sandbox_endpoints(base),
            None => entry.production.clone(),
        };
        // Configured URLs win in either mode, so a platform's own test environment
        // or a proxy can be used.
        let set = |slot: &mut Option<String>, v: &Option<String>| {
            if let Some(v) = v {
                *slot = Some(v.clone());
            }
        };
        set(&mut endpoints.authorize, &cfg.authorize_url);
        set(&mut endpoints.token, &cfg.token_url);
        set(&mut endpoints.revoke, &cfg.revoke_url);
        set(&mut endpoints.api_base, &cfg.api_base);
        set(&mut endpoints.connections, &cfg.connections_url);
        // The sandbox registers a client for each platform it stands in for, public or
        // confidential as the platform's own apps are.
        let (client_id, client_secret) = if sandbox {
            let (id, secret) = carbonsync_sandbox::registered_client(provider_id);
            (
                id.to_string(),
                secret.map(|s| carbonsync_vault::Sensitive::new(s.to_string())),
            )
        } else {
            (
                cfg.client_id.clone().unwrap_or_default(),
                self.vault().get(&self.client_secret_key(provider_id)?)?,
            )
        };
        Ok(Platform {
            sandbox_base,
            client_secret,
            page_size: cfg.page_size.or(entry.page_size).unwrap_or(100),
            scopes: cfg.scopes.clone().unwrap_or_else(|| entry.scopes.clone()),
            entry,
            sandbox,
            endpoints,
            client_id,
        })
    }

    /// The sandbox's base URL: the configured one, or one started in this process on
    /// an ephemeral loopback port, its state kept in the data folder so that tokens
    /// issued by one run are still known to the next.
    pub async fn sandbox_url(&self) -> Result<String, AppError> {
        if let Some(url) = &self.config().sandbox.url {
            return Ok(url.trim_end_matches('/').to_string());
        }
        let mut slot = self.sandbox.lock().await;
        if let Some(handle) = slot.as_ref() {
            return Ok(handle.base_url().to_string());
        }
        let mut opts = carbonsync_sandbox::SandboxOptions::default();
        if let Some(n) = self.config().sandbox.records_per_org {
            opts.records_per_org = n;
        }
        if let Some(seed) = self.config().sandbox.seed {
            opts.seed = seed;
        }
        opts.state_path = Some(self.paths().sandbox_state());
        let handle = carbonsync_sandbox::start(opts, ([127, 0, 0, 1], 0).into())
            .await
            .map_err(|e| {
                AppError::new(
                    "sandbox",
                    format!("The built-in sandbox could not start: {e}"),
                )
            })?;
        tracing::info!(url = handle.base_url(), "in-process sandbox started");
        let url = handle.base_url().to_string();
        *slot = Some(handle);
        Ok(url)
    }
}
