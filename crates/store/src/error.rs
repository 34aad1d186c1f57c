use std::path::PathBuf;

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
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull,
            _ => StoreError::Sqlite(e),
        }
    }
}
