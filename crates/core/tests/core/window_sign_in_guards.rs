//! The window's Connect goes through the same guards as the CLI's: a locked keychain
//! is found before any browser opens (deep link and loopback routes alike), and a
//! platform's registered loopback ports are used in order.

use carbonsync_core::{App, ConnectOutcome, OpenOptions};
use carbonsync_sandbox::{SandboxOptions, UK_TENANT_ID};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const CHILD: &str = "CARBONSYNC_CORE_LOCKED_CHILD";

async fn sandbox() -> carbonsync_sandbox::SandboxHandle {
    carbonsync_sandbox::start(
        SandboxOptions {
            auto_approve: true,
            records_per_org: 50,
            ..SandboxOptions::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap()
}

/// A real Xero app configuration (so the route is loopback) whose URLs are the
/// sandbox's, plus `extra` lines under `[providers.xero]`.
fn open_app(dir: &std::path::Path, base: &str, extra: &str) -> Arc<App> {
    let config = dir.join("carbonsync.toml");
    std::fs::write(
        &config,
        format!(
            "[sandbox]\nurl = \"{base}\"\n[providers.xero]\nclient_id = \"carbonsync-sandbox\"\nauthorize_url = \"{base}/xero/identity/connect/authorize\"\ntoken_url = \"{base}/xero/identity/connect/token\"\nrevoke_url = \"{base}/xero/identity/connect/revocation\"\napi_base = \"{base}/xero/api/api.xro/2.0\"\nconnections_url = \"{base}/xero/api/connections\"\n{extra}"
        ),
    )
    .unwrap();
    App::open(&OpenOptions {
        config_file: Some(config),
        data_dir: Some(dir.join("data")),
    })
    .unwrap()
}

fn occupy() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[tokio::test]
async fn the_window_signs_in_on_the_first_free_registered_port() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let (_taken, busy) = occupy();
    let free = occupy().1;
    let app = open_app(
        dir.path(),
        sb.base_url(),
        &format!("redirect_ports = [{busy}, {free}]\n"),
    );
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let seen_in_browser = seen.clone();
    let outcome = app
        .connect_with_loopback(
            "xero",
            move |url| {
                *seen_in_browser.lock().unwrap() = url.to_string();
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
    let url = url::Url::parse(&seen.lock().unwrap()).unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .to_string();
    assert_eq!(redirect, format!("http://localhost:{free}/callback"));
    let ConnectOutcome::ChooseTenant { choice_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let conn = app.choose_tenant(&choice_id, UK_TENANT_ID).await.unwrap();
    app.disconnect(conn.id, true).await.unwrap();
}

#[tokio::test]
async fn with_every_registered_port_taken_the_window_never_opens_the_browser() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let (_a, a) = occupy();
    let (_b, b) = occupy();
    let app = open_app(
        dir.path(),
        sb.base_url(),
        &format!("redirect_ports = [{a}, {b}]\n"),
    );
    let opened = AtomicUsize::new(0);
    let err = app
        .connect_with_loopback(
            "xero",
            |_| {
                opened.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
            std::time::Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "redirect_ports_unavailable");
    assert!(
        err.message.contains(&format!("({a} in use, {b} in use)")),
        "{}",
        err.message
    );
    assert_eq!(opened.load(Ordering::SeqCst), 0);
}

/// Runs only inside the private session of the test below.
#[test]
#[ignore = "run by a_locked_keychain_stops_the_windows_connect_before_any_browser inside its own D-Bus session"]
fn window_connect_in_this_session() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sb = sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let app = open_app(dir.path(), sb.base_url(), "");
        let opened = AtomicUsize::new(0);
        let loopback = app
            .connect_with_loopback(
                "xero",
                |_| {
                    opened.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                },
                std::time::Duration::from_secs(5),
            )
            .await
            .map(|_| ())
            .unwrap_err();
        println!("LOOPBACK {} | {}", loopback.code, loopback.message);
        println!("OPENED {}", opened.load(Ordering::SeqCst));
        let deep_link = app.begin_connect("xero").await.unwrap_err();
        println!("DEEPLINK {} | {}", deep_link.code, deep_link.message);
        let stats: serde_json::Value = reqwest::get(format!("{}/_control/stats", sb.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        println!("AUTHORIZE {}", stats["calls"]["GET /authorize"]);
    });
}

#[test]
fn a_locked_keychain_stops_the_windows_connect_before_any_browser() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A private session (the shared keyring stays unlocked for the other tests), its
    // login keyring unlocked and then locked; no display, so no one can answer an
    // unlock prompt.
    let script = r#"
set -eu
eval "$(printf %s carbonsync-test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
  --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
exec "$@"
"#;
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", script, "locked"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "window_sign_in_guards::window_connect_in_this_session",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("CARBONSYNC_IN_KEYRING_SESSION")
        .env_remove("GNOME_KEYRING_CONTROL")
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("dbus-run-session and gnome-keyring-daemon are installed");
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() && report.contains("AUTHORIZE "),
        "the session did not run:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |tag: &str| {
        report
            .lines()
            .find(|l| l.starts_with(tag))
            .unwrap_or_else(|| panic!("{tag} missing from:\n{report}"))
            .to_string()
    };
    for tag in ["LOOPBACK keychain |", "DEEPLINK keychain |"] {
        let l = line(tag);
        assert!(l.contains("keychain is locked"), "{l}");
        assert!(l.contains("Unlock the \"Login\" keyring"), "{l}");
        assert!(l.contains("nothing was sent to Xero"), "{l}");
    }
    assert_eq!(line("OPENED "), "OPENED 0");
    assert_eq!(line("AUTHORIZE "), "AUTHORIZE 0");
}
