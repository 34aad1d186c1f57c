/// What can go wrong with the keychain, in words that tell the user what to do.
///
/// The texts never carry a secret: the only detail kept is the platform's own error
/// text (D-Bus error names, OS codes), which describes the failure, not the value.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The keychain exists but is locked, and unlocking it was refused or not possible
    /// (no one could answer the unlock prompt).
    #[error("the system keychain is locked. {}", help::UNLOCK)]
    Locked,
    /// The keychain service answers but has no default keyring to file entries in.
    #[error(
        "the system keychain has no default keyring to keep sign-ins in. {}",
        help::CREATE
    )]
    NoDefaultKeyring,
    /// No keychain service answers at all.
    #[error(
        "no system keychain is available. {} (detail: {detail})",
        help::INSTALL
    )]
    Unavailable { detail: String },
    #[error("the system keychain refused access ({detail}); check that it is unlocked and that CarbonSync may use it")]
    NoAccess { detail: String },
    #[error("the system keychain failed: {detail}")]
    Platform { detail: String },
}

/// How to fix each problem on this platform.
#[cfg(target_os = "linux")]
mod help {
    pub const UNLOCK: &str = "Unlock the \"Login\" keyring (in Passwords and Keys, also called Seahorse: \
        right-click \"Login\" and choose Unlock), or on a machine without a desktop start it unlocked with \
        `gnome-keyring-daemon --unlock` (it reads the keyring password on standard input); then try again";
    pub const CREATE: &str = "Create a \"Login\" keyring in Passwords and Keys (Seahorse) and make it the \
        default, or on a machine without a desktop run `gnome-keyring-daemon --unlock` (it reads a password \
        on standard input and creates the login keyring); then try again";
    pub const INSTALL: &str = "CarbonSync keeps sign-ins only in a Secret Service keychain, and none answers \
        in this session. Install gnome-keyring (`sudo apt install gnome-keyring`) or another Secret Service \
        provider (KeePassXC with Secret Service integration, KWallet) and start it in your desktop session. \
        Without a desktop (over SSH, in a container) there is no D-Bus session for a keychain to answer on: \
        start one with an unlocked keyring, e.g. `dbus-run-session -- sh -c 'echo -n pw | \
        gnome-keyring-daemon --unlock && exec bash'`, and run CarbonSync in it. Then try again";
}

#[cfg(target_os = "macos")]
mod help {
    pub const UNLOCK: &str = "Unlock the \"login\" keychain in Keychain Access, then try again";
    pub const CREATE: &str =
        "Create or reset the default keychain in Keychain Access, then try again";
    pub const INSTALL: &str = "Check that Keychain Access works for this user, then try again";
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod help {
    pub const UNLOCK: &str =
        "Sign in to your user session again so Credential Manager is available, then try again";
    pub const CREATE: &str = "Check that Credential Manager works for this user, then try again";
    pub const INSTALL: &str = "Check that Credential Manager works for this user, then try again";
}

impl VaultError {
    pub(crate) fn from_keyring(e: keyring::Error) -> Self {
        // keyring's errors carry platform detail (D-Bus messages, OS codes) but never
        // the secret itself, so their text is safe to keep as detail.
        match e {
            keyring::Error::NoStorageAccess(inner) => {
                let inner = inner.to_string();
                match classify(&inner) {
                    Some(known) => known,
                    None => VaultError::NoAccess { detail: inner },
                }
            }
            keyring::Error::PlatformFailure(inner) => {
                let inner = inner.to_string();
                classify(&inner).unwrap_or(VaultError::Platform { detail: inner })
            }
            other => VaultError::Platform {
                detail: other.to_string(),
            },
        }
    }

    /// Recognises a locked or missing keychain from a platform error text. A D-Bus
    /// error prints only its message ("Cannot create an item in a locked collection",
    /// "The name org.freedesktop.secrets was not provided by any .service files"),
    /// not its name, so the words are what there is to go on.
    pub(crate) fn from_platform_text(text: &str) -> Self {
        classify(text).unwrap_or_else(|| VaultError::Platform {
            detail: text.to_string(),
        })
    }
}

fn classify(text: &str) -> Option<VaultError> {
    let lower = text.to_lowercase();
    let unavailable = [
        "serviceunknown",
        "org.freedesktop.secrets",
        "dbus_session_bus_address",
        "autolaunch",
        "no dbus session",
        "no such file",
    ];
    if unavailable.iter().any(|w| lower.contains(w)) {
        return Some(VaultError::Unavailable {
            detail: text.to_string(),
        });
    }
    if lower.contains("islocked")
        || lower.contains("locked")
        || lower.contains("prompt was dismissed")
    {
        return Some(VaultError::Locked);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_service_texts_of_a_locked_or_missing_keychain_are_recognised() {
        assert!(matches!(
            VaultError::from_platform_text(
                "DBus error: Cannot create an item in a locked collection"
            ),
            VaultError::Locked
        ));
        assert!(matches!(
            VaultError::from_platform_text(
                "DBus error: The name org.freedesktop.secrets was not provided by any .service files"
            ),
            VaultError::Unavailable { .. }
        ));
        assert!(matches!(
            VaultError::from_platform_text("DBus error: something else"),
            VaultError::Platform { .. }
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_messages_say_how_to_unlock_and_what_to_install() {
        let locked = VaultError::Locked.to_string();
        assert!(locked.contains("Unlock the \"Login\" keyring"), "{locked}");
        assert!(locked.contains("gnome-keyring-daemon --unlock"), "{locked}");
        let missing = VaultError::Unavailable { detail: "x".into() }.to_string();
        assert!(missing.contains("Install gnome-keyring"), "{missing}");
    }
}
