//! The sync log tells the truth after a crash or a full disk: a killed run is settled as
//! interrupted by the next command of any kind (a live one is left alone), and a run that
//! failed for a full disk keeps that cause.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn newest_run(env: &Env, id: i64) -> Value {
    env.json(&["logs", &id.to_string(), "--json"])[0].clone()
}

/// Waits until the database shows a run of `id` marked running (read from outside).
fn wait_for_running(db: &Path, id: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let running = rusqlite::Connection::open_with_flags(
            db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| {
            c.query_row(
                "SELECT count(*) FROM sync_runs WHERE connection_id = ?1 AND status = 'running' AND pages > 0",
                [id],
                |r| r.get::<_, i64>(0),
            )
        })
        .unwrap_or(0);
        if running > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the sync never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_killed_run_is_settled_as_interrupted_by_the_next_command_and_a_live_one_is_not() {
    let env = Env::new(&["--records", "3000"], "[providers.xero]\npage_size = 20\n");
    let id = env.connect(UK)["id"].as_i64().unwrap();
    let db = env.data_dir().join("carbonsync.sqlite3");
    let mut child = env
        .cmd()
        .args(["sync", &id.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_running(&db, id);

    // While the sync runs (and holds its lock), another command leaves it as it is.
    let live = newest_run(&env, id);
    assert_eq!(live["status"], "running", "{live}");

    child.kill().unwrap();
    child.wait().unwrap();
    // Any command settles it; `connections` reads nothing of the runs itself.
    env.json(&["connections", "--json"]);
    let raw: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT status FROM sync_runs WHERE connection_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(raw, "interrupted");
    let run = newest_run(&env, id);
    assert_eq!(run["status"], "interrupted", "{run}");
    assert_eq!(run["error_code"], "interrupted");
    assert!(
        run["error_message"]
            .as_str()
            .unwrap()
            .contains("stopped before it finished"),
        "{run}"
    );
    assert!(run["finished_at"].is_string(), "{run}");
    assert!(
        run["pages"].as_i64().unwrap() > 0,
        "its progress is kept: {run}"
    );
}

/// A small file system mounted on the data folder, so that the disk can really fill up.
/// Needs root (CI runs as root); unmounted when dropped.
struct SmallDisk {
    at: PathBuf,
}

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk {
            at: at.to_path_buf(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

/// Fills the disk under `dir`, but for `spare` bytes, with one file; returns it.
fn fill(dir: &Path, spare: u64) -> PathBuf {
    let out = Command::new("df").arg("-Pk").arg(dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let free_kib: u64 = text
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("df: {text}"));
    let filler = dir.join("filler");
    let size = (free_kib * 1024).saturating_sub(spare);
    let f = std::fs::File::create(&filler).unwrap();
    // Written, not just sized: tmpfs allocates on write.
    use std::io::Write;
    let mut w = std::io::BufWriter::new(f);
    let block = vec![1u8; 64 * 1024];
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        if w.write_all(&block[..n]).is_err() {
            break;
        }
        left -= n as u64;
    }
    let _ = w.flush();
    filler
}

#[test]
fn a_run_that_failed_for_a_full_disk_keeps_that_cause() {
    let env = Env::new(&["--records", "4000"], "[providers.xero]\npage_size = 20\n");
    let Some(_disk) = SmallDisk::mount(&env.data_dir(), "16m") else {
        eprintln!("skipped: mounting a small file system needs root");
        return;
    };
    let id = env.connect(UK)["id"].as_i64().unwrap();
    let db = env.data_dir().join("carbonsync.sqlite3");
    let child = env
        .cmd()
        .args(["sync", &id.to_string(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_running(&db, id);
    // The disk fills up while the sync writes.
    let filler = fill(&env.data_dir(), 0);
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "the sync cannot fit: {}",
        stderr(&out)
    );
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(report[0]["error"]["code"], "disk_full", "{report}");

    // Space is freed; the next commands (which settle runs left running) keep the cause.
    std::fs::remove_file(filler).unwrap();
    env.json(&["connections", "--json"]);
    let run = newest_run(&env, id);
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["error_code"], "disk_full", "{run}");
    assert!(
        run["error_message"]
            .as_str()
            .unwrap()
            .contains("disk is full"),
        "{run}"
    );
    assert!(run["pages"].as_i64().unwrap() > 0, "{run}");
}
