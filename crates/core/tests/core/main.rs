//! The application API as the desktop uses it, on a real data folder, the real
//! keychain and a sandbox on loopback.

mod callbacks_deep_link;
mod config_rules;
mod deep_link_sign_in;
mod recorded_for_ui;
mod report_schedule;
mod window_sign_in_guards;
