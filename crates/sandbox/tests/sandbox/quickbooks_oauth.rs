//! Intuit's authorization server for QuickBooks Online: consent with `realmId` on the
//! callback, HTTP Basic at the token endpoint, Intuit's answer shapes, rotation, revocation.

use carbonsync_sandbox::{SandboxOptions, CLIENT_ID, QUICKBOOKS_CLIENT_ID};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::quickbooks_support::*;
use crate::support::*;

async fn error_of(answer: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(answer.status(), status);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn a_user_connects_the_company_and_the_app_gets_intuit_shaped_tokens() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let page = sb.qb_consent(&pkce).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().contains_key("intuit_tid"));
    let html = page.text().await.unwrap();
    assert!(html.contains("a local stand-in for QuickBooks Online, not the real QuickBooks"));
    assert!(html.contains("Cedar &amp; Finch Trading Co."));
    assert!(html.contains(REALM));
    assert!(html.contains("action=\"/quickbooks/oauth2/authorize/decision\""));

    let answer = sb.qb_decide(&scrape_request_id(&html), "approve").await;
    let (location, params) = location_params(&answer);
    assert!(location.as_str().starts_with(REDIRECT));
    let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["code", "state", "realmId"]);
    assert_eq!(param(&params, "state"), Some("qb-st4te"));
    assert_eq!(param(&params, "realmId"), Some("9341453050090071"));

    let tokens = sb
        .qb_exchange(param(&params, "code").unwrap(), &pkce.verifier)
        .await;
    assert_eq!(tokens.status(), StatusCode::OK);
    assert_eq!(tokens.headers()["cache-control"], "no-store");
    let body: Value = tokens.json().await.unwrap();
    let mut fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "token_type",
            "x_refresh_token_expires_in"
        ]
    );
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["x_refresh_token_expires_in"], 8_726_400);

    let access = body["access_token"].as_str().unwrap();
    let info = sb
        .qb_get(access, &format!("/companyinfo/{REALM}?minorversion=75"))
        .await;
    assert_eq!(info.status(), StatusCode::OK);
    let stats = sb.control_get("/_control/stats").await;
    assert_eq!(stats["calls"]["GET /quickbooks/authorize"], 1);
    assert_eq!(stats["calls"]["POST /quickbooks/authorize/decision"], 1);
    assert_eq!(stats["calls"]["POST /quickbooks/tokens/bearer"], 1);
    assert_eq!(
        stats["calls"]["POST /token"], 0,
        "Xero's endpoint was not used"
    );
    assert_eq!(stats["tokens"]["issued"], 1);
}

#[tokio::test]
async fn denying_redirects_with_access_denied_and_the_state_only() {
    let sb = sandbox(options()).await;
    let html = sb.qb_consent(&pkce()).await.text().await.unwrap();
    let answer = sb.qb_decide(&scrape_request_id(&html), "deny").await;
    let (_, params) = location_params(&answer);
    assert_eq!(
        params,
        vec![
            ("error".to_owned(), "access_denied".to_owned()),
            ("state".to_owned(), "qb-st4te".to_owned())
        ]
    );
}

#[tokio::test]
async fn auto_approve_answers_with_a_code_and_the_realm_at_once() {
    let sb = sandbox(SandboxOptions {
        auto_approve: true,
        ..options()
    })
    .await;
    let pkce = pkce();
    let answer = sb.qb_consent(&pkce).await;
    let (_, params) = location_params(&answer);
    assert_eq!(param(&params, "realmId"), Some(REALM));
    let code = param(&params, "code").unwrap();
    assert_eq!(
        sb.qb_exchange(code, &pkce.verifier).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_the_quickbooks_app_with_a_loopback_redirect_and_the_accounting_scope_gets_in() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let request = |client: &'static str, redirect: &'static str, scope: &'static str| {
        vec![
            ("client_id", client),
            ("response_type", "code"),
            ("scope", scope),
            ("redirect_uri", redirect),
            ("state", "s"),
        ]
    };
    // Xero's client is unknown here, and Intuit allows no custom scheme: a page, no redirect.
    for params in [
        request(CLIENT_ID, REDIRECT, QB_SCOPE),
        request(
            QUICKBOOKS_CLIENT_ID,
            "carbonsync://oauth/callback",
            QB_SCOPE,
        ),
        request(
            QUICKBOOKS_CLIENT_ID,
            "http://evil.example/callback",
            QB_SCOPE,
        ),
    ] {
        let answer = sb.qb_authorize(&params).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{params:?}");
        assert!(answer.headers().get("location").is_none());
        let html = answer.text().await.unwrap();
        assert!(html.contains("not the real QuickBooks"));
    }
    let answer = sb
        .qb_authorize(&request(
            QUICKBOOKS_CLIENT_ID,
            "http://localhost:1234/callback",
            "openid email",
        ))
        .await;
    let (_, params) = location_params(&answer);
    assert_eq!(param(&params, "error"), Some("invalid_scope"));
    assert_eq!(param(&params, "state"), Some("s"));

    // The QuickBooks app is unknown at Xero's server.
    let answer = sb
        .authorize_with(&[
            ("response_type", "code"),
            ("client_id", QUICKBOOKS_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", SCOPE),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_token_endpoint_wants_http_basic_and_answers_401_invalid_client_without_it() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let code = sb.qb_code(&pkce).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let wrong = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{QUICKBOOKS_CLIENT_ID}:guess")
        )
    );
    let xero = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!(
                "{}:{}",
                carbonsync_sandbox::CONFIDENTIAL_CLIENT_ID,
                carbonsync_sandbox::CONFIDENTIAL_CLIENT_SECRET
            )
        )
    );
    for authorization in [None, Some(wrong.as_str()), Some(xero.as_str())] {
        let body = error_of(
            sb.qb_token(&form, authorization).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(
            body,
            json!({"error": "invalid_client"}),
            "{authorization:?}"
        );
    }
    // The secret in the form is not Intuit's way either.
    let mut with_secret = form.to_vec();
    with_secret.push(("client_id", QUICKBOOKS_CLIENT_ID));
    with_secret.push((
        "client_secret",
        carbonsync_sandbox::QUICKBOOKS_CLIENT_SECRET,
    ));
    let body = error_of(
        sb.qb_token(&with_secret, None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["error"], "invalid_client");
    // The refusals did not spend the code.
    assert_eq!(
        sb.qb_exchange(&code, &pkce.verifier).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn pkce_is_verified_when_a_challenge_was_sent_and_optional_otherwise() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let code = sb.qb_code(&pkce).await;
    let other = crate::support::pkce();
    let body = error_of(
        sb.qb_exchange(&code, &other.verifier).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body, json!({"error": "invalid_grant"}));

    let html = sb
        .qb_authorize(&[
            ("client_id", QUICKBOOKS_CLIENT_ID),
            ("response_type", "code"),
            ("scope", QB_SCOPE),
            ("redirect_uri", REDIRECT),
            ("state", "no-pkce"),
        ])
        .await
        .text()
        .await
        .unwrap();
    let answer = sb.qb_decide(&scrape_request_id(&html), "approve").await;
    let (_, params) = location_params(&answer);
    let answer = sb
        .qb_token(
            &[
                ("grant_type", "authorization_code"),
                ("code", param(&params, "code").unwrap()),
                ("redirect_uri", REDIRECT),
            ],
            Some(&basic()),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_refresh_rotates_and_a_rotated_token_works_only_within_the_grace() {
    let sb = sandbox(options()).await;
    let first = sb.qb_sign_in().await;
    let rotated: Value = sb.qb_refresh(&first.refresh).await.json().await.unwrap();
    let second = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first.refresh, "a new value every refresh");
    assert_eq!(rotated["x_refresh_token_expires_in"], 8_726_400);
    let third: Value = sb.qb_refresh(&second).await.json().await.unwrap();
    assert_ne!(third["refresh_token"], json!(second));

    // The first answer was "lost": the first token still works inside the grace...
    let retried = sb.qb_refresh(&first.refresh).await;
    assert_eq!(retried.status(), StatusCode::OK);
    let retried: Value = retried.json().await.unwrap();
    let info = sb
        .qb_get(
            retried["access_token"].as_str().unwrap(),
            "/preferences?minorversion=75",
        )
        .await;
    assert_eq!(info.status(), StatusCode::OK);

    // ...and not after it.
    sb.control_ok("/_control/refresh_grace", json!({"secs": 0}))
        .await;
    let body = error_of(sb.qb_refresh(&first.refresh).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(body, json!({"error": "invalid_grant"}));
    assert_eq!(
        sb.control_get("/_control/stats").await["tokens"]["refreshed"],
        3
    );
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let sb = sandbox(options()).await;
    sb.control_ok(
        "/_control/settings",
        json!({"quickbooks_refresh_token_ttl_secs": 0}),
    )
    .await;
    let tokens = sb.qb_sign_in().await;
    let body = error_of(
        sb.qb_refresh(&tokens.refresh).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
    // Xero's lifetimes are their own.
    let settings = sb.control_get("/_control/settings").await;
    assert_eq!(settings["refresh_token_ttl_secs"], 60 * 24 * 3600);
    assert_eq!(settings["quickbooks_access_token_ttl_secs"], 3600);
}

#[tokio::test]
async fn revoking_by_json_body_ends_the_whole_grant() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let revoke = |body: Value, authorization: Option<String>| {
        let mut request = sb
            .http
            .post(sb.url("/quickbooks/oauth2/v1/tokens/revoke"))
            .header("Accept", "application/json")
            .json(&body);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        request.send()
    };
    let refused = revoke(json!({"token": tokens.refresh}), None)
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let answer = revoke(json!({"token": tokens.refresh}), Some(basic()))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.headers().contains_key("intuit_tid"));
    assert!(answer.text().await.unwrap().is_empty());

    let api = sb.qb_get(&tokens.access, "/preferences").await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let body = error_of(
        sb.qb_refresh(&tokens.refresh).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        sb.control_get("/_control/stats").await["tokens"]["revoked"],
        1
    );
}

#[tokio::test]
async fn revoking_an_access_token_by_form_also_ends_the_grant() {
    let sb = sandbox(options()).await;
    let tokens = sb.qb_sign_in().await;
    let answer = sb
        .http
        .post(sb.url("/quickbooks/oauth2/v1/tokens/revoke"))
        .header("Authorization", basic())
        .form(&[("token", tokens.access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        sb.qb_refresh(&tokens.refresh).await.status(),
        StatusCode::BAD_REQUEST,
        "the refresh token went with it"
    );
}

#[tokio::test]
async fn each_platform_s_tokens_open_only_its_own_api() {
    let sb = sandbox(options()).await;
    let qb = sb.qb_sign_in().await;
    let xero = sb.sign_in().await;
    let at_xero = sb.api(&qb.access, None, "/connections", None).await;
    assert_eq!(at_xero.status(), StatusCode::UNAUTHORIZED);
    let at_qb = sb.qb_get(&xero.access, "/preferences").await;
    assert_eq!(at_qb.status(), StatusCode::UNAUTHORIZED);
    // Nor does Xero's token endpoint rotate a QuickBooks refresh token.
    assert_eq!(
        sb.refresh(&qb.refresh).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_shared_lifetime_settings_shorten_quickbooks_tokens_too() {
    let sb = sandbox(SandboxOptions {
        rate_limit: Some(carbonsync_sandbox::RateLimit::xero_minute()),
        ..options()
    })
    .await;
    let settings = sb
        .control_ok(
            "/_control/settings",
            json!({"access_token_ttl_secs": 30, "refresh_token_ttl_secs": 600}),
        )
        .await;
    assert_eq!(settings["quickbooks_access_token_ttl_secs"], 30);
    assert_eq!(settings["quickbooks_refresh_token_ttl_secs"], 600);
    let pkce = pkce();
    let code = sb.qb_code(&pkce).await;
    let body: Value = sb
        .qb_exchange(&code, &pkce.verifier)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["expires_in"], 30);
    assert_eq!(body["x_refresh_token_expires_in"], 600);

    // Switching the limit off switches QuickBooks' off too.
    let off = sb
        .control_ok("/_control/settings", json!({"rate_limit": null}))
        .await;
    assert_eq!(off["quickbooks_rate_limit"], Value::Null);
}
