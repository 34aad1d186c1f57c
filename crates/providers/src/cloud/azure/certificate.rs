//! A service principal's certificate credential: the PEM file holding the certificate
//! uploaded to the app registration (Certificates & secrets > Certificates) and its private
//! key, and the signed client assertion CarbonSync sends in place of a client secret.
//!
//! Source: "Microsoft identity platform application authentication certificate credentials"
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials>): the
//! assertion is a JWT signed with the certificate's private key, with header `alg` = `PS256`,
//! `typ` = `JWT` and `x5t#S256` = the base64url SHA-256 thumbprint of the certificate's DER
//! encoding (the page's current form, which is what is sent; its earlier form, `RS256` with
//! the SHA-1 `x5t`, is still accepted by the platform), and claims `aud` = the token
//! endpoint, `iss` = `sub` = the client id, a unique `jti`, `nbf`, `iat` and an `exp` "5-10
//! minutes after nbf at most". It is posted as `client_assertion` with
//! `client_assertion_type` = [`CLIENT_ASSERTION_TYPE`] (RFC 7523 §2.2).
//!
//! The file is a secret: nothing here prints it, its private key or an assertion; errors name
//! what is wrong with the file, never its text.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::RsaPrivateKey;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};

use crate::ProviderError;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: the platform's guidance is 5-10 minutes after `nbf` at
/// most; one is sent and used at once, so five minutes is ample.
pub const ASSERTION_LIFETIME_SECS: i64 = 300;

/// What to do to get a usable file, said after every problem with one.
const GET_A_PEM: &str = "give a PEM file holding the certificate uploaded to the app \
                         registration (Certificates & secrets > Certificates) and its unencrypted \
                         RSA private key; from a .pfx: openssl pkcs12 -in cert.pfx -out cert.pem \
                         -nodes";

fn invalid(detail: impl Into<String>) -> ProviderError {
    ProviderError::InvalidConfig {
        detail: detail.into(),
    }
}

/// A certificate and its RSA private key, read from PEM. `Debug` shows the thumbprint only.
#[derive(Clone)]
pub struct Certificate {
    /// The certificate's DER encoding.
    der: Vec<u8>,
    key: EncodingKey,
    /// The private key's PEM body lines, removed from any error text (see
    /// [`super::identity::ServicePrincipal::scrub`]).
    key_lines: Vec<String>,
    /// When the certificate stops being valid (seconds since the epoch).
    pub not_after: i64,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("thumbprint", &self.sha1_thumbprint())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl Certificate {
    /// Reads the PEM text: one `CERTIFICATE` block (of several, a chain, the one whose public
    /// key is the private key's) and one `PRIVATE KEY` (PKCS #8) or `RSA PRIVATE KEY`
    /// (PKCS #1) block.
    ///
    /// Errors: [`ProviderError::InvalidConfig`] naming the certificate and what is wrong (not
    /// PEM, no certificate, no key, a password-protected or non-RSA key, a certificate that is
    /// not the key's); never the file's text.
    pub fn from_pem(text: &str) -> Result<Certificate, ProviderError> {
        let blocks = pem::parse_many(text.trim().as_bytes()).map_err(|_| {
            invalid(format!(
                "the certificate is not a readable PEM file; {GET_A_PEM}"
            ))
        })?;
        if blocks.is_empty() {
            return Err(invalid(format!(
                "the certificate file holds no PEM block (a .pfx or .cer file is binary); {GET_A_PEM}"
            )));
        }
        let mut key: Option<(RsaPrivateKey, String)> = None;
        let mut certificates = Vec::new();
        for block in &blocks {
            match block.tag() {
                "CERTIFICATE" => certificates.push(block.contents().to_vec()),
                "PRIVATE KEY" => {
                    let parsed = RsaPrivateKey::from_pkcs8_der(block.contents()).map_err(|_| {
                        invalid(format!(
                            "the certificate's private key is not an RSA key (Microsoft Entra \
                             certificate credentials are RSA); {GET_A_PEM}"
                        ))
                    })?;
                    key = Some((parsed, pem::encode(block)));
                }
                "RSA PRIVATE KEY" => {
                    let parsed = RsaPrivateKey::from_pkcs1_der(block.contents()).map_err(|_| {
                        invalid(format!(
                            "the certificate's RSA private key is not readable; {GET_A_PEM}"
                        ))
                    })?;
                    key = Some((parsed, pem::encode(block)));
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(invalid(format!(
                        "the certificate's private key is password-protected; {GET_A_PEM}"
                    )))
                }
                "EC PRIVATE KEY" => {
                    return Err(invalid(format!(
                        "the certificate's private key is an EC key, not RSA; {GET_A_PEM}"
                    )))
                }
                _ => {}
            }
        }
        let Some((key, key_pem)) = key else {
            return Err(invalid(format!(
                "the certificate file has no private key (a .cer file holds the certificate \
                 only); {GET_A_PEM}"
            )));
        };
        if certificates.is_empty() {
            return Err(invalid(format!(
                "the certificate file has a private key but no certificate; {GET_A_PEM}"
            )));
        }
        let public = key.to_public_key().to_public_key_der().map_err(|_| {
            invalid(format!(
                "the certificate's private key is not usable; {GET_A_PEM}"
            ))
        })?;
        let mut chosen = None;
        for der in certificates {
            let parsed = x509_cert::Certificate::from_der(&der).map_err(|_| {
                invalid(format!(
                    "the certificate in the file is not an X.509 certificate; {GET_A_PEM}"
                ))
            })?;
            let spki = parsed
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .unwrap_or_default();
            if spki == public.as_bytes() {
                let not_after = parsed
                    .tbs_certificate
                    .validity
                    .not_after
                    .to_unix_duration()
                    .as_secs();
                chosen = Some((der, i64::try_from(not_after).unwrap_or(i64::MAX)));
                break;
            }
        }
        let Some((der, not_after)) = chosen else {
            return Err(invalid(format!(
                "the certificate in the file is not the private key's (its public key differs); \
                 {GET_A_PEM}"
            )));
        };
        let pkcs1 = key.to_pkcs1_der().map_err(|_| {
            invalid(format!(
                "the certificate's private key is not usable; {GET_A_PEM}"
            ))
        })?;
        let key_lines = key_pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .map(str::to_owned)
            .collect();
        Ok(Certificate {
            der,
            key: EncodingKey::from_rsa_der(pkcs1.as_bytes()),
            key_lines,
            not_after,
        })
    }

    /// The base64url SHA-1 thumbprint of the certificate's DER encoding: the header's `x5t`.
    pub fn sha1_thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha1::digest(&self.der))
    }

    /// The thumbprint as the Azure portal lists it (upper-case hexadecimal SHA-1), to find
    /// the certificate under Certificates & secrets.
    pub fn portal_thumbprint(&self) -> String {
        Sha1::digest(&self.der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// The base64url SHA-256 thumbprint: the header's `x5t#S256`.
    pub fn sha256_thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(&self.der))
    }

    /// The PEM body lines of the private key, for [`super::identity::ServicePrincipal::scrub`].
    pub(crate) fn key_lines(&self) -> &[String] {
        &self.key_lines
    }

    /// The signed client assertion for `client_id`, posted to `audience` (the token URL),
    /// valid from `now` (seconds since the epoch) for [`ASSERTION_LIFETIME_SECS`]. A secret in
    /// itself while it is valid.
    pub fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: i64,
    ) -> Result<String, ProviderError> {
        let mut header = Header::new(Algorithm::PS256);
        header.x5t_s256 = Some(self.sha256_thumbprint());
        let claims = Claims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            invalid(format!(
                "the certificate's private key could not sign the sign-in request ({:?}); {GET_A_PEM}",
                e.kind()
            ))
        })
    }
}
