//! Runs against the real Secret Service: start it with `scripts/with-keyring` (or any
//! unlocked desktop keyring). Keys are unique per run so parallel runs don't collide.
//! The keychain check's scenarios (locked, missing, no keyring) each run in a private
//! D-Bus session of their own, so the shared keyring stays unlocked.

mod probe;

use carbonsync_vault::{Sensitive, Vault};

fn unique_key(name: &str) -> String {
    format!(
        "test/{}/{}/{name}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[test]
fn a_secret_survives_a_new_vault_handle_and_is_gone_after_delete() {
    let key = unique_key("roundtrip");
    let vault = Vault::default();
    vault
        .put(&key, &Sensitive::new("s3cret-value".to_string()))
        .expect("keychain write (is gnome-keyring unlocked in this session?)");

    // A fresh handle reads through the Secret Service, not a process-local cache.
    let again = Vault::default();
    let got = again.get(&key).unwrap().expect("entry present");
    assert_eq!(got.expose(), "s3cret-value");

    assert!(again.delete(&key).unwrap());
    assert!(again.get(&key).unwrap().is_none());
    assert!(!again.delete(&key).unwrap(), "second delete finds nothing");
}

#[test]
fn a_missing_entry_reads_as_none() {
    let vault = Vault::default();
    assert!(vault.get(&unique_key("never-written")).unwrap().is_none());
}

#[test]
fn secret_tool_sees_what_the_vault_stored() {
    let key = unique_key("visible");
    let vault = Vault::default();
    vault
        .put(&key, &Sensitive::new("visible-from-outside".to_string()))
        .unwrap();
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "carbonsync", "username", &key])
        .output()
        .expect("secret-tool (libsecret-tools) installed");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "visible-from-outside");
    vault.delete(&key).unwrap();
}
