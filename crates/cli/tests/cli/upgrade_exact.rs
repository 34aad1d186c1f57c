//! A database written before amounts were exact (schema 3, binary floating point) is upgraded
//! on the next start and then holds exactly what a fresh sync of the same data holds.

use crate::support::*;
use serde_json::Value;

/// Every ledger entry and the totals, as `--json` prints them.
fn everything(env: &Env) -> (Value, Value, Value) {
    (
        env.json(&["emissions", "--ledger", "--limit", "100000", "--json"]),
        env.json(&["emissions", "--json"]),
        env.json(&["emissions", "--by", "month", "--json"]),
    )
}

/// Turns the database back into schema 3, with the floating-point results the earlier versions
/// computed (`net × rate × deflator × factor` in binary arithmetic), as such a version left it.
fn as_schema_3(env: &Env) {
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    db.execute_batch(
        "BEGIN;
         -- The ledger before lines could be split: no part number in its unique key.
         CREATE TABLE ledger_v3 AS SELECT * FROM ledger;
         DROP TABLE ledger;
         ALTER TABLE ledger_v3 RENAME TO ledger;
         ALTER TABLE ledger DROP COLUMN part_no;
         ALTER TABLE ledger DROP COLUMN share_percent;
         ALTER TABLE ledger DROP COLUMN line_amount;

         ALTER TABLE records ADD COLUMN total_real REAL NOT NULL DEFAULT 0;
         UPDATE records SET total_real = CAST(total AS REAL);
         ALTER TABLE records DROP COLUMN total;
         ALTER TABLE records RENAME COLUMN total_real TO total;

         ALTER TABLE ledger ADD COLUMN net_real REAL NOT NULL DEFAULT 0;
         ALTER TABLE ledger ADD COLUMN factor_real REAL;
         ALTER TABLE ledger ADD COLUMN fx_real REAL;
         ALTER TABLE ledger ADD COLUMN deflator_real REAL;
         ALTER TABLE ledger ADD COLUMN amount_usd_2022 REAL;
         ALTER TABLE ledger ADD COLUMN kg_co2e REAL;
         UPDATE ledger SET net_real = CAST(net_amount AS REAL),
             factor_real = CAST(factor_value AS REAL), fx_real = CAST(fx_rate AS REAL),
             deflator_real = CAST(deflator AS REAL);
         UPDATE ledger SET amount_usd_2022 = net_real * fx_real * deflator_real,
             kg_co2e = net_real * fx_real * deflator_real * factor_real
             WHERE status = 'counted';
         ALTER TABLE ledger DROP COLUMN net_amount;
         ALTER TABLE ledger DROP COLUMN factor_value;
         ALTER TABLE ledger DROP COLUMN fx_rate;
         ALTER TABLE ledger DROP COLUMN deflator;
         ALTER TABLE ledger DROP COLUMN usd_2022_micros;
         ALTER TABLE ledger DROP COLUMN co2e_mg;
         ALTER TABLE ledger RENAME COLUMN net_real TO net_amount;
         ALTER TABLE ledger RENAME COLUMN factor_real TO factor_value;
         ALTER TABLE ledger RENAME COLUMN fx_real TO fx_rate;
         ALTER TABLE ledger RENAME COLUMN deflator_real TO deflator;

         ALTER TABLE sync_runs ADD COLUMN kg_co2e_delta REAL NOT NULL DEFAULT 0;
         UPDATE sync_runs SET kg_co2e_delta = co2e_mg_delta / 1000000.0;
         ALTER TABLE sync_runs DROP COLUMN co2e_mg_delta;

         ALTER TABLE accounts DROP COLUMN line_ref;
         ALTER TABLE accounts DROP COLUMN mapping_key;
         ALTER TABLE ledger DROP COLUMN mapping_key;

         ALTER TABLE records DROP COLUMN seen_mark;
         ALTER TABLE sync_runs DROP COLUMN notes;

         DROP TABLE reported_restatements;
         DROP TABLE reported_spend;
         DROP TABLE reported_months;
         DROP TABLE reported_emissions;
         DROP TABLE cloud_supplier_rules;
         ALTER TABLE ledger DROP COLUMN covered_by;
         ALTER TABLE ledger DROP COLUMN covered_reason;

         ALTER TABLE ledger DROP COLUMN market_co2e_mg;

         ALTER TABLE ledger DROP COLUMN decision_id;
         ALTER TABLE ledger DROP COLUMN review_rule_id;
         DROP TABLE review_rules;
         DROP TABLE review_decisions;
         DROP TABLE close_left_changes;
         DROP TABLE closed_ledger;
         DROP TABLE period_closes;
         DROP TABLE month_totals;
         DROP TABLE closed_month_totals;
         DROP TABLE supplier_first_seen;

         DROP TABLE webhook_events;
         DROP TABLE deliveries;
         DROP TABLE incidents;
         DROP TABLE destinations;
         DROP TABLE audit_log;

         DELETE FROM meta WHERE key = 'reassess_ledger';
         PRAGMA user_version = 3;
         COMMIT;",
    )
    .unwrap();
    // The floating-point results really are not the exact ones, or this test proves nothing.
    let drift: f64 = db
        .query_row(
            "SELECT SUM(kg_co2e) - SUM(ROUND(kg_co2e, 6)) FROM ledger WHERE status = 'counted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(drift != 0.0, "the schema-3 copy carries binary fractions");
}

#[test]
fn an_upgraded_database_holds_exactly_what_a_fresh_sync_holds() {
    let env = Env::new(&["--no-rate-limit", "--records", "300"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    let us = env.connect(US)["id"].as_i64().unwrap();
    env.sync(uk);
    env.sync(us);
    let fresh = everything(&env);
    let entries = fresh.0.as_array().unwrap().len();
    assert!(entries > 300, "a real ledger: {entries} entries");

    as_schema_3(&env);
    let upgraded = everything(&env);

    assert_eq!(
        upgraded.1, fresh.1,
        "the totals are the fresh sync's, digit for digit"
    );
    assert_eq!(upgraded.2, fresh.2, "the months are the fresh sync's");
    let (fresh_entries, upgraded_entries) =
        (fresh.0.as_array().unwrap(), upgraded.0.as_array().unwrap());
    assert_eq!(
        upgraded_entries.len(),
        fresh_entries.len(),
        "no entry more or less"
    );
    for (was, now) in fresh_entries.iter().zip(upgraded_entries) {
        // An amount that went through a floating-point column keeps its value exactly, but not
        // how many decimals it was written with (80.0 for 80): compared as numbers.
        assert_eq!(decimal(&now["net_amount"]), decimal(&was["net_amount"]));
        let (mut now, mut was) = (now.clone(), was.clone());
        now["net_amount"] = Value::Null;
        was["net_amount"] = Value::Null;
        assert_eq!(now, was, "every entry is the fresh sync's, digit for digit");
    }
    let backups = std::fs::read_dir(env.data_dir().join("backups"))
        .unwrap()
        .count();
    assert!(
        backups >= 1,
        "the schema-3 file was backed up before the upgrade"
    );

    // And a sync afterwards goes on from where the upgraded database stood.
    let counts = env.sync(uk);
    assert_eq!(counts["created"], 0, "{counts}");
}
