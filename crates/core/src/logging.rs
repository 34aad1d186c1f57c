//! Logs go to daily-rotated files in the data folder's `logs/`; warnings also go to
//! stderr. Nothing logged carries a secret: tokens live in `Sensitive` values, which
//! print as `<redacted>`, and URLs with codes are never logged.

use std::path::Path;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// Keeps the file writer flushing; drop it last.
pub struct LogGuard(#[allow(dead_code)] tracing_appender::non_blocking::WorkerGuard);

pub fn init(logs_dir: &Path, verbose: bool) -> Option<LogGuard> {
    std::fs::create_dir_all(logs_dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("carbonsync")
        .filename_suffix("log")
        .max_log_files(14)
        .build(logs_dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let file_filter = EnvFilter::try_from_env("CARBONSYNC_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,hyper=warn,reqwest=warn"));
    let stderr_level = if verbose { "info" } else { "warn" };
    let _ = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(file_filter),
        )
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .without_time()
                .with_filter(EnvFilter::new(format!(
                    "{stderr_level},hyper=warn,reqwest=warn,tokio_cron_scheduler=warn"
                ))),
        )
        .try_init();
    Some(LogGuard(guard))
}
