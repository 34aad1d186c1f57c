use crate::support::*;
use std::time::Duration;

#[test]
fn the_daemon_syncs_on_each_connections_schedule_without_bursts() {
    let env = Env::new(&["--no-rate-limit", "--records", "200"], "");
    let id = env.connect(US)["id"].as_i64().unwrap().to_string();
    let out = env.run(&["schedule", &id, "*/2 * * * * *"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut daemon = env.cmd().arg("daemon").spawn().unwrap();
    std::thread::sleep(Duration::from_secs(9));
    // Ctrl-C, as a person stops it.
    let _ = std::process::Command::new("kill")
        .args(["-INT", &daemon.id().to_string()])
        .status();
    let status = daemon.wait().unwrap();
    assert!(status.success(), "the daemon stops cleanly on Ctrl-C");

    let logs = env.json(&["logs", &id, "--json"]);
    let runs = logs.as_array().unwrap();
    assert!(runs.len() >= 2, "ran on schedule: {logs}");
    assert!(
        runs.len() <= 5,
        "one run per two-second tick at most: {}",
        runs.len()
    );
    assert!(
        runs.iter()
            .all(|r| r["trigger"] == "schedule" && r["status"] == "succeeded"),
        "{logs}"
    );
}
