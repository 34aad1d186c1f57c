//! The OS keychain behind one small interface.
//!
//! Every secret CarbonSync holds (OAuth token sets, client secrets, API keys) lives
//! here and nowhere else: the database stores only the key under which a secret is
//! filed. Values travel inside [`Sensitive`], which never prints or serialises itself.

mod error;
#[cfg(target_os = "linux")]
mod secret_service;
mod sensitive;

pub use error::VaultError;
pub use sensitive::Sensitive;

use keyring::Entry;

/// The keychain "service" every CarbonSync entry is filed under, so that
/// `secret-tool search service carbonsync` lists them all.
pub const SERVICE: &str = "carbonsync";

/// Access to the platform keychain (Secret Service on Linux, Keychain on macOS,
/// Credential Manager on Windows).
///
/// Every call blocks on the platform (D-Bus on Linux): async callers run it on a
/// blocking thread.
#[derive(Debug, Clone)]
pub struct Vault {
    service: String,
}

impl Default for Vault {
    fn default() -> Self {
        Self::new(SERVICE)
    }
}

impl Vault {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, key: &str) -> Result<Entry, VaultError> {
        Entry::new(&self.service, key).map_err(VaultError::from_keyring)
    }

    /// Stores (or replaces) the secret filed under `key`.
    pub fn put(&self, key: &str, secret: &Sensitive<String>) -> Result<(), VaultError> {
        self.entry(key)?
            .set_password(secret.expose())
            .map_err(VaultError::from_keyring)
    }

    /// The secret filed under `key`, or `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        match self.entry(key)?.get_password() {
            Ok(value) => Ok(Some(Sensitive::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(VaultError::from_keyring(e)),
        }
    }

    /// Removes the secret filed under `key`; `false` when there was none.
    pub fn delete(&self, key: &str) -> Result<bool, VaultError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(VaultError::from_keyring(e)),
        }
    }

    /// Checks that a secret could be stored now, so that a user learns about a locked
    /// or missing keychain before authorising anything at a platform (a grant whose
    /// tokens cannot be kept has to be revoked, and the user has to sign in again).
    ///
    /// On Linux it first asks the Secret Service whether the default keyring exists
    /// and is unlocked (a locked one gets the system's unlock prompt, where there is a
    /// desktop to show it). Then, on every platform, it writes a harmless entry and
    /// deletes it again, through the same calls that store tokens.
    ///
    /// Errors: [`VaultError::Unavailable`] (no keychain service),
    /// [`VaultError::NoDefaultKeyring`], [`VaultError::Locked`], or whatever the write
    /// itself reports. Blocks for as long as an unlock prompt is open (at most two
    /// minutes).
    pub fn probe(&self) -> Result<(), VaultError> {
        #[cfg(target_os = "linux")]
        secret_service::ensure_default_keyring_unlocked()?;
        let key = probe_key();
        self.put(&key, &Sensitive::new("write check".to_string()))?;
        // The write was the check; a failing clean-up leaves a harmless entry behind.
        let _ = self.delete(&key);
        Ok(())
    }
}

/// A key no other process uses at the same moment: two probes of one key could
/// leave two items with the same attributes, which the keyring crate refuses to read.
fn probe_key() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("probe/{}-{nanos}", std::process::id())
}
