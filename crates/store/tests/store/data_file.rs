//! The database file itself: its permissions, damage of every kind, backups and restores,
//! and runs left behind by a stopped process.

use carbonsync_store::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A database with a connection in it, closed; its path.
fn database(dir: &Path) -> PathBuf {
    let path = dir.join("data").join("carbonsync.sqlite3");
    let store = Store::open(&path).unwrap();
    super::connection(&store);
    path
}

fn expect_damaged(result: Result<Store>, path: &Path, cause: &str) -> String {
    let e = match result {
        Err(e @ StoreError::Damaged { .. }) => e,
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a damaged file must be refused"),
    };
    let text = e.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "names the file: {text}"
    );
    assert!(text.contains(cause), "says the cause ({cause}): {text}");
    assert!(
        text.contains("carbonsync doctor --restore") && text.contains("move the file aside"),
        "says what to do: {text}"
    );
    text
}

#[test]
fn a_new_database_and_its_folder_are_private_to_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("carbonsync.sqlite3");
    let store = Store::open(&path).unwrap();
    super::connection(&store);
    assert_eq!(mode(&path), 0o600);
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(mode(&side), 0o600, "{}", side.display());
    }
    assert_eq!(mode(path.parent().unwrap()), 0o700);
}

#[test]
fn a_truncated_file_is_named_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2 + 100).unwrap();
    drop(f);
    expect_damaged(Store::open(&path), &path, "truncated");
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        len / 2 + 100,
        "the damaged file is left as it was"
    );
}

#[test]
fn a_file_of_zeros_is_not_a_database_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    std::fs::write(&path, vec![0u8; len]).unwrap();
    expect_damaged(Store::open(&path), &path, "only zero bytes");
}

#[test]
fn a_damaged_page_in_the_middle_is_found_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    // Enough rows for the runs table to span many pages.
    {
        let store = Store::open(&path).unwrap();
        let id = store.connections().unwrap()[0].id;
        for _ in 0..400 {
            let run = store.start_run(id, "manual", false).unwrap();
            store
                .finish_run(
                    run,
                    RunStatus::Failed,
                    &SyncRunCounts::default(),
                    Some(("network", &"a long message ".repeat(20), "detail")),
                )
                .unwrap();
        }
    }
    let bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    let pages = bytes.len() / page;
    assert!(pages > 20, "{pages} pages");
    let mut damaged = bytes.clone();
    let middle = pages / 2 * page;
    for b in &mut damaged[middle..middle + page] {
        *b = 0x5a;
    }
    std::fs::write(&path, &damaged).unwrap();
    // The header is sound; opening (which reads the schema and the runs' pages as the
    // first query needs) or the start-up check after it finds the damaged page.
    let found = Store::open(&path).and_then(|store| store.startup_check());
    let e = found.expect_err("the damaged page is found");
    let text = e.to_string();
    assert!(matches!(e, StoreError::Damaged { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("carbonsync doctor --restore"), "{text}");
}

#[test]
fn an_emptied_file_is_never_started_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let install = Store::open(&path).unwrap().install_id().unwrap();
    Store::open(&path).unwrap().backup().unwrap();
    std::fs::write(&path, b"").unwrap();
    let e = match Store::open(&path) {
        Err(e @ StoreError::Lost { .. }) => e,
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a 0-byte database must not be re-initialised"),
    };
    let text = e.to_string();
    assert!(text.contains("empty (0 bytes)"), "{text}");
    assert!(text.contains("1 backup(s)"), "{text}");
    assert!(text.contains("carbonsync doctor --restore"), "{text}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left alone");

    // The way out: the backup brings back the same install id (and so the keychain entries).
    let backup = list_backups(&path).remove(0);
    restore(&path, &backup).unwrap();
    assert_eq!(Store::open(&path).unwrap().install_id().unwrap(), install);
}

/// The SQL of the first migration, run by hand: a database as version 1 left it.
fn schema_1_database(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../../migrations/001_initial.sql"))
        .unwrap();
    conn.execute_batch(
        "INSERT INTO meta (key, value) VALUES ('install_id', 'from-version-1');
         PRAGMA user_version = 1;",
    )
    .unwrap();
}

#[test]
fn a_migration_is_preceded_by_a_backup_that_restores() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carbonsync.sqlite3");
    schema_1_database(&path);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.install_id().unwrap(), "from-version-1");
    let backups = list_backups(&path);
    assert_eq!(backups.len(), 1, "{backups:?}");
    let backup = &backups[0];
    assert_eq!(backup.parent().unwrap(), dir.path().join("backups"));
    assert!(
        backup.to_string_lossy().ends_with("-schema1.sqlite3"),
        "{}",
        backup.display()
    );
    assert_eq!(mode(backup), 0o600);
    assert_eq!(mode(backup.parent().unwrap()), 0o700);
    let old = rusqlite::Connection::open(backup).unwrap();
    let v: i64 = old
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1, "the backup is the database before the migration");
    drop(old);
    // Opening again migrates nothing and backs up nothing.
    drop(store);
    drop(Store::open(&path).unwrap());
    assert_eq!(list_backups(&path).len(), 1);

    // Restore: the current file is moved aside, the backup takes its place (and is
    // migrated again, with a backup, on the next open).
    Store::open(&path)
        .unwrap()
        .meta_set("install_id", "changed-after")
        .unwrap();
    let aside = restore(&path, backup)
        .unwrap()
        .expect("the old file is kept");
    assert!(aside.exists());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        Store::open(&path).unwrap().install_id().unwrap(),
        "from-version-1"
    );
}

#[test]
fn only_the_newest_backups_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let store = Store::open(&path).unwrap();
    let made: Vec<PathBuf> = (0..BACKUPS_KEPT + 2)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            store.backup().unwrap()
        })
        .collect();
    let kept = list_backups(&path);
    assert_eq!(kept.len(), BACKUPS_KEPT);
    assert_eq!(kept[0], made[made.len() - 1], "newest first");
}

#[test]
fn a_damaged_backup_is_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let backup = Store::open(&path).unwrap().backup().unwrap();
    let len = std::fs::metadata(&backup).unwrap().len();
    std::fs::write(&backup, vec![0u8; len as usize]).unwrap();
    let e = restore(&path, &backup).expect_err("refused");
    assert!(e.to_string().contains(&backup.display().to_string()), "{e}");
    assert!(Store::open(&path).is_ok(), "the database is untouched");
}

#[test]
fn a_read_only_store_reads_and_says_why_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let store = Store::open_read_only(&path, "the data folder is read-only (test)").unwrap();
    assert_eq!(store.connections().unwrap().len(), 1);
    // Another store opened since (a backup checked, a second folder) does not take over
    // the names in this one's errors.
    let other_dir = tempfile::tempdir().unwrap();
    let other = Store::open(&database(other_dir.path())).unwrap();
    let e = store.meta_set("k", "v").expect_err("no writes");
    let text = e.to_string();
    assert!(matches!(e, StoreError::ReadOnly { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(
        text.contains("the data folder is read-only (test)"),
        "{text}"
    );
    other.meta_set("k", "v").expect("the other store writes");
}

#[test]
fn a_stale_run_is_interrupted_and_a_recorded_error_is_kept() {
    let (_d, store) = super::open();
    let c = super::connection(&store);
    // Killed mid-run: nothing recorded.
    let killed = store.start_run(c.id, "manual", false).unwrap();
    assert_eq!(store.connections_with_running_runs().unwrap(), vec![c.id]);
    assert_eq!(store.settle_stale_runs(c.id).unwrap(), 1);
    // The disk filled: the error made it into the run, its closing did not.
    let full = store.start_run(c.id, "manual", false).unwrap();
    store
        .finish_run(
            full,
            RunStatus::Failed,
            &SyncRunCounts::default(),
            Some(("disk_full", "The disk is full.", "DiskFull")),
        )
        .unwrap();
    rusqlite::Connection::open(store.path())
        .unwrap()
        .execute(
            "UPDATE sync_runs SET status = 'running', finished_at = NULL WHERE id = ?1",
            [full],
        )
        .unwrap();
    assert_eq!(store.settle_stale_runs(c.id).unwrap(), 1);
    assert!(store.connections_with_running_runs().unwrap().is_empty());

    let runs = store.runs(Some(c.id), 10).unwrap();
    let by_id = |id| runs.iter().find(|r| r.id == id).unwrap();
    assert_eq!(by_id(killed).status, RunStatus::Interrupted);
    assert_eq!(
        by_id(killed).error_message.as_deref(),
        Some(INTERRUPTED_MESSAGE)
    );
    assert!(by_id(killed).finished_at.is_some());
    assert_eq!(by_id(full).status, RunStatus::Failed);
    assert_eq!(by_id(full).error_code.as_deref(), Some("disk_full"));
    assert_eq!(
        by_id(full).error_message.as_deref(),
        Some("The disk is full.")
    );
}
