//! Cloud sync at scale: the real `carbonsync` binary connects the sandbox's account of each
//! cloud provider (AWS, Azure, Google Cloud) whose generated estate is 10 accounts ×
//! 50 services × 20 regions, every combination in use, over two years, and syncs it in full
//! into a real SQLite file with the real keychain. Prints, per provider, the rows imported,
//! seconds, rows/s, calls and peak RSS of the full sync, and the calls and seconds of an
//! unchanged incremental sync after it.
//!
//!   scripts/with-keyring cargo bench -p carbonsync-cli --bench cloud_sync
//!   CARBONSYNC_BENCH_CLOUDS=aws CARBONSYNC_BENCH_CLOUD_SCALE=3x24x5 \
//!     scripts/with-keyring cargo bench -p carbonsync-cli --bench cloud_sync

mod support;

use std::process::Command;
use std::time::Instant;

fn main() {
    let scale = std::env::var("CARBONSYNC_BENCH_CLOUD_SCALE").unwrap_or_else(|_| "10x50x20".into());
    let clouds: Vec<String> = std::env::var("CARBONSYNC_BENCH_CLOUDS")
        .unwrap_or_else(|_| "aws,azure,gcp".into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    println!("estate: {scale} (accounts x services x regions), 24 months");
    println!(
        "{:>6} {:>10} {:>9} {:>10} {:>7} {:>14} {:>17} {:>17}",
        "cloud",
        "rows",
        "seconds",
        "rows/s",
        "calls",
        "peak RSS (MB)",
        "unchanged: calls",
        "unchanged: secs"
    );
    for cloud in &clouds {
        bench(cloud, &scale);
    }
}

fn bench(cloud: &str, scale: &str) {
    let bin = env!("CARGO_BIN_EXE_carbonsync");
    let (mut sandbox, url) =
        support::start_sandbox(bin, &["--no-rate-limit", "--cloud-scale", scale]);

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(&config, format!("[sandbox]\nurl = \"{url}\"\n")).unwrap();
    let command = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(args);
        c
    };
    let connect = command(&["connect", cloud, "--sandbox", "--json"])
        .output()
        .expect("run carbonsync connect");
    assert!(
        connect.status.success(),
        "{}",
        String::from_utf8_lossy(&connect.stderr)
    );

    let (sync, seconds, peak_mb) = support::run_measured(&mut command(&["sync", "1", "--json"]));
    assert!(sync.status.success(), "sync failed");
    let report: serde_json::Value = serde_json::from_slice(&sync.stdout).unwrap();
    assert_eq!(report[0]["ok"], true, "sync failed: {report}");
    let counts = &report[0]["report"]["counts"];
    let rows = counts["created"].as_f64().unwrap();

    let again_start = Instant::now();
    let again = command(&["sync", "1", "--json"]).output().unwrap();
    let again_seconds = again_start.elapsed().as_secs_f64();
    assert!(again.status.success(), "incremental sync failed");
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    println!(
        "{:>6} {:>10} {:>9.2} {:>10.0} {:>7} {:>14.1} {:>17} {:>17.2}",
        cloud,
        rows,
        seconds,
        rows / seconds,
        counts["calls"],
        peak_mb,
        again[0]["report"]["counts"]["calls"],
        again_seconds
    );
    let _ = sandbox.kill();
    let _ = sandbox.wait();
}
