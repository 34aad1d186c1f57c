use crate::support::*;
use serde_json::{json, Value};

#[test]
fn a_sync_refreshes_the_token_once_even_when_two_run_at_once_and_the_old_refresh_token_dies() {
    // Access tokens live 30 s and CarbonSync renews them within 25 s of expiry, so six
    // seconds after connecting a sync must refresh, and the token it gets is fresh
    // enough that the second sync must not.
    let env = Env::new(
        &["--no-rate-limit", "--records", "300"],
        "[sync]\nrefresh_margin_secs = 25\n",
    );
    env.sandbox
        .post("/_control/settings", json!({"access_token_ttl_secs": 30}));
    let conn = env.connect(UK);
    let key = conn["vault_key"].as_str().unwrap();
    let old: Value = serde_json::from_str(&keychain_lookup(key).unwrap()).unwrap();
    let old_refresh = old["refresh_token"].as_str().unwrap().to_string();
    let refreshed_before = env.sandbox.get("/_control/stats")["tokens"]["refreshed"]
        .as_i64()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(6));

    let id = conn["id"].as_i64().unwrap().to_string();
    let (a, b) = env.two_syncs_at_once(&id);
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));

    let refreshed = env.sandbox.get("/_control/stats")["tokens"]["refreshed"]
        .as_i64()
        .unwrap()
        - refreshed_before;
    assert_eq!(refreshed, 1, "exactly one refresh for two concurrent syncs");
    let reports: Vec<Value> = [&a, &b]
        .iter()
        .map(|o| serde_json::from_slice::<Value>(&o.stdout).unwrap())
        .collect();
    let renewed = reports
        .iter()
        .filter(|r| r[0]["report"]["refreshed_token"] == true)
        .count();
    assert_eq!(renewed, 1);

    // The rotated token is in the keychain; the old one is refused by the platform once
    // its grace for a lost answer is over (Xero's is 30 minutes; here it is ended at once).
    let new: Value = serde_json::from_str(&keychain_lookup(key).unwrap()).unwrap();
    assert_ne!(new["refresh_token"].as_str().unwrap(), old_refresh);
    env.sandbox
        .post("/_control/refresh_grace", json!({"secs": 0}));
    let (status, body) = env.sandbox.token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &old_refresh),
        ("client_id", "carbonsync-sandbox"),
    ]);
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[test]
fn a_revoked_grant_asks_for_a_reconnect_instead_of_retrying() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    let conn = env.connect(UK);
    let id = conn["id"].as_i64().unwrap();
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "revoke_grant", "count": 1}),
    );

    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("reconnect"), "{err}");

    let conns = env.json(&["connections", "--json"]);
    assert_eq!(conns[0]["status"], "needs_reconnect");
    let logs = env.json(&["logs", &id.to_string(), "--json"]);
    assert_eq!(logs[0]["status"], "failed");
    assert_eq!(logs[0]["error_code"], "needs_reconnect");

    // Reconnecting brings the same connection back, with its data.
    let again = env.connect(UK);
    assert_eq!(again["id"], id);
    assert_eq!(again["status"], "active");
    env.sync(id);
}
