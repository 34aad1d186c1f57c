//! What the QuickBooks tests share: Intuit's authorization flow (HTTP Basic, `realmId` on the
//! callback) and calls to the company's API, as a QuickBooks client makes them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use carbonsync_sandbox::{QUICKBOOKS_CLIENT_ID, QUICKBOOKS_CLIENT_SECRET, QUICKBOOKS_REALM_ID};
use chrono::{DateTime, FixedOffset};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::support::*;

pub const QB_SCOPE: &str = "com.intuit.quickbooks.accounting";
pub const REALM: &str = QUICKBOOKS_REALM_ID;

/// `Basic base64(client_id:client_secret)`, as Intuit's token endpoint takes it.
pub fn basic() -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{QUICKBOOKS_CLIENT_ID}:{QUICKBOOKS_CLIENT_SECRET}"))
    )
}

pub struct QbTokens {
    pub access: String,
    pub refresh: String,
}

/// A `MetaData` time, offset and all.
pub fn qb_time(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time string")).expect("ISO 8601")
}

/// Exact cents of a JSON amount (Intuit writes `1250`, `1234.5`, `199.99`).
pub fn cents(value: &Value) -> i64 {
    let text = value.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    assert!(fraction.len() <= 2, "{text} has more than two decimals");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let whole: i64 = whole.trim_start_matches('-').parse().expect("a number");
    let fraction: i64 = format!("{fraction:0<2}").parse().unwrap();
    sign * (whole * 100 + fraction)
}

impl Sandbox {
    pub async fn qb_authorize(&self, params: &[(&str, &str)]) -> Response {
        self.http
            .get(self.url("/quickbooks/oauth2/authorize"))
            .query(params)
            .send()
            .await
            .unwrap()
    }

    /// The authorization request CarbonSync sends, with PKCE.
    pub async fn qb_consent(&self, pkce: &Pkce) -> Response {
        self.qb_authorize(&[
            ("client_id", QUICKBOOKS_CLIENT_ID),
            ("response_type", "code"),
            ("scope", QB_SCOPE),
            ("redirect_uri", REDIRECT),
            ("state", "qb-st4te"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await
    }

    pub async fn qb_decide(&self, request_id: &str, decision: &str) -> Response {
        self.http
            .post(self.url("/quickbooks/oauth2/authorize/decision"))
            .form(&[("request_id", request_id), ("decision", decision)])
            .send()
            .await
            .unwrap()
    }

    /// Consent page, approve, and the code from the redirect (whose realmId is checked).
    pub async fn qb_code(&self, pkce: &Pkce) -> String {
        let page = self.qb_consent(pkce).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        let answer = self.qb_decide(&scrape_request_id(&html), "approve").await;
        let (_, params) = location_params(&answer);
        assert_eq!(param(&params, "realmId"), Some(REALM));
        param(&params, "code").expect("a code").to_owned()
    }

    pub async fn qb_token(&self, form: &[(&str, &str)], authorization: Option<&str>) -> Response {
        let mut request = self
            .http
            .post(self.url("/quickbooks/oauth2/v1/tokens/bearer"))
            .header("Accept", "application/json")
            .form(form);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        request.send().await.unwrap()
    }

    pub async fn qb_exchange(&self, code: &str, verifier: &str) -> Response {
        self.qb_token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
            Some(&basic()),
        )
        .await
    }

    pub async fn qb_refresh(&self, refresh_token: &str) -> Response {
        self.qb_token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
            Some(&basic()),
        )
        .await
    }

    /// The whole flow through the consent page.
    pub async fn qb_sign_in(&self) -> QbTokens {
        let pkce = pkce();
        let code = self.qb_code(&pkce).await;
        let answer = self.qb_exchange(&code, &pkce.verifier).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        QbTokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// `GET /quickbooks/v3/company/{realm}{rest}`.
    pub async fn qb_get_in(&self, token: &str, realm: &str, rest: &str) -> Response {
        self.http
            .get(self.url(&format!("/quickbooks/v3/company/{realm}{rest}")))
            .bearer_auth(token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap()
    }

    pub async fn qb_get(&self, token: &str, rest: &str) -> Response {
        self.qb_get_in(token, REALM, rest).await
    }

    /// A query statement, answered 200, as JSON.
    pub async fn qb_query(&self, token: &str, statement: &str) -> Value {
        let answer = self
            .http
            .get(self.url(&format!("/quickbooks/v3/company/{REALM}/query")))
            .query(&[("query", statement), ("minorversion", "75")])
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{statement}");
        answer.json().await.unwrap()
    }

    /// Every record a query selects, paging with STARTPOSITION and MAXRESULTS 1000.
    pub async fn qb_all(&self, token: &str, entity: &str, condition: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut start = 1;
        loop {
            let body = self
                .qb_query(
                    token,
                    &format!(
                        "SELECT * FROM {entity} {condition} ORDERBY Metadata.LastUpdatedTime \
                         STARTPOSITION {start} MAXRESULTS 1000"
                    ),
                )
                .await;
            let Some(records) = body["QueryResponse"][entity].as_array() else {
                break;
            };
            assert_eq!(body["QueryResponse"]["startPosition"], start);
            assert_eq!(body["QueryResponse"]["maxResults"], records.len());
            start += records.len();
            all.extend(records.iter().cloned());
        }
        all
    }

    /// Change data capture since `since` (an ISO 8601 text).
    pub async fn qb_cdc(&self, token: &str, entities: &str, since: &str) -> Response {
        self.http
            .get(self.url(&format!("/quickbooks/v3/company/{REALM}/cdc")))
            .query(&[
                ("entities", entities),
                ("changedSince", since),
                ("minorversion", "75"),
            ])
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}
