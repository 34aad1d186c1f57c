//! Slack and Microsoft Teams through `carbonsync`: the monthly report sent to each with the
//! app's own totals and its chart, Slack's app sign-in through the https bounce page, every
//! refusal in words, a rate limit waited out, alerts once per incident across many checks,
//! and a "Retry sync" click verified by `carbonsync serve`.

use crate::scheduler_helpers::*;
use crate::serve::Server;
use crate::support::*;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

const UK: &str = "Harbour & Pine Ltd";

/// An environment with the UK organisation connected and synced.
fn synced(extra_config: &str) -> (Env, i64) {
    let env = Env::new(&["--no-rate-limit", "--records", "400"], extra_config);
    let id = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(id);
    (env, id)
}

/// The latest month with counted emissions, `YYYY-MM`.
fn latest_month(env: &Env) -> String {
    let summary = env.json(&["emissions", "--by", "month", "--json"]);
    summary["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| decimal(&g["kg_co2e"]) > Decimal::ZERO)
        .map(|g| g["key"].as_str().unwrap().to_string())
        .max()
        .expect("a month with emissions")
}

fn month_bounds(period: &str) -> (String, String) {
    let first = chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").unwrap();
    let last = (first + chrono::Months::new(1)).pred_opt().unwrap();
    (first.to_string(), last.to_string())
}

/// How the messages write a figure: tonnes to one decimal place, half away from zero.
fn shown(t: Decimal) -> String {
    format!(
        "{} t CO2e",
        t.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
    )
}

fn add(env: &Env, args: &[&str]) -> i64 {
    let mut all = vec!["connect"];
    all.extend_from_slice(args);
    all.push("--json");
    env.json(&all)["id"].as_i64().unwrap()
}

fn slack_messages(env: &Env) -> Vec<Value> {
    env.sandbox
        .get("/_control/slack/messages")
        .as_array()
        .unwrap()
        .clone()
}

fn teams_messages(env: &Env) -> Vec<Value> {
    env.sandbox
        .get("/_control/teams/messages")
        .as_array()
        .unwrap()
        .clone()
}

fn history(env: &Env, id: i64) -> Vec<Value> {
    env.json(&["destinations", "history", &id.to_string(), "--json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_report_sent_to_teams_and_slack_says_the_apps_own_totals_with_its_chart() {
    let (env, _) = synced("");
    let period = latest_month(&env);
    let (from, to) = month_bounds(&period);
    let teams = add(&env, &["teams", "--sandbox"]);
    let slack = add(
        &env,
        &["slack", "--webhook", "--sandbox", "--name", "ESG channel"],
    );

    // The report's figures are the app's own for the period, exactly.
    let app_totals = env.json(&["emissions", "--from", &from, "--to", &to, "--json"]);
    let spend_kg = decimal(&app_totals["totals"]["kg_co2e"]);
    let reported_kg = decimal(&app_totals["reported"]["location_kg_co2e"]);
    assert!(spend_kg > Decimal::ZERO);
    let report = env.json(&["report", "preview", "--period", &period, "--json"]);
    let thousand = Decimal::from(1000);
    assert_eq!(decimal(&report["spend_based_t_co2e"]), spend_kg / thousand);
    assert_eq!(decimal(&report["reported_t_co2e"]), reported_kg / thousand);
    assert_eq!(
        decimal(&report["total_t_co2e"]),
        (spend_kg + reported_kg) / thousand
    );
    let by_scope: Decimal = report["by_scope"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| decimal(&f["t_co2e"]))
        .sum();
    assert_eq!(by_scope, (spend_kg + reported_kg) / thousand);
    assert_eq!(
        report["unmapped_entries"], app_totals["totals"]["unmapped"],
        "entries to review"
    );
    assert_eq!(report["chart"].as_array().unwrap().len(), 12);

    let total = shown(decimal(&report["total_t_co2e"]));
    let sent = env.json(&[
        "report",
        "send",
        "--to",
        &teams.to_string(),
        "--period",
        &period,
        "--json",
    ]);
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["chart_sent"], true, "{sent}");
    let cards = teams_messages(&env);
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["posted"], true, "{}", cards[0]);
    let card = cards[0]["card"].to_string();
    assert!(card.contains(&total), "the card says {total}: {card}");
    let images = cards[0]["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "the chart arrives as an image");
    assert_eq!(images[0]["png"], true);
    assert!(images[0]["size"].as_u64().unwrap() > 1000);

    let sent = env.json(&[
        "report",
        "send",
        "--to",
        &slack.to_string(),
        "--period",
        &period,
        "--json",
    ]);
    assert_eq!(sent["status"], "sent", "{sent}");
    let messages = slack_messages(&env);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["via"], "webhook");
    assert_eq!(messages[0]["channel_name"], "esg-reports");
    let text = messages[0]["blocks"].to_string();
    assert!(
        text.contains(&total),
        "Slack's message says {total}: {text}"
    );
    // A webhook carries no image: the history says so instead of pretending.
    let h = history(&env, slack);
    assert_eq!(h[0]["chart_sent"], false);
    assert!(h[0]["chart_note"]
        .as_str()
        .unwrap()
        .contains("incoming webhook"));
    assert_eq!(history(&env, teams)[0]["subject"], period.as_str());

    // The webhook URLs are secrets: in the keychain, never in the data folder.
    let slack_url = env
        .sandbox
        .post("/_control/slack/webhook", json!({"channel": "esg-reports"}))["url"]
        .as_str()
        .unwrap()
        .to_string();
    let slack_secret = slack_url.rsplit('/').next().unwrap();
    let workflows = env.sandbox.get("/_control/teams/workflows");
    for w in workflows.as_array().unwrap() {
        let sig = w["url"]
            .as_str()
            .unwrap()
            .rsplit("sig=")
            .next()
            .unwrap()
            .to_string();
        assert!(
            files_containing(&env.data_dir(), &sig).is_empty(),
            "Teams sig on disk"
        );
    }
    assert!(
        files_containing(&env.data_dir(), slack_secret).is_empty(),
        "the Slack webhook's secret on disk"
    );
    let listed = env.run(&["destinations"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("ESG channel") && !listed.contains(slack_secret),
        "{listed}"
    );
}

#[test]
fn a_refused_message_says_why_and_what_to_do_and_a_rate_limit_is_waited_out() {
    let (env, _) = synced("");
    let period = latest_month(&env);
    let slack = add(&env, &["slack", "--webhook", "--sandbox"]);
    let teams = add(&env, &["teams", "--sandbox"]);
    let cases = [
        ("webhook", "channel_not_found", "Pick the channel again"),
        ("webhook", "channel_is_archived", "archived"),
        ("webhook", "action_prohibited", "administrator"),
        ("webhook", "no_service", "no longer works"),
    ];
    for (method, error, words) in cases {
        env.sandbox.post(
            "/_control/slack/faults",
            json!({"method": method, "error": error, "count": 1}),
        );
        let out = env.run(&[
            "report",
            "send",
            "--to",
            &slack.to_string(),
            "--period",
            &period,
        ]);
        assert!(!out.status.success(), "{error}");
        let said = stderr(&out);
        assert!(said.contains(words), "{error}: {said}");
        assert_eq!(history(&env, slack)[0]["error_code"], error);
    }
    for (status, code, words) in [
        (404, "WorkflowNotFound", "no longer exists"),
        (409, "WorkflowTriggerIsNotEnabled", "turned off"),
        (401, "DirectApiInvalidAuthorizationSignature", "signature"),
    ] {
        env.sandbox.post(
            "/_control/teams/faults",
            json!({"status": status, "code": code, "count": 1}),
        );
        let out = env.run(&[
            "report",
            "send",
            "--to",
            &teams.to_string(),
            "--period",
            &period,
        ]);
        assert!(!out.status.success(), "{code}");
        assert!(stderr(&out).contains(words), "{code}: {}", stderr(&out));
        assert_eq!(history(&env, teams)[0]["error_code"], code);
    }
    assert!(slack_messages(&env).is_empty() && teams_messages(&env).is_empty());

    // Slack's 429 with Retry-After: waited out, and the message arrives once.
    env.sandbox.post(
        "/_control/slack/faults",
        json!({"method": "webhook", "error": "rate_limited", "count": 1, "retry_after": 1}),
    );
    let sent = env.json(&[
        "report",
        "send",
        "--to",
        &slack.to_string(),
        "--period",
        &period,
        "--json",
    ]);
    assert_eq!(sent["status"], "sent");
    assert!(sent["waited_ms"].as_i64().unwrap() >= 1000, "{sent}");
    assert_eq!(slack_messages(&env).len(), 1);
}

/// Runs `carbonsync connect slack` with the test browser that runs the bounce page, hands
/// the address it forwards to back to the command as a person would paste it, and returns
/// the command's output and the address.
fn slack_sign_in(
    env: &Env,
    extra_env: &[(&str, &str)],
    link: Option<&str>,
) -> (std::process::Output, String) {
    let link_file = env.dir.path().join(format!("link-{}", now_ms()));
    let mut cmd = env.cmd();
    cmd.args(["connect", "slack", "--channel", "esg-reports", "--json"])
        .env("BROWSER", fixture("slack-browser.sh"))
        .env("CARBONSYNC_TEST_LINK_FILE", &link_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let forwarded = wait_for(Duration::from_secs(60), "the bounce page's link", || {
        std::fs::read_to_string(&link_file).ok()
    })
    .trim()
    .to_string();
    let pasted = link
        .map(str::to_string)
        .unwrap_or_else(|| forwarded.clone());
    writeln!(child.stdin.take().unwrap(), "{pasted}").unwrap();
    (child.wait_with_output().unwrap(), forwarded)
}

#[test]
fn slack_signs_in_through_the_bounce_page_and_posts_the_report_with_its_chart() {
    let (env, _) = synced("");
    let period = latest_month(&env);
    let (out, link) = slack_sign_in(&env, &[], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(link.starts_with("carbonsync://oauth/callback?"), "{link}");
    assert!(link.contains("code=") && link.contains("state="), "{link}");
    let dest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dest["route"], "bot");
    assert_eq!(dest["channel_name"], "esg-reports");
    assert_eq!(dest["workspace_name"], "Harbour & Pine");
    let token =
        keychain_lookup(dest["vault_key"].as_str().unwrap()).expect("the token in the keychain");
    let token: Value = serde_json::from_str(&token).unwrap();
    let bot_token = token["access_token"].as_str().unwrap().to_string();
    assert!(bot_token.starts_with("xoxb-"));
    assert!(
        files_containing(&env.data_dir(), &bot_token).is_empty(),
        "the token on disk"
    );

    // The same link again is a replay; a forged state is refused; neither adds anything.
    let (out, _) = slack_sign_in(&env, &[], Some(&link));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("forged or replayed"),
        "{}",
        stderr(&out)
    );
    let (out, forged) = slack_sign_in(&env, &[("CARBONSYNC_TEST_TAMPER", "state")], None);
    assert!(forged.contains("state=forged-by-test"));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("forged or replayed"),
        "{}",
        stderr(&out)
    );
    let (out, _) = slack_sign_in(&env, &[("CARBONSYNC_TEST_DECISION", "deny")], None);
    assert!(!out.status.success());
    assert_eq!(
        env.json(&["destinations", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let id = dest["id"].as_i64().unwrap();
    let sent = env.json(&[
        "report",
        "send",
        "--to",
        &id.to_string(),
        "--period",
        &period,
        "--json",
    ]);
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["chart_sent"], true, "{sent}");
    let messages = slack_messages(&env);
    let report = messages
        .iter()
        .find(|m| m["via"] == "bot" && !m["blocks"].is_null() && m["blocks"] != json!([]))
        .expect("the report");
    assert_eq!(report["channel_name"], "esg-reports");
    let files: Vec<Value> = messages
        .iter()
        .flat_map(|m| m["files"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(files.len(), 1, "{messages:?}");
    assert_eq!(files[0]["png"], true);

    // Every refusal of chat.postMessage is named, with what to do.
    for (error, words) in [
        ("not_in_channel", "/invite"),
        ("channel_not_found", "Pick the channel again"),
        ("is_archived", "archived"),
        ("invalid_auth", "Connect Slack again"),
        ("token_revoked", "removed from the workspace"),
        ("missing_scope", "permission"),
    ] {
        env.sandbox.post(
            "/_control/slack/faults",
            json!({"method": "chat.postMessage", "error": error, "count": 1}),
        );
        let out = env.run(&[
            "report",
            "send",
            "--to",
            &id.to_string(),
            "--period",
            &period,
        ]);
        assert!(!out.status.success(), "{error}");
        assert!(stderr(&out).contains(words), "{error}: {}", stderr(&out));
        assert!(!stderr(&out).contains(&bot_token));
        assert_eq!(history(&env, id)[0]["error_code"], error);
    }

    // Removing the destination revokes the token with Slack.
    let out = env.run(&["destinations", "remove", &id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(keychain_lookup(dest["vault_key"].as_str().unwrap()).is_none());
    let answer: Value = reqwest::blocking::Client::new()
        .post(format!("{}/slack/api/auth.test", env.sandbox.url))
        .bearer_auth(&bot_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(answer["error"], "token_revoked", "{answer}");
}

/// Makes the next `n` syncs of BankTransactions fail with a 503 (one attempt each).
fn fail_next_syncs(env: &Env, n: u32) {
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "status", "status": 503, "count": n, "path_contains": "BankTransactions"}),
    );
}

fn failing_sync(env: &Env, id: i64) {
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success(), "the sync was meant to fail");
}

#[test]
fn a_failing_connection_alerts_once_and_resolves_once_across_many_checks() {
    let (env, id) = synced("[sync]\nmax_attempts = 1\nmax_retry_wait_secs = 1\n");
    let teams = add(&env, &["teams", "--sandbox"]);
    // Only this connection's failures, only sync failures.
    let out = env.run(&[
        "destinations",
        "set",
        &teams.to_string(),
        "--alerts",
        "sync_failed",
        "--connections",
        &id.to_string(),
        "--report",
        "off",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    fail_next_syncs(&env, 3);
    for _ in 0..2 {
        failing_sync(&env, id);
    }
    // Two failures in a row are not yet an incident.
    env.json(&["alerts", "--check", "--json"]);
    assert!(teams_messages(&env).is_empty());
    failing_sync(&env, id);
    for _ in 0..5 {
        env.json(&["alerts", "--check", "--json"]);
    }
    let cards = teams_messages(&env);
    assert_eq!(cards.len(), 1, "one alert, however many checks: {cards:?}");
    let text = cards[0]["card"].to_string();
    assert!(text.contains("Sync failed") && text.contains(UK), "{text}");

    env.sync(id);
    for _ in 0..5 {
        env.json(&["alerts", "--check", "--json"]);
    }
    let cards = teams_messages(&env);
    assert_eq!(cards.len(), 2, "one message when it is over: {cards:?}");
    assert!(
        cards[1]["card"].to_string().contains("Resolved"),
        "{}",
        cards[1]
    );
    let incidents = env.json(&["alerts", "--json"])["incidents"].clone();
    assert_eq!(incidents.as_array().unwrap().len(), 1);
    assert!(incidents[0]["resolved_at_ms"].is_i64(), "{incidents}");
    let kinds: Vec<String> = history(&env, teams)
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["kind"].as_str().unwrap(),
                d["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(kinds, ["resolved:sent", "alert:sent"]);
}

#[test]
fn a_retry_click_in_slack_is_verified_starts_one_sync_and_updates_the_message() {
    let (env, id) = synced("[sync]\nmax_attempts = 1\nmax_retry_wait_secs = 1\n");
    let slack = add(&env, &["slack", "--webhook", "--sandbox"]);
    let out = env.run(&["webhook-key", "slack", "--sandbox"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Server::start(&env);
    assert!(
        server.printed().contains("/interactions/slack"),
        "{}",
        server.printed()
    );

    fail_next_syncs(&env, 3);
    for _ in 0..3 {
        failing_sync(&env, id);
    }
    let alert = wait_for(Duration::from_secs(30), "the alert in Slack", || {
        slack_messages(&env)
            .into_iter()
            .find(|m| m["blocks"].to_string().contains("retry_sync"))
    });
    let runs_before = runs(&env, id).len();
    let target = format!("{}/interactions/slack", server.base);
    let click = |variant: &str| {
        env.sandbox.post(
            "/_control/slack/interact",
            json!({"message_id": alert["id"], "action_id": "retry_sync", "target": target, "variant": variant}),
        )
    };
    // Forged and stale clicks are refused and start nothing.
    assert_eq!(click("bad_signature")["statuses"], json!([401]));
    assert_eq!(click("stale")["statuses"], json!([401]));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        runs(&env, id).len(),
        runs_before,
        "no sync from a refused click"
    );

    // A real click, sent twice: one sync, and the message says how it went.
    assert_eq!(click("replay")["statuses"], json!([200, 200]));
    let chat_run = wait_for(
        Duration::from_secs(60),
        "the sync the click asked for",
        || {
            runs(&env, id)
                .into_iter()
                .find(|r| r["trigger"] == "chat" && r["status"] == "succeeded")
        },
    );
    assert!(chat_run["finished_at"].is_string());
    let updated = wait_for(Duration::from_secs(30), "the message updated", || {
        slack_messages(&env)
            .into_iter()
            .find(|m| m["id"] == alert["id"])
            .filter(|m| !m["updates"].as_array().unwrap().is_empty())
    });
    assert!(
        updated["updates"].to_string().contains("succeeded"),
        "{updated}"
    );
    std::thread::sleep(Duration::from_secs(3));
    let chat_runs = runs(&env, id)
        .iter()
        .filter(|r| r["trigger"] == "chat")
        .count();
    assert_eq!(chat_runs, 1, "the replayed click started nothing");
    wait_for(Duration::from_secs(30), "the resolved message", || {
        history(&env, slack)
            .into_iter()
            .find(|d| d["kind"] == "resolved" && d["status"] == "sent")
    });
}

#[test]
fn a_reconnect_and_a_limit_pause_alert_each_destination_that_chose_that_kind() {
    let env = Env::new(
        &["--no-rate-limit", "--records", "200"],
        "[sync]\nmax_retry_wait_secs = 1\n",
    );
    let uk = env.connect(UK)["id"].as_i64().unwrap();
    let us = env.connect("Northwind Outfitters Inc.")["id"]
        .as_i64()
        .unwrap();
    env.sync(uk);
    env.sync(us);
    let teams = add(&env, &["teams", "--sandbox"]);
    let slack = add(&env, &["slack", "--webhook", "--sandbox"]);
    for (id, alerts) in [
        (teams, "sync_failed,needs_reconnect,limit_paused"),
        (slack, "needs_reconnect"),
    ] {
        let out = env.run(&[
            "destinations",
            "set",
            &id.to_string(),
            "--alerts",
            alerts,
            "--report",
            "off",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }

    // Xero's daily limit: the connection's syncs pause; only Teams asked to hear of it.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "rate_limit", "retry_after_secs": 43200, "problem": "day", "count": 1}),
    );
    failing_sync(&env, us);
    let c = connection(&env, us);
    assert!(c["paused_until_ms"].is_i64(), "{c}");
    let cards = teams_messages(&env);
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert!(
        cards[0]["card"].to_string().contains("paused"),
        "{}",
        cards[0]
    );
    assert!(slack_messages(&env).is_empty());

    // A revoked grant: both hear that the UK organisation needs reconnecting, once.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "revoke_grant", "count": 1}),
    );
    failing_sync(&env, uk);
    for _ in 0..3 {
        env.json(&["alerts", "--check", "--json"]);
    }
    let cards = teams_messages(&env);
    assert_eq!(cards.len(), 2, "{cards:?}");
    let slack_alerts = slack_messages(&env);
    assert_eq!(slack_alerts.len(), 1, "{slack_alerts:?}");
    let card = cards[1]["card"].to_string();
    assert!(card.contains("Reconnect") && card.contains(UK), "{card}");
    // Slack's mrkdwn escapes `&`.
    let blocks = slack_alerts[0]["blocks"].to_string();
    assert!(
        blocks.contains("Reconnect") && blocks.contains("Harbour &amp; Pine Ltd"),
        "{blocks}"
    );
    let incidents = env.json(&["alerts", "--json"])["incidents"].clone();
    let kinds: Vec<&str> = incidents
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["needs_reconnect", "limit_paused"]);
}

#[test]
fn what_would_mislead_is_refused_in_words_and_a_removed_destination_keeps_its_history() {
    let (env, _) = synced("");
    let period = latest_month(&env);
    // A month with nothing synced would be a report of zeros.
    let out = env.run(&["report", "preview", "--period", "2030-01"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains("Nothing was synced for January 2030") && said.contains(&period),
        "{said}"
    );

    // Two destinations with one name: sending by that name asks for the id. Adding the
    // sandbox's workflow again is the same destination.
    let a = add(&env, &["teams", "--sandbox", "--name", "ESG"]);
    assert_eq!(add(&env, &["teams", "--sandbox", "--name", "ESG"]), a);
    let b = add(&env, &["slack", "--webhook", "--sandbox", "--name", "ESG"]);
    assert_ne!(a, b);
    let out = env.run(&["report", "send", "--to", "ESG", "--period", &period]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("2 destinations are called"),
        "{}",
        stderr(&out)
    );

    // Settings that change nothing, or name a connection that does not exist.
    for (args, words) in [
        (
            vec!["destinations", "set", &a.to_string()],
            "Nothing to change",
        ),
        (
            vec!["destinations", "set", &a.to_string(), "--connections", "99"],
            "no connection 99",
        ),
        (
            vec!["destinations", "set", &a.to_string(), "--alerts", ""],
            "--alerts is empty",
        ),
    ] {
        let out = env.run(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(words), "{args:?}: {}", stderr(&out));
    }

    // Removed, its history is still there to read.
    let sent = env.json(&[
        "report",
        "send",
        "--to",
        &a.to_string(),
        "--period",
        &period,
        "--json",
    ]);
    assert_eq!(sent["status"], "sent");
    let out = env.run(&["destinations", "remove", &a.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(history(&env, a).len(), 1);
    let out = env.run(&["destinations", "history", "999"]);
    assert!(!out.status.success());
}
