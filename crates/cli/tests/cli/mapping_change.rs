//! A change of the emission tables (here a user's own account mapping) applies to what is
//! already synced the next time CarbonSync starts, without asking the platform again.

use crate::support::*;
use rust_decimal::Decimal;
use serde_json::Value;

const UK_FLIGHT: &str = "f1a00000-0000-4000-8000-000000000001";

fn flight(env: &Env) -> Value {
    env.json(&["emissions", "--ledger", "--record", UK_FLIGHT, "--json"])[0].clone()
}

fn total(env: &Env) -> Decimal {
    decimal(&env.json(&["emissions", "--json"])["totals"]["kg_co2e"])
}

#[test]
fn a_changed_mapping_is_applied_to_the_stored_ledger_and_undone_when_removed() {
    let env = Env::new(&["--no-rate-limit", "--records", "100"], "");
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(uk);
    let before = flight(&env);
    assert_eq!(before["status"], "counted");
    assert_eq!(before["rule_id"], "xero-std-494");
    let total_before = total(&env);
    // Every counted entry on account 494, not only this flight.
    let on_494: Decimal = env
        .json(&["emissions", "--ledger", "--limit", "100000", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["account_code"] == "494" && e["status"] == "counted")
        .map(|e| decimal(&e["kg_co2e"]))
        .sum();
    assert!(on_494 >= decimal(&before["kg_co2e"]));

    // The organisation books its flights through an agency that reports them: account 494
    // is excluded in its own mapping.
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../emissions/data/mappings/xero-standard-chart.csv"
    ))
    .unwrap();
    let row = shipped
        .lines()
        .find(|l| l.starts_with("xero-std-494,"))
        .unwrap();
    let mine = shipped.replace(
        row,
        "acme-494,494,Travel - International,exclude,Business travel – air,,,,reported by our travel agency",
    );
    let mapping = env.dir.path().join("my-accounts.csv");
    std::fs::write(&mapping, mine).unwrap();
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

    let after = flight(&env);
    assert_eq!(after["status"], "excluded");
    assert_eq!(after["rule_id"], "acme-494");
    assert_eq!(after["reason"], "reported by our travel agency");
    assert!(after["kg_co2e"].is_null());
    assert_eq!(
        total(&env),
        total_before - on_494,
        "exactly account 494 less"
    );
    // Nothing was asked of the platform for it.
    let runs = env.json(&["logs", &uk.to_string(), "--json"]);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");

    // Back to the shipped mapping: the same numbers as before, digit for digit.
    std::fs::write(&config, original).unwrap();
    assert_eq!(flight(&env), before);
    assert_eq!(total(&env), total_before);
}
