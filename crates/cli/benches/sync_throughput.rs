//! End-to-end sync throughput: the real `carbonsync` binary syncs one organisation (Xero) or
//! company (QuickBooks Online) of N records from a sandbox process (rate limit off, 1,000
//! records a page) into a real SQLite file, with the real keychain. Prints, per platform and N,
//! records/s, calls and peak RSS of the full sync, and the calls of an unchanged incremental
//! sync after it.
//!
//!   scripts/with-keyring cargo bench -p carbonsync-cli --bench sync_throughput
//!   CARBONSYNC_BENCH_SIZES=10000,100000 CARBONSYNC_BENCH_PLATFORMS=quickbooks \
//!     scripts/with-keyring cargo bench …

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

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
        let mut sandbox = Command::new(bin)
            .args(["sandbox", "--no-rate-limit", "--records", &n.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start sandbox");
        let mut line = String::new();
        BufReader::new(sandbox.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_string();

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

        let start = Instant::now();
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["sync", "1", "--json"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run carbonsync sync");
        // VmHWM is the process's own high-water mark, so sampling it until the
        // process exits gives its peak resident set.
        let status_path = format!("/proc/{}/status", child.id());
        let mut peak_kb = 0u64;
        while child.try_wait().unwrap().is_none() {
            if let Some(kb) = std::fs::read_to_string(&status_path)
                .ok()
                .and_then(|s| vm_hwm_kb(&s))
            {
                peak_kb = peak_kb.max(kb);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let sync = child.wait_with_output().unwrap();
        let seconds = start.elapsed().as_secs_f64();
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
            peak_kb as f64 / 1024.0,
            again[0]["report"]["counts"]["calls"]
        );
        let _ = sandbox.kill();
        let _ = sandbox.wait();
    }
}

fn vm_hwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
