//! A scripted stand-in for Xero on a random loopback port: each path answers from a queue of
//! canned responses (the last one repeats), and every request is recorded so a test can check
//! what the client really sent over HTTP.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Router;
use carbonsync_providers::{ProviderError, RetryPolicy, XeroClient, XeroEndpoints};
use chrono::{DateTime, Utc};

pub const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.fake-access-token.c2lnbmF0dXJl";
pub const TENANT: &str = "70784a63-d24b-46a9-a4db-0e70a274b056";

/// Where the sandbox serves Xero's Accounting API (see catalogue.toml).
pub const API: &str = "/xero/api/api.xro/2.0";
pub const CONNECTIONS: &str = "/xero/api/connections";

pub fn bank_transactions() -> String {
    format!("{API}/BankTransactions")
}

pub fn invoices() -> String {
    format!("{API}/Invoices")
}

pub fn credit_notes() -> String {
    format!("{API}/CreditNotes")
}

pub fn accounts() -> String {
    format!("{API}/Accounts")
}

/// A UTC instant from RFC 3339 text.
pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// No part of an error may carry the access token, in either of its printed forms.
pub fn assert_no_token(error: &ProviderError) {
    assert!(!error.to_string().contains(TOKEN), "{error}");
    assert!(!format!("{error:?}").contains(TOKEN), "{error:?}");
}

pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/providers/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

#[derive(Clone)]
pub struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Canned {
    pub fn status(status: u16) -> Canned {
        Canned {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Canned {
        Canned::status(status)
            .body(body)
            .header("content-type", "application/json; charset=utf-8")
    }

    pub fn fixture(name: &str) -> Canned {
        Canned::json(200, fixture(name))
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Canned {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers only after `delay`, to trip the client's timeout.
    pub fn after(mut self, delay: Duration) -> Canned {
        self.delay = delay;
        self
    }
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Script {
    routes: HashMap<String, VecDeque<Canned>>,
    requests: Vec<Recorded>,
}

pub struct FakeXero {
    pub base: String,
    script: Arc<Mutex<Script>>,
}

impl FakeXero {
    pub async fn start() -> FakeXero {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeXero { base, script }
    }

    /// Queues answers for `path`; the last one keeps being served.
    pub fn on(&self, path: &str, answers: impl IntoIterator<Item = Canned>) -> &Self {
        self.script
            .lock()
            .unwrap()
            .routes
            .entry(path.to_owned())
            .or_default()
            .extend(answers);
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.script.lock().unwrap().requests.clone()
    }

    pub fn requests_to(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }

    /// A client for this server with the catalogue's sandbox paths and quick retries.
    pub fn client(&self) -> XeroClient {
        self.client_with(fast_retries())
    }

    pub fn client_with(&self, retry: RetryPolicy) -> XeroClient {
        XeroClient::new(self.endpoints(), 100, retry).unwrap()
    }

    /// A client for this server asking for `page_size` records a page.
    pub fn client_paging(&self, page_size: u32) -> XeroClient {
        XeroClient::new(self.endpoints(), page_size, fast_retries()).unwrap()
    }

    pub fn endpoints(&self) -> XeroEndpoints {
        XeroEndpoints::sandbox(&self.base).unwrap()
    }
}

/// Short waits so the suite stays fast; `max_wait` still leaves room for a 1 s Retry-After.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        max_wait: Duration::from_secs(2),
        base_backoff: Duration::from_millis(5),
    }
}

async fn answer(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let canned = {
        let mut script = script.lock().unwrap();
        script.requests.push(Recorded {
            path: path.clone(),
            query,
            headers: request.headers().clone(),
        });
        script.routes.get_mut(&path).and_then(|queue| {
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        })
    };
    let canned = canned.unwrap_or_else(|| {
        Canned::json(
            404,
            r#"{"Title":"Not Found","Detail":"The resource you're looking for cannot be found"}"#,
        )
    });
    if !canned.delay.is_zero() {
        tokio::time::sleep(canned.delay).await;
    }
    let mut response = Response::builder().status(StatusCode::from_u16(canned.status).unwrap());
    for (name, value) in &canned.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(canned.body)).unwrap()
}
