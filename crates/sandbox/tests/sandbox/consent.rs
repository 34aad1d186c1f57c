//! The consent page: it cannot be framed, and the user chooses which organisations the
//! connection reaches.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

async fn connected_tenants(sb: &Sandbox, token: &str) -> Vec<String> {
    let answer = sb.api(token, None, "/connections", None).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let list: Vec<Value> = answer.json().await.unwrap();
    list.iter()
        .map(|c| c["tenantId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_consent_page_refuses_framing_and_offers_each_organisation_ticked() {
    let sb = sandbox(options()).await;
    let answer = sb.authorize(&pkce(), REDIRECT, SCOPE).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["x-frame-options"], "DENY");
    assert_eq!(
        answer.headers()["content-security-policy"],
        "frame-ancestors 'none'"
    );
    let html = answer.text().await.unwrap();
    for tenant in [UK, US] {
        assert!(
            html.contains(&format!(
                "<input type=\"checkbox\" name=\"tenant\" value=\"{tenant}\" checked>"
            )),
            "{html}"
        );
    }
    assert!(html.contains("<input type=\"hidden\" name=\"tenant_choice\" value=\"1\">"));
    // What the shell scripts scrape is still on one line.
    let line = html
        .lines()
        .find(|l| l.contains("name=\"request_id\""))
        .unwrap();
    assert!(line.starts_with("<input type=\"hidden\" name=\"request_id\" value=\"req_"));

    // Error pages cannot be framed either.
    let error = sb
        .authorize(&pkce(), "http://evil.example/callback", SCOPE)
        .await;
    assert_eq!(error.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn ticking_one_organisation_connects_only_that_one() {
    let sb = sandbox(options()).await;
    let token = sb.sign_in_choosing(&[US]).await;
    assert_eq!(connected_tenants(&sb, &token).await, vec![US.to_owned()]);
    assert_eq!(
        sb.api(&token, Some(US), "/api.xro/2.0/Organisation", None)
            .await
            .status(),
        StatusCode::OK
    );
    let refused = sb
        .api(&token, Some(UK), "/api.xro/2.0/BankTransactions", None)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["Detail"], "AuthorizationUnsuccessful");

    let both = sb.sign_in_choosing(&[US, UK]).await;
    assert_eq!(
        connected_tenants(&sb, &both).await,
        vec![UK.to_owned(), US.to_owned()],
        "UK first, whatever the form's order"
    );
}

#[tokio::test]
async fn ticking_nothing_asks_again_and_the_new_page_still_works() {
    let sb = sandbox(options()).await;
    let pkce = pkce();
    let html = sb.consent_page(&pkce, REDIRECT, SCOPE).await;
    let first_id = scrape_request_id(&html);
    let again = sb
        .post_decision(&[
            ("request_id", first_id.as_str()),
            ("tenant_choice", "1"),
            ("decision", "approve"),
        ])
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.headers().get("location").is_none());
    let html = again.text().await.unwrap();
    assert!(html.contains("Choose at least one organisation"));
    assert!(
        !html.contains(" checked>"),
        "the page shows what was ticked"
    );
    let second_id = scrape_request_id(&html);
    assert_ne!(second_id, first_id);
    // The first page is spent.
    let stale = sb.decide(&first_id, "approve").await;
    assert_eq!(stale.status(), StatusCode::BAD_REQUEST);

    let answer = sb
        .post_decision(&[
            ("request_id", second_id.as_str()),
            ("tenant_choice", "1"),
            ("tenant", UK),
            ("decision", "approve"),
        ])
        .await;
    let (_, params) = location_params(&answer);
    assert_eq!(param(&params, "state"), Some("st4te"));
    let code = param(&params, "code").unwrap();
    let tokens: Value = sb
        .exchange(code, &pkce.verifier, REDIRECT)
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(connected_tenants(&sb, token).await, vec![UK.to_owned()]);
}

#[tokio::test]
async fn denying_with_nothing_ticked_is_still_a_denial() {
    let sb = sandbox(options()).await;
    let html = sb.consent_page(&pkce(), REDIRECT, SCOPE).await;
    let answer = sb
        .post_decision(&[
            ("request_id", scrape_request_id(&html).as_str()),
            ("tenant_choice", "1"),
            ("decision", "deny"),
        ])
        .await;
    let (_, params) = location_params(&answer);
    assert_eq!(param(&params, "error"), Some("access_denied"));
}

#[tokio::test]
async fn a_form_naming_another_organisation_is_refused() {
    let sb = sandbox(options()).await;
    let html = sb.consent_page(&pkce(), REDIRECT, SCOPE).await;
    let answer = sb
        .post_decision(&[
            ("request_id", scrape_request_id(&html).as_str()),
            ("tenant_choice", "1"),
            ("tenant", "00000000-0000-4000-8000-000000000000"),
            ("decision", "approve"),
        ])
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(answer.headers().get("location").is_none());
}

#[tokio::test]
async fn clients_that_post_only_the_button_and_auto_approve_reach_both() {
    let sb = sandbox(options()).await;
    // What tests/e2e/browser.sh and the CLI's test browser post.
    let tokens = sb.sign_in().await;
    assert_eq!(
        connected_tenants(&sb, &tokens.access).await,
        vec![UK.to_owned(), US.to_owned()]
    );
    sb.control_ok("/_control/settings", json!({"auto_approve": true}))
        .await;
    let pkce = pkce();
    let answer = sb.authorize(&pkce, REDIRECT, SCOPE).await;
    let (_, params) = location_params(&answer);
    let body: Value = sb
        .exchange(param(&params, "code").unwrap(), &pkce.verifier, REDIRECT)
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        connected_tenants(&sb, token).await,
        vec![UK.to_owned(), US.to_owned()]
    );
}
