//! The OAuth client against the sandbox's real authorization server, over HTTP.

use carbonsync_oauth::{CallbackParams, LoopbackListener, OAuthClient, OAuthConfig, OAuthError};
use carbonsync_sandbox::{SandboxOptions, CLIENT_ID};
use std::time::Duration;

async fn sandbox() -> carbonsync_sandbox::SandboxHandle {
    let opts = SandboxOptions {
        auto_approve: true,
        records_per_org: 50,
        ..SandboxOptions::default()
    };
    carbonsync_sandbox::start(opts, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

fn client(base: &str) -> OAuthClient {
    OAuthClient::new(OAuthConfig {
        provider: "Xero (sandbox)".into(),
        client_id: CLIENT_ID.into(),
        client_secret: None,
        authorize_url: format!("{base}/xero/identity/connect/authorize"),
        token_url: format!("{base}/xero/identity/connect/token"),
        revoke_url: Some(format!("{base}/xero/identity/connect/revocation")),
        scopes: vec!["offline_access".into(), "accounting.settings.read".into()],
        default_lifetime: chrono::Duration::minutes(30),
    })
    .unwrap()
}

/// Plays a browser: the sandbox approves by itself and redirects to the listener.
async fn follow(url: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .unwrap();
    http.get(url).send().await.unwrap();
}

#[tokio::test]
async fn the_code_flow_with_pkce_returns_tokens_and_refresh_rotates_them() {
    let sb = sandbox().await;
    let oauth = client(sb.base_url());
    let listener = LoopbackListener::bind().await.unwrap();
    let pending = oauth.begin(&listener.redirect_uri()).unwrap();
    assert!(pending.url.as_str().contains("code_challenge_method=S256"));
    let url = pending.url.to_string();
    let (answer, ()) = tokio::join!(listener.wait(Duration::from_secs(10)), follow(&url));
    let tokens = oauth.complete(pending, &answer.unwrap()).await.unwrap();
    let first_refresh = tokens
        .refresh_token
        .clone()
        .expect("offline_access gives a refresh token");

    let renewed = oauth.refresh(&first_refresh).await.unwrap();
    assert_ne!(
        renewed.refresh_token.as_ref().unwrap().expose(),
        first_refresh.expose()
    );
    match oauth.refresh(&first_refresh).await {
        Err(OAuthError::InvalidGrant { .. }) => {}
        other => panic!("the used refresh token must be refused: {other:?}"),
    }

    assert!(oauth
        .revoke(renewed.refresh_token.as_ref().unwrap(), true)
        .await
        .unwrap());
    assert!(matches!(
        oauth.refresh(renewed.refresh_token.as_ref().unwrap()).await,
        Err(OAuthError::InvalidGrant { .. })
    ));
}

#[tokio::test]
async fn an_answer_with_another_state_is_refused_before_any_exchange() {
    let sb = sandbox().await;
    let oauth = client(sb.base_url());
    let pending = oauth.begin("http://127.0.0.1:9/callback").unwrap();
    let forged = CallbackParams {
        code: Some("whatever".into()),
        state: Some(format!("{}x", pending.state())),
        ..Default::default()
    };
    assert!(matches!(
        oauth.complete(pending, &forged).await,
        Err(OAuthError::StateMismatch)
    ));
}

#[tokio::test]
async fn a_denied_answer_is_reported_as_declined() {
    let sb = sandbox().await;
    let oauth = client(sb.base_url());
    let pending = oauth.begin("http://127.0.0.1:9/callback").unwrap();
    let denied = CallbackParams {
        error: Some("access_denied".into()),
        state: Some(pending.state().to_string()),
        ..Default::default()
    };
    let err = oauth.complete(pending, &denied).await.unwrap_err();
    assert!(matches!(err, OAuthError::Denied { .. }));
    assert!(err.to_string().contains("declined"));
}

#[tokio::test]
async fn the_listener_gives_up_after_its_timeout() {
    let listener = LoopbackListener::bind().await.unwrap();
    let err = listener.wait(Duration::from_millis(200)).await.unwrap_err();
    assert!(matches!(err, OAuthError::Timeout { .. }));
}
