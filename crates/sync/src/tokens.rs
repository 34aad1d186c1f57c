use crate::locks::ConnectionLock;
use crate::SyncError;
use carbonsync_oauth::{OAuthClient, OAuthError, TokenSet};
use carbonsync_store::Connection;
use carbonsync_vault::{Sensitive, Vault};
use chrono::{DateTime, Duration, Utc};
use std::path::{Path, PathBuf};

/// How long after a rotation the platform still accepts the refresh token it replaced, so
/// a renewal whose answer was lost (a crash, a dropped connection) can be retried with the
/// token still in the keychain. Xero: "a lost refresh response can be retried with the old
/// token for 30 minutes" (PROVIDERS.md).
pub const ROTATION_GRACE: Duration = Duration::minutes(30);

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
            .ok_or_else(|| SyncError::SignInMissing {
                provider: crate::platform_name(&conn.provider),
                tenant: conn.tenant_name.clone(),
                detail: "no entry for it".into(),
            })?;
        TokenSet::from_secret(&secret).ok_or_else(|| SyncError::SignInMissing {
            provider: crate::platform_name(&conn.provider),
            tenant: conn.tenant_name.clone(),
            detail: "its entry is unreadable".into(),
        })
    }

    /// What the grant said besides its tokens (Salesforce: the org's `instance_url`).
    pub fn extras(
        &self,
        conn: &Connection,
    ) -> Result<std::collections::BTreeMap<String, String>, SyncError> {
        Ok(self.load(conn)?.extras)
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
                provider: crate::platform_name(&conn.provider),
                tenant: conn.tenant_name.clone(),
                detail: "the sign-in has expired and cannot be renewed".into(),
            });
        };
        // A renewal that started earlier and never saved its answer: the platform may
        // have rotated the token, and then only the grace lets the one held here work.
        let marker = InFlight::path(&self.locks_dir, conn.id);
        let interrupted = InFlight::started_at(&marker);
        if let Some(at) = interrupted {
            tracing::warn!(
                connection = conn.id,
                started = %at,
                "an earlier token renewal did not save its answer; retrying it with the token held"
            );
        }
        InFlight::mark(&marker, interrupted.unwrap_or_else(Utc::now))?;
        let new = match self.refresh_retrying_a_lost_answer(&refresh_token).await {
            // What the grant said at sign-in (the company, the org's API base) stays with it
            // unless the renewal's answer says otherwise.
            Ok(mut new) => {
                for (name, value) in set.extras {
                    new.extras.entry(name).or_insert(value);
                }
                new
            }
            Err(OAuthError::InvalidGrant { detail, .. }) => {
                InFlight::clear(&marker);
                return Err(SyncError::NeedsReconnect {
                    provider: crate::platform_name(&conn.provider),
                    tenant: conn.tenant_name.clone(),
                    detail: refused_words(&detail, interrupted, Utc::now()),
                });
            }
            // Nothing is known to have happened at the platform: the marker stays, so
            // the next attempt knows a rotation may have been lost.
            Err(e) => return Err(e.into()),
        };
        crash_point("after_refresh_answer");
        // The old refresh token dies when the grace ends: store the new set before
        // anything else can fail.
        self.vault.put(&conn.vault_key, &new.to_secret())?;
        InFlight::clear(&marker);
        tracing::info!(connection = conn.id, "access token refreshed");
        Ok(Fresh {
            access_token: new.access_token,
            refreshed: true,
        })
    }
}

impl TokenKeeper<'_> {
    /// Renews with `refresh_token`, and once more with the same token when the answer
    /// was lost on the way (the connection dropped, or the answer arrived cut off): the
    /// platform may have rotated the token already, and its grace accepts the retry.
    async fn refresh_retrying_a_lost_answer(
        &self,
        refresh_token: &Sensitive<String>,
    ) -> Result<TokenSet, OAuthError> {
        match self.oauth.refresh(refresh_token).await {
            // The detail is not logged: an unreadable token answer may still hold a token.
            Err(OAuthError::Network { .. } | OAuthError::BadResponse { .. }) => {
                tracing::warn!(
                    "the token renewal's answer was lost or cut off; retrying with the same token"
                );
                self.oauth.refresh(refresh_token).await
            }
            other => other,
        }
    }
}

/// Why the platform's refusal to renew means a reconnect, in words: when a renewal was
/// interrupted before its answer was saved and the grace is over, that is the reason.
fn refused_words(detail: &str, interrupted: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match interrupted {
        Some(at) if now - at >= ROTATION_GRACE => format!(
            "a renewal of its sign-in started at {} was interrupted before its answer was saved, \
             and the platform accepts a retry of an interrupted renewal for {} minutes only, so \
             the sign-in is lost: connect again in the browser",
            at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
            ROTATION_GRACE.num_minutes()
        ),
        _ if detail.is_empty() => "the platform refused to renew the sign-in".into(),
        _ => format!("the platform refused to renew the sign-in: {detail}"),
    }
}

/// A file beside the connection's refresh lock that exists while a renewal is under way:
/// it holds when the renewal started (RFC 3339), never a token. A crash leaves it behind,
/// which tells the next renewal that the platform may have rotated the token already.
struct InFlight;

impl InFlight {
    fn path(locks_dir: &Path, connection_id: i64) -> PathBuf {
        locks_dir.join(format!("refresh-{connection_id}.inflight"))
    }

    fn started_at(path: &Path) -> Option<DateTime<Utc>> {
        let text = std::fs::read_to_string(path).ok()?;
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    fn mark(path: &Path, started: DateTime<Utc>) -> Result<(), SyncError> {
        std::fs::write(path, started.to_rfc3339()).map_err(|e| {
            SyncError::Lock(format!(
                "cannot write {} before renewing the sign-in: {e}",
                path.display()
            ))
        })
    }

    fn clear(path: &Path) {
        let _ = std::fs::remove_file(path);
    }
}

/// Stops the process on the spot at a named step when `CARBONSYNC_TEST_CRASH_AT` names it,
/// so tests can prove a crash there loses nothing. Compiled only into debug builds: a
/// release build ignores the variable.
fn crash_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("CARBONSYNC_TEST_CRASH_AT").is_ok_and(|s| s == step) {
        eprintln!("stopping at {step} (CARBONSYNC_TEST_CRASH_AT)");
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_after_an_interrupted_renewal_says_why_once_the_grace_is_over() {
        let now = Utc::now();
        let words = refused_words("invalid_grant", Some(now - Duration::minutes(31)), now);
        assert!(
            words.contains("interrupted before its answer was saved"),
            "{words}"
        );
        assert!(words.contains("30 minutes only"), "{words}");
        assert!(words.contains("connect again"), "{words}");
        let within = refused_words("revoked", Some(now - Duration::minutes(29)), now);
        assert_eq!(within, "the platform refused to renew the sign-in: revoked");
        assert_eq!(
            refused_words("", None, now),
            "the platform refused to renew the sign-in"
        );
    }

    #[test]
    fn the_in_flight_marker_holds_a_time_and_goes_away() {
        let dir = std::env::temp_dir().join(format!("carbonsync-inflight-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = InFlight::path(&dir, 7);
        assert_eq!(InFlight::started_at(&path), None);
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        InFlight::mark(&path, at).unwrap();
        assert_eq!(InFlight::started_at(&path), Some(at));
        InFlight::clear(&path);
        assert!(!path.exists());
        let _ = std::fs::remove_dir(&dir);
    }
}
