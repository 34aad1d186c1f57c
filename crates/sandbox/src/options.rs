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
    /// Per-tenant rate limit on the Accounting API; `None` switches it off.
    pub rate_limit: Option<RateLimit>,
    /// Skip the consent page and answer the authorize request with a code at once.
    pub auto_approve: bool,
    /// Where grants, tokens, settings and record changes are kept between runs (rewritten
    /// atomically after each change). Settings saved there take precedence over the options
    /// above on the next start; saved record changes are replayed only onto data generated
    /// with the same seed and size.
    pub state_path: Option<PathBuf>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub code_ttl: Duration,
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
        }
    }
}
