//! Slack: CarbonSync's messages rendered as Block Kit.

pub mod blocks;
pub mod client;
pub mod signature;
