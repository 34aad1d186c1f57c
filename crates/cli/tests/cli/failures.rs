use crate::support::*;
use serde_json::json;

fn nothing_stored(env: &Env) {
    let conns = env.json(&["connections", "--json"]);
    assert_eq!(
        conns.as_array().unwrap().len(),
        0,
        "no connection stored: {conns}"
    );
    let install = env.install_id();
    assert!(
        keychain_search_usernames()
            .iter()
            .all(|k| !k.starts_with(&install)),
        "no keychain entry stored"
    );
}

#[test]
fn a_denied_consent_says_so_and_stores_nothing() {
    let env = Env::new(&[], "");
    let out = env
        .cmd()
        .args(["connect", "xero", "--tenant", UK, "--timeout", "30"])
        .env("CARBONSYNC_TEST_DECISION", "deny")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("declined"), "{}", stderr(&out));
    nothing_stored(&env);
}

#[test]
fn a_forged_state_is_refused_and_stores_nothing() {
    // The test browser delivers the answer with its state altered: the listener refuses it
    // and keeps waiting for the real one, which never comes, so the sign-in ends at its
    // timeout with nothing stored.
    let env = Env::new(&[], "");
    let out = env
        .cmd()
        .args(["connect", "xero", "--tenant", UK, "--timeout", "5"])
        .env("CARBONSYNC_TEST_TAMPER", "state")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("No answer from the browser"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.sandbox.calls("POST /token"),
        0,
        "the forged code was never exchanged"
    );
    nothing_stored(&env);
}

#[test]
fn no_answer_from_the_browser_times_out_clearly() {
    let env = Env::new(&[], "");
    let out = env
        .cmd()
        .args(["connect", "xero", "--tenant", UK, "--timeout", "2"])
        .env("BROWSER", "true")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("No answer from the browser"),
        "{}",
        stderr(&out)
    );
    nothing_stored(&env);
}

#[test]
fn an_unknown_organisation_lists_the_real_ones_and_revokes_what_was_issued() {
    let env = Env::new(&[], "");
    let revoked = env.sandbox.get("/_control/stats")["tokens"]["revoked"]
        .as_i64()
        .unwrap();
    let out = env.run(&["connect", "xero", "--tenant", "Nope Ltd", "--timeout", "30"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(UK) && err.contains(US), "{err}");
    assert!(
        env.sandbox.get("/_control/stats")["tokens"]["revoked"]
            .as_i64()
            .unwrap()
            > revoked
    );
    nothing_stored(&env);
}

#[test]
fn broken_json_fails_the_sync_without_saving_anything_and_the_next_sync_recovers() {
    let env = Env::new(&["--no-rate-limit", "--records", "400"], "");
    let id = env.connect(US)["id"].as_i64().unwrap();
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "broken_json", "path_contains": "BankTransactions", "count": 1}),
    );
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("could not read"), "{}", stderr(&out));
    let logs = env.json(&["logs", &id.to_string(), "--json"]);
    assert_eq!(logs[0]["status"], "failed");
    assert_eq!(logs[0]["error_code"], "bad_response");

    let counts = env.sync(id);
    assert!(counts["created"].as_i64().unwrap() > 300, "{counts}");
}

#[test]
fn every_platform_in_the_catalogue_is_available_and_an_unknown_one_is_named() {
    let env = Env::new(&[], "");
    let out = env.run(&["connect", "myob"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("myob"), "{}", stderr(&out));
    let providers = env.json(&["providers", "--json"]);
    let list = providers.as_array().unwrap();
    assert_eq!(list.len(), 8);
    let categories: std::collections::BTreeSet<&str> = list
        .iter()
        .map(|p| p["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories.len(), 4);
    for id in ["xero", "quickbooks", "salesforce", "slack"] {
        let entry = list.iter().find(|p| p["id"] == id).unwrap();
        assert_eq!(entry["sandbox"], true, "{id}");
        assert_eq!(entry["available"], true, "{id}");
    }
    // Cloud platforms connect with keys, Teams with a webhook URL: available, and not a
    // sandbox as a whole.
    for id in ["aws", "azure", "gcp", "teams"] {
        let entry = list.iter().find(|p| p["id"] == id).unwrap();
        assert_eq!(entry["available"], true, "{id}");
        assert_eq!(entry["sandbox"], false, "{id}");
    }
}
