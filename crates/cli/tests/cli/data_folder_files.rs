//! The data folder's files: private permissions, a read-only folder, every kind of damage
//! named with the way out, `carbonsync doctor`, and backups with a restore.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A data folder of its own with no sandbox (these commands never call the platform).
struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn new() -> Folder {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("carbonsync.toml"), "").unwrap();
        Folder { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn db(&self) -> PathBuf {
        self.data().join("carbonsync.sqlite3")
    }

    /// `carbonsync` under umask 022, the usual default that made every file world-readable.
    fn run(&self, args: &[&str]) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg("umask 022; exec \"$0\" \"$@\"")
            .arg(bin())
            .arg("--config")
            .arg(self.dir.path().join("carbonsync.toml"))
            .arg("--data-dir")
            .arg(self.data())
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        out
    }
}

fn side(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

#[test]
fn every_file_is_private_under_umask_022_and_loosened_ones_are_repaired_and_logged() {
    let f = Folder::new();
    f.ok(&["connections"]);
    f.ok(&["doctor", "--backup"]);
    let logs = f.data().join("logs");
    let log_files: Vec<PathBuf> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!log_files.is_empty());
    let backups = f.data().join("backups");
    let backup_files: Vec<PathBuf> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backup_files.len(), 1);
    for dir in [
        f.data(),
        logs.clone(),
        backups.clone(),
        f.data().join("locks"),
    ] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    let mut files = vec![f.db()];
    files.extend(
        ["-wal", "-shm"]
            .map(|s| side(&f.db(), s))
            .into_iter()
            .filter(|p| p.exists()),
    );
    files.extend(log_files.iter().cloned());
    files.extend(backup_files.iter().cloned());
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }

    // Loosened by hand (or by a copy, a restore from elsewhere): the next command repairs
    // them and says so.
    chmod(&f.data(), 0o755);
    chmod(&logs, 0o755);
    chmod(&f.db(), 0o644);
    chmod(&log_files[0], 0o644);
    chmod(&backup_files[0], 0o664);
    let out = f.ok(&["connections"]);
    for dir in [f.data(), logs.clone()] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    for file in [f.db(), log_files[0].clone(), backup_files[0].clone()] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    let said = stderr(&out);
    assert!(
        said.contains(&format!(
            "{} could be read by other users (mode 644); made private (mode 600)",
            f.db().display()
        )),
        "{said}"
    );
    let logged: String = log_files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(logged.contains("made private"), "in the log file: {logged}");
}

/// What a command prints when the database is damaged: the file, the cause, the way out.
fn assert_named_with_the_way_out(out: &Output, db: &Path, cause: &str) {
    assert!(!out.status.success());
    let said = stderr(out);
    assert!(
        said.contains(&db.display().to_string()),
        "names the file: {said}"
    );
    assert!(said.contains(cause), "says the cause ({cause}): {said}");
    assert!(
        said.contains("carbonsync doctor --restore"),
        "says how to restore: {said}"
    );
    assert!(said.contains("move"), "says how to move it aside: {said}");
}

fn assert_doctor_finds(f: &Folder, cause: &str) {
    let out = f.run(&["doctor"]);
    assert!(!out.status.success(), "doctor exits non-zero on a problem");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let line = text
        .lines()
        .find(|l| l.contains("database"))
        .unwrap_or_else(|| panic!("no database line: {text}"));
    assert!(line.contains("PROBLEM") && line.contains(cause), "{text}");
}

/// A database with enough in it to span many pages, closed; its size.
fn filled(f: &Folder) -> usize {
    f.ok(&["connections"]);
    let db = rusqlite::Connection::open(f.db()).unwrap();
    db.execute_batch(
        "CREATE TABLE filler (n INTEGER PRIMARY KEY, text TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO filler SELECT i, hex(randomblob(200)) FROM n;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    drop(db);
    std::fs::metadata(f.db()).unwrap().len() as usize
}

#[test]
fn a_truncated_database_is_named_with_the_way_out_and_doctor_finds_it() {
    let f = Folder::new();
    let len = filled(&f);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(f.db())
        .unwrap();
    file.set_len((len / 3) as u64).unwrap();
    drop(file);
    for cmd in ["connections", "logs", "emissions"] {
        assert_named_with_the_way_out(&f.run(&[cmd]), &f.db(), "truncated");
    }
    assert_doctor_finds(&f, "truncated");
    let out = f.run(&["doctor", "--json"]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let database = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "database")
        .unwrap()
        .clone();
    assert_eq!(database["ok"], false, "{report}");
    assert!(
        database["message"].as_str().unwrap().contains("truncated"),
        "{report}"
    );
    assert_eq!(
        std::fs::metadata(f.db()).unwrap().len() as usize,
        len / 3,
        "untouched"
    );
}

#[test]
fn a_database_of_zeros_is_named_with_the_way_out_and_doctor_finds_it() {
    let f = Folder::new();
    let len = filled(&f);
    std::fs::write(f.db(), vec![0u8; len]).unwrap();
    assert_named_with_the_way_out(&f.run(&["connections"]), &f.db(), "not a database");
    assert_doctor_finds(&f, "not a database");
}

#[test]
fn a_damaged_page_in_the_middle_is_named_with_the_way_out_and_doctor_finds_it() {
    let f = Folder::new();
    let len = filled(&f);
    let mut bytes = std::fs::read(f.db()).unwrap();
    let page = 4096;
    let middle = len / page / 2 * page;
    bytes[middle..middle + page].fill(0x5a);
    std::fs::write(f.db(), &bytes).unwrap();
    assert_named_with_the_way_out(&f.run(&["connections"]), &f.db(), "damaged");
    assert_doctor_finds(&f, "damaged");
}

#[test]
fn an_emptied_or_missing_database_of_a_used_folder_is_not_started_afresh() {
    let f = Folder::new();
    f.ok(&["connections"]);
    let install = install_id(&f.db());
    f.ok(&["doctor", "--backup"]);

    std::fs::write(f.db(), b"").unwrap();
    let out = f.run(&["connections"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains(&f.db().display().to_string()), "{said}");
    assert!(
        said.contains("empty (0 bytes)") && said.contains("1 backup(s)"),
        "{said}"
    );
    assert!(said.contains("carbonsync doctor --restore"), "{said}");
    assert_eq!(
        std::fs::metadata(f.db()).unwrap().len(),
        0,
        "not re-initialised"
    );
    assert_doctor_finds(&f, "empty (0 bytes)");

    std::fs::remove_file(f.db()).unwrap();
    let out = f.run(&["logs"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains("is missing") && said.contains("1 backup(s)"),
        "{said}"
    );
    assert!(!f.db().exists(), "not re-created");
    assert_doctor_finds(&f, "missing");

    // The way out: restore the backup by its name; the same install id comes back, so the
    // keychain entries it names are found again.
    let backup = std::fs::read_dir(f.data().join("backups"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    f.ok(&["doctor", "--restore", backup.to_str().unwrap()]);
    assert_eq!(install_id(&f.db()), install);
    f.ok(&["connections"]);
}

fn install_id(db: &Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT value FROM meta WHERE key = 'install_id'", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn a_schema_update_is_preceded_by_a_backup_that_doctor_restores() {
    let f = Folder::new();
    std::fs::create_dir_all(f.data()).unwrap();
    // A database as the first version of CarbonSync left it.
    let old = rusqlite::Connection::open(f.db()).unwrap();
    old.execute_batch(include_str!("../../../store/migrations/001_initial.sql"))
        .unwrap();
    old.execute_batch(
        "INSERT INTO meta (key, value) VALUES ('install_id', 'first-version');
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(old);

    f.ok(&["connections"]);
    let backups: Vec<PathBuf> = std::fs::read_dir(f.data().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(backups[0].to_string_lossy().ends_with("-schema1.sqlite3"));
    let v: i64 = rusqlite::Connection::open(&backups[0])
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1, "the backup is the database before the update");
    let doctor = String::from_utf8_lossy(&f.ok(&["doctor"]).stdout).to_string();
    assert!(
        doctor.contains(&backups[0].display().to_string()),
        "{doctor}"
    );

    let current = std::fs::read(f.db()).unwrap();
    let out = f.ok(&["doctor", "--restore", backups[0].to_str().unwrap()]);
    let said = stderr(&out);
    assert!(said.contains("Restored the database"), "{said}");
    let aside: Vec<PathBuf> = std::fs::read_dir(f.data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().contains(".before-restore-")
                && !p.to_string_lossy().ends_with("-wal")
                && !p.to_string_lossy().ends_with("-shm")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the replaced file is kept: {said}");
    assert_eq!(std::fs::read(&aside[0]).unwrap().len(), current.len());
    assert_eq!(install_id(&f.db()), "first-version");
}

/// Runs `cmd` without the power to write what its permissions forbid: as root (tests run as
/// root in CI), through `setpriv` with CAP_DAC_OVERRIDE dropped.
fn without_override(cmd: &mut Command) -> Command {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        let mut c = Command::new(cmd.get_program());
        c.args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        return c;
    }
    let mut c = Command::new("setpriv");
    c.args(["--inh-caps=-all", "--bounding-set=-dac_override", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c
}

#[test]
fn read_only_commands_work_on_a_read_only_folder_and_a_write_says_why_not() {
    let env = Env::new(&["--no-rate-limit", "--records", "60"], "");
    let id = env.connect(UK)["id"].as_i64().unwrap();
    env.sync(id);
    let logs_before = env.json(&["logs", "--json"]);
    let emissions_before = env.json(&["emissions", "--json"]);
    let data = env.data_dir();
    let db = data.join("carbonsync.sqlite3");
    // Read-only everywhere, as on a read-only mount or a folder copied from a backup disk.
    let mut everything = vec![db.clone()];
    everything.extend(
        ["-wal", "-shm"]
            .map(|s| side(&db, s))
            .into_iter()
            .filter(|p| p.exists()),
    );
    for p in &everything {
        chmod(p, 0o400);
    }
    for dir in ["logs", "locks", ""] {
        let d = data.join(dir);
        if d.exists() {
            chmod(&d, 0o500);
        }
    }
    let run = |args: &[&str]| without_override(env.cmd().args(args)).output().unwrap();

    // A write is refused by the kernel here (checks the test itself).
    let probe = without_override(Command::new("touch").arg(data.join("probe")))
        .output()
        .unwrap();
    assert!(
        !probe.status.success(),
        "the folder must really be read-only"
    );

    let conns = run(&["connections", "--json"]);
    assert!(conns.status.success(), "{}", stderr(&conns));
    let conns: serde_json::Value = serde_json::from_slice(&conns.stdout).unwrap();
    assert_eq!(conns[0]["tenant_name"], UK);
    let logs = run(&["logs", "--json"]);
    assert!(logs.status.success(), "{}", stderr(&logs));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&logs.stdout).unwrap(),
        logs_before
    );
    let emissions = run(&["emissions", "--json"]);
    assert!(emissions.status.success(), "{}", stderr(&emissions));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&emissions.stdout).unwrap(),
        emissions_before
    );

    let write = run(&["schedule", &id.to_string(), "daily"]);
    assert!(!write.status.success());
    let said = stderr(&write);
    assert!(said.contains(&db.display().to_string()), "{said}");
    assert!(
        said.contains("read-only") && said.contains("permission denied"),
        "{said}"
    );
    assert!(said.contains("chmod u+w"), "says what to do: {said}");
    assert!(!said.contains("unable to open database file"), "{said}");

    let doctor = run(&["doctor"]);
    assert!(!doctor.status.success());
    let text = String::from_utf8_lossy(&doctor.stdout);
    assert!(text.contains("PROBLEM write_access"), "{text}");
    assert!(text.contains("ok      database"), "{text}");

    for p in &everything {
        chmod(p, 0o600);
    }
    for dir in ["logs", "locks", ""] {
        let d = data.join(dir);
        if d.exists() {
            chmod(&d, 0o700);
        }
    }
}
