use std::path::PathBuf;

/// What can go wrong with the database. Every error about the file itself names the file,
/// the cause and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database was written by a newer version of CarbonSync (schema {found}, this version knows {known}); update CarbonSync or open another data folder")]
    TooNew { found: usize, known: usize },
    #[error("the disk is full; free some space and sync again (nothing was lost: the last page was not saved and will be fetched again)")]
    DiskFull,
    #[error("cannot use the data folder {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no connection with id {0}")]
    NoSuchConnection(i64),
    /// No row of that kind with that id (a destination, an incident).
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
    /// A change the data does not allow, in words that say what to do instead (closing a
    /// period that overlaps one already closed). Nothing was written.
    #[error("{0}")]
    Refused(String),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A value that cannot be stored exactly (more than six decimal places in a result, or
    /// beyond the range of the column). Nothing of the page was written.
    #[error("cannot store a value exactly: {0}")]
    Invalid(String),
    /// The file is not a whole SQLite database any more (truncated, overwritten, a damaged
    /// page). Nothing is written to it.
    #[error("the database {path} is damaged ({cause}). Nothing was changed. Run `carbonsync doctor` to see the backups, then restore one with `carbonsync doctor --restore <backup>`; or move the file aside (`mv {path} {path}.damaged`) to start a new database and connect again (synced records are fetched again from the platform)", path = path.display())]
    Damaged { path: PathBuf, cause: String },
    /// The database or its folder cannot be written. Reading still works.
    #[error("cannot write to the database {path}: {cause}. Reading works, but syncing or changing anything needs write access: make the data folder and the file writable by you (`chmod u+w`), or use another data folder with --data-dir", path = path.display())]
    ReadOnly { path: PathBuf, cause: String },
    /// The database is missing or empty although the data folder shows it held data before;
    /// starting a new one would orphan the old keychain entries and history.
    #[error("the database {path} is {state}, but this data folder was used before ({evidence}). Nothing was created. Restore a backup with `carbonsync doctor --restore <backup>` (`carbonsync doctor` lists them), or put the database file back. To really start afresh with an empty database (connections made again; the old keychain entries stay behind), move aside {path} if present and what shows the earlier use", path = path.display())]
    Lost {
        path: PathBuf,
        /// "missing" or "empty (0 bytes)".
        state: &'static str,
        /// What shows earlier use, e.g. "3 backups in …/backups".
        evidence: String,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DiskFull) => StoreError::DiskFull,
            // Met in the middle of a query (a damaged page), after the file was opened:
            // the file is the one this process opened.
            Some(C::DatabaseCorrupt | C::NotADatabase) => StoreError::Damaged {
                path: crate::schema::database_in_use(),
                cause: e.to_string(),
            },
            Some(C::ReadOnly) => StoreError::ReadOnly {
                path: crate::schema::database_in_use(),
                cause: crate::schema::read_only_cause(),
            },
            _ => StoreError::Sqlite(e),
        }
    }
}
