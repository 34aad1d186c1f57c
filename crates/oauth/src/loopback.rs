use crate::{CallbackParams, OAuthError};
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// A one-shot listener on 127.0.0.1 for the browser's redirect (RFC 8252 §7.3).
/// It answers exactly one request carrying a `state` or an `error`, then stops.
pub struct LoopbackListener {
    port: u16,
    answer: oneshot::Receiver<CallbackParams>,
    shutdown: Option<oneshot::Sender<()>>,
}

type Slot = Arc<Mutex<Option<oneshot::Sender<CallbackParams>>>>;

const PATH: &str = "/callback";

impl LoopbackListener {
    /// Binds an ephemeral port on the IPv4 loopback interface.
    pub async fn bind() -> Result<Self, OAuthError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| OAuthError::Listener(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| OAuthError::Listener(e.to_string()))?
            .port();
        let (tx, rx) = oneshot::channel();
        let slot: Slot = Arc::new(Mutex::new(Some(tx)));
        let app = Router::new().route(PATH, get(receive)).with_state(slot);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
        Ok(Self {
            port,
            answer: rx,
            shutdown: Some(stop_tx),
        })
    }

    /// The redirect URI to register in the authorization request.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{PATH}", self.port)
    }

    /// Waits for the browser's answer, at most `timeout`.
    pub async fn wait(
        mut self,
        timeout: std::time::Duration,
    ) -> Result<CallbackParams, OAuthError> {
        let result = tokio::time::timeout(timeout, &mut self.answer).await;
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        match result {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(OAuthError::Listener("the listener stopped".into())),
            Err(_) => Err(OAuthError::Timeout {
                seconds: timeout.as_secs(),
            }),
        }
    }
}

impl Drop for LoopbackListener {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

async fn receive(
    State(slot): State<Slot>,
    Query(query): Query<HashMap<String, String>>,
) -> (axum::http::StatusCode, Html<String>) {
    let params = CallbackParams::from_query_pairs(
        query
            .iter()
            .map(|(k, v)| (k.as_str().into(), v.as_str().into())),
    );
    if params.state.is_none() && params.error.is_none() {
        // Favicon probes and stray visits do not consume the one answer.
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Html(page(
                "Nothing to do here",
                "This address only receives CarbonSync's sign-in answer.",
            )),
        );
    }
    let Some(tx) = slot.lock().expect("slot lock").take() else {
        return (
            axum::http::StatusCode::GONE,
            Html(page(
                "Already answered",
                "This sign-in has already been answered. Return to CarbonSync.",
            )),
        );
    };
    let failed = params.error.is_some();
    let _ = tx.send(params);
    let (title, body) = if failed {
        (
            "Sign-in not completed",
            "CarbonSync received the answer and will say what happened. You can close this tab.",
        )
    } else {
        ("Answer received", "CarbonSync received the sign-in answer. You can close this tab and return to CarbonSync.")
    };
    (axum::http::StatusCode::OK, Html(page(title, body)))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — CarbonSync</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}</style></head>\
         <body><h1>{title}</h1><p>{body}</p></body></html>"
    )
}
