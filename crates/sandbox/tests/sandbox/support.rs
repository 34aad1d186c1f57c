//! Helpers shared by the tests: starting a sandbox, PKCE, walking the consent flow, calling
//! the API and the control endpoints.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use carbonsync_sandbox::{start, SandboxHandle, SandboxOptions, CLIENT_ID};
use rand::RngCore;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

pub use carbonsync_sandbox::{UK_TENANT_ID as UK, US_TENANT_ID as US};

pub const REDIRECT: &str = "http://127.0.0.1:53682/callback";
pub const SCOPE: &str = "offline_access accounting.settings.read accounting.banktransactions.read accounting.invoices.read";

/// Small, quick and without a rate limit unless a test asks for one.
pub fn options() -> SandboxOptions {
    SandboxOptions {
        records_per_org: 300,
        rate_limit: None,
        auto_approve: false,
        ..SandboxOptions::default()
    }
}

pub struct Sandbox {
    pub handle: SandboxHandle,
    /// Never follows redirects: the tests read each Location themselves.
    pub http: reqwest::Client,
}

pub async fn sandbox(opts: SandboxOptions) -> Sandbox {
    let handle = start(opts, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sandbox starts");
    Sandbox {
        handle,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
    }
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// The query parameters of a redirect's Location.
pub fn location_params(response: &Response) -> (Url, Vec<(String, String)>) {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a 302");
    let location = response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap();
    let url = Url::parse(location).unwrap();
    let params = url.query_pairs().into_owned().collect();
    (url, params)
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What the shell test does: find the hidden request_id on the consent page.
pub fn scrape_request_id(html: &str) -> String {
    let marker = "name=\"request_id\" value=\"";
    let start = html.find(marker).expect("a request_id input") + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

impl Sandbox {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path)
    }

    pub async fn authorize_with(&self, params: &[(&str, &str)]) -> Response {
        self.http
            .get(self.url("/xero/identity/connect/authorize"))
            .query(params)
            .send()
            .await
            .unwrap()
    }

    pub async fn authorize(&self, pkce: &Pkce, redirect_uri: &str, scope: &str) -> Response {
        self.authorize_with(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", "st4te"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await
    }

    pub async fn consent_page(&self, pkce: &Pkce, redirect_uri: &str, scope: &str) -> String {
        let page = self.authorize(pkce, redirect_uri, scope).await;
        assert_eq!(page.status(), StatusCode::OK);
        page.text().await.unwrap()
    }

    pub async fn decide(&self, request_id: &str, decision: &str) -> Response {
        self.http
            .post(self.url("/xero/identity/connect/authorize/decision"))
            .form(&[("request_id", request_id), ("decision", decision)])
            .send()
            .await
            .unwrap()
    }

    /// Posts the consent form with exactly these fields, as a browser would.
    pub async fn post_decision(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/xero/identity/connect/authorize/decision"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in ticking only `tenants` on the consent page, as a person unticking the others
    /// would; returns the access token.
    pub async fn sign_in_choosing(&self, tenants: &[&str]) -> String {
        let pkce = pkce();
        let html = self.consent_page(&pkce, REDIRECT, SCOPE).await;
        let request_id = scrape_request_id(&html);
        let mut form = vec![("request_id", request_id.as_str()), ("tenant_choice", "1")];
        form.extend(tenants.iter().map(|t| ("tenant", *t)));
        form.push(("decision", "approve"));
        let answer = self.post_decision(&form).await;
        let (_, params) = location_params(&answer);
        let code = param(&params, "code").expect("a code").to_owned();
        let answer = self.exchange(&code, &pkce.verifier, REDIRECT).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Consent page, approve, and the code from the redirect.
    pub async fn code_for(&self, pkce: &Pkce, redirect_uri: &str, scope: &str) -> String {
        let html = self.consent_page(pkce, redirect_uri, scope).await;
        let answer = self.decide(&scrape_request_id(&html), "approve").await;
        let (_, params) = location_params(&answer);
        assert_eq!(param(&params, "state"), Some("st4te"));
        param(&params, "code").expect("a code").to_owned()
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/xero/identity/connect/token"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn exchange(&self, code: &str, verifier: &str, redirect_uri: &str) -> Response {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", redirect_uri),
        ])
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    pub async fn revoke(&self, token: &str) -> Response {
        self.http
            .post(self.url("/xero/identity/connect/revocation"))
            .form(&[("token", token), ("client_id", CLIENT_ID)])
            .send()
            .await
            .unwrap()
    }

    /// The whole authorization code flow, through the consent page.
    pub async fn sign_in(&self) -> Tokens {
        let pkce = pkce();
        let code = self.code_for(&pkce, REDIRECT, SCOPE).await;
        let answer = self.exchange(&code, &pkce.verifier, REDIRECT).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn api(
        &self,
        token: &str,
        tenant: Option<&str>,
        path_and_query: &str,
        modified_since: Option<&str>,
    ) -> Response {
        let mut request = self
            .http
            .get(self.url(&format!("/xero/api{path_and_query}")))
            .bearer_auth(token);
        if let Some(tenant) = tenant {
            request = request.header("xero-tenant-id", tenant);
        }
        if let Some(since) = modified_since {
            request = request.header("If-Modified-Since", since);
        }
        request.send().await.unwrap()
    }

    /// An Accounting API GET that must succeed, as JSON.
    pub async fn get_ok(
        &self,
        token: &str,
        tenant: &str,
        path_and_query: &str,
        since: Option<&str>,
    ) -> Value {
        let answer = self
            .api(
                token,
                Some(tenant),
                &format!("/api.xro/2.0{path_and_query}"),
                since,
            )
            .await;
        assert_eq!(answer.status(), StatusCode::OK, "GET {path_and_query}");
        answer.json().await.unwrap()
    }

    /// Every record of a listing, following pages.
    pub async fn all_records(
        &self,
        token: &str,
        tenant: &str,
        listing: &str,
        since: Option<&str>,
    ) -> Vec<Value> {
        let key = listing.split('?').next().unwrap().trim_start_matches('/');
        let joiner = if listing.contains('?') { '&' } else { '?' };
        let mut all = Vec::new();
        for page in 1.. {
            let body = self
                .get_ok(
                    token,
                    tenant,
                    &format!("{listing}{joiner}page={page}&pageSize=1000"),
                    since,
                )
                .await;
            let records = body[key].as_array().unwrap().clone();
            if records.is_empty() {
                break;
            }
            all.extend(records);
        }
        all
    }

    /// Every record of a listing since `since`, following pages of whatever size the
    /// sandbox serves, and the page sizes it reported.
    pub async fn walk(
        &self,
        token: &str,
        tenant: &str,
        listing: &str,
        since: Option<&str>,
        page_size: usize,
    ) -> (Vec<Value>, Vec<u64>) {
        let key = listing.split('?').next().unwrap().trim_start_matches('/');
        let joiner = if listing.contains('?') { '&' } else { '?' };
        let (mut all, mut sizes) = (Vec::new(), Vec::new());
        for page in 1.. {
            let body = self
                .get_ok(
                    token,
                    tenant,
                    &format!("{listing}{joiner}page={page}&pageSize={page_size}"),
                    since,
                )
                .await;
            let records = body[key].as_array().unwrap().clone();
            if records.is_empty() {
                break;
            }
            sizes.push(body["pagination"]["pageSize"].as_u64().unwrap());
            all.extend(records);
        }
        (all, sizes)
    }

    pub async fn control_get(&self, path: &str) -> Value {
        let answer = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "GET {path}");
        answer.json().await.unwrap()
    }

    pub async fn control_post(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn control_ok(&self, path: &str, body: Value) -> Value {
        let answer = self.control_post(path, body).await;
        assert_eq!(answer.status(), StatusCode::OK, "POST {path}");
        answer.json().await.unwrap()
    }
}

/// `/Date(1710410400000+0000)/` → 1710410400000.
pub fn xero_ms(value: &Value) -> i64 {
    let text = value.as_str().expect("a /Date()/ string");
    text.trim_start_matches("/Date(")
        .split('+')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Milliseconds as the RFC 3339 text CarbonSync sends in If-Modified-Since.
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The record with `id` under `key` in `records`.
pub fn find<'a>(records: &'a [Value], key: &str, id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r[key] == id)
        .unwrap_or_else(|| panic!("{id} is missing"))
}

/// Whole seconds of a millisecond stamp.
pub fn second_of(ms: i64) -> i64 {
    ms.div_euclid(1000)
}
