//! The command line as a person types it: dates checked, output that may be cut short by the
//! reader (`| head`).

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[test]
fn a_mistyped_or_backwards_date_is_an_error_that_says_how_to_write_it() {
    let env = Env::new(&["--no-rate-limit", "--records", "50"], "");
    for bad in ["2024-13-01", "31/03/2024", "2024-02-30", "yesterday"] {
        let out = env.run(&["emissions", "--from", bad]);
        assert!(!out.status.success(), "{bad} was accepted");
        let err = stderr(&out);
        assert!(err.contains("YYYY-MM-DD"), "{bad}: {err}");
    }
    let out = env.run(&["emissions", "--from", "2024-06-01", "--to", "2024-01-31"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is after --to"), "{}", stderr(&out));
    let out = env.run(&["emissions", "--connection", "99"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("No connection with id 99"),
        "{}",
        stderr(&out)
    );
    // A right one still works.
    let out = env.run(&[
        "emissions",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn output_cut_short_by_its_reader_ends_quietly() {
    let env = Env::new(&["--no-rate-limit", "--records", "1000"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    // Far more than a pipe holds, so the writer meets the closed pipe.
    let mut child = env
        .cmd()
        .args(["emissions", "--ledger", "--limit", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("DATE"), "{first}");
    // The reader is gone (as `head -1` would be).
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}

#[test]
fn a_sign_in_missing_from_the_keychain_is_said_as_such_not_as_a_refusal_by_the_platform() {
    let env = Env::new(&["--no-rate-limit", "--records", "50"], "");
    let conn = env.connect(UK);
    let id = conn["id"].as_i64().unwrap();
    let key = conn["vault_key"].as_str().unwrap();
    let cleared = std::process::Command::new("secret-tool")
        .args(["clear", "service", "carbonsync", "username", key])
        .status()
        .unwrap();
    assert!(cleared.success());
    assert!(keychain_lookup(key).is_none());

    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("not in this computer's keychain"), "{err}");
    assert!(err.contains("reconnect"), "{err}");
    assert!(!err.contains("no longer accepts"), "{err}");
    let c = &env.json(&["connections", "--json"])[0];
    assert_eq!(c["status"], "needs_reconnect", "{c}");

    // The table keeps its columns with the longest status.
    let table = String::from_utf8(env.run(&["connections"]).stdout).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    assert!(row.contains("needs_reconnect (sandbox)"), "{table}");
    assert_eq!(
        header.find("SCHEDULE"),
        row.find("hourly"),
        "the schedule sits under its heading:\n{table}"
    );
}
