//! Logs go to daily-rotated files (`carbonsync.YYYY-MM-DD.log`) in the folder the front end
//! chooses: the CLI uses the data folder's `logs/`, the desktop app the platform's log folder
//! for apps. Warnings also go to stderr. The folder actually in use is remembered, so that
//! Settings shows the one the running process writes to. Nothing logged carries a secret:
//! tokens live in `Sensitive` values, which print as `<redacted>`, and URLs with codes are
//! never logged.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Keeps the file writer flushing; drop it last.
pub struct LogGuard(#[allow(dead_code)] tracing_appender::non_blocking::WorkerGuard);

/// The folder this process's log files go to, once [`init`] has set up file logging.
static ACTIVE_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Sets up this process's logging: files in `logs_dir` (created if missing; 14 days kept)
/// and warnings (with `verbose`, information too) on stderr. The file filter comes from
/// `CARBONSYNC_LOG` (e.g. `debug`), `info` by default. Returns `None`, and logs nothing to
/// files, when the folder cannot be created or logging was already set up; keep the guard
/// for as long as the process logs.
pub fn init(logs_dir: &Path, verbose: bool) -> Option<LogGuard> {
    if ACTIVE_DIR.get().is_some() {
        return None;
    }
    private_dir(logs_dir).ok()?;
    let tightened = tighten_existing(logs_dir);
    let files = PrivateDailyFiles::new(logs_dir);
    files.prepare_today();
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix(FILE_SUFFIX)
        .max_log_files(14)
        .build(logs_dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(files.wrapping(appender));
    let file_filter = EnvFilter::try_from_env("CARBONSYNC_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,hyper=warn,reqwest=warn"));
    let stderr_level = if verbose { "info" } else { "warn" };
    tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(file_filter),
        )
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(stderr_in_colour())
                .with_target(false)
                .without_time()
                .with_filter(EnvFilter::new(format!(
                    "{stderr_level},hyper=warn,reqwest=warn,tokio_cron_scheduler=warn"
                ))),
        )
        .try_init()
        .ok()?;
    let _ = ACTIVE_DIR.set(std::path::absolute(logs_dir).unwrap_or_else(|_| logs_dir.into()));
    for (path, from) in tightened {
        tracing::warn!(
            "{} could be read by other users (mode {from:o}); made private (mode 600)",
            path.display()
        );
    }
    Some(LogGuard(guard))
}

/// Takes group and other permissions off the log files already in `dir` (written by an
/// older version, or copied in); returns each changed file with its mode before.
fn tighten_existing(dir: &Path) -> Vec<(PathBuf, u32)> {
    #[allow(unused_mut)]
    let mut changed = Vec::new();
    #[cfg(unix)]
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = entry.metadata() else { continue };
        let from = meta.permissions().mode() & 0o7777;
        if meta.is_file() && from & 0o077 != 0 {
            let to = std::fs::Permissions::from_mode(from & !0o077);
            if std::fs::set_permissions(entry.path(), to).is_ok() {
                changed.push((entry.path(), from));
            }
        }
    }
    changed
}

/// Colours on stderr only for a person at a terminal: never when stderr is a pipe or a file
/// (a script or a log would get escape codes), nor when `NO_COLOR` is set to anything
/// non-empty (<https://no-color.org>).
fn stderr_in_colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

const FILE_PREFIX: &str = "carbonsync";
const FILE_SUFFIX: &str = "log";

/// Logs name connections, organisations and amounts: only their owner reads them.
#[cfg(unix)]
const PRIVATE_FILE_MODE: u32 = 0o600;

fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Makes each day's log file, before the rolling appender opens it (the appender opens
/// files with the default mode, 0644 under the usual umask, and has no setting for it),
/// readable by the user only. The appender appends to a file that exists, keeping its mode.
struct PrivateDailyFiles {
    dir: PathBuf,
    /// The UTC day (as the appender names files) whose file was last prepared.
    prepared: std::sync::Mutex<String>,
}

impl PrivateDailyFiles {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            prepared: Default::default(),
        }
    }

    /// Creates today's file, private, if missing; tightens it if it is not.
    fn prepare_today(&self) {
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let mut prepared = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if *prepared == today {
            return;
        }
        let path = self
            .dir
            .join(format!("{FILE_PREFIX}.{today}.{FILE_SUFFIX}"));
        let mut o = std::fs::OpenOptions::new();
        o.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            o.mode(PRIVATE_FILE_MODE);
            if let Ok(file) = o.open(&path) {
                let loose = file
                    .metadata()
                    .is_ok_and(|m| m.permissions().mode() & 0o077 != 0);
                if loose {
                    let _ =
                        file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE_MODE));
                }
            }
        }
        #[cfg(not(unix))]
        let _ = o.open(&path);
        *prepared = today;
    }

    fn wrapping(self, appender: tracing_appender::rolling::RollingFileAppender) -> PrivateWriter {
        PrivateWriter {
            files: self,
            appender,
        }
    }
}

/// The rolling appender, with each new day's file made private before it is written.
struct PrivateWriter {
    files: PrivateDailyFiles,
    appender: tracing_appender::rolling::RollingFileAppender,
}

impl std::io::Write for PrivateWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.files.prepare_today();
        self.appender.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.appender.flush()
    }
}

/// The folder this process writes its log files to, or `None` when [`init`] has not set up
/// file logging (yet).
pub fn active_dir() -> Option<&'static Path> {
    ACTIVE_DIR.get().map(PathBuf::as_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The only test in this binary that sets up logging: the subscriber is process-wide.
    #[test]
    fn the_active_folder_is_the_one_the_log_files_are_in() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("nested").join("logs");
        assert_eq!(active_dir(), None, "nothing set up yet");
        let guard = init(&logs, false).expect("file logging set up");
        tracing::info!("written to the log file");
        drop(guard); // flushes

        assert_eq!(active_dir(), Some(logs.as_path()));
        let files: Vec<_> = std::fs::read_dir(active_dir().unwrap())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "one log file: {files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with("carbonsync.") && name.ends_with(".log"),
            "{name}"
        );
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("written to the log file"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode(&files[0]), 0o600, "the log file is private");
            assert_eq!(mode(&logs), 0o700, "the log folder is private");
        }

        // A second set-up changes nothing: the first folder stays the one in use.
        let other = dir.path().join("other");
        assert!(init(&other, false).is_none());
        assert_eq!(active_dir(), Some(logs.as_path()));
        assert!(!other.exists(), "nothing created for the second set-up");
    }
}
