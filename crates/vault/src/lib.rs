//! The OS keychain behind one small interface.
//!
//! Every secret CarbonSync holds (OAuth token sets, client secrets, API keys) lives
//! here and nowhere else: the database stores only the key under which a secret is
//! filed. Values travel inside [`Sensitive`], which never prints or serialises itself.

mod error;
mod sensitive;

pub use error::VaultError;
pub use sensitive::Sensitive;

use keyring::Entry;

/// The keychain "service" every CarbonSync entry is filed under, so that
/// `secret-tool search service carbonsync` lists them all.
pub const SERVICE: &str = "carbonsync";

/// Access to the platform keychain (Secret Service on Linux, Keychain on macOS,
/// Credential Manager on Windows).
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

    /// Checks that the keychain answers, so a user learns about a locked or missing
    /// keychain before authorising anything at a platform.
    pub fn probe(&self) -> Result<(), VaultError> {
        self.get("probe").map(|_| ())
    }
}
