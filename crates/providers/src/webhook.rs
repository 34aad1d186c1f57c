//! Webhooks a platform sends when something changed in a connected organisation: how its
//! deliveries are signed and how to read which organisation they are about. Each platform
//! that sends them describes itself with a [`WebhookSpec`] in its registration; the server
//! (`carbonsync serve`) verifies, reads and acts on them without knowing the platform.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How one platform signs and shapes its webhook deliveries.
pub struct WebhookSpec {
    /// The request header that carries the signature, lower-case
    /// (Xero: `x-xero-signature`; QuickBooks: `intuit-signature`).
    pub signature_header: &'static str,
    /// What the platform calls the shared secret that signs deliveries, as its developer
    /// portal shows it (Xero: "webhook key"; Intuit: "verifier token").
    pub key_name: &'static str,
    /// Reads a verified body into its events. An error says what is wrong with the shape,
    /// never repeating the body.
    pub parse: fn(&[u8]) -> Result<Vec<WebhookEvent>, String>,
}

/// One event of a delivery: which organisation changed, and an id that stays the same
/// when the platform (or anyone) sends the event again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The organisation's id as the connection stores it (Xero's tenant id, QuickBooks'
    /// realm id).
    pub tenant_id: String,
    /// The platform's own event id where it has one, otherwise a digest of what
    /// identifies the event (see [`event_digest`]).
    pub event_key: String,
}

/// Whether `signature` (base64, as the header carries it) is HMAC-SHA256 of the raw
/// `body` under `key`. Both Xero and Intuit sign this way. The comparison takes the same
/// time wherever the signatures differ (the `hmac` crate's `verify_slice`), so timing
/// tells an attacker nothing about how close a forged signature is.
pub fn signature_matches(key: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// A stable id for an event that carries none of its own: the hex SHA-256 of its
/// identifying fields joined by a separator no field contains.
pub fn event_digest(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p.as_bytes());
        hash.update([0x1f]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature a platform would put on `body` under `key`.
    fn signature_of(key: &[u8], body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_made_with_the_key_matches_and_any_change_does_not() {
        let body = br#"{"events":[],"firstEventSequence":1,"lastEventSequence":1,"entropy":"X"}"#;
        let sig = signature_of(b"key", body);
        assert!(signature_matches(b"key", body, &sig));
        assert!(!signature_matches(b"other key", body, &sig));
        assert!(!signature_matches(b"key", &body[1..], &sig));
        assert!(!signature_matches(b"key", body, "not base64 !"));
        assert!(!signature_matches(b"key", body, ""));
        let mut forged = base64::engine::general_purpose::STANDARD
            .decode(&sig)
            .unwrap();
        forged[31] ^= 1;
        let forged = base64::engine::general_purpose::STANDARD.encode(forged);
        assert!(!signature_matches(b"key", body, &forged));
    }

    #[test]
    fn digests_differ_when_a_field_moves_between_parts() {
        assert_ne!(event_digest(&["ab", "c"]), event_digest(&["a", "bc"]));
        assert_eq!(event_digest(&["a", "b"]), event_digest(&["a", "b"]));
    }
}
