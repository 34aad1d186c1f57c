//! The authorization server: consent, PKCE, redirect URI rules, refresh rotation, revocation.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use carbonsync_sandbox::{SandboxOptions, CLIENT_ID};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

async fn oauth_error(answer: reqwest::Response) -> String {
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert!(body["error_description"].is_string());
    body["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_user_approves_on_the_consent_page_and_the_app_exchanges_the_code_with_pkce() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let html = sb.consent_page(&pkce, REDIRECT, SCOPE).await;
    assert!(html.contains("CarbonSync sandbox — a local stand-in for Xero, not the real Xero"));
    assert!(html.contains("Harbour &amp; Pine Ltd"));
    assert!(html.contains("Northwind Outfitters Inc."));
    assert!(html.contains("accounting.banktransactions.read"));
    assert!(html.contains("action=\"/xero/identity/connect/authorize/decision\""));
    assert!(html
        .contains("<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>"));
    assert!(html.contains("<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>"));

    let answer = sb.decide(&scrape_request_id(&html), "approve").await;
    let (location, params) = location_params(&answer);
    assert_eq!(&location.as_str()[..REDIRECT.len()], REDIRECT);
    assert_eq!(param(&params, "state"), Some("st4te"));
    let code = param(&params, "code").unwrap();

    let tokens = sb.exchange(code, &pkce.verifier, REDIRECT).await;
    assert_eq!(tokens.status(), StatusCode::OK);
    assert_eq!(tokens.headers()["cache-control"], "no-store");
    let body: Value = tokens.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["scope"], SCOPE);
    let access = body["access_token"].as_str().unwrap();
    assert!(access.starts_with("sbx_at_") && access.len() == 47);
    assert!(body["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("sbx_rt_"));

    let connections = sb.api(access, None, "/connections", None).await;
    assert_eq!(connections.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_code_verifier_is_refused() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let code = sb.code_for(&pkce, REDIRECT, SCOPE).await;
    let other = crate::support::pkce();
    let answer = sb.exchange(&code, &other.verifier, REDIRECT).await;
    assert_eq!(oauth_error(answer).await, "invalid_grant");
}

#[tokio::test]
async fn a_code_can_be_exchanged_only_once() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let code = sb.code_for(&pkce, REDIRECT, SCOPE).await;
    assert_eq!(
        sb.exchange(&code, &pkce.verifier, REDIRECT).await.status(),
        StatusCode::OK
    );
    let again = sb.exchange(&code, &pkce.verifier, REDIRECT).await;
    assert_eq!(oauth_error(again).await, "invalid_grant");
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let sb = sandbox(SandboxOptions {
        code_ttl: Duration::ZERO,
        ..options()
    })
    .await;
    let pkce = pkce();
    let code = sb.code_for(&pkce, REDIRECT, SCOPE).await;
    let answer = sb.exchange(&code, &pkce.verifier, REDIRECT).await;
    assert_eq!(oauth_error(answer).await, "invalid_grant");
}

#[tokio::test]
async fn a_redirect_uri_on_another_loopback_port_is_accepted_but_must_match_at_exchange() {
    let sb = sandbox(options()).await;
    for redirect in [
        "http://localhost:8123/callback",
        "http://[::1]:9/callback",
        "http://127.0.0.1:1/callback",
    ] {
        let pkce = pkce();
        let code = sb.code_for(&pkce, redirect, SCOPE).await;
        let answer = sb.exchange(&code, &pkce.verifier, redirect).await;
        assert_eq!(answer.status(), StatusCode::OK, "{redirect}");
    }
    let pkce = pkce();
    let code = sb
        .code_for(&pkce, "http://127.0.0.1:4000/callback", SCOPE)
        .await;
    let answer = sb
        .exchange(&code, &pkce.verifier, "http://127.0.0.1:4001/callback")
        .await;
    assert_eq!(oauth_error(answer).await, "invalid_grant");
}

#[tokio::test]
async fn the_custom_scheme_redirect_gets_its_code_appended() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let html = sb
        .consent_page(&pkce, "carbonsync://oauth/callback", SCOPE)
        .await;
    let answer = sb.decide(&scrape_request_id(&html), "approve").await;
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("carbonsync://oauth/callback?code=sbx_code_"));
    assert!(location.ends_with("&state=st4te"));
}

#[tokio::test]
async fn a_redirect_uri_on_another_host_gets_a_400_page_and_no_redirect() {
    let sb = sandbox(options()).await;
    for redirect in [
        "http://evil.example/callback",
        "http://127.0.0.1:8080/elsewhere",
        "https://127.0.0.1/callback",
    ] {
        let answer = sb.authorize(&pkce(), redirect, SCOPE).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{redirect}");
        assert!(answer.headers().get("location").is_none());
        assert!(answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

#[tokio::test]
async fn an_unknown_client_gets_a_400_page_and_no_redirect() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let answer = sb
        .authorize_with(&[
            ("response_type", "code"),
            ("client_id", "someone-else"),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPE),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(answer.headers().get("location").is_none());
}

#[tokio::test]
async fn protocol_errors_redirect_back_with_invalid_request_and_the_state() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let base = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPE),
        ("state", "keep-me"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let variants: Vec<Vec<(&str, &str)>> = vec![
        base.iter()
            .filter(|(k, _)| *k != "code_challenge")
            .copied()
            .collect(),
        base.iter()
            .map(|&(k, v)| {
                if k == "code_challenge_method" {
                    (k, "plain")
                } else {
                    (k, v)
                }
            })
            .collect(),
        base.iter()
            .map(|&(k, v)| {
                if k == "response_type" {
                    (k, "token")
                } else {
                    (k, v)
                }
            })
            .collect(),
    ];
    for params in variants {
        let answer = sb.authorize_with(&params).await;
        let (location, query) = location_params(&answer);
        assert!(location.as_str().starts_with(REDIRECT));
        assert_eq!(param(&query, "error"), Some("invalid_request"));
        assert!(param(&query, "error_description").is_some());
        assert_eq!(param(&query, "state"), Some("keep-me"));
        assert_eq!(param(&query, "code"), None);
    }
}

#[tokio::test]
async fn denying_consent_redirects_with_access_denied() {
    let sb = sandbox(options()).await;
    let html = sb.consent_page(&pkce(), REDIRECT, SCOPE).await;
    let answer = sb.decide(&scrape_request_id(&html), "deny").await;
    let location = answer.headers()["location"].to_str().unwrap();
    assert_eq!(
        location,
        format!(
            "{REDIRECT}?error=access_denied&error_description=The+user+denied+access&state=st4te"
        )
    );
}

#[tokio::test]
async fn a_consent_request_can_be_answered_only_once() {
    let sb = sandbox(options()).await;
    let html = sb.consent_page(&pkce(), REDIRECT, SCOPE).await;
    let id = scrape_request_id(&html);
    assert_eq!(sb.decide(&id, "approve").await.status(), StatusCode::FOUND);
    let again = sb.decide(&id, "approve").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());
}

#[tokio::test]
async fn auto_approve_skips_the_consent_page() {
    let sb = sandbox(options()).await;
    sb.control_ok("/_control/settings", json!({"auto_approve": true}))
        .await;
    let pkce = pkce();
    let answer = sb.authorize(&pkce, REDIRECT, SCOPE).await;
    let (_, params) = location_params(&answer);
    assert_eq!(param(&params, "state"), Some("st4te"));
    let code = param(&params, "code").unwrap();
    assert_eq!(
        sb.exchange(code, &pkce.verifier, REDIRECT).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn refreshing_rotates_both_tokens_and_the_old_refresh_token_is_refused() {
    let sb = sandbox(options()).await;
    // Without a grace, a rotated refresh token is dead at once.
    assert_eq!(
        sb.control_ok("/_control/refresh_grace", json!({"secs": 0}))
            .await["secs"],
        0
    );
    let first = sb.sign_in().await;
    let answer = sb.refresh(&first.refresh).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap();
    let new_refresh = body["refresh_token"].as_str().unwrap();
    assert_ne!(new_access, first.access);
    assert_ne!(new_refresh, first.refresh);
    assert_eq!(body["scope"], SCOPE);

    assert_eq!(
        oauth_error(sb.refresh(&first.refresh).await).await,
        "invalid_grant"
    );
    assert_eq!(
        sb.api(new_access, None, "/connections", None)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(sb.refresh(new_refresh).await.status(), StatusCode::OK);

    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["tokens"]["issued"], 1);
    assert_eq!(stats["tokens"]["refreshed"], 2);
}

#[tokio::test]
async fn a_lost_refresh_answer_can_be_retried_with_the_old_token_until_the_grace_ends() {
    let sb = sandbox(options()).await;
    // Xero's grace: 30 minutes.
    assert_eq!(
        sb.control_get("/_control/refresh_grace").await["secs"],
        1800
    );
    sb.control_ok("/_control/refresh_grace", json!({"secs": 2}))
        .await;
    let first = sb.sign_in().await;
    // The answer to this refresh is "lost": the client never sees these tokens.
    assert_eq!(sb.refresh(&first.refresh).await.status(), StatusCode::OK);

    let retried = sb.refresh(&first.refresh).await;
    assert_eq!(retried.status(), StatusCode::OK);
    let body: Value = retried.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    let live_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        sb.api(access, None, "/connections", None).await.status(),
        StatusCode::OK
    );

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let late = sb.refresh(&first.refresh).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    let body: Value = late.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let why = body["error_description"].as_str().unwrap();
    assert!(
        why.contains("was rotated") && why.contains("retried for 2 s only"),
        "{why}"
    );
    // The token the retry issued is the live one.
    assert_eq!(sb.refresh(&live_refresh).await.status(), StatusCode::OK);
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["tokens"]["refreshed"], 3);
}

#[tokio::test]
async fn a_lost_refresh_answer_rotates_the_token_and_cuts_the_answer_off() {
    let sb = sandbox(options()).await;
    let first = sb.sign_in().await;
    sb.control_ok("/_control/lose_refresh_answers", json!({"count": 1}))
        .await;
    let cut = sb.refresh(&first.refresh).await;
    assert_eq!(cut.status(), StatusCode::OK);
    assert!(
        cut.json::<Value>().await.is_err(),
        "the answer is unreadable"
    );
    // The rotation happened; the retry with the held token is inside the grace.
    let retried = sb.refresh(&first.refresh).await;
    assert_eq!(retried.status(), StatusCode::OK);
    assert!(retried.json::<Value>().await.unwrap()["refresh_token"].is_string());
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["tokens"]["refreshed"], 2);
}

#[tokio::test]
async fn the_refresh_grace_setting_refuses_what_is_not_a_number_of_seconds() {
    let sb = sandbox(options()).await;
    let answer = sb
        .control_post("/_control/refresh_grace", json!({"secs": "soon"}))
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        sb.control_get("/_control/refresh_grace").await["secs"],
        1800
    );
}

#[tokio::test]
async fn no_refresh_token_is_issued_without_offline_access() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let code = sb
        .code_for(&pkce, REDIRECT, "accounting.settings.read")
        .await;
    let body: Value = sb
        .exchange(&code, &pkce.verifier, REDIRECT)
        .await
        .json()
        .await
        .unwrap();
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn revoking_the_refresh_token_kills_its_access_tokens() {
    let sb = sandbox(options()).await;
    let tokens = sb.sign_in().await;
    let other = sb.sign_in().await;
    assert_eq!(sb.revoke(&tokens.refresh).await.status(), StatusCode::OK);

    let answer = sb.api(&tokens.access, None, "/connections", None).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["Title"], "Unauthorized");
    assert_eq!(body["Status"], 401);
    assert_eq!(body["Detail"], "AuthenticationUnsuccessful");
    assert_eq!(
        oauth_error(sb.refresh(&tokens.refresh).await).await,
        "invalid_grant"
    );

    // Another grant is untouched, and revoking an unknown token is still a 200.
    assert_eq!(
        sb.api(&other.access, None, "/connections", None)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        sb.revoke("sbx_rt_not_a_real_token").await.status(),
        StatusCode::OK
    );
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["tokens"]["revoked"], 1);
}

#[tokio::test]
async fn an_expired_access_token_is_reported_as_token_expired() {
    let sb = sandbox(options()).await;
    sb.control_ok("/_control/settings", json!({"access_token_ttl_secs": 0}))
        .await;
    let tokens = sb.sign_in().await;
    let answer = sb.api(&tokens.access, None, "/connections", None).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    let detail = body["Detail"].as_str().unwrap();
    assert!(
        detail.starts_with("TokenExpired: token expired at "),
        "{detail}"
    );
    // The refresh token still works and brings a token with the new lifetime.
    sb.control_ok("/_control/settings", json!({"access_token_ttl_secs": 600}))
        .await;
    let body: Value = sb.refresh(&tokens.refresh).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 600);
}

#[tokio::test]
async fn http_basic_with_an_empty_secret_identifies_the_client() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let code = sb.code_for(&pkce, REDIRECT, SCOPE).await;
    let answer = sb
        .http
        .post(sb.url("/xero/identity/connect/token"))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:"))),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", pkce.verifier.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_endpoint_errors_are_oauth_json() {
    let sb = sandbox(options()).await;
    let unsupported = sb
        .token(&[("grant_type", "password"), ("client_id", CLIENT_ID)])
        .await;
    assert_eq!(oauth_error(unsupported).await, "unsupported_grant_type");
    let stranger = sb
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", "nobody"),
            ("refresh_token", "x"),
        ])
        .await;
    assert_eq!(oauth_error(stranger).await, "invalid_client");
    let missing = sb
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
        ])
        .await;
    assert_eq!(oauth_error(missing).await, "invalid_request");
    let json_body = sb
        .http
        .post(sb.url("/xero/identity/connect/token"))
        .json(&json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(json_body).await, "invalid_request");
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let sb = sandbox(options()).await;
    sb.control_ok("/_control/settings", json!({"refresh_token_ttl_secs": 0}))
        .await;
    let tokens = sb.sign_in().await;
    assert_eq!(
        oauth_error(sb.refresh(&tokens.refresh).await).await,
        "invalid_grant"
    );
}
