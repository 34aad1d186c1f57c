//! The webhook listener: verify, read, remember, hand on, answer at once.
//!
//! Answers: 200 with an empty body for a verified delivery (Xero wants it within 5 s;
//! the sync runs afterwards), 401 for a missing or wrong signature (also how Xero's
//! "intent to receive" check expects a badly signed request to be answered), 400 for a
//! verified body that is not the platform's shape, 404 for a platform that sends no
//! webhooks, 413 for a body over [`WEBHOOK_BODY_LIMIT_BYTES`]. Logs name the platform,
//! tenant ids and counts, never anything else from a payload.

use super::keys::{webhook_spec, WebhookKeys};
use crate::App;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use carbonsync_providers::webhook::signature_matches;
use carbonsync_store::ConnectionStatus;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The largest delivery read, in bytes. Xero batches at most a few hundred small events
/// and Intuit's deliveries are smaller; anything larger is not a platform's.
pub const WEBHOOK_BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// How long keys read from the keychain are used before they are read again: a key stored,
/// replaced or removed with `carbonsync webhook-key` takes effect within this, with no
/// restart, while a burst of deliveries does not each wait on the keychain.
pub const WEBHOOK_KEYS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// What every request needs.
#[derive(Clone)]
pub(super) struct Receiver {
    pub(super) app: Arc<App>,
    keys: Arc<tokio::sync::Mutex<(tokio::time::Instant, Arc<WebhookKeys>)>>,
    asks: mpsc::UnboundedSender<i64>,
}

impl Receiver {
    pub(super) fn new(app: Arc<App>, keys: WebhookKeys, asks: mpsc::UnboundedSender<i64>) -> Self {
        Self {
            app,
            keys: Arc::new(tokio::sync::Mutex::new((
                tokio::time::Instant::now(),
                Arc::new(keys),
            ))),
            asks,
        }
    }

    /// The keys, read again from the keychain when they are older than
    /// [`WEBHOOK_KEYS_FRESH_FOR`]. A keychain that cannot be read keeps the keys held.
    pub(super) async fn keys(&self) -> Arc<WebhookKeys> {
        let mut held = self.keys.lock().await;
        if held.0.elapsed() >= WEBHOOK_KEYS_FRESH_FOR {
            match self.app.webhook_keys().await {
                Ok(keys) => *held = (tokio::time::Instant::now(), Arc::new(keys)),
                Err(e) => tracing::warn!("webhook keys not read again: {}", e.message),
            }
        }
        held.1.clone()
    }
}

pub(super) fn router(receiver: Receiver) -> Router {
    Router::new()
        .route("/webhooks/{platform}", post(receive))
        .route("/interactions/slack", post(super::interactions::slack))
        .route("/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT_BYTES))
        .with_state(receiver)
}

async fn receive(
    State(r): State<Receiver>,
    Path(platform): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let Ok(spec) = webhook_spec(&platform) else {
        return (StatusCode::NOT_FOUND, "");
    };
    let keys = r.keys().await;
    let Some(key) = keys.get(&platform) else {
        tracing::warn!(
            platform,
            "webhook refused: no {} is stored (carbonsync webhook-key {platform})",
            spec.key_name
        );
        return (StatusCode::UNAUTHORIZED, "");
    };
    let signature = headers
        .get(spec.signature_header)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !signature_matches(key.expose().as_bytes(), &body, signature) {
        tracing::warn!(platform, "webhook refused: the signature does not match");
        return (StatusCode::UNAUTHORIZED, "");
    }
    let events = match (spec.parse)(&body) {
        Ok(events) => events,
        Err(why) => {
            tracing::warn!(platform, "webhook refused: {why}");
            return (StatusCode::BAD_REQUEST, "");
        }
    };
    if events.is_empty() {
        tracing::info!(
            platform,
            "webhook with no events (a platform's check); answered"
        );
        return (StatusCode::OK, "");
    }
    let app = r.app.clone();
    let p = platform.clone();
    let decided = tokio::task::spawn_blocking(move || connections_to_sync(&app, &p, events)).await;
    match decided {
        Ok(Ok(ids)) => {
            for id in ids {
                let _ = r.asks.send(id);
            }
            (StatusCode::OK, "")
        }
        Ok(Err(e)) => {
            // The platform retries a delivery that was not answered 200: nothing is lost.
            tracing::warn!(platform, "webhook not recorded: {}", e.message);
            (StatusCode::SERVICE_UNAVAILABLE, "")
        }
        Err(e) => {
            tracing::error!(platform, "webhook handling stopped: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "")
        }
    }
}

/// Records the delivery's events and returns the connections its new events are about.
/// Replayed events and organisations not connected here are logged and left out.
fn connections_to_sync(
    app: &App,
    platform: &str,
    events: Vec<carbonsync_providers::WebhookEvent>,
) -> Result<Vec<i64>, crate::AppError> {
    let store = app.store()?;
    let keyed: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.event_key.clone(), e.tenant_id.clone()))
        .collect();
    let fresh =
        store.first_seen_webhook_events(platform, &keyed, chrono::Utc::now().timestamp_millis())?;
    let replayed = events.len() - fresh.len();
    if replayed > 0 {
        tracing::info!(
            platform,
            events = replayed,
            "webhook events seen before; ignored"
        );
    }
    let mut tenants: Vec<&str> = events
        .iter()
        .filter(|e| fresh.contains(&e.event_key))
        .map(|e| e.tenant_id.as_str())
        .collect();
    tenants.sort_unstable();
    tenants.dedup();
    let connections = store.connections()?;
    let mut ids = Vec::new();
    for tenant in tenants {
        let found = connections
            .iter()
            .filter(|c| c.provider == platform && c.tenant_id == tenant)
            .find(|c| c.status == ConnectionStatus::Active);
        match found {
            Some(c) => {
                tracing::info!(platform, tenant, connection = c.id, "webhook events");
                ids.push(c.id);
            }
            None => tracing::info!(
                platform,
                tenant,
                "webhook events for an organisation not connected here; ignored"
            ),
        }
    }
    Ok(ids)
}
