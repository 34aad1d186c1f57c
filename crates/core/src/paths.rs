use std::path::{Path, PathBuf};

/// Where CarbonSync keeps its files. The data folder holds the database, the logs,
/// the lock files and the in-process sandbox's state; the config file is separate so
/// that a user can point several data folders at one configuration.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// The platform's folders (`~/.config/carbonsync`, `~/.local/share/carbonsync` on
    /// Linux), each overridable.
    pub fn resolve(config_file: Option<&Path>, data_dir: Option<&Path>) -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "carbonsync");
        let config_file = config_file.map(Path::to_path_buf).unwrap_or_else(|| {
            dirs.as_ref()
                .map(|d| d.config_dir().join("carbonsync.toml"))
                .unwrap_or_else(|| PathBuf::from("carbonsync.toml"))
        });
        let data_dir = data_dir
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CARBONSYNC_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| {
                dirs.as_ref()
                    .map(|d| d.data_dir().to_path_buf())
                    .unwrap_or_else(|| PathBuf::from("carbonsync-data"))
            });
        Paths {
            config_file,
            data_dir,
        }
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("carbonsync.sqlite3")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    pub fn locks_dir(&self) -> PathBuf {
        self.data_dir.join("locks")
    }

    pub fn sandbox_state(&self) -> PathBuf {
        self.data_dir.join("sandbox").join("state.json")
    }

    /// Copies of the database made before each migration and by `carbonsync doctor`
    /// (the newest few are kept).
    pub fn backups_dir(&self) -> PathBuf {
        carbonsync_store::backups_dir(&self.database())
    }

    /// The lock file a sync of `connection_id` holds while it runs (the sync engine's
    /// naming: `locks/sync-<id>.lock`).
    pub fn sync_lock(&self, connection_id: i64) -> PathBuf {
        self.locks_dir().join(format!("sync-{connection_id}.lock"))
    }

    /// Creates the data folder (and its parents) readable by the user only, and its
    /// `locks/` folder likewise (best effort: a read-only folder has none to make).
    pub fn create_data_dir(&self) -> std::io::Result<()> {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, carbonsync_store::PRIVATE_DIR_MODE);
        b.create(&self.data_dir)?;
        let _ = b.create(self.locks_dir());
        Ok(())
    }

    /// What in the data folder shows it held a database before, in words, or `None` for
    /// a folder never used: backups of the database, or lock files left by syncs.
    pub fn signs_of_use(&self) -> Option<String> {
        let backups = carbonsync_store::list_backups(&self.database()).len();
        let syncs = std::fs::read_dir(self.locks_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("sync-") && name.ends_with(".lock")
            })
            .count();
        let mut signs = Vec::new();
        if backups > 0 {
            signs.push(format!(
                "{backups} backup(s) in {}",
                self.backups_dir().display()
            ));
        }
        if syncs > 0 {
            signs.push(format!(
                "lock files of {syncs} synced connection(s) in {}",
                self.locks_dir().display()
            ));
        }
        (!signs.is_empty()).then(|| signs.join(", "))
    }

    /// Takes group and other permissions off everything CarbonSync keeps in the data folder
    /// (the folder, `logs/`, `locks/`, `backups/`, `sandbox/`, the database with its `-wal`
    /// and `-shm`, and the files in those folders): folders end up 0700 at most, files 0600
    /// at most. Owner bits are never added, so a folder made read-only stays read-only.
    /// Returns what was changed; paths that cannot be changed are left as they are.
    pub fn tighten_permissions(&self) -> Vec<Tightened> {
        let mut changed = Vec::new();
        #[cfg(unix)]
        {
            let mut visit = |p: &Path| {
                if let Some(t) = tighten(p) {
                    changed.push(t);
                }
            };
            visit(&self.data_dir);
            let db = self.database();
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = db.as_os_str().to_owned();
                name.push(suffix);
                visit(Path::new(&name));
            }
            let sandbox = self.data_dir.join("sandbox");
            for dir in [
                self.logs_dir(),
                self.locks_dir(),
                self.backups_dir(),
                sandbox,
            ] {
                visit(&dir);
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    if entry.file_type().is_ok_and(|t| t.is_file()) {
                        visit(&entry.path());
                    }
                }
            }
        }
        changed
    }
}

/// One path whose permissions [`Paths::tighten_permissions`] took in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    pub path: PathBuf,
    /// The unix mode bits before and after, e.g. 0o644 and 0o600.
    pub from: u32,
    pub to: u32,
}

#[cfg(unix)]
fn tighten(path: &Path) -> Option<Tightened> {
    use std::os::unix::fs::PermissionsExt;
    // Symbolic links are not followed: only what CarbonSync itself created is changed.
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        return None;
    }
    let from = meta.permissions().mode() & 0o7777;
    let to = from & !0o077;
    if from == to {
        return None;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(to)).ok()?;
    Some(Tightened {
        path: path.to_path_buf(),
        from,
        to,
    })
}

/// Creates (or empties) a file readable by its owner only: reports, tables and charts show the
/// company's emissions and spend, and are the user's to share.
///
/// # Errors
/// Whatever opening the file for writing gives.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}
