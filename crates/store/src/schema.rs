use crate::StoreError;
use rusqlite::OpenFlags;
use rusqlite_migration::{Migrations, M};
use std::path::{Path, PathBuf};

/// Every migration, oldest first. Append only: a released migration never changes.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/001_initial.sql")),
        M::up(include_str!(
            "../migrations/002_paging_set_aside_pauses.sql"
        )),
        M::up(include_str!("../migrations/003_connection_setup.sql")),
        M::up(include_str!("../migrations/004_exact_amounts.sql")),
        M::up(include_str!("../migrations/005_change_feeds.sql")),
        M::up(include_str!("../migrations/006_reported_emissions.sql")),
        M::up(include_str!("../migrations/007_webhook_events.sql")),
        M::up(include_str!("../migrations/008_reported_sources.sql")),
        M::up(include_str!("../migrations/009_notifications.sql")),
        M::up(include_str!("../migrations/010_audit_log.sql")),
        M::up(include_str!("../migrations/011_review.sql")),
        M::up(include_str!("../migrations/012_period_close.sql")),
        M::up(include_str!(
            "../migrations/013_market_factors_and_estimates.sql"
        )),
        M::up(include_str!("../migrations/014_split_lines.sql")),
        M::up(include_str!("../migrations/015_month_totals.sql")),
        M::up(include_str!("../migrations/016_review_queue_indexes.sql")),
        M::up(include_str!("../migrations/017_rule_count_index.sql")),
        M::up(include_str!("../migrations/018_closes_taken_in.sql")),
        M::up(include_str!("../migrations/019_unmapped_by_usd.sql")),
        M::up(include_str!("../migrations/020_audit_head.sql")),
    ])
}

pub(crate) const KNOWN_VERSION: usize = 20;

/// Brings the schema up to date. An existing database is copied to the backups folder
/// first (see [`backup_into`]), so a migration that goes wrong can be undone.
pub(crate) fn migrate(conn: &mut rusqlite::Connection, path: &Path) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > KNOWN_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: KNOWN_VERSION,
        });
    }
    if found == KNOWN_VERSION {
        return crate::audit::restore_protection(conn);
    }
    if found > 0 {
        let backup = backup_into(conn, &backups_dir(path), found)?;
        tracing::info!(
            backup = %backup.display(),
            from = found,
            to = KNOWN_VERSION,
            "backed up the database before updating its schema"
        );
    }
    migrations()
        .to_latest(conn)
        .map_err(|e| StoreError::Migration(e.to_string()))
}

fn schema_version(conn: &rusqlite::Connection) -> Result<usize, StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(found as usize)
}

/// Private modes: only the user who runs CarbonSync reads its data (amounts, suppliers).
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// See [`PRIVATE_DIR_MODE`].
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Up to this size the start-up check reads every page (`PRAGMA quick_check`); a bigger
/// file gets the header and schema checks only, and `carbonsync doctor` reads it all.
/// Measured: 3 to 5 ms a MiB from the page cache (18 MiB of short rows in 60–100 ms,
/// 300 MiB in 1.3 s), and minutes for 300 MiB from a cold disk, so at most ~40 ms here.
pub const QUICK_CHECK_LIMIT_BYTES: u64 = 8 * 1024 * 1024;

/// How many backups are kept in the backups folder; older ones are removed.
pub const BACKUPS_KEPT: usize = 3;

/// The database a store on this thread last touched, and why it is read-only if it is.
/// An error met later in a query (a damaged page, a refused write) arrives as a bare
/// SQLite error; converted on the thread that ran the query, it names that store's file.
/// Per thread, because one process may hold several stores (a backup checked while the
/// database is open, tests side by side), and each access sets it again.
pub(crate) type InUse = std::sync::Arc<(PathBuf, Option<String>)>;

thread_local! {
    static IN_USE: std::cell::RefCell<Option<InUse>> = const { std::cell::RefCell::new(None) };
}

/// Makes `store` the one this thread's errors name.
pub(crate) fn touch(store: &InUse) {
    IN_USE.with(|cell| {
        let mut current = cell.borrow_mut();
        if !current
            .as_ref()
            .is_some_and(|c| std::sync::Arc::ptr_eq(c, store))
        {
            *current = Some(store.clone());
        }
    });
}

fn remember(path: &Path, read_only: Option<&str>) {
    touch(&std::sync::Arc::new((
        path.to_path_buf(),
        read_only.map(str::to_string),
    )));
}

fn in_use() -> Option<InUse> {
    IN_USE.with(|cell| cell.borrow().clone())
}

pub(crate) fn database_in_use() -> PathBuf {
    in_use()
        .map(|c| c.0.clone())
        .unwrap_or_else(|| PathBuf::from("carbonsync.sqlite3"))
}

pub(crate) fn read_only_cause() -> String {
    in_use()
        .and_then(|c| c.1.clone())
        .unwrap_or_else(|| "the file or its folder is not writable".into())
}

/// The folder backups of the database at `db` are kept in: `backups/` next to it.
pub fn backups_dir(db: &Path) -> PathBuf {
    db.parent()
        .unwrap_or_else(|| Path::new("."))
        .join("backups")
}

/// What the start-up check found on disk before SQLite opens the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    Missing,
    /// A file with a sound SQLite header; its size in bytes.
    Present(u64),
}

/// Reads the file's header (100 bytes): missing, empty, not a database, or shorter than
/// the header says (truncated) are told apart without trusting SQLite to notice.
pub fn check_file(path: &Path) -> Result<FileState, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(io(e)),
    };
    let damaged = |cause: String| StoreError::Damaged {
        path: path.to_path_buf(),
        cause,
    };
    if size == 0 {
        let evidence = match list_backups(path).len() {
            0 => "a CarbonSync database is never left empty".to_string(),
            n => format!("{n} backup(s) in {}", backups_dir(path).display()),
        };
        return Err(StoreError::Lost {
            path: path.to_path_buf(),
            state: "empty (0 bytes)",
            evidence,
        });
    }
    let mut header = [0u8; 100];
    let read = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(io)?;
        let mut n = 0;
        while n < header.len() {
            match f.read(&mut header[n..]).map_err(io)? {
                0 => break,
                k => n += k,
            }
        }
        n
    };
    if read < header.len() || &header[..16] != b"SQLite format 3\0" {
        let what = if header[..read].iter().all(|b| *b == 0) {
            "the file holds only zero bytes"
        } else {
            "the file does not start with a SQLite header"
        };
        return Err(damaged(format!("file is not a database: {what}")));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n => u64::from(n),
    };
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(damaged(format!(
            "the header gives an impossible page size ({page_size})"
        )));
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let pages = u64::from(be32(28));
    // The page count in the header is only valid when written by SQLite 3.7+ together
    // with the change counter it matches.
    let count_valid = pages > 0 && be32(24) == be32(92);
    // With frames pending in the `-wal` the file may rightly be short: a checkpoint cut off
    // (a full disk) wrote page 1 but not the pages after it, which the WAL still holds.
    let short = size % page_size != 0 || (count_valid && size < pages * page_size);
    if short && wal_is_empty(path) {
        return Err(damaged(format!(
            "the file is truncated: {size} bytes where the header says {} ({pages} pages of {page_size} bytes)",
            pages * page_size
        )));
    }
    Ok(FileState::Present(size))
}

/// Whether the database at `path` (and its folder, for the `-wal` and `-shm` files SQLite
/// creates next to it) can be written; the reason in words when not.
pub fn write_access(path: &Path) -> Result<(), String> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let why = |what: String, e: std::io::Error| match e.raw_os_error() {
        Some(30) => format!("{what} is on a read-only file system"),
        _ if e.kind() == std::io::ErrorKind::PermissionDenied => {
            format!("{what} is read-only for this user (permission denied)")
        }
        _ => format!("{what} cannot be written ({e})"),
    };
    if path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| why(format!("the file {}", path.display()), e))?;
    }
    let probe = dir.join(format!(".carbonsync-write-test-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(why(format!("the data folder {}", dir.display()), e)),
    }
}

/// Maps an error met while opening or first reading `path` to one that names the file.
fn opening_error(path: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DatabaseCorrupt | C::NotADatabase) => StoreError::Damaged {
            path: path.to_path_buf(),
            cause: e.to_string(),
        },
        Some(C::CannotOpen | C::PermissionDenied | C::ReadOnly) => StoreError::ReadOnly {
            path: path.to_path_buf(),
            cause: write_access(path)
                .err()
                .unwrap_or_else(|| format!("SQLite cannot open it ({e})")),
        },
        _ => StoreError::from(e),
    }
}

fn private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, PRIVATE_DIR_MODE);
    b.create(dir).map_err(|source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Creates `path` empty, readable by its owner only, failing if it exists.
fn private_new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, PRIVATE_FILE_MODE);
    o.open(path)
}

/// The page cache, in KiB as SQLite's negative `cache_size` takes it: 32 MiB.
pub(crate) const CACHE_KIB: i64 = -32 * 1024;

/// The WAL is written back to the database (checkpointed) once it holds this many pages
/// (4 KiB each: 32 MiB).
const WAL_AUTOCHECKPOINT_PAGES: i64 = 8192;

/// What a WAL file is cut back to after it has been written back, in bytes.
const WAL_KEPT_BYTES: i64 = 64 * 1024 * 1024;

/// Commits a transaction that may have written much of the database at `path` on `conn`,
/// and leaves writing its pages back from the WAL into the database file (for a rule that
/// rewrites most of a large ledger, about as long again as the transaction itself) to a
/// thread of its own, as the last part of the work. Readers see the committed data at once
/// either way, the write-back never holds them up, and one that is interrupted (the process
/// ends) is taken up by the next; closing `conn` does not wait for it either.
pub(crate) fn commit_large(
    conn: &mut rusqlite::Connection,
    path: &Path,
    write: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let committed = conn.transaction().map_err(StoreError::from).and_then(|tx| {
        write(&tx)?;
        Ok(tx.commit()?)
    });
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    committed?;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal_bytes = std::fs::metadata(PathBuf::from(wal)).map_or(0, |m| m.len());
    if wal_bytes <= (WAL_AUTOCHECKPOINT_PAGES * 4096) as u64 {
        return Ok(());
    }
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    let path = path.to_path_buf();
    let _ = std::thread::Builder::new()
        .name("wal-checkpoint".into())
        .spawn(move || {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            if let Ok(conn) = rusqlite::Connection::open_with_flags(&path, flags) {
                let _ = conn.busy_timeout(std::time::Duration::from_secs(30));
                // Passive: it never makes the window's reads or a sync's writes wait.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
    Ok(())
}

fn set_pragmas(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    // WAL lets the window read while a sync writes; NORMAL sync is durable at each
    // checkpoint and safe against corruption, which is the right trade for data
    // that can always be fetched again from the platform.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 32 MiB of page cache (the default is 2 MiB): the unique index a sync probes for
    // every record mostly stays in memory, and memory still stays flat however large
    // the ledger grows (a recomputation of many entries raises it for its own transaction:
    // reassess.rs).
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    // Checkpoint the WAL every 32 MiB rather than every 4 MiB: a bulk sync then
    // pays for far fewer checkpoint fsyncs.
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
    // A WAL that one large transaction grew (a rule rewriting much of the ledger) is cut
    // back to this once it has been written back, instead of keeping its size on disk.
    conn.pragma_update(None, "journal_size_limit", WAL_KEPT_BYTES)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(())
}

/// A new database is built under a temporary name and linked into place whole, so no
/// process ever sees a half-made (empty) file at `path`.
fn create_database(path: &Path) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = dir.join(format!(
        ".{}.new-{}-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("db"),
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    private_new_file(&tmp).map_err(io)?;
    let built = (|| {
        let mut conn = rusqlite::Connection::open_with_flags(
            &tmp,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        set_pragmas(&conn)?;
        migrate(&mut conn, &tmp)?;
        // Closing the last connection checkpoints the WAL into the file and removes it.
        conn.close().map_err(|(_, e)| e)?;
        Ok::<_, StoreError>(())
    })();
    let linked = built.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: a rename, after one last look.
        Err(_) if !path.exists() => std::fs::rename(&tmp, path).map_err(io),
        Err(e) => Err(io(e)),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

/// The size of the space kept in reserve next to the database (see [`reserve_path`]).
pub const RESERVE_BYTES: usize = 512 * 1024;

/// A file of [`RESERVE_BYTES`] kept next to the database. When the disk fills up during a
/// sync, it is deleted to make room for recording why the sync stopped, so the log keeps the
/// real cause; it is made again at the next opening with space to spare.
pub fn reserve_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-reserve");
    PathBuf::from(name)
}

/// Makes the reserve file if it is missing (written out, so the space is really taken).
/// A disk too full for it is left as it is.
fn ensure_reserve(db: &Path) {
    let path = reserve_path(db);
    if path.exists() {
        return;
    }
    let tmp = PathBuf::from(format!("{}.{}", path.display(), std::process::id()));
    let written = private_new_file(&tmp).and_then(|mut f| {
        use std::io::Write;
        f.write_all(&vec![0u8; RESERVE_BYTES])?;
        f.sync_all()
    });
    match written {
        Ok(()) => {
            if std::fs::rename(&tmp, &path).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        Err(_) => {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// Frees the reserve; whether there was one to free.
pub(crate) fn release_reserve(db: &Path) -> bool {
    std::fs::remove_file(reserve_path(db)).is_ok()
}

/// Opens the database for reading and writing, creating it when missing.
pub(crate) fn open_read_write(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    if check_file(path)? == FileState::Missing {
        create_database(path)?;
    }
    if let Err(cause) = write_access(path) {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
            cause,
        });
    }
    let mut conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| opening_error(path, e))?;
    remember(path, None);
    set_pragmas(&conn).map_err(|e| opening_error(path, e))?;
    // Every transaction of a writer takes the write lock when it begins. A deferred one
    // starts as a reader and must upgrade at its first write; when another process (a
    // second sync, `carbonsync serve` beside the window) wrote in between, SQLite refuses
    // the upgrade at once with "database is locked", whatever the busy timeout. Taken at
    // the start, the lock is waited for like any other.
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    read_schema(&conn).map_err(|e| opening_error(path, e))?;
    migrate(&mut conn, path)?;
    ensure_reserve(path);
    Ok(conn)
}

/// Opens the database for reading only (`cause` says why it cannot be written). A file
/// whose `-shm` cannot be made (a read-only folder) and that has no pending `-wal` is
/// opened as immutable: nothing can be writing it.
pub(crate) fn open_read_only(path: &Path, cause: &str) -> Result<rusqlite::Connection, StoreError> {
    if check_file(path)? == FileState::Missing {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
            cause: format!("the database does not exist and cannot be created: {cause}"),
        });
    }
    remember(path, Some(cause));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let plain = rusqlite::Connection::open_with_flags(path, flags)
        .and_then(|c| read_schema(&c).map(|()| c));
    let conn = match plain {
        Ok(c) => c,
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
            ) && wal_is_empty(path) =>
        {
            let uri = format!("file:{}?immutable=1", uri_path(path));
            let c = rusqlite::Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
                .map_err(|e| opening_error(path, e))?;
            read_schema(&c).map_err(|e| opening_error(path, e))?;
            c
        }
        Err(e) => return Err(opening_error(path, e)),
    };
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let found = schema_version(&conn)?;
    if found > KNOWN_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: KNOWN_VERSION,
        });
    }
    if found < KNOWN_VERSION {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
            cause: format!(
                "its schema (version {found}) must be updated to version {KNOWN_VERSION} before this version of CarbonSync can read it, and {cause}"
            ),
        });
    }
    Ok(conn)
}

fn wal_is_empty(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).map_or(true, |m| m.len() == 0)
}

/// `path` for a `file:` URI: the characters URIs reserve are escaped.
fn uri_path(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for c in abs.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Reads the schema, which SQLite parses from the first pages: a damaged header or
/// schema page shows here, before any command relies on the file.
fn read_schema(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
}

/// Runs SQLite's own check on every page: `quick` skips the index-content comparison.
/// Returns the problems found, none when the file is sound.
pub(crate) fn integrity_problems(
    conn: &rusqlite::Connection,
    path: &Path,
    quick: bool,
) -> Result<Vec<String>, StoreError> {
    let pragma = if quick {
        "quick_check"
    } else {
        "integrity_check"
    };
    let mut stmt = conn
        .prepare(&format!("PRAGMA {pragma}"))
        .map_err(|e| opening_error(path, e))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| opening_error(path, e))?;
    Ok(rows.into_iter().filter(|r| r != "ok").collect())
}

/// Copies the open database, as it is at this moment, to a new file in `dir` (made
/// private, 0700/0600), then keeps only the newest [`BACKUPS_KEPT`]. The copy is written
/// by SQLite (`VACUUM INTO`, consistent even while others write) under a temporary name
/// and renamed when complete, so a backup file is always whole.
pub(crate) fn backup_into(
    conn: &rusqlite::Connection,
    dir: &Path,
    schema: usize,
) -> Result<PathBuf, StoreError> {
    private_dir(dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let name = format!("carbonsync-{stamp}-schema{schema}.sqlite3");
    let target = dir.join(&name);
    let partial = dir.join(format!(".{name}.partial"));
    let io = |source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    };
    private_new_file(&partial).map_err(io)?;
    let copied = conn.execute("VACUUM INTO ?1", [partial.to_string_lossy()]);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    std::fs::rename(&partial, &target).map_err(io)?;
    for old in list_backups_in(dir).into_iter().skip(BACKUPS_KEPT) {
        let _ = std::fs::remove_file(old);
    }
    Ok(target)
}

/// The backups of the database at `db`, newest first.
pub fn list_backups(db: &Path) -> Vec<PathBuf> {
    list_backups_in(&backups_dir(db))
}

fn list_backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("carbonsync-") && n.ends_with(".sqlite3"))
        })
        .collect();
    // The names start with a UTC time stamp, so the name order is the time order.
    found.sort();
    found.reverse();
    found
}

/// Puts `backup` in the place of the database at `db`, after checking the backup is a
/// sound database. The current file (with its `-wal` and `-shm`) is moved aside, not
/// deleted, to `<db>.before-restore-<time>`; returns that path. Close every CarbonSync
/// window and command using the folder first.
pub fn restore(db: &Path, backup: &Path) -> Result<Option<PathBuf>, StoreError> {
    check_file(backup)?;
    let problems = {
        let conn = rusqlite::Connection::open_with_flags(
            backup,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| opening_error(backup, e))?;
        integrity_problems(&conn, backup, false)?
    };
    if !problems.is_empty() {
        return Err(StoreError::Damaged {
            path: backup.to_path_buf(),
            cause: problems.join("; "),
        });
    }
    let dir = db.parent().unwrap_or_else(|| Path::new("."));
    let io = |p: &Path, source| StoreError::Io {
        path: p.to_path_buf(),
        source,
    };
    // Copy first, under a temporary name in the same folder, so the swap is a rename.
    let tmp = dir.join(format!(".carbonsync-restore-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    {
        let mut out = private_new_file(&tmp).map_err(|e| io(&tmp, e))?;
        let mut src = std::fs::File::open(backup).map_err(|e| io(backup, e))?;
        std::io::copy(&mut src, &mut out).map_err(|e| io(&tmp, e))?;
        out.sync_all().map_err(|e| io(&tmp, e))?;
    }
    let mut aside = None;
    if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let mut target = db.as_os_str().to_owned();
        target.push(format!(".before-restore-{stamp}"));
        let target = PathBuf::from(target);
        for suffix in ["", "-wal", "-shm"] {
            let mut from = db.as_os_str().to_owned();
            from.push(suffix);
            let mut to = target.as_os_str().to_owned();
            to.push(suffix);
            let from = PathBuf::from(from);
            if from.exists() {
                std::fs::rename(&from, PathBuf::from(to)).map_err(|e| io(&from, e))?;
            }
        }
        aside = Some(target);
    }
    std::fs::rename(&tmp, db).map_err(|e| io(db, e))?;
    Ok(aside)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid_and_the_known_version_is_the_last() {
        super::migrations().validate().unwrap();
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::migrate(&mut conn, std::path::Path::new(":memory:")).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, super::KNOWN_VERSION);
    }
}
