//! `carbonsync serve`: the same schedule as the desktop, with no window, plus an HTTP
//! listener for the platforms' webhooks. A desktop has no public address; an always-on
//! machine behind the team's reverse proxy or tunnel (which terminates TLS) does.
//!
//! Routes: `POST /webhooks/{platform}` for every platform whose registration describes
//! its webhooks (Xero, QuickBooks Online), and `GET /health` for the proxy's checks.
//! A verified event for a connected organisation asks the schedule for an incremental
//! sync of that connection (trigger "webhook"); events that arrive close together are
//! coalesced into one sync per connection.

mod coalesce;
mod interactions;
mod keys;
mod webhooks;

use crate::daemon::{DaemonHandle, ReportSink};
use crate::{App, AppError};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use coalesce::WEBHOOK_COALESCE;
pub use webhooks::{WEBHOOK_BODY_LIMIT_BYTES, WEBHOOK_KEYS_FRESH_FOR};

/// A running server: the schedule, the webhook listener and the coalescer.
pub struct ServerHandle {
    addr: SocketAddr,
    daemon: DaemonHandle,
    stop_http: oneshot::Sender<()>,
    http: JoinHandle<()>,
    coalescer: JoinHandle<()>,
    /// Platforms whose webhooks are refused because no key is stored, by catalogue id.
    pub keyless: Vec<String>,
}

impl ServerHandle {
    /// The address the listener is bound to (the port chosen when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking webhooks (requests being answered finish), then stops the schedule:
    /// a sync in progress finishes the page it is writing first.
    pub async fn stop(self) {
        let _ = self.stop_http.send(());
        let _ = self.http.await;
        self.coalescer.abort();
        self.daemon.stop().await;
    }
}

impl App {
    /// Starts the schedule and the webhook listener on `listen`. `on_report` hears about
    /// every finished sync, as with [`App::start_daemon`].
    ///
    /// Errors: the address cannot be bound (in use, not this machine's), the schedule
    /// cannot start, or the keychain cannot be read.
    pub async fn start_server(
        self: &Arc<Self>,
        listen: SocketAddr,
        on_report: Option<ReportSink>,
    ) -> Result<ServerHandle, AppError> {
        let keys = self.webhook_keys().await?;
        let keyless = keys.missing();
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            AppError::new(
                "listen",
                format!(
                    "CarbonSync could not listen on {listen}: {e}. Choose another address with --listen (port 0 picks a free one)."
                ),
            )
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| AppError::new("listen", format!("The listener has no address: {e}")))?;
        let daemon = self.start_daemon(on_report, None).await?;
        let (coalescer, asks) = coalesce::start(daemon.remote());
        let router = webhooks::router(webhooks::Receiver::new(self.clone(), keys, asks));
        let (stop_http, stopped) = oneshot::channel::<()>();
        let http = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the webhook listener failed");
            }
        });
        tracing::info!(%addr, "listening for webhooks");
        Ok(ServerHandle {
            addr,
            daemon,
            stop_http,
            http,
            coalescer,
            keyless,
        })
    }
}
