//! What the authorization server remembers: consent requests awaiting a decision, issued codes,
//! grants (one per completed sign-in, covering both organisations) and their tokens.
//! Codes and tokens are stored by fingerprint only (see `secrets.rs`).

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::secrets::{fingerprint, new_secret};

/// A consent page left open longer than this is stale; its request must start over.
const PENDING_TTL_MS: i64 = 10 * 60 * 1000;
/// Expired access tokens are remembered this long so a client still hears "TokenExpired"
/// (not "unknown token") for a while, as it would from Xero, whose tokens are self-describing.
const EXPIRED_ACCESS_MEMORY_MS: i64 = 24 * 3600 * 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: String,
}

struct Pending {
    request: AuthRequest,
    created_ms: i64,
}

struct IssuedCode {
    request: AuthRequest,
    expires_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: Uuid,
    /// Reported as `authEventId` by `/connections`.
    pub auth_event_id: Uuid,
    pub client_id: String,
    pub scope: String,
    pub created_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// SHA-256 of the token, hex.
    pub fingerprint: String,
    pub grant_id: Uuid,
    pub expires_ms: i64,
}

pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: Option<String>,
    pub scope: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AccessError {
    Unknown,
    Expired { at_ms: i64 },
}

#[derive(Default)]
pub struct AuthStore {
    pending: HashMap<String, Pending>,
    codes: HashMap<String, IssuedCode>,
    grants: HashMap<Uuid, Grant>,
    access: HashMap<String, StoredToken>,
    refresh: HashMap<String, StoredToken>,
}

/// The persistent part of the store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSnapshot {
    pub grants: Vec<Grant>,
    pub access_tokens: Vec<StoredToken>,
    pub refresh_tokens: Vec<StoredToken>,
}

pub fn offers_refresh(scope: &str) -> bool {
    scope.split_whitespace().any(|s| s == "offline_access")
}

impl AuthStore {
    /// Parks a validated authorize request until the user decides; returns its id.
    pub fn park(&mut self, request: AuthRequest, now_ms: i64) -> String {
        self.pending
            .retain(|_, p| now_ms - p.created_ms < PENDING_TTL_MS);
        let id = new_secret("req_");
        self.pending.insert(
            id.clone(),
            Pending {
                request,
                created_ms: now_ms,
            },
        );
        id
    }

    /// Removes and returns a parked request: each consent page can be answered once.
    pub fn take_pending(&mut self, request_id: &str, now_ms: i64) -> Option<AuthRequest> {
        let pending = self.pending.remove(request_id)?;
        (now_ms - pending.created_ms < PENDING_TTL_MS).then_some(pending.request)
    }

    pub fn issue_code(&mut self, request: AuthRequest, ttl: Duration, now_ms: i64) -> String {
        self.codes.retain(|_, c| c.expires_ms > now_ms);
        let code = new_secret("sbx_code_");
        self.codes.insert(
            fingerprint(&code),
            IssuedCode {
                request,
                expires_ms: now_ms.saturating_add(ttl.as_millis() as i64),
            },
        );
        code
    }

    /// Removes the code whatever happens next, so it can never be exchanged twice (even a
    /// failed attempt burns it: a wrong verifier suggests someone else holds the code).
    /// Returns the original request, or why the code is refused.
    pub fn take_code(&mut self, code: &str, now_ms: i64) -> Result<AuthRequest, &'static str> {
        let issued = self
            .codes
            .remove(&fingerprint(code))
            .ok_or("the authorization code is unknown or was already used")?;
        if issued.expires_ms <= now_ms {
            return Err("the authorization code has expired");
        }
        Ok(issued.request)
    }

    pub fn create_grant(&mut self, client_id: &str, scope: &str, now_ms: i64) -> Grant {
        let grant = Grant {
            id: Uuid::new_v4(),
            auth_event_id: Uuid::new_v4(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            created_ms: now_ms,
        };
        self.grants.insert(grant.id, grant.clone());
        grant
    }

    /// A new access token, plus a refresh token when the grant asked for `offline_access`.
    pub fn issue_tokens(
        &mut self,
        grant_id: Uuid,
        access_ttl: Duration,
        refresh_ttl: Duration,
        now_ms: i64,
    ) -> Option<IssuedTokens> {
        let scope = self.grants.get(&grant_id)?.scope.clone();
        self.prune(now_ms);
        let access_token = new_secret("sbx_at_");
        self.access.insert(
            fingerprint(&access_token),
            StoredToken {
                fingerprint: fingerprint(&access_token),
                grant_id,
                expires_ms: now_ms.saturating_add(access_ttl.as_millis() as i64),
            },
        );
        let refresh_token = offers_refresh(&scope).then(|| {
            let token = new_secret("sbx_rt_");
            self.refresh.insert(
                fingerprint(&token),
                StoredToken {
                    fingerprint: fingerprint(&token),
                    grant_id,
                    expires_ms: now_ms.saturating_add(refresh_ttl.as_millis() as i64),
                },
            );
            token
        });
        Some(IssuedTokens {
            access_token,
            expires_in: access_ttl.as_secs(),
            refresh_token,
            scope,
        })
    }

    /// Spends a refresh token and issues a fresh pair for the same grant. The spent token is
    /// gone for good, so a replayed (possibly stolen) refresh token gets `invalid_grant`.
    pub fn rotate(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        access_ttl: Duration,
        refresh_ttl: Duration,
        now_ms: i64,
    ) -> Result<IssuedTokens, &'static str> {
        let stored = self
            .refresh
            .remove(&fingerprint(refresh_token))
            .ok_or("the refresh token is unknown, revoked or already used")?;
        if stored.expires_ms <= now_ms {
            return Err("the refresh token has expired");
        }
        let grant = self
            .grants
            .get(&stored.grant_id)
            .ok_or("the grant behind this refresh token was revoked")?;
        if grant.client_id != client_id {
            return Err("the refresh token was issued to another client");
        }
        self.issue_tokens(stored.grant_id, access_ttl, refresh_ttl, now_ms)
            .ok_or("the grant behind this refresh token was revoked")
    }

    /// The grant an access token acts for.
    pub fn check_access(&self, token: &str, now_ms: i64) -> Result<Grant, AccessError> {
        let stored = self
            .access
            .get(&fingerprint(token))
            .ok_or(AccessError::Unknown)?;
        let grant = self
            .grants
            .get(&stored.grant_id)
            .ok_or(AccessError::Unknown)?;
        if stored.expires_ms <= now_ms {
            return Err(AccessError::Expired {
                at_ms: stored.expires_ms,
            });
        }
        Ok(grant.clone())
    }

    /// RFC 7009: a refresh token takes its whole grant with it; an access token goes alone.
    /// Returns whether anything was revoked.
    pub fn revoke_token(&mut self, token: &str) -> bool {
        let key = fingerprint(token);
        if let Some(stored) = self.refresh.get(&key) {
            let grant = stored.grant_id;
            return self.revoke_grant(&grant);
        }
        self.access.remove(&key).is_some()
    }

    pub fn revoke_grant(&mut self, grant_id: &Uuid) -> bool {
        let existed = self.grants.remove(grant_id).is_some();
        self.access.retain(|_, t| &t.grant_id != grant_id);
        self.refresh.retain(|_, t| &t.grant_id != grant_id);
        existed
    }

    fn prune(&mut self, now_ms: i64) {
        self.access
            .retain(|_, t| t.expires_ms + EXPIRED_ACCESS_MEMORY_MS > now_ms);
        self.refresh.retain(|_, t| t.expires_ms > now_ms);
    }

    pub fn snapshot(&self) -> AuthSnapshot {
        let mut snapshot = AuthSnapshot {
            grants: self.grants.values().cloned().collect(),
            access_tokens: self.access.values().cloned().collect(),
            refresh_tokens: self.refresh.values().cloned().collect(),
        };
        // A stable order keeps the state file diffable and its writes reproducible.
        snapshot.grants.sort_by_key(|g| (g.created_ms, g.id));
        snapshot
            .access_tokens
            .sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        snapshot
            .refresh_tokens
            .sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        snapshot
    }

    pub fn restore(&mut self, snapshot: AuthSnapshot) {
        self.grants = snapshot.grants.into_iter().map(|g| (g.id, g)).collect();
        self.access = snapshot
            .access_tokens
            .into_iter()
            .map(|t| (t.fingerprint.clone(), t))
            .collect();
        self.refresh = snapshot
            .refresh_tokens
            .into_iter()
            .map(|t| (t.fingerprint.clone(), t))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn request(scope: &str) -> AuthRequest {
        AuthRequest {
            client_id: "c".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            scope: scope.into(),
            state: None,
            code_challenge: "x".into(),
        }
    }

    #[test]
    fn a_code_works_once_and_not_after_it_expires() {
        let mut store = AuthStore::default();
        let code = store.issue_code(request("openid"), MIN, 0);
        assert!(store.take_code(&code, 1).is_ok());
        assert!(store.take_code(&code, 2).is_err());
        let code = store.issue_code(request("openid"), MIN, 0);
        assert_eq!(
            store.take_code(&code, 60_000),
            Err("the authorization code has expired")
        );
    }

    #[test]
    fn refresh_tokens_come_only_with_offline_access_and_rotate() {
        let mut store = AuthStore::default();
        let g = store.create_grant("c", "openid", 0);
        let t = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        assert!(t.refresh_token.is_none());

        let g = store.create_grant("c", "offline_access accounting.transactions", 0);
        let t = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        let first = t.refresh_token.unwrap();
        let second = store.rotate(&first, "c", MIN, MIN, 1).unwrap();
        assert!(store.rotate(&first, "c", MIN, MIN, 2).is_err());
        assert!(store
            .rotate(second.refresh_token.as_ref().unwrap(), "other", MIN, MIN, 2)
            .is_err());
    }

    #[test]
    fn revoking_a_refresh_token_ends_the_grant() {
        let mut store = AuthStore::default();
        let g = store.create_grant("c", "offline_access", 0);
        let t = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        assert!(store.check_access(&t.access_token, 1).is_ok());
        assert!(store.revoke_token(t.refresh_token.as_ref().unwrap()));
        assert_eq!(
            store.check_access(&t.access_token, 1),
            Err(AccessError::Unknown)
        );
        assert!(!store.revoke_token("never issued"));
    }

    #[test]
    fn an_expired_access_token_says_when_it_expired() {
        let mut store = AuthStore::default();
        let g = store.create_grant("c", "openid", 0);
        let t = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        assert_eq!(
            store.check_access(&t.access_token, 60_000),
            Err(AccessError::Expired { at_ms: 60_000 })
        );
    }
}
