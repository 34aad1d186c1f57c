//! The OAuth client against the sandbox's real authorization server, over HTTP.

use carbonsync_oauth::{CallbackParams, LoopbackListener, OAuthClient, OAuthConfig, OAuthError};
use carbonsync_sandbox::{SandboxOptions, CLIENT_ID};
use std::time::Duration;

mod clients;

pub async fn sandbox() -> carbonsync_sandbox::SandboxHandle {
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
        client_auth: Default::default(),
        callback_extras: Vec::new(),
        token_extras: Vec::new(),
        revoke_body: Default::default(),
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
    // Without the grace Xero gives a rotated refresh token, its reuse is refused at once.
    reqwest::Client::new()
        .post(format!("{}/_control/refresh_grace", sb.base_url()))
        .json(&serde_json::json!({ "secs": 0 }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
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

/// A port nothing listens on right now (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_registered_port_list_skips_a_taken_port_and_the_sign_in_uses_the_next_one() {
    let sb = sandbox().await;
    let oauth = client(sb.base_url());
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let busy = taken.local_addr().unwrap().port();
    let free = free_port();

    let listener = LoopbackListener::bind_first_free(&[busy, free])
        .await
        .unwrap();
    assert_eq!(listener.port(), free);
    // The registered form, port included: Xero and QuickBooks match it exactly.
    assert_eq!(
        listener.redirect_uri(),
        format!("http://localhost:{free}/callback")
    );

    let pending = oauth.begin(&listener.redirect_uri()).unwrap();
    let sent: std::collections::HashMap<_, _> = pending.url.query_pairs().collect();
    assert_eq!(
        sent["redirect_uri"],
        format!("http://localhost:{free}/callback")
    );
    let url = pending.url.to_string();
    let (answer, ()) = tokio::join!(listener.wait(Duration::from_secs(10)), follow(&url));
    // The exchange repeats the redirect URI; the sandbox refuses one that differs.
    let tokens = oauth.complete(pending, &answer.unwrap()).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    drop(taken);
}

#[tokio::test]
async fn when_every_registered_port_is_taken_the_error_names_each_one() {
    let first = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let second = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let ports = [
        first.local_addr().unwrap().port(),
        second.local_addr().unwrap().port(),
    ];
    let Err(err) = LoopbackListener::bind_first_free(&ports).await else {
        panic!("both ports are taken");
    };
    match &err {
        OAuthError::PortsUnavailable { ports: problems } => {
            assert_eq!(
                problems.iter().map(|p| p.port).collect::<Vec<_>>(),
                ports.to_vec()
            );
            assert!(
                problems.iter().all(|p| p.reason == "in use"),
                "{problems:?}"
            );
        }
        other => panic!("expected PortsUnavailable, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(&format!("{} in use, {} in use", ports[0], ports[1])),
        "{text}"
    );
    assert!(text.contains("register another"), "{text}");
}

#[tokio::test]
async fn a_port_another_program_holds_on_ipv6_loopback_counts_as_taken() {
    // A browser may try [::1] first for `localhost`: an answer must never go to a
    // program that listens there.
    let Ok(v6) = std::net::TcpListener::bind(("::1", 0)) else {
        eprintln!("no IPv6 loopback on this machine; nothing to check");
        return;
    };
    let port = v6.local_addr().unwrap().port();
    // Only the IPv4 address is free.
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
    let Err(OAuthError::PortsUnavailable { ports }) =
        LoopbackListener::bind_first_free(&[port]).await
    else {
        panic!("the port is taken on [::1]");
    };
    assert_eq!(ports[0].port, port);
}

#[tokio::test]
async fn stray_and_forged_requests_are_refused_and_the_real_answer_still_completes() {
    let sb = sandbox().await;
    let oauth = client(sb.base_url());
    let listener = LoopbackListener::bind_first_free(&[free_port()])
        .await
        .unwrap();
    let redirect = listener.redirect_uri();
    let pending = oauth.begin(&redirect).unwrap();
    let state = pending.state().to_string();
    let origin = redirect.trim_end_matches("/callback").to_string();
    let http = reqwest::Client::new();
    for stray in [
        format!("{redirect}"),
        format!("{redirect}?code=stolen&state=guessed"),
        format!("{redirect}?code=stolen&state=%ff%fe"),
        format!("{redirect}?error=access_denied"),
        format!("{redirect}?error=access_denied&state=guessed"),
        format!("{redirect}?code=stolen&state=guessed&state={state}"),
        format!("{origin}/favicon.ico"),
        format!("{origin}/other?state={state}&code=stolen"),
    ] {
        let r = http.get(&stray).send().await.unwrap();
        assert_eq!(r.status(), 400, "{stray}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("stolen") && !body.contains("guessed"),
            "{body}"
        );
        assert!(body.contains("Nothing was changed"), "{body}");
    }
    // A POST with the right state is not how an answer comes back either.
    let post = http
        .post(format!("{redirect}?code=stolen&state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 400);

    let url = pending.url.to_string();
    let (answer, ()) = tokio::join!(listener.wait(Duration::from_secs(10)), follow(&url));
    let tokens = oauth.complete(pending, &answer.unwrap()).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    // Answered: the listener has stopped, nothing more is received on that port.
    assert!(http.get(&*redirect).send().await.is_err());
}

#[tokio::test]
async fn an_error_answer_with_a_forged_state_does_not_end_the_wait() {
    let listener = LoopbackListener::bind().await.unwrap();
    let redirect = listener.redirect_uri();
    let oauth = OAuthClient::new(OAuthConfig {
        provider: "Xero (sandbox)".into(),
        client_id: CLIENT_ID.into(),
        client_secret: None,
        authorize_url: "http://127.0.0.1:9/authorize".into(),
        token_url: "http://127.0.0.1:9/token".into(),
        revoke_url: None,
        scopes: vec![],
        default_lifetime: chrono::Duration::minutes(30),
        client_auth: Default::default(),
        callback_extras: Vec::new(),
        token_extras: Vec::new(),
        revoke_body: Default::default(),
    })
    .unwrap();
    let pending = oauth.begin(&redirect).unwrap();
    let forged = reqwest::get(format!("{redirect}?error=access_denied&state=guessed"))
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let err = listener.wait(Duration::from_millis(300)).await.unwrap_err();
    assert!(matches!(err, OAuthError::Timeout { .. }), "{err:?}");
    drop(pending);
}

#[tokio::test]
async fn an_error_answer_is_believed_only_with_the_right_state_and_its_text_is_cleaned() {
    let sb = sandbox().await;
    let oauth = client(sb.base_url());
    let pending = oauth.begin("http://127.0.0.1:9/callback").unwrap();
    let forged = CallbackParams {
        error: Some("access_denied".into()),
        state: Some("guessed".into()),
        ..Default::default()
    };
    assert!(matches!(
        oauth.complete(pending, &forged).await,
        Err(OAuthError::StateMismatch)
    ));

    let pending = oauth.begin("http://127.0.0.1:9/callback").unwrap();
    let hostile = CallbackParams {
        error: Some("\u{1b}]0;owned\u{7}\u{1b}[2Jserver_error".into()),
        error_description: Some(format!("\u{1b}[31m{}\r\nfake prompt$ ", "A".repeat(10_000))),
        state: Some(pending.state().to_string()),
        ..Default::default()
    };
    let text = oauth
        .complete(pending, &hostile)
        .await
        .unwrap_err()
        .to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.len() < 600, "{} bytes", text.len());
    assert!(text.contains("server_error"), "{text}");
}

#[tokio::test]
async fn a_malformed_token_response_is_reported_without_quoting_any_of_it() {
    // A token endpoint whose answer has a token in it but a field of the wrong type.
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(|| async {
            (
                [("content-type", "application/json")],
                "{\"access_token\":\"at-secret-1\",\"token_type\":\"bearer\",\"expires_in\":\"\\u001b[31mrt-secret-2\"}",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let oauth = OAuthClient::new(OAuthConfig {
        provider: "Xero".into(),
        client_id: CLIENT_ID.into(),
        client_secret: None,
        authorize_url: format!("{base}/authorize"),
        token_url: format!("{base}/token"),
        revoke_url: None,
        scopes: vec![],
        default_lifetime: chrono::Duration::minutes(30),
        client_auth: Default::default(),
        callback_extras: Vec::new(),
        token_extras: Vec::new(),
        revoke_body: Default::default(),
    })
    .unwrap();
    let pending = oauth.begin("http://127.0.0.1:9/callback").unwrap();
    let answer = CallbackParams {
        code: Some("c".into()),
        state: Some(pending.state().to_string()),
        ..Default::default()
    };
    let err = oauth.complete(pending, &answer).await.unwrap_err();
    assert!(matches!(err, OAuthError::BadResponse { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("secret") && !shown.contains('\u{1b}'),
        "{shown}"
    );
    assert!(shown.contains("expires_in"), "the field is named: {shown}");
}
