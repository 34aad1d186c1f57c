//! `oauth.v2.access` (Slack's docs: "Installing with OAuth", oauth.v2.access): the code from
//! the install redirect for a bot token. The client proves itself with `client_id` and
//! `client_secret` in the form or by HTTP Basic. Like every Web API method it answers HTTP 200,
//! errors included:
//!
//! ```json
//! {"ok": true, "app_id": "A0SANDBOX01", "authed_user": {"id": "U0SANDBOX01"},
//!  "scope": "chat:write,channels:read,files:write", "token_type": "bot",
//!  "access_token": "xoxb-…", "bot_user_id": "U0SANDBOXBOT",
//!  "team": {"id": "T0SANDBOX01", "name": "Harbour & Pine"}, "enterprise": null,
//!  "is_enterprise_install": false}
//! ```
//!
//! Errors: `invalid_client_id`, `bad_client_secret`, `invalid_code` (unknown, used, expired,
//! another client's, or a `code_verifier` that does not match the challenge sent),
//! `bad_redirect_uri` (not the one the authorize request named), `invalid_grant_type`.
//! With the `incoming-webhook` scope the answer also carries `incoming_webhook` for
//! `#esg-reports` (the channel a person would pick on Slack's page).

use axum::http::{header, HeaderMap};
use axum::response::Response;
use serde_json::json;

use super::api::{fail, ok};
use super::args::Call;
use super::channels::ESG_REPORTS;
use super::{hooks, APP_ID, BOT_USER_ID, TEAM_ID, TEAM_NAME, TOKEN_LIFETIME, USER_ID};
use crate::app::AppState;
use crate::auth::clients::authenticate_on;
use crate::auth::pkce;
use crate::auth::profile::{Platform, SLACK};
use crate::clock::now_ms;

/// `oauth.v2.access`: see the module docs for the answers.
pub fn access(app: &AppState, headers: &HeaderMap, call: &Call) -> Response {
    app.count_call(SLACK.calls.token);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // A bearer token is not client authentication.
        .filter(|v| v.trim_start().to_ascii_lowercase().starts_with("basic "));
    let (form_id, form_secret) = (call.str("client_id"), call.str("client_secret"));
    let client_id = match authenticate_on(
        &SLACK,
        authorization,
        form_id.as_deref(),
        form_secret.as_deref(),
    ) {
        Ok(id) => id,
        Err((_, "unknown client_id" | "client_id is required")) => {
            return fail("invalid_client_id")
        }
        Err(_) => return fail("bad_client_secret"),
    };
    match call.str("grant_type").as_deref() {
        None | Some("authorization_code") => {}
        // The install has no token rotation, so there is no refresh token to spend.
        Some("refresh_token") => return fail("invalid_refresh_token"),
        Some(_) => return fail("invalid_grant_type"),
    }
    let Some(code) = call.str("code") else {
        return fail("invalid_code");
    };
    let now = now_ms();
    let issued = {
        let mut auth = app.auth();
        let Ok(request) = auth.take_code(&code, now) else {
            return fail("invalid_code");
        };
        if request.client_id != client_id {
            return fail("invalid_code");
        }
        if call.str("redirect_uri").as_deref() != Some(request.redirect_uri.as_str()) {
            return fail("bad_redirect_uri");
        }
        if !request.code_challenge.is_empty()
            && !call
                .str("code_verifier")
                .is_some_and(|v| pkce::verify(&v, &request.code_challenge))
        {
            return fail("invalid_code");
        }
        let grant =
            auth.create_grant_on(Platform::Slack, &client_id, &request.scope, &[], &[], now);
        auth.issue_tokens(grant.id, TOKEN_LIFETIME, std::time::Duration::ZERO, now)
    };
    let Some(tokens) = issued else {
        return fail("invalid_code");
    };
    app.stats().tokens_issued += 1;
    app.persist();
    tracing::info!("Slack install: code exchanged for a bot token");
    let mut body = json!({
        "app_id": APP_ID,
        "authed_user": {"id": USER_ID},
        "scope": tokens.scope,
        "token_type": "bot",
        "access_token": tokens.access_token,
        "bot_user_id": BOT_USER_ID,
        "team": {"id": TEAM_ID, "name": TEAM_NAME},
        "enterprise": null,
        "is_enterprise_install": false,
    });
    if tokens
        .scope
        .split([',', ' '])
        .any(|s| s == "incoming-webhook")
    {
        let slack = app.slack.lock();
        if let Some(channel) = slack.channel(ESG_REPORTS) {
            body["incoming_webhook"] = json!({
                "channel": format!("#{}", channel.name),
                "channel_id": channel.id,
                "configuration_url": format!("https://{}.slack.com/services/{}", super::TEAM_DOMAIN, hooks::hook_id(app.slack.seed, &channel.id)),
                "url": hooks::url(&super::base_url(headers), app.slack.seed, &channel.id),
            });
        }
    }
    ok(call, body)
}
