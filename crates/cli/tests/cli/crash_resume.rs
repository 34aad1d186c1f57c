//! Syncs killed with SIGKILL at pseudo-random moments, and syncs run side by side with the
//! daemon: afterwards the database holds exactly what the platform holds, record by record.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// (modification time in ms, total) of every record of a listing, as the platform serves it,
/// read with the connection's own access token.
fn platform_records(
    env: &Env,
    vault_key: &str,
    tenant: &str,
    resource: &str,
) -> BTreeMap<String, (i64, String)> {
    let secret: Value = serde_json::from_str(&keychain_lookup(vault_key).unwrap()).unwrap();
    let token = secret["access_token"].as_str().unwrap().to_string();
    let http = reqwest::blocking::Client::new();
    let (key, id_field) = match resource {
        "Invoices" => ("Invoices", "InvoiceID"),
        "CreditNotes" => ("CreditNotes", "CreditNoteID"),
        _ => ("BankTransactions", "BankTransactionID"),
    };
    let filter = match resource {
        "Invoices" => "&where=Type%3D%3D%22ACCPAY%22",
        "CreditNotes" => "&where=Type%3D%3D%22ACCPAYCREDIT%22",
        _ => "",
    };
    let mut out = BTreeMap::new();
    for page in 1.. {
        let body: Value = http
            .get(format!(
                "{}/xero/api/api.xro/2.0/{resource}?page={page}&pageSize=1000{filter}",
                env.sandbox.url
            ))
            .bearer_auth(&token)
            .header("xero-tenant-id", tenant)
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .unwrap();
        let items = body[key].as_array().unwrap();
        for r in items {
            let updated = r["UpdatedDateUTC"].as_str().unwrap();
            let ms: i64 = updated
                .trim_start_matches("/Date(")
                .split(['+', ')'])
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let total = format!("{:.2}", r["Total"].as_f64().unwrap());
            out.insert(r[id_field].as_str().unwrap().to_string(), (ms, total));
        }
        if items.len() < 1000 {
            break;
        }
    }
    out
}

fn stored_records(env: &Env, id: i64, stream: &str) -> BTreeMap<String, (i64, String)> {
    let db = rusqlite::Connection::open(env.data_dir().join("carbonsync.sqlite3")).unwrap();
    let mut stmt = db
        .prepare("SELECT record_id, updated_ms, total FROM records WHERE connection_id = ?1 AND stream = ?2")
        .unwrap();
    let rows = stmt
        .query_map(rusqlite::params![id, stream], |r| {
            // Decimal text, exactly as received (signed as spend).
            let total: String = r.get(2)?;
            let mut total = total.parse::<rust_decimal::Decimal>().unwrap().abs();
            total.rescale(2);
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)?, total.to_string()),
            ))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// The database equals the platform for every stream, record by record. Stored totals of
/// refunds and credit notes are kept negative (they reduce spend), so totals compare by size.
pub(crate) fn assert_equal_to_platform(env: &Env, id: i64, vault_key: &str, tenant: &str) {
    for (resource, stream) in [
        ("BankTransactions", "bank_transactions"),
        ("Invoices", "bills"),
        ("CreditNotes", "credit_notes"),
    ] {
        let platform: BTreeMap<_, _> = platform_records(env, vault_key, tenant, resource)
            .into_iter()
            .map(|(k, (ms, total))| (k, (ms, total.trim_start_matches('-').to_string())))
            .collect();
        let stored = stored_records(env, id, stream);
        assert_eq!(platform.len(), stored.len(), "{stream}: record count");
        for (record, want) in &platform {
            assert_eq!(stored.get(record), Some(want), "{stream} {record}");
        }
    }
}

/// A small linear congruential generator: the kill moments vary but every run is the same.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, from: u64, to: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        from + (self.0 >> 33) % (to - from)
    }
}

#[test]
fn syncs_killed_at_random_moments_leave_the_database_equal_to_the_platform() {
    let env = Env::new(&["--no-rate-limit", "--records", "4000"], "");
    let conn = env.connect(UK);
    let id = conn["id"].as_i64().unwrap();
    let vault_key = conn["vault_key"].as_str().unwrap().to_string();
    let tenant = env.sandbox.tenant_id(UK);
    std::fs::write(
        env.dir.path().join("carbonsync.toml"),
        format!(
            "[sandbox]\nurl = \"{}\"\n[providers.xero]\npage_size = 40\n",
            env.sandbox.url
        ),
    )
    .unwrap();

    // How long a full sync of these 4,000 records takes on this machine, so that the kills of
    // the full syncs below land inside one however fast or slow the machine is.
    let started = Instant::now();
    env.sync(id);
    let full_ms = (started.elapsed().as_millis() as u64).max(100);

    let mut moments = Moments(0x5eed);
    let kills = 8;
    let mut full_rounds = 0;
    for round in 0..kills {
        let mut args = vec!["sync".to_string(), id.to_string()];
        let full = round % 2 == 0;
        if full {
            args.push("--full".into());
            full_rounds += 1;
        }
        let mut child = env
            .cmd()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Incremental syncs have little to read and may finish before their kill.
        let (from, to) = if full {
            (full_ms / 5, full_ms * 4 / 5)
        } else {
            (20, 400)
        };
        std::thread::sleep(Duration::from_millis(moments.next_ms(from, to)));
        let _ = child.kill();
        child.wait().unwrap();
        // The platform changes between the kills too.
        if round % 2 == 1 {
            env.sandbox.post(
                "/_control/records/change",
                json!({"tenantId": tenant, "stream": "bank_transactions", "count": 25, "same_updated": round % 4 == 1}),
            );
            env.sandbox.post(
                "/_control/records/delete",
                json!({"tenantId": tenant, "stream": "invoices", "count": 3}),
            );
        }
    }
    env.sync(id);
    assert_equal_to_platform(&env, id, &vault_key, &tenant);

    // Every killed run that had started is logged as interrupted, none as running or failed,
    // and the kills did land inside runs (most full syncs were cut short).
    let logs = env.json(&["logs", &id.to_string(), "--limit", "100", "--json"]);
    let runs = logs.as_array().unwrap();
    assert!(
        runs.iter()
            .all(|r| r["status"] == "succeeded" || r["status"] == "interrupted"),
        "{logs}"
    );
    assert!(
        runs.iter().filter(|r| r["status"] == "interrupted").count() >= full_rounds / 2,
        "{logs}"
    );
}

#[test]
fn syncs_side_by_side_with_the_daemon_neither_clash_nor_lose_records() {
    let env = Env::new(&["--no-rate-limit", "--records", "1500"], "");
    let conn = env.connect(US);
    let id = conn["id"].as_i64().unwrap();
    let vault_key = conn["vault_key"].as_str().unwrap().to_string();
    let tenant = env.sandbox.tenant_id(US);
    let out = env.run(&["schedule", &id.to_string(), "*/2 * * * * *"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut daemon = env
        .cmd()
        .arg("daemon")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(12);
    let loops: Vec<_> = (0..3)
        .map(|n| {
            let mut cmd: Command = env.cmd();
            cmd.args(["sync", &id.to_string(), "--json"]);
            let full = n == 2;
            let env_args: Vec<String> =
                cmd.get_args().map(|a| a.to_string_lossy().into()).collect();
            let program = cmd.get_program().to_owned();
            let envs: Vec<(String, String)> = cmd
                .get_envs()
                .filter_map(|(k, v)| {
                    Some((k.to_string_lossy().into(), v?.to_string_lossy().into()))
                })
                .collect();
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                while Instant::now() < deadline {
                    let mut c = Command::new(&program);
                    c.args(&env_args).envs(envs.iter().map(|(k, v)| (k, v)));
                    if full {
                        c.arg("--full");
                    }
                    let out = c.stdin(Stdio::null()).output().unwrap();
                    if !out.status.success() {
                        failures.push(String::from_utf8_lossy(&out.stderr).to_string());
                    }
                }
                failures
            })
        })
        .collect();
    // Meanwhile the platform changes.
    while Instant::now() < deadline {
        env.sandbox.post(
            "/_control/records/change",
            json!({"tenantId": tenant, "stream": "bank_transactions", "count": 5}),
        );
        std::thread::sleep(Duration::from_millis(700));
    }
    for l in loops {
        let failures = l.join().unwrap();
        assert!(failures.is_empty(), "{failures:?}");
    }
    let _ = daemon.kill();
    daemon.wait().unwrap();

    env.sync(id);
    assert_equal_to_platform(&env, id, &vault_key, &tenant);
    let logs = env.json(&["logs", &id.to_string(), "--limit", "1000", "--json"]);
    let failed: Vec<&Value> = logs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "failed")
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
}
