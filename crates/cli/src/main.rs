//! `carbonsync`: the application API without a window.

mod commands;
mod output;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "carbonsync",
    version,
    about = "Connect accounting platforms, sync them, and review the emissions of what was spent."
)]
struct Cli {
    /// Configuration file (default: the platform's config folder, carbonsync/carbonsync.toml).
    #[arg(long, global = true, value_name = "FILE", env = "CARBONSYNC_CONFIG")]
    config: Option<PathBuf>,
    /// Data folder for the database and logs (default: the platform's data folder).
    #[arg(long, global = true, value_name = "DIR", env = "CARBONSYNC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Print progress and informational messages on stderr.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Month,
    Category,
    Scope,
    Source,
}

#[derive(Subcommand)]
enum Command {
    /// List the platforms CarbonSync knows, by category.
    Providers {
        #[arg(long)]
        json: bool,
    },
    /// Connect an organisation through the browser.
    Connect {
        /// Platform id, e.g. `xero`.
        provider: String,
        /// Organisation to connect (id or name) when the sign-in covers several.
        #[arg(long)]
        tenant: Option<String>,
        /// Seconds to wait for the browser.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// List connections and their state.
    Connections {
        #[arg(long)]
        json: bool,
    },
    /// Sync one connection, or all active ones.
    Sync {
        /// Connection id (see `carbonsync connections`).
        id: Option<i64>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Fetch everything again instead of only what changed.
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show the sync history, and the records set aside because they could not be read.
    Logs {
        id: Option<i64>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// List only the records set aside (with `--json`, each with the JSON as sent).
        #[arg(long)]
        set_aside: bool,
        #[arg(long)]
        json: bool,
    },
    /// Totals and breakdowns of the emissions ledger, or the ledger itself.
    Emissions {
        #[arg(long, value_enum)]
        by: Option<By>,
        /// List ledger entries instead of totals.
        #[arg(long)]
        ledger: bool,
        #[arg(long)]
        connection: Option<i64>,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// Only entries for this record id (ledger).
        #[arg(long)]
        record: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a connection at the platform and remove its keychain entry.
    Disconnect {
        id: i64,
        /// Also delete its synced records, ledger and history.
        #[arg(long)]
        delete_data: bool,
        #[arg(long)]
        json: bool,
    },
    /// Set how often a connection syncs: manual, 15m, hourly, 6h, daily or a cron expression.
    Schedule { id: i64, frequency: String },
    /// Run the background schedule until interrupted (Ctrl-C).
    Daemon,
    /// Check the data folder: the database's integrity (every page), write access,
    /// permissions, free disk space and backups. Exits non-zero when a check finds a problem.
    Doctor {
        /// Put this backup (a path, or a file name in the data folder's `backups/`) in the
        /// place of the database; the current file is moved aside, not deleted.
        #[arg(long, value_name = "BACKUP", conflicts_with = "backup")]
        restore: Option<PathBuf>,
        /// Make a backup of the database now.
        #[arg(long)]
        backup: bool,
        #[arg(long)]
        json: bool,
    },
    /// Serve the sandbox (a local stand-in for Xero) on its own.
    Sandbox {
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Records per organisation (bank transactions + bills).
        #[arg(long)]
        records: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
        /// Turn off the 60-calls-a-minute limit.
        #[arg(long)]
        no_rate_limit: bool,
        /// Keep tokens and changes in this file across restarts.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(detail) = &e.detail {
                tracing::debug!("detail: {detail}");
            }
            ExitCode::FAILURE
        }
    }
}
