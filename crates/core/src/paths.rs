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
}
