//! Cloud connections end to end through the real binary, against the sandbox's stand-ins for
//! AWS, Azure and Google Cloud: keys checked before anything is kept, a full then an
//! incremental sync whose totals equal the sandbox's generated sums, a pending month that is
//! published later, a restated month in the sync log, throttling waited out, nothing secret in
//! the data folder or the output, and a cloud bill in Xero that is not counted twice.

use std::io::Write;
use std::process::Stdio;

use crate::support::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const US_COMPANY: &str = "Northwind Outfitters Inc.";
/// The sandbox's AWS bill in the US company's Xero (a fixture: 1,842.50 USD, June 2024).
const AWS_BILL: &str = "f1a00000-0000-4000-8000-000000000012";

fn connect_sandbox(env: &Env, platform: &str) -> Value {
    env.json(&["connect", platform, "--sandbox", "--json"])
}

/// The months of `cloud --months --json`, by `YYYY-MM`.
fn months(env: &Env, conn: i64) -> Vec<Value> {
    env.json(&[
        "cloud",
        "--months",
        "--connection",
        &conn.to_string(),
        "--json",
    ])
    .as_array()
    .unwrap()
    .clone()
}

fn month<'a>(months: &'a [Value], key: &str) -> &'a Value {
    months
        .iter()
        .find(|m| m["month"] == key)
        .unwrap_or_else(|| panic!("no month {key} in {months:?}"))
}

fn notes(env: &Env, conn: i64) -> Vec<String> {
    env.json(&["logs", &conn.to_string(), "--json"])[0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

/// What each provider publishes of the generated sums, as (location-based, market-based)
/// totals: AWS both bases for every scope; Microsoft one number per scope, Scope 2 market-based
/// only and Scope 1 and 3 with no basis (so they count in both); Google one Scope 3 number.
fn published_totals(platform: &str, sums: &Value) -> (Decimal, Decimal) {
    let d = |k: &str| decimal(&sums[k]);
    match platform {
        "azure" => (
            d("scope1") + d("scope3_market"),
            d("scope1") + d("scope2_market") + d("scope3_market"),
        ),
        "gcp" => (
            d("scope1") + d("scope2_location") + d("scope3_location"),
            d("scope1") + d("scope2_market") + d("scope3_location"),
        ),
        _ => (d("total_location"), d("total_market")),
    }
}

/// Every published month's synced totals equal the sandbox's generated sums, to the gram,
/// under both bases.
fn assert_totals_match(env: &Env, platform: &str, conn: i64) {
    let expected = env
        .sandbox
        .get(&format!("/_control/cloud/{platform}/totals"));
    let synced = months(env, conn);
    let expected = expected.as_object().unwrap();
    assert!(
        expected.len() >= 23,
        "{platform}: {} months",
        expected.len()
    );
    for (key, sums) in expected {
        let m = month(&synced, key);
        assert_eq!(m["state"], "published", "{platform} {key}: {m}");
        let (location, market) = published_totals(platform, sums);
        assert_eq!(
            decimal(&m["location_kg_co2e"]),
            location,
            "{platform} {key} location-based"
        );
        assert_eq!(
            decimal(&m["market_kg_co2e"]),
            market,
            "{platform} {key} market-based"
        );
    }
}

/// Everything a sync of one platform must do, from connect to restatement.
fn full_incremental_pending_restated(platform: &str, secret_field: &str) {
    let env = Env::new(&["--no-rate-limit"], "");
    let conn = connect_sandbox(&env, platform);
    assert_eq!(conn["provider"], platform);
    assert_eq!(conn["status"], "active", "{conn}");
    let id = conn["id"].as_i64().unwrap();

    // The keys are in the keychain, one entry; never in the data folder.
    let kept: Value =
        serde_json::from_str(&keychain_lookup(conn["vault_key"].as_str().unwrap()).unwrap())
            .unwrap();
    let secret = kept[secret_field].as_str().unwrap().to_owned();
    assert!(secret.len() > 16);

    // A full sync reads two years across pages.
    let first = env.sync(id);
    assert!(first["created"].as_i64().unwrap() > 1000, "{first}");
    assert!(
        first["calls"].as_i64().unwrap() > 3,
        "several pages: {first}"
    );
    assert_totals_match(&env, platform, id);
    // The sandbox's clock is 10 January 2025: December 2024 is not published yet.
    let synced = months(&env, id);
    assert_eq!(month(&synced, "2024-12")["state"], "pending");
    assert_eq!(
        decimal(&month(&synced, "2024-12")["location_kg_co2e"]),
        Decimal::ZERO
    );
    assert!(
        notes(&env, id)
            .iter()
            .any(|n| n.contains("has not published December 2024 (expected by")),
        "{:?}",
        notes(&env, id)
    );

    // Nothing changed: an incremental sync reads the recent months again and changes nothing.
    let again = env.sync(id);
    assert_eq!(again["created"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");
    assert!(
        again["calls"].as_i64().unwrap() < first["calls"].as_i64().unwrap(),
        "{again} vs {first}"
    );

    // The provider publishes December and restates June; both show after the next sync, and
    // the sync log says what changed. Two throttled answers on the way are waited out.
    env.sandbox.post(
        "/_control/cloud/clock",
        json!({"now": "2025-01-25T09:00:00Z"}),
    );
    env.sandbox.post(
        &format!("/_control/cloud/{platform}/restate"),
        json!({"month": "2024-11", "factor": "1.05"}),
    );
    env.sandbox.post(
        &format!("/_control/cloud/{platform}/throttle"),
        json!({"count": 2}),
    );
    let third = env.sync(id);
    assert!(third["updated"].as_i64().unwrap() > 0, "{third}");
    assert!(
        third["created"].as_i64().unwrap() > 0,
        "December arrived: {third}"
    );
    assert_totals_match(&env, platform, id);
    let log = notes(&env, id);
    assert!(
        log.iter().any(|n| n.contains("restated November 2024")),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|n| n.contains("December 2024")),
        "published now: {log:?}"
    );
    assert_eq!(month(&months(&env, id), "2024-12")["state"], "published");

    // Totals by service and the rows as published agree with the months.
    let summary = env.json(&["cloud", "--by", "service", "--json"]);
    let by_service: Decimal = summary["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| decimal(&g["location_kg_co2e"]))
        .sum();
    assert_eq!(by_service, decimal(&summary["totals"]["location_kg_co2e"]));
    let all_months: Decimal = months(&env, id)
        .iter()
        .map(|m| decimal(&m["location_kg_co2e"]))
        .sum();
    assert_eq!(by_service, all_months);
    // Microsoft publishes Scope 2 market-based only: the location-based total says it is short
    // by exactly that Scope 2; the others publish both bases.
    let t = &summary["totals"];
    let short = decimal(&t["scope2_market_only_kg_co2e"]);
    if platform == "azure" {
        assert!(short > Decimal::ZERO);
        assert_eq!(
            short,
            decimal(&t["market_kg_co2e"]) - decimal(&t["location_kg_co2e"])
        );
        let out = env.run(&["cloud"]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("market-based only"));
    } else {
        assert_eq!(short, Decimal::ZERO);
    }

    // AWS: the month's bill from Cost Explorer beside each published month, read once.
    if platform == "aws" {
        let expected = env.sandbox.get("/_control/cloud/aws/totals");
        for m in months(&env, id)
            .iter()
            .filter(|m| m["state"] == "published")
        {
            let key = m["month"].as_str().unwrap();
            assert_eq!(m["spend_currency"], "USD", "{m}");
            assert_eq!(
                decimal(&m["spend"]),
                decimal(&expected[key]["cost_usd"]),
                "{key}"
            );
        }
    }

    // The secret never reached the data folder, the logs or the output.
    assert!(files_containing(&env.data_dir(), &secret).is_empty());
    let out = env.run(&["cloud", "--rows", "--limit", "20"]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&secret));
}

#[test]
fn aws_syncs_in_full_then_incrementally_with_a_pending_and_a_restated_month() {
    full_incremental_pending_restated("aws", "secret_access_key");
}

#[test]
fn azure_syncs_in_full_then_incrementally_with_a_pending_and_a_restated_month() {
    full_incremental_pending_restated("azure", "client_secret");
}

#[test]
fn google_cloud_syncs_in_full_then_incrementally_with_a_pending_and_a_restated_month() {
    full_incremental_pending_restated("gcp", "service_account_key");
}

/// Runs `connect` with `stdin` as standard input.
fn connect_with_stdin(env: &Env, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = env
        .cmd()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_wrong_secret_is_refused_in_words_and_nothing_is_kept() {
    let env = Env::new(&["--no-rate-limit"], "");
    let right = env.sandbox.get("/_control/cloud/azure/credentials");
    let wrong = "Wr0ng~secret.value-that-is-long-enough";
    let out = connect_with_stdin(
        &env,
        &[
            "connect",
            "azure",
            "--sandbox",
            "--tenant-id",
            right["tenant_id"].as_str().unwrap(),
            "--client-id",
            right["client_id"].as_str().unwrap(),
        ],
        &format!("{wrong}\n"),
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("AADSTS7000215"), "{err}");
    assert!(err.to_lowercase().contains("secret"), "{err}");
    assert!(!err.contains(wrong), "the secret is never echoed: {err}");
    let connections = env.json(&["connections", "--json"]);
    assert_eq!(connections.as_array().unwrap().len(), 0, "{connections}");
    // Nothing of this data folder's install reached the keychain (other tests share it).
    let install = env.install_id();
    assert!(keychain_search_usernames()
        .iter()
        .all(|u| !u.starts_with(&install)));

    // A secret is never taken as an argument.
    let out = env.run(&["connect", "azure", "--client-secret", wrong]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("never given as arguments"),
        "{}",
        stderr(&out)
    );

    // The right one, piped in, connects.
    let out = connect_with_stdin(
        &env,
        &[
            "connect",
            "azure",
            "--sandbox",
            "--tenant-id",
            right["tenant_id"].as_str().unwrap(),
            "--client-id",
            right["client_id"].as_str().unwrap(),
            "--json",
        ],
        &format!("{}\n", right["client_secret"].as_str().unwrap()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(files_containing(&env.data_dir(), right["client_secret"].as_str().unwrap()).is_empty());
}

#[test]
fn a_cloud_bill_in_xero_is_not_counted_twice_while_the_provider_reports_its_month() {
    let env = Env::new(&["--no-rate-limit"], "");
    let xero = env.connect(US_COMPANY);
    env.sync(xero["id"].as_i64().unwrap());
    let entry =
        |env: &Env| env.json(&["emissions", "--ledger", "--record", AWS_BILL, "--json"])[0].clone();
    let before = entry(&env);
    assert_eq!(before["status"], "counted", "{before}");
    let spend_based = decimal(&before["kg_co2e"]);
    assert!(spend_based > Decimal::ZERO);
    let total_before = decimal(&env.json(&["emissions", "--json"])["totals"]["kg_co2e"]);

    // AWS reports June 2024: the bill is excluded, with the reason, and the totals drop by
    // exactly its spend-based estimate.
    let aws = connect_sandbox(&env, "aws");
    let aws_id = aws["id"].as_i64().unwrap();
    env.sync(aws_id);
    let covered = entry(&env);
    assert_eq!(covered["status"], "excluded", "{covered}");
    assert_month_totals_agree(&env);
    assert_eq!(
        covered["reason"],
        format!(
            "covered by emissions reported by {} for June 2024",
            aws["tenant_name"].as_str().unwrap()
        )
    );
    let summary = env.json(&["emissions", "--json"]);
    assert_eq!(
        decimal(&summary["totals"]["kg_co2e"]),
        total_before - spend_based
    );
    // The other side shows it too: June's month lists the covered entry.
    let june = months(&env, aws_id);
    let june = month(&june, "2024-06");
    assert_eq!(june["covered_entries"], 1, "{june}");
    assert_eq!(decimal(&june["covered_kg_co2e"]), spend_based);

    // Switching the rule off, or removing the AWS connection, counts the bill again.
    let rules = env.json(&["suppliers", "--json"]);
    let rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["platform"] == "aws" && r["pattern"] == "Amazon Web Services")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    env.json(&["suppliers", "--disable", &rule.to_string(), "--json"]);
    assert_eq!(entry(&env)["status"], "counted");
    env.json(&["suppliers", "--enable", &rule.to_string(), "--json"]);
    assert_eq!(entry(&env)["status"], "excluded");
    let out = env.run(&["disconnect", &aws_id.to_string()]);
    assert_month_totals_agree(&env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(entry(&env)["status"], "counted");
    assert_eq!(
        decimal(&env.json(&["emissions", "--json"])["totals"]["kg_co2e"]),
        total_before
    );
    // ... and what AWS reported leaves the totals, so nothing is counted on both sides.
    let reported = env.json(&["cloud", "--json"]);
    assert_eq!(reported["totals"]["rows"], 0, "{reported}");
}

#[test]
fn aws_connects_with_a_named_profile_and_keeps_only_its_name() {
    let env = Env::new(&["--no-rate-limit"], "");
    let keys = env.sandbox.get("/_control/cloud/aws/credentials");
    let aws_dir = env.dir.path().join("aws");
    std::fs::create_dir_all(&aws_dir).unwrap();
    std::fs::write(
        aws_dir.join("credentials"),
        format!(
            "[finance-reader]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            keys["access_key_id"].as_str().unwrap(),
            keys["secret_access_key"].as_str().unwrap()
        ),
    )
    .unwrap();
    std::fs::write(
        aws_dir.join("config"),
        "[profile finance-reader]\nregion = us-east-1\n",
    )
    .unwrap();
    let out = env
        .cmd()
        .args([
            "connect",
            "aws",
            "--sandbox",
            "--profile",
            "finance-reader",
            "--json",
        ])
        .env("AWS_SHARED_CREDENTIALS_FILE", aws_dir.join("credentials"))
        .env("AWS_CONFIG_FILE", aws_dir.join("config"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let conn: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The keychain holds the profile's name, not its keys: they stay in the AWS configuration.
    let kept = keychain_lookup(conn["vault_key"].as_str().unwrap()).unwrap();
    assert!(kept.contains("finance-reader"), "{kept}");
    assert!(!kept.contains(keys["secret_access_key"].as_str().unwrap()));

    // A profile that does not exist is refused in words.
    let out = env
        .cmd()
        .args([
            "connect",
            "aws",
            "--sandbox",
            "--profile",
            "no-such-profile",
        ])
        .env("AWS_SHARED_CREDENTIALS_FILE", aws_dir.join("credentials"))
        .env("AWS_CONFIG_FILE", aws_dir.join("config"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no-such-profile"), "{}", stderr(&out));
}

#[test]
fn azure_connects_with_a_certificate_read_once_from_its_file() {
    let env = Env::new(&["--no-rate-limit"], "");
    let ids = env.sandbox.get("/_control/cloud/azure/credentials");
    let pem = reqwest::blocking::get(format!("{}/_control/azure/certificate", env.sandbox.url))
        .unwrap()
        .text()
        .unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let file = env.dir.path().join("carbonsync-reader.pem");
    std::fs::write(&file, &pem).unwrap();
    let conn = env.json(&[
        "connect",
        "azure",
        "--sandbox",
        "--tenant-id",
        ids["tenant_id"].as_str().unwrap(),
        "--client-id",
        ids["client_id"].as_str().unwrap(),
        "--certificate-file",
        file.to_str().unwrap(),
        "--json",
    ]);
    // The file may go now: the certificate and its key are in the keychain only.
    std::fs::remove_file(&file).unwrap();
    let kept: Value =
        serde_json::from_str(&keychain_lookup(conn["vault_key"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(kept["certificate"].as_str().unwrap(), pem);
    assert!(kept.get("client_secret").is_none());
    let counts = env.sync(conn["id"].as_i64().unwrap());
    assert!(counts["created"].as_i64().unwrap() > 100, "{counts}");
    let key_line = pem
        .lines()
        .find(|l| !l.starts_with("-----") && l.len() > 40)
        .unwrap();
    assert!(files_containing(&env.data_dir(), key_line).is_empty());
}
