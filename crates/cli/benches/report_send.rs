//! The monthly ESG report at scale: the real `carbonsync` binary syncs one Xero organisation of
//! N records from a sandbox process, then composes the latest month's report (13 months of
//! totals, categories, suppliers, the chart) and sends it to the sandbox's Teams workflow with
//! its chart. Prints, per N: ledger entries, the preview's and the send's wall time (median of
//! five runs, process start included), peak RSS, and the bytes of the chart and of the card.
//!
//!   scripts/with-keyring cargo bench -p carbonsync-cli --bench report_send
//!   CARBONSYNC_BENCH_SIZES=10000 scripts/with-keyring cargo bench …

mod support;

use std::process::Command;

fn main() {
    let sizes: Vec<usize> = std::env::var("CARBONSYNC_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,500000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "{:>8} {:>9} {:>13} {:>11} {:>14} {:>11} {:>11}",
        "N", "entries", "preview (ms)", "send (ms)", "peak RSS (MB)", "chart (B)", "card (B)"
    );
    for n in sizes {
        bench(n);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn bench(n: usize) {
    let bin = env!("CARGO_BIN_EXE_carbonsync");
    let browser = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/browser.sh");
    let (mut sandbox, url) =
        support::start_sandbox(bin, &["--no-rate-limit", "--records", &n.to_string()]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("carbonsync.toml");
    std::fs::write(
        &config,
        format!("[sandbox]\nurl = \"{url}\"\n[providers.xero]\npage_size = 1000\n"),
    )
    .unwrap();
    let cmd = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env("BROWSER", browser)
            .args(args);
        c
    };
    let run = |args: &[&str]| {
        let out = cmd(args).output().expect("run carbonsync");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    run(&["connect", "xero", "--tenant", "Northwind Outfitters Inc."]);
    run(&["sync", "1"]);
    run(&["connect", "teams", "--sandbox"]);
    let totals: serde_json::Value =
        serde_json::from_slice(&run(&["emissions", "--json"]).stdout).unwrap();
    let t = &totals["totals"];
    let entries = t["counted"].as_i64().unwrap()
        + t["excluded"].as_i64().unwrap()
        + t["unmapped"].as_i64().unwrap();

    let mut preview = Vec::new();
    let mut send = Vec::new();
    let mut peak = 0f64;
    for _ in 0..5 {
        let (out, seconds, mb) = support::run_measured(&mut cmd(&[
            "report", "preview", "--period", "latest", "--json",
        ]));
        assert!(out.status.success());
        preview.push(seconds * 1000.0);
        peak = peak.max(mb);
        let (out, seconds, mb) = support::run_measured(&mut cmd(&[
            "report", "send", "--to", "1", "--period", "latest",
        ]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        send.push(seconds * 1000.0);
        peak = peak.max(mb);
    }
    let cards: serde_json::Value = reqwest::blocking::get(format!("{url}/_control/teams/messages"))
        .unwrap()
        .json()
        .unwrap();
    let last = cards.as_array().unwrap().last().unwrap().clone();
    println!(
        "{:>8} {:>9} {:>13.0} {:>11.0} {:>14.1} {:>11} {:>11}",
        n,
        entries,
        median(preview),
        median(send),
        peak,
        last["images"][0]["size"],
        last["bytes"]
    );
    let _ = sandbox.kill();
    let _ = sandbox.wait();
}
