//! The Microsoft identity platform's client-credentials grant, as the Azure connector uses it:
//! the connect form's fields checked before anything is sent (a client secret or a
//! certificate, exactly one), one token request per hour or so, and the platform's `AADSTS`
//! error codes turned into words that say which field to fix.
//!
//! Source: "Microsoft identity platform and the OAuth 2.0 client credentials flow"
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow>),
//! whose first case sends a shared secret and whose second a certificate's signed assertion
//! ([`super::certificate`]), and "Microsoft Entra authentication and authorization error codes"
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes>).

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;
use url::Url;

use super::certificate::{Certificate, CLIENT_ASSERTION_TYPE};
use crate::cloud::CloudCredentials;
use crate::http::{Body, CallMeter, HttpClient, Request};
use crate::ProviderError;

/// The connect form's field names (see [`super::FIELDS`]).
pub const TENANT_ID: &str = "tenant_id";
pub const CLIENT_ID: &str = "client_id";
pub const CLIENT_SECRET: &str = "client_secret";
/// The PEM text of the certificate uploaded to the app registration and its private key.
pub const CERTIFICATE: &str = "certificate";

/// The resource every token is asked for: Azure Resource Manager, which serves both the
/// subscription list and the Carbon Optimization reports.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// A token is renewed this long before the identity platform says it expires, so a long
/// report read never starts a request with a token about to lapse.
const EXPIRY_MARGIN: Duration = Duration::from_secs(120);

/// How the service principal proves who it is: a client secret, or a certificate whose
/// private key signs an assertion (the platform's two application credentials,
/// <https://learn.microsoft.com/en-us/entra/identity-platform/how-to-add-credentials>).
#[derive(Clone)]
pub enum Credential {
    Secret(String),
    Certificate(Box<Certificate>),
}

/// A connection's fields, checked for shape. `Debug` leaves the secret and the private key
/// out (it names which kind of credential is held, and a certificate's thumbprint).
#[derive(Clone)]
pub struct ServicePrincipal {
    /// The directory (tenant) id as entered: a GUID or a verified domain
    /// (`contoso.onmicrosoft.com`), lower-cased.
    pub tenant: String,
    /// The application (client) id, a GUID, lower-cased.
    pub client: String,
    credential: Credential,
}

impl fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ServicePrincipal");
        s.field("tenant", &self.tenant)
            .field("client", &self.client);
        match &self.credential {
            Credential::Secret(_) => s.field("credential", &"client secret"),
            Credential::Certificate(c) => s.field("certificate", c),
        };
        s.finish_non_exhaustive()
    }
}

impl ServicePrincipal {
    /// Reads and checks the connection's fields. Nothing is sent for a tenant id that is
    /// neither a GUID nor a domain (it is put into the token URL's path), a client id that
    /// is not a GUID, or a connection with both or neither of the client secret and the
    /// certificate (the connect form marks both optional, so the either-or is checked here),
    /// or a certificate file that is not a certificate and its RSA key
    /// ([`Certificate::from_pem`]).
    ///
    /// Errors: [`ProviderError::InvalidConfig`] naming the field to fix.
    pub fn from_credentials(credentials: &CloudCredentials) -> Result<Self, ProviderError> {
        let tenant = credentials.require(TENANT_ID)?.trim().to_ascii_lowercase();
        if !is_guid(&tenant) && !is_domain(&tenant) {
            return Err(ProviderError::InvalidConfig {
                detail: "the tenant id is neither a directory GUID nor a domain: copy the \
                         Directory (tenant) ID from the app registration's Overview page in the \
                         Azure portal"
                    .to_owned(),
            });
        }
        let client = credentials.require(CLIENT_ID)?.trim().to_ascii_lowercase();
        if !is_guid(&client) {
            return Err(ProviderError::InvalidConfig {
                detail: "the client id is not a GUID: copy the Application (client) ID from the \
                         app registration's Overview page in the Azure portal"
                    .to_owned(),
            });
        }
        let credential = match (credentials.get(CLIENT_SECRET), credentials.get(CERTIFICATE)) {
            (Some(secret), None) => Credential::Secret(secret.trim().to_owned()),
            (None, Some(pem)) => Credential::Certificate(Box::new(Certificate::from_pem(pem)?)),
            (Some(_), Some(_)) => {
                return Err(ProviderError::InvalidConfig {
                    detail: "both a client secret and a certificate were given: give only one \
                             of them (the client secret's Value, or the certificate PEM with its \
                             private key)"
                        .to_owned(),
                })
            }
            (None, None) => {
                return Err(ProviderError::InvalidConfig {
                    detail: "neither a client secret nor a certificate was given: give one of \
                             them (the client secret's Value from the app registration's \
                             Certificates & secrets page, or the certificate PEM with its private \
                             key)"
                        .to_owned(),
                })
            }
        };
        Ok(ServicePrincipal {
            tenant,
            client,
            credential,
        })
    }

    /// The credential held: a client secret or a certificate.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// What a cached token belongs to. A certificate's thumbprint is part of it, so a
    /// connection changed from one credential to another asks for a new token.
    pub fn key(&self) -> (String, String) {
        let client = match &self.credential {
            Credential::Secret(_) => self.client.clone(),
            Credential::Certificate(c) => format!("{}#{}", self.client, c.sha256_thumbprint()),
        };
        (self.tenant.clone(), client)
    }

    /// `error` with every copy of the client secret, or of any line of the certificate's
    /// private key, removed from its words. The identity platform does not echo either, but
    /// nothing from outside is trusted not to.
    pub fn scrub(&self, error: ProviderError) -> ProviderError {
        let secrets: Vec<&str> = match &self.credential {
            Credential::Secret(secret) => vec![secret.as_str()],
            Credential::Certificate(c) => c.key_lines().iter().map(String::as_str).collect(),
        };
        let secrets: Vec<&str> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        if secrets.is_empty() {
            return error;
        }
        let clean = |text: String| {
            secrets
                .iter()
                .fold(text, |text, secret| text.replace(secret, "[redacted]"))
        };
        match error {
            ProviderError::Unauthorized { detail } => ProviderError::Unauthorized {
                detail: clean(detail),
            },
            ProviderError::Forbidden { detail } => ProviderError::Forbidden {
                detail: clean(detail),
            },
            ProviderError::Server { status, detail } => ProviderError::Server {
                status,
                detail: clean(detail),
            },
            ProviderError::BadResponse { detail } => ProviderError::BadResponse {
                detail: clean(detail),
            },
            ProviderError::Transport { detail } => ProviderError::Transport {
                detail: clean(detail),
            },
            ProviderError::InvalidConfig { detail } => ProviderError::InvalidConfig {
                detail: clean(detail),
            },
            other @ (ProviderError::RateLimited { .. } | ProviderError::Refused { .. }) => other,
        }
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A DNS name of at least two labels (`contoso.onmicrosoft.com`), as a tenant's verified
/// domain is.
fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// An access token for Azure Resource Manager. `Debug` never shows it.
#[derive(Clone)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

/// A token kept in memory until shortly before it expires, for one tenant and client.
#[derive(Debug, Clone)]
pub struct CachedToken {
    pub key: (String, String),
    pub token: AccessToken,
    pub renew_at: Instant,
}

/// The token endpoint's success answer. `expires_in` is a number from the v2.0 endpoint and a
/// string from v1.0; both are read.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// Asks the identity platform for an ARM token with the client-credentials grant: with
/// `client_secret`, or with `client_assertion_type` and `client_assertion` (a
/// [`Certificate::assertion`] whose `aud` is the token URL posted to, signed by this
/// computer's clock, as Microsoft's own libraries do).
///
/// `template` is the token URL with `{tenant_id}` in it.
///
/// Errors: [`ProviderError::Unauthorized`] for credentials the platform refuses, in words
/// naming the field to fix (see [`describe_refusal`]), and for a certificate past its end
/// date before anything is sent; others as the HTTP layer reports them.
pub async fn request_token(
    http: &HttpClient,
    template: &str,
    principal: &ServicePrincipal,
    meter: &CallMeter,
) -> Result<CachedToken, ProviderError> {
    let url = Url::parse(&template.replace("{tenant_id}", &principal.tenant)).map_err(|_| {
        ProviderError::InvalidConfig {
            detail: "the Azure token URL is not a valid URL".to_owned(),
        }
    })?;
    let mut form = vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", principal.client.clone()),
    ];
    match &principal.credential {
        Credential::Secret(secret) => form.push(("client_secret", secret.clone())),
        Credential::Certificate(certificate) => {
            let now = chrono::Utc::now().timestamp();
            if certificate.not_after <= now {
                let end = chrono::DateTime::from_timestamp(certificate.not_after, 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                return Err(ProviderError::Unauthorized {
                    detail: format!(
                        "the certificate (thumbprint {}) expired on {end}: upload a new \
                         certificate to the app registration (Certificates & secrets) and \
                         connect again with it and its private key",
                        certificate.portal_thumbprint()
                    ),
                });
            }
            let assertion = certificate.assertion(&principal.client, url.as_str(), now)?;
            form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE.to_owned()));
            form.push(("client_assertion", assertion));
        }
    }
    form.push(("scope", ARM_SCOPE.to_owned()));
    let request = Request {
        label: "Microsoft identity platform token",
        url,
        bearer: "",
        headers: Vec::new(),
        body: Some(Body::Form(form)),
    };
    let answer = http
        .send(&request, meter)
        .await
        .map_err(|e| principal.scrub(describe_refusal_for(e, principal)))?;
    let body = answer.body.unwrap_or_default();
    let parsed: TokenAnswer =
        serde_json::from_slice(&body).map_err(|_| ProviderError::BadResponse {
            detail: "the identity platform's token answer has no access_token".to_owned(),
        })?;
    let lifetime = parsed
        .expires_in
        .and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .map(Duration::from_secs)
        // The platform's documented default lifetime is an hour; a missing value is read as
        // the shortest it gives (five minutes) rather than kept indefinitely.
        .unwrap_or(Duration::from_secs(300));
    Ok(CachedToken {
        key: principal.key(),
        token: AccessToken(parsed.access_token),
        renew_at: Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN),
    })
}

/// The `AADSTS` code in an error's words (`AADSTS7000215: Invalid client secret provided…`).
fn aadsts_code(text: &str) -> Option<u32> {
    let start = text.find("AADSTS")? + "AADSTS".len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn detail_of(error: &ProviderError) -> &str {
    match error {
        ProviderError::Unauthorized { detail }
        | ProviderError::Forbidden { detail }
        | ProviderError::Server { detail, .. }
        | ProviderError::BadResponse { detail }
        | ProviderError::Transport { detail }
        | ProviderError::InvalidConfig { detail } => detail,
        ProviderError::Refused { words, .. } => words,
        ProviderError::RateLimited { .. } => "",
    }
}

/// [`describe_refusal`], with the certificate's thumbprint (as the Azure portal lists it) added
/// to a refusal of a certificate, so the person can compare it with the app registration's.
fn describe_refusal_for(error: ProviderError, principal: &ServicePrincipal) -> ProviderError {
    let certificate_code = matches!(
        aadsts_code(detail_of(&error)),
        Some(700021 | 700023 | 700024 | 700027)
    );
    match (describe_refusal(error), &principal.credential) {
        (ProviderError::Unauthorized { detail }, Credential::Certificate(c))
            if certificate_code =>
        {
            ProviderError::Unauthorized {
                detail: format!(
                    "{detail} (this certificate's thumbprint: {})",
                    c.portal_thumbprint()
                ),
            }
        }
        (other, _) => other,
    }
}

/// The identity platform's refusals in words that say which connect-form field to fix. The
/// platform answers 401 `invalid_client` for a bad secret or certificate assertion and 400
/// `unauthorized_client` / `invalid_request` for an unknown application or directory; all
/// become [`ProviderError::Unauthorized`], since only new credentials help. The certificate
/// codes are those Microsoft lists for certificate credentials ("Troubleshoot service
/// principal authentication",
/// <https://learn.microsoft.com/en-us/azure/developer/java/sdk/troubleshooting-authentication-service-principal>):
/// `AADSTS700027` (invalid signature, also an unknown certificate), `AADSTS700021` (assertion
/// issuer is not the client id), `AADSTS700023` (audience is not the token endpoint) and
/// `AADSTS700024` (not within its valid time range).
pub fn describe_refusal(error: ProviderError) -> ProviderError {
    let Some(code) = aadsts_code(detail_of(&error)) else {
        return error;
    };
    let words = match code {
        7000215 => {
            "Azure refused the client secret (AADSTS7000215): enter the secret's Value, not its \
             Secret ID, from the app registration's Certificates & secrets page, or create a new \
             secret there"
        }
        7000222 => {
            "the client secret has expired (AADSTS7000222): create a new secret on the app \
             registration's Certificates & secrets page and enter its Value"
        }
        7000216 | 900144 => {
            "the request reached Azure without a client secret: enter the client secret again"
        }
        700016 => {
            "Azure found no application with this client id in the directory (AADSTS700016): \
             check the client id (the app registration's Application (client) ID) and that the \
             app is registered in this tenant"
        }
        90002 | 900023 | 90072 => {
            "Azure found no directory with this tenant id: check the tenant id (the Directory \
             (tenant) ID on the app registration's Overview page)"
        }
        700027 => {
            "Azure refused the certificate (AADSTS700027: the sign-in request's signature does \
             not match a certificate of the app registration): upload this certificate to the \
             app registration's Certificates & secrets page, or give the certificate that is \
             there with its own private key"
        }
        700024 => {
            "Azure refused the certificate's sign-in request as outside its valid time \
             (AADSTS700024): check that this computer's clock and time zone are right"
        }
        700023 => {
            "Azure refused the certificate's sign-in request for naming another token endpoint \
             (AADSTS700023): check the Azure token URL in CarbonSync's settings"
        }
        700021 => {
            "Azure refused the certificate's sign-in request for naming another application \
             (AADSTS700021): check the client id"
        }
        7000112 => {
            "the application is disabled in this directory: an administrator has to enable its \
             service principal (Enterprise applications) again"
        }
        _ => "Azure refused the service principal's credentials",
    };
    let detail = format!("{words}; {}", detail_of(&error));
    ProviderError::Unauthorized { detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn creds(tenant: &str, client: &str) -> CloudCredentials {
        CloudCredentials::new(BTreeMap::from([
            (TENANT_ID.to_owned(), tenant.to_owned()),
            (CLIENT_ID.to_owned(), client.to_owned()),
            (CLIENT_SECRET.to_owned(), "s3cr3t~value".to_owned()),
        ]))
    }

    #[test]
    fn tenant_ids_are_guids_or_domains_and_client_ids_guids() {
        let guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert!(ServicePrincipal::from_credentials(&creds(guid, guid)).is_ok());
        assert!(
            ServicePrincipal::from_credentials(&creds("contoso.onmicrosoft.com", guid)).is_ok()
        );
        for bad in [
            "contoso",
            "../x",
            "72f988bf-86f1-41af-91ab",
            "a b.com",
            "x/y.com",
        ] {
            let e = ServicePrincipal::from_credentials(&creds(bad, guid)).unwrap_err();
            assert!(e.to_string().contains("tenant id"), "{e}");
        }
        let e = ServicePrincipal::from_credentials(&creds(guid, "my-app")).unwrap_err();
        assert!(e.to_string().contains("client id"), "{e}");
        let p = ServicePrincipal::from_credentials(&creds(guid, guid)).unwrap();
        assert!(!format!("{p:?}").contains("s3cr3t"));
    }

    #[test]
    fn refusals_name_the_field_to_fix() {
        let e = describe_refusal(ProviderError::Unauthorized {
            detail: "GET token: HTTP 401: invalid_client: AADSTS7000215: Invalid client secret"
                .to_owned(),
        });
        assert!(
            matches!(&e, ProviderError::Unauthorized { detail } if detail.contains("secret's Value"))
        );
        let e = describe_refusal(ProviderError::Server {
            status: 400,
            detail: "unauthorized_client: AADSTS700016: Application with identifier".to_owned(),
        });
        assert!(
            matches!(&e, ProviderError::Unauthorized { detail } if detail.contains("client id"))
        );
        let e = describe_refusal(ProviderError::Server {
            status: 400,
            detail: "invalid_request: AADSTS90002: Tenant 'x' not found".to_owned(),
        });
        assert!(
            matches!(&e, ProviderError::Unauthorized { detail } if detail.contains("tenant id"))
        );
        let e = describe_refusal(ProviderError::Unauthorized {
            detail: "invalid_client: AADSTS700027: Client assertion contains an invalid signature"
                .to_owned(),
        });
        assert!(
            matches!(&e, ProviderError::Unauthorized { detail } if detail.contains("certificate"))
        );
        let e = describe_refusal(ProviderError::Unauthorized {
            detail: "invalid_client: AADSTS700024: Client assertion is not within its valid time"
                .to_owned(),
        });
        assert!(matches!(&e, ProviderError::Unauthorized { detail } if detail.contains("clock")));
        let e = describe_refusal(ProviderError::Server {
            status: 503,
            detail: "busy".to_owned(),
        });
        assert!(matches!(e, ProviderError::Server { status: 503, .. }));
    }
}
