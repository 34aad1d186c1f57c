//! The parts every scenario uses: a sandbox process, a fresh data folder and config,
//! and the real `carbonsync` binary run as a subprocess.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const UK: &str = "Harbour & Pine Ltd";
pub const US: &str = "Northwind Outfitters Inc.";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_carbonsync")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `carbonsync sandbox` in its own process, on an ephemeral port.
pub struct Sandbox {
    child: Child,
    pub url: String,
    http: reqwest::blocking::Client,
}

impl Sandbox {
    pub fn start(args: &[&str]) -> Sandbox {
        let mut child = Command::new(bin())
            .arg("sandbox")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the sandbox");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("sandbox prints its address");
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .expect("address on the first line")
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected first line: {line}"
        );
        Sandbox {
            child,
            url,
            http: reqwest::blocking::Client::new(),
        }
    }

    pub fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn calls(&self, endpoint: &str) -> i64 {
        self.get("/_control/stats")["calls"][endpoint]
            .as_i64()
            .unwrap_or(0)
    }

    pub fn tenant_id(&self, name: &str) -> String {
        self.get("/_control/stats")["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["tenantId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Posts a form to the sandbox's token endpoint, as a client would.
    pub fn token_request(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/xero/identity/connect/token", self.url))
            .form(form)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh data folder and config pointing at one sandbox.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub sandbox: Sandbox,
}

impl Env {
    pub fn new(sandbox_args: &[&str], extra_config: &str) -> Env {
        let sandbox = Sandbox::start(sandbox_args);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("carbonsync.toml"),
            format!("[sandbox]\nurl = \"{}\"\n{extra_config}", sandbox.url),
        )
        .unwrap();
        Env { dir, sandbox }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin());
        c.arg("--config")
            .arg(self.dir.path().join("carbonsync.toml"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .env("BROWSER", fixture("browser.sh"))
            .env_remove("CARBONSYNC_TEST_DECISION")
            .env_remove("CARBONSYNC_TEST_TAMPER")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run carbonsync")
    }

    /// Runs `args` and lets the process stop dead (as `kill -9` would) at `step`
    /// (`CARBONSYNC_TEST_CRASH_AT`, which only debug builds obey); fails unless it got there.
    pub fn run_crashing_at(&self, step: &str, args: &[&str]) {
        let out = self
            .cmd()
            .env("CARBONSYNC_TEST_CRASH_AT", step)
            .args(args)
            .output()
            .expect("run carbonsync");
        assert!(!out.status.success(), "{args:?} went through {step}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("stopping at {step}")),
            "{args:?} never reached {step}: {err}"
        );
    }

    /// Runs and expects success; returns stdout parsed as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "carbonsync {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    pub fn connect(&self, tenant: &str) -> Value {
        self.json(&[
            "connect",
            "xero",
            "--tenant",
            tenant,
            "--timeout",
            "30",
            "--json",
        ])
    }

    /// The one sync report of `carbonsync sync <id> --json`.
    pub fn sync(&self, id: i64) -> Value {
        let v = self.json(&["sync", &id.to_string(), "--json"]);
        assert_eq!(v[0]["ok"], true, "sync failed: {v}");
        v[0]["report"]["counts"].clone()
    }

    /// Runs `carbonsync sync <id> --json` twice at the same moment, in two processes, and
    /// returns both outputs once both have ended.
    pub fn two_syncs_at_once(&self, id: &str) -> (Output, Output) {
        let spawn = || {
            self.cmd()
                .args(["sync", id, "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        (a.wait_with_output().unwrap(), b.wait_with_output().unwrap())
    }

    pub fn install_id(&self) -> String {
        let db = rusqlite::Connection::open(self.data_dir().join("carbonsync.sqlite3")).unwrap();
        db.query_row("SELECT value FROM meta WHERE key = 'install_id'", [], |r| {
            r.get(0)
        })
        .unwrap()
    }
}

/// What the keychain holds under `key`, read from outside the app.
pub fn keychain_lookup(key: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "carbonsync", "username", key])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    let s = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// Every keychain entry of the service, as `secret-tool search` lists them. The other
/// tests of this binary add and remove entries of the same service meanwhile, and a search
/// that meets an entry removed under it stops listing with an error: such a search is
/// made again.
pub fn keychain_search_usernames() -> Vec<String> {
    for _ in 0..20 {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "service", "carbonsync"])
            .output()
            .expect("secret-tool");
        // secret-tool prints the attributes on standard error, and its own errors there
        // too, prefixed with its name.
        let err = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() && err.contains("secret-tool:") {
            std::thread::sleep(std::time::Duration::from_millis(50));
            continue;
        }
        return format!("{}{err}", String::from_utf8_lossy(&out.stdout))
            .lines()
            .filter_map(|l| l.strip_prefix("attribute.username = "))
            .map(str::to_string)
            .collect();
    }
    panic!("secret-tool search kept failing")
}

/// All bytes of every file under `dir` (the database with its WAL, the logs).
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    hits.push(p);
                }
            }
        }
    }
    hits
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// A decimal the CLI printed in `--json` (always a string, so no digit is lost); panics with
/// the value when it is not one.
pub fn decimal(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("expected a decimal string, got {v}"))
}

/// Every entry of the ledger dated `from..=to` (`YYYY-MM-DD`), as `emissions --ledger --json`
/// lists them.
pub fn ledger_between(env: &Env, from: &str, to: &str) -> Vec<Value> {
    let listed = env.json(&[
        "emissions",
        "--ledger",
        "--from",
        from,
        "--to",
        to,
        "--limit",
        "1000000",
        "--json",
    ]);
    listed.as_array().expect("a list of entries").clone()
}

/// The counted entries' kg CO2e, summed one by one (not through any totals query).
pub fn counted_kg(entries: &[Value]) -> rust_decimal::Decimal {
    entries
        .iter()
        .filter(|e| e["status"] == "counted")
        .map(|e| decimal(&e["kg_co2e"]))
        .sum()
}

/// The totals kept by month (whole-month selections) equal a pass over the entries (a
/// selection ending on a day that is not a month's last): the same counts and sums, exactly,
/// for the whole ledger and for 2024.
pub fn assert_month_totals_agree(env: &Env) {
    let totals = |args: &[&str]| {
        let mut all = vec!["emissions", "--json"];
        all.extend_from_slice(args);
        env.json(&all)["totals"].clone()
    };
    assert_eq!(
        totals(&[]),
        totals(&["--to", "9999-12-30"]),
        "the whole ledger by month and by entry"
    );
    for by in ["category", "scope"] {
        let groups = |args: &[&str]| {
            let mut all = vec!["emissions", "--json", "--by", by];
            all.extend_from_slice(args);
            env.json(&all)
        };
        assert_eq!(
            groups(&[]),
            groups(&["--to", "9999-12-30"]),
            "the whole ledger by {by}, by month and by entry"
        );
    }
    let by_entry = sum_totals(
        &totals(&["--from", "2024-01-01", "--to", "2024-12-30"]),
        &totals(&["--from", "2024-12-31", "--to", "2024-12-31"]),
    );
    let by_month = totals(&["--from", "2024-01-01", "--to", "2024-12-31"]);
    for field in ["kg_co2e", "spend_usd_2022"] {
        assert_eq!(
            decimal(&by_month[field]),
            decimal(&by_entry[field]),
            "{field}"
        );
    }
    for field in ["counted", "excluded", "unmapped"] {
        assert_eq!(by_month[field], by_entry[field], "{field}");
    }
}

/// Two `totals` objects added field by field (decimals exactly).
fn sum_totals(a: &Value, b: &Value) -> Value {
    let add = |f: &str| (decimal(&a[f]) + decimal(&b[f])).to_string();
    let count = |f: &str| a[f].as_i64().unwrap() + b[f].as_i64().unwrap();
    serde_json::json!({
        "kg_co2e": add("kg_co2e"),
        "spend_usd_2022": add("spend_usd_2022"),
        "counted": count("counted"),
        "excluded": count("excluded"),
        "unmapped": count("unmapped"),
    })
}
