//! What the authorization servers remember: consent requests awaiting a decision, issued codes,
//! grants (one per completed sign-in, covering the Xero organisations the user chose or the
//! QuickBooks company connected) and their tokens. Both servers keep their grants here, each
//! marked with its platform, so one state file holds them all.
//! Codes and tokens are stored by fingerprint only (see `secrets.rs`).

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::profile::{profile_of, Platform, Profile};
use super::secrets::{fingerprint, new_secret};
use crate::company::PROFILES;

/// A consent page left open longer than this is stale; its request must start over.
const PENDING_TTL_MS: i64 = 10 * 60 * 1000;
/// Expired access tokens are remembered this long so a client still hears "TokenExpired"
/// (not "unknown token") for a while, as it would from Xero, whose tokens are self-describing.
const EXPIRED_ACCESS_MEMORY_MS: i64 = 24 * 3600 * 1000;
/// How long a rotated refresh token still works, as at Xero: "a lost refresh response can be
/// retried with the old token for 30 minutes". A control setting changes it for tests.
pub const DEFAULT_REFRESH_GRACE: Duration = Duration::from_secs(30 * 60);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    /// Also says which authorization server the request came to: each knows only its own
    /// clients.
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    /// Empty when the client sent none, which only a server that does not require PKCE
    /// (Intuit's) accepts.
    pub code_challenge: String,
    /// The organisations the grant will reach: every one until the user chooses on the
    /// consent page.
    pub tenants: Vec<Uuid>,
}

/// Every organisation the sandbox serves, UK first.
pub fn all_tenants() -> Vec<Uuid> {
    PROFILES
        .iter()
        .map(|p| Uuid::parse_str(p.tenant_id).expect("profile tenant ids are valid"))
        .collect()
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
    /// The organisations this grant reaches. State files written before the consent page
    /// offered a choice have none recorded, and those grants reached every organisation.
    /// A QuickBooks grant reaches none.
    #[serde(default = "all_tenants")]
    pub tenants: Vec<Uuid>,
    /// The server that made the grant; its tokens act on that platform's API only.
    #[serde(default, skip_serializing_if = "Platform::is_xero")]
    pub platform: Platform,
    /// QuickBooks company ids (realm ids) the grant reaches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub realms: Vec<String>,
}

impl Grant {
    /// Whether calls under this grant may act for `tenant`.
    pub fn reaches(&self, tenant: &Uuid) -> bool {
        self.tenants.contains(tenant)
    }

    /// Whether calls under this grant may act for the QuickBooks company `realm_id`.
    pub fn reaches_realm(&self, realm_id: &str) -> bool {
        self.realms.iter().any(|r| r == realm_id)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// SHA-256 of the token, hex.
    pub fingerprint: String,
    pub grant_id: Uuid,
    pub expires_ms: i64,
}

/// A refresh token that has been rotated: kept until its grace is over, so a client whose
/// refresh answer was lost can retry with it, and so a later use can be told apart from an
/// unknown token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpentToken {
    #[serde(flatten)]
    pub token: StoredToken,
    /// When it was rotated (ms since 1970).
    pub spent_ms: i64,
}

pub struct IssuedTokens {
    pub access_token: String,
    /// Seconds.
    pub expires_in: u64,
    pub refresh_token: Option<String>,
    /// Seconds the refresh token lasts (Intuit's `x_refresh_token_expires_in`).
    pub refresh_expires_in: u64,
    pub scope: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AccessError {
    Unknown,
    Expired { at_ms: i64 },
}

pub struct AuthStore {
    pending: HashMap<String, Pending>,
    codes: HashMap<String, IssuedCode>,
    grants: HashMap<Uuid, Grant>,
    access: HashMap<String, StoredToken>,
    refresh: HashMap<String, StoredToken>,
    /// Rotated refresh tokens still inside their grace, by fingerprint.
    spent: HashMap<String, SpentToken>,
    refresh_grace: Duration,
    /// Refresh answers still to be cut off after the rotation (a control setting).
    lost_refresh_answers: u32,
}

impl Default for AuthStore {
    fn default() -> Self {
        AuthStore {
            pending: HashMap::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            spent: HashMap::new(),
            refresh_grace: DEFAULT_REFRESH_GRACE,
            lost_refresh_answers: 0,
        }
    }
}

/// The persistent part of the store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSnapshot {
    pub grants: Vec<Grant>,
    pub access_tokens: Vec<StoredToken>,
    pub refresh_tokens: Vec<StoredToken>,
    /// Rotated refresh tokens still inside their grace. State files written before the
    /// grace was modelled have none.
    #[serde(default)]
    pub spent_refresh_tokens: Vec<SpentToken>,
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

    /// A Xero grant reaching `tenants`.
    pub fn create_grant(
        &mut self,
        client_id: &str,
        scope: &str,
        tenants: &[Uuid],
        now_ms: i64,
    ) -> Grant {
        self.create_grant_on(Platform::Xero, client_id, scope, tenants, &[], now_ms)
    }

    pub fn create_grant_on(
        &mut self,
        platform: Platform,
        client_id: &str,
        scope: &str,
        tenants: &[Uuid],
        realms: &[&str],
        now_ms: i64,
    ) -> Grant {
        let grant = Grant {
            id: Uuid::new_v4(),
            auth_event_id: Uuid::new_v4(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            created_ms: now_ms,
            tenants: tenants.to_vec(),
            platform,
            realms: realms.iter().map(|r| (*r).to_owned()).collect(),
        };
        self.grants.insert(grant.id, grant.clone());
        grant
    }

    /// A new access token for the grant (whose profile gives the prefix).
    fn issue_access(
        &mut self,
        grant_id: Uuid,
        profile: &Profile,
        access_ttl: Duration,
        now_ms: i64,
    ) -> String {
        let access_token = new_secret(profile.access_prefix);
        self.access.insert(
            fingerprint(&access_token),
            StoredToken {
                fingerprint: fingerprint(&access_token),
                grant_id,
                expires_ms: now_ms.saturating_add(access_ttl.as_millis() as i64),
            },
        );
        access_token
    }

    /// A new access token, plus a refresh token when the grant asked for one
    /// (`offline_access` at Xero, `refresh_token` at Salesforce) or always (Intuit).
    pub fn issue_tokens(
        &mut self,
        grant_id: Uuid,
        access_ttl: Duration,
        refresh_ttl: Duration,
        now_ms: i64,
    ) -> Option<IssuedTokens> {
        let grant = self.grants.get(&grant_id)?;
        let scope = grant.scope.clone();
        let profile = profile_of(grant.platform);
        self.prune(now_ms);
        let access_token = self.issue_access(grant_id, profile, access_ttl, now_ms);
        let refresh_token = profile.grants_refresh(&scope).then(|| {
            let token = new_secret(profile.refresh_prefix);
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
            refresh_expires_in: refresh_ttl.as_secs(),
            scope,
        })
    }

    /// How long a rotated refresh token can still be spent (see [`DEFAULT_REFRESH_GRACE`]).
    pub fn refresh_grace(&self) -> Duration {
        self.refresh_grace
    }

    /// Changes the grace for tokens rotated from now on and for those already rotated (the
    /// grace is measured from each token's rotation).
    pub fn set_refresh_grace(&mut self, grace: Duration) {
        self.refresh_grace = grace;
    }

    /// Cuts off the answers of the next `count` refreshes after the token was rotated, as
    /// a dropped connection would: the client never sees the new tokens.
    pub fn lose_refresh_answers(&mut self, count: u32) {
        self.lost_refresh_answers = count;
    }

    /// Whether the answer of the refresh just made is to be cut off (counts it down).
    pub fn take_lost_refresh_answer(&mut self) -> bool {
        let lose = self.lost_refresh_answers > 0;
        self.lost_refresh_answers = self.lost_refresh_answers.saturating_sub(1);
        lose
    }

    /// Spends a refresh token and issues a fresh pair for the same grant. As at Xero, a
    /// rotated token still works for the grace after its rotation, so a client that lost
    /// the answer can retry with the token it holds; each retry rotates again and the
    /// tokens issued earlier stay valid. After the grace the token gets `invalid_grant`,
    /// with a description that says it was rotated and when.
    pub fn rotate(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        access_ttl: Duration,
        refresh_ttl: Duration,
        now_ms: i64,
    ) -> Result<IssuedTokens, String> {
        let key = fingerprint(refresh_token);
        let grace_ms = self.refresh_grace.as_millis() as i64;
        let stored = match self.refresh.remove(&key) {
            Some(stored) => stored,
            None => {
                let spent = self
                    .spent
                    .get(&key)
                    .ok_or("the refresh token is unknown, revoked or already used")?;
                let since = now_ms - spent.spent_ms;
                if since >= grace_ms {
                    return Err(format!(
                        "the refresh token was rotated {} s ago and a rotated token may be retried for {} s only",
                        since / 1000,
                        grace_ms / 1000
                    ));
                }
                spent.token.clone()
            }
        };
        if stored.expires_ms <= now_ms {
            return Err("the refresh token has expired".into());
        }
        let grant = self
            .grants
            .get(&stored.grant_id)
            .ok_or("the grant behind this refresh token was revoked")?;
        if grant.client_id != client_id {
            return Err("the refresh token was issued to another client".into());
        }
        // The first rotation starts the grace; a retry inside it does not extend it.
        self.spent.entry(key).or_insert(SpentToken {
            token: stored.clone(),
            spent_ms: now_ms,
        });
        self.issue_tokens(stored.grant_id, access_ttl, refresh_ttl, now_ms)
            .ok_or_else(|| "the grant behind this refresh token was revoked".into())
    }

    /// A refresh the Salesforce way: a new access token for the grant behind
    /// `refresh_token`, which stays valid, so the answer carries no refresh token. With
    /// `rotate` (a connected app's "rotate refresh tokens" policy) the refresh token is
    /// replaced by a new one in the answer and the old one stops working at once: there is
    /// no grace as at Xero. Errors say why the refresh token is refused.
    pub fn refresh_session(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        rotate: bool,
        access_ttl: Duration,
        refresh_ttl: Duration,
        now_ms: i64,
    ) -> Result<IssuedTokens, &'static str> {
        let key = fingerprint(refresh_token);
        let stored = self
            .refresh
            .get(&key)
            .cloned()
            .ok_or("the refresh token is unknown, revoked or was replaced")?;
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
        if rotate {
            self.refresh.remove(&key);
            return self
                .issue_tokens(stored.grant_id, access_ttl, refresh_ttl, now_ms)
                .ok_or("the grant behind this refresh token was revoked");
        }
        let scope = grant.scope.clone();
        let profile = profile_of(grant.platform);
        self.prune(now_ms);
        let access_token = self.issue_access(stored.grant_id, profile, access_ttl, now_ms);
        Ok(IssuedTokens {
            access_token,
            expires_in: access_ttl.as_secs(),
            refresh_token: None,
            refresh_expires_in: 0,
            scope,
        })
    }

    /// Ends every live access token of `platform`'s grants now, as a session timeout or an
    /// administrator ending all sessions would; refresh tokens keep working. Returns how many
    /// tokens were ended.
    pub fn expire_access_on(&mut self, platform: Platform, now_ms: i64) -> usize {
        let mut ended = 0;
        for token in self.access.values_mut() {
            let on_platform = self
                .grants
                .get(&token.grant_id)
                .is_some_and(|g| g.platform == platform);
            if on_platform && token.expires_ms > now_ms {
                token.expires_ms = now_ms;
                ended += 1;
            }
        }
        ended
    }

    /// The Xero grant an access token acts for.
    pub fn check_access(&self, token: &str, now_ms: i64) -> Result<Grant, AccessError> {
        self.check_access_on(Platform::Xero, token, now_ms)
    }

    /// The grant an access token acts for on `platform`; a token of the other platform is as
    /// unknown there as a made-up one.
    pub fn check_access_on(
        &self,
        platform: Platform,
        token: &str,
        now_ms: i64,
    ) -> Result<Grant, AccessError> {
        let stored = self
            .access
            .get(&fingerprint(token))
            .ok_or(AccessError::Unknown)?;
        let grant = self
            .grants
            .get(&stored.grant_id)
            .filter(|g| g.platform == platform)
            .ok_or(AccessError::Unknown)?;
        if stored.expires_ms <= now_ms {
            return Err(AccessError::Expired {
                at_ms: stored.expires_ms,
            });
        }
        Ok(grant.clone())
    }

    /// RFC 7009 at Xero: a refresh token takes its whole grant with it; an access token goes
    /// alone. Returns whether anything was revoked.
    #[cfg(test)]
    pub fn revoke_token(&mut self, token: &str) -> bool {
        self.revoke_token_on(&super::profile::XERO, token)
    }

    /// Revokes `token` if it belongs to a grant of `profile`'s platform: a refresh token
    /// takes its whole grant with it, and so does an access token where the profile says so
    /// (Intuit); otherwise the access token goes alone. Returns whether anything was revoked.
    pub fn revoke_token_on(&mut self, profile: &Profile, token: &str) -> bool {
        let key = fingerprint(token);
        let on_platform = |grant: &Uuid| {
            self.grants
                .get(grant)
                .is_some_and(|g| g.platform == profile.platform)
        };
        let refresh_grant = self
            .refresh
            .get(&key)
            .map(|t| t.grant_id)
            .or_else(|| self.spent.get(&key).map(|t| t.token.grant_id))
            .filter(|g| on_platform(g));
        if let Some(grant) = refresh_grant {
            return self.revoke_grant(&grant);
        }
        let Some(access_grant) = self
            .access
            .get(&key)
            .map(|t| t.grant_id)
            .filter(|g| on_platform(g))
        else {
            return false;
        };
        if profile.access_revokes_grant {
            return self.revoke_grant(&access_grant);
        }
        self.access.remove(&key).is_some()
    }

    /// Revokes every grant of `platform` with its tokens, as an administrator removing the
    /// app from a workspace would. Returns the fingerprints of the access tokens that ended,
    /// so the caller can tell a revoked token from an unknown one later.
    pub fn revoke_platform(&mut self, platform: Platform) -> Vec<String> {
        let grants: Vec<Uuid> = self
            .grants
            .values()
            .filter(|g| g.platform == platform)
            .map(|g| g.id)
            .collect();
        let mut ended: Vec<String> = self
            .access
            .values()
            .filter(|t| grants.contains(&t.grant_id))
            .map(|t| t.fingerprint.clone())
            .collect();
        ended.sort();
        for grant in &grants {
            self.revoke_grant(grant);
        }
        ended
    }

    pub fn revoke_grant(&mut self, grant_id: &Uuid) -> bool {
        let existed = self.grants.remove(grant_id).is_some();
        self.access.retain(|_, t| &t.grant_id != grant_id);
        self.refresh.retain(|_, t| &t.grant_id != grant_id);
        self.spent.retain(|_, t| &t.token.grant_id != grant_id);
        existed
    }

    fn prune(&mut self, now_ms: i64) {
        self.access
            .retain(|_, t| t.expires_ms + EXPIRED_ACCESS_MEMORY_MS > now_ms);
        self.refresh.retain(|_, t| t.expires_ms > now_ms);
        // A spent token is remembered a day past its grace, so its late use is answered
        // with "rotated", not "unknown".
        let remembered = self.refresh_grace.as_millis() as i64 + EXPIRED_ACCESS_MEMORY_MS;
        self.spent
            .retain(|_, t| t.spent_ms.saturating_add(remembered) > now_ms);
    }

    pub fn snapshot(&self) -> AuthSnapshot {
        let mut snapshot = AuthSnapshot {
            grants: self.grants.values().cloned().collect(),
            access_tokens: self.access.values().cloned().collect(),
            refresh_tokens: self.refresh.values().cloned().collect(),
            spent_refresh_tokens: self.spent.values().cloned().collect(),
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
            .spent_refresh_tokens
            .sort_by(|a, b| a.token.fingerprint.cmp(&b.token.fingerprint));
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
        self.spent = snapshot
            .spent_refresh_tokens
            .into_iter()
            .map(|t| (t.token.fingerprint.clone(), t))
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
            tenants: all_tenants(),
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
        let g = store.create_grant("c", "openid", &all_tenants(), 0);
        let t = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        assert!(t.refresh_token.is_none());

        let g = store.create_grant(
            "c",
            "offline_access accounting.transactions",
            &all_tenants(),
            0,
        );
        let t = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        let first = t.refresh_token.unwrap();
        let second = store.rotate(&first, "c", MIN, MIN, 1).unwrap();
        // Past the grace the rotated token is refused, and the answer says why.
        let late = DEFAULT_REFRESH_GRACE.as_millis() as i64 + 1;
        let refused = store.rotate(&first, "c", MIN, MIN, late).err().unwrap();
        assert!(refused.contains("rotated"), "{refused}");
        assert!(store
            .rotate(second.refresh_token.as_ref().unwrap(), "other", MIN, MIN, 2)
            .is_err());
    }

    #[test]
    fn a_rotated_refresh_token_can_be_retried_within_the_grace_only() {
        let mut store = AuthStore::default();
        store.set_refresh_grace(Duration::from_secs(10));
        let g = store.create_grant("c", "offline_access", &all_tenants(), 0);
        let first = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        let first = first.refresh_token.unwrap();
        let lost = store.rotate(&first, "c", MIN, MIN, 1_000).unwrap();
        // The answer was lost: the old token works again 9 s after its rotation...
        let retried = store.rotate(&first, "c", MIN, MIN, 10_999).unwrap();
        assert_ne!(retried.refresh_token, lost.refresh_token);
        assert!(store.check_access(&retried.access_token, 11_000).is_ok());
        // ...the retry does not extend the grace, and the tokens issued stay valid.
        let refused = store.rotate(&first, "c", MIN, MIN, 11_000).err().unwrap();
        assert_eq!(
            refused,
            "the refresh token was rotated 10 s ago and a rotated token may be retried for 10 s only"
        );
        assert!(store
            .rotate(
                retried.refresh_token.as_ref().unwrap(),
                "c",
                MIN,
                MIN,
                11_000
            )
            .is_ok());
        // The grace survives a restart of the sandbox.
        let mut restored = AuthStore::default();
        restored.set_refresh_grace(Duration::from_secs(10));
        restored.restore(store.snapshot());
        let g2 = restored.create_grant("c", "offline_access", &all_tenants(), 0);
        let t = restored.issue_tokens(g2.id, MIN, MIN, 0).unwrap();
        let rt = t.refresh_token.unwrap();
        restored.rotate(&rt, "c", MIN, MIN, 20_000).unwrap();
        let snap = restored.snapshot();
        let mut again = AuthStore::default();
        again.restore(snap);
        assert!(again.rotate(&rt, "c", MIN, MIN, 25_000).is_ok());
    }

    #[test]
    fn revoking_a_refresh_token_ends_the_grant() {
        let mut store = AuthStore::default();
        let g = store.create_grant("c", "offline_access", &all_tenants(), 0);
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
        let g = store.create_grant("c", "openid", &all_tenants(), 0);
        let t = store.issue_tokens(g.id, MIN, MIN, 0).unwrap();
        assert_eq!(
            store.check_access(&t.access_token, 60_000),
            Err(AccessError::Expired { at_ms: 60_000 })
        );
    }

    #[test]
    fn a_grant_saved_before_tenant_choice_reaches_every_organisation() {
        let old = r#"{"id":"00000000-0000-4000-8000-000000000001",
            "auth_event_id":"00000000-0000-4000-8000-000000000002",
            "client_id":"c","scope":"openid","created_ms":0}"#;
        let grant: Grant = serde_json::from_str(old).unwrap();
        assert_eq!(grant.tenants, all_tenants());
        assert_eq!(grant.tenants.len(), 2);
    }

    #[test]
    fn a_quickbooks_grant_always_refreshes_and_its_tokens_stay_on_quickbooks() {
        use crate::auth::profile::{QUICKBOOKS, XERO};
        let mut store = AuthStore::default();
        let g = store.create_grant_on(
            Platform::QuickBooks,
            "qb",
            "com.intuit.quickbooks.accounting",
            &[],
            &["123"],
            0,
        );
        assert!(g.reaches_realm("123") && !g.reaches_realm("456"));
        let t = store.issue_tokens(g.id, MIN, MIN * 10, 0).unwrap();
        assert_eq!(t.refresh_expires_in, 600);
        assert!(t.access_token.starts_with("sbx_qbat_"));
        let refresh = t.refresh_token.unwrap();
        assert!(refresh.starts_with("sbx_qbrt_"));
        assert!(store
            .check_access_on(Platform::QuickBooks, &t.access_token, 1)
            .is_ok());
        assert_eq!(
            store.check_access(&t.access_token, 1),
            Err(AccessError::Unknown),
            "a QuickBooks token does not open Xero"
        );
        assert!(!store.revoke_token_on(&XERO, &t.access_token));
        // At Intuit an access token takes its grant with it, refresh token included.
        assert!(store.revoke_token_on(&QUICKBOOKS, &t.access_token));
        assert!(store.rotate(&refresh, "qb", MIN, MIN, 2).is_err());
    }

    #[test]
    fn a_xero_grant_is_saved_exactly_as_before() {
        let mut store = AuthStore::default();
        let g = store.create_grant("c", "openid", &all_tenants(), 0);
        let text = serde_json::to_string(&g).unwrap();
        assert!(
            !text.contains("platform") && !text.contains("realms"),
            "{text}"
        );
        let back: Grant = serde_json::from_str(&text).unwrap();
        assert_eq!(back.platform, Platform::Xero);
    }
}
