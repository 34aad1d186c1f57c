//! What makes the window a background app a company can install: starting at login (asked
//! on the first run, written as an XDG autostart entry that starts the app hidden in the
//! tray) and updates (offered from the configured endpoint, downloaded only when the person
//! says so, and refused unless signed with the key the app trusts). The update server is a
//! static server on loopback serving a manifest and a stand-in package signed with a test key
//! (tests/fixtures/updates), which this debug build is told to trust in place of CarbonSync's
//! own key (a release build ignores that variable).

use crate::harness::Desktop;
use fantoccini::Locator;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A static update server: `/latest.json` names version 0.2.0 for `linux-x86_64` with the
/// signature currently set, and `/CarbonSync_0.2.0_amd64.deb` is the package.
struct UpdateServer {
    url: String,
    signature: Arc<Mutex<String>>,
    downloads: Arc<AtomicUsize>,
}

impl UpdateServer {
    fn start(package: Vec<u8>, signature: &str) -> UpdateServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let signature = Arc::new(Mutex::new(signature.to_owned()));
        let downloads = Arc::new(AtomicUsize::new(0));
        let (sig, count, base) = (signature.clone(), downloads.clone(), url.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                // The rest of the head, up to its empty line.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let (status, kind, body) = match path {
                    "/latest.json" => (
                        "200 OK",
                        "application/json",
                        serde_json::json!({
                            "version": "0.2.0",
                            "notes": "Faster rules.",
                            "pub_date": "2026-12-01T09:00:00Z",
                            "platforms": {
                                "linux-x86_64": {
                                    "signature": sig.lock().unwrap().clone(),
                                    "url": format!("{base}/CarbonSync_0.2.0_amd64.deb"),
                                }
                            }
                        })
                        .to_string()
                        .into_bytes(),
                    ),
                    "/CarbonSync_0.2.0_amd64.deb" => {
                        count.fetch_add(1, Ordering::SeqCst);
                        ("200 OK", "application/octet-stream", package.clone())
                    }
                    _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
                };
                let mut out = &stream;
                let _ = write!(
                    out,
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = out.write_all(&body);
            }
        });
        UpdateServer {
            url,
            signature,
            downloads,
        }
    }
}

/// Clicks the button labelled `label` inside the element `within` (an XPath), once it is there.
async fn press(d: &Desktop, within: &str, label: &str) {
    let xpath = format!("{within}//button[normalize-space()='{label}']");
    d.client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {label:?}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {label:?}: {e}"));
}

async fn wait_until(what: &str, ok: impl Fn() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_starts_carbonsync_at_login_and_installs_only_an_update_signed_with_its_key() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/updates");
    let package = std::fs::read(fixtures.join("CarbonSync_0.2.0_amd64.deb")).unwrap();
    let signed = std::fs::read_to_string(fixtures.join("CarbonSync_0.2.0_amd64.deb.sig")).unwrap();
    let other_key =
        std::fs::read_to_string(fixtures.join("CarbonSync_0.2.0_amd64.deb.other-key.sig")).unwrap();
    let test_key = std::fs::read_to_string(fixtures.join("updater-test.key.pub")).unwrap();
    let server = UpdateServer::start(package.clone(), other_key.trim());
    let d = Desktop::launch_with_env(
        &format!("[updates]\nendpoint = \"{}/latest.json\"\n", server.url),
        &[("CARBONSYNC_UPDATER_TEST_PUBKEY", test_key.trim())],
    )
    .await;
    let entry = d
        .folder("home")
        .join(".config/autostart/CarbonSync.desktop");
    let saved = d
        .folder("app-data")
        .join("updates/CarbonSync_0.2.0_amd64.deb");

    // The first run asks; nothing starts at login until the person says so.
    let ask = "//*[@aria-label='Start at login']";
    d.client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::XPath(ask))
        .await
        .expect("the first run asks about starting at login");
    assert!(!entry.exists(), "off until the person chooses");
    press(&d, ask, "Start at login").await;
    wait_until("the autostart entry is written", || entry.exists()).await;
    let text = std::fs::read_to_string(&entry).unwrap();
    let exec = text
        .lines()
        .find(|l| l.starts_with("Exec="))
        .expect("an Exec line");
    assert!(
        exec.contains("carbonsync-desktop --hidden"),
        "starts the app hidden in the tray: {exec}"
    );
    // … on the data folder and configuration this copy runs with.
    assert!(
        exec.contains(&format!("--data-dir={}", d.folder("app-data").display()))
            && exec.contains(&format!(
                "--config={}",
                d.folder("carbonsync.toml").display()
            )),
        "{exec}"
    );
    assert!(
        d.client.find(Locator::XPath(ask)).await.is_err(),
        "asked once"
    );

    // An update is offered; nothing is downloaded before the person agrees.
    let notice = "//*[@aria-label='Update available']";
    let shown = d
        .text_until(
            "[aria-label='Update available']",
            "the update notice",
            |t| t.contains("CarbonSync 0.2.0 is available"),
        )
        .await;
    assert!(shown.contains("Faster rules."), "{shown}");
    assert_eq!(server.downloads.load(Ordering::SeqCst), 0);

    // Signed with another key: downloaded, refused, nothing kept.
    press(&d, notice, "Install 0.2.0").await;
    let refused = d
        .text_until("[role=alert]", "the refusal", |t| {
            t.contains("signature does not match")
        })
        .await;
    assert!(refused.contains("not installed"), "{refused}");
    assert_eq!(server.downloads.load(Ordering::SeqCst), 1);
    assert!(
        !saved.exists(),
        "a package that fails its signature is not kept"
    );

    // Signed with the trusted key: verified, and (this copy not being a package install)
    // saved for the person to install.
    *server.signature.lock().unwrap() = signed.trim().to_owned();
    press(&d, notice, "Check again").await;
    press(&d, notice, "Install 0.2.0").await;
    let done = d
        .text_until(
            "[aria-label='Update available']",
            "the verified update",
            |t| t.contains("signature verified"),
        )
        .await;
    assert!(done.contains(&saved.display().to_string()), "{done}");
    assert_eq!(std::fs::read(&saved).unwrap(), package);

    // Settings shows the choice and turns it off again.
    d.click("[data-testid=nav-settings]").await;
    let toggle = d
        .client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(
            "//label[contains(normalize-space(), 'Start CarbonSync at login')]//input",
        ))
        .await
        .expect("the start-at-login setting");
    assert_eq!(
        toggle.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    toggle.click().await.unwrap();
    wait_until("the autostart entry is removed", || !entry.exists()).await;
    d.quit().await;
}

/// Whether a window titled "CarbonSync" is on screen (mapped and viewable), as xwininfo
/// reads the display.
fn window_on_screen(d: &Desktop) -> bool {
    let tree = d
        .command("xwininfo")
        .args(["-display", d.display(), "-root", "-tree"])
        .output()
        .expect("xwininfo (x11-utils) reads the display");
    String::from_utf8_lossy(&tree.stdout)
        .lines()
        .filter(|l| l.contains("\"CarbonSync\""))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .any(|id| {
            let info = d
                .command("xwininfo")
                .args(["-display", d.display(), "-id", &id])
                .output()
                .expect("xwininfo");
            String::from_utf8_lossy(&info.stdout).contains("Map State: IsViewable")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_at_login_it_runs_in_the_tray_without_its_window_until_opened() {
    let d = Desktop::launch_with_args("", &[], &[crate::autostart_arg()]).await;
    // The tray is up (its menu on the bus), the window is not on screen.
    let start = Instant::now();
    let (dest, path) = loop {
        if let Some(menu) = crate::tray::find_menu() {
            break menu;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the tray menu never appeared"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!window_on_screen(&d), "a start at login shows no window");
    // "Open CarbonSync" in the tray brings it up.
    let open = crate::tray::item_id(&dest, &path, "Open CarbonSync").expect("an Open item");
    assert!(crate::tray::click(&dest, &path, open));
    wait_until("the window is on screen after Open", || {
        window_on_screen(&d)
    })
    .await;
    d.quit().await;
}
