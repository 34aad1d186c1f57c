//! Deep-link sign-in answers that must not be believed, and sign-ins that must not
//! linger: a repeated parameter is refused without using up the real sign-in; an
//! expired or cancelled sign-in leaves the keychain (as `secret-tool` sees it) and a
//! late link for it is refused as unknown.

use carbonsync_core::{App, ConnectOutcome, OpenOptions, DEEP_LINK_REDIRECT};
use carbonsync_sandbox::SandboxOptions;
use sha2::{Digest, Sha256};
use std::process::Command;

struct Setup {
    dir: tempfile::TempDir,
    _sandbox: carbonsync_sandbox::SandboxHandle,
}

impl Setup {
    async fn new() -> Setup {
        let sandbox = carbonsync_sandbox::start(
            SandboxOptions {
                auto_approve: true,
                records_per_org: 20,
                ..SandboxOptions::default()
            },
            ([127, 0, 0, 1], 0).into(),
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("carbonsync.toml"),
            format!("[sandbox]\nurl = \"{}\"\n", sandbox.base_url()),
        )
        .unwrap();
        Setup {
            dir,
            _sandbox: sandbox,
        }
    }

    /// This installation's id, which prefixes its keychain entries.
    fn install(&self) -> String {
        carbonsync_store::Store::open(&self.dir.path().join("data").join("carbonsync.sqlite3"))
            .unwrap()
            .install_id()
            .unwrap()
    }

    fn open(&self) -> std::sync::Arc<App> {
        App::open(&OpenOptions {
            config_file: Some(self.dir.path().join("carbonsync.toml")),
            data_dir: Some(self.dir.path().join("data")),
        })
        .unwrap()
    }
}

/// What the browser hands back: the sandbox approves and redirects to the deep link.
async fn approve(authorize_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(authorize_url).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(DEEP_LINK_REDIRECT), "{location}");
    location
}

fn query_value(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} in {url}"))
        .1
        .into_owned()
}

/// Whether the keychain holds an entry under `key`, as `secret-tool lookup` sees it.
/// A lookup of one entry, not a search of them all: the other tests of this binary
/// add and remove entries of the same service meanwhile, and a search that meets an
/// entry removed under it stops listing.
fn in_keychain(key: &str) -> bool {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "carbonsync", "username", key])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    out.status.success() && !out.stdout.is_empty()
}

/// The keychain key of the sign-in whose authorization URL is `url`, if the entry is
/// there.
fn pending_entry(install: &str, url: &str) -> Option<String> {
    let digest = Sha256::digest(query_value(url, "state").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let key = format!("{install}/pending/{hex}");
    in_keychain(&key).then_some(key)
}

/// Moves a waiting sign-in's expiry into the past, as if it had been left in the
/// browser for longer than a sign-in may take.
fn age(app: &App, install: &str, entry: &str) {
    let index_key = format!("{install}/pending-index");
    let index = app.vault().get(&index_key).unwrap().expect("index entry");
    let mut listed: serde_json::Value = serde_json::from_str(index.expose()).unwrap();
    let mut found = false;
    for l in listed.as_array_mut().unwrap() {
        if l["key"] == entry {
            l["expires_at"] =
                serde_json::json!((chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339());
            found = true;
        }
    }
    assert!(found, "{entry} is listed");
    app.vault()
        .put(
            &index_key,
            &carbonsync_core::Sensitive::new(listed.to_string()),
        )
        .unwrap();
}

#[tokio::test]
async fn a_link_that_repeats_state_is_refused_and_the_real_answer_still_completes() {
    let s = Setup::new().await;
    let app = s.open();
    let url = app.begin_connect("xero").await.unwrap();
    let link = approve(&url).await;
    let state = query_value(&link, "state");
    let code = query_value(&link, "code");
    for forged in [
        format!("{DEEP_LINK_REDIRECT}?code={code}&state=forged&state={state}"),
        format!("{DEEP_LINK_REDIRECT}?code={code}&state={state}&state=forged"),
        format!("{DEEP_LINK_REDIRECT}?code=stolen&code={code}&state={state}"),
        format!("{DEEP_LINK_REDIRECT}?error=access_denied&error=x&state={state}"),
    ] {
        let err = app.complete_connect(&forged).await.unwrap_err();
        assert_eq!(err.code, "state_mismatch", "{forged}");
        assert!(err.message.contains("more than once"), "{}", err.message);
    }
    assert!(app.connections().unwrap().is_empty());
    // The refusals used nothing up: the real answer completes the sign-in.
    let outcome = app.complete_connect(&link).await.unwrap();
    let ConnectOutcome::ChooseTenant { choice_id, .. } = outcome else {
        panic!("two sandbox organisations: {outcome:?}")
    };
    app.cancel_tenant_choice(&choice_id).await.unwrap();
}

#[tokio::test]
async fn an_expired_sign_in_leaves_the_keychain_at_the_next_start_and_at_app_start() {
    let s = Setup::new().await;
    let app = s.open();
    let first = app.begin_connect("xero").await.unwrap();
    let first_link = approve(&first).await;
    let install = s.install();
    let first_entry = pending_entry(&install, &first).expect("the sign-in waits in the keychain");
    age(&app, &install, &first_entry);

    // The next sign-in removes it.
    let second = app.begin_connect("xero").await.unwrap();
    assert_eq!(
        pending_entry(&install, &first),
        None,
        "the expired entry is gone"
    );
    let second_entry = pending_entry(&install, &second).expect("the new sign-in waits");
    let err = app.complete_connect(&first_link).await.unwrap_err();
    assert_eq!(err.code, "state_mismatch");
    assert!(err.message.contains("unknown"), "{}", err.message);

    // App start (a new process) removes the one left behind since.
    age(&app, &install, &second_entry);
    let restarted = s.open();
    assert_eq!(restarted.forget_expired_sign_ins().unwrap(), 1);
    assert_eq!(pending_entry(&install, &second), None);
    // Nothing waits any more, so not even the index is left.
    assert!(!in_keychain(&format!("{install}/pending-index")));
    assert!(!in_keychain(&first_entry) && !in_keychain(&second_entry));
    assert_eq!(restarted.forget_expired_sign_ins().unwrap(), 0);
}

#[tokio::test]
async fn a_cancelled_sign_in_leaves_the_keychain_and_its_late_link_is_refused_as_unknown() {
    let s = Setup::new().await;
    let app = s.open();
    let url = app.begin_connect("xero").await.unwrap();
    assert!(pending_entry(&s.install(), &url).is_some());
    let link = approve(&url).await;

    assert_eq!(app.cancel_connect("xero").unwrap(), 1);
    assert_eq!(pending_entry(&s.install(), &url), None);
    let err = app.complete_connect(&link).await.unwrap_err();
    assert_eq!(err.code, "state_mismatch");
    assert!(err.message.contains("unknown"), "{}", err.message);
    assert!(app.connections().unwrap().is_empty());
    // Nothing waits: a second cancel has nothing to remove.
    assert_eq!(app.cancel_connect("xero").unwrap(), 0);
}

#[tokio::test]
async fn an_error_link_with_a_forged_state_is_refused_and_the_sign_in_still_waits() {
    let s = Setup::new().await;
    let app = s.open();
    let url = app.begin_connect("xero").await.unwrap();
    let err = app
        .complete_connect(&format!(
            "{DEEP_LINK_REDIRECT}?error=access_denied&state=forged"
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code, "state_mismatch");
    assert!(
        pending_entry(&s.install(), &url).is_some(),
        "the real sign-in still waits"
    );
    app.cancel_connect("xero").unwrap();
}
