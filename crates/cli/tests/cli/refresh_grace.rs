//! A sync stopped dead after the platform rotated the refresh token but before the new
//! one was saved: within the platform's grace the next sync renews with the token still
//! in the keychain, with no browser; after it, the connection says in words that it
//! must be connected again.

use crate::support::*;
use serde_json::{json, Value};

/// A connection whose access token needs renewing six seconds after connecting.
fn connected_with_short_tokens(env: &Env) -> (String, String) {
    env.sandbox
        .post("/_control/settings", json!({"access_token_ttl_secs": 30}));
    let conn = env.connect(UK);
    std::thread::sleep(std::time::Duration::from_secs(6));
    (
        conn["id"].as_i64().unwrap().to_string(),
        conn["vault_key"].as_str().unwrap().to_string(),
    )
}

fn refreshed(env: &Env) -> i64 {
    env.sandbox.get("/_control/stats")["tokens"]["refreshed"]
        .as_i64()
        .unwrap()
}

/// `sync <id>`, stopped dead once the platform's renewal answer is in hand.
fn sync_crashing_after_refresh(env: &Env, id: &str) {
    let before = refreshed(env);
    env.run_crashing_at("after_refresh_answer", &["sync", id]);
    // The platform did rotate the token; the answer never reached the keychain.
    assert_eq!(refreshed(env), before + 1);
}

fn refresh_token(env: &Env, key: &str) -> String {
    let set: Value = serde_json::from_str(&keychain_lookup(key).unwrap()).unwrap();
    let _ = env;
    set["refresh_token"].as_str().unwrap().to_string()
}

#[test]
fn a_refresh_interrupted_after_rotation_recovers_within_the_grace_without_the_browser() {
    let env = Env::new(
        &["--no-rate-limit", "--records", "200"],
        "[sync]\nrefresh_margin_secs = 25\n",
    );
    let (id, key) = connected_with_short_tokens(&env);
    let held = refresh_token(&env, &key);
    sync_crashing_after_refresh(&env, &id);
    assert_eq!(refresh_token(&env, &key), held, "nothing new was saved");

    let authorize_calls = env.sandbox.calls("GET /authorize");
    let report = env.json(&["sync", &id, "--json"]);
    assert_eq!(report[0]["ok"], true, "{report}");
    assert_eq!(report[0]["report"]["refreshed_token"], true);
    assert!(report[0]["report"]["counts"]["fetched"].as_i64().unwrap() > 0);
    assert_eq!(
        env.sandbox.calls("GET /authorize"),
        authorize_calls,
        "no sign-in page was asked for"
    );
    assert_ne!(refresh_token(&env, &key), held, "the renewed set was saved");
    let conns = env.json(&["connections", "--json"]);
    assert_eq!(conns[0]["status"], "active");
    // Nothing of the interrupted renewal is left to mislead a later one.
    let marker = env.data_dir().join(format!("locks/refresh-{id}.inflight"));
    assert!(!marker.exists());
}

#[test]
fn after_the_grace_an_interrupted_refresh_says_a_reconnect_is_needed() {
    let env = Env::new(
        &["--no-rate-limit", "--records", "200"],
        "[sync]\nrefresh_margin_secs = 25\n",
    );
    env.sandbox
        .post("/_control/refresh_grace", json!({"secs": 1}));
    let (id, _key) = connected_with_short_tokens(&env);
    sync_crashing_after_refresh(&env, &id);
    // Thirty-one minutes pass: the platform's grace (shortened here) and the one
    // CarbonSync knows of (the renewal's start, moved back) are both over.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let marker = env.data_dir().join(format!("locks/refresh-{id}.inflight"));
    assert!(marker.exists(), "the interrupted renewal left its mark");
    let started = std::process::Command::new("date")
        .args(["-u", "-d", "31 minutes ago", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    assert!(started.status.success());
    std::fs::write(&marker, &started.stdout).unwrap();

    let out = env.run(&["sync", &id]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("reconnect it to continue syncing"), "{err}");
    assert!(
        err.contains("was interrupted before its answer was saved"),
        "{err}"
    );
    assert!(err.contains("30 minutes only"), "{err}");
    assert!(err.contains("connect again in the browser"), "{err}");
    assert!(
        !err.contains("sbx_rt_") && !err.contains("sbx_at_"),
        "{err}"
    );
    let conns = env.json(&["connections", "--json"]);
    assert_eq!(conns[0]["status"], "needs_reconnect");

    // Connecting again brings it back.
    let again = env.connect(UK);
    assert_eq!(again["status"], "active");
    env.sync(again["id"].as_i64().unwrap());
}

#[test]
fn a_renewal_answer_cut_off_in_transit_is_retried_at_once_with_the_same_token() {
    let env = Env::new(
        &["--no-rate-limit", "--records", "200"],
        "[sync]\nrefresh_margin_secs = 25\n",
    );
    let (id, key) = connected_with_short_tokens(&env);
    let held = refresh_token(&env, &key);
    env.sandbox
        .post("/_control/lose_refresh_answers", json!({"count": 1}));
    let before = refreshed(&env);

    let report = env.json(&["sync", &id, "--json"]);
    assert_eq!(report[0]["ok"], true, "{report}");
    assert_eq!(report[0]["report"]["refreshed_token"], true);
    // Two rotations at the platform: the one whose answer was lost, and the retry.
    assert_eq!(refreshed(&env), before + 2);
    assert_ne!(refresh_token(&env, &key), held);
    let conns = env.json(&["connections", "--json"]);
    assert_eq!(conns[0]["status"], "active");
}
