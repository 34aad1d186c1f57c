//! The Secret Service (Linux) side of the keychain check: asks the service itself
//! whether the default keyring exists and is unlocked, without touching any entry.
//!
//! The keyring crate would find a locked keyring only when it writes, and then only
//! as "Cannot create an item in a locked collection"; this asks first.

use crate::VaultError;
use dbus_secret_service::{EncryptionType, Error, SecretService};

/// How long the system's unlock dialog may wait for the user's password. A desktop
/// shows it; without a display the prompt fails at once and this is never reached.
const UNLOCK_PROMPT_SECS: u64 = 120;

/// Succeeds when the default keyring (the collection the keyring crate files new
/// entries in) exists and is unlocked. A locked one is offered to the system's unlock
/// prompt first, as every Secret Service client does.
pub(crate) fn ensure_default_keyring_unlocked() -> Result<(), VaultError> {
    // Nothing secret crosses this connection, so no encrypted session is needed.
    let service =
        SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, UNLOCK_PROMPT_SECS)
            .map_err(|e| VaultError::Unavailable {
            detail: e.to_string(),
        })?;
    let collection = match service.get_default_collection() {
        Ok(c) => c,
        Err(Error::NoResult) => return Err(VaultError::NoDefaultKeyring),
        Err(e) => return Err(classify(e)),
    };
    if !collection.is_locked().map_err(classify)? {
        return Ok(());
    }
    collection.unlock().map_err(classify)?;
    // A prompt that was answered but did not unlock (a wrong password given up on)
    // still leaves the keyring locked.
    if collection.is_locked().map_err(classify)? {
        return Err(VaultError::Locked);
    }
    Ok(())
}

fn classify(e: Error) -> VaultError {
    match e {
        Error::Locked | Error::Prompt => VaultError::Locked,
        Error::Unavailable => VaultError::Unavailable {
            detail: e.to_string(),
        },
        other => VaultError::from_platform_text(&other.to_string()),
    }
}
