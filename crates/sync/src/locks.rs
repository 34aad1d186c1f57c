use std::fs::File;
use std::path::{Path, PathBuf};

/// An exclusive lock on a file in the data folder, shared by every process that uses
/// that folder (CLI, daemon, desktop app). The OS releases it if the process dies, so
/// a crash never leaves a connection locked.
pub struct ConnectionLock {
    file: File,
    path: PathBuf,
}

impl ConnectionLock {
    /// Waits until the lock is free, without blocking the async runtime.
    pub async fn acquire(dir: &Path, name: &str) -> std::io::Result<ConnectionLock> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{name}.lock"));
        let open_path = path.clone();
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&open_path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(ConnectionLock { file, path })
    }

    /// Takes the lock only if nobody holds it.
    pub fn try_acquire(dir: &Path, name: &str) -> std::io::Result<Option<ConnectionLock>> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(ConnectionLock { file, path })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ConnectionLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
