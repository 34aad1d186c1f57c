//! The review at scale: the real `carbonsync` binary syncs two Xero organisations of
//! `CARBONSYNC_BENCH_RECORDS` records each (470,000 by default: a ledger of about a million
//! entries) from a sandbox process; then, in this process, the application's own
//! calls are timed on that database (median of five, after one warm-up): the review queue's
//! first page (50 entries) for the whole ledger and for one year, a later page, the review's
//! progress, the totals of a year, and a rule that decides about 100,000 purchases, previewed
//! and then saved
//! (saving decides every entry it may change again and writes them); the suppliers' first page;
//! the inventory report of the year (its sums, then its PDF); closing the year, and its totals
//! read from the close.
//!
//!   scripts/with-keyring cargo bench -p carbonsync-cli --bench review_scale
//!   CARBONSYNC_BENCH_RECORDS=100000 scripts/with-keyring cargo bench …
//!
//! With `CARBONSYNC_BENCH_KEEP=DIR`, the synced data folder is kept in `DIR` and a later run
//! with the same `DIR` (and record count) times a copy of it instead of syncing again.

mod support;

use carbonsync_core::{
    App, Classification, LedgerFilter, OpenOptions, Period, ReviewAction, RuleInput, RuleMatch,
};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Milliseconds `f` takes: one warm-up, then the median of five.
fn timed<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut last = f();
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        last = f();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    (median(times), last)
}

/// Syncs both sandbox organisations of `records` records each into `data` with the real
/// binary; returns the seconds it took and the peak RSS in MB.
fn sync(bin: &str, records: usize, config: &Path, data: &Path) -> (f64, f64) {
    let browser = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/browser.sh");
    let (mut sandbox, url) =
        support::start_sandbox(bin, &["--no-rate-limit", "--records", &records.to_string()]);
    std::fs::write(
        config,
        format!("[sandbox]\nurl = \"{url}\"\n[providers.xero]\npage_size = 1000\n"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data)
            .env("BROWSER", browser)
            .args(args);
        let (out, seconds, mb) = support::run_measured(&mut c);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (seconds, mb)
    };
    let (mut synced_s, mut sync_mb) = (0.0, 0f64);
    for (id, tenant) in [(1, "Northwind Outfitters Inc."), (2, "Harbour & Pine Ltd")] {
        run(&["connect", "xero", "--tenant", tenant]);
        let (s, mb) = run(&["sync", &id.to_string()]);
        synced_s += s;
        sync_mb = sync_mb.max(mb);
    }
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    (synced_s, sync_mb)
}

/// Copies the files of folder `from`, one level (the data folder's database; its `logs/` is
/// not needed).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in std::fs::read_dir(from).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            let copy = to.join(f.file_name());
            std::fs::copy(f.path(), &copy).unwrap();
            // On disk before anything is timed: the kernel writing half a gigabyte back in
            // the middle of a measurement would be measured with it.
            std::fs::File::open(&copy).unwrap().sync_all().unwrap();
        }
    }
}

fn main() {
    let records: usize = std::env::var("CARBONSYNC_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(470_000);
    let bin = env!("CARGO_BIN_EXE_carbonsync");
    let dir = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("CARBONSYNC_BENCH_KEEP")
        .map(|d| std::path::PathBuf::from(d).join(format!("{records}-records")));
    let (config, data) = (dir.path().join("carbonsync.toml"), dir.path().join("data"));
    let (synced_s, sync_mb) = match &kept {
        Some(k) if k.join("data").is_dir() => {
            copy_dir(&k.join("data"), &data);
            std::fs::copy(k.join("carbonsync.toml"), &config).unwrap();
            (0.0, 0.0)
        }
        _ => {
            let measured = sync(bin, records, &config, &data);
            if let Some(k) = &kept {
                copy_dir(&data, &k.join("data"));
                std::fs::copy(&config, k.join("carbonsync.toml")).unwrap();
            }
            measured
        }
    };

    let app = App::open(&OpenOptions {
        config_file: Some(config.clone()),
        data_dir: Some(data.clone()),
    })
    .unwrap();
    let everything = LedgerFilter::default();
    let total = app.emissions(None, &everything).unwrap().totals;
    let entries = total.counted + total.excluded + total.unmapped;
    let year = LedgerFilter {
        from: Some("2024-01-01".into()),
        to: Some("2024-12-31".into()),
        ..Default::default()
    };

    let (queue_all_ms, q) = timed(|| app.review_queue_items(&everything, 0, 50).unwrap());
    let (queue_year_ms, _) = timed(|| app.review_queue_items(&year, 0, 50).unwrap());
    let (queue_later_ms, _) = timed(|| app.review_queue_items(&year, 5000, 50).unwrap());
    let (progress_all_ms, _) = timed(|| app.review_progress(&everything).unwrap());
    let (progress_year_ms, _) = timed(|| app.review_progress(&year).unwrap());
    let (totals_ms, _) = timed(|| app.emissions(None, &year).unwrap());
    let (page_ms, _) = timed(|| app.ledger_page(&year, 0, 50).unwrap());

    // A rule on the amount alone, its bound chosen so that it decides about 100,000 purchases
    // (lines the record itself settles, such as transfers and income, are not a rule's).
    let conn = rusqlite::Connection::open(data.join("carbonsync.sqlite3")).unwrap();
    let bound: String = conn
        .query_row(
            "SELECT net_amount FROM ledger WHERE status IN ('counted', 'unmapped')
             ORDER BY CAST(net_amount AS REAL) LIMIT 1 OFFSET 100000",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let rule = RuleInput {
        name: "Small purchases".into(),
        matches: RuleMatch {
            amount_max: Some(bound.parse().unwrap()),
            ..RuleMatch::default()
        },
        classification: Classification {
            action: ReviewAction::Reclassify,
            category: Some("Office supplies".into()),
            factor_code: Some("453210".into()),
            scope3_category: Some(1),
            ..Classification::default()
        },
    };
    let (preview_ms, preview) = timed(|| app.preview_rule(&rule, None).unwrap());
    let start = Instant::now();
    let saved = app.add_rule(&rule, Some("bench")).unwrap();
    let save_ms = start.elapsed().as_secs_f64() * 1000.0;

    let (suppliers_ms, _) = timed(|| app.suppliers(&year, 0, 50).unwrap());
    let period = Period::parse("2024", 1).unwrap();
    let (report_ms, report) = timed(|| app.inventory_report(&period, None).unwrap());
    let (pdf_ms, pdf) = timed(|| report.to_pdf().unwrap());
    let start = Instant::now();
    app.close_period(&period, Some("bench")).unwrap();
    let close_ms = start.elapsed().as_secs_f64() * 1000.0;
    let (closed_totals_ms, _) = timed(|| app.emissions(None, &year).unwrap());

    if synced_s > 0.0 {
        println!(
            "records synced: {records} per organisation, 2 organisations, in {synced_s:.0} s \
             (peak RSS {sync_mb:.0} MB)"
        );
    } else {
        println!("records: {records} per organisation, 2 organisations, synced by an earlier run");
    }
    println!(
        "ledger entries: {entries}; first queue page holds {}",
        q.len()
    );
    println!("{:<52} {:>10}", "what", "ms");
    println!(
        "{:<52} {:>10.1}",
        "review queue, first 50, whole ledger", queue_all_ms
    );
    println!(
        "{:<52} {:>10.1}",
        "review queue, first 50, 2024", queue_year_ms
    );
    println!(
        "{:<52} {:>10.1}",
        "review queue, 50 from the 5,001st, 2024", queue_later_ms
    );
    println!(
        "{:<52} {:>10.1}",
        "review progress, whole ledger", progress_all_ms
    );
    println!("{:<52} {:>10.1}", "review progress, 2024", progress_year_ms);
    println!("{:<52} {:>10.1}", "totals of 2024", totals_ms);
    println!("{:<52} {:>10.1}", "ledger page, first 50, 2024", page_ms);
    println!(
        "{:<52} {:>10.1}",
        format!("rule preview ({} entries change)", preview.changes),
        preview_ms
    );
    println!(
        "{:<52} {:>10.1}",
        format!("rule saved and applied ({} entries decided)", saved.entries),
        save_ms
    );
    println!("{:<52} {:>10.1}", "suppliers, first 50, 2024", suppliers_ms);
    println!(
        "{:<52} {:>10.1}",
        "inventory report of 2024 (sums)", report_ms
    );
    println!(
        "{:<52} {:>10.1}",
        format!("its PDF ({} KB)", pdf.len() / 1024),
        pdf_ms
    );
    println!(
        "{:<52} {:>10.1}",
        "closing 2024 (copying its entries)", close_ms
    );
    println!(
        "{:<52} {:>10.1}",
        "totals of 2024, closed", closed_totals_ms
    );
}
