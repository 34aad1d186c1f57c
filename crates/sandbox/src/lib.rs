//! A local stand-in for Xero and QuickBooks Online: a real HTTP server with each platform's
//! OAuth authorization server and Accounting API shapes, serving realistic generated
//! companies. Tests and first-time users can connect, sync and compute emissions without a
//! network or an account at either.
//!
//! ```no_run
//! # async fn demo() -> Result<(), carbonsync_sandbox::SandboxError> {
//! let sandbox = carbonsync_sandbox::start(
//!     carbonsync_sandbox::SandboxOptions::default(),
//!     "127.0.0.1:0".parse().unwrap(),
//! )
//! .await?;
//! println!("authorize at {}/xero/identity/connect/authorize", sandbox.base_url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Xero paths: `/xero/identity/connect/{authorize,token,revocation}`, `/xero/api/connections`,
//! `/xero/api/api.xro/2.0/{Organisation,Accounts,BankTransactions,Invoices,CreditNotes}`.
//!
//! QuickBooks Online paths: `/quickbooks/oauth2/authorize`,
//! `/quickbooks/oauth2/v1/tokens/{bearer,revoke}`, and under
//! `/quickbooks/v3/company/{realmId}`: `companyinfo/{realmId}`, `preferences`,
//! `query?query=…` and `cdc?entities=…&changedSince=…`, for the one company
//! [`QUICKBOOKS_REALM_ID`] (built on first use, so a sandbox used only for Xero costs no more).
//!
//! Slack (`/slack/…`: OAuth v2, the Web API, incoming webhooks, file uploads and a signed
//! interaction client, see the `slack` module) and Microsoft Teams (`/teams/workflows/…`: a
//! Power Automate "When a Teams webhook request is received" workflow, see the `teams`
//! module) are stood in for too, for the messages CarbonSync sends. `GET /bounce/` serves the
//! repository's https bounce page (`web/oauth-bounce/index.html`), Slack's redirect target in
//! tests.
//!
//! The unauthenticated test controls live under `/_control` (described in the crate's README).

mod app;
mod auth;
mod clock;
mod cloud;
mod company;
mod control;
mod faults;
mod limits;
mod options;
mod quickbooks;
mod salesforce;
mod settings;
mod signing;
mod slack;
mod state;
mod stats;
mod teams;
mod webhooks;
mod xero;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::{from_fn, Next};
use axum::response::{Html, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use cloud::credentials as cloud_credentials;
pub use cloud::estate::CloudScale;
pub use company::{UK_TENANT_ID, US_TENANT_ID};
pub use options::{
    accepts_deep_link, registered_client, RateLimit, SandboxOptions, AUTO_APPROVE_ENV, CLIENT_ID,
    CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, QUICKBOOKS_CLIENT_ID,
    QUICKBOOKS_CLIENT_SECRET,
};
/// The QuickBooks company's name, "Cedar & Finch Trading Co.".
pub use quickbooks::COMPANY_NAME as QUICKBOOKS_COMPANY_NAME;
/// The QuickBooks company's realm id (Intuit's company id), `9341453050090071`.
pub use quickbooks::REALM_ID as QUICKBOOKS_REALM_ID;
pub use webhooks::webhook_key;

/// `#esg-reports`' channel id (the bot is a member).
pub use slack::channels::ESG_REPORTS as SLACK_ESG_REPORTS_CHANNEL;
/// `#finance`'s channel id (the bot is a member).
pub use slack::channels::FINANCE as SLACK_FINANCE_CHANNEL;
/// `#old-projects`' channel id (archived: `is_archived`).
pub use slack::channels::OLD_PROJECTS as SLACK_ARCHIVED_CHANNEL;
/// `#random`'s channel id (the bot is not a member: `not_in_channel`).
pub use slack::channels::RANDOM as SLACK_RANDOM_CHANNEL;
/// The Slack Web API's path under the sandbox's base URL (`{base}/slack/api`).
pub use slack::API_PATH as SLACK_API_PATH;
/// The Slack app's client id (a confidential client; see [`SLACK_CLIENT_SECRET`]).
pub use slack::CLIENT_ID as SLACK_CLIENT_ID;
/// The Slack app's client secret, a published sandbox test value.
pub use slack::CLIENT_SECRET as SLACK_CLIENT_SECRET;
/// The Slack app's signing secret, a published sandbox test value: interaction requests are
/// signed `v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))`.
pub use slack::SIGNING_SECRET as SLACK_SIGNING_SECRET;
/// The Slack workspace's id, `T0SANDBOX01` ("Harbour & Pine").
pub use slack::TEAM_ID as SLACK_TEAM_ID;
/// The Slack workspace's name, "Harbour & Pine".
pub use slack::TEAM_NAME as SLACK_TEAM_NAME;

/// The incoming-webhook URL of a Slack channel (by id) under a sandbox base URL: the same
/// for the same seed, so it can be given out before the sandbox starts.
pub fn slack_webhook_url(base_url: &str, seed: u64, channel_id: &str) -> String {
    slack::hooks::url(base_url, seed, channel_id)
}

/// The default Teams workflow's id (32 hex digits, derived from the seed).
pub fn teams_default_workflow_id(seed: u64) -> String {
    teams::default_workflow_id(seed)
}

/// The trigger URL of a Teams workflow under a sandbox base URL, as Power Automate writes it
/// (`…/triggers/manual/paths/invoke?api-version=2016-06-01&sp=…&sv=1.0&sig=…`).
pub fn teams_workflow_url(base_url: &str, seed: u64, workflow_id: &str) -> String {
    teams::workflow_url(base_url, seed, workflow_id)
}

use app::{AppState, Shared};
use company::Company;

/// How long `shutdown` waits for open connections to finish before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the sandbox state file {path} could not be read: {reason}")]
    State { path: PathBuf, reason: String },
    #[error("generating the sandbox company failed: {0}")]
    Generate(String),
}

/// A running sandbox. Dropping the handle also stops the server (gracefully), so a test
/// cannot leak one; keep it alive for as long as the sandbox is needed.
pub struct SandboxHandle {
    base_url: String,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:41234`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting connections, lets requests in flight finish (up to a grace period),
    /// and returns once the server task has ended.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                tracing::warn!("sandbox connections did not close in time; aborting them");
                task.abort();
                let _ = task.await;
            }
        }
        tracing::info!(base_url = %self.base_url, "sandbox stopped");
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Generates the Xero organisations, restores `state_path` if there is one, binds `addr` (use
/// `127.0.0.1:0` for an ephemeral port) and serves on a spawned task. The QuickBooks company
/// is generated on its first use.
pub async fn start(opts: SandboxOptions, addr: SocketAddr) -> Result<SandboxHandle, SandboxError> {
    let saved = match &opts.state_path {
        Some(path) => state::load(path).map_err(|reason| SandboxError::State {
            path: path.clone(),
            reason,
        })?,
        None => None,
    };

    let (seed, size) = (opts.seed, opts.records_per_org);
    let started = Instant::now();
    // CPU-bound (up to seconds for a million records per organisation): keep it off the
    // async workers.
    let company = tokio::task::spawn_blocking(move || Company::generate(seed, size))
        .await
        .map_err(|e| SandboxError::Generate(e.to_string()))?;
    tracing::debug!(seed, records_per_org = size, elapsed = ?started.elapsed(), "sandbox company generated");

    let shared = Arc::new(Shared::new(opts, company));
    if let Some(file) = saved {
        shared.restore(file);
    }

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { addr, source })?;
    // A wildcard bind is reachable on loopback, and a URL needs a concrete host.
    let url_ip = if local.ip().is_unspecified() {
        match local {
            SocketAddr::V4(_) => std::net::IpAddr::from([127, 0, 0, 1]),
            SocketAddr::V6(_) => std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        }
    } else {
        local.ip()
    };
    let base_url = format!("http://{}", SocketAddr::new(url_ip, local.port()));

    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(shared);
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // Also fires when the handle is dropped (the sender goes away).
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "sandbox server failed");
        }
    });
    tracing::info!(%base_url, "sandbox listening (a local stand-in for Xero and QuickBooks Online)");
    Ok(SandboxHandle {
        base_url,
        port: local.port(),
        stop: Some(stop),
        task: Some(task),
    })
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .merge(auth::routes())
        .merge(xero::routes(state.clone()))
        .merge(quickbooks::routes(state.clone()))
        .merge(salesforce::routes(state.clone()))
        .merge(control::routes())
        .merge(quickbooks::control::routes())
        .merge(cloud::routes())
        .merge(webhooks::routes())
        .merge(slack::routes())
        .merge(teams::routes())
        .route("/bounce/", get(bounce))
        .layer(from_fn(log_request))
        .with_state(state)
}

/// Logs method, path and status only: queries and bodies can carry codes and tokens.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), elapsed = ?started.elapsed(), "sandbox request");
    response
}

/// The repository's https bounce page, served as is: a test names `{base}/bounce/` as
/// Slack's redirect address, and the page forwards the answer to `carbonsync://`.
const BOUNCE_PAGE: &str = include_str!("../../../web/oauth-bounce/index.html");

/// `GET /bounce/`
async fn bounce() -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        BOUNCE_PAGE,
    )
        .into_response()
}

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>CarbonSync sandbox</title></head><body>",
        "<h1>CarbonSync sandbox</h1>",
        "<p>A local stand-in for Xero and QuickBooks Online, not the real services. Point ",
        "CarbonSync at this address to connect to two generated Xero organisations and one ",
        "QuickBooks company without an account at either.</p>",
        "<h2>Xero</h2>",
        "<ul><li><code>/xero/identity/connect/authorize</code>, <code>/token</code>, ",
        "<code>/revocation</code></li>",
        "<li><code>/xero/api/connections</code></li>",
        "<li><code>/xero/api/api.xro/2.0/Organisation</code>, <code>/Accounts</code>, ",
        "<code>/BankTransactions</code>, <code>/Invoices</code>, <code>/CreditNotes</code></li></ul>",
        "<h2>QuickBooks Online</h2>",
        "<ul><li><code>/quickbooks/oauth2/authorize</code>, ",
        "<code>/quickbooks/oauth2/v1/tokens/bearer</code>, ",
        "<code>/quickbooks/oauth2/v1/tokens/revoke</code></li>",
        "<li><code>/quickbooks/v3/company/9341453050090071/companyinfo/9341453050090071</code>, ",
        "<code>/preferences</code>, <code>/query?query=SELECT * FROM Purchase</code>, ",
        "<code>/cdc?entities=Purchase,Bill,VendorCredit&amp;changedSince=…</code></li></ul>",
        "<h2>Slack</h2>",
        "<ul><li><code>/slack/oauth/v2/authorize</code></li>",
        "<li><code>/slack/api/chat.postMessage</code>, <code>/conversations.list</code>, ",
        "<code>/files.getUploadURLExternal</code>, <code>/files.completeUploadExternal</code>, ",
        "<code>/oauth.v2.access</code>, <code>/auth.revoke</code></li>",
        "<li><code>/slack/hooks/T0SANDBOX01/…</code> (incoming webhooks)</li></ul>",
        "<h2>Microsoft Teams</h2>",
        "<ul><li><code>/teams/workflows/{id}/triggers/manual/paths/invoke</code> ",
        "(Power Automate workflow webhooks)</li></ul>",
        "<h2>For tests</h2>",
        "<ul><li><code>/_control/stats</code>, <code>/_control/settings</code>, ",
        "<code>/_control/quickbooks/records/change</code>, <code>/_control/slack/messages</code>, ",
        "<code>/_control/teams/messages</code></li></ul>",
        "</body></html>"
    ))
}
