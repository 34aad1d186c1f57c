//! The desktop app used as a person uses it: the real window under Xvfb driven through
//! WebDriver, the real keychain, the sandbox, a test browser that approves the consent
//! page and comes back through the `carbonsync://` deep link (handed over by xdg-open in a
//! desktop that is neither GNOME nor KDE, and by gio), Google Cloud connected with keys through
//! its form, the tray clicked over D-Bus, and the monthly report sent to a Teams channel.
//! Screenshots of each page go to `target/screenshots/`.

mod cloud;
mod desktop;
mod harness;
mod notifications;
mod review;
mod tray;

use harness::Desktop;

/// The argument a start at login passes (`carbonsync-desktop --hidden`).
fn autostart_arg() -> &'static str {
    "--hidden"
}
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const UK_TENANT: &str = "3f1b2a9e-5c1d-4e5f-9a70-1b2c3d4e5f60";

fn keychain_has(key: &str) -> bool {
    std::process::Command::new("secret-tool")
        .args(["lookup", "service", "carbonsync", "username", key])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false)
}

/// The text of every CarbonSync log file in `dir` (one a day: `carbonsync.YYYY-MM-DD.log`).
fn logs_in(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("carbonsync") && name.ends_with(".log") {
            text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    text
}

/// A decimal (as `--json` prints it) as the Emissions page writes it: thousands separators,
/// one decimal, rounded half away from zero.
fn as_shown(kg: &str) -> String {
    carbonsync_core::message_words::grouped(kg.parse().expect("a decimal"), 1, '-')
}

/// The sandbox (`records` per organisation, no request limits) and the app on it, at its first
/// page; the sandbox runs inside the test so the test can ask it what the platforms received.
async fn desktop_on_sandbox(
    records: usize,
) -> (carbonsync_core::sandbox::SandboxHandle, String, Desktop) {
    let sandbox = carbonsync_core::sandbox::start(
        carbonsync_core::sandbox::SandboxOptions {
            records_per_org: records,
            rate_limit: None,
            ..carbonsync_core::sandbox::SandboxOptions::default()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("the sandbox starts");
    let base = sandbox.base_url().trim_end_matches('/').to_owned();
    let d = Desktop::launch_with_config(&format!("[sandbox]\nurl = \"{base}\"\n")).await;
    d.find("[data-testid=page-integrations]").await;
    (sandbox, base, d)
}

/// Connects the sandbox's UK organisation through the CLI (the test browser approves on the
/// consent page and answers on the CLI's loopback port) and syncs it; returns its id.
async fn connect_and_sync_uk(d: &Desktop) -> i64 {
    let browser = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/browser.sh");
    let out = d
        .command(harness::cli())
        .args([
            "connect",
            "xero",
            "--tenant",
            UK_TENANT,
            "--timeout",
            "60",
            "--json",
        ])
        .env("BROWSER", &browser)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "carbonsync connect xero: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = serde_json::from_slice::<Value>(&out.stdout).unwrap()["id"]
        .as_i64()
        .expect("the connection's id");
    let out = d
        .command(harness::cli())
        .args(["sync", &id.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "carbonsync sync: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for_a_succeeded_sync(d, id).await;
    id
}

/// Waits (up to two minutes) until connection `id`'s history has a sync that succeeded.
async fn wait_for_a_succeeded_sync(d: &Desktop, id: i64) {
    let start = Instant::now();
    loop {
        let logs = d.cli_json(&["logs", &id.to_string()]);
        if logs
            .as_array()
            .is_some_and(|l| l.iter().any(|r| r["status"] == "succeeded"))
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the sync of connection {id} did not finish: {logs}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_connects_xero_and_quickbooks_syncs_reviews_emissions_and_disconnects() {
    let d = Desktop::launch().await;
    d.find("[data-testid=page-integrations]").await;
    d.find("[data-testid=card-xero]").await;
    d.screenshot("integrations").await;

    // Connect: the app opens the system browser (our test browser), which approves on
    // the sandbox's consent page and returns through carbonsync://oauth/callback.
    d.click("[data-testid=connect-xero]").await;
    // The sandbox grant covers two organisations: pick the UK one.
    d.click(&format!("[data-testid=tenant-{UK_TENANT}]")).await;
    d.screenshot("choose-organisation").await;
    d.click("[data-testid=confirm-tenant]").await;
    let connections = d.cli_json(&["connections"]);
    let conn = connections
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tenant_id"] == UK_TENANT)
        .cloned();
    let conn = match conn {
        Some(c) => c,
        None => {
            // The picker closes before the CLI can see it: wait for the card instead.
            d.find("[data-testid^=status-]").await;
            d.cli_json(&["connections"])[0].clone()
        }
    };
    let id = conn["id"].as_i64().unwrap();
    let key = conn["vault_key"].as_str().unwrap().to_string();
    d.text_until(&format!("[data-testid=status-{id}]"), "Connected", |t| {
        t.contains("Connected")
    })
    .await;
    assert!(keychain_has(&key), "the tokens are in the keychain");

    // Sync now from the window; the history shows the run with its counts.
    d.click(&format!("[data-testid=sync-{id}]")).await;
    wait_for_a_succeeded_sync(&d, id).await;
    d.text_until(
        &format!("[data-testid=status-{id}]"),
        "Connected after the sync",
        |t| t.contains("Connected"),
    )
    .await;
    let logs = d.cli_json(&["logs", &id.to_string()]);
    let run = &logs[0];
    assert_eq!(run["trigger"], "window");
    let run_id = run["id"].as_i64().unwrap();
    d.click(&format!("[data-testid=open-{id}]")).await;
    d.find("[data-testid=page-connection]").await;
    let row = d
        .text_until(&format!("[data-testid=run-{run_id}]"), "the run", |t| {
            !t.is_empty()
        })
        .await;
    let fetched = run["fetched"].as_i64().unwrap();
    assert!(fetched > 1000);
    let digits: String = row.chars().filter(|c| c.is_ascii_digit()).collect();
    let grouped = as_shown(&fetched.to_string())
        .trim_end_matches(".0")
        .replace(',', "");
    assert!(
        digits.contains(&grouped),
        "the history row shows {fetched} fetched: {row}"
    );
    d.screenshot("connection").await;

    // Emissions: the same total as `carbonsync emissions --json` on the same data.
    d.click("[data-testid=nav-emissions]").await;
    d.find("[data-testid=page-emissions]").await;
    let summary: Value = d.cli_json(&["emissions"]);
    let want = as_shown(summary["totals"]["kg_co2e"].as_str().unwrap());
    d.text_until("[data-testid=total-kg]", &want, |t| t.contains(&want))
        .await;
    d.find("[data-testid=ledger]").await;
    d.screenshot("emissions").await;

    // QuickBooks beside Xero: Intuit allows no custom scheme, so its sign-in comes back to a
    // loopback port; the grant names one company, which is connected without a picker, and its
    // entries join the same totals.
    d.click("[data-testid=nav-integrations]").await;
    d.find("[data-testid=card-quickbooks]").await;
    d.click("[data-testid=connect-quickbooks]").await;
    let start = Instant::now();
    let qb = loop {
        let found = d
            .cli_json(&["connections"])
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["provider"] == "quickbooks")
            .cloned();
        if let Some(c) = found {
            break c;
        }
        if start.elapsed() > Duration::from_secs(60) {
            d.screenshot("quickbooks-not-connected").await;
            panic!("QuickBooks was not connected (see the screenshot quickbooks-not-connected)");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let qb_id = qb["id"].as_i64().unwrap();
    assert_eq!(qb["tenant_name"], "Cedar & Finch Trading Co.");
    d.text_until(&format!("[data-testid=status-{qb_id}]"), "Connected", |t| {
        t.contains("Connected")
    })
    .await;
    d.click(&format!("[data-testid=sync-{qb_id}]")).await;
    wait_for_a_succeeded_sync(&d, qb_id).await;
    d.click("[data-testid=nav-emissions]").await;
    d.find("[data-testid=page-emissions]").await;
    let summary: Value = d.cli_json(&["emissions"]);
    let by_source = d.cli_json(&["emissions", "--by", "source"]);
    assert!(
        by_source.to_string().contains("quickbooks"),
        "QuickBooks entries are in the totals: {by_source}"
    );
    let want = as_shown(summary["totals"]["kg_co2e"].as_str().unwrap());
    d.text_until("[data-testid=total-kg]", &want, |t| t.contains(&want))
        .await;
    d.screenshot("emissions-xero-and-quickbooks").await;

    // A forged deep link (a state this app never issued) is refused, visibly. It is
    // opened as a browser hands a link over, with xdg-open, in a desktop that is neither
    // GNOME nor KDE (no session variables), as on i3, sway or Hyprland.
    let status = d
        .command("xdg-open")
        .arg("carbonsync://oauth/callback?code=stolen&state=forged-by-test")
        .status()
        .unwrap();
    assert!(status.success(), "xdg-open ran the registered handler");
    d.text_until("[data-testid=notice]", "the refusal", |t| {
        t.contains("forged or replayed")
    })
    .await;
    assert_eq!(
        d.cli_json(&["connections"]).as_array().unwrap().len(),
        2,
        "nothing stored"
    );
    d.screenshot("forged-link-refused").await;

    // The tray's "Sync now", clicked over D-Bus, starts a real sync.
    let (dest, path) = tray::find_menu().expect("the tray menu is on the bus");
    let item = tray::item_id(&dest, &path, "Sync now").expect("a Sync now item");
    assert!(tray::layout(&dest, &path)
        .unwrap_or_default()
        .contains("Open CarbonSync"));
    assert!(tray::click(&dest, &path, item));
    let start = Instant::now();
    loop {
        let logs = d.cli_json(&["logs", &id.to_string()]);
        if logs
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["trigger"] == "tray" && r["status"] == "succeeded")
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no tray sync: {logs}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The tray's menu now tells the state of the last sync.
    let start = Instant::now();
    while tray::layout(&dest, &path)
        .unwrap_or_default()
        .contains("none yet")
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the tray still says no sync yet"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(tray::layout(&dest, &path)
        .unwrap_or_default()
        .contains("records"));
    // … and when the schedule syncs next.
    let layout = tray::layout(&dest, &path).unwrap_or_default();
    assert!(
        layout.contains("Next sync: "),
        "the tray says when the next sync is due: {layout}"
    );

    // Settings shows where the data lives, and the log folder it shows is the one the
    // running app writes to.
    d.click("[data-testid=nav-settings]").await;
    d.find("[data-testid=page-settings]").await;
    let log_dir = d
        .find("[data-testid=path-log]")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the log folder is shown");
    let log_dir = PathBuf::from(log_dir);
    let log = || logs_in(&log_dir);
    assert!(
        log().contains("CarbonSync desktop started"),
        "the app's log is in the folder Settings shows, {}: {:?}",
        log_dir.display(),
        std::fs::read_dir(&log_dir).map(|r| r.count())
    );
    let refusals = |text: &str| text.matches("sign-in answer refused").count();
    let before = refusals(&log());
    assert!(before >= 1, "the forged link's refusal is logged there");
    d.screenshot("settings").await;

    // GNOME's opener hands a link over too.
    let status = d
        .command("gio")
        .args([
            "open",
            "carbonsync://oauth/callback?code=stolen&state=forged-again",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    while refusals(&log()) < before + 1 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the link opened with gio did not reach the app"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        !log().contains("stolen"),
        "no authorization code in the log"
    );
    d.dismiss_notices().await;

    // A cloud platform connects with keys, through its form.
    cloud::connect_google_cloud_with_the_sandbox_account(&d).await;
    d.dismiss_notices().await;

    // Disconnect removes the keychain entry.
    d.click("[data-testid=nav-integrations]").await;
    d.click(&format!("[data-testid=disconnect-{id}]")).await;
    d.click("[data-testid=confirm-disconnect]").await;
    let start = Instant::now();
    while keychain_has(&key) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the keychain entry is still there"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = d.cli_json(&["connections"]);
    let xero = after
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(xero["status"], "disconnected");
    d.quit().await;
}
