use crate::support::*;
use rust_decimal::{dec, Decimal};
use serde_json::{json, Value};

fn ledger_for(env: &Env, record: &str) -> Vec<Value> {
    env.json(&["emissions", "--ledger", "--record", record, "--json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn connecting_both_organisations_syncing_and_computing_emissions_works_end_to_end() {
    let env = Env::new(&["--no-rate-limit"], "");

    // Connect: the test browser approves on the consent page; the answer comes back to
    // the CLI's loopback listener.
    let uk = env.connect(UK);
    let us = env.connect(US);
    assert_eq!(uk["tenant_name"], UK);
    assert_eq!(uk["base_currency"], "GBP");
    assert_eq!(us["base_currency"], "USD");
    assert_eq!(uk["sandbox"], true);

    // The tokens are in the keychain, found from outside with secret-tool …
    let install = env.install_id();
    let keys: Vec<String> = keychain_search_usernames()
        .into_iter()
        .filter(|k| k.starts_with(&install))
        .collect();
    assert_eq!(keys.len(), 2, "one keychain entry per connection: {keys:?}");
    let secret: Value =
        serde_json::from_str(&keychain_lookup(uk["vault_key"].as_str().unwrap()).unwrap()).unwrap();
    let access = secret["access_token"].as_str().unwrap().to_string();
    let refresh = secret["refresh_token"].as_str().unwrap().to_string();

    // Sync both.
    let uk_id = uk["id"].as_i64().unwrap();
    let us_id = us["id"].as_i64().unwrap();
    let first = env.sync(uk_id);
    assert!(first["fetched"].as_i64().unwrap() > 1000, "{first}");
    assert_eq!(first["created"], first["fetched"]);
    env.sync(us_id);

    // … and never in the database or the logs.
    for token in [&access, &refresh] {
        let hits = files_containing(&env.data_dir(), token);
        assert!(hits.is_empty(), "a token leaked into {hits:?}");
    }
    assert!(
        env.data_dir().join("logs").read_dir().unwrap().count() > 0,
        "logs are written"
    );

    // A second sync with nothing changed fetches nothing and makes one call per stream.
    let endpoints = [
        "GET /Accounts",
        "GET /BankTransactions",
        "GET /Invoices",
        "GET /CreditNotes",
    ];
    let before = endpoints.map(|e| env.sandbox.calls(e));
    let again = env.sync(uk_id);
    let after = endpoints.map(|e| env.sandbox.calls(e));
    assert_eq!(again["fetched"], 0, "{again}");
    assert_eq!(again["created"], 0);
    assert_eq!(again["calls"], 4);
    for i in 0..4 {
        assert_eq!(after[i] - before[i], 1, "one call per stream");
    }

    // Emissions, checked by hand against the published factors and rates, each line rounded
    // half away from zero to six places (milligrams):
    // EPA v1.3 with margins, 481111 air 0.644, 492110 couriers 0.303, 511210 software 0.080;
    // USD per GBP 2023 1.2440, 2024 1.2781; GDP price index 2022 117.996, 2023 122.273, 2024 125.224.
    let flight_uk = ledger_for(&env, "f1a00000-0000-4000-8000-000000000001");
    assert_eq!(flight_uk.len(), 1);
    assert_eq!(flight_uk[0]["status"], "counted");
    assert_eq!(flight_uk[0]["currency"], "GBP");
    assert_eq!(flight_uk[0]["factor_code"], "481111");
    assert_eq!(flight_uk[0]["rule_id"], "xero-std-494");
    assert_eq!(flight_uk[0]["fx_rate"], "1.2781");
    assert_eq!(decimal(&flight_uk[0]["net_amount"]), dec!(1234.56));
    // 1234.56 × 1.2781 × 117.996 / 125.224 × 0.644 = 957.50845368…
    assert_eq!(flight_uk[0]["kg_co2e"], "957.508453", "UK flight");
    let courier_uk = ledger_for(&env, "f1a00000-0000-4000-8000-000000000002");
    // 500.00 × 1.2440 × 117.996 / 122.273 × 0.303, net of VAT.
    assert_eq!(
        decimal(&courier_uk[0]["kg_co2e"]),
        dec!(181.873628),
        "UK courier bill, net of VAT"
    );
    let transfer = ledger_for(&env, "f1a00000-0000-4000-8000-000000000003");
    assert_eq!(transfer[0]["status"], "excluded");
    assert!(transfer[0]["reason"].as_str().unwrap().contains("transfer"));
    let vat = ledger_for(&env, "f1a00000-0000-4000-8000-000000000004");
    assert_eq!(vat[0]["status"], "excluded");
    assert!(vat[0]["kg_co2e"].is_null());

    let flight_us = ledger_for(&env, "f1a00000-0000-4000-8000-000000000005");
    assert_eq!(flight_us[0]["currency"], "USD");
    // 842.30 × 1 × 117.996 / 122.273 × 0.644.
    assert_eq!(
        decimal(&flight_us[0]["kg_co2e"]),
        dec!(523.467093),
        "US flight"
    );
    let power_us = ledger_for(&env, "f1a00000-0000-4000-8000-000000000006");
    assert_eq!(power_us[0]["status"], "unmapped");
    assert!(power_us[0]["reason"].as_str().unwrap().contains("kWh"));
    let slack_us = ledger_for(&env, "f1a00000-0000-4000-8000-000000000007");
    assert_eq!(slack_us.len(), 2, "one entry per line");
    let slack_total: Decimal = slack_us.iter().map(|e| decimal(&e["kg_co2e"])).sum();
    // 300.00 and 150.00 × 117.996 / 125.224 × 0.080: 22.614706 + 11.307353.
    assert_eq!(slack_total, dec!(33.922059), "US software bill");

    // Totals by scope add up to the total, and by month cover both years.
    let total = env.json(&["emissions", "--json"]);
    let by_scope = env.json(&["emissions", "--by", "scope", "--json"]);
    let sum: Decimal = by_scope["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| decimal(&g["kg_co2e"]))
        .sum();
    assert_eq!(
        sum,
        decimal(&total["totals"]["kg_co2e"]),
        "scopes add up exactly"
    );
    let by_month = env.json(&["emissions", "--by", "month", "--json"]);
    let months: Vec<&str> = by_month["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert!(
        months.contains(&"2023-01") && months.contains(&"2024-12"),
        "{months:?}"
    );

    // The history shows the runs with their counts.
    let logs = env.json(&["logs", &uk_id.to_string(), "--json"]);
    assert_eq!(logs.as_array().unwrap().len(), 2);
    assert_eq!(logs[1]["status"], "succeeded");
    assert_eq!(logs[1]["created"], first["created"]);

    // Disconnect revokes at the platform, removes the keychain entry, keeps the data.
    let revoked_before = env.sandbox.get("/_control/stats")["tokens"]["revoked"]
        .as_i64()
        .unwrap();
    env.json(&["disconnect", &uk_id.to_string(), "--json"]);
    assert!(keychain_lookup(uk["vault_key"].as_str().unwrap()).is_none());
    assert!(
        env.sandbox.get("/_control/stats")["tokens"]["revoked"]
            .as_i64()
            .unwrap()
            > revoked_before
    );
    let (status, body) = env.sandbox.token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh),
        ("client_id", "carbonsync-sandbox"),
    ]);
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid_grant"))
    );
    assert_eq!(
        ledger_for(&env, "f1a00000-0000-4000-8000-000000000001").len(),
        1,
        "data kept"
    );
    let conns = env.json(&["connections", "--json"]);
    assert_eq!(conns[0]["status"], "disconnected");

    // With --delete-data the other organisation's data goes too.
    env.json(&["disconnect", &us_id.to_string(), "--delete-data", "--json"]);
    assert!(ledger_for(&env, "f1a00000-0000-4000-8000-000000000005").is_empty());
    assert!(keychain_search_usernames()
        .iter()
        .all(|k| !k.starts_with(&install)));
}

#[test]
fn an_incremental_sync_updates_exactly_the_changed_and_deleted_records() {
    let env = Env::new(&["--no-rate-limit", "--records", "1500"], "");
    let conn = env.connect(UK);
    let id = conn["id"].as_i64().unwrap();
    env.sync(id);

    let tenant = env.sandbox.tenant_id(UK);
    let changed = env.sandbox.post(
        "/_control/records/change",
        json!({"tenantId": tenant, "stream": "bank_transactions", "count": 3}),
    );
    let deleted = env.sandbox.post(
        "/_control/records/delete",
        json!({"tenantId": tenant, "stream": "invoices", "count": 1}),
    );
    let changed_id = changed["ids"][0].as_str().unwrap().to_string();
    let before = env.json(&["emissions", "--ledger", "--record", &changed_id, "--json"]);

    let counts = env.sync(id);
    assert_eq!(counts["fetched"], 4, "{counts}");
    assert_eq!(counts["updated"], 3);
    assert_eq!(counts["deleted"], 1);
    assert_eq!(counts["created"], 0);

    // The log says the same.
    let logs = env.json(&["logs", &id.to_string(), "--json"]);
    assert_eq!(logs[0]["updated"], 3);
    assert_eq!(logs[0]["deleted"], 1);

    // The changed record carries its new amount (+10.00 on its first line).
    let after = env.json(&["emissions", "--ledger", "--record", &changed_id, "--json"]);
    let amount = |v: &Value| decimal(&v[0]["net_amount"]);
    assert!(amount(&after) > amount(&before), "{before} -> {after}");

    // The deleted bill's lines are no longer counted.
    let gone = env.json(&[
        "emissions",
        "--ledger",
        "--record",
        deleted["ids"][0].as_str().unwrap(),
        "--json",
    ]);
    for line in gone.as_array().unwrap() {
        assert_eq!(line["status"], "excluded");
        assert!(line["reason"].as_str().unwrap().contains("deleted"));
    }
}

#[test]
fn the_rate_limit_is_waited_out_with_no_error_and_no_duplicate() {
    let env = Env::new(&["--records", "1200"], "");
    env.sandbox.post(
        "/_control/settings",
        json!({"rate_limit": {"calls": 4, "window_secs": 2}}),
    );
    let conn = env.connect(UK);
    let id = conn["id"].as_i64().unwrap();
    let counts = env.sync(id);
    assert!(
        counts["rate_limited"].as_i64().unwrap() > 0,
        "the limit was hit: {counts}"
    );
    assert_eq!(counts["created"], counts["fetched"]);

    // Every record once: the database holds as many as were fetched, and a full
    // re-sync creates nothing new.
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    let stored: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM records WHERE connection_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let accounts: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM accounts WHERE connection_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored + accounts, counts["fetched"].as_i64().unwrap());
    let full = env.json(&["sync", &id.to_string(), "--full", "--json"]);
    assert_eq!(full[0]["report"]["counts"]["created"], 0, "{full}");
    // Changed, deleted and re-read records kept the month totals exact.
    assert_month_totals_agree(&env);
}

#[test]
fn full_syncs_of_several_connections_in_several_processes_at_once_all_succeed() {
    let env = Env::new(&["--no-rate-limit", "--records", "1500"], "");
    let mut ids: Vec<String> = [UK, US]
        .iter()
        .map(|t| env.connect(t)["id"].as_i64().unwrap().to_string())
        .collect();
    for cloud in ["aws", "azure", "gcp"] {
        let c = env.json(&["connect", cloud, "--sandbox", "--json"]);
        ids.push(c["id"].as_i64().unwrap().to_string());
    }
    std::fs::write(
        env.dir.path().join("carbonsync.toml"),
        format!(
            "[sandbox]\nurl = \"{}\"\n[providers.xero]\npage_size = 25\n",
            env.sandbox.url
        ),
    )
    .unwrap();
    // Many pages each: the writers take turns on the database hundreds of times.
    for _ in 0..2 {
        let children: Vec<_> = ids
            .iter()
            .map(|id| {
                env.cmd()
                    .args(["sync", id, "--full", "--json"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report[0]["ok"], true, "{report}");
        }
    }
}
