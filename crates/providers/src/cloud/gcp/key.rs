//! A Google service account's JSON key file and the signed assertion CarbonSync trades for an
//! access token: the OAuth 2.0 JWT-bearer grant (RFC 7523) as Google runs it for service
//! accounts (<https://developers.google.com/identity/protocols/oauth2/service-account#httprest>).
//!
//! The key file is the whole text a person downloads from the Cloud console (IAM & Admin >
//! Service accounts > Keys > Add key > JSON). It is a secret: nothing here prints it, its
//! private key, or a signed assertion; errors name the missing or wrong field only.

use std::fmt;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::ProviderError;

/// The connect-form field that holds the key file's text.
pub const SERVICE_ACCOUNT_KEY: &str = "service_account_key";

/// What the access token may do: read BigQuery (Google's scope list,
/// <https://developers.google.com/identity/protocols/oauth2/scopes#bigquery>). Queries run
/// with it through `jobs.query` and `jobs.getQueryResults`; it cannot change any data.
pub const SCOPE: &str = "https://www.googleapis.com/auth/bigquery.readonly";

/// `grant_type` of the JWT-bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Google's token endpoints a service-account key may name as its `token_uri`: today's and
/// the two older ones keys created years ago still carry.
pub const GOOGLE_TOKEN_URIS: &[&str] = &[
    "https://oauth2.googleapis.com/token",
    "https://accounts.google.com/o/oauth2/token",
    "https://www.googleapis.com/oauth2/v4/token",
];

/// The longest an assertion may live: Google refuses one whose `exp` is more than an hour
/// after its `iat`.
pub const ASSERTION_LIFETIME_SECS: i64 = 3600;

/// The fields of a key file this connector reads; any other field (`client_id`, `auth_uri`,
/// `universe_domain`, …) is ignored.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    project_id: Option<String>,
    private_key_id: Option<String>,
    private_key: Option<String>,
    client_email: Option<String>,
    token_uri: Option<String>,
}

/// A service account read from its key file. `Debug` shows the account's email and key id,
/// never the private key.
pub struct ServiceAccount {
    /// `…@<project>.iam.gserviceaccount.com`: the assertion's `iss`.
    pub client_email: String,
    /// The key's id: the assertion header's `kid`, by which Google finds the public key.
    pub private_key_id: String,
    /// The project the service account belongs to.
    pub project_id: Option<String>,
    /// The token endpoint the key names.
    pub token_uri: Option<String>,
    key: EncodingKey,
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

fn invalid(detail: impl Into<String>) -> ProviderError {
    ProviderError::InvalidConfig {
        detail: detail.into(),
    }
}

/// What to do to get a usable key, said after every key problem.
const GET_A_KEY: &str = "create a JSON key for the service account in the Google Cloud console \
                         (IAM & Admin > Service accounts > Keys > Add key > Create new key > JSON) \
                         and connect again with that file";

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

impl ServiceAccount {
    /// Reads a key file's text.
    ///
    /// Errors: [`ProviderError::InvalidConfig`] in words when the text is not JSON, is another
    /// kind of Google credential (`authorized_user`, `external_account`), lacks a field the
    /// grant needs, or its `private_key` is not an RSA private key in PEM. The key's text never
    /// appears in the message.
    pub fn from_json(text: &str) -> Result<ServiceAccount, ProviderError> {
        let file: KeyFile = serde_json::from_str(text.trim()).map_err(|e| {
            invalid(format!(
                "the service account key is not a JSON key file (it does not read as JSON at line {}, column {}); {GET_A_KEY}",
                e.line(),
                e.column()
            ))
        })?;
        match file.kind.as_deref().map(str::trim) {
            Some("service_account") => {}
            Some("authorized_user") => {
                return Err(invalid(format!(
                    "the key file holds a person's sign-in (\"type\": \"authorized_user\", as `gcloud auth application-default login` writes), not a service account's key; {GET_A_KEY}"
                )))
            }
            Some("external_account") | Some("external_account_authorized_user") => {
                return Err(invalid(format!(
                    "the file is a workload identity federation configuration, which CarbonSync cannot use; {GET_A_KEY}"
                )))
            }
            Some(_) => {
                return Err(invalid(format!(
                    "the key file is not a service account key (its \"type\" is not \"service_account\"); {GET_A_KEY}"
                )))
            }
            None => {
                return Err(invalid(format!(
                    "the key file has no \"type\": it is not a service account key; {GET_A_KEY}"
                )))
            }
        }
        let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let missing: Vec<&str> = [
            ("client_email", present(&file.client_email)),
            ("private_key_id", present(&file.private_key_id)),
            ("private_key", present(&file.private_key)),
        ]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name)
        .collect();
        if !missing.is_empty() {
            return Err(invalid(format!(
                "the service account key lacks {}; {GET_A_KEY}",
                missing
                    .iter()
                    .map(|m| format!("\"{m}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let pem = file.private_key.unwrap_or_default();
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| {
            invalid(format!(
                "the service account key's \"private_key\" is not an RSA private key in PEM form; {GET_A_KEY}"
            ))
        })?;
        Ok(ServiceAccount {
            client_email: file.client_email.unwrap_or_default().trim().to_owned(),
            private_key_id: file.private_key_id.unwrap_or_default().trim().to_owned(),
            project_id: file
                .project_id
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
            token_uri: file
                .token_uri
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty()),
            key,
        })
    }

    /// Whether the key may be sent to `endpoint`: its own `token_uri` is that endpoint, or one
    /// of Google's (the sandbox's generated key names Google's, as every real key does). A key
    /// naming some other token endpoint belongs to another authority (a sovereign-cloud
    /// universe), whose assertion Google's endpoint would refuse.
    pub fn check_token_uri(&self, endpoint: &str) -> Result<(), ProviderError> {
        match self.token_uri.as_deref() {
            None => Ok(()),
            Some(uri) if uri == endpoint || GOOGLE_TOKEN_URIS.contains(&uri) => Ok(()),
            Some(uri) => Err(invalid(format!(
                "the service account key's token_uri ({}) is not Google's token endpoint; CarbonSync reads Google Cloud (googleapis.com) only",
                crate::http::clean_text(uri, 120)
            ))),
        }
    }

    /// The signed assertion: RS256 with `kid` = the key's id; `iss` = the service account,
    /// `scope` = [`SCOPE`], `aud` = the token endpoint it is posted to, valid from `now`
    /// (seconds since the epoch) for an hour. A secret in itself while it is valid.
    pub fn assertion(&self, audience: &str, now: i64) -> Result<String, ProviderError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.private_key_id.clone());
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: audience,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            invalid(format!(
                "the service account key could not sign the sign-in request ({:?}); {GET_A_KEY}",
                e.kind()
            ))
        })
    }
}

/// Google's answer to the grant (`access_token`, `expires_in` seconds, `token_type`).
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// An access token kept in memory until shortly before it expires. `Debug` hides the token.
#[derive(Clone)]
pub struct CachedToken {
    pub token: String,
    /// Asked for again from this moment on.
    pub renew_at: Instant,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("renew_at", &self.renew_at)
            .finish_non_exhaustive()
    }
}

impl CachedToken {
    /// A token that lives `expires_in` seconds (an hour when Google does not say), renewed five
    /// minutes before the end, or half-way through a shorter life, so no call starts with a
    /// token about to lapse.
    pub fn new(token: String, expires_in: Option<u64>, now: Instant) -> CachedToken {
        let life = Duration::from_secs(expires_in.unwrap_or(3600));
        let margin = Duration::from_secs(300).min(life / 2);
        CachedToken {
            token,
            renew_at: now + (life - margin),
        }
    }

    pub fn fresh(&self, now: Instant) -> bool {
        now < self.renew_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match ServiceAccount::from_json(text) {
            Err(ProviderError::InvalidConfig { detail }) => detail,
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn keys_that_are_not_service_account_keys_are_refused_in_words_without_their_text() {
        let secret = "top-secret-refresh-token-value";
        let user = format!(r#"{{"type":"authorized_user","refresh_token":"{secret}"}}"#);
        let detail = refused(&user);
        assert!(detail.contains("authorized_user"), "{detail}");
        assert!(!detail.contains(secret), "{detail}");

        let detail = refused("not json at all");
        assert!(detail.contains("not a JSON key file"), "{detail}");

        let detail =
            refused(r#"{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com"}"#);
        assert!(detail.contains("\"private_key_id\""), "{detail}");
        assert!(detail.contains("\"private_key\""), "{detail}");

        let bad_pem = format!(
            r#"{{"type":"service_account","client_email":"a@b","private_key_id":"k","private_key":"{secret}"}}"#
        );
        let detail = refused(&bad_pem);
        assert!(detail.contains("not an RSA private key"), "{detail}");
        assert!(!detail.contains(secret), "{detail}");
    }

    #[test]
    fn a_cached_token_is_renewed_before_it_expires() {
        let now = Instant::now();
        let t = CachedToken::new("ya29.c.secret-token".into(), Some(3599), now);
        assert!(t.fresh(now + Duration::from_secs(3000)));
        assert!(!t.fresh(now + Duration::from_secs(3300)));
        let short = CachedToken::new("x".into(), Some(60), now);
        assert!(!short.fresh(now + Duration::from_secs(31)));
        assert!(!format!("{t:?}").contains("secret-token"));
    }
}
