use carbonsync_oauth::OAuthError;
use carbonsync_providers::ProviderError;
use carbonsync_store::StoreError;
use carbonsync_vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{provider} no longer accepts CarbonSync's access to {tenant}; reconnect it to continue syncing ({detail})")]
    NeedsReconnect {
        provider: String,
        tenant: String,
        detail: String,
    },
    /// The keychain on this computer holds no (readable) sign-in for the connection: nothing
    /// was refused by the platform, the tokens are simply not here (another keychain, a
    /// deleted entry, a keyring that was reset).
    #[error("the sign-in for {tenant} is not in this computer's keychain ({detail}), so CarbonSync cannot sync it; reconnect it (nothing was refused by the platform)")]
    SignInMissing {
        provider: String,
        tenant: String,
        detail: String,
    },
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("connection {0} is disconnected; connect it again to sync")]
    Disconnected(i64),
    #[error("the sync could not use its lock file: {0}")]
    Lock(String),
    #[error("the sync was stopped before it finished; pages already saved are kept")]
    Stopped,
}

impl SyncError {
    /// A stable code the UI can act on.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::NeedsReconnect { .. } | SyncError::SignInMissing { .. } => "needs_reconnect",
            SyncError::Provider(ProviderError::RateLimited { .. }) => "rate_limited",
            SyncError::Provider(ProviderError::BadResponse { .. }) => "bad_response",
            SyncError::Provider(ProviderError::Transport { .. }) => "network",
            SyncError::Provider(ProviderError::Server { .. }) => "platform_error",
            SyncError::Provider(_) => "platform_refused",
            SyncError::OAuth(OAuthError::Network { .. }) => "network",
            SyncError::OAuth(_) => "auth_failed",
            SyncError::Store(StoreError::DiskFull) => "disk_full",
            SyncError::Store(_) => "database",
            SyncError::Vault(_) => "keychain",
            SyncError::Disconnected(_) => "disconnected",
            SyncError::Lock(_) => "lock",
            SyncError::Stopped => "stopped",
        }
    }

    /// A scheduled retry cannot help: the user has to act first.
    pub fn is_permanent(&self) -> bool {
        match self {
            SyncError::NeedsReconnect { .. }
            | SyncError::SignInMissing { .. }
            | SyncError::Disconnected(_) => true,
            SyncError::Provider(e) => !e.is_retryable(),
            SyncError::OAuth(e) => e.is_permanent(),
            SyncError::Store(StoreError::DiskFull) => false,
            SyncError::Store(_) | SyncError::Vault(_) | SyncError::Lock(_) => true,
            SyncError::Stopped => false,
        }
    }

    /// What a finance person reads first: what happened and what to do.
    pub fn user_message(&self) -> String {
        match self {
            SyncError::Provider(ProviderError::RateLimited { limit, .. })
                if limit.as_deref() == Some("day") =>
            {
                "The platform's daily limit of calls is used up. Nothing was lost; syncing continues where it stopped once the limit resets.".into()
            }
            SyncError::Provider(ProviderError::RateLimited { .. }) => {
                "The platform is limiting how fast CarbonSync may read. Nothing was lost; the next sync continues where this one stopped.".into()
            }
            SyncError::Provider(ProviderError::Transport { .. })
            | SyncError::OAuth(OAuthError::Network { .. }) => {
                "CarbonSync could not reach the platform. Check the network connection; the next sync continues where this one stopped.".into()
            }
            SyncError::Provider(e @ ProviderError::Server { status, .. }) if !e.is_retryable() => {
                format!(
                    "The platform refused CarbonSync's request (HTTP {status}); waiting will not change that. Nothing was lost. Check the connection's settings, and report it if it keeps happening: the details below say which request."
                )
            }
            SyncError::Provider(ProviderError::Server { .. }) => {
                "The platform had a problem answering. Nothing was lost; try again later.".into()
            }
            SyncError::Provider(ProviderError::BadResponse { .. }) => {
                "The platform sent data CarbonSync could not read. Nothing was saved from that page; try again later, and report it if it keeps happening.".into()
            }
            other => {
                let mut s = other.to_string();
                if let Some(first) = s.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                s
            }
        }
    }
}
