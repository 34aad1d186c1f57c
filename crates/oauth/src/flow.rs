use crate::callback::{clean_text, SHOWN_TEXT_MAX_CHARS};
use crate::{CallbackParams, OAuthError, TokenSet};
use carbonsync_vault::Sensitive;
use chrono::{Duration, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use std::collections::BTreeMap;

/// Where and how to authorise with one platform.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// Shown in messages ("Xero", "Xero (sandbox)").
    pub provider: String,
    pub client_id: String,
    /// Confidential clients only (QuickBooks); Xero's PKCE apps have none.
    pub client_secret: Option<Sensitive<String>>,
    /// How a confidential client presents its secret to the token and revocation endpoints.
    pub client_auth: ClientAuth,
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
    pub scopes: Vec<String>,
    /// Used when the token response omits `expires_in`.
    pub default_lifetime: Duration,
    /// Parameters of the callback kept with the grant ([`TokenSet::extras`]): QuickBooks'
    /// `realmId`. Each must appear at most once; one that is missing is simply absent.
    pub callback_extras: Vec<String>,
    /// Fields of the token answer kept with the grant: Salesforce's `instance_url`. Strings
    /// and numbers only, at most [`crate::callback::OTHER_VALUE_MAX_BYTES`] each.
    pub token_extras: Vec<String>,
    /// How the revocation endpoint takes the token.
    pub revoke_body: RevokeBody,
}

/// The body of a revocation request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RevokeBody {
    /// RFC 7009: a form with `token` and `token_type_hint`.
    #[default]
    Form,
    /// `{"token": "…"}`, as Intuit's revocation endpoint wants it.
    Json,
}

/// How a confidential client authenticates (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// `Authorization: Basic base64(client_id:client_secret)`, the method every server must
    /// support (QuickBooks, Xero web apps).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (Salesforce, Microsoft accept both).
    Form,
}

/// The token answer's fields beyond the standard ones, kept to pick
/// [`OAuthConfig::token_extras`] from.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct AnswerExtras {
    #[serde(flatten)]
    fields: BTreeMap<String, serde_json::Value>,
}

impl ExtraTokenFields for AnswerExtras {}

type Answer = StandardTokenResponse<AnswerExtras, BasicTokenType>;

/// Where an authorization answer is to be sent: a redirect URI, which a loopback
/// listener's address extends with the `state` it is to wait for.
pub trait Redirect {
    /// The redirect URI, exactly as sent in the request and the code exchange.
    fn uri(&self) -> &str;
    /// Told the one-time `state` of the request that names this redirect. Only a
    /// receiver that checks answers itself (the loopback listener) uses it.
    fn expect_state(&self, _state: &str) {}
}

impl Redirect for str {
    fn uri(&self) -> &str {
        self
    }
}

impl Redirect for String {
    fn uri(&self) -> &str {
        self
    }
}

/// A platform's or a callback's text, cleaned and bounded for a message.
fn shown(text: &str) -> String {
    clean_text(text, SHOWN_TEXT_MAX_CHARS)
}

/// An optional description, cleaned; `None` when nothing readable is left.
fn shown_description(text: Option<&str>) -> Option<String> {
    text.map(shown).filter(|t| !t.is_empty())
}

/// The client before any endpoint is set.
type BareClient = oauth2::Client<
    BasicErrorResponse,
    Answer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
>;

type Client = oauth2::Client<
    BasicErrorResponse,
    Answer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An OAuth client for one platform, with an HTTP client that never follows
/// redirects (following them from a token endpoint would be an SSRF hole).
#[derive(Clone)]
pub struct OAuthClient {
    config: OAuthConfig,
    http: reqwest::Client,
}

/// An authorization request that is waiting for its answer. Holds the PKCE verifier,
/// so it is never written anywhere; it lives exactly as long as the wait.
pub struct PendingAuthorization {
    pub url: url::Url,
    pub redirect_uri: String,
    pub created_at: chrono::DateTime<Utc>,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
}

/// The keychain form of a pending authorization, for answers that arrive in a later
/// process (a deep link that starts the app). Private, like the token set's.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPending {
    url: String,
    redirect_uri: String,
    created_at: chrono::DateTime<Utc>,
    state: String,
    verifier: String,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    pub fn state(&self) -> &str {
        self.state.secret()
    }

    pub fn is_expired(&self, lifetime: Duration) -> bool {
        self.created_at + lifetime < Utc::now()
    }

    pub fn to_secret(&self) -> Sensitive<String> {
        let stored = StoredPending {
            url: self.url.to_string(),
            redirect_uri: self.redirect_uri.clone(),
            created_at: self.created_at,
            state: self.state.secret().clone(),
            verifier: self.verifier.secret().clone(),
        };
        Sensitive::new(serde_json::to_string(&stored).expect("pending authorization serialises"))
    }

    pub fn from_secret(secret: &Sensitive<String>) -> Option<PendingAuthorization> {
        let s: StoredPending = serde_json::from_str(secret.expose()).ok()?;
        Some(PendingAuthorization {
            url: url::Url::parse(&s.url).ok()?,
            redirect_uri: s.redirect_uri,
            created_at: s.created_at,
            state: CsrfToken::new(s.state),
            verifier: PkceCodeVerifier::new(s.verifier),
        })
    }
}

impl OAuthClient {
    pub fn new(config: OAuthConfig) -> Result<Self, OAuthError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("CarbonSync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OAuthError::Config {
                provider: config.provider.clone(),
                detail: e.to_string(),
            })?;
        let client = Self { config, http };
        client.client(None)?; // validate the URLs now, not at the first use
        Ok(client)
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    fn config_error(&self, detail: impl ToString) -> OAuthError {
        OAuthError::Config {
            provider: self.config.provider.clone(),
            detail: detail.to_string(),
        }
    }

    fn client(&self, redirect_uri: Option<&str>) -> Result<Client, OAuthError> {
        let c = &self.config;
        // Revocation is sent by `revoke` itself (see there), so only its URL's form is
        // checked here, to report a bad setting before the first use.
        if let Some(u) = c.revoke_url.as_deref() {
            url::Url::parse(u).map_err(|e| self.config_error(format!("revocation URL: {e}")))?;
        }
        let mut client = BareClient::new(ClientId::new(c.client_id.clone()))
            .set_auth_uri(
                AuthUrl::new(c.authorize_url.clone())
                    .map_err(|e| self.config_error(format!("authorize URL: {e}")))?,
            )
            .set_token_uri(
                TokenUrl::new(c.token_url.clone())
                    .map_err(|e| self.config_error(format!("token URL: {e}")))?,
            );
        if let Some(secret) = &c.client_secret {
            client = client
                .set_client_secret(ClientSecret::new(secret.expose().clone()))
                .set_auth_type(match c.client_auth {
                    ClientAuth::Basic => AuthType::BasicAuth,
                    ClientAuth::Form => AuthType::RequestBody,
                });
        }
        if let Some(uri) = redirect_uri {
            client = client.set_redirect_uri(
                RedirectUrl::new(uri.to_string())
                    .map_err(|e| self.config_error(format!("redirect URI: {e}")))?,
            );
        }
        Ok(client)
    }

    /// Builds the authorization URL with a fresh one-time `state` and an S256 PKCE
    /// challenge for the given redirect. A loopback listener's address
    /// ([`crate::LoopbackListener::redirect_uri`]) also learns the `state`, so that the
    /// listener waits for the answer to this request and refuses any other.
    pub fn begin(
        &self,
        redirect: &(impl Redirect + ?Sized),
    ) -> Result<PendingAuthorization, OAuthError> {
        let redirect_uri = redirect.uri();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(Some(redirect_uri))?;
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        redirect.expect_state(state.secret());
        Ok(PendingAuthorization {
            url,
            redirect_uri: redirect_uri.to_string(),
            created_at: Utc::now(),
            state,
            verifier,
        })
    }

    /// Checks the answer (`state` first, then error, then code) and exchanges the code
    /// for tokens. An answer whose `state` is not this request's is refused as
    /// [`OAuthError::StateMismatch`] whatever else it says, an `error=` answer included:
    /// anyone can send an error to a redirect URI. Text from the answer reaches the
    /// error only cleaned (control characters removed) and bounded.
    pub async fn complete(
        &self,
        pending: PendingAuthorization,
        answer: &CallbackParams,
    ) -> Result<TokenSet, OAuthError> {
        if !answer.state_matches(pending.state.secret()) {
            return Err(OAuthError::StateMismatch);
        }
        if let Some(code) = &answer.error {
            // Nothing is exchanged or stored either way.
            let code = shown(code);
            if code == "access_denied" {
                return Err(OAuthError::Denied {
                    provider: self.config.provider.clone(),
                    code,
                });
            }
            return Err(OAuthError::CallbackError {
                provider: self.config.provider.clone(),
                code,
                description: shown_description(answer.error_description.as_deref()),
            });
        }
        let code = answer.code.clone().ok_or(OAuthError::MissingCode)?;
        let from_callback = self.callback_extras(answer)?;
        let client = self.client(Some(&pending.redirect_uri))?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(pending.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| self.token_error(e).at_code_exchange())?;
        let mut set = self.token_set(&response, None);
        set.extras.extend(from_callback);
        Ok(set)
    }

    /// The callback parameters named in [`OAuthConfig::callback_extras`]. A repeated one is
    /// refused as a repeated `state` is: a forged value could stand beside the real one.
    fn callback_extras(
        &self,
        answer: &CallbackParams,
    ) -> Result<BTreeMap<String, String>, OAuthError> {
        let mut kept = BTreeMap::new();
        for name in &self.config.callback_extras {
            let mut values = answer.others.iter().filter(|(n, _)| n == name);
            if let Some((_, value)) = values.next() {
                if values.next().is_some() {
                    return Err(OAuthError::CallbackError {
                        provider: self.config.provider.clone(),
                        code: "invalid_request".into(),
                        description: Some(format!(
                            "the answer names `{}` more than once, which no authorization server does; it may be forged",
                            shown(name)
                        )),
                    });
                }
                kept.insert(name.clone(), value.clone());
            }
        }
        Ok(kept)
    }

    /// Asks for tokens with the client's own credentials (RFC 6749 §4.4): no person, no
    /// browser, no refresh token. For service principals (Azure) and connections a platform
    /// grants to one app (Xero custom connections). Needs a confidential client.
    ///
    /// Errors: [`OAuthError::Config`] without a client secret; the token endpoint's refusal
    /// (`invalid_client` for a wrong secret, `unauthorized_client` for a client not allowed
    /// this grant) as [`OAuthError::Refused`].
    pub async fn client_credentials(&self) -> Result<TokenSet, OAuthError> {
        if self.config.client_secret.is_none() {
            return Err(self.config_error(
                "the client-credentials grant needs the client secret; add it in Settings",
            ));
        }
        let client = self.client(None)?;
        let response = client
            .exchange_client_credentials()
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new))
            .request_async(&self.http)
            .await
            .map_err(|e| self.token_error(e))?;
        Ok(self.token_set(&response, None))
    }

    /// Exchanges a refresh token for a new token set. Platforms that rotate refresh
    /// tokens (Xero, QuickBooks) return a new one: the caller must store it before
    /// doing anything else, because the old one no longer works.
    pub async fn refresh(&self, refresh_token: &Sensitive<String>) -> Result<TokenSet, OAuthError> {
        let client = self.client(None)?;
        let response = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| self.token_error(e))?;
        Ok(self.token_set(&response, Some(refresh_token)))
    }

    /// Revokes a token at the platform (RFC 7009). Without a revocation endpoint this
    /// does nothing and returns `false`.
    ///
    /// Sent by hand rather than through `oauth2`'s revocation request, which refuses
    /// any non-https endpoint and so cannot reach a loopback sandbox; the request is
    /// one form POST either way.
    pub async fn revoke(
        &self,
        token: &Sensitive<String>,
        is_refresh: bool,
    ) -> Result<bool, OAuthError> {
        let Some(url) = &self.config.revoke_url else {
            return Ok(false);
        };
        let hint = if is_refresh {
            "refresh_token"
        } else {
            "access_token"
        };
        let mut form = vec![
            ("token", token.expose().as_str()),
            ("token_type_hint", hint),
        ];
        let mut request = self.http.post(url);
        match (&self.config.client_secret, self.config.client_auth) {
            (Some(secret), ClientAuth::Basic) => {
                request = request.basic_auth(&self.config.client_id, Some(secret.expose()))
            }
            (Some(secret), ClientAuth::Form) => {
                form.push(("client_id", self.config.client_id.as_str()));
                form.push(("client_secret", secret.expose().as_str()));
            }
            (None, _) => form.push(("client_id", self.config.client_id.as_str())),
        }
        let request = match self.config.revoke_body {
            RevokeBody::Form => request.form(&form),
            RevokeBody::Json => {
                // The client's credentials, when sent in the body, stay beside the token.
                let body: BTreeMap<&str, &str> = form
                    .iter()
                    .filter(|(k, _)| *k != "token_type_hint")
                    .copied()
                    .collect();
                request
                    .header(reqwest::header::ACCEPT, "application/json")
                    .json(&body)
            }
        };
        let response = request.send().await.map_err(|e| OAuthError::Network {
            provider: self.config.provider.clone(),
            detail: e.without_url().to_string(),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(true);
        }
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            error: String,
            error_description: Option<String>,
        }
        let body: Option<ErrorBody> = response.json().await.ok();
        Err(OAuthError::Refused {
            provider: self.config.provider.clone(),
            code: body
                .as_ref()
                .map(|b| shown(&b.error))
                .unwrap_or_else(|| status.to_string()),
            description: shown_description(body.and_then(|b| b.error_description).as_deref()),
        })
    }

    fn token_set(&self, r: &Answer, previous_refresh: Option<&Sensitive<String>>) -> TokenSet {
        let lifetime = r
            .expires_in()
            .and_then(|d| Duration::from_std(d).ok())
            .unwrap_or(self.config.default_lifetime);
        TokenSet {
            access_token: Sensitive::new(r.access_token().secret().clone()),
            // A platform that does not rotate leaves the old refresh token valid.
            refresh_token: r
                .refresh_token()
                .map(|t| Sensitive::new(t.secret().clone()))
                .or_else(|| previous_refresh.cloned()),
            expires_at: Utc::now() + lifetime,
            scope: r
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
            extras: self.answer_extras(r),
        }
    }

    /// The token answer's fields named in [`OAuthConfig::token_extras`], as text.
    fn answer_extras(&self, r: &Answer) -> BTreeMap<String, String> {
        let fields = &r.extra_fields().fields;
        self.config
            .token_extras
            .iter()
            .filter_map(|name| {
                // `team.id`: a field of an object in the answer (Slack's `team`).
                let mut path = name.split('.');
                let first = fields.get(path.next()?)?;
                let value = path.try_fold(first, |v, key| v.get(key))?;
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                (text.len() <= crate::callback::OTHER_VALUE_MAX_BYTES).then(|| (name.clone(), text))
            })
            .collect()
    }

    fn token_error<RE: std::error::Error + 'static>(
        &self,
        e: RequestTokenError<RE, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
    ) -> OAuthError {
        let provider = self.config.provider.clone();
        match e {
            RequestTokenError::ServerResponse(r) => match r.error() {
                BasicErrorResponseType::InvalidGrant => OAuthError::InvalidGrant {
                    provider,
                    detail: shown_description(r.error_description().map(String::as_str))
                        .unwrap_or_default(),
                },
                other => OAuthError::Refused {
                    provider,
                    code: shown(other.as_ref()),
                    description: shown_description(r.error_description().map(String::as_str)),
                },
            },
            RequestTokenError::Request(e) => OAuthError::Network {
                provider,
                detail: e.to_string(),
            },
            // Neither the body nor the parser's message (which quotes the offending
            // value) is included: a malformed token response could still hold a token.
            // Slack answers HTTP 200 with `{"ok": false, "error": "invalid_code"}`: a refusal,
            // whose code is safe to show (a bounded snake_case word, never a token).
            RequestTokenError::Parse(_, body) if refusal_code(&body).is_some() => {
                let code = refusal_code(&body).unwrap_or_default();
                if matches!(
                    code.as_str(),
                    "invalid_code" | "code_already_used" | "invalid_grant_type"
                ) {
                    OAuthError::InvalidGrant {
                        provider,
                        detail: code,
                    }
                } else {
                    OAuthError::Refused {
                        provider,
                        code,
                        description: None,
                    }
                }
            }
            RequestTokenError::Parse(e, _body) => OAuthError::BadResponse {
                provider,
                detail: format!(
                    "the token response is {} (at `{}`)",
                    match e.inner().classify() {
                        serde_json::error::Category::Syntax => "not valid JSON",
                        serde_json::error::Category::Eof => "cut short",
                        serde_json::error::Category::Data =>
                            "missing a field or has one of the wrong type",
                        serde_json::error::Category::Io => "unreadable",
                    },
                    shown(&e.path().to_string())
                ),
            },
            RequestTokenError::Other(detail) => OAuthError::BadResponse {
                provider,
                detail: shown(&detail),
            },
        }
    }
}

/// The `error` of a `{"ok": false, "error": "…"}` answer (Slack's token endpoint), when the
/// body is one and the code a plain word.
fn refusal_code(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Refusal {
        ok: bool,
        error: String,
    }
    let r: Refusal = serde_json::from_slice(body).ok()?;
    let plain = !r.error.is_empty()
        && r.error.len() <= 64
        && r.error
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    (!r.ok && plain).then_some(r.error)
}
