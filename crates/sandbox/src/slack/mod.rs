//! A stand-in for Slack: the OAuth v2 install flow, the Web API methods a notifier uses,
//! incoming webhooks, the two-step file upload and the interaction client that posts button
//! clicks to an app's Request URL, for one workspace, "Harbour & Pine" ([`TEAM_ID`]).
//!
//! Paths (Slack's own, under `/slack`):
//! - `GET /slack/oauth/v2/authorize` (slack.com/oauth/v2/authorize): `client_id`, `scope`
//!   (comma-separated bot scopes), `redirect_uri` (https only; loopback http let through),
//!   `state`, optional `code_challenge` + `code_challenge_method=S256`; the sandbox's shared
//!   consent page (or auto-approve), then `redirect_uri?code=…&state=…`, or
//!   `?error=access_denied&state=…` when the user cancels. A refused `redirect_uri` is an
//!   error page (400, "bad_redirect_uri"), never a redirect.
//! - `GET|POST /slack/api/{method}` (slack.com/api/{method}): the Web API. Arguments come in
//!   the query, a form body, a multipart body, or a JSON body (`Content-Type:
//!   application/json`); the token as `Authorization: Bearer xoxb-…` (or `token` in a form or
//!   the query). Every answer is HTTP 200 with `{"ok": true, …}` or `{"ok": false, "error":
//!   "<code>"}`, except a rate limit (429, `Retry-After`, `{"ok":false,"error":"ratelimited"}`)
//!   and an unknown method (404, `unknown_method`). Methods: `api.test`, `auth.test`,
//!   `auth.revoke`, `oauth.v2.access`, `conversations.list`, `conversations.info`,
//!   `chat.postMessage`, `chat.update`, `files.getUploadURLExternal`,
//!   `files.completeUploadExternal`.
//! - `POST /slack/upload/{opaque}` (files.slack.com/upload/v1/…): the bytes of a file, raw or
//!   as one multipart file part; answers `OK - <length>`.
//! - `POST /slack/hooks/{team}/{hook}/{secret}` (hooks.slack.com/services/…): incoming
//!   webhooks, one per channel, their secret derived from the seed (`hooks.rs`).
//! - `POST /slack/actions/{opaque}`: a `response_url` handed out with a button click.
//!
//! Test controls live under `/_control/slack` (`control.rs`). Messages received, archived
//! channels, disabled hooks and revoked tokens are kept in the state file (grants and tokens
//! with the other platforms'); uploaded bytes last as long as the process.

mod api;
mod args;
mod blocks;
/// The workspace's fixed channel directory.
pub(crate) mod channels;
mod control;
/// Incoming webhooks and their seed-derived URLs.
pub(crate) mod hooks;
mod interact;
mod oauth;
mod pace;
mod store;
mod upload;

use std::time::Duration;

use axum::http::{header, HeaderMap};
use axum::routing::{any, get, post};
use axum::Router;

use crate::app::AppState;

pub use store::{SlackSaved, SlackShared};

/// The Slack app CarbonSync installs (a confidential client: `oauth.v2.access` takes its
/// secret in the form or by HTTP Basic). Shaped like Slack's client ids (two numbers joined by
/// a dot). The secret is the sandbox's own test value, published here on purpose; a real
/// secret never appears in code.
pub const CLIENT_ID: &str = "7100000000001.7100000000003";
/// See [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "sandbox-slack-secret";
/// The app's signing secret: the interaction client signs each request it sends with it
/// (`X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))`, Slack's docs:
/// "Verifying requests from Slack"). A published sandbox test value (32 hex characters, as
/// Slack's are), never a real one.
pub const SIGNING_SECRET: &str = "5a7c0e1d9b3f4a6c8e2d0b1f3a5c7e9d";
/// The legacy verification token every interaction payload carries as `token` (deprecated
/// by Slack in favour of signatures; sent so a client can see it ignores it).
pub const VERIFICATION_TOKEN: &str = "sandboxverificationtoken";

/// The one workspace.
pub const TEAM_ID: &str = "T0SANDBOX01";
/// The workspace's name.
pub const TEAM_NAME: &str = "Harbour & Pine";
/// The workspace's domain (`harbourandpine.slack.com`).
pub const TEAM_DOMAIN: &str = "harbourandpine";
/// The app's id (`api_app_id` in payloads).
pub const APP_ID: &str = "A0SANDBOX01";
/// The app's bot user.
pub const BOT_USER_ID: &str = "U0SANDBOXBOT";
/// The app's bot id (`bot_id` on the messages it posts).
pub const BOT_ID: &str = "B0SANDBOX01";
/// The person who installs the app and clicks its buttons.
pub const USER_ID: &str = "U0SANDBOX01";
/// That person's handle.
pub const USER_NAME: &str = "alex.morgan";

/// Bot tokens do not expire at Slack unless the app turns token rotation on (Slack's docs:
/// "Using token rotation"); a century stands for never.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The Web API's root: a client's `api_base` is `{sandbox}/slack/api`.
pub const API_PATH: &str = "/slack/api";

/// Every Slack route: authorize and consent, the Web API, uploads, incoming webhooks,
/// response URLs and the controls.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/slack/oauth/v2/authorize",
            get(crate::auth::slack_authorize),
        )
        .route(
            "/slack/oauth/v2/authorize/decision",
            post(crate::auth::slack_decision),
        )
        .route(&format!("{API_PATH}/{{method}}"), any(api::web_api))
        .route("/slack/upload/{opaque}", post(upload::upload))
        .route("/slack/hooks/{team}/{hook}/{secret}", post(hooks::incoming))
        .route("/slack/actions/{opaque}", post(interact::response_url))
        .merge(control::routes())
}

/// `http://<the Host the client used>`: URLs the stand-in hands out (upload URLs, webhook
/// URLs, response URLs) point back at the sandbox however it was reached.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, as the control API reports times: RFC 3339 UTC to the millisecond.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Compares two strings in constant time.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether `bytes` start with the PNG signature (PNG spec, §5.2).
pub(crate) fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a])
}
