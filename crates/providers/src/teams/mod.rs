//! Microsoft Teams: CarbonSync's messages rendered as an Adaptive Card in the body a Power
//! Automate Workflows webhook takes.

pub mod card;
pub mod client;
