//! The Slack and Teams stand-ins over real HTTP: each test starts a sandbox on an ephemeral
//! loopback port and talks to it with reqwest, as CarbonSync's notifiers would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use carbonsync_sandbox::{
    accepts_deep_link, registered_client, start, SandboxHandle, SandboxOptions,
    SLACK_ARCHIVED_CHANNEL, SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_ESG_REPORTS_CHANNEL,
    SLACK_FINANCE_CHANNEL, SLACK_RANDOM_CHANNEL, SLACK_SIGNING_SECRET, SLACK_TEAM_ID,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use url::Url;

const SCOPE: &str = "chat:write,channels:read,files:write";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 1, 2, 3,
];

struct Sandbox {
    handle: SandboxHandle,
    http: reqwest::Client,
}

fn options() -> SandboxOptions {
    SandboxOptions {
        records_per_org: 300,
        rate_limit: None,
        auto_approve: true,
        ..SandboxOptions::default()
    }
}

async fn sandbox(opts: SandboxOptions) -> Sandbox {
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

fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn query(response: &reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect");
    let location = response.headers()["location"].to_str().unwrap();
    Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn slack_params(redirect: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("client_id", SLACK_CLIENT_ID),
        ("scope", SCOPE),
        ("redirect_uri", redirect),
        ("state", "xyz"),
    ]
}

fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v0={hex}")
}

impl Sandbox {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path)
    }

    async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .get(self.url("/slack/oauth/v2/authorize"))
            .query(params)
            .send()
            .await
            .unwrap()
    }

    async fn access(&self, form: &[(&str, &str)]) -> Value {
        let answer = self
            .http
            .post(self.url("/slack/api/oauth.v2.access"))
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            StatusCode::OK,
            "oauth.v2.access is always 200"
        );
        answer.json().await.unwrap()
    }

    /// An install with auto-approve: the bot token for `scope`.
    async fn install(&self, scope: &str) -> String {
        let redirect = self.url("/bounce/");
        let (verifier, challenge) = pkce();
        let answer = self
            .authorize(&[
                ("client_id", SLACK_CLIENT_ID),
                ("scope", scope),
                ("redirect_uri", &redirect),
                ("state", "s1"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .await;
        let pairs = query(&answer);
        let code = param(&pairs, "code").expect("a code").to_owned();
        let body = self
            .access(&[
                ("code", code.as_str()),
                ("redirect_uri", &redirect),
                ("code_verifier", &verifier),
                ("client_id", SLACK_CLIENT_ID),
                ("client_secret", SLACK_CLIENT_SECRET),
            ])
            .await;
        assert_eq!(body["ok"], true, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A Web API call with a JSON body.
    async fn call(
        &self,
        token: Option<&str>,
        method: &str,
        body: Value,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = self
            .http
            .post(self.url(&format!("/slack/api/{method}")))
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        let (status, headers) = (answer.status(), answer.headers().clone());
        (status, headers, answer.json().await.unwrap())
    }

    /// A Web API call with a form body.
    async fn form(&self, token: Option<&str>, method: &str, form: &[(&str, &str)]) -> Value {
        let mut request = self
            .http
            .post(self.url(&format!("/slack/api/{method}")))
            .form(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json().await.unwrap()
    }

    async fn post(&self, token: &str, channel: &str, text: &str) -> Value {
        let (status, _, body) = self
            .call(
                Some(token),
                "chat.postMessage",
                json!({"channel": channel, "text": text}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let answer = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        answer.json().await.unwrap()
    }

    async fn control_get(&self, path: &str) -> Value {
        let answer = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        answer.json().await.unwrap()
    }

    async fn roomy(&self) {
        self.control("/_control/slack/settings", json!({"burst": 1000}))
            .await;
    }
}

#[test]
fn slack_is_a_confidential_client_without_the_deep_link() {
    assert_eq!(
        registered_client("slack"),
        (SLACK_CLIENT_ID, Some(SLACK_CLIENT_SECRET))
    );
    assert!(!accepts_deep_link("slack"));
    assert!(accepts_deep_link("xero"));
}

#[tokio::test]
async fn the_install_round_trip_with_pkce_and_its_refusals() {
    let sb = sandbox(SandboxOptions {
        auto_approve: false,
        ..options()
    })
    .await;
    let bounce = sb.url("/bounce/");
    let (verifier, challenge) = pkce();
    // Slack sends nowhere but https (loopback excepted): never a deep link, never plain http.
    for bad in [
        "carbonsync://oauth/callback",
        "http://evil.example/callback",
        "javascript:alert(1)",
    ] {
        let page = sb.authorize(&slack_params(bad)).await;
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(page.text().await.unwrap().contains("bad_redirect_uri"));
    }
    let unknown = sb
        .authorize(&[
            ("client_id", "123.456"),
            ("scope", SCOPE),
            ("redirect_uri", "https://example.org/"),
        ])
        .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        sb.authorize(&slack_params("https://carbonsync.example/bounce/"))
            .await
            .status(),
        StatusCode::OK
    );

    // The consent page, then Allow.
    let mut asked = slack_params(&bounce);
    asked.push(("code_challenge", &challenge));
    asked.push(("code_challenge_method", "S256"));
    let page = sb.authorize(&asked).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Harbour &amp; Pine"));
    let marker = "name=\"request_id\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let request_id = html[start..start + html[start..].find('"').unwrap()].to_owned();
    let decided = sb
        .http
        .post(sb.url("/slack/oauth/v2/authorize/decision"))
        .form(&[("request_id", request_id.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    let location = decided.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&bounce), "{location}");
    let pairs = query(&decided);
    assert_eq!(param(&pairs, "state"), Some("xyz"));
    let code = param(&pairs, "code").unwrap().to_owned();

    // The bounce page is served as the redirect target.
    let page = sb.http.get(&location).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("carbonsync://oauth/callback"));

    // A wrong verifier burns the code.
    let wrong = sb
        .access(&[
            ("code", code.as_str()),
            ("redirect_uri", &bounce),
            ("code_verifier", &pkce().0),
            ("client_id", SLACK_CLIENT_ID),
            ("client_secret", SLACK_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(wrong, json!({"ok": false, "error": "invalid_code"}));

    // A fresh code, exchanged with HTTP Basic.
    let page = sb.authorize(&asked).await.text().await.unwrap();
    let start = page.find(marker).unwrap() + marker.len();
    let request_id = page[start..start + page[start..].find('"').unwrap()].to_owned();
    let decided = sb
        .http
        .post(sb.url("/slack/oauth/v2/authorize/decision"))
        .form(&[("request_id", request_id.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    let code = param(&query(&decided), "code").unwrap().to_owned();
    let answer: Value = sb
        .http
        .post(sb.url("/slack/api/oauth.v2.access"))
        .basic_auth(SLACK_CLIENT_ID, Some(SLACK_CLIENT_SECRET))
        .form(&[
            ("code", code.as_str()),
            ("redirect_uri", bounce.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["token_type"], "bot");
    assert_eq!(answer["scope"], SCOPE);
    assert_eq!(answer["app_id"], "A0SANDBOX01");
    assert_eq!(answer["bot_user_id"], "U0SANDBOXBOT");
    assert_eq!(answer["authed_user"], json!({"id": "U0SANDBOX01"}));
    assert_eq!(
        answer["team"],
        json!({"id": SLACK_TEAM_ID, "name": "Harbour & Pine"})
    );
    assert_eq!(answer["enterprise"], Value::Null);
    assert_eq!(answer["is_enterprise_install"], false);
    let token = answer["access_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("xoxb-"));
    let again = sb
        .access(&[
            ("code", code.as_str()),
            ("redirect_uri", &bounce),
            ("code_verifier", &verifier),
            ("client_id", SLACK_CLIENT_ID),
            ("client_secret", SLACK_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(again["error"], "invalid_code", "a code works once");

    // Client and redirect refusals, on fresh codes (auto-approve from here on).
    sb.http
        .post(sb.url("/_control/settings"))
        .json(&json!({"auto_approve": true}))
        .send()
        .await
        .unwrap();
    let fresh = |sb: &Sandbox| {
        let asked = asked.clone();
        let sb_url = sb.url("/slack/oauth/v2/authorize");
        let http = sb.http.clone();
        async move {
            let answer = http.get(sb_url).query(&asked).send().await.unwrap();
            param(&query(&answer), "code").unwrap().to_owned()
        }
    };
    let code = fresh(&sb).await;
    let refused = sb
        .access(&[
            ("code", code.as_str()),
            ("redirect_uri", "https://other.example/"),
            ("code_verifier", &verifier),
            ("client_id", SLACK_CLIENT_ID),
            ("client_secret", SLACK_CLIENT_SECRET),
        ])
        .await;
    assert_eq!(refused["error"], "bad_redirect_uri");
    let code = fresh(&sb).await;
    let refused = sb
        .access(&[
            ("code", code.as_str()),
            ("redirect_uri", &bounce),
            ("code_verifier", &verifier),
            ("client_id", SLACK_CLIENT_ID),
            ("client_secret", "guess"),
        ])
        .await;
    assert_eq!(refused["error"], "bad_client_secret");
    let refused = sb
        .access(&[
            ("code", "nope"),
            ("redirect_uri", &bounce),
            ("client_id", "1.2"),
            ("client_secret", "x"),
        ])
        .await;
    assert_eq!(refused["error"], "invalid_client_id");

    // A denial comes back to the app with the state.
    sb.http
        .post(sb.url("/_control/settings"))
        .json(&json!({"auto_approve": false}))
        .send()
        .await
        .unwrap();
    let page = sb.authorize(&asked).await.text().await.unwrap();
    let start = page.find(marker).unwrap() + marker.len();
    let request_id = page[start..start + page[start..].find('"').unwrap()].to_owned();
    let denied = sb
        .http
        .post(sb.url("/slack/oauth/v2/authorize/decision"))
        .form(&[("request_id", request_id.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    let pairs = query(&denied);
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "state"), Some("xyz"));

    // The token works, then is revoked.
    let (_, _, me) = sb.call(Some(&token), "auth.test", json!({})).await;
    assert_eq!(me["ok"], true);
    assert_eq!(me["team_id"], SLACK_TEAM_ID);
    let revoked = sb
        .form(None, "auth.revoke", &[("token", token.as_str())])
        .await;
    assert_eq!(revoked, json!({"ok": true, "revoked": true}));
    let (_, _, after) = sb.call(Some(&token), "auth.test", json!({})).await;
    assert_eq!(after["error"], "token_revoked");
    let (_, _, unknown) = sb
        .call(Some("a-token-never-issued"), "auth.test", json!({}))
        .await;
    assert_eq!(unknown["error"], "invalid_auth");
    let (_, _, none) = sb.call(None, "auth.test", json!({})).await;
    assert_eq!(none["error"], "not_authed");
}

#[tokio::test]
async fn conversations_list_pages_by_cursor() {
    let sb = sandbox(options()).await;
    let token = sb.install(SCOPE).await;
    let mut names = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let mut form = vec![("limit", "1000")];
        if !cursor.is_empty() {
            form.push(("cursor", cursor.as_str()));
        }
        let page = sb.form(Some(&token), "conversations.list", &form).await;
        assert_eq!(page["ok"], true, "{page}");
        let channels = page["channels"].as_array().unwrap();
        assert!(channels.len() <= 20, "a page holds at most 20");
        for c in channels {
            assert_eq!(c["is_channel"], true);
            names.push((
                c["name"].as_str().unwrap().to_owned(),
                c["is_member"].as_bool().unwrap(),
                c["is_archived"].as_bool().unwrap(),
                c["is_private"].as_bool().unwrap(),
            ));
        }
        pages += 1;
        cursor = page["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert!(pages >= 2, "a client must page");
    assert_eq!(
        names.len(),
        35,
        "five named public channels and thirty team ones"
    );
    let find = |n: &str| names.iter().find(|c| c.0 == n).unwrap().clone();
    assert!(find("general").1 && find("finance").1 && find("esg-reports").1);
    assert!(!find("random").1, "the bot is not in #random");
    assert!(find("old-projects").2, "#old-projects is archived");
    assert!(
        names.iter().all(|c| !c.3),
        "no private channel without asking"
    );
    assert_eq!(
        names.iter().filter(|c| c.0.starts_with("team-")).count(),
        30
    );

    // Arguments in a GET query work as well.
    let by_get: Value = sb
        .http
        .get(sb.url("/slack/api/conversations.list?limit=3&types=public_channel"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_get["channels"].as_array().unwrap().len(), 3, "{by_get}");
    let unknown: reqwest::Response = sb
        .http
        .get(sb.url("/slack/api/chat.nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"],
        "unknown_method"
    );

    // The limit is honoured.
    let small = sb
        .form(Some(&token), "conversations.list", &[("limit", "5")])
        .await;
    assert_eq!(small["channels"].as_array().unwrap().len(), 5);
    let cursor = small["response_metadata"]["next_cursor"].as_str().unwrap();
    let decoded = String::from_utf8(STANDARD.decode(cursor).unwrap()).unwrap();
    assert!(decoded.starts_with("team:C"), "{decoded}");

    let archived_out = sb
        .form(
            Some(&token),
            "conversations.list",
            &[
                ("exclude_archived", "true"),
                ("limit", "1000"),
                ("cursor", cursor),
            ],
        )
        .await;
    assert!(archived_out["channels"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["is_archived"] == false));
    let bad = sb
        .form(
            Some(&token),
            "conversations.list",
            &[("cursor", "bm9wZQ==")],
        )
        .await;
    assert_eq!(bad["error"], "invalid_cursor");
    let private = sb
        .form(
            Some(&token),
            "conversations.list",
            &[("types", "private_channel")],
        )
        .await;
    assert_eq!(private["error"], "missing_scope");
    assert_eq!(private["needed"], "groups:read");
    let with_groups = sb.install("channels:read,groups:read").await;
    let private = sb
        .form(
            Some(&with_groups),
            "conversations.list",
            &[("types", "private_channel")],
        )
        .await;
    let names: Vec<&str> = private["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["esg-steering"],
        "only the private channel the bot is in"
    );
}

#[tokio::test]
async fn post_message_succeeds_and_refuses_as_slack_does() {
    let sb = sandbox(options()).await;
    sb.roomy().await;
    let token = sb.install(SCOPE).await;
    let blocks = json!([
        {"type": "header", "text": {"type": "plain_text", "text": "November 2024"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*12.4 t CO2e*"}},
    ]);
    let (status, _, posted) = sb
        .call(
            Some(&token),
            "chat.postMessage",
            json!({"channel": SLACK_ESG_REPORTS_CHANNEL, "text": "Report", "blocks": blocks}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(posted["ok"], true, "{posted}");
    assert_eq!(posted["channel"], SLACK_ESG_REPORTS_CHANNEL);
    let ts = posted["ts"].as_str().unwrap().to_owned();
    let (secs, micros) = ts.split_once('.').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_700_000_000 && micros.len() == 6);
    assert_eq!(posted["message"]["bot_id"], "B0SANDBOX01");
    assert_eq!(posted["message"]["type"], "message");
    assert_eq!(posted["message"]["text"], "Report");
    assert_eq!(posted["message"]["ts"], ts.as_str());

    // By name, and from a form with blocks as a JSON string.
    let by_name = sb.post(&token, "#finance", "hello").await;
    assert_eq!(by_name["channel"], SLACK_FINANCE_CHANNEL);
    let form = sb
        .form(
            Some(&token),
            "chat.postMessage",
            &[
                ("channel", "general"),
                ("blocks", r#"[{"type":"divider"}]"#),
            ],
        )
        .await;
    assert_eq!(form["ok"], true, "{form}");

    // A JSON body without a charset draws Slack's warning.
    let warned: Value = sb
        .http
        .post(sb.url("/slack/api/chat.postMessage"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(json!({"channel": "general", "text": "x"}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(warned["ok"], true);
    assert_eq!(warned["warning"], "missing_charset");

    let (sbr, tok) = (&sb, token.as_str());
    let error = move |body: Value| async move {
        let (status, _, answer) = sb_call(sbr, tok, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["ok"], false);
        answer
    };
    async fn sb_call(sb: &Sandbox, token: &str, body: Value) -> (StatusCode, HeaderMap, Value) {
        sb.call(Some(token), "chat.postMessage", body).await
    }
    assert_eq!(
        error(json!({"channel": "C0NOWHERE1", "text": "x"})).await["error"],
        "channel_not_found"
    );
    assert_eq!(
        error(json!({"channel": "#board", "text": "x"})).await["error"],
        "channel_not_found"
    );
    assert_eq!(
        error(json!({"channel": SLACK_RANDOM_CHANNEL, "text": "x"})).await["error"],
        "not_in_channel"
    );
    assert_eq!(
        error(json!({"channel": SLACK_ARCHIVED_CHANNEL, "text": "x"})).await["error"],
        "is_archived"
    );
    assert_eq!(
        error(json!({"channel": "general"})).await["error"],
        "no_text"
    );
    assert_eq!(
        error(json!({"channel": "general", "text": "", "blocks": []})).await["error"],
        "no_text"
    );
    assert_eq!(
        error(json!({"channel": "general", "text": "x".repeat(40_001)})).await["error"],
        "msg_too_long"
    );
    assert_eq!(
        sb.post(&token, "general", &"x".repeat(40_000)).await["ok"],
        true
    );
    for blocks in [
        json!({"type": "divider"}),
        Value::Array((0..51).map(|_| json!({"type": "divider"})).collect()),
        json!([{"text": {"type": "mrkdwn", "text": "no type"}}]),
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "s".repeat(3001)}}]),
        json!([{"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}]),
    ] {
        let answer = error(json!({"channel": "general", "text": "x", "blocks": blocks})).await;
        assert_eq!(answer["error"], "invalid_blocks", "{answer}");
        assert!(answer["errors"][0]
            .as_str()
            .unwrap()
            .contains("json-pointer"));
    }
    let (_, _, unauthed) = sb
        .call(
            None,
            "chat.postMessage",
            json!({"channel": "general", "text": "x"}),
        )
        .await;
    assert_eq!(unauthed["error"], "not_authed");
    let (_, _, bad) = sb
        .call(
            Some("another-token-never-issued"),
            "chat.postMessage",
            json!({"channel": "general", "text": "x"}),
        )
        .await;
    assert_eq!(bad["error"], "invalid_auth");
    let reader = sb.install("channels:read").await;
    let (_, _, scope) = sb
        .call(
            Some(&reader),
            "chat.postMessage",
            json!({"channel": "general", "text": "x"}),
        )
        .await;
    assert_eq!(scope["error"], "missing_scope");
    assert_eq!(scope["needed"], "chat:write");
    let public = sb.install("chat:write,chat:write.public").await;
    assert_eq!(
        sb.post(&public, SLACK_RANDOM_CHANNEL, "x").await["ok"],
        true,
        "chat:write.public reaches public channels"
    );

    // A fault for the next call only.
    sb.control(
        "/_control/slack/faults",
        json!({"method": "chat.postMessage", "error": "channel_not_found", "count": 1}),
    )
    .await;
    assert_eq!(
        sb.post(&token, "general", "x").await["error"],
        "channel_not_found"
    );
    assert_eq!(sb.post(&token, "general", "x").await["ok"], true);

    // The kept messages, in order.
    let messages = sb.control_get("/_control/slack/messages").await;
    let list = messages.as_array().unwrap();
    assert_eq!(list[0]["via"], "bot");
    assert_eq!(list[0]["channel"], SLACK_ESG_REPORTS_CHANNEL);
    assert_eq!(list[0]["channel_name"], "esg-reports");
    assert_eq!(list[0]["ts"], ts.as_str());
    assert_eq!(list[0]["blocks"], blocks);
    assert_eq!(list[1]["text"], "hello");
    let ids: Vec<u64> = list.iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // chat.update keeps the change as an update.
    let (_, _, updated) = sb
        .call(
            Some(&token),
            "chat.update",
            json!({"channel": SLACK_ESG_REPORTS_CHANNEL, "ts": ts, "text": "Report (corrected)"}),
        )
        .await;
    assert_eq!(updated["ok"], true, "{updated}");
    assert_eq!(updated["text"], "Report (corrected)");
    let (_, _, missing) = sb
        .call(
            Some(&token),
            "chat.update",
            json!({"channel": SLACK_ESG_REPORTS_CHANNEL, "ts": "1.000001", "text": "x"}),
        )
        .await;
    assert_eq!(missing["error"], "message_not_found");
    let first = &sb.control_get("/_control/slack/messages").await[0];
    assert_eq!(first["updates"][0]["via"], "chat.update");
    assert_eq!(first["updates"][0]["text"], "Report (corrected)");

    // An administrator removes the app.
    let revoked = sb.control("/_control/slack/tokens/revoke", json!({})).await;
    assert!(revoked["revoked"].as_u64().unwrap() >= 3);
    assert_eq!(
        sb.post(&token, "general", "x").await["error"],
        "token_revoked"
    );
    let cleared = sb
        .http
        .delete(sb.url("/_control/slack/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(sb.control_get("/_control/slack/messages").await, json!([]));
}

#[tokio::test]
async fn a_burst_then_one_message_a_second_per_channel() {
    let sb = sandbox(options()).await;
    let token = sb.install(SCOPE).await;
    for i in 0..3 {
        assert_eq!(
            sb.post(&token, "finance", &format!("m{i}")).await["ok"],
            true
        );
    }
    let (status, headers, body) = sb
        .call(
            Some(&token),
            "chat.postMessage",
            json!({"channel": "finance", "text": "too soon"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(body, json!({"ok": false, "error": "ratelimited"}));
    assert_eq!(
        sb.post(&token, "general", "elsewhere").await["ok"],
        true,
        "per channel"
    );

    // The channel's webhook shares its pace.
    let hook = sb
        .control("/_control/slack/webhook", json!({"channel": "finance"}))
        .await;
    let answer = sb
        .http
        .post(hook["url"].as_str().unwrap())
        .json(&json!({"text": "hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.headers().contains_key("retry-after"));
    assert_eq!(answer.text().await.unwrap(), "rate_limited");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sb.post(&token, "finance", "later").await["ok"], true);

    // A queued rate limit with its own wait.
    sb.control(
        "/_control/slack/faults",
        json!({"method": "chat.postMessage", "error": "ratelimited", "retry_after": 7}),
    )
    .await;
    let (status, headers, _) = sb
        .call(
            Some(&token),
            "chat.postMessage",
            json!({"channel": "esg-reports", "text": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "7");
    let kept = sb.control_get("/_control/slack/messages").await;
    assert_eq!(
        kept.as_array().unwrap().len(),
        5,
        "refused calls are not kept"
    );
}

#[tokio::test]
async fn a_file_uploads_in_three_steps() {
    let sb = sandbox(options()).await;
    let token = sb.install(SCOPE).await;
    let length = PNG.len().to_string();
    let ticket = sb
        .form(
            Some(&token),
            "files.getUploadURLExternal",
            &[
                ("filename", "emissions-2024-11.png"),
                ("length", &length),
                ("alt_txt", "Emissions by month"),
            ],
        )
        .await;
    assert_eq!(ticket["ok"], true, "{ticket}");
    let file_id = ticket["file_id"].as_str().unwrap().to_owned();
    assert!(file_id.starts_with('F'));
    let upload_url = ticket["upload_url"].as_str().unwrap().to_owned();
    assert!(upload_url.starts_with(&sb.url("/slack/upload/")));
    let uploaded = sb
        .http
        .post(&upload_url)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::OK);
    assert_eq!(
        uploaded.text().await.unwrap(),
        format!("OK - {}", PNG.len())
    );
    let (_, _, done) = sb
        .call(
            Some(&token),
            "files.completeUploadExternal",
            json!({"files": [{"id": file_id, "title": "Emissions, November 2024"}],
                   "channel_id": SLACK_ESG_REPORTS_CHANNEL, "initial_comment": "The chart"}),
        )
        .await;
    assert_eq!(done["ok"], true, "{done}");
    assert_eq!(
        done["files"],
        json!([{"id": file_id, "title": "Emissions, November 2024", "name": "emissions-2024-11.png", "size": PNG.len()}])
    );
    let messages = sb.control_get("/_control/slack/messages").await;
    let shared = &messages[0];
    assert_eq!(shared["text"], "The chart");
    assert_eq!(shared["channel"], SLACK_ESG_REPORTS_CHANNEL);
    assert_eq!(
        shared["files"][0],
        json!({"id": file_id, "title": "Emissions, November 2024", "name": "emissions-2024-11.png",
               "size": PNG.len(), "png": true, "alt_txt": "Emissions by month"})
    );
    let bytes = sb
        .http
        .get(sb.url(&format!("/_control/slack/files/{file_id}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], PNG);

    // Completing twice, an id never handed out, bytes of the wrong length.
    let (_, _, twice) = sb
        .call(
            Some(&token),
            "files.completeUploadExternal",
            json!({"files": [{"id": file_id}], "channel_id": SLACK_ESG_REPORTS_CHANNEL}),
        )
        .await;
    assert_eq!(twice["error"], "file_not_found");
    let (_, _, unknown) = sb
        .call(
            Some(&token),
            "files.completeUploadExternal",
            json!({"files": [{"id": "F0NEVER0000"}]}),
        )
        .await;
    assert_eq!(unknown["error"], "file_not_found");
    let ticket = sb
        .form(
            Some(&token),
            "files.getUploadURLExternal",
            &[("filename", "a.png"), ("length", "100")],
        )
        .await;
    sb.http
        .post(ticket["upload_url"].as_str().unwrap())
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    let (_, _, short) = sb
        .call(
            Some(&token),
            "files.completeUploadExternal",
            json!({"files": [{"id": ticket["file_id"]}]}),
        )
        .await;
    assert_eq!(short["error"], "file_not_found");

    // Multipart bytes, shared from a form, into a channel the bot is not in.
    let ticket = sb
        .form(
            Some(&token),
            "files.getUploadURLExternal",
            &[("filename", "b.png"), ("length", &length)],
        )
        .await;
    let body = [
        b"--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.png\"\r\nContent-Type: image/png\r\n\r\n".as_slice(),
        PNG,
        b"\r\n--B0undary--\r\n",
    ]
    .concat();
    let uploaded = sb
        .http
        .post(ticket["upload_url"].as_str().unwrap())
        .header("content-type", "multipart/form-data; boundary=B0undary")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        uploaded.text().await.unwrap(),
        format!("OK - {}", PNG.len())
    );
    let files = json!([{"id": ticket["file_id"], "title": "b"}]).to_string();
    let refused = sb
        .form(
            Some(&token),
            "files.completeUploadExternal",
            &[("files", &files), ("channel_id", SLACK_RANDOM_CHANNEL)],
        )
        .await;
    assert_eq!(refused["error"], "not_in_channel");
    let private = sb
        .form(
            Some(&token),
            "files.completeUploadExternal",
            &[("files", &files)],
        )
        .await;
    assert_eq!(private["ok"], true, "{private}");
    assert_eq!(
        sb.control_get("/_control/slack/messages")
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "a file shared nowhere makes no message"
    );

    // Slack takes this method's arguments as a form only; and files:write is needed.
    let (_, _, json_body) = sb
        .call(
            Some(&token),
            "files.getUploadURLExternal",
            json!({"filename": "c.png", "length": 3}),
        )
        .await;
    assert_eq!(json_body["error"], "invalid_arguments");
    let writer = sb.install("chat:write").await;
    let scope = sb
        .form(
            Some(&writer),
            "files.getUploadURLExternal",
            &[("filename", "c.png"), ("length", "3")],
        )
        .await;
    assert_eq!(scope["error"], "missing_scope");
    assert_eq!(scope["needed"], "files:write");
}

#[tokio::test]
async fn incoming_webhooks_post_and_refuse_as_slack_does() {
    let sb = sandbox(options()).await;
    sb.roomy().await;
    let hook = sb
        .control("/_control/slack/webhook", json!({"channel": "esg-reports"}))
        .await;
    let url = hook["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&sb.url(&format!("/slack/hooks/{SLACK_TEAM_ID}/B"))),
        "{url}"
    );
    assert_eq!(hook["channel"], SLACK_ESG_REPORTS_CHANNEL);
    let send = |url: String, body: &'static [u8]| {
        let http = sb.http.clone();
        async move {
            let answer = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = answer.status();
            let content_type = answer
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, content_type, answer.text().await.unwrap())
        }
    };
    let (status, content_type, body) = send(
        url.clone(),
        br#"{"text":"Report","blocks":[{"type":"divider"}]}"#,
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    assert!(content_type.starts_with("text/html"));
    assert_eq!(send(url.clone(), b"not json").await.2, "invalid_payload");
    assert_eq!(
        send(url.clone(), b"not json").await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, _, body) = send(url.clone(), b"{}").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "no_text")
    );
    let (status, _, body) = send(
        url.clone(),
        br#"{"text":"x","blocks":[{"text":"no type"}]}"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_blocks")
    );
    let tampered = format!("{}x", &url[..url.len() - 1]);
    let (status, _, body) = send(tampered, br#"{"text":"x"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, "no_service")
    );

    sb.control(
        "/_control/slack/faults",
        json!({"method": "webhook", "error": "action_prohibited"}),
    )
    .await;
    let (status, _, body) = send(url.clone(), br#"{"text":"x"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::FORBIDDEN, "action_prohibited")
    );
    sb.control(
        "/_control/slack/faults",
        json!({"method": "webhook", "error": "channel_not_found"}),
    )
    .await;
    let (status, _, body) = send(url.clone(), br#"{"text":"x"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, "channel_not_found")
    );

    sb.control(
        "/_control/slack/webhooks/disable",
        json!({"channel": "esg-reports"}),
    )
    .await;
    assert_eq!(send(url.clone(), br#"{"text":"x"}"#).await.2, "no_service");
    let again = sb
        .control(
            "/_control/slack/webhook",
            json!({"channel": "#esg-reports"}),
        )
        .await;
    assert_eq!(again["url"], url.as_str(), "the same URL, enabled again");
    assert_eq!(send(url.clone(), br#"{"text":"back"}"#).await.2, "ok");

    let archived = sb
        .control("/_control/slack/webhook", json!({"channel": "finance"}))
        .await;
    sb.control(
        &format!("/_control/slack/channels/{SLACK_FINANCE_CHANNEL}/archive"),
        json!({}),
    )
    .await;
    let (status, _, body) = send(
        archived["url"].as_str().unwrap().to_owned(),
        br#"{"text":"x"}"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::GONE, "channel_is_archived")
    );

    // A form with a `payload` field works too.
    let answer = sb
        .http
        .post(&url)
        .form(&[("payload", r#"{"text":"from a form"}"#)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");

    let messages = sb.control_get("/_control/slack/messages").await;
    let list = messages.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list
        .iter()
        .all(|m| m["via"] == "webhook" && m["channel_name"] == "esg-reports"));
    assert_eq!(list[2]["text"], "from a form");

    // A webhook's message is not the bot's to edit.
    let token = sb.install(SCOPE).await;
    let (_, _, update) = sb
        .call(
            Some(&token),
            "chat.update",
            json!({"channel": SLACK_ESG_REPORTS_CHANNEL, "ts": list[0]["ts"], "text": "x"}),
        )
        .await;
    assert_eq!(update["error"], "cant_update_message");
}

/// A Request URL that checks Slack's signature as an app should: 401 for a bad or stale
/// one, 409 for a replayed one, 200 "thanks" otherwise. Keeps every request it saw.
async fn request_url() -> (String, Arc<Mutex<Vec<(HeaderMap, String)>>>) {
    use axum::http::StatusCode as S;
    let seen: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/slack/interactions",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let timestamp = headers["x-slack-request-timestamp"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let signature = headers["x-slack-signature"].to_str().unwrap().to_owned();
                let replayed = kept
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|(h, _)| h["x-slack-signature"] == signature.as_str());
                kept.lock().unwrap().push((headers, body.clone()));
                let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
                if sign(SLACK_SIGNING_SECRET, &timestamp, &body) != signature {
                    (S::UNAUTHORIZED, "bad signature")
                } else if age > 300 {
                    (S::UNAUTHORIZED, "stale")
                } else if replayed {
                    (S::CONFLICT, "replay")
                } else {
                    (S::OK, "thanks")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/slack/interactions"), seen)
}

#[tokio::test]
async fn button_clicks_are_signed_and_answered_through_the_response_url() {
    let sb = sandbox(options()).await;
    let token = sb.install(SCOPE).await;
    let (_, _, posted) = sb
        .call(
            Some(&token),
            "chat.postMessage",
            json!({"channel": "esg-reports", "text": "Sync failed", "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "Xero sync failed"}},
                {"type": "actions", "block_id": "incident_7", "elements": [{"type": "button",
                  "action_id": "retry_sync", "value": "connection:3",
                  "text": {"type": "plain_text", "text": "Retry sync"}}]}]}),
        )
        .await;
    let ts = posted["ts"].as_str().unwrap().to_owned();
    let (target, seen) = request_url().await;
    let sbr = &sb;
    let (ts2, target2) = (ts.clone(), target.clone());
    let click = move |variant: &'static str| {
        let body = json!({"ts": ts2.clone(), "action_id": "retry_sync", "target": target2.clone(), "variant": variant});
        async move { sbr.control("/_control/slack/interact", body).await }
    };

    let valid = click("valid").await;
    assert_eq!(valid["statuses"], json!([200]));
    assert_eq!(valid["bodies"], json!(["thanks"]));
    let (headers, body) = seen.lock().unwrap()[0].clone();
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    let timestamp = headers["x-slack-request-timestamp"].to_str().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap()).abs() < 60);
    assert_eq!(
        headers["x-slack-signature"].to_str().unwrap(),
        sign(SLACK_SIGNING_SECRET, timestamp, &body)
    );
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].0, "payload");
    let payload: Value = serde_json::from_str(&fields[0].1).unwrap();
    assert_eq!(payload, valid["payload"]);
    assert_eq!(payload["type"], "block_actions");
    assert_eq!(payload["user"]["team_id"], SLACK_TEAM_ID);
    assert_eq!(payload["api_app_id"], "A0SANDBOX01");
    assert_eq!(
        payload["container"],
        json!({"type": "message", "message_ts": ts, "channel_id": SLACK_ESG_REPORTS_CHANNEL, "is_ephemeral": false})
    );
    assert_eq!(payload["team"]["id"], SLACK_TEAM_ID);
    assert_eq!(
        payload["channel"],
        json!({"id": SLACK_ESG_REPORTS_CHANNEL, "name": "esg-reports"})
    );
    assert_eq!(payload["message"]["ts"], ts.as_str());
    assert_eq!(payload["actions"][0]["action_id"], "retry_sync");
    assert_eq!(payload["actions"][0]["block_id"], "incident_7");
    assert_eq!(payload["actions"][0]["value"], "connection:3");
    assert_eq!(payload["actions"][0]["type"], "button");
    assert!(payload["trigger_id"].is_string() && payload["token"].is_string());
    let response_url = payload["response_url"].as_str().unwrap().to_owned();
    assert!(response_url.starts_with(&sb.url("/slack/actions/")));

    let bad = click("bad_signature").await;
    assert_eq!(bad["statuses"], json!([401]));
    let (headers, body) = seen.lock().unwrap()[1].clone();
    let timestamp = headers["x-slack-request-timestamp"].to_str().unwrap();
    assert_ne!(
        headers["x-slack-signature"].to_str().unwrap(),
        sign(SLACK_SIGNING_SECRET, timestamp, &body)
    );

    let stale = click("stale").await;
    assert_eq!(stale["bodies"], json!(["stale"]));
    let (headers, body) = seen.lock().unwrap()[2].clone();
    let timestamp = headers["x-slack-request-timestamp"].to_str().unwrap();
    assert_eq!(
        headers["x-slack-signature"].to_str().unwrap(),
        sign(SLACK_SIGNING_SECRET, timestamp, &body),
        "correctly signed"
    );
    assert!(chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap() >= 359);

    let replay = click("replay").await;
    assert_eq!(replay["statuses"], json!([200, 409]));
    let seen_now = seen.lock().unwrap().clone();
    assert_eq!(seen_now[3].1, seen_now[4].1, "the same body twice");
    assert_eq!(
        seen_now[3].0["x-slack-signature"],
        seen_now[4].0["x-slack-signature"]
    );

    // The app answers through the response URL.
    let answer = sb
        .http
        .post(&response_url)
        .json(&json!({"replace_original": true, "text": "Retrying…", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Retrying…"}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer = sb
        .http
        .post(&response_url)
        .json(&json!({"response_type": "ephemeral", "text": "Only you can see this"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let messages = sb.control_get("/_control/slack/messages").await;
    let updates = &messages[0]["updates"];
    assert_eq!(updates[0]["via"], "response_url");
    assert_eq!(updates[0]["kind"], "replace");
    assert_eq!(updates[0]["text"], "Retrying…");
    assert_eq!(updates[1]["kind"], "ephemeral");
    let unknown = sb
        .http
        .post(sb.url("/slack/actions/nope"))
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // The replaced message no longer has the button.
    let gone = sb
        .http
        .post(sb.url("/_control/slack/interact"))
        .json(&json!({"ts": ts, "action_id": "retry_sync", "target": target}))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

fn card(body: Value) -> Value {
    json!({"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null,
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard", "version": "1.5", "body": body}}]})
}

async fn trigger(sb: &Sandbox, url: &str, body: &[u8]) -> (StatusCode, Value) {
    let answer = sb
        .http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        },
    )
}

#[tokio::test]
async fn the_teams_workflow_accepts_cards_and_refuses_as_logic_apps_does() {
    let sb = sandbox(options()).await;
    let workflows = sb.control_get("/_control/teams/workflows").await;
    let default = &workflows[0];
    assert_eq!(default["default"], true);
    assert_eq!(default["channel"], "ESG reports");
    let url = default["url"].as_str().unwrap().to_owned();
    assert!(url.contains("/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig="), "{url}");

    let png = STANDARD.encode(PNG);
    let good = card(json!([
        {"type": "TextBlock", "text": "November 2024: 12.4 t CO2e", "wrap": true},
        {"type": "Image", "url": format!("data:image/png;base64,{png}"), "altText": "chart"},
    ]));
    let answer = sb.http.post(&url).json(&good).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    assert!(answer.headers().contains_key("x-ms-workflow-run-id"));
    assert_eq!(answer.text().await.unwrap(), "");

    let code = |v: &Value| v["error"]["code"].as_str().unwrap().to_owned();
    let no_sig = url.split("&sig=").next().unwrap().to_owned();
    let (status, body) = trigger(&sb, &no_sig, b"{}").await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::UNAUTHORIZED, "DirectApiAuthorizationRequired")
    );
    let (status, body) = trigger(&sb, &format!("{no_sig}&sig=AAAA"), b"{}").await;
    assert_eq!(
        (status, code(&body).as_str()),
        (
            StatusCode::UNAUTHORIZED,
            "DirectApiInvalidAuthorizationSignature"
        )
    );
    let other = url.replace(
        default["id"].as_str().unwrap(),
        "0123456789abcdef0123456789abcdef",
    );
    let (status, body) = trigger(&sb, &other, b"{}").await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::NOT_FOUND, "WorkflowNotFound")
    );
    let (status, body) = trigger(&sb, &url, b"{not json").await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "InvalidRequestContent")
    );
    let (status, body) = trigger(&sb, &url.replace("api-version=2016-06-01&", ""), b"{}").await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "MissingApiVersionParameter")
    );

    sb.control(
        "/_control/teams/faults",
        json!({"status": 502, "code": "BadGateway", "count": 1}),
    )
    .await;
    let (status, body) = trigger(&sb, &url, good.to_string().as_bytes()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::BAD_GATEWAY, "BadGateway")
    );

    // An oversized card and a too-new one are accepted, and kept as not posted.
    let filler = "x".repeat(29 * 1024);
    let big = card(json!([{"type": "TextBlock", "text": filler}]));
    assert_eq!(
        trigger(&sb, &url, big.to_string().as_bytes()).await.0,
        StatusCode::ACCEPTED
    );
    let mut newer = card(json!([{"type": "TextBlock", "text": "hi"}]));
    newer["attachments"][0]["content"]["version"] = json!("1.6");
    assert_eq!(
        trigger(&sb, &url, newer.to_string().as_bytes()).await.0,
        StatusCode::ACCEPTED
    );
    let bare = json!({"type": "message", "text": "no card"});
    assert_eq!(
        trigger(&sb, &url, bare.to_string().as_bytes()).await.0,
        StatusCode::ACCEPTED
    );

    let messages = sb.control_get("/_control/teams/messages").await;
    let list = messages.as_array().unwrap();
    assert_eq!(list.len(), 4, "refused requests are not kept");
    assert_eq!(list[0]["posted"], true);
    assert_eq!(list[0]["reason"], Value::Null);
    assert_eq!(list[0]["workflow_id"], default["id"]);
    assert_eq!(list[0]["card"], good["attachments"][0]["content"]);
    assert_eq!(
        list[0]["images"],
        json!([{"size": PNG.len(), "png": true, "mime": "image/png"}])
    );
    assert_eq!(list[1]["posted"], false);
    assert_eq!(
        list[1]["reason"],
        "the card could not be posted: the message is larger than Teams' 28 KB"
    );
    assert_eq!(list[2]["posted"], false);
    assert!(list[2]["reason"].as_str().unwrap().contains("1.6"));
    assert_eq!(list[3]["posted"], false);

    // A new workflow, turned off, then deleted.
    let created = sb
        .control("/_control/teams/workflows", json!({"channel": "Finance"}))
        .await;
    let new_url = created["url"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(
        trigger(&sb, &new_url, good.to_string().as_bytes()).await.0,
        StatusCode::ACCEPTED
    );
    sb.control(
        &format!("/_control/teams/workflows/{id}/disable"),
        json!({}),
    )
    .await;
    let (status, body) = trigger(&sb, &new_url, good.to_string().as_bytes()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::CONFLICT, "WorkflowTriggerIsNotEnabled")
    );
    let deleted = sb
        .http
        .delete(sb.url(&format!("/_control/teams/workflows/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let (status, body) = trigger(&sb, &new_url, good.to_string().as_bytes()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (StatusCode::NOT_FOUND, "WorkflowNotFound")
    );

    // Throttled past the pace.
    sb.control("/_control/teams/settings", json!({"calls_per_minute": 2}))
        .await;
    for _ in 0..2 {
        assert_eq!(
            trigger(&sb, &url, good.to_string().as_bytes()).await.0,
            StatusCode::ACCEPTED
        );
    }
    let answer = sb.http.post(&url).json(&good).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        answer.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let body: Value = answer.json().await.unwrap();
    assert_eq!(code(&body), "WorkflowRequestsThrottled");

    let cleared = sb
        .http
        .delete(sb.url("/_control/teams/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(sb.control_get("/_control/teams/messages").await, json!([]));
}

#[tokio::test]
async fn tokens_urls_and_messages_survive_a_restart_on_the_same_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("state.json");
    let opts = |seed: u64| SandboxOptions {
        state_path: Some(state_path.clone()),
        seed,
        ..options()
    };
    let first = sandbox(opts(2024)).await;
    let token = first.install(SCOPE).await;
    let revoked = first.install(SCOPE).await;
    first
        .form(None, "auth.revoke", &[("token", revoked.as_str())])
        .await;
    let hook = first
        .control("/_control/slack/webhook", json!({"channel": "esg-reports"}))
        .await;
    let hook_url = hook["url"].as_str().unwrap().to_owned();
    assert_eq!(
        hook_url,
        carbonsync_sandbox::slack_webhook_url(
            first.handle.base_url(),
            2024,
            SLACK_ESG_REPORTS_CHANNEL
        )
    );
    assert_eq!(
        first
            .post(&token, "esg-reports", "from the first process")
            .await["ok"],
        true
    );
    first
        .control(
            &format!("/_control/slack/channels/{SLACK_FINANCE_CHANNEL}/archive"),
            json!({}),
        )
        .await;
    let workflows = first.control_get("/_control/teams/workflows").await;
    let default_url = workflows[0]["url"].as_str().unwrap().to_owned();
    assert_eq!(
        default_url,
        carbonsync_sandbox::teams_workflow_url(
            first.handle.base_url(),
            2024,
            &carbonsync_sandbox::teams_default_workflow_id(2024)
        )
    );
    let created = first.control("/_control/teams/workflows", json!({})).await;
    let created_url = created["url"].as_str().unwrap().to_owned();
    let big_png = [PNG, &[7u8; 2000]].concat();
    let with_image = card(
        json!([{"type": "Image", "url": format!("data:image/png;base64,{}", STANDARD.encode(&big_png))}]),
    );
    assert_eq!(
        trigger(&first, &default_url, with_image.to_string().as_bytes())
            .await
            .0,
        StatusCode::ACCEPTED
    );
    let first_base = first.handle.base_url().to_owned();
    first.handle.shutdown().await;

    let text = std::fs::read_to_string(&state_path).unwrap();
    assert!(!text.contains(&token), "no usable token is written down");

    let second = sandbox(opts(2024)).await;
    let moved = |url: &str| url.replacen(&first_base, second.handle.base_url(), 1);
    let (_, _, me) = second.call(Some(&token), "auth.test", json!({})).await;
    assert_eq!(me["ok"], true, "{me}");
    let (_, _, gone) = second.call(Some(&revoked), "auth.test", json!({})).await;
    assert_eq!(gone["error"], "token_revoked");
    let answer = second
        .http
        .post(moved(&hook_url))
        .json(&json!({"text": "from the second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");
    assert_eq!(
        second.post(&token, "finance", "x").await["error"],
        "is_archived"
    );
    for url in [&default_url, &created_url] {
        assert_eq!(
            trigger(&second, &moved(url), card(json!([])).to_string().as_bytes())
                .await
                .0,
            StatusCode::ACCEPTED
        );
    }
    let slack = second.control_get("/_control/slack/messages").await;
    let texts: Vec<&str> = slack
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["from the first process", "from the second"]);
    assert!(slack[1]["id"].as_u64() > slack[0]["id"].as_u64());
    let teams = second.control_get("/_control/teams/messages").await;
    assert_eq!(teams.as_array().unwrap().len(), 3);
    assert_eq!(
        teams[0]["images"],
        json!([{"size": big_png.len(), "png": true, "mime": "image/png"}])
    );
    second.handle.shutdown().await;

    // Another seed hands out other URLs: the old ones are unknown there.
    let other = sandbox(SandboxOptions {
        state_path: None,
        seed: 7,
        ..options()
    })
    .await;
    let moved = |url: &str| url.replacen(&first_base, other.handle.base_url(), 1);
    let answer = other
        .http
        .post(moved(&hook_url))
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        trigger(&other, &moved(&default_url), b"{}").await.0,
        StatusCode::NOT_FOUND
    );
}
