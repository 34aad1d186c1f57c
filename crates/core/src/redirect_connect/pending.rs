//! Sign-ins that wait in the keychain for their deep link: one entry per sign-in
//! (`{install}/pending/{hash of state}`, holding the state and the PKCE verifier),
//! and one index entry (`{install}/pending-index`) that lists them with their
//! platform and expiry, because the keychain cannot be searched by prefix. The index
//! is how abandoned entries are found and removed: expired ones at every sign-in start
//! and at app start, and a platform's own when its sign-in is cancelled.
//!
//! The index holds no secret (a hash of each `state`, the platform, times); it lives
//! in the keychain so that it can never disagree with the entries it lists for long.

use carbonsync_vault::{Sensitive, Vault, VaultError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Mutex;

/// How long a sign-in may take in the browser before its entry is refused and removed.
pub(super) const PENDING_LIFETIME_MINUTES: i64 = 10;

/// One process changes the index at a time (read, change, write back).
static INDEX_LOCK: Mutex<()> = Mutex::new(());

/// One line of the index: which entry, for which platform, until when.
#[derive(Serialize, Deserialize, Clone)]
struct Listed {
    /// The keychain key of the entry.
    key: String,
    provider: String,
    expires_at: DateTime<Utc>,
}

/// The keychain entries of one installation's waiting sign-ins.
pub(super) struct PendingSignIns<'a> {
    vault: &'a Vault,
    install: String,
}

impl<'a> PendingSignIns<'a> {
    pub(super) fn new(vault: &'a Vault, install: String) -> Self {
        Self { vault, install }
    }

    /// The entry's key: a hash of the `state`, so the keychain's item list does not
    /// show the state itself.
    fn key(&self, state: &str) -> String {
        let digest = Sha256::digest(state.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("{}/pending/{hex}", self.install)
    }

    fn index_key(&self) -> String {
        format!("{}/pending-index", self.install)
    }

    fn read_index(&self) -> Result<Vec<Listed>, VaultError> {
        Ok(self
            .vault
            .get(&self.index_key())?
            .and_then(|s| serde_json::from_str(s.expose()).ok())
            .unwrap_or_default())
    }

    fn write_index(&self, listed: &[Listed]) -> Result<(), VaultError> {
        if listed.is_empty() {
            self.vault.delete(&self.index_key())?;
            return Ok(());
        }
        self.vault.put(
            &self.index_key(),
            &Sensitive::new(serde_json::to_string(listed).expect("index serialises")),
        )
    }

    /// Files a new sign-in's record under its `state`, after removing expired ones.
    pub(super) fn add(
        &self,
        provider: &str,
        state: &str,
        created_at: DateTime<Utc>,
        record: &Sensitive<String>,
    ) -> Result<(), VaultError> {
        let _guard = INDEX_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let mut listed = self.remove_where(|l| l.expires_at < Utc::now())?;
        let key = self.key(state);
        self.vault.put(&key, record)?;
        listed.push(Listed {
            key,
            provider: provider.to_string(),
            expires_at: created_at + Duration::minutes(PENDING_LIFETIME_MINUTES),
        });
        self.write_index(&listed)
    }

    /// Takes the record filed under `state` out of the keychain (single use: a second
    /// take finds nothing). `None` for a state that was never issued here, or whose
    /// sign-in was cancelled or has been removed as expired.
    pub(super) fn take(&self, state: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        let _guard = INDEX_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let key = self.key(state);
        let record = self.vault.get(&key)?;
        if record.is_some() {
            self.vault.delete(&key)?;
        }
        let listed = self.read_index()?;
        if listed.iter().any(|l| l.key == key) {
            let rest: Vec<Listed> = listed.into_iter().filter(|l| l.key != key).collect();
            self.write_index(&rest)?;
        }
        Ok(record)
    }

    /// Removes every waiting sign-in of `provider`; returns how many there were.
    pub(super) fn cancel(&self, provider: &str) -> Result<usize, VaultError> {
        let _guard = INDEX_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let before = self.read_index()?.len();
        let after = self.remove_where(|l| l.provider == provider)?;
        Ok(before - after.len())
    }

    /// Removes every sign-in whose time is up; returns how many there were.
    pub(super) fn remove_expired(&self) -> Result<usize, VaultError> {
        let _guard = INDEX_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let before = self.read_index()?.len();
        let after = self.remove_where(|l| l.expires_at < Utc::now())?;
        Ok(before - after.len())
    }

    /// Deletes the listed entries that `gone` picks and writes the index of the rest,
    /// which it returns. The caller holds the index lock.
    fn remove_where(&self, gone: impl Fn(&Listed) -> bool) -> Result<Vec<Listed>, VaultError> {
        let listed = self.read_index()?;
        let (removed, kept): (Vec<Listed>, Vec<Listed>) = listed.into_iter().partition(gone);
        if removed.is_empty() {
            return Ok(kept);
        }
        for l in &removed {
            self.vault.delete(&l.key)?;
        }
        self.write_index(&kept)?;
        Ok(kept)
    }
}
