//! The certificate credential registered on the sandbox directory's app registrations: an
//! RSA 2048 key drawn from the sandbox seed and a self-signed X.509 certificate for it (as
//! `New-SelfSignedCertificate` or `openssl req -x509` make one to upload under Certificates &
//! secrets), served as one PEM file (certificate, then PKCS #8 private key) by
//! `GET /_control/azure/certificate`. Published on purpose: it opens nothing but the sandbox.
//!
//! `GET /_control/azure/certificate?registered=false` serves a second certificate of another
//! key, drawn from the same seed but registered nowhere, for testing refusals.
//!
//! A client assertion is checked as "Microsoft identity platform application authentication
//! certificate credentials" describes it
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials>):
//! signed `RS256` or `PS256`, naming the certificate by `x5t` (SHA-1) or `x5t#S256` (SHA-256
//! thumbprint of its DER encoding), `aud` the token endpoint, `iss` = `sub` = the client id,
//! and within its `nbf`..`exp`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_chacha_03::rand_core::SeedableRng;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::{Keypair, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::UtcTime;
use x509_cert::der::asn1::{AnyRef, ObjectIdentifier};
use x509_cert::der::{Encode, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, SubjectPublicKeyInfoOwned,
};
use x509_cert::time::{Time, Validity};

/// Mixed into the seed so the key does not share its stream with any other generated data.
const KEY_SALT: u64 = 0x617a_5f63_6572_7431;
/// The same for the unregistered certificate.
const OTHER_SALT: u64 = 0x617a_5f6f_7468_6572;

/// The certificate's validity: 1 January 2024 to 31 December 2049, fixed so the same seed
/// gives the same certificate (and thumbprint) every time.
const NOT_BEFORE_SECS: u64 = 1_704_067_200;
const NOT_AFTER_SECS: u64 = 2_524_607_999;

/// `sha256WithRSAEncryption` (RFC 4055 §5): the certificate's signature algorithm.
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// The key signing the certificate (RSASSA-PKCS1-v1_5 with SHA-256), naming its algorithm
/// for the certificate as RFC 4055 §5 does (parameters NULL).
struct CertificateSigner(SigningKey<Sha256>);

impl Keypair for CertificateSigner {
    type VerifyingKey = VerifyingKey<Sha256>;

    fn verifying_key(&self) -> Self::VerifyingKey {
        self.0.verifying_key()
    }
}

impl DynSignatureAlgorithmIdentifier for CertificateSigner {
    fn signature_algorithm_identifier(&self) -> x509_cert::spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: SHA256_WITH_RSA,
            parameters: Some(AnyRef::NULL.into()),
        })
    }
}

impl Signer<Signature> for CertificateSigner {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, rsa::signature::Error> {
        self.0.try_sign(message)
    }
}

/// A generated certificate and its key.
pub struct PrincipalCertificate {
    /// The certificate and its private key, PEM, as a person would hand them to CarbonSync.
    pub pem: String,
    /// Base64url SHA-1 thumbprint of the certificate's DER encoding (`x5t`).
    pub x5t: String,
    /// Base64url SHA-256 thumbprint (`x5t#S256`).
    pub x5t_s256: String,
    /// Upper-case hexadecimal SHA-1 thumbprint, as the portal lists it.
    pub thumbprint_hex: String,
    /// The public key's modulus and exponent (big-endian), to verify assertions with.
    pub modulus: Vec<u8>,
    pub exponent: Vec<u8>,
}

impl std::fmt::Debug for PrincipalCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalCertificate")
            .field("thumbprint", &self.thumbprint_hex)
            .finish_non_exhaustive()
    }
}

impl PrincipalCertificate {
    /// The certificate registered on the sandbox's app registrations for `seed`. RSA key
    /// generation takes a while, so each is made once per process and kept; call it off the
    /// async workers the first time.
    pub fn registered(seed: u64) -> Arc<PrincipalCertificate> {
        Self::cached(seed ^ KEY_SALT)
    }

    /// A certificate of another key, registered nowhere.
    pub fn unregistered(seed: u64) -> Arc<PrincipalCertificate> {
        Self::cached(seed ^ OTHER_SALT)
    }

    fn cached(stream: u64) -> Arc<PrincipalCertificate> {
        static CERTIFICATES: OnceLock<Mutex<HashMap<u64, Arc<PrincipalCertificate>>>> =
            OnceLock::new();
        let certificates = CERTIFICATES.get_or_init(Mutex::default);
        // Held while generating, so two first callers do not both draw the key.
        let mut certificates = certificates.lock().unwrap_or_else(|e| e.into_inner());
        certificates
            .entry(stream)
            .or_insert_with(|| Arc::new(PrincipalCertificate::generate(stream)))
            .clone()
    }

    fn generate(stream: u64) -> PrincipalCertificate {
        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(stream);
        let key = RsaPrivateKey::new(&mut rng, 2048).expect("an RSA key can be generated");
        let public = key.to_public_key();
        let spki_der = public
            .to_public_key_der()
            .expect("an RSA public key encodes");
        let spki = SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes())
            .expect("an encoded public key decodes");
        let serial = {
            let digest = Sha256::digest(spki_der.as_bytes());
            // Positive: the first byte's top bit cleared.
            let mut bytes = digest[..16].to_vec();
            bytes[0] &= 0x7f;
            bytes[0] |= 0x01;
            SerialNumber::new(&bytes).expect("a 16-byte serial number")
        };
        let time = |secs| {
            Time::UtcTime(
                UtcTime::from_unix_duration(Duration::from_secs(secs)).expect("a date before 2050"),
            )
        };
        let validity = Validity {
            not_before: time(NOT_BEFORE_SECS),
            not_after: time(NOT_AFTER_SECS),
        };
        let subject: Name = "CN=CarbonSync sandbox reader"
            .parse()
            .expect("a valid distinguished name");
        let signer = CertificateSigner(SigningKey::<Sha256>::new(key.clone()));
        let certificate =
            CertificateBuilder::new(Profile::Root, serial, validity, subject, spki, &signer)
                .expect("a certificate builder")
                .build::<Signature>()
                .expect("a self-signed certificate");
        let der = certificate.to_der().expect("a certificate encodes");
        let certificate_pem = certificate
            .to_pem(x509_cert::der::pem::LineEnding::LF)
            .expect("a certificate encodes as PEM");
        let key_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("an RSA private key encodes");
        let sha1 = Sha1::digest(&der);
        PrincipalCertificate {
            pem: format!("{certificate_pem}{}", key_pem.as_str()),
            x5t: URL_SAFE_NO_PAD.encode(sha1),
            x5t_s256: URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
            thumbprint_hex: sha1.iter().map(|b| format!("{b:02X}")).collect(),
            modulus: public.n().to_bytes_be(),
            exponent: public.e().to_bytes_be(),
        }
    }

    /// Whether an assertion's header names this certificate: every thumbprint it gives is this
    /// one's, and it gives at least one.
    pub fn named_by(&self, x5t: Option<&str>, x5t_s256: Option<&str>) -> bool {
        (x5t.is_some() || x5t_s256.is_some())
            && x5t.is_none_or(|t| t == self.x5t)
            && x5t_s256.is_none_or(|t| t == self.x5t_s256)
    }
}
