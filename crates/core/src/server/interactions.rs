//! Button clicks in chat messages: Slack's interaction requests to `/interactions/slack`.
//!
//! A request is verified first (`X-Slack-Signature` under the signing secret kept with
//! `carbonsync webhook-key slack`, timestamp within five minutes) and remembered so that a
//! replay starts nothing; it is answered 200 at once (Slack wants an answer within three
//! seconds), then the sync runs and the message is replaced, through the `response_url`
//! Slack gave, with the sync's result. Logs name the action and the connection, never the
//! payload or the `response_url` (which is itself a credential).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use carbonsync_providers::notifier::{Alert, AlertKind};
use carbonsync_providers::slack::signature::{self, SignatureProblem};
use carbonsync_providers::{CallMeter, RetryPolicy};
use carbonsync_sync::{SyncOptions, Trigger};
use serde::Deserialize;
use std::sync::Arc;

use super::webhooks::Receiver;
use crate::App;

/// The `action_id` of the "Retry sync" button.
pub const RETRY_ACTION: &str = "retry_sync";

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default)]
    response_url: Option<String>,
    #[serde(default)]
    user: Option<User>,
}

#[derive(Deserialize)]
struct Action {
    action_id: String,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

pub(super) async fn slack(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let keys = r.keys().await;
    let Some(secret) = keys.get("slack") else {
        tracing::warn!(
            "Slack interaction refused: no signing secret is stored (carbonsync webhook-key slack)"
        );
        return (StatusCode::UNAUTHORIZED, "");
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verified = signature::verify(
        secret.expose().as_bytes(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        chrono::Utc::now().timestamp(),
    );
    if let Err(problem) = verified {
        tracing::warn!("Slack interaction refused: {problem}");
        return match problem {
            SignatureProblem::Missing | SignatureProblem::Mismatch | SignatureProblem::Stale => {
                (StatusCode::UNAUTHORIZED, "")
            }
        };
    }
    // A verified request sent again (a replay within the five minutes) starts nothing.
    let key = carbonsync_providers::webhook::event_digest(&[
        header("x-slack-request-timestamp").unwrap_or_default(),
        header("x-slack-signature").unwrap_or_default(),
    ]);
    let app = r.app.clone();
    let first = tokio::task::spawn_blocking(move || {
        let fresh = app.store()?.first_seen_webhook_events(
            "slack-interaction",
            &[(key, String::new())],
            chrono::Utc::now().timestamp_millis(),
        )?;
        Ok::<_, crate::AppError>(fresh)
    })
    .await;
    match first {
        Ok(Ok(fresh)) if fresh.is_empty() => {
            tracing::info!("Slack interaction seen before; ignored");
            return (StatusCode::OK, "");
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!("Slack interaction not recorded: {}", e.message);
            return (StatusCode::SERVICE_UNAVAILABLE, "");
        }
        Err(e) => {
            tracing::error!("Slack interaction handling stopped: {e}");
            return (StatusCode::INTERNAL_SERVER_ERROR, "");
        }
    }
    let payload = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "payload")
        .and_then(|(_, v)| serde_json::from_str::<Payload>(&v).ok());
    let Some(payload) = payload else {
        tracing::warn!("Slack interaction refused: no readable payload");
        return (StatusCode::BAD_REQUEST, "");
    };
    if payload.kind != "block_actions" {
        tracing::info!(
            kind = payload.kind,
            "Slack interaction of another kind; answered"
        );
        return (StatusCode::OK, "");
    }
    let Some(action) = payload.actions.iter().find(|a| a.action_id == RETRY_ACTION) else {
        tracing::info!("Slack interaction with no action of CarbonSync's; answered");
        return (StatusCode::OK, "");
    };
    let Some(connection_id) = action.value.as_deref().and_then(|v| v.parse::<i64>().ok()) else {
        tracing::warn!("Slack interaction refused: the button names no connection");
        return (StatusCode::BAD_REQUEST, "");
    };
    let who = payload
        .user
        .as_ref()
        .and_then(|u| u.username.clone().or(u.name.clone()))
        .unwrap_or_else(|| "someone".into());
    tracing::info!(
        connection = connection_id,
        "Retry sync clicked in Slack; syncing"
    );
    let app = r.app.clone();
    tokio::spawn(retry(app, connection_id, who, payload.response_url));
    (StatusCode::OK, "")
}

/// Runs the sync the button asked for, replaces the message with its result, then checks
/// alerts (a sync that worked resolves the incident and says so).
async fn retry(app: Arc<App>, connection_id: i64, who: String, response_url: Option<String>) {
    let outcome = match app
        .sync(connection_id, &SyncOptions::new(Trigger::Chat))
        .await
    {
        Ok(report) => format!(
            "{who} asked for a sync from Slack: it succeeded ({} records fetched, {} created, {} updated).",
            report.counts.fetched, report.counts.created, report.counts.updated
        ),
        Err(e) => format!("{who} asked for a sync from Slack: it failed again. {}", e.message),
    };
    if let Some(url) = response_url {
        let alert = match app.connection(connection_id) {
            Ok(c) => Alert {
                incident_id: 0,
                kind: AlertKind::SyncFailed,
                resolved: false,
                connection_id,
                connection: app.connection_label(&c),
                what: c.last_error.clone().unwrap_or_default(),
                fix: String::new(),
                at: chrono::Utc::now(),
                retry_button: false,
                sandbox: c.sandbox,
            },
            Err(e) => {
                tracing::warn!("Slack message not updated: {}", e.message);
                return;
            }
        };
        let blocks = carbonsync_providers::slack::blocks::retry_result_blocks(&alert, &outcome);
        let sent = carbonsync_providers::slack::client::respond(
            &url,
            &outcome,
            &blocks,
            &RetryPolicy::default(),
            &CallMeter::default(),
        )
        .await;
        if let Err(e) = sent {
            tracing::warn!("Slack message not updated with the sync's result: {e}");
        }
    }
    app.notifications_tick().await;
}
