//! `carbonsync` run as a subprocess against the sandbox, with the real keychain
//! (run under `scripts/with-keyring`), a real SQLite file and a test browser that
//! plays the user on the consent page.

mod support;

mod connect_and_sync;
mod failures;
mod refresh;
mod schedule;
