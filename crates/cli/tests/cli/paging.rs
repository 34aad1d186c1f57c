//! Incremental paging against the ways a platform really compares `If-Modified-Since`, with
//! records that share a modification time, pages smaller than asked, records edited while a
//! sync walks the pages, and a sync killed part-way.

use crate::support::*;
use rust_decimal::{dec, Decimal};
use serde_json::{json, Value};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

const MODES: [&str; 3] = ["strict", "inclusive", "whole_seconds"];

/// Waits for a child, failing the test (instead of hanging it) when it runs past `limit`.
fn wait_at_most(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the sync did not end within {limit:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `carbonsync sync <id> --json`, which must end within two minutes and succeed.
fn sync_bounded(env: &Env, id: i64) -> Value {
    let child = env
        .cmd()
        .args(["sync", &id.to_string(), "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_at_most(child, Duration::from_secs(120));
    assert!(out.status.success(), "sync failed: {}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["ok"], true, "sync failed: {v}");
    v[0]["report"]["counts"].clone()
}

fn set_page_size(env: &Env, size: u32) {
    let path = env.dir.path().join("carbonsync.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("[providers.xero]") && !l.starts_with("page_size"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        &path,
        format!("{text}[providers.xero]\npage_size = {size}\n"),
    )
    .unwrap();
}

fn db(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap()
}

/// (record id, modification time) of every stored record of a stream.
fn stored(env: &Env, id: i64, stream: &str) -> Vec<(String, i64)> {
    let db = db(env);
    let mut stmt = db
        .prepare(
            "SELECT record_id, updated_ms FROM records WHERE connection_id = ?1 AND stream = ?2",
        )
        .unwrap();
    let rows = stmt
        .query_map(rusqlite::params![id, stream], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// How many bank transactions the UK organisation has at the platform.
fn platform_bank_transactions(env: &Env) -> i64 {
    env.sandbox.get("/_control/stats")["tenants"][0]["counts"]["bank_transactions"]
        .as_i64()
        .unwrap()
}

fn amount_of(env: &Env, record: &str) -> Decimal {
    let v = env.json(&["emissions", "--ledger", "--record", record, "--json"]);
    decimal(&v[0]["net_amount"])
}

fn change(env: &Env, tenant: &str, stream: &str, body: Value) -> Vec<String> {
    let mut body = body;
    body["tenantId"] = json!(tenant);
    body["stream"] = json!(stream);
    env.sandbox.post("/_control/records/change", body)["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn records_sharing_a_modification_time_are_each_fetched_once_whatever_the_comparison() {
    for mode in MODES {
        let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
        let id = env.connect(US)["id"].as_i64().unwrap();
        env.sync(id);
        env.sandbox
            .post("/_control/settings", json!({ "modified_since": mode }));
        let tenant = env.sandbox.tenant_id(US);
        let count_before = stored(&env, id, "bank_transactions").len();

        // Five changed bank transactions, the middle three with one UpdatedDateUTC, read two a
        // page: the smallest case that skipped two records or looped for ever. (The US
        // organisation's lines carry no tax, so each edit adds exactly 10.00 to the net.)
        let first = change(&env, &tenant, "bank_transactions", json!({"count": 1}));
        let tied = change(
            &env,
            &tenant,
            "bank_transactions",
            json!({"count": 3, "same_updated": true}),
        );
        let last = change(&env, &tenant, "bank_transactions", json!({"count": 1}));
        let changed: Vec<String> = first.iter().chain(&tied).chain(&last).cloned().collect();
        assert_eq!(changed.len(), 5);
        let before: Vec<Decimal> = changed.iter().map(|r| amount_of(&env, r)).collect();

        set_page_size(&env, 2);
        let counts = sync_bounded(&env, id);
        assert_eq!(counts["updated"], 5, "{mode}: {counts}");
        assert_eq!(counts["created"], 0, "{mode}: {counts}");
        for (record, was) in changed.iter().zip(&before) {
            let now = amount_of(&env, record);
            assert!(
                now == was + dec!(10.00),
                "{mode}: {record} holds {now}, want {was} + 10.00"
            );
        }
        let rows = stored(&env, id, "bank_transactions");
        assert_eq!(rows.len(), count_before, "{mode}: no duplicates");

        // Nothing new: the next sync ends at once and finds nothing.
        let again = sync_bounded(&env, id);
        assert_eq!(
            (again["fetched"].as_i64(), again["updated"].as_i64()),
            (Some(0), Some(0)),
            "{mode}: {again}"
        );
    }
}

#[test]
fn more_records_on_one_whole_second_than_a_page_holds_are_all_fetched() {
    for mode in MODES {
        let env = Env::new(&["--no-rate-limit", "--records", "1200"], "");
        let id = env.connect(US)["id"].as_i64().unwrap();
        env.sync(id);
        env.sandbox
            .post("/_control/settings", json!({ "modified_since": mode }));
        let tenant = env.sandbox.tenant_id(US);
        // 250 records on one whole second (a bulk import), read 100 a page.
        let tied = change(
            &env,
            &tenant,
            "bank_transactions",
            json!({"count": 250, "same_updated": true, "whole_second": true}),
        );
        assert_eq!(tied.len(), 250, "{mode}");
        set_page_size(&env, 100);
        let counts = sync_bounded(&env, id);
        assert_eq!(counts["updated"], 250, "{mode}: {counts}");
        let again = sync_bounded(&env, id);
        assert_eq!(again["fetched"], 0, "{mode}: {again}");
    }
}

#[test]
fn a_page_size_above_what_xero_serves_is_refused_before_signing_in() {
    let env = Env::new(&["--no-rate-limit"], "[providers.xero]\npage_size = 2000\n");
    let marker = env.dir.path().join("browser-opened");
    let out = env
        .cmd()
        .args(["connect", "xero", "--tenant", UK, "--timeout", "10"])
        .env("BROWSER", format!("touch {}", marker.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(
        text.contains("page_size 2000") && text.contains("1000"),
        "{text}"
    );
    assert!(
        !marker.exists(),
        "no browser is opened for a sign-in that cannot be used"
    );
    assert_eq!(env.sandbox.calls("GET /authorize"), 0);
}

#[test]
fn pages_cut_shorter_than_asked_are_not_taken_for_the_last_one() {
    let env = Env::new(&["--no-rate-limit", "--records", "900"], "");
    // The platform serves at most 50 a page whatever is asked: the client asks for 100.
    env.sandbox
        .post("/_control/settings", json!({ "max_page_size": 50 }));
    let id = env.connect(UK)["id"].as_i64().unwrap();
    let counts = env.sync(id);
    let bank = platform_bank_transactions(&env);
    assert_eq!(stored(&env, id, "bank_transactions").len() as i64, bank);
    assert_eq!(counts["created"], counts["fetched"], "{counts}");
}

#[test]
fn records_edited_while_a_sync_walks_the_pages_are_neither_lost_nor_doubled() {
    let env = Env::new(&["--no-rate-limit", "--records", "400"], "");
    let id = env.connect(UK)["id"].as_i64().unwrap();
    set_page_size(&env, 10);
    // Page 6 of bank transactions answers slowly; meanwhile records on pages already read are
    // edited, which moves every record after them one place up.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "slow", "delay_ms": 3000, "path_contains": "BankTransactions?page=6&"}),
    );
    let tenant = env.sandbox.tenant_id(UK);
    let child = env
        .cmd()
        .args(["sync", &id.to_string(), "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // The sandbox counts a call once answered: five answered means page 6 is being asked.
    while env.sandbox.calls("GET /BankTransactions") < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "page 5 never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let edited = change(&env, &tenant, "bank_transactions", json!({"count": 20}));
    let out = wait_at_most(child, Duration::from_secs(120));
    assert!(out.status.success(), "{}", stderr(&out));

    let sandbox_bank = platform_bank_transactions(&env);
    let rows = stored(&env, id, "bank_transactions");
    assert_eq!(rows.len() as i64, sandbox_bank, "every record, once");
    // Each edited record holds its edit.
    let db = db(&env);
    for record in &edited {
        let reference: String = db
            .query_row(
                "SELECT reference FROM records WHERE record_id = ?1",
                [record],
                |r| r.get(0),
            )
            .unwrap();
        assert!(reference.ends_with("(amended)"), "{record}: {reference}");
    }
}

#[test]
fn a_sync_killed_part_way_resumes_its_walk_and_stores_every_record_once() {
    let env = Env::new(&["--no-rate-limit", "--records", "600"], "");
    let id = env.connect(UK)["id"].as_i64().unwrap();
    set_page_size(&env, 20);
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "slow", "delay_ms": 5000, "path_contains": "BankTransactions?page=8&"}),
    );
    let mut child = env
        .cmd()
        .args(["sync", &id.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // The sandbox counts a call once answered: seven answered means page 8 is being asked.
    while env.sandbox.calls("GET /BankTransactions") < 7 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "page 7 never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Pages 1–7 are stored (the writer is at most two pages behind and idle now); kill -9.
    std::thread::sleep(Duration::from_millis(1000));
    child.kill().unwrap();
    child.wait().unwrap();

    let partial = stored(&env, id, "bank_transactions").len();
    assert!(
        partial > 0 && partial <= 140,
        "{partial} stored before the kill"
    );
    let walking: bool = db(&env)
        .query_row(
            "SELECT walk IS NOT NULL FROM cursors WHERE connection_id = ?1 AND stream = 'bank_transactions'",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(walking, "the unfinished walk is saved");
    let before_calls = env.sandbox.calls("GET /BankTransactions");

    let counts = sync_bounded(&env, id);
    let sandbox_bank = platform_bank_transactions(&env);
    assert_eq!(
        stored(&env, id, "bank_transactions").len() as i64,
        sandbox_bank
    );
    // It resumed at page 8 rather than starting again from page 1.
    let pages_asked = env.sandbox.calls("GET /BankTransactions") - before_calls;
    let full_walk = (sandbox_bank + 19) / 20;
    assert!(
        pages_asked <= full_walk - 6,
        "asked {pages_asked} pages of {full_walk}: {counts}"
    );
    let logs = env.json(&["logs", &id.to_string(), "--json"]);
    assert_eq!(logs[1]["status"], "interrupted", "{logs}");
}

#[test]
fn one_unreadable_record_is_set_aside_and_the_rest_is_synced() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    // Xero's own example Account has no Status and no UpdatedDateUTC; one bank transaction of
    // the first page carries a date nobody can read.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "mangle_record", "path_contains": "/Accounts", "record_index": 0,
               "remove": ["Status", "UpdatedDateUTC", "Class"]}),
    );
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "mangle_record", "path_contains": "BankTransactions?page=1&",
               "record_index": 3, "set": {"Date": "/Date(not-a-date)/"}}),
    );
    let id = env.connect(UK)["id"].as_i64().unwrap();
    let counts = env.sync(id);
    assert_eq!(counts["set_aside"], 1, "{counts}");

    let sandbox_bank = platform_bank_transactions(&env);
    assert_eq!(
        stored(&env, id, "bank_transactions").len() as i64,
        sandbox_bank - 1,
        "every other record is stored"
    );
    let accounts: i64 = db(&env)
        .query_row(
            "SELECT COUNT(*) FROM accounts WHERE connection_id = ?1 AND status IS NULL",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(accounts, 1, "the account without a Status is kept");

    let aside = env.json(&["logs", "--set-aside", "--json"]);
    let aside = aside.as_array().unwrap();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(aside[0]["stream"], "bank_transactions");
    let record = aside[0]["record_id"].as_str().unwrap().to_string();
    assert!(
        aside[0]["reason"].as_str().unwrap().starts_with("Date"),
        "{aside:?}"
    );
    assert!(aside[0]["raw"].as_str().unwrap().contains("not-a-date"));
    let text = env.run(&["logs"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("set aside"),
        "the history says a record was set aside"
    );

    // Corrected at the platform, it is read by the next sync and leaves the list.
    let tenant = env.sandbox.tenant_id(UK);
    env.sandbox.post(
        "/_control/records/change",
        json!({"tenantId": tenant, "stream": "bank_transactions", "ids": [record]}),
    );
    let counts = env.sync(id);
    assert_eq!(counts["created"], 1, "{counts}");
    assert_eq!(env.json(&["logs", "--set-aside", "--json"]), json!([]));
}

#[test]
fn a_failed_sync_logs_the_calls_it_made() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "status", "status": 400, "path_contains": "/Invoices"}),
    );
    let id = env.connect(UK)["id"].as_i64().unwrap();
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    let logs = env.json(&["logs", &id.to_string(), "--json"]);
    assert_eq!(logs[0]["status"], "failed");
    // The sandbox counts the calls it answered; the refused one is the run's last.
    let answered = env.sandbox.calls("GET /Accounts")
        + env.sandbox.calls("GET /BankTransactions")
        + env.sandbox.calls("GET /Invoices");
    assert!(answered > 1);
    assert_eq!(logs[0]["calls"].as_i64(), Some(answered + 1), "{}", logs[0]);
}
