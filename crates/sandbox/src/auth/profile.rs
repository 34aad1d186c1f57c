//! What differs between the authorization servers the sandbox runs: Xero's under
//! `/xero/identity/connect`, Intuit's (for QuickBooks Online) under `/quickbooks/oauth2`,
//! Salesforce's under `/salesforce/services/oauth2` and Slack's under `/slack/oauth/v2`.
//! Grants, codes, PKCE, secrets, rotation, grace and persistence are shared (`grants.rs`); a
//! profile says which clients a server knows and how they authenticate, which lifetimes
//! apply, and what its answers look like.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::options::{
    CLIENT_ID, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, QUICKBOOKS_CLIENT_ID,
    QUICKBOOKS_CLIENT_SECRET,
};
use crate::salesforce::session::{REFRESH_TOKEN_LIFETIME, SESSION_TIMEOUT};
use crate::salesforce::{
    CLIENT_ID as SALESFORCE_CLIENT_ID, CLIENT_SECRET as SALESFORCE_CLIENT_SECRET,
};
use crate::settings::Settings;

/// Which platform a grant was made on. A token acts only on its own platform's API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// State files written before QuickBooks was served hold Xero grants only.
    #[default]
    Xero,
    QuickBooks,
    Salesforce,
    /// Slack's OAuth v2 (a bot token per workspace install); its token answers live in
    /// `slack::oauth`.
    Slack,
}

impl Platform {
    /// For `skip_serializing_if`: a Xero grant is written exactly as before.
    pub fn is_xero(&self) -> bool {
        *self == Platform::Xero
    }
}

/// A registered client: public (no secret) or confidential (with the sandbox's own published
/// test secret).
pub struct Client {
    pub id: &'static str,
    pub secret: Option<&'static str>,
}

/// The stats keys an authorization server counts its calls under.
pub struct CallKeys {
    pub authorize: &'static str,
    pub decision: &'static str,
    pub token: &'static str,
    pub revoke: &'static str,
}

pub struct Profile {
    pub platform: Platform,
    /// Where the consent page posts its form.
    pub decision_path: &'static str,
    pub clients: &'static [Client],
    /// Whether `carbonsync://oauth/callback` is registered besides the loopback redirects.
    /// Intuit accepts no custom scheme.
    pub custom_scheme_redirect: bool,
    /// Slack: any `https://` redirect URL is accepted, and loopback `http://` ones on any port
    /// and path (the sandbox runs on loopback); no custom scheme, and no `/callback`-only rule.
    pub https_redirects: bool,
    /// Whether the authorization request must carry `response_type=code` (Slack's OAuth v2
    /// authorize takes no `response_type`).
    pub response_type_required: bool,
    /// Xero requires PKCE; Intuit ignores it, and the sandbox verifies it only when the
    /// authorization request carried a challenge.
    pub pkce_required: bool,
    /// A scope every authorization request must include.
    pub required_scope: Option<&'static str>,
    /// Intuit: the client authenticates with HTTP Basic only, and a failure is a 401.
    pub basic_auth_only: bool,
    /// Xero custom connections: a confidential client may use `client_credentials`.
    pub client_credentials: bool,
    /// Intuit hands out a refresh token with every grant; the others only for a scope that
    /// asks for one (`refresh_scopes`).
    pub always_refresh: bool,
    /// Scopes that earn a refresh token: Xero's `offline_access`; Salesforce's
    /// `refresh_token` (or its synonym `offline_access`).
    pub refresh_scopes: &'static [&'static str],
    /// Intuit: revoking an access token ends the whole grant, as a refresh token does.
    pub access_revokes_grant: bool,
    pub access_prefix: &'static str,
    pub refresh_prefix: &'static str,
    pub calls: CallKeys,
}

impl Profile {
    /// `Some(None)` for a registered public client, `Some(Some(secret))` for a confidential
    /// one, `None` for a client this server does not know.
    pub fn secret_of(&self, client_id: &str) -> Option<Option<&'static str>> {
        self.clients
            .iter()
            .find(|c| c.id == client_id)
            .map(|c| c.secret)
    }

    /// Whether a grant for `scope` comes with a refresh token.
    pub fn grants_refresh(&self, scope: &str) -> bool {
        self.always_refresh
            || scope
                .split_whitespace()
                .any(|s| self.refresh_scopes.contains(&s))
    }

    /// (access token, refresh token) lifetimes under the current settings.
    pub fn lifetimes(&self, settings: &Settings) -> (Duration, Duration) {
        match self.platform {
            Platform::Xero => (settings.access_token_ttl, settings.refresh_token_ttl),
            Platform::QuickBooks => (
                settings.quickbooks_access_token_ttl,
                settings.quickbooks_refresh_token_ttl,
            ),
            Platform::Salesforce => (SESSION_TIMEOUT, REFRESH_TOKEN_LIFETIME),
            Platform::Slack => (crate::slack::TOKEN_LIFETIME, Duration::ZERO),
        }
    }
}

/// The scope a QuickBooks Online authorization must ask for.
pub const QUICKBOOKS_SCOPE: &str = "com.intuit.quickbooks.accounting";

pub static XERO: Profile = Profile {
    platform: Platform::Xero,
    decision_path: "/xero/identity/connect/authorize/decision",
    clients: &[
        Client {
            id: CLIENT_ID,
            secret: None,
        },
        Client {
            id: CONFIDENTIAL_CLIENT_ID,
            secret: Some(CONFIDENTIAL_CLIENT_SECRET),
        },
    ],
    custom_scheme_redirect: true,
    https_redirects: false,
    response_type_required: true,
    pkce_required: true,
    required_scope: None,
    basic_auth_only: false,
    client_credentials: true,
    always_refresh: false,
    refresh_scopes: &["offline_access"],
    access_revokes_grant: false,
    access_prefix: "sbx_at_",
    refresh_prefix: "sbx_rt_",
    calls: CallKeys {
        authorize: "GET /authorize",
        decision: "POST /authorize/decision",
        token: "POST /token",
        revoke: "POST /revocation",
    },
};

pub static QUICKBOOKS: Profile = Profile {
    platform: Platform::QuickBooks,
    decision_path: "/quickbooks/oauth2/authorize/decision",
    clients: &[Client {
        id: QUICKBOOKS_CLIENT_ID,
        secret: Some(QUICKBOOKS_CLIENT_SECRET),
    }],
    custom_scheme_redirect: false,
    https_redirects: false,
    response_type_required: true,
    pkce_required: false,
    required_scope: Some(QUICKBOOKS_SCOPE),
    basic_auth_only: true,
    client_credentials: false,
    always_refresh: true,
    refresh_scopes: &[],
    access_revokes_grant: true,
    access_prefix: "sbx_qbat_",
    refresh_prefix: "sbx_qbrt_",
    calls: CallKeys {
        authorize: "GET /quickbooks/authorize",
        decision: "POST /quickbooks/authorize/decision",
        token: "POST /quickbooks/tokens/bearer",
        revoke: "POST /quickbooks/tokens/revoke",
    },
};

/// Salesforce's (login.salesforce.com) for the Net Zero Cloud org: the web-server flow with
/// PKCE, a connected app holding a secret (in the form or by HTTP Basic), loopback and
/// deep-link callbacks. Its token and revocation answers are Salesforce-shaped and live with
/// the stand-in (`salesforce::oauth`).
pub static SALESFORCE: Profile = Profile {
    platform: Platform::Salesforce,
    decision_path: "/salesforce/services/oauth2/authorize/decision",
    clients: &[Client {
        id: SALESFORCE_CLIENT_ID,
        secret: Some(SALESFORCE_CLIENT_SECRET),
    }],
    custom_scheme_redirect: true,
    https_redirects: false,
    response_type_required: true,
    pkce_required: true,
    required_scope: None,
    basic_auth_only: false,
    client_credentials: false,
    always_refresh: false,
    refresh_scopes: &["refresh_token", "offline_access"],
    // Salesforce: revoking an access token ends that token only; a refresh token takes its
    // access tokens with it.
    access_revokes_grant: false,
    // Salesforce access tokens start with the org id and `!`; refresh tokens with `5Aep`.
    access_prefix: "00D8d0000004SbX!",
    refresh_prefix: "5Aep861",
    calls: CallKeys {
        authorize: "GET /salesforce/authorize",
        decision: "POST /salesforce/authorize/decision",
        token: "POST /salesforce/token",
        revoke: "POST /salesforce/revoke",
    },
};

/// Slack's (slack.com/oauth/v2/authorize and the `oauth.v2.access` method): one app holding a
/// secret (in the form or by HTTP Basic), redirects to `https://` only (loopback `http://` is
/// let through because the sandbox itself runs there), PKCE verified when the request sent a
/// challenge, and a bot token that does not expire (Slack's default without token rotation),
/// with no refresh token. Revoking the token (`auth.revoke`) ends the install's grant.
pub static SLACK: Profile = Profile {
    platform: Platform::Slack,
    decision_path: "/slack/oauth/v2/authorize/decision",
    clients: &[Client {
        id: crate::slack::CLIENT_ID,
        secret: Some(crate::slack::CLIENT_SECRET),
    }],
    custom_scheme_redirect: false,
    https_redirects: true,
    response_type_required: false,
    pkce_required: false,
    required_scope: None,
    basic_auth_only: false,
    client_credentials: false,
    always_refresh: false,
    refresh_scopes: &[],
    access_revokes_grant: true,
    // Slack bot tokens start `xoxb-`; the sandbox marks its own with `sandbox-` instead of
    // real workspace and bot ids, so no scanner takes one for a leaked token.
    access_prefix: "xoxb-sandbox-",
    refresh_prefix: "xoxe-1-",
    calls: CallKeys {
        authorize: "GET /slack/authorize",
        decision: "POST /slack/authorize/decision",
        token: "POST /slack/oauth.v2.access",
        revoke: "POST /slack/auth.revoke",
    },
};

pub fn profile_of(platform: Platform) -> &'static Profile {
    match platform {
        Platform::Xero => &XERO,
        Platform::QuickBooks => &QUICKBOOKS,
        Platform::Salesforce => &SALESFORCE,
        Platform::Slack => &SLACK,
    }
}
