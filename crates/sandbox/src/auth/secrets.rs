//! Opaque credentials. They come from the operating system's CSPRNG (via `rand::rng()`), never
//! from the seeded generator: a sandbox token must not be guessable from the seed. Only their
//! SHA-256 is kept, so neither memory dumps nor the state file hold a usable token.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// `prefix` followed by 40 random hex characters (160 bits).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let mut out = String::with_capacity(prefix.len() + 40);
    out.push_str(prefix);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The key under which a secret is stored.
pub fn fingerprint(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_hex() {
        let a = new_secret("sbx_at_");
        let b = new_secret("sbx_at_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 7 + 40);
        assert!(a[7..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(fingerprint(&a), fingerprint(&a));
        assert_eq!(fingerprint(&a).len(), 64);
    }
}
