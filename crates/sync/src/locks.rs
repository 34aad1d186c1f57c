use std::fs::File;
use std::path::Path;

/// An exclusive lock on a file in the data folder, shared by every process that uses
/// that folder (CLI, daemon, desktop app). The OS releases it if the process dies, so
/// a crash never leaves a connection locked.
pub struct ConnectionLock {
    file: File,
}

impl ConnectionLock {
    /// Waits until the lock is free, without blocking the async runtime.
    pub async fn acquire(dir: &Path, name: &str) -> std::io::Result<ConnectionLock> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{name}.lock"));
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
            let mut options = std::fs::OpenOptions::new();
            options.create(true).truncate(false).write(true);
            // Private to the user, like everything in the data folder.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options.open(&path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(ConnectionLock { file })
    }
}

impl Drop for ConnectionLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
