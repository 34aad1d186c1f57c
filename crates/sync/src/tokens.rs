use crate::locks::ConnectionLock;
use crate::SyncError;
use carbonsync_oauth::{OAuthClient, OAuthError, TokenSet};
use carbonsync_store::Connection;
use carbonsync_vault::{Sensitive, Vault};
use chrono::Duration;
use std::path::PathBuf;

/// Hands out a valid access token for a connection, refreshing it when it is close to
/// expiry. One refresh at a time per connection, across processes: the refresh runs
/// under a file lock and re-reads the keychain inside it, so a second caller finds
/// the token the first one stored instead of spending the (rotated) refresh token again.
pub struct TokenKeeper<'a> {
    pub vault: &'a Vault,
    pub oauth: &'a OAuthClient,
    pub locks_dir: PathBuf,
    pub margin: Duration,
}

/// A token handed out, and whether getting it took a refresh.
pub struct Fresh {
    pub access_token: Sensitive<String>,
    pub refreshed: bool,
}

impl TokenKeeper<'_> {
    fn load(&self, conn: &Connection) -> Result<TokenSet, SyncError> {
        let secret = self
            .vault
            .get(&conn.vault_key)?
            .ok_or_else(|| SyncError::NeedsReconnect {
                provider: conn.provider.clone(),
                tenant: conn.tenant_name.clone(),
                detail: "its sign-in is missing from the system keychain".into(),
            })?;
        TokenSet::from_secret(&secret).ok_or_else(|| SyncError::NeedsReconnect {
            provider: conn.provider.clone(),
            tenant: conn.tenant_name.clone(),
            detail: "its sign-in in the system keychain is unreadable".into(),
        })
    }

    /// A token valid for at least the margin. With `rejected`, the platform has just
    /// refused that token, so a different one is needed even if it looks unexpired.
    pub async fn access_token(
        &self,
        conn: &Connection,
        rejected: Option<&Sensitive<String>>,
    ) -> Result<Fresh, SyncError> {
        let needs_refresh = |set: &TokenSet| {
            set.expires_within(self.margin) || rejected.is_some_and(|r| r == &set.access_token)
        };
        let set = self.load(conn)?;
        if !needs_refresh(&set) {
            return Ok(Fresh {
                access_token: set.access_token,
                refreshed: false,
            });
        }
        let _lock = ConnectionLock::acquire(&self.locks_dir, &format!("refresh-{}", conn.id))
            .await
            .map_err(|e| SyncError::Lock(e.to_string()))?;
        // Another process may have refreshed while this one waited for the lock.
        let set = self.load(conn)?;
        if !needs_refresh(&set) {
            return Ok(Fresh {
                access_token: set.access_token,
                refreshed: false,
            });
        }
        let Some(refresh_token) = set.refresh_token else {
            return Err(SyncError::NeedsReconnect {
                provider: conn.provider.clone(),
                tenant: conn.tenant_name.clone(),
                detail: "the sign-in has expired and cannot be renewed".into(),
            });
        };
        let new = match self.oauth.refresh(&refresh_token).await {
            Ok(new) => new,
            Err(OAuthError::InvalidGrant { detail, .. }) => {
                return Err(SyncError::NeedsReconnect {
                    provider: conn.provider.clone(),
                    tenant: conn.tenant_name.clone(),
                    detail: if detail.is_empty() {
                        "the platform refused to renew the sign-in".into()
                    } else {
                        format!("the platform refused to renew the sign-in: {detail}")
                    },
                })
            }
            Err(e) => return Err(e.into()),
        };
        // The old refresh token is dead from here on: store the new set before
        // anything else can fail.
        self.vault.put(&conn.vault_key, &new.to_secret())?;
        tracing::info!(connection = conn.id, "access token refreshed");
        Ok(Fresh {
            access_token: new.access_token,
            refreshed: true,
        })
    }
}
