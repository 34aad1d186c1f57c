/// What can go wrong with the keychain, in words that tell the user what to do.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the system keychain is locked; unlock it (log in to your desktop session or unlock the \"login\" keyring) and try again")]
    Locked,
    #[error("no system keychain is available: CarbonSync needs a Secret Service such as gnome-keyring or KWallet running in your session (detail: {detail})")]
    Unavailable { detail: String },
    #[error("the system keychain refused access ({detail}); check that it is unlocked and that CarbonSync may use it")]
    NoAccess { detail: String },
    #[error("the system keychain failed: {detail}")]
    Platform { detail: String },
}

impl VaultError {
    pub(crate) fn from_keyring(e: keyring::Error) -> Self {
        // keyring's errors carry platform detail (D-Bus names, OS codes) but never the
        // secret itself, so their text is safe to keep as detail.
        let detail = e.to_string();
        match e {
            keyring::Error::NoStorageAccess(inner) => {
                let inner = inner.to_string();
                if inner.contains("IsLocked") || inner.to_lowercase().contains("locked") {
                    VaultError::Locked
                } else {
                    VaultError::NoAccess { detail: inner }
                }
            }
            keyring::Error::PlatformFailure(inner) => {
                let inner = inner.to_string();
                if inner.contains("ServiceUnknown")
                    || inner.contains("org.freedesktop.secrets")
                    || inner.contains("DBUS_SESSION_BUS_ADDRESS")
                    || inner.to_lowercase().contains("no such file")
                {
                    VaultError::Unavailable { detail: inner }
                } else if inner.contains("IsLocked") {
                    VaultError::Locked
                } else {
                    VaultError::Platform { detail: inner }
                }
            }
            _ => VaultError::Platform { detail },
        }
    }
}
