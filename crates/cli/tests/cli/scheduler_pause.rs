//! A platform's daily limit pauses the schedule until the platform's time, and says so.

use crate::scheduler_helpers::*;
use crate::support::*;
use serde_json::json;
use std::time::Duration;

const TWELVE_HOURS_MS: i64 = 12 * 3600 * 1000;

#[test]
fn a_daily_limit_pauses_the_schedule_until_retry_after_and_says_so() {
    let env = Env::new(
        &["--no-rate-limit", "--records", "200"],
        "[sync]\nmax_retry_wait_secs = 1\n",
    );
    let id = env.connect(US)["id"].as_i64().unwrap();
    let out = env.run(&["schedule", &id.to_string(), "*/2 * * * * *"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "rate_limit", "retry_after_secs": 43200, "problem": "day", "count": 1}),
    );

    let daemon = Daemon::start(&env);
    let until = wait_for(Duration::from_secs(60), "the pause", || {
        connection(&env, id)["paused_until_ms"].as_i64()
    });
    let seen_at = now_ms();
    // Three more ticks go by without a sync.
    std::thread::sleep(Duration::from_secs(7));
    let printed = daemon.stop();

    let runs = runs(&env, id);
    assert_eq!(runs.len(), 1, "no sync while paused: {runs:?}");
    assert_eq!(runs[0]["trigger"], "schedule");
    assert_eq!(runs[0]["status"], "failed");
    assert_eq!(runs[0]["error_code"], "rate_limited");
    let failed_at = ms(&runs[0]["finished_at"]);
    assert!(
        until >= failed_at + TWELVE_HOURS_MS && until <= seen_at + TWELVE_HOURS_MS,
        "paused for the 12 hours Xero asked: until {until}, failed at {failed_at}"
    );

    let c = connection(&env, id);
    assert_eq!(c["pause_reason"], "Xero's daily limit", "{c}");
    assert_eq!(c["schedule_stopped"], false, "{c}");
    assert_eq!(c["failure_streak"], 0, "{c}");
    let listing = connections_text(&env);
    assert!(listing.contains("Paused until "), "{listing}");
    assert!(listing.contains(": Xero's daily limit"), "{listing}");
    assert!(
        listing.contains(" today: ") || listing.contains(" tomorrow: "),
        "twelve hours from now is today or tomorrow: {listing}"
    );
    assert!(
        printed.contains("Paused until ") && printed.contains("Xero's daily limit"),
        "the daemon says it too: {printed}"
    );

    // Sync now always runs; once the platform answers again the pause is over.
    env.sync(id);
    let c = connection(&env, id);
    assert!(c["paused_until_ms"].is_null(), "{c}");
    assert!(c["pause_reason"].is_null(), "{c}");
    assert!(!connections_text(&env).contains("Paused"));
}
