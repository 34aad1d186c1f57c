use carbonsync_core::{App, ConnectOutcome, OpenOptions, DEEP_LINK_REDIRECT};
use carbonsync_sandbox::{SandboxOptions, UK_TENANT_ID};

struct Setup {
    _dir: tempfile::TempDir,
    opts: OpenOptions,
    _sandbox: carbonsync_sandbox::SandboxHandle,
}

async fn setup() -> Setup {
    let sandbox = carbonsync_sandbox::start(
        SandboxOptions {
            auto_approve: true,
            records_per_org: 100,
            ..SandboxOptions::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(
        &config,
        format!("[sandbox]\nurl = \"{}\"\n", sandbox.base_url()),
    )
    .unwrap();
    let opts = OpenOptions {
        config_file: Some(config),
        data_dir: Some(dir.path().join("data")),
    };
    Setup {
        _dir: dir,
        opts,
        _sandbox: sandbox,
    }
}

/// What the browser hands back: the sandbox approves by itself and redirects to the
/// deep link, which a browser would pass to the desktop.
async fn answer(authorize_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(authorize_url).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(DEEP_LINK_REDIRECT), "{location}");
    location
}

#[tokio::test]
async fn a_deep_link_completes_a_sign_in_begun_by_another_process_once_only() {
    let s = setup().await;
    let url = {
        let first = App::open(&s.opts).unwrap();
        first.begin_connect("xero").await.unwrap()
    };
    let link = answer(&url).await;

    // A new process (the app started by the link) completes it.
    let app = App::open(&s.opts).unwrap();
    let outcome = app.complete_connect(&link).await.unwrap();
    let ConnectOutcome::ChooseTenant {
        choice_id, tenants, ..
    } = outcome
    else {
        panic!("the sandbox grant covers two organisations: {outcome:?}")
    };
    assert_eq!(tenants.len(), 2);
    let conn = app.choose_tenant(&choice_id, UK_TENANT_ID).await.unwrap();
    assert_eq!(conn.tenant_name, "Harbour & Pine Ltd");
    assert!(app.vault().get(&conn.vault_key).unwrap().is_some());

    // The same link again is a replay: refused, nothing more stored.
    let err = app.complete_connect(&link).await.unwrap_err();
    assert_eq!(err.code, "state_mismatch");
    assert!(
        err.message.contains("forged or replayed"),
        "{}",
        err.message
    );
    assert_eq!(app.connections().unwrap().len(), 1);

    // The synced ledger exports whole, one CSV row per entry, with its numbers.
    app.sync(
        conn.id,
        &carbonsync_core::SyncOptions::new(carbonsync_core::Trigger::Window),
    )
    .await
    .unwrap();
    let filter = carbonsync_core::LedgerFilter::default();
    let csv_path = s._dir.path().join("ledger.csv");
    let written = app.export_ledger_csv(&filter, &csv_path).unwrap();
    assert_eq!(written, app.ledger_page(&filter, 0, 1).unwrap().total);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let kg = headers.iter().position(|h| h == "kg_co2e").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len() as i64, written);
    assert!(rows.iter().any(|r| r[kg]
        .parse::<rust_decimal::Decimal>()
        .is_ok_and(|v| v.is_sign_positive() && !v.is_zero())));
    app.disconnect(conn.id, true).await.unwrap();
}

#[tokio::test]
async fn a_forged_state_and_an_error_answer_store_nothing() {
    let s = setup().await;
    let app = App::open(&s.opts).unwrap();
    let err = app
        .complete_connect("carbonsync://oauth/callback?code=stolen&state=never-issued")
        .await
        .unwrap_err();
    assert_eq!(err.code, "state_mismatch");

    let url = app.begin_connect("xero").await.unwrap();
    let state = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let err = app
        .complete_connect(&format!(
            "{DEEP_LINK_REDIRECT}?error=access_denied&state={state}"
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code, "access_denied");
    assert!(err.message.contains("declined"));
    assert!(app.connections().unwrap().is_empty());
}

#[tokio::test]
async fn a_platform_that_allows_no_custom_scheme_signs_in_through_a_loopback_port() {
    // A "real" Xero app (a client id is configured) whose URLs point at the sandbox:
    // Xero allows no custom scheme, so the window must use the loopback route.
    let sandbox = carbonsync_sandbox::start(
        SandboxOptions {
            auto_approve: true,
            records_per_org: 100,
            ..SandboxOptions::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap();
    let base = sandbox.base_url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(
        &config,
        format!(
            "[providers.xero]\nclient_id = \"carbonsync-sandbox\"\nauthorize_url = \"{base}/xero/identity/connect/authorize\"\ntoken_url = \"{base}/xero/identity/connect/token\"\nrevoke_url = \"{base}/xero/identity/connect/revocation\"\napi_base = \"{base}/xero/api/api.xro/2.0\"\nconnections_url = \"{base}/xero/api/connections\"\n"
        ),
    )
    .unwrap();
    let app = App::open(&OpenOptions {
        config_file: Some(config),
        data_dir: Some(dir.path().join("data")),
    })
    .unwrap();
    assert_eq!(
        app.sign_in_route("xero").await.unwrap(),
        carbonsync_core::RedirectStyle::Loopback
    );

    let outcome = app
        .connect_with_loopback(
            "xero",
            |url| {
                // The browser: the sandbox approves and redirects to the loopback port.
                let url = url.to_string();
                tokio::spawn(async move {
                    let _ = reqwest::get(url).await;
                });
                Ok(())
            },
            std::time::Duration::from_secs(20),
        )
        .await
        .unwrap();
    let ConnectOutcome::ChooseTenant { choice_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let conn = app.choose_tenant(&choice_id, UK_TENANT_ID).await.unwrap();
    assert!(!conn.sandbox, "a configured app is not labelled sandbox");
    app.disconnect(conn.id, true).await.unwrap();
}

#[tokio::test]
async fn the_window_signs_in_to_salesforce_by_deep_link_and_its_org_syncs() {
    let s = setup().await;
    let app = App::open(&s.opts).unwrap();
    assert_eq!(
        app.sign_in_route("salesforce").await.unwrap(),
        carbonsync_core::RedirectStyle::DeepLink
    );
    let url = app.begin_connect("salesforce").await.unwrap();
    assert!(url.contains("code_challenge_method=S256"), "PKCE: {url}");
    let link = answer(&url).await;
    let ConnectOutcome::Connected { connection } = app.complete_connect(&link).await.unwrap()
    else {
        panic!("one org, connected at once")
    };
    assert_eq!(connection.provider, "salesforce");
    assert_eq!(connection.tenant_name, "CarbonSync Demo Group");
    assert!(
        connection.tenant_id.starts_with("00D"),
        "the org id: {}",
        connection.tenant_id
    );
    let report = app
        .sync(
            connection.id,
            &carbonsync_core::SyncOptions::new(carbonsync_core::Trigger::Window),
        )
        .await
        .unwrap();
    assert!(report.counts.created > 0, "{:?}", report.counts);
}
