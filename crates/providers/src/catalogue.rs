//! The catalogue of platforms: data in `catalogue.toml`, typed here.
//!
//! Keeping URLs, scopes and limits in a data file means a provider changing an endpoint is an
//! edit to one table, and the same entry serves production and the local sandbox.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The embedded catalogue text; parsed once by [`Catalogue::builtin`].
const BUILTIN_TOML: &str = include_str!("../catalogue.toml");

/// What kind of system a platform is; the window groups platforms by it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Accounting,
    Cloud,
    Crm,
    Communication,
}

impl Category {
    /// Every category, in the order the window lists them.
    pub const ALL: [Category; 4] = [
        Category::Accounting,
        Category::Cloud,
        Category::Crm,
        Category::Communication,
    ];

    /// A label for people, as opposed to the snake_case id used in files.
    pub fn label(self) -> &'static str {
        match self {
            Category::Accounting => "Accounting",
            Category::Cloud => "Cloud",
            Category::Crm => "CRM",
            Category::Communication => "Communication",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How a user hands CarbonSync access to a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// Authorization code (with PKCE where the platform supports it) in the system browser.
    #[serde(rename = "oauth")]
    OAuth,
    ApiKey,
    ServicePrincipal,
    ServiceAccountKey,
    WebhookUrl,
}

impl AuthKind {
    pub fn label(self) -> &'static str {
        match self {
            AuthKind::OAuth => "OAuth 2.0",
            AuthKind::ApiKey => "API key",
            AuthKind::ServicePrincipal => "Service principal",
            AuthKind::ServiceAccountKey => "Service account key",
            AuthKind::WebhookUrl => "Webhook URL",
        }
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How an OAuth answer gets back to a desktop app (see PROVIDERS.md: no single style works for
/// every platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum RedirectStyle {
    /// The platform redirects straight to the app's `carbonsync://` scheme.
    DeepLink,
    /// The app listens once on a `127.0.0.1` port.
    Loopback,
    /// The platform redirects to an https page that forwards to the deep link.
    HttpsBounce,
    /// No browser flow (keys, service principals, webhook URLs).
    None,
}

impl RedirectStyle {
    pub fn label(self) -> &'static str {
        match self {
            RedirectStyle::DeepLink => "Deep link",
            RedirectStyle::Loopback => "Loopback",
            RedirectStyle::HttpsBounce => "HTTPS bounce page",
            RedirectStyle::None => "None",
        }
    }
}

impl fmt::Display for RedirectStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A platform's URLs. Every field is optional because platforms differ in what they have
/// (a webhook platform has none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<String>,
    /// Where a cloud provider's bill is read (AWS Cost Explorer), beside its emissions at
    /// `api_base`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend: Option<String>,
}

impl Endpoints {
    /// Turns relative sandbox paths into absolute URLs under `base` (for example
    /// `http://127.0.0.1:4455`). Plain string joining rather than `Url::join`, because `join`
    /// would drop any path prefix `base` has when the relative path starts with `/`.
    /// Values that are already absolute URLs are kept as they are.
    pub fn resolve_against(&self, base: &str) -> Endpoints {
        let base = base.trim_end_matches('/');
        let resolve = |value: &Option<String>| {
            value.as_ref().map(|v| {
                if is_absolute(v) {
                    v.clone()
                } else if v.starts_with('/') {
                    format!("{base}{v}")
                } else {
                    format!("{base}/{v}")
                }
            })
        };
        Endpoints {
            authorize: resolve(&self.authorize),
            token: resolve(&self.token),
            revoke: resolve(&self.revoke),
            api_base: resolve(&self.api_base),
            connections: resolve(&self.connections),
            spend: resolve(&self.spend),
        }
    }

    /// True when no endpoint is set.
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }

    fn fields(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("spend", &self.spend),
            ("authorize", &self.authorize),
            ("token", &self.token),
            ("revoke", &self.revoke),
            ("api_base", &self.api_base),
            ("connections", &self.connections),
        ]
    }
}

fn is_absolute(value: &str) -> bool {
    // `{instance_url}/…` style templates count as absolute: the connection supplies the host.
    value.starts_with('{') || url::Url::parse(value).is_ok()
}

/// A platform's documented request limits, for pacing and for telling the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_day: Option<u32>,
    /// Calls that may be in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent: Option<u32>,
    /// What the limits count against ("tenant", "company", "channel").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How an OAuth client is registered with the platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// No secret, PKCE only (what a desktop app should be where the platform allows it).
    #[default]
    Public,
    /// The platform issues every app a client secret and wants it at the token endpoint
    /// (QuickBooks): it is kept in the keychain.
    Confidential,
}

/// How a confidential client proves itself at the token and revocation endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthStyle {
    /// HTTP Basic (`client_secret_basic`).
    #[default]
    Basic,
    /// In the form body (`client_secret_post`).
    Form,
}

/// How the revocation endpoint wants the token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeBody {
    /// RFC 7009: a form with `token` and `token_type_hint`.
    #[default]
    Form,
    /// `{"token": "…"}` (Intuit).
    Json,
}

/// A platform's OAuth conventions beyond its URLs and scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthRules {
    #[serde(default)]
    pub client: ClientKind,
    #[serde(default)]
    pub client_auth: ClientAuthStyle,
    /// Query parameters of the sign-in's callback kept with the grant (QuickBooks: `realmId`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callback_extras: Vec<String>,
    /// Fields of the token answer kept with the grant (Salesforce: `instance_url`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_extras: Vec<String>,
    #[serde(default)]
    pub revoke_body: RevokeBody,
    /// The access token's lifetime when the token answer does not say (minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_lifetime_minutes: Option<u32>,
    /// What joins the scopes in the authorization URL when it is not OAuth's space (Slack:
    /// a comma, per its `oauth/v2/authorize` reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_separator: Option<String>,
}

/// One platform in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub auth: AuthKind,
    /// Whether CarbonSync can connect it today.
    pub available: bool,
    /// Why an entry is not available, in words for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub redirect: RedirectStyle,
    #[serde(default)]
    pub production: Endpoints,
    /// Paths relative to the local sandbox's base URL; see [`Endpoints::resolve_against`].
    #[serde(default)]
    pub sandbox: Endpoints,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    #[serde(default)]
    pub oauth: OAuthRules,
}

impl ProviderEntry {
    /// The sandbox endpoints made absolute under the sandbox server's base URL.
    pub fn sandbox_endpoints(&self, base: &str) -> Endpoints {
        self.sandbox.resolve_against(base)
    }

    /// The scopes joined the way OAuth's `scope` parameter wants them.
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }
}

/// The catalogue file is invalid. Only reachable through [`Catalogue::from_toml`] with a file
/// other than the built-in one (the built-in one is checked by the tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("the provider catalogue is not valid TOML for its schema: {0}")]
    Parse(String),
    #[error("the provider catalogue lists `{0}` twice")]
    DuplicateId(String),
    #[error("provider `{id}` is invalid: {problem}")]
    Invalid { id: String, problem: String },
}

/// Every platform CarbonSync knows about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(rename = "provider")]
    providers: Vec<ProviderEntry>,
}

impl Catalogue {
    /// The catalogue shipped in the binary, parsed on first use.
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: OnceLock<Catalogue> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The file is compiled in and validated by the test suite, so a failure here is a
            // build defect, not something a user can cause or fix.
            Catalogue::from_toml(BUILTIN_TOML).expect("the built-in catalogue.toml is valid")
        })
    }

    /// Parses and validates a catalogue (used for the built-in file and for tests of a
    /// deliberately broken one).
    pub fn from_toml(text: &str) -> Result<Catalogue, CatalogueError> {
        let catalogue: Catalogue =
            toml::from_str(text).map_err(|e| CatalogueError::Parse(e.to_string()))?;
        catalogue.validate()?;
        Ok(catalogue)
    }

    pub fn get(&self, id: &str) -> Option<&ProviderEntry> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// Entries in file order.
    pub fn entries(&self) -> &[ProviderEntry] {
        &self.providers
    }

    /// Entries grouped by category, categories in [`Category::ALL`] order, entries in file
    /// order; categories with no entries are left out.
    pub fn by_category(&self) -> Vec<(Category, Vec<&ProviderEntry>)> {
        Category::ALL
            .iter()
            .map(|&c| {
                (
                    c,
                    self.providers.iter().filter(|p| p.category == c).collect(),
                )
            })
            .filter(|(_, entries): &(Category, Vec<&ProviderEntry>)| !entries.is_empty())
            .collect()
    }

    fn validate(&self) -> Result<(), CatalogueError> {
        let mut seen = HashSet::new();
        for entry in &self.providers {
            let invalid = |problem: &str| CatalogueError::Invalid {
                id: entry.id.clone(),
                problem: problem.to_owned(),
            };
            if entry.id.is_empty() || !entry.id.chars().all(|c| c.is_ascii_lowercase()) {
                return Err(invalid("the id must be lowercase ASCII letters"));
            }
            if !seen.insert(entry.id.as_str()) {
                return Err(CatalogueError::DuplicateId(entry.id.clone()));
            }
            if !entry.available && entry.status_note.as_deref().is_none_or(str::is_empty) {
                return Err(invalid(
                    "an unavailable provider needs a status_note telling the user why",
                ));
            }
            if entry.auth == AuthKind::OAuth
                && (entry.production.authorize.is_none() || entry.production.token.is_none())
            {
                return Err(invalid(
                    "an OAuth provider needs production authorize and token endpoints",
                ));
            }
            if entry.page_size == Some(0) {
                return Err(invalid("page_size must be at least 1"));
            }
            for (field, value) in entry.production.fields() {
                if let Some(v) = value {
                    if !is_absolute(v) {
                        return Err(invalid(&format!(
                            "production.{field} must be an absolute URL"
                        )));
                    }
                }
            }
            for (field, value) in entry.sandbox.fields() {
                if let Some(v) = value {
                    // `{instance_url}/…`: the org's own host, named by its sign-in.
                    if !v.starts_with('/') && !v.starts_with("{instance_url}/") {
                        return Err(invalid(&format!(
                            "sandbox.{field} must be a path starting with '/'"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}
