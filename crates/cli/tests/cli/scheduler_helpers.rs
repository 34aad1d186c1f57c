//! What the schedule scenarios share: `carbonsync daemon` as a person runs it, the state
//! `carbonsync connections --json` reports, and the sync log oldest first.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `carbonsync daemon` in its own process; what it prints goes to a file the test reads.
pub struct Daemon {
    child: Option<Child>,
    log: PathBuf,
}

impl Daemon {
    pub fn start(env: &Env) -> Daemon {
        let log = env.dir.path().join("daemon.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = env
            .cmd()
            .arg("daemon")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start the daemon");
        Daemon {
            child: Some(child),
            log,
        }
    }

    /// Ctrl-C, as a person stops it; it must stop cleanly.
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        interrupt(&child);
        let status = child.wait().unwrap();
        assert!(status.success(), "the daemon stops cleanly on Ctrl-C");
        self.printed()
    }

    /// What the daemon printed so far.
    pub fn printed(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            interrupt(&child);
            let _ = child.wait();
        }
    }
}

fn interrupt(child: &Child) {
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
}

/// The connection as `carbonsync connections --json` shows it.
pub fn connection(env: &Env, id: i64) -> Value {
    env.json(&["connections", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("connection {id} is listed"))
        .clone()
}

/// The plain `carbonsync connections` listing.
pub fn connections_text(env: &Env) -> String {
    let out = env.run(&["connections"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The connection's sync log, oldest run first.
pub fn runs(env: &Env, id: i64) -> Vec<Value> {
    let mut runs = env
        .json(&["logs", &id.to_string(), "--limit", "100", "--json"])
        .as_array()
        .unwrap()
        .clone();
    runs.reverse();
    runs
}

/// Polls `check` until it answers, failing with `what` after `limit`. The limits are
/// generous: a busy two-core machine is slow, and only the order of events matters.
pub fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Milliseconds since 1970 of a log time (`2025-03-05T21:30:00.123Z`).
pub fn ms(time: &Value) -> i64 {
    let s = time.as_str().unwrap_or_else(|| panic!("a time: {time}"));
    let n = |a: usize, b: usize| -> i64 { s[a..b].parse().unwrap_or_else(|_| panic!("{s}")) };
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let millis = if s.as_bytes().get(19) == Some(&b'.') {
        n(20, 23)
    } else {
        0
    };
    // Days from 1970-01-01 of a Gregorian date (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + n(11, 13)) * 60 + n(14, 16)) * 60_000 + n(17, 19) * 1000 + millis
}

/// Now, in milliseconds since 1970, as the daemon's clock reads it.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn log_times_read_as_milliseconds_since_1970() {
    assert_eq!(ms(&Value::from("1970-01-01T00:00:01.250Z")), 1250);
    assert_eq!(ms(&Value::from("2025-03-05T21:30:00Z")), 1_741_210_200_000);
    assert_eq!(
        ms(&Value::from("2024-02-29T00:00:00.000Z")),
        1_709_164_800_000
    );
}
