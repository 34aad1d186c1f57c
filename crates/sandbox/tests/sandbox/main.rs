//! End-to-end tests: each starts a real sandbox on an ephemeral loopback port and talks to it
//! over HTTP with reqwest, as CarbonSync would.

mod api;
mod control;
mod data;
mod oauth;
mod persistence;
mod support;
