//! The audit trail through `carbonsync audit`: each change to how numbers are produced is a
//! row with who (operating-system user and machine), when, before and after; the chain
//! verifies; a row edited in the database file behind the app's back is found.

use crate::support::*;
use serde_json::Value;

fn rows(env: &Env) -> Vec<Value> {
    let mut rows = env.json(&["audit", "--json"]).as_array().unwrap().clone();
    rows.reverse();
    rows
}

#[test]
fn changes_are_recorded_with_who_and_what_and_an_edit_behind_the_apps_back_is_found() {
    let env = Env::new(&["--no-rate-limit", "--records", "100"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    assert!(rows(&env).is_empty());

    // A supplier rule added then disabled, a destination added and changed.
    let out = env.run(&["suppliers", "--add", "aws", "Amazon Web Services EMEA"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rule_id = env
        .json(&["suppliers", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pattern"] == "Amazon Web Services EMEA")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let out = env.run(&["suppliers", "--disable", &rule_id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dest = env.json(&["connect", "teams", "--sandbox", "--json"])["id"]
        .as_i64()
        .unwrap();
    let out = env.run(&[
        "destinations",
        "set",
        &dest.to_string(),
        "--report-day",
        "5",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The emission tables change: the organisation's own account mapping.
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../emissions/data/mappings/xero-standard-chart.csv"
    ))
    .unwrap();
    let mapping = env.dir.path().join("my-accounts.csv");
    std::fs::write(&mapping, shipped.replace("xero-std-494,", "acme-494,")).unwrap();
    let config = env.dir.path().join("carbonsync.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "{original}\n[emissions]\nmapping_file = \"{}\"\n",
            mapping.display()
        ),
    )
    .unwrap();

    let trail = rows(&env);
    let actions: Vec<&str> = trail
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "supplier_rule_added",
            "supplier_rule_disabled",
            "destination_added",
            "destination_changed",
            "emission_tables_changed"
        ]
    );
    for r in &trail {
        assert!(!r["os_user"].as_str().unwrap().is_empty(), "{r}");
        assert!(!r["machine"].as_str().unwrap().is_empty(), "{r}");
    }
    assert_eq!(trail[1]["subject"], format!("supplier_rule:{rule_id}"));
    let before: Value = serde_json::from_str(trail[1]["before"].as_str().unwrap()).unwrap();
    let after: Value = serde_json::from_str(trail[1]["after"].as_str().unwrap()).unwrap();
    assert_eq!(
        (before["enabled"].clone(), after["enabled"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
    let changed: Value = serde_json::from_str(trail[3]["after"].as_str().unwrap()).unwrap();
    assert_eq!(changed["report_day"], 5);
    assert!(trail[4]["reason"].as_str().unwrap().contains("recomputed"));
    // No secret in the trail: the destination's webhook URL stays in the keychain.
    let all = serde_json::to_string(&trail).unwrap();
    assert!(!all.contains("sig="), "{all}");
    let subject = format!("destination:{dest}");
    assert_eq!(
        env.json(&["audit", "--subject", &subject, "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let ok = env.run(&["audit", "verify"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 5 rows"));

    // Someone with the file drops the guards and rewrites the rule's "after".
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_log_append_only_update;
         UPDATE audit_log SET after = replace(after, 'false', 'true') WHERE id = 2;",
    )
    .unwrap();
    drop(db);
    let broken = env.run(&["audit", "verify"]);
    assert!(!broken.status.success());
    let said = String::from_utf8_lossy(&broken.stdout);
    assert!(
        said.contains("broken at row 2") && said.contains("changed after it was written"),
        "{said}"
    );
    // The guard is back at the next open, whoever dropped it.
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    assert!(db
        .execute("UPDATE audit_log SET reason = 'x' WHERE id = 5", [])
        .is_err());
    // Cutting off the end leaves a chain that still holds, and is found all the same.
    db.execute_batch(
        "DROP TRIGGER audit_log_append_only_delete;
         DELETE FROM audit_log WHERE id >= 2;",
    )
    .unwrap();
    drop(db);
    let cut = env.run(&["audit", "verify"]);
    assert!(!cut.status.success());
    let said = String::from_utf8_lossy(&cut.stdout);
    assert!(said.contains("the rows after 1 were removed"), "{said}");
}
