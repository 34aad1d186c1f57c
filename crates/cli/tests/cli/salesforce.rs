//! Salesforce Net Zero Cloud through `carbonsync`: sign-in, the footprints imported as
//! reported rows, incremental reads with ties on `SystemModstamp`, a restated and a deleted
//! footprint, an ended session renewed once, the daily request limit, and a field hidden
//! by field-level security.

use crate::scheduler_helpers::{connection, now_ms};
use crate::support::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const STATIONARY: &str = "StnryAssetCrbnFtprnt";

fn connect(env: &Env) -> Value {
    env.json(&["connect", "salesforce", "--timeout", "30", "--json"])
}

/// `carbonsync sync <id> --json`, whole: the report or the error.
fn sync(env: &Env, id: i64) -> Value {
    let out = env.run(&["sync", &id.to_string(), "--json"]);
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|_| panic!("JSON from sync: {}", stderr(&out)))[0]
        .clone()
}

/// The org's records of `object`, read with the connection's own token: id → the record.
fn org_records(vault_key: &str, object: &str) -> BTreeMap<String, Value> {
    let secret: Value = serde_json::from_str(&keychain_lookup(vault_key).unwrap()).unwrap();
    let token = secret["access_token"].as_str().unwrap();
    let instance = secret["extras"]["instance_url"].as_str().unwrap();
    let body: Value = reqwest::blocking::Client::new()
        .get(format!("{instance}/services/data/v62.0/query"))
        .query(&[(
            "q",
            format!("SELECT Id, TotScope1EmissionsInTco2e FROM {object} LIMIT 2000"),
        )])
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["records"]
        .as_array()
        .unwrap_or_else(|| panic!("records: {body}"))
        .iter()
        .map(|r| (r["Id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

/// The reported rows kept for a Salesforce record, by `grouping`.
fn rows_of(env: &Env, record: &str) -> Vec<Value> {
    env.json(&["cloud", "--rows", "--limit", "100000", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["grouping"] == record)
        .cloned()
        .collect()
}

fn kg(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn footprints_are_imported_as_reported_and_follow_restatements_ties_and_deletions() {
    let env = Env::new(&["--no-rate-limit"], "");
    let conn = connect(&env);
    assert_eq!(conn["provider"], "salesforce");
    assert_eq!(conn["tenant_name"], "CarbonSync Demo Group");
    let id = conn["id"].as_i64().unwrap();
    let vault_key = conn["vault_key"].as_str().unwrap().to_string();
    let secret: Value = serde_json::from_str(&keychain_lookup(&vault_key).unwrap()).unwrap();
    let access = secret["access_token"].as_str().unwrap().to_string();

    let first = sync(&env, id);
    assert_eq!(first["ok"], true, "{first}");
    let stationary = org_records(&vault_key, STATIONARY);
    assert!(stationary.len() > 5);
    // Each footprint's Scope 1 is kept exactly, in kg, under the record's own id.
    for (record, fields) in stationary.iter().take(5) {
        let rows = rows_of(&env, record);
        let scope1: Vec<&Value> = rows.iter().filter(|r| r["scope"] == 1).collect();
        let tonnes: Decimal = fields["TotScope1EmissionsInTco2e"]
            .to_string()
            .parse()
            .unwrap();
        match scope1.as_slice() {
            [] => assert!(tonnes.is_zero() || fields["TotScope1EmissionsInTco2e"].is_null()),
            [row] => {
                assert_eq!(kg(&row["kg_co2e"]), tonnes * Decimal::ONE_THOUSAND, "{row}");
                // Where it opens in the org, and the whole period the footprint covers.
                assert!(
                    row["source_url"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("http") && u.ends_with(record.as_str())),
                    "{row}"
                );
                assert!(
                    row["period_end"].as_str().is_some_and(|d| d.len() == 10),
                    "{row}"
                );
            }
            more => panic!("one Scope 1 row per footprint: {more:?}"),
        }
    }
    // The access token reached neither the database nor the logs.
    assert!(files_containing(env.dir.path(), &access).is_empty());

    // Three footprints changed in one calculation share a stamp; one of them restated.
    let picked: Vec<String> = stationary.keys().take(3).cloned().collect();
    env.sandbox.post(
        "/_control/salesforce/records/change",
        json!({"object": STATIONARY, "ids": picked, "set": {"TotScope1EmissionsInTco2e": 321.25}}),
    );
    env.sandbox
        .post("/_control/salesforce/settings", json!({"batch_size": 2}));
    let second = sync(&env, id);
    assert_eq!(second["ok"], true, "{second}");
    let counts = &second["report"]["counts"];
    assert_eq!(
        counts["fetched"], 3,
        "exactly the changed records: {counts}"
    );
    for record in &picked {
        let scope1: Vec<Value> = rows_of(&env, record)
            .into_iter()
            .filter(|r| r["scope"] == 1)
            .collect();
        assert_eq!(scope1.len(), 1);
        assert_eq!(kg(&scope1[0]["kg_co2e"]), Decimal::new(321_250, 0));
    }
    // Nothing changed since: nothing read again.
    let third = sync(&env, id);
    assert_eq!(third["report"]["counts"]["fetched"], 0, "{third}");

    // A footprint deleted in the org is withdrawn at the next sync. Salesforce's deletion
    // log is read in ranges of at least a minute: as if the last look was 3 minutes ago.
    let gone = stationary.keys().nth(4).unwrap().clone();
    assert!(!rows_of(&env, &gone).is_empty());
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    let rewound = db
        .execute(
            "UPDATE cursors SET modified_since = modified_since - 180000
             WHERE connection_id = ?1 AND stream LIKE '%:deleted'",
            [id],
        )
        .unwrap();
    assert_eq!(rewound, 3, "one deletion log per footprint object");
    let two_minutes_ago = chrono::DateTime::from_timestamp_millis(now_ms() - 120_000)
        .unwrap()
        .to_rfc3339();
    env.sandbox.post(
        "/_control/salesforce/records/delete",
        json!({"object": STATIONARY, "ids": [gone], "at": two_minutes_ago}),
    );
    let fourth = sync(&env, id);
    assert_eq!(fourth["ok"], true, "{fourth}");
    assert!(fourth["report"]["counts"]["deleted"].as_i64().unwrap() >= 1);
    assert!(rows_of(&env, &gone).is_empty(), "its rows are withdrawn");

    // The history says what the org's allowance stands at.
    let log = env.run(&["logs", &id.to_string()]);
    assert!(
        String::from_utf8_lossy(&log.stdout)
            .contains("Salesforce API requests in the last 24 hours"),
        "{}",
        String::from_utf8_lossy(&log.stdout)
    );
}

#[test]
fn an_ended_session_is_renewed_once_and_the_daily_limit_pauses_the_schedule() {
    let env = Env::new(&["--no-rate-limit"], "");
    let id = connect(&env)["id"].as_i64().unwrap();
    assert_eq!(sync(&env, id)["ok"], true);

    // Salesforce ends the session before its time (INVALID_SESSION_ID): renewed, retried.
    env.sandbox
        .post("/_control/salesforce/sessions/expire", json!({}));
    let renewed = sync(&env, id);
    assert_eq!(renewed["ok"], true, "{renewed}");
    assert_eq!(renewed["report"]["refreshed_token"], true, "{renewed}");

    // The org turns on refresh-token rotation: the renewal's new refresh token replaces the
    // old one in the keychain, and the next renewal works with it.
    let vault_key = connection(&env, id)["vault_key"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh_token = |k: &str| -> String {
        let secret: Value = serde_json::from_str(&keychain_lookup(k).unwrap()).unwrap();
        secret["refresh_token"].as_str().unwrap().to_string()
    };
    let before = refresh_token(&vault_key);
    env.sandbox.post(
        "/_control/salesforce/settings",
        json!({"refresh_token_rotation": true}),
    );
    for _ in 0..2 {
        env.sandbox
            .post("/_control/salesforce/sessions/expire", json!({}));
        let renewed = sync(&env, id);
        assert_eq!(renewed["report"]["refreshed_token"], true, "{renewed}");
    }
    assert_ne!(
        refresh_token(&vault_key),
        before,
        "the rotated token is kept"
    );

    // The org's daily allowance runs out: the sync stops and the schedule waits.
    env.sandbox.post(
        "/_control/salesforce/settings",
        json!({"daily_api_limit": 1, "api_requests_used": 1}),
    );
    let limited = sync(&env, id);
    assert_eq!(limited["ok"], false, "{limited}");
    let c = connection(&env, id);
    assert!(c["paused_until_ms"].as_i64().unwrap() > now_ms(), "{c}");
    assert!(
        c["pause_reason"]
            .as_str()
            .is_some_and(|r| r.contains("daily limit")),
        "{c}"
    );
    assert_eq!(c["status"], "active", "nothing for the person to fix: {c}");

    // Disconnecting revokes the grant at Salesforce: its refresh token no longer works.
    let kept = refresh_token(&vault_key);
    let out = env.run(&["disconnect", &id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let answer = reqwest::blocking::Client::new()
        .post(format!(
            "{}/salesforce/services/oauth2/token",
            env.sandbox.url
        ))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", kept.as_str()),
            ("client_id", "carbonsync-sandbox-salesforce"),
            ("client_secret", "sandbox-salesforce-secret"),
        ])
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400, "refused after disconnect");
    assert!(keychain_lookup(&vault_key).is_none());
}

#[test]
fn a_field_hidden_by_field_level_security_is_named_and_stops_the_schedule() {
    let env = Env::new(&["--no-rate-limit"], "");
    let id = connect(&env)["id"].as_i64().unwrap();
    env.sandbox.post(
        "/_control/salesforce/settings",
        json!({"hidden_fields": {STATIONARY: ["TotScope2MktBasedEmissions"]}}),
    );
    let refused = sync(&env, id);
    assert_eq!(refused["ok"], false, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("field-level security") && message.contains("TotScope2MktBasedEmissions"),
        "{refused}"
    );
    let c = connection(&env, id);
    assert_eq!(c["schedule_stopped"], true, "{c}");
    assert_eq!(
        c["status"], "active",
        "a setting of the org, not a sign-in to renew: {c}"
    );
}

/// kg CO2e by Scope 3 category for one month, as `carbonsync emissions --by scope` shows it.
fn scope3_by_category(env: &Env, month: &str) -> BTreeMap<u8, Decimal> {
    let first = format!("{month}-01");
    let last = chrono::NaiveDate::parse_from_str(&first, "%Y-%m-%d")
        .unwrap()
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap()
        .to_string();
    let summary = env.json(&[
        "emissions",
        "--by",
        "scope",
        "--from",
        &first,
        "--to",
        &last,
        "--json",
    ]);
    summary["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| {
            let key = g["key"].as_str()?;
            let category = key.strip_prefix("Scope 3 cat. ")?.parse().ok()?;
            Some((category, kg(&g["kg_co2e"])))
        })
        .collect()
}

#[test]
fn spend_based_scope3_is_sent_by_month_and_category_and_sending_again_updates() {
    let env = Env::new(&["--no-rate-limit", "--records", "400"], "");
    let xero = env.connect(US)["id"].as_i64().unwrap();
    env.sync(xero);
    let sf = connect(&env)["id"].as_i64().unwrap();
    let sf_id = sf.to_string();
    let months: Vec<String> = env.json(&["emissions", "--by", "month", "--json"])["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .take(2)
        .collect();
    assert_eq!(months.len(), 2);
    assert!(
        months.iter().any(|m| scope3_by_category(&env, m)
            .get(&1)
            .is_some_and(|kg| !kg.is_zero())),
        "the months chosen have purchased goods and services to send"
    );
    let send = || {
        env.json(&[
            "export",
            &sf.to_string(),
            "--from",
            &months[0],
            "--to",
            &months[1],
            "--category",
            "1,6",
            "--json",
        ])
    };
    let first = send();
    assert_eq!(first["counts"]["created"], 2, "{first}");
    let again = send();
    assert_eq!(again["counts"]["created"], 0, "{again}");
    assert_eq!(
        again["counts"]["updated"], 2,
        "sent again, updated: {again}"
    );

    // One record per month in the org, carrying exactly what the app's own totals show
    // for the chosen categories, and nothing of the others.
    let exported = env.sandbox.get("/_control/salesforce/exports");
    let records = exported["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "no duplicates: {exported}");
    for month in &months {
        let record = records
            .iter()
            .find(|r| {
                r["CarbonSync_Key__c"]
                    .as_str()
                    .is_some_and(|k| k.ends_with(month.as_str()))
            })
            .unwrap_or_else(|| panic!("{month} sent: {exported}"));
        let ours = scope3_by_category(&env, month);
        let tonnes = |field: &str| -> Decimal {
            record[field]
                .as_f64()
                .map(|v| Decimal::try_from(v).unwrap().round_dp(5))
                .unwrap_or_default()
        };
        let expected =
            |c: u8| (ours.get(&c).copied().unwrap_or_default() / Decimal::ONE_THOUSAND).round_dp(5);
        assert_eq!(
            tonnes("Scp3EmssnPurchGoodsService"),
            expected(1),
            "{record}"
        );
        assert_eq!(tonnes("Scp3EmssnBusinessTravel"), expected(6), "{record}");
        assert!(
            record["Scp3EmssnUpstrmTrnspDistr"].is_null(),
            "not chosen: {record}"
        );
    }
    // The history says what was sent.
    let log = String::from_utf8_lossy(&env.run(&["logs", &sf.to_string()]).stdout).to_string();
    assert!(log.contains("export") && log.contains("Sent "), "{log}");

    // Sent again with fewer categories: the record holds only what was sent, and adds up.
    let narrower = env.json(&[
        "export",
        &sf.to_string(),
        "--from",
        &months[0],
        "--category",
        "1",
        "--json",
    ]);
    assert_eq!(narrower["counts"]["updated"], 1, "{narrower}");
    let exported = env.sandbox.get("/_control/salesforce/exports");
    let record = exported["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["CarbonSync_Key__c"] == format!("carbonsync-{}", months[0]))
        .unwrap()
        .clone();
    assert!(record["Scp3EmssnBusinessTravel"].is_null(), "{record}");
    assert_eq!(
        record["TotalScp3Emissions"], record["Scp3EmssnPurchGoodsService"],
        "{record}"
    );

    // What cannot be a month or a category is refused before anything is sent.
    for (args, words) in [
        (vec!["--from", "2024-1"], "is not a month"),
        (
            vec!["--from", &months[1], "--to", &months[0]],
            "earlier month first",
        ),
        (vec!["--from", &months[0], "--category", "16"], "1 to 15"),
        (vec!["--from", "1999-01"], "nothing was sent"),
    ] {
        let mut all = vec!["export", sf_id.as_str()];
        all.extend(args);
        let out = env.run(&all);
        assert!(!out.status.success(), "{all:?}");
        assert!(stderr(&out).contains(words), "{all:?}: {}", stderr(&out));
    }
    // A connection that keeps no inventory takes no export.
    let out = env.run(&["export", &xero.to_string(), "--from", &months[0]]);
    assert!(
        stderr(&out).contains("keeps no inventory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_inventory_and_the_spend_based_ledger_for_the_same_month_and_category_are_flagged_not_added() {
    let env = Env::new(&["--no-rate-limit", "--records", "400"], "");
    let xero = env.connect(US)["id"].as_i64().unwrap();
    env.sync(xero);
    let before = env.json(&["emissions", "--json"])["totals"].clone();
    let sf = connect(&env)["id"].as_i64().unwrap();
    let synced = sync(&env, sf);
    assert_eq!(synced["ok"], true, "{synced}");
    // The spend-based total is what it was: nothing reported was added to it.
    assert_eq!(env.json(&["emissions", "--json"])["totals"], before);

    let summary = env.json(&["cloud", "--json"]);
    let overlaps = summary["overlaps"].as_array().unwrap();
    assert!(
        !overlaps.is_empty(),
        "the org's Scope 3 meets the books: {summary}"
    );
    let rows = env.json(&["cloud", "--rows", "--limit", "100000", "--json"]);
    for o in overlaps.iter().take(3) {
        assert_eq!(o["connection_id"], sf);
        let month = o["month"].as_str().unwrap();
        let category = o["scope3_category"].as_u64().map(|c| c as u8);
        // What the org reports for it, from the rows as published …
        let reported: Decimal = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["month"] == month
                    && r["scope"] == o["scope"]
                    && r["scope3_category"].as_u64().map(|c| c as u8) == category
                    && r["basis"] != "market"
            })
            .map(|r| kg(&r["kg_co2e"]))
            .sum();
        assert_eq!(kg(&o["reported_kg_co2e"]), reported, "{o}");
        // … and what the books say for it, as the app's own totals show it.
        if let (Some(c), 3) = (category, o["scope"].as_u64().unwrap()) {
            assert_eq!(
                kg(&o["spend_based_kg_co2e"]),
                scope3_by_category(&env, month)[&c],
                "{o}"
            );
        }
    }
    let printed = String::from_utf8_lossy(&env.run(&["cloud"]).stdout).to_string();
    assert!(
        printed.contains("Counted twice if added together"),
        "{printed}"
    );
    let log = String::from_utf8_lossy(&env.run(&["logs", &sf.to_string()]).stdout).to_string();
    assert!(log.contains("never added together"), "{log}");

    // The monthly report counts each once: its total is both parts less the books' figures
    // for what the org also reports, and it says so.
    let month = overlaps[0]["month"].as_str().unwrap();
    let left_out: Decimal = overlaps
        .iter()
        .filter(|o| o["month"] == month)
        .map(|o| kg(&o["spend_based_kg_co2e"]))
        .sum();
    let report = env.json(&["report", "preview", "--period", month, "--json"]);
    let t = |v: &Value| kg(v) * Decimal::from(1000);
    assert_eq!(t(&report["overlap_t_co2e"]), left_out, "{report}");
    assert_eq!(
        t(&report["total_t_co2e"]),
        t(&report["spend_based_t_co2e"]) + t(&report["reported_t_co2e"]) - left_out
    );
    let by_scope: Decimal = report["by_scope"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| t(&f["t_co2e"]))
        .sum();
    assert_eq!(by_scope, t(&report["total_t_co2e"]));
    assert!(
        report["overlap_note"]
            .as_str()
            .unwrap()
            .contains("leaves out"),
        "{report}"
    );
}
