//! How a sandbox is configured when it starts. Some of these values can be changed later
//! through the control API (see `settings.rs`); the options are only the starting point.

use std::path::PathBuf;
use std::time::Duration;

/// CarbonSync itself, registered as a public client (no secret), as a desktop app must be.
pub const CLIENT_ID: &str = "carbonsync-sandbox";

/// A confidential client (a Xero "web app" or custom connection, which hold a client secret):
/// it authenticates with its secret at the token and revocation endpoints, by HTTP Basic or in
/// the form, and may use the client-credentials grant. The secret is the sandbox's own test
/// value, published here on purpose; a real secret never appears in code.
pub const CONFIDENTIAL_CLIENT_ID: &str = "carbonsync-sandbox-web";
/// See [`CONFIDENTIAL_CLIENT_ID`].
pub const CONFIDENTIAL_CLIENT_SECRET: &str = "sandbox-web-app-secret";

/// The QuickBooks Online app (a confidential client of the sandbox's Intuit-shaped
/// authorization server under `/quickbooks/oauth2`): it authenticates with HTTP Basic
/// (`client_id:client_secret`) at the token and revocation endpoints, as Intuit requires. The
/// secret is the sandbox's own test value, published here on purpose; a real secret never
/// appears in code.
pub const QUICKBOOKS_CLIENT_ID: &str = "carbonsync-sandbox-quickbooks";
/// See [`QUICKBOOKS_CLIENT_ID`].
pub const QUICKBOOKS_CLIENT_SECRET: &str = "sandbox-quickbooks-secret";

/// The client CarbonSync signs in with to the stand-in for `platform` (its catalogue id): the
/// id and, for a platform whose apps all hold a secret (QuickBooks), that secret. Platforms
/// without a stand-in of their own get the public client.
pub fn registered_client(platform: &str) -> (&'static str, Option<&'static str>) {
    match platform {
        "quickbooks" => (QUICKBOOKS_CLIENT_ID, Some(QUICKBOOKS_CLIENT_SECRET)),
        "salesforce" => (
            crate::salesforce::CLIENT_ID,
            Some(crate::salesforce::CLIENT_SECRET),
        ),
        // Slack apps are confidential clients: `oauth.v2.access` takes the secret.
        "slack" => (crate::slack::CLIENT_ID, Some(crate::slack::CLIENT_SECRET)),
        _ => (CLIENT_ID, None),
    }
}

/// Whether the stand-in for `platform` sends a sign-in back to `carbonsync://` (the deep link a
/// desktop app prefers). The QuickBooks stand-in does not, as Intuit registers no custom scheme:
/// its sign-ins come back to a loopback port, in the window too. Nor does Slack's, which
/// redirects to `https://` only (an https bounce page forwards to the deep link; the sandbox
/// serves one at `/bounce/`).
pub fn accepts_deep_link(platform: &str) -> bool {
    !matches!(platform, "quickbooks" | "slack")
}

/// Environment variable that, set to `1`, makes the default options skip the consent page.
pub const AUTO_APPROVE_ENV: &str = "CARBONSYNC_SANDBOX_AUTO_APPROVE";

/// A per-tenant call budget: at most `calls` served within any `window`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub calls: u32,
    pub window: Duration,
}

impl RateLimit {
    /// Xero's published per-tenant minute limit.
    pub fn xero_minute() -> Self {
        RateLimit {
            calls: 60,
            window: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Seed of the generated company: the same seed always yields byte-identical records.
    pub seed: u64,
    /// Bank transactions plus invoices per organisation, fixtures included (a tiny size still
    /// holds every fixture). Credit notes come on top, about one per hundred invoices.
    pub records_per_org: usize,
    /// Per-tenant rate limit on Xero's Accounting API; `None` switches it off, and with it
    /// the QuickBooks limits (500 calls a minute and 10 at once per realm) the sandbox
    /// otherwise starts with (the `quickbooks_rate_limit` setting).
    pub rate_limit: Option<RateLimit>,
    /// Skip the consent page and answer the authorize request with a code at once.
    pub auto_approve: bool,
    /// Where grants, tokens, settings and record changes are kept between runs (rewritten
    /// atomically after each change). Settings saved there take precedence over the options
    /// above on the next start; saved record changes are replayed only onto data generated
    /// with the same seed and size.
    pub state_path: Option<PathBuf>,
    /// Xero's token lifetimes; QuickBooks tokens have their own settings
    /// (`quickbooks_access_token_ttl_secs`, `quickbooks_refresh_token_ttl_secs`).
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub code_ttl: Duration,
    /// Size of the generated cloud estates (AWS, Azure, Google Cloud).
    pub cloud_scale: crate::cloud::estate::CloudScale,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            seed: 2024,
            records_per_org: 2500,
            rate_limit: Some(RateLimit::xero_minute()),
            auto_approve: std::env::var(AUTO_APPROVE_ENV).is_ok_and(|v| v == "1"),
            state_path: None,
            access_token_ttl: Duration::from_secs(30 * 60),
            refresh_token_ttl: Duration::from_secs(60 * 24 * 60 * 60),
            code_ttl: Duration::from_secs(60),
            cloud_scale: crate::cloud::estate::CloudScale::default(),
        }
    }
}
