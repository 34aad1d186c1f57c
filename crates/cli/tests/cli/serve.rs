//! `carbonsync serve` as a team runs it on an always-on machine: the schedule with no
//! window, and the platforms' webhooks, sent by the sandbox signed as Xero and Intuit
//! sign them, over real HTTP on loopback.

use crate::crash_resume::assert_equal_to_platform;
use crate::scheduler_helpers::*;
use crate::support::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::time::Duration;

/// Longer than the server's coalescing window (2 s) and a sync's start on a busy
/// machine: a sync that an event wrongly started would have shown in the log by then.
const QUIET: Duration = Duration::from_secs(6);

/// `carbonsync serve --listen 127.0.0.1:0` in its own process.
pub(crate) struct Server {
    child: Option<Child>,
    log: PathBuf,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn start(env: &Env) -> Server {
        let log = env.dir.path().join("serve.log");
        let child = env
            .cmd()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start carbonsync serve");
        let base = wait_for(Duration::from_secs(60), "the server to listen", || {
            let printed = std::fs::read_to_string(&log).unwrap_or_default();
            printed
                .lines()
                .find_map(|l| l.trim().strip_suffix("/webhooks/xero"))
                .map(str::to_string)
        });
        Server {
            child: Some(child),
            log,
            base,
        }
    }

    fn url(&self, platform: &str) -> String {
        format!("{}/webhooks/{platform}", self.base)
    }

    pub(crate) fn printed(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as a service manager stops it; returns how it ended and what it printed.
    fn terminate(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        signal(&child, "-TERM");
        let status = child.wait().unwrap();
        (status, self.printed())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(&child, "-KILL");
            let _ = child.wait();
        }
    }
}

fn signal(child: &Child, which: &str) {
    let _ = std::process::Command::new("kill")
        .args([which, &child.id().to_string()])
        .status();
}

/// Asks the sandbox to send webhooks; returns its answers (status, body) in order.
fn send(env: &Env, request: Value) -> Vec<(u64, String)> {
    let sent = env.sandbox.post("/_control/webhooks/send", request);
    sent["answers"]
        .as_array()
        .unwrap_or_else(|| panic!("answers: {sent}"))
        .iter()
        .map(|a| {
            (
                a["status"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("an answer: {a}")),
                a["body"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn webhook_runs(env: &Env, id: i64) -> Vec<Value> {
    runs(env, id)
        .into_iter()
        .filter(|r| r["trigger"] == "webhook")
        .collect()
}

/// Waits until `id` has `n` webhook syncs, every one finished and succeeded.
fn wait_for_webhook_syncs(env: &Env, id: i64, n: usize) {
    wait_for(
        Duration::from_secs(90),
        &format!("{n} webhook syncs of connection {id}"),
        || {
            let done = webhook_runs(env, id);
            (done.len() == n && done.iter().all(|r| r["status"] == "succeeded")).then_some(())
        },
    );
}

/// Two connections that sync only when asked, with the sandbox's webhook keys kept.
fn serve_env(records: &str) -> (Env, i64, i64) {
    let env = Env::new(&["--no-rate-limit", "--records", records], "");
    let xero = env.connect(US)["id"].as_i64().unwrap();
    let quickbooks = env.json(&["connect", "quickbooks", "--timeout", "30", "--json"])["id"]
        .as_i64()
        .unwrap();
    for id in [xero, quickbooks] {
        let out = env.run(&["schedule", &id.to_string(), "manual"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for platform in ["xero", "quickbooks"] {
        let out = env.run(&["webhook-key", platform, "--sandbox"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    (env, xero, quickbooks)
}

#[test]
fn signed_webhooks_each_start_one_sync_and_forged_replayed_or_foreign_ones_start_none() {
    let (env, xero, quickbooks) = serve_env("200");
    // The keys are in the keychain and nowhere in the data folder.
    let install = env.install_id();
    for platform in ["xero", "quickbooks"] {
        let key = keychain_lookup(&format!("{install}/webhook-key/{platform}"))
            .unwrap_or_else(|| panic!("the {platform} key is kept"));
        assert!(files_containing(env.dir.path(), key.trim()).is_empty());
    }
    let us_tenant = env.sandbox.tenant_id(US);
    let server = Server::start(&env);

    // Xero's "intent to receive": signed gets 200, badly signed 401, both with empty bodies.
    let intent = send(
        &env,
        json!({"platform": "xero", "to": server.url("xero"), "kind": "intent"}),
    );
    assert_eq!(intent, vec![(200, String::new()), (401, String::new())]);
    // A badly signed event is refused and starts nothing.
    for platform in ["xero", "quickbooks"] {
        let bad = send(
            &env,
            json!({"platform": platform, "to": server.url(platform), "kind": "bad_signature", "tenant": if platform == "xero" { us_tenant.as_str() } else { "9341453050090071" }}),
        );
        assert_eq!(bad, vec![(401, String::new())], "{platform}");
    }
    // An event for an organisation not connected here is taken and ignored.
    let foreign = send(&env, json!({"platform": "xero", "to": server.url("xero")}));
    assert_eq!(
        foreign,
        vec![(200, String::new())],
        "the UK organisation is not connected"
    );
    std::thread::sleep(QUIET);
    assert!(webhook_runs(&env, xero).is_empty() && webhook_runs(&env, quickbooks).is_empty());

    // A signed Xero event starts exactly one sync of that organisation's connection.
    let signed = send(
        &env,
        json!({"platform": "xero", "to": server.url("xero"), "tenant": us_tenant}),
    );
    assert_eq!(signed, vec![(200, String::new())]);
    wait_for_webhook_syncs(&env, xero, 1);
    // The same delivery again (a replay) is answered and ignored.
    let replay = send(
        &env,
        json!({"platform": "xero", "to": server.url("xero"), "kind": "replay"}),
    );
    assert_eq!(replay, vec![(200, String::new())]);
    std::thread::sleep(QUIET);
    assert_eq!(
        webhook_runs(&env, xero).len(),
        1,
        "the replay started nothing"
    );
    assert!(webhook_runs(&env, quickbooks).is_empty());

    // QuickBooks, in both of Intuit's payloads: one sync each.
    let cloud = send(
        &env,
        json!({"platform": "quickbooks", "to": server.url("quickbooks"), "format": "cloudevents"}),
    );
    assert_eq!(cloud, vec![(200, String::new())]);
    wait_for_webhook_syncs(&env, quickbooks, 1);
    let legacy = send(
        &env,
        json!({"platform": "quickbooks", "to": server.url("quickbooks"), "format": "legacy"}),
    );
    assert_eq!(legacy, vec![(200, String::new())]);
    wait_for_webhook_syncs(&env, quickbooks, 2);

    // A burst of 50 deliveries (and a replay of the last) starts one sync.
    let burst = send(
        &env,
        json!({"platform": "xero", "to": server.url("xero"), "tenant": us_tenant, "count": 50}),
    );
    assert_eq!(burst.len(), 50);
    assert!(
        burst.iter().all(|a| *a == (200, String::new())),
        "{burst:?}"
    );
    send(
        &env,
        json!({"platform": "xero", "to": server.url("xero"), "kind": "replay"}),
    );
    wait_for_webhook_syncs(&env, xero, 2);
    std::thread::sleep(QUIET);
    assert_eq!(
        webhook_runs(&env, xero).len(),
        2,
        "one sync for the whole burst"
    );

    // A body larger than any platform sends is refused unread.
    let big = reqwest::blocking::Client::new()
        .post(server.url("xero"))
        .header("x-xero-signature", "x")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .unwrap();
    assert_eq!(big.status().as_u16(), 413);
    // A platform that sends no webhooks has no address.
    let none = reqwest::blocking::Client::new()
        .post(format!("{}/webhooks/aws", server.base))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(none.status().as_u16(), 404);

    let (status, printed) = server.terminate();
    assert!(status.success(), "stops cleanly on SIGTERM: {printed}");
    // The history says what started each sync, and the window reads the same history.
    let listing = env.run(&["logs", &xero.to_string()]);
    assert!(String::from_utf8_lossy(&listing.stdout).contains("webhook"));
    // Nothing of a key or a payload reached the logs.
    let key = keychain_lookup(&format!("{install}/webhook-key/xero")).unwrap();
    assert!(files_containing(env.dir.path(), key.trim()).is_empty());
    assert!(files_containing(env.dir.path(), "resourceUrl").is_empty());
}

#[test]
fn the_server_syncs_on_schedule_and_refuses_webhooks_of_a_platform_without_a_key() {
    let env = Env::new(&["--no-rate-limit", "--records", "100"], "");
    let id = env.connect(US)["id"].as_i64().unwrap();
    let out = env.run(&["schedule", &id.to_string(), "*/2 * * * * *"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Server::start(&env);
    assert!(
        server.printed().contains("No webhook key is kept for xero"),
        "{}",
        server.printed()
    );
    wait_for(Duration::from_secs(60), "a scheduled sync", || {
        runs(&env, id)
            .iter()
            .any(|r| r["trigger"] == "schedule" && r["status"] == "succeeded")
            .then_some(())
    });
    // Signed with the sandbox's key, but no key is kept here: refused.
    let refused = send(
        &env,
        json!({"platform": "xero", "to": server.url("xero"), "tenant": env.sandbox.tenant_id(US)}),
    );
    assert_eq!(refused, vec![(401, String::new())]);
    assert!(webhook_runs(&env, id).is_empty());

    // A key stored while the server runs is used without a restart, and one removed is
    // refused again, each within the keys' freshness (10 s).
    let out = env.run(&["webhook-key", "xero", "--sandbox"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let tenant = env.sandbox.tenant_id(US);
    wait_for(Duration::from_secs(30), "the stored key to be used", || {
        let answers = send(
            &env,
            json!({"platform": "xero", "to": server.url("xero"), "tenant": tenant}),
        );
        (answers == vec![(200, String::new())]).then_some(())
    });
    assert!(env
        .run(&["webhook-key", "xero", "--clear"])
        .status
        .success());
    wait_for(
        Duration::from_secs(30),
        "the removed key to be refused",
        || {
            let answers = send(
                &env,
                json!({"platform": "xero", "to": server.url("xero"), "tenant": tenant}),
            );
            (answers == vec![(401, String::new())]).then_some(())
        },
    );
    let (status, _) = server.terminate();
    assert!(status.success());

    // The sandbox's key is public: never kept for a platform set up with its own app.
    std::fs::write(
        env.dir.path().join("carbonsync.toml"),
        format!(
            "[sandbox]\nurl = \"{}\"\n[providers.xero]\nclient_id = \"ABCDEF0123456789\"\n",
            env.sandbox.url
        ),
    )
    .unwrap();
    let out = env.run(&["webhook-key", "xero", "--sandbox"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("public"), "{}", stderr(&out));
}

#[test]
fn sigterm_in_the_middle_of_a_webhook_sync_loses_and_duplicates_nothing() {
    let env = Env::new(&["--no-rate-limit", "--records", "4000"], "");
    let conn = env.connect(UK);
    let id = conn["id"].as_i64().unwrap();
    let vault_key = conn["vault_key"].as_str().unwrap().to_string();
    let tenant = env.sandbox.tenant_id(UK);
    std::fs::write(
        env.dir.path().join("carbonsync.toml"),
        format!(
            "[sandbox]\nurl = \"{}\"\n[providers.xero]\npage_size = 20\n",
            env.sandbox.url
        ),
    )
    .unwrap();
    assert!(env
        .run(&["schedule", &id.to_string(), "manual"])
        .status
        .success());
    assert!(env
        .run(&["webhook-key", "xero", "--sandbox"])
        .status
        .success());
    let server = Server::start(&env);
    send(
        &env,
        json!({"platform": "xero", "to": server.url("xero"), "tenant": tenant}),
    );
    // Stop once the first pages are saved and more are to come.
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    wait_for(
        Duration::from_secs(90),
        "the webhook sync to save pages",
        || {
            let saved: i64 = db
                .query_row(
                    "SELECT count(*) FROM records WHERE connection_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            let running = webhook_runs(&env, id)
                .first()
                .is_some_and(|r| r["status"] == "running");
            (running && saved > 0).then_some(())
        },
    );
    let (status, printed) = server.terminate();
    assert!(status.success(), "{printed}");
    let run = webhook_runs(&env, id).remove(0);
    assert_eq!(run["status"], "interrupted", "{run}");

    // The next sync resumes; afterwards the database holds exactly what Xero holds.
    env.sync(id);
    assert_equal_to_platform(&env, id, &vault_key, &tenant);
}
