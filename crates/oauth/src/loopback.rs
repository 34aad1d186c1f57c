use crate::error::PortProblem;
use crate::flow::Redirect;
use crate::{CallbackParams, OAuthError};
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use axum::Router;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

/// A listener on the loopback interface for the browser's redirect (RFC 8252 §7.3).
///
/// It waits for the answer to one authorization request: the one built by
/// [`crate::OAuthClient::begin`] with this listener's [`Self::redirect_uri`], which
/// tells it the request's `state`. Only an answer carrying that `state` (compared in
/// constant time), success or error, ends the wait. Anything else (a stray visit, a
/// favicon probe, a forged or missing `state`, a repeated parameter, another path)
/// gets a short "400 Bad Request" page that repeats nothing of what was sent, and the
/// listener keeps waiting until its timeout: a page or program on this machine cannot
/// end a sign-in by guessing the port.
pub struct LoopbackListener {
    host: &'static str,
    port: u16,
    waiting: Arc<Waiting>,
    answer: oneshot::Receiver<CallbackParams>,
    shutdown: Option<watch::Sender<bool>>,
}

/// What the request handlers share with the listener: the `state` to wait for, and
/// where the one matching answer goes.
#[derive(Default)]
struct Waiting {
    expected_state: Mutex<Option<String>>,
    answer: Mutex<Option<oneshot::Sender<CallbackParams>>>,
}

/// The redirect URI of a [`LoopbackListener`]: pass it to
/// [`crate::OAuthClient::begin`], which tells the listener which `state` to wait for.
/// It reads as the URI itself (`Display`, `Deref<Target = str>`).
#[derive(Clone)]
pub struct LoopbackRedirect {
    uri: String,
    waiting: Arc<Waiting>,
}

impl Redirect for LoopbackRedirect {
    fn uri(&self) -> &str {
        &self.uri
    }

    fn expect_state(&self, state: &str) {
        *self.waiting.expected_state.lock().expect("state lock") = Some(state.to_string());
    }
}

impl std::ops::Deref for LoopbackRedirect {
    type Target = str;
    fn deref(&self) -> &str {
        &self.uri
    }
}

impl std::fmt::Display for LoopbackRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.uri)
    }
}

impl std::fmt::Debug for LoopbackRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LoopbackRedirect").field(&self.uri).finish()
    }
}

impl PartialEq<str> for LoopbackRedirect {
    fn eq(&self, other: &str) -> bool {
        self.uri == other
    }
}

impl PartialEq<String> for LoopbackRedirect {
    fn eq(&self, other: &String) -> bool {
        &self.uri == other
    }
}

const PATH: &str = "/callback";

impl LoopbackListener {
    /// Binds an ephemeral port on the IPv4 loopback interface; the redirect URI is
    /// `http://127.0.0.1:PORT/callback`. For platforms that accept any loopback port.
    pub async fn bind() -> Result<Self, OAuthError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|e| OAuthError::Listener(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| OAuthError::Listener(e.to_string()))?
            .port();
        Ok(Self::serve("127.0.0.1", port, vec![listener]))
    }

    /// Binds the first free port of `ports`, in order, for platforms that only accept
    /// the redirect URIs registered with them, port included (Xero, QuickBooks). The
    /// redirect URI is `http://localhost:PORT/callback`, the form both platforms
    /// register; the port is bound on 127.0.0.1 and, where the machine has IPv6, on
    /// `[::1]` too, since a browser may resolve `localhost` to either.
    ///
    /// A port counts as taken when either address is in use: otherwise a browser that
    /// tries `[::1]` first could hand the answer to another program.
    ///
    /// Errors: [`OAuthError::PortsUnavailable`] naming every port and why, when none
    /// can be used; [`OAuthError::Listener`] for an empty list.
    pub async fn bind_first_free(ports: &[u16]) -> Result<Self, OAuthError> {
        if ports.is_empty() {
            return Err(OAuthError::Listener(
                "no loopback port was given to listen on".into(),
            ));
        }
        let mut problems = Vec::new();
        for &port in ports {
            match bind_localhost(port).await {
                Ok(listeners) => return Ok(Self::serve("localhost", port, listeners)),
                Err(e) => problems.push(PortProblem {
                    port,
                    reason: reason(&e),
                }),
            }
        }
        Err(OAuthError::PortsUnavailable { ports: problems })
    }

    fn serve(host: &'static str, port: u16, listeners: Vec<TcpListener>) -> Self {
        let (tx, rx) = oneshot::channel();
        let waiting = Arc::new(Waiting {
            expected_state: Mutex::new(None),
            answer: Mutex::new(Some(tx)),
        });
        // Every path and method reaches `receive`, which refuses all but the answer.
        let app = Router::new().fallback(receive).with_state(waiting.clone());
        let (stop_tx, stop_rx) = watch::channel(false);
        for listener in listeners {
            let app = app.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|stopped| *stopped).await;
                    })
                    .await;
            });
        }
        Self {
            host,
            port,
            waiting,
            answer: rx,
            shutdown: Some(stop_tx),
        }
    }

    /// The port the listener holds.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to send in the authorization request and the code exchange:
    /// exactly the address this listener answers on. Give it to
    /// [`crate::OAuthClient::begin`]; until then the listener accepts no answer.
    pub fn redirect_uri(&self) -> LoopbackRedirect {
        LoopbackRedirect {
            uri: format!("http://{}:{}{PATH}", self.host, self.port),
            waiting: self.waiting.clone(),
        }
    }

    /// Waits for the answer that carries the expected `state`, at most `timeout`;
    /// other requests are refused meanwhile (see [`LoopbackListener`]).
    ///
    /// Errors: [`OAuthError::Timeout`] when no such answer came in time.
    pub async fn wait(
        mut self,
        timeout: std::time::Duration,
    ) -> Result<CallbackParams, OAuthError> {
        let result = tokio::time::timeout(timeout, &mut self.answer).await;
        self.stop();
        match result {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(OAuthError::Listener("the listener stopped".into())),
            Err(_) => Err(OAuthError::Timeout {
                seconds: timeout.as_secs(),
            }),
        }
    }

    fn stop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(true);
        }
    }
}

/// Binds `port` on 127.0.0.1 and, when the machine has IPv6 loopback, on `[::1]`.
async fn bind_localhost(port: u16) -> io::Result<Vec<TcpListener>> {
    let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
        Ok(v6) => Ok(vec![v4, v6]),
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => Err(e),
        // No IPv6 loopback here: browsers then reach 127.0.0.1.
        Err(_) => Ok(vec![v4]),
    }
}

fn reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::AddrInUse => "in use".into(),
        io::ErrorKind::PermissionDenied => "not allowed for this user".into(),
        _ => format!("unusable: {e}"),
    }
}

impl Drop for LoopbackListener {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Answers one request to the listener: the awaited answer ends the wait; anything
/// else is refused and changes nothing.
async fn receive(
    axum::extract::State(waiting): axum::extract::State<Arc<Waiting>>,
    method: axum::http::Method,
    uri: Uri,
) -> (StatusCode, Html<String>) {
    let refused = || {
        (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Not a sign-in answer",
                "This address only receives the answer to the sign-in CarbonSync is waiting for, and this request is not it. Nothing was changed. If you are signing in, finish in the window the sign-in opened.",
            )),
        )
    };
    if method != axum::http::Method::GET || uri.path() != PATH {
        return refused();
    }
    let Ok(params) = CallbackParams::from_query(uri.query().unwrap_or("")) else {
        tracing::warn!("refused a sign-in answer that repeats a parameter");
        return refused();
    };
    let matches = match waiting
        .expected_state
        .lock()
        .expect("state lock")
        .as_deref()
    {
        Some(expected) => params.state_matches(expected),
        None => false,
    };
    if !matches {
        tracing::warn!("refused a request to the sign-in listener without this sign-in's state");
        return refused();
    }
    let Some(tx) = waiting.answer.lock().expect("answer lock").take() else {
        return (
            StatusCode::GONE,
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
    (StatusCode::OK, Html(page(title, body)))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — CarbonSync</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}</style></head>\
         <body><h1>{title}</h1><p>{body}</p></body></html>"
    )
}
