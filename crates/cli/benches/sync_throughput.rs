//! End-to-end sync throughput: the real `carbonsync` binary syncs one organisation (Xero) or
//! company (QuickBooks Online) of N records from a sandbox process (rate limit off, 1,000
//! records a page) into a real SQLite file, with the real keychain. Prints, per platform and N,
//! records/s, calls and peak RSS of the full sync, and the calls of an unchanged incremental
//! sync after it.
//!
//!   scripts/with-keyring cargo bench -p carbonsync-cli --bench sync_throughput
//!   CARBONSYNC_BENCH_SIZES=10000,100000 CARBONSYNC_BENCH_PLATFORMS=quickbooks \
//!     scripts/with-keyring cargo bench …

mod support;

use std::process::Command;

fn main() {
    let sizes: Vec<usize> = std::env::var("CARBONSYNC_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let platforms: Vec<String> = std::env::var("CARBONSYNC_BENCH_PLATFORMS")
        .unwrap_or_else(|_| "xero,quickbooks".into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    println!(
        "{:>11} {:>10} {:>10} {:>9} {:>12} {:>7} {:>14} {:>18}",
        "platform",
        "N",
        "fetched",
        "seconds",
        "records/s",
        "calls",
        "peak RSS (MB)",
        "unchanged: calls"
    );
    for platform in &platforms {
        for &n in &sizes {
            bench(platform, n);
        }
    }
}

fn bench(platform: &str, n: usize) {
    let bin = env!("CARGO_BIN_EXE_carbonsync");
    let browser = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/browser.sh");
    {
        let (mut sandbox, url) =
            support::start_sandbox(bin, &["--no-rate-limit", "--records", &n.to_string()]);

        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("carbonsync.toml");
        std::fs::write(
            &config,
            format!("[sandbox]\nurl = \"{url}\"\n[providers.{platform}]\npage_size = 1000\n"),
        )
        .unwrap();
        let run = |args: &[&str]| {
            Command::new(bin)
                .arg("--config")
                .arg(&config)
                .arg("--data-dir")
                .arg(dir.path().join("data"))
                .env("BROWSER", browser)
                .args(args)
                .output()
                .expect("run carbonsync")
        };
        let connect = if platform == "xero" {
            run(&[
                "connect",
                "xero",
                "--tenant",
                "Northwind Outfitters Inc.",
                "--json",
            ])
        } else {
            run(&["connect", platform, "--json"])
        };
        assert!(
            connect.status.success(),
            "{}",
            String::from_utf8_lossy(&connect.stderr)
        );

        let (sync, seconds, peak_mb) = support::run_measured(
            Command::new(bin)
                .arg("--config")
                .arg(&config)
                .arg("--data-dir")
                .arg(dir.path().join("data"))
                .args(["sync", "1", "--json"]),
        );
        assert!(sync.status.success(), "sync failed");
        let report: serde_json::Value = serde_json::from_slice(&sync.stdout).unwrap();
        let counts = &report[0]["report"]["counts"];
        let fetched = counts["fetched"].as_f64().unwrap();
        let again = run(&["sync", "1", "--json"]);
        assert!(again.status.success(), "incremental sync failed");
        let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
        println!(
            "{:>11} {:>10} {:>10} {:>9.2} {:>12.0} {:>7} {:>14.1} {:>18}",
            platform,
            n,
            fetched,
            seconds,
            fetched / seconds,
            counts["calls"],
            peak_mb,
            again[0]["report"]["counts"]["calls"]
        );
        let _ = sandbox.kill();
        let _ = sandbox.wait();
    }
}
