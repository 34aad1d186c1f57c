//! Confidential clients, the client-credentials grant and what a platform adds to a grant,
//! against the sandbox's authorization server (and, for a token answer with extra fields, a
//! canned answer in the shape Salesforce sends).

use carbonsync_oauth::{CallbackParams, ClientAuth, OAuthClient, OAuthConfig, OAuthError};
use carbonsync_sandbox::{CLIENT_ID, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET};
use carbonsync_vault::Sensitive;

use crate::sandbox;

fn config(base: &str, client_id: &str, secret: Option<&str>, auth: ClientAuth) -> OAuthConfig {
    OAuthConfig {
        provider: "Xero (sandbox)".into(),
        client_id: client_id.into(),
        client_secret: secret.map(|s| Sensitive::new(s.to_owned())),
        client_auth: auth,
        authorize_url: format!("{base}/xero/identity/connect/authorize"),
        token_url: format!("{base}/xero/identity/connect/token"),
        revoke_url: Some(format!("{base}/xero/identity/connect/revocation")),
        scopes: vec!["offline_access".into(), "accounting.settings.read".into()],
        default_lifetime: chrono::Duration::minutes(30),
        callback_extras: vec!["realmId".into()],
        token_extras: Vec::new(),
        revoke_body: Default::default(),
    }
}

/// Starts a sign-in and reads the answer off the sandbox's redirect, as a browser would
/// deliver it, with `extra` appended to its query.
async fn answer_with(
    oauth: &OAuthClient,
    extra: &str,
) -> (carbonsync_oauth::PendingAuthorization, CallbackParams) {
    let pending = oauth.begin("http://127.0.0.1:9/callback").unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = http.get(pending.url.as_str()).send().await.unwrap();
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    let url = url::Url::parse(&format!("{location}{extra}")).unwrap();
    let answer = CallbackParams::from_url(&url).unwrap();
    (pending, answer)
}

#[tokio::test]
async fn a_confidential_client_signs_in_refreshes_and_revokes_with_its_secret_either_way() {
    let sb = sandbox().await;
    for auth in [ClientAuth::Basic, ClientAuth::Form] {
        let oauth = OAuthClient::new(config(
            sb.base_url(),
            CONFIDENTIAL_CLIENT_ID,
            Some(CONFIDENTIAL_CLIENT_SECRET),
            auth,
        ))
        .unwrap();
        let (pending, answer) = answer_with(&oauth, "&realmId=9130355").await;
        let tokens = oauth.complete(pending, &answer).await.unwrap();
        // The company the answer named is kept with the grant, and survives the keychain.
        assert_eq!(
            tokens.extras.get("realmId").map(String::as_str),
            Some("9130355"),
            "{auth:?}"
        );
        let back = carbonsync_oauth::TokenSet::from_secret(&tokens.to_secret()).unwrap();
        assert_eq!(back.extras, tokens.extras);

        let renewed = oauth
            .refresh(tokens.refresh_token.as_ref().unwrap())
            .await
            .unwrap();
        assert_ne!(renewed.access_token.expose(), tokens.access_token.expose());
        assert!(oauth
            .revoke(renewed.refresh_token.as_ref().unwrap(), true)
            .await
            .unwrap());
    }
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_in_words_and_nothing_is_issued() {
    let sb = sandbox().await;
    let oauth = OAuthClient::new(config(
        sb.base_url(),
        CONFIDENTIAL_CLIENT_ID,
        Some("not-the-secret"),
        ClientAuth::Basic,
    ))
    .unwrap();
    let (pending, answer) = answer_with(&oauth, "").await;
    let err = oauth.complete(pending, &answer).await.unwrap_err();
    match &err {
        OAuthError::Refused {
            code, description, ..
        } => {
            assert_eq!(code, "invalid_client");
            assert_eq!(description.as_deref(), Some("the client secret is wrong"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!err.to_string().contains("not-the-secret"), "{err}");
}

#[tokio::test]
async fn a_repeated_extra_parameter_is_refused_like_a_repeated_state() {
    let sb = sandbox().await;
    let oauth = OAuthClient::new(config(
        sb.base_url(),
        CONFIDENTIAL_CLIENT_ID,
        Some(CONFIDENTIAL_CLIENT_SECRET),
        ClientAuth::Basic,
    ))
    .unwrap();
    let (pending, answer) = answer_with(&oauth, "&realmId=1&realmId=2").await;
    let err = oauth.complete(pending, &answer).await.unwrap_err();
    assert!(
        err.to_string().contains("`realmId` more than once"),
        "{err}"
    );
}

#[tokio::test]
async fn the_client_credentials_grant_gives_an_access_token_and_no_refresh_token() {
    let sb = sandbox().await;
    let mut c = config(
        sb.base_url(),
        CONFIDENTIAL_CLIENT_ID,
        Some(CONFIDENTIAL_CLIENT_SECRET),
        ClientAuth::Form,
    );
    c.scopes = vec!["accounting.transactions.read".into()];
    let tokens = OAuthClient::new(c.clone())
        .unwrap()
        .client_credentials()
        .await
        .unwrap();
    assert!(tokens.access_token.expose().starts_with("sbx_at_"));
    assert!(tokens.refresh_token.is_none(), "nobody to come back for");
    assert_eq!(
        tokens.scope.as_deref(),
        Some("accounting.transactions.read")
    );

    // A public client may not; nor may one with no secret configured.
    let public = config(sb.base_url(), CLIENT_ID, None, ClientAuth::Basic);
    let err = OAuthClient::new(public)
        .unwrap()
        .client_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs the client secret"), "{err}");
    let mut pretending = c;
    pretending.client_id = CLIENT_ID.into();
    let err = OAuthClient::new(pretending)
        .unwrap()
        .client_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, OAuthError::Refused { ref code, .. } if code == "invalid_client"),
        "{err:?}"
    );
}

/// A token endpoint answering as Salesforce does: `instance_url` (the org's API base) and
/// `id` beside the token, and no `expires_in`.
async fn salesforce_like_token_endpoint() -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/services/oauth2/token",
        post(|| async {
            axum::Json(serde_json::json!({
                "access_token": "00D5g000004xyz!AQ0AQ",
                "instance_url": "https://acme.my.salesforce.com",
                "id": "https://login.salesforce.com/id/00D5g000004xyzEAA/0055g00000ABCDeAAF",
                "token_type": "Bearer",
                "issued_at": "1733011200000",
                "signature": "c2lnbmF0dXJl",
                "nested": {"not": "kept"}
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn fields_of_the_token_answer_the_platform_asks_for_are_kept_with_the_grant() {
    let base = salesforce_like_token_endpoint().await;
    let oauth = OAuthClient::new(OAuthConfig {
        provider: "Salesforce".into(),
        client_id: "3MVG9".into(),
        client_secret: Some(Sensitive::new("s".into())),
        client_auth: ClientAuth::Form,
        authorize_url: format!("{base}/services/oauth2/authorize"),
        token_url: format!("{base}/services/oauth2/token"),
        revoke_url: None,
        scopes: vec![],
        default_lifetime: chrono::Duration::hours(2),
        callback_extras: vec![],
        token_extras: vec!["instance_url".into(), "issued_at".into(), "nested".into()],
        revoke_body: Default::default(),
    })
    .unwrap();
    let tokens = oauth.client_credentials().await.unwrap();
    assert_eq!(
        tokens.extras["instance_url"],
        "https://acme.my.salesforce.com"
    );
    assert_eq!(tokens.extras["issued_at"], "1733011200000");
    assert!(
        !tokens.extras.contains_key("nested"),
        "only text and numbers"
    );
    assert!(
        !tokens.extras.contains_key("signature"),
        "only the names asked for"
    );
    // No expires_in: the configured lifetime applies.
    assert!(!tokens.expires_within(chrono::Duration::minutes(100)));
}
