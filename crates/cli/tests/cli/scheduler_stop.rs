//! A failure that retrying cannot fix stops the schedule until the person acts.

use crate::scheduler_helpers::*;
use crate::support::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn withdrawn_access_stops_the_schedule_until_reconnect_and_sync_now() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let id = env.connect(US)["id"].as_i64().unwrap();
    let out = env.run(&["schedule", &id.to_string(), "*/2 * * * * *"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.sandbox
        .post("/_control/faults", json!({"kind": "revoke_grant"}));

    let daemon = Daemon::start(&env);
    wait_for(Duration::from_secs(60), "the schedule to stop", || {
        (connection(&env, id)["schedule_stopped"] == true).then_some(())
    });
    // Three more ticks go by without a sync.
    std::thread::sleep(Duration::from_secs(7));
    let log = runs(&env, id);
    assert_eq!(log.len(), 1, "no sync on the following ticks: {log:?}");
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["error_code"], "needs_reconnect");

    let c = connection(&env, id);
    assert_eq!(c["status"], "needs_reconnect", "{c}");
    assert!(
        c["pause_reason"]
            .as_str()
            .is_some_and(|r| r.contains("no longer accepts")),
        "says why: {c}"
    );
    let listing = connections_text(&env);
    assert!(listing.contains("Schedule stopped: "), "{listing}");
    assert!(
        listing.contains("carbonsync connect xero"),
        "says what to do: {listing}"
    );

    // Sync now always runs, even while stopped; it cannot help before reconnecting.
    let out = env.run(&["sync", &id.to_string()]);
    assert!(!out.status.success());
    assert_eq!(runs(&env, id).len(), 2, "the sync asked for ran");
    assert_eq!(connection(&env, id)["schedule_stopped"], true);

    // Reconnecting is acting on it: the schedule runs again, and so does Sync now.
    let again = env.connect(US);
    assert_eq!(again["id"], id, "the same connection comes back");
    let c = connection(&env, id);
    assert_eq!(c["schedule_stopped"], false, "{c}");
    assert_eq!(c["status"], "active", "{c}");
    env.sync(id);
    wait_for(
        Duration::from_secs(60),
        "a scheduled sync after reconnecting",
        || {
            runs(&env, id)
                .iter()
                .any(|r| r["trigger"] == "schedule" && r["status"] == "succeeded")
                .then_some(())
        },
    );
    let printed = daemon.stop();
    assert!(printed.contains("Schedule stopped"), "{printed}");
    assert!(!connections_text(&env).contains("stopped"));
}

#[test]
fn a_refused_request_stops_the_schedule_and_a_successful_sync_now_restarts_it() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let id = env.connect(US)["id"].as_i64().unwrap();
    let out = env.run(&["schedule", &id.to_string(), "*/2 * * * * *"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A 400 is never retried: the request itself is refused.
    env.sandbox.post(
        "/_control/faults",
        json!({"kind": "status", "status": 400, "count": 1, "path_contains": "BankTransactions"}),
    );

    let daemon = Daemon::start(&env);
    wait_for(Duration::from_secs(60), "the schedule to stop", || {
        (connection(&env, id)["schedule_stopped"] == true).then_some(())
    });
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(runs(&env, id).len(), 1, "no sync on the following ticks");
    let c = connection(&env, id);
    assert_eq!(c["status"], "active", "the sign-in is fine: {c}");
    let listing = connections_text(&env);
    assert!(
        listing.contains("Schedule stopped: ")
            && listing.contains(&format!("carbonsync sync {id}")),
        "says why and what to do: {listing}"
    );

    // The cause is gone (the fault was used up): Sync now succeeds and the schedule
    // runs on the next ticks.
    env.sync(id);
    assert_eq!(connection(&env, id)["schedule_stopped"], false);
    wait_for(
        Duration::from_secs(60),
        "a scheduled sync after Sync now",
        || {
            runs(&env, id)
                .iter()
                .any(|r| r["trigger"] == "schedule" && r["status"] == "succeeded")
                .then_some(())
        },
    );
    daemon.stop();
}
