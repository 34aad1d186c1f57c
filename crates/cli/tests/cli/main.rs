//! `carbonsync` run as a subprocess against the sandbox, with the real keychain
//! (run under `scripts/with-keyring`), a real SQLite file and a test browser that
//! plays the user on the consent page.

mod support;

mod audit;
mod callbacks_loopback;
mod cloud;
mod command_line;
mod config_refused;
mod connect_and_sync;
mod crash_connect_steps;
mod crash_resume;
mod data_folder_files;
mod data_folder_runs;
mod document_types;
mod failures;
mod inventory_report;
mod keychain_before_sign_in;
mod mapping_change;
mod messages_sign_in;
mod notify;
mod paging;
mod period_close;
mod ports_registered;
mod quickbooks;
mod refresh;
mod refresh_grace;
mod review;
mod salesforce;
mod schedule;
mod scheduler_helpers;
mod scheduler_pause;
mod scheduler_retry;
mod scheduler_stop;
mod serve;
mod upgrade_exact;
