//! A failure that may pass is retried before the next tick, with growing waits.

use crate::scheduler_helpers::*;
use crate::support::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn a_passing_failure_is_retried_before_the_next_tick_with_growing_waits_until_it_succeeds() {
    // One attempt per request, so each 503 below fails one whole sync; retries wait
    // 1, 2, 4 … seconds (the base is `max_retry_wait_secs`).
    let env = Env::new(
        &["--no-rate-limit", "--records", "200"],
        "[sync]\nmax_attempts = 1\nmax_retry_wait_secs = 1\n",
    );
    let id = env.connect(US)["id"].as_i64().unwrap();
    // A schedule whose next tick is months away: every scheduled run below is a retry.
    let out = env.run(&["schedule", &id.to_string(), "0 0 0 1 1 *"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "status", "status": 503, "count": 4, "path_contains": "BankTransactions"}),
    );

    // The first failure, from the command line.
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    let c = connection(&env, id);
    assert_eq!(c["failure_streak"], 1, "{c}");
    assert_eq!(c["schedule_stopped"], false, "{c}");
    let retry_at = c["paused_until_ms"].as_i64().expect("a retry is planned");
    let delay = retry_at - ms(&runs(&env, id)[0]["finished_at"]);
    assert!(
        (500..=3_000).contains(&delay),
        "the first retry waits half to one base: {delay} ms"
    );
    let listing = connections_text(&env);
    assert!(
        listing.contains("Retrying at") && listing.contains("(1 failure)"),
        "{listing}"
    );

    // The daemon retries it three more times, then the platform answers.
    let daemon = Daemon::start(&env);
    wait_for(Duration::from_secs(90), "a retry that succeeds", || {
        runs(&env, id)
            .iter()
            .any(|r| r["status"] == "succeeded")
            .then_some(())
    });
    // Nothing more is planned after a success.
    std::thread::sleep(Duration::from_secs(3));
    let printed = daemon.stop();

    let runs = runs(&env, id);
    let shape: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| {
            (
                r["trigger"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("cli", "failed"),
            ("schedule", "failed"),
            ("schedule", "failed"),
            ("schedule", "failed"),
            ("schedule", "succeeded"),
        ],
        "one run per retry, none after the success"
    );
    assert!(
        runs[..4]
            .iter()
            .all(|r| r["error_code"] == "platform_error"),
        "{runs:?}"
    );
    // The wait after the n-th failure in a row is at least half of 2^(n-1) seconds, and
    // less than 2^(n-1) (plus the time to start a sync): the gaps grow.
    let gap = |k: usize| ms(&runs[k + 1]["started_at"]) - ms(&runs[k]["finished_at"]);
    let gaps: Vec<i64> = (1..4).map(gap).collect();
    assert!(gaps[0] >= 1_000, "after 2 failures: {gaps:?}");
    assert!(gaps[1] >= 2_000, "after 3 failures: {gaps:?}");
    assert!(gaps[2] >= 4_000, "after 4 failures: {gaps:?}");
    assert!(gaps[2] > gaps[0], "{gaps:?}");
    assert!(
        gaps.iter().all(|g| *g < 30_000),
        "retried promptly: {gaps:?}"
    );

    // The success resets the count.
    let c = connection(&env, id);
    assert_eq!(c["failure_streak"], 0, "{c}");
    assert!(c["paused_until_ms"].is_null(), "{c}");
    assert!(!connections_text(&env).contains("Retrying"));
    assert!(
        printed.contains("Retrying at") && printed.contains("synced"),
        "the daemon says what it does: {printed}"
    );
}

#[test]
fn a_manual_connection_is_not_retried_by_itself() {
    let env = Env::new(
        &["--no-rate-limit", "--records", "100"],
        "[sync]\nmax_attempts = 1\nmax_retry_wait_secs = 1\n",
    );
    let id = env.connect(US)["id"].as_i64().unwrap();
    let out = env.run(&["schedule", &id.to_string(), "manual"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "status", "status": 503, "count": 1, "path_contains": "BankTransactions"}),
    );
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    let c = connection(&env, id);
    assert_eq!(c["failure_streak"], 1, "{c}");
    assert!(
        c["paused_until_ms"].is_null(),
        "no retry without a schedule: {c}"
    );

    let daemon = Daemon::start(&env);
    std::thread::sleep(Duration::from_secs(4));
    daemon.stop();
    assert_eq!(runs(&env, id).len(), 1, "only the sync asked for");
}
