//! QuickBooks Online end to end through the real binary: sign-in with the confidential client
//! and the company on the callback, full then incremental sync through change data capture,
//! deletions, the 30-day reach of the change feed, token rotation, limits and failures, and
//! hand-computed emissions for a company that buys in several currencies.

use crate::support::*;
use rust_decimal::{dec, Decimal};
use serde_json::{json, Value};

const COMPANY: &str = "Cedar & Finch Trading Co.";
const REALM: &str = "9341453050090071";
/// The sandbox's fixed QuickBooks records (see the sandbox README).
const Q1_TRAVEL: &str = "9001";
const Q2_EUR_BILL: &str = "9002";
const Q3_VENDOR_CREDIT: &str = "9003";
const Q4_SUNDRY_400: &str = "9004";
const Q5_CARD_CREDIT: &str = "9005";

fn connect_quickbooks(env: &Env) -> Value {
    env.json(&["connect", "quickbooks", "--timeout", "30", "--json"])
}

fn ledger_for(env: &Env, record: &str) -> Vec<Value> {
    env.json(&["emissions", "--ledger", "--record", record, "--json"])
        .as_array()
        .unwrap()
        .clone()
}

fn kg(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string, not {v}"))
        .parse()
        .unwrap()
}

fn calls(env: &Env, endpoint: &str) -> i64 {
    env.sandbox.calls(endpoint)
}

fn qb_stats(env: &Env) -> Value {
    env.sandbox.get("/_control/stats")
}

#[test]
fn quickbooks_connects_syncs_in_full_then_reads_only_changes_once_per_stream() {
    let env = Env::new(&["--no-rate-limit", "--records", "2500"], "");
    let conn = connect_quickbooks(&env);
    assert_eq!(conn["tenant_name"], COMPANY);
    assert_eq!(conn["tenant_id"], REALM);
    assert_eq!(conn["base_currency"], "USD");
    assert_eq!(conn["provider"], "quickbooks");

    // The company id came back on the callback and is kept with the grant in the keychain;
    // the tokens are never in the data folder.
    let secret: Value =
        serde_json::from_str(&keychain_lookup(conn["vault_key"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(secret["extras"]["realmId"], REALM);
    let access = secret["access_token"].as_str().unwrap().to_string();

    let id = conn["id"].as_i64().unwrap();
    let first = env.sync(id);
    assert!(first["fetched"].as_i64().unwrap() > 1000, "{first}");
    assert_eq!(first["created"], first["fetched"], "{first}");
    assert!(files_containing(&env.data_dir(), &access).is_empty());

    // Nothing changed: one change-feed call per stream and one for the chart, nothing new.
    let cdc_before = calls(&env, "GET /quickbooks/cdc");
    let again = env.sync(id);
    assert_eq!(again["fetched"], 0, "{again}");
    assert_eq!(again["created"], 0);
    assert_eq!(
        again["calls"], 4,
        "the chart and one call per stream: {again}"
    );
    assert_eq!(calls(&env, "GET /quickbooks/cdc") - cdc_before, 3);

    // Disconnecting revokes the grant at Intuit's revocation endpoint (a JSON body there) and
    // removes the keychain entry; the revoked token no longer reads the company.
    let revokes = calls(&env, "POST /quickbooks/tokens/revoke");
    env.json(&["disconnect", &id.to_string(), "--json"]);
    assert_eq!(calls(&env, "POST /quickbooks/tokens/revoke") - revokes, 1);
    assert!(keychain_lookup(conn["vault_key"].as_str().unwrap()).is_none());
    let status = reqwest::blocking::Client::new()
        .get(format!(
            "{}/quickbooks/v3/company/{REALM}/companyinfo/{REALM}",
            env.sandbox.url
        ))
        .bearer_auth(&access)
        .send()
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401, "the grant is gone at the platform");
}

#[test]
fn a_changed_and_a_deleted_record_update_exactly_those_through_the_change_feed() {
    let env = Env::new(&["--no-rate-limit", "--records", "400"], "");
    let id = connect_quickbooks(&env)["id"].as_i64().unwrap();
    env.sync(id);
    let total_before = kg(&env.json(&["emissions", "--json"])["totals"]["kg_co2e"]);
    let travel_before = ledger_for(&env, Q1_TRAVEL);
    let freight_before = ledger_for(&env, Q2_EUR_BILL);
    let freight_kg: Decimal = freight_before
        .iter()
        .filter(|l| l["status"] == "counted")
        .map(|l| kg(&l["kg_co2e"]))
        .sum();
    assert!(freight_kg > Decimal::ZERO);

    env.sandbox.post(
        "/_control/quickbooks/records/change",
        json!({"entity": "Purchase", "ids": [Q1_TRAVEL]}),
    );
    env.sandbox.post(
        "/_control/quickbooks/records/delete",
        json!({"entity": "Bill", "ids": [Q2_EUR_BILL]}),
    );
    let counts = env.sync(id);
    assert_eq!(counts["updated"], 1, "{counts}");
    assert_eq!(counts["deleted"], 1, "{counts}");
    assert_eq!(counts["created"], 0, "{counts}");

    // The changed purchase has its new amount (first line +10.00) and emission.
    let travel = ledger_for(&env, Q1_TRAVEL);
    assert_eq!(
        kg(&travel[0]["net_amount"]) - kg(&travel_before[0]["net_amount"]),
        dec!(10.00)
    );
    // The deleted bill keeps its lines for the trail, counting nothing.
    let freight = ledger_for(&env, Q2_EUR_BILL);
    assert_eq!(freight.len(), freight_before.len());
    assert!(freight
        .iter()
        .all(|l| l["status"] == "excluded" && l["reason"].as_str().unwrap().contains("deleted")));
    let total_after = kg(&env.json(&["emissions", "--json"])["totals"]["kg_co2e"]);
    let travel_delta = kg(&travel[0]["kg_co2e"]) - kg(&travel_before[0]["kg_co2e"]);
    assert_eq!(total_after, total_before - freight_kg + travel_delta);
}

#[test]
fn a_connection_last_synced_beyond_the_change_feeds_reach_is_read_whole_and_says_why() {
    let env = Env::new(&["--no-rate-limit", "--records", "400"], "");
    let id = connect_quickbooks(&env)["id"].as_i64().unwrap();
    env.sync(id);
    // The bill is deleted while the connection is not synced for 40 days (the position is
    // moved back; the change feed reaches back 30 days only).
    env.sandbox.post(
        "/_control/quickbooks/records/delete",
        json!({"entity": "Bill", "ids": [Q2_EUR_BILL]}),
    );
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    let forty_days_ago = chrono::Utc::now().timestamp_millis() - 40 * 86_400_000;
    let moved = db
        .execute(
            "UPDATE cursors SET modified_since = ?1 WHERE connection_id = ?2 AND stream <> 'accounts'",
            rusqlite::params![forty_days_ago, id],
        )
        .unwrap();
    assert_eq!(moved, 3, "the three streams' positions");
    drop(db);

    let cdc_before = calls(&env, "GET /quickbooks/cdc");
    let counts = env.sync(id);
    let logs = env.json(&["logs", &id.to_string(), "--json"]);
    assert_eq!(
        counts["deleted"], 1,
        "the bill no longer listed is deleted: {counts} {}",
        logs[0]
    );
    assert_eq!(
        calls(&env, "GET /quickbooks/cdc"),
        cdc_before,
        "read with the query, not the change feed"
    );
    let logs = env.json(&["logs", &id.to_string(), "--json"]);
    let notes = logs[0]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "one note per stream: {notes:?}");
    assert!(
        notes[1]
            .as_str()
            .unwrap()
            .starts_with("Bills were read whole")
            && notes[1].as_str().unwrap().contains("30 days"),
        "{notes:?}"
    );
    assert!(ledger_for(&env, Q2_EUR_BILL)
        .iter()
        .all(|l| l["status"] == "excluded"));
    // Back within reach: the next sync asks the change feed again.
    let again = env.sync(id);
    assert_eq!(again["fetched"], 0, "{again}");
    assert_eq!(calls(&env, "GET /quickbooks/cdc") - cdc_before, 3);
}

#[test]
fn emissions_of_known_purchases_in_several_currencies_match_a_hand_computation() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    let id = connect_quickbooks(&env)["id"].as_i64().unwrap();
    env.sync(id);
    // EPA v1.3 with margins: 481111 air 0.644, 492110 couriers 0.303 (kg CO2e per USD 2022);
    // USD per EUR 2024 1.0824 (Fed G.5A); GDP price index 2022 117.996, 2024 125.224. Each
    // line is rounded half away from zero to six places once.
    //   Q1 1,250.00 USD travel:      1250 × 117.996 / 125.224 = 1177.849294 USD 2022
    //                                × 0.644 = 758.534945 kg
    //   Q2 800.00 EUR freight:       800 × 1.0824 × 117.996 / 125.224 = 815.938609 USD 2022
    //                                × 0.303 = 247.229398 kg; 199.99 EUR supplies: unmapped
    //   Q3 vendor credit −150.00 USD freight: −141.341915 USD 2022, −42.826600 kg
    //   Q5 card credit −75.00 USD travel:     −70.670958 USD 2022, −45.512097 kg
    let q1 = ledger_for(&env, Q1_TRAVEL);
    assert_eq!(q1.len(), 1);
    assert_eq!(q1[0]["status"], "counted");
    assert_eq!(q1[0]["rule_id"], "qbo-Travel");
    assert_eq!(q1[0]["factor_code"], "481111");
    assert_eq!(kg(&q1[0]["amount_usd_2022"]), dec!(1177.849294));
    assert_eq!(kg(&q1[0]["kg_co2e"]), dec!(758.534945));

    let mut q2 = ledger_for(&env, Q2_EUR_BILL);
    q2.sort_by_key(|l| l["line_no"].as_i64());
    assert_eq!(q2.len(), 2, "{q2:?}");
    assert_eq!(q2[0]["currency"], "EUR");
    assert_eq!(kg(&q2[0]["fx_rate"]), dec!(1.0824));
    assert_eq!(kg(&q2[0]["amount_usd_2022"]), dec!(815.938609));
    assert_eq!(kg(&q2[0]["kg_co2e"]), dec!(247.229398));
    assert_eq!(q2[0]["scope3_category"], 4);
    assert_eq!(q2[1]["status"], "unmapped");
    assert!(
        q2[1]["reason"].as_str().unwrap().contains("map it"),
        "{}",
        q2[1]
    );

    let q3 = ledger_for(&env, Q3_VENDOR_CREDIT);
    assert_eq!(kg(&q3[0]["net_amount"]), dec!(-150.00));
    assert_eq!(kg(&q3[0]["kg_co2e"]), dec!(-42.826600));

    let q5 = ledger_for(&env, Q5_CARD_CREDIT);
    assert_eq!(kg(&q5[0]["net_amount"]), dec!(-75.00));
    assert_eq!(kg(&q5[0]["kg_co2e"]), dec!(-45.512097));

    // An account numbered 400 in QuickBooks is not Xero's Advertising 400: the rule is chosen
    // by the account's subtype, in QuickBooks' own table.
    let q4 = ledger_for(&env, Q4_SUNDRY_400);
    assert_eq!(q4[0]["account_code"], "400");
    assert_ne!(q4[0]["rule_id"], "xero-std-400");
    assert_eq!(q4[0]["rule_id"], "qbo-OtherMiscellaneousExpense");
    assert_eq!(q4[0]["status"], "unmapped");

    // No drift: the total is the exact sum of every counted entry's kg.
    let ledger = env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]);
    let sum: Decimal = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "counted")
        .map(|l| kg(&l["kg_co2e"]))
        .sum();
    let totals = env.json(&["emissions", "--json"]);
    assert_eq!(kg(&totals["totals"]["kg_co2e"]), sum);
}

#[test]
fn two_syncs_at_once_refresh_the_rotating_token_exactly_once() {
    let env = Env::new(
        &["--no-rate-limit", "--records", "200"],
        "[sync]\nrefresh_margin_secs = 25\n",
    );
    env.sandbox
        .post("/_control/settings", json!({"access_token_ttl_secs": 30}));
    let conn = connect_quickbooks(&env);
    let key = conn["vault_key"].as_str().unwrap();
    let old: Value = serde_json::from_str(&keychain_lookup(key).unwrap()).unwrap();
    let refreshed_before = qb_stats(&env)["tokens"]["refreshed"].as_i64().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(6));

    let id = conn["id"].as_i64().unwrap().to_string();
    let (a, b) = env.two_syncs_at_once(&id);
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));
    let refreshed = qb_stats(&env)["tokens"]["refreshed"].as_i64().unwrap() - refreshed_before;
    assert_eq!(refreshed, 1, "exactly one refresh for two concurrent syncs");
    let new: Value = serde_json::from_str(&keychain_lookup(key).unwrap()).unwrap();
    assert_ne!(new["refresh_token"], old["refresh_token"], "rotated on use");
    assert_eq!(
        new["extras"]["realmId"], REALM,
        "the company stays with the grant"
    );
}

#[test]
fn quickbooks_limits_and_failures_are_waited_out_or_said_in_words() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let id = connect_quickbooks(&env)["id"].as_i64().unwrap();

    // 429s are waited out.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "rate_limit", "path_contains": "/quickbooks/v3", "count": 2}),
    );
    let counts = env.sync(id);
    assert_eq!(counts["rate_limited"], 2, "{counts}");

    // Intuit's authorization fault (3100) in words, with its request id kept for support.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "status", "status": 403, "path_contains": "/quickbooks/v3", "count": 2}),
    );
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    let run = &env.json(&["logs", &id.to_string(), "--json"])[0];
    let said = format!("{} {}", run["error_message"], run["error_detail"]);
    assert!(said.contains("admin"), "{said}");
    assert!(said.contains("intuit_tid"), "{said}");
    env.json(&["connect", "quickbooks", "--timeout", "30", "--json"]);

    // A revoked grant: the connection needs reconnecting, said in words.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "revoke_grant", "path_contains": "/quickbooks/v3", "count": 1}),
    );
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("reconnect") || err.contains("Reconnect"),
        "{err}"
    );
    let c = env.json(&["connections", "--json"]);
    assert_eq!(c[0]["status"], "needs_reconnect", "{c}");
}

#[test]
fn a_denied_quickbooks_consent_stores_nothing() {
    let env = Env::new(&["--no-rate-limit", "--records", "100"], "");
    let out = env
        .cmd()
        .args(["connect", "quickbooks", "--timeout", "30"])
        .env("CARBONSYNC_TEST_DECISION", "deny")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("denied") || err.contains("declined"), "{err}");
    assert_eq!(env.json(&["connections", "--json"]), json!([]));
}

#[test]
fn your_own_quickbooks_app_takes_its_secret_from_a_pipe_and_keeps_it_in_the_keychain_only() {
    let env = Env::new(&["--no-rate-limit", "--records", "100"], "");
    // A client id without a secret: connecting says what to do and opens no browser.
    let out = env.run(&[
        "app-credentials",
        "quickbooks",
        "--client-id",
        "my-intuit-app",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["connect", "quickbooks", "--timeout", "5"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("client secret") && err.contains("--client-secret-stdin"),
        "{err}"
    );

    // The secret arrives through standard input, lands in the keychain and nowhere else.
    let secret = "intuit-app-secret-1234567890";
    let mut child = env
        .cmd()
        .args([
            "app-credentials",
            "quickbooks",
            "--client-id",
            "my-intuit-app",
            "--client-secret-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{secret}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("its secret is in the keychain"));
    let install = env.install_id();
    let stored: Vec<String> = keychain_search_usernames()
        .into_iter()
        .filter(|k| k.starts_with(&install) && k.ends_with("client_secret"))
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(keychain_lookup(&stored[0]).as_deref(), Some(secret));
    assert!(files_containing(env.dir.path(), secret).is_empty());
    let config = std::fs::read_to_string(env.dir.path().join("carbonsync.toml")).unwrap();
    assert!(config.contains("my-intuit-app"));

    // Clearing puts QuickBooks back on the sandbox and the secret out of the keychain.
    let out = env.run(&["app-credentials", "quickbooks", "--clear"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(keychain_lookup(&stored[0]).is_none());
    assert_eq!(connect_quickbooks(&env)["sandbox"], true);
}
