//! End-to-end tests: each starts a real sandbox on an ephemeral loopback port and talks to it
//! over HTTP with reqwest, as CarbonSync would.

mod api;
mod consent;
mod control;
mod credit_notes;
mod data;
mod incremental;
mod oauth;
mod persistence;
mod reshaped;
mod support;
