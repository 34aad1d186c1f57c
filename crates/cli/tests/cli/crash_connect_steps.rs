//! A connect or a reconnect stopped dead (as `kill -9` or a power cut would) at each step
//! between the sign-in and the finished connection leaves either the state before it or
//! the state after it, and the next start finishes or undoes what was left half done.
//! The steps are reached with `CARBONSYNC_TEST_CRASH_AT`, which only debug builds obey.

use crate::support::*;
use serde_json::{json, Value};

/// Runs `connect xero --tenant UK` and lets it stop dead at `step`.
fn connect_crashing_at(env: &Env, step: &str) {
    env.run_crashing_at(
        step,
        &[
            "connect",
            "xero",
            "--tenant",
            UK,
            "--timeout",
            "30",
            "--json",
        ],
    );
}

/// A start of CarbonSync that does nothing else: a connect the user declines on the
/// consent page. It finishes or undoes interrupted connects before the browser opens.
fn start_and_decline(env: &Env) {
    let out = env
        .cmd()
        .env("CARBONSYNC_TEST_DECISION", "deny")
        .args(["connect", "xero", "--tenant", UK, "--timeout", "30"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("declined"), "{}", stderr(&out));
}

/// This data folder's keychain entries, as `secret-tool search` lists them.
fn own_keychain_entries(env: &Env) -> Vec<String> {
    let prefix = format!("{}/", env.install_id());
    let mut keys: Vec<String> = keychain_search_usernames()
        .into_iter()
        .filter(|k| k.starts_with(&prefix))
        .collect();
    keys.sort();
    keys
}

/// The connection rows as the file holds them, listed or not: (id, vault key, setup).
fn rows(env: &Env) -> Vec<(i64, String, Option<String>)> {
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    let mut stmt = db
        .prepare("SELECT id, vault_key, setup FROM connections ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn refresh_token_in(secret: &str) -> String {
    let v: Value = serde_json::from_str(secret).unwrap();
    v["refresh_token"].as_str().unwrap().to_string()
}

/// Whether the platform still honours `refresh_token` (spending it if so).
fn platform_accepts(env: &Env, refresh_token: &str) -> bool {
    let (status, body) = env.sandbox.token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", "carbonsync-sandbox"),
    ]);
    match status {
        200 => true,
        400 => {
            assert_eq!(body["error"], "invalid_grant");
            false
        }
        other => panic!("unexpected answer {other}: {body}"),
    }
}

#[test]
fn a_first_connect_killed_at_any_step_shows_no_connection_and_is_cleaned_up_next_start() {
    for (step, tokens_were_stored) in [
        ("after_connection_row", false),
        ("after_keychain_write", true),
    ] {
        let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
        connect_crashing_at(&env, step);

        // Half made: not listed, not synced, whatever the file holds.
        assert_eq!(env.json(&["connections", "--json"]), json!([]), "{step}");
        let all = env.run(&["sync", "--all"]);
        assert!(all.status.success(), "{step}: {}", stderr(&all));
        assert!(
            stderr(&all).contains("No active connections to sync"),
            "{step}: {}",
            stderr(&all)
        );
        let left = rows(&env);
        assert_eq!(left.len(), 1, "{step}");
        assert_eq!(left[0].2.as_deref(), Some("new"), "{step}");
        let key = left[0].1.clone();
        let by_id = env.run(&["sync", &left[0].0.to_string()]);
        assert!(
            !by_id.status.success(),
            "{step}: a half-made connection synced"
        );
        let stored = keychain_lookup(&key);
        assert_eq!(stored.is_some(), tokens_were_stored, "{step}");

        // The next start removes it, and revokes the tokens it had stored.
        start_and_decline(&env);
        assert!(rows(&env).is_empty(), "{step}");
        assert!(own_keychain_entries(&env).is_empty(), "{step}");
        if let Some(secret) = stored {
            assert!(
                !platform_accepts(&env, &refresh_token_in(&secret)),
                "{step}: the stored grant was not revoked"
            );
        }

        // Connecting again works from scratch.
        let conn = env.connect(UK);
        assert_eq!(conn["status"], "active");
        let id = conn["id"].as_i64().unwrap();
        assert!(env.sync(id)["fetched"].as_i64().unwrap() > 0, "{step}");
        assert_eq!(
            own_keychain_entries(&env),
            vec![conn["vault_key"].as_str().unwrap().to_string()]
        );
    }
}

#[test]
fn a_reconnect_killed_at_any_step_keeps_a_working_sign_in_and_the_next_start_settles_it() {
    // (step, whether the new sign-in is the one in place after the crash)
    for (step, new_in_place) in [
        ("after_connection_row", false),
        ("after_staged_tokens", false),
        ("after_old_tokens_kept", false),
        ("after_new_tokens_in_place", true),
        ("after_connection_activated", true),
        ("after_old_grant_revoked", true),
    ] {
        let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
        let conn = env.connect(UK);
        let id = conn["id"].as_i64().unwrap();
        let key = conn["vault_key"].as_str().unwrap().to_string();
        env.sync(id);
        let old = keychain_lookup(&key).unwrap();
        let staged_key = format!("{key}/reconnect-new");

        connect_crashing_at(&env, step);

        // Right after the crash: one connection, active, with a working sign-in.
        let listed = env.json(&["connections", "--json"]);
        assert_eq!(listed.as_array().unwrap().len(), 1, "{step}");
        assert_eq!(listed[0]["id"], id, "{step}");
        assert_eq!(listed[0]["status"], "active", "{step}");
        let held = keychain_lookup(&key).unwrap();
        assert_eq!(held == old, !new_in_place, "{step}");
        let staged = keychain_lookup(&staged_key);
        env.sync(id);

        // The next start keeps the sign-in in place and revokes the other one.
        start_and_decline(&env);
        assert_eq!(own_keychain_entries(&env), vec![key.clone()], "{step}");
        assert_eq!(rows(&env), vec![(id, key.clone(), None)], "{step}");
        let dropped = if new_in_place {
            Some(old.clone())
        } else {
            staged
        };
        if let Some(dropped) = dropped {
            assert!(
                !platform_accepts(&env, &refresh_token_in(&dropped)),
                "{step}: the sign-in not kept is still valid at the platform"
            );
        }
        let listed = env.json(&["connections", "--json"]);
        assert_eq!(listed[0]["status"], "active", "{step}");
        env.sync(id);
    }
}

/// Starts `connect xero --tenant UK`, waits until it pauses at `step`, and sends it
/// `signal` (`INT` as Ctrl-C does, or `KILL`); returns once it has ended.
fn connect_signalled_at(env: &Env, step: &str, signal: &str) {
    use std::io::{BufRead, BufReader};
    let mut base = env.cmd();
    base.env("CARBONSYNC_TEST_PAUSE_AT", step).args([
        "connect",
        "xero",
        "--tenant",
        UK,
        "--timeout",
        "30",
    ]);
    // A test run started in the background by a shell without job control inherits SIGINT
    // ignored, and so would the connect: `env --default-signal=INT` (GNU coreutils) gives it
    // the disposition a terminal's process has, so that SIGINT does what Ctrl-C does. `env`
    // replaces itself with the connect, which keeps the pid signalled below.
    let mut cmd = std::process::Command::new("env");
    cmd.arg("--default-signal=INT")
        .arg(base.get_program())
        .args(base.get_args())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the connect ended before {step}: {seen}"
        );
        seen.push_str(&line);
        if line.contains(&format!("paused at {step}")) {
            break;
        }
    }
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "the connect survived SIG{signal}");
}

#[test]
fn ctrl_c_or_kill_during_a_connect_leaves_no_half_made_connection() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    // Ctrl-C after the tokens reached the keychain, before the connection was finished.
    connect_signalled_at(&env, "after_keychain_write", "INT");
    assert_eq!(env.json(&["connections", "--json"]), json!([]));
    let key = rows(&env)[0].1.clone();
    let stored = keychain_lookup(&key).expect("the tokens were stored before Ctrl-C");
    start_and_decline(&env);
    assert!(rows(&env).is_empty());
    assert!(own_keychain_entries(&env).is_empty());
    assert!(!platform_accepts(&env, &refresh_token_in(&stored)));

    // SIGKILL in the middle of a reconnect: the old sign-in keeps working.
    let conn = env.connect(UK);
    let id = conn["id"].as_i64().unwrap();
    let key = conn["vault_key"].as_str().unwrap().to_string();
    let old = keychain_lookup(&key).unwrap();
    connect_signalled_at(&env, "after_old_tokens_kept", "KILL");
    let listed = env.json(&["connections", "--json"]);
    assert_eq!(listed[0]["status"], "active");
    assert_eq!(keychain_lookup(&key).unwrap(), old);
    env.sync(id);
    start_and_decline(&env);
    assert_eq!(own_keychain_entries(&env), vec![key.clone()]);
    env.sync(id);
}
