//! The sandbox's Google service account: an RSA 2048 key drawn from the sandbox seed, and its
//! JSON key file in the format Google's console downloads
//! (<https://cloud.google.com/iam/docs/keys-create-delete>). Published on purpose: it opens
//! nothing but the sandbox.
//!
//! The key file's `token_uri` is Google's own (`https://oauth2.googleapis.com/token`), as in
//! every real key: the file cannot know the sandbox's address. CarbonSync posts the assertion
//! to the token endpoint it is configured with (the sandbox's `/gcp/token`), which accepts
//! Google's token URI and its own as the assertion's audience.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rand_chacha_03::rand_core::SeedableRng;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256};

use super::{PROJECT, SERVICE_ACCOUNT_EMAIL};

/// Google's token endpoint, named in the key file.
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// Mixed into the seed so the key does not share its stream with any other generated data.
const KEY_SALT: u64 = 0x6763_705f_6b65_7973;

/// A generated service account.
pub struct ServiceAccount {
    /// The key file's text, as the console downloads it.
    pub key_json: String,
    pub client_email: String,
    /// The key's id: the `kid` an assertion names.
    pub private_key_id: String,
    /// The public key's modulus and exponent (big-endian), to verify assertions with.
    pub modulus: Vec<u8>,
    pub exponent: Vec<u8>,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ServiceAccount {
    /// The service account of `seed`. RSA key generation takes a while, so every key is made
    /// once per process and kept; call it off the async workers the first time.
    pub fn for_seed(seed: u64) -> Arc<ServiceAccount> {
        static ACCOUNTS: OnceLock<Mutex<HashMap<u64, Arc<ServiceAccount>>>> = OnceLock::new();
        let accounts = ACCOUNTS.get_or_init(Mutex::default);
        // Held while generating, so two first callers do not both draw the key.
        let mut accounts = accounts.lock().unwrap_or_else(|e| e.into_inner());
        accounts
            .entry(seed)
            .or_insert_with(|| Arc::new(ServiceAccount::generate(seed)))
            .clone()
    }

    fn generate(seed: u64) -> ServiceAccount {
        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(seed ^ KEY_SALT);
        let key = RsaPrivateKey::new(&mut rng, 2048).expect("an RSA key can be generated");
        let public = key.to_public_key();
        let public_der = public
            .to_public_key_der()
            .expect("an RSA public key encodes");
        let digest = Sha256::digest(public_der.as_bytes());
        // Google's key ids are 40 hex digits; client ids 21 decimal digits.
        let private_key_id = hex(&digest[..20]);
        let client_id = {
            let n = u64::from_be_bytes(digest[20..28].try_into().expect("8 bytes"));
            format!("1{:020}", n % 10_000_000_000_000_000_000)
        };
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("an RSA private key encodes");
        let client_email = SERVICE_ACCOUNT_EMAIL.to_owned();
        let q = |s: &str| serde_json::to_string(s).expect("a string serialises");
        // Written by hand to keep the order of the fields in Google's files.
        let key_json = format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": {},\n  \"private_key_id\": {},\n  \"private_key\": {},\n  \"client_email\": {},\n  \"client_id\": {},\n  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n  \"token_uri\": {},\n  \"auth_provider_x509_cert_url\": \"https://www.googleapis.com/oauth2/v1/certs\",\n  \"client_x509_cert_url\": {},\n  \"universe_domain\": \"googleapis.com\"\n}}\n",
            q(PROJECT),
            q(&private_key_id),
            q(pem.as_str()),
            q(&client_email),
            q(&client_id),
            q(GOOGLE_TOKEN_URI),
            q(&format!(
                "https://www.googleapis.com/robot/v1/metadata/x509/{}",
                client_email.replace('@', "%40")
            )),
        );
        ServiceAccount {
            key_json,
            client_email,
            private_key_id,
            modulus: public.n().to_bytes_be(),
            exponent: public.e().to_bytes_be(),
        }
    }
}
