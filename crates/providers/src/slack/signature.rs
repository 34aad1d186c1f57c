//! Verifying Slack's signed requests (interactions such as a button click). Source: Slack's
//! "Verifying requests from Slack": `X-Slack-Signature` is `v0=` followed by the hex
//! HMAC-SHA256, under the app's signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw
//! body}`; a request whose timestamp is more than five minutes from now is refused, so a
//! captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now, in seconds (Slack's five minutes).
pub const MAX_AGE_SECS: i64 = 5 * 60;

/// Why a request was refused. Words for the log; nothing from the request is repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    #[error("no X-Slack-Request-Timestamp or X-Slack-Signature header")]
    Missing,
    #[error("the timestamp is more than five minutes from now (a stale or replayed request)")]
    Stale,
    #[error("the signature does not match the signing secret")]
    Mismatch,
}

/// Checks a request. `now_secs`: seconds since 1970, UTC. The comparison takes the same
/// time wherever the signatures differ (`hmac`'s `verify_slice`).
pub fn verify(
    signing_secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureProblem> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureProblem::Missing);
    };
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureProblem::Missing)?;
    if (now_secs - at).abs() > MAX_AGE_SECS {
        return Err(SignatureProblem::Stale);
    }
    let given = signature
        .trim()
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureProblem::Mismatch)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signing_secret).map_err(|_| SignatureProblem::Mismatch)?;
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| SignatureProblem::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], ts: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(format!("v0:{ts}:").as_bytes());
        mac.update(body);
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_fresh_request_signed_with_the_secret_passes_and_any_change_fails() {
        let body = b"payload=%7B%22type%22%3A%22block_actions%22%7D";
        let sig = sign(b"secret", "1733050000", body);
        assert_eq!(
            verify(b"secret", Some("1733050000"), Some(&sig), body, 1733050100),
            Ok(())
        );
        assert_eq!(
            verify(b"other", Some("1733050000"), Some(&sig), body, 1733050100),
            Err(SignatureProblem::Mismatch)
        );
        assert_eq!(
            verify(
                b"secret",
                Some("1733050000"),
                Some(&sig),
                b"payload=x",
                1733050100
            ),
            Err(SignatureProblem::Mismatch)
        );
        // The timestamp is signed: moving it forward breaks the signature.
        assert_eq!(
            verify(b"secret", Some("1733050001"), Some(&sig), body, 1733050100),
            Err(SignatureProblem::Mismatch)
        );
        assert_eq!(
            verify(b"secret", None, Some(&sig), body, 1733050100),
            Err(SignatureProblem::Missing)
        );
    }

    #[test]
    fn a_request_older_than_five_minutes_is_stale_even_when_signed() {
        let body = b"payload=%7B%7D";
        let sig = sign(b"secret", "1733050000", body);
        assert_eq!(
            verify(
                b"secret",
                Some("1733050000"),
                Some(&sig),
                body,
                1733050000 + 301
            ),
            Err(SignatureProblem::Stale)
        );
        assert_eq!(
            verify(
                b"secret",
                Some("1733050000"),
                Some(&sig),
                body,
                1733050000 + 300
            ),
            Ok(())
        );
    }
}
