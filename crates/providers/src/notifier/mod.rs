//! Platforms CarbonSync sends to (Slack, Microsoft Teams): the messages it sends, in words
//! and numbers that do not depend on the platform, and the interface each platform's
//! notifier implements to render and deliver them (Slack: Block Kit; Teams: an Adaptive
//! Card). Nothing here stores anything or decides when to send.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::http::CallMeter;
use crate::ProviderError;

pub mod words;

/// One labelled figure of a report, in tonnes CO2e (kg ÷ 1000, exact).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What the figure is ("Scope 1", "Purchased goods and services", a supplier's name).
    pub label: String,
    /// t CO2e, exactly as the app totals it (not rounded; renderers round for display).
    pub t_co2e: Decimal,
}

/// A total compared with an earlier period's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The earlier period, as people read it ("October 2024").
    pub against: String,
    /// The earlier period's total, t CO2e.
    pub earlier_t_co2e: Decimal,
    /// (this − earlier) ÷ earlier × 100, to one decimal place; `None` when the earlier total
    /// is zero (no percentage exists).
    pub percent: Option<Decimal>,
}

/// One month of the report's chart, by scope, t CO2e.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// t CO2e of Scope 1, 2 and 3, in that order.
    pub by_scope: [Decimal; 3],
}

/// The monthly ESG report: everything a finance team reads in the channel. Its parts are the
/// app's own totals for the period (spend-based from the books; what providers report,
/// location-based), in t CO2e; the total counts each emission once: where an inventory
/// platform (Salesforce) reports a month, scope and category that the books also count, its
/// figure is used and the books' is left out (`overlap_t_co2e`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EsgReport {
    /// `YYYY-MM`.
    pub period: String,
    /// "November 2024".
    pub period_label: String,
    /// Spend-based + reported (location-based) − `overlap_t_co2e`, t CO2e.
    pub total_t_co2e: Decimal,
    /// Spend-based, from the books, t CO2e.
    pub spend_based_t_co2e: Decimal,
    /// What providers report (cloud, Salesforce), location-based, t CO2e.
    pub reported_t_co2e: Decimal,
    /// Spend-based t CO2e left out of the total because an inventory platform reports the
    /// same month, scope and category (zero when none does).
    pub overlap_t_co2e: Decimal,
    /// Scope 1, 2 and 3, in that order (each present, zero when nothing counts).
    pub by_scope: Vec<Figure>,
    /// Against the month before.
    pub vs_previous_month: Change,
    /// Against the same month a year before.
    pub vs_year_before: Change,
    /// The five largest categories, largest first.
    pub top_categories: Vec<Figure>,
    /// The five largest suppliers of the spend-based ledger, largest first.
    pub top_suppliers: Vec<Figure>,
    /// Share of the total that is spend-based, percent to one decimal place (`None` when the
    /// total is zero).
    pub spend_based_percent: Option<Decimal>,
    /// Share that providers report, percent to one decimal place.
    pub reported_percent: Option<Decimal>,
    /// Entries of the period with no factor yet, waiting for a person to map them.
    pub unmapped_entries: i64,
    /// Reported figures that the spend-based ledger also counts for the same month, scope
    /// and category (a Salesforce footprint beside the books): said in words, never hidden.
    pub overlap_note: Option<String>,
    /// The last 12 months up to and including `period`, oldest first.
    pub chart: Vec<ChartMonth>,
    /// How the numbers were made (factor set and version; reported as published).
    pub method: String,
    /// The data came from the built-in sandbox, not a real company.
    pub sandbox: bool,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A sync failed after its retries.
    SyncFailed,
    /// The platform refused the grant: someone must connect again.
    NeedsReconnect,
    /// A platform limit paused the connection's syncs.
    LimitPaused,
}

/// An alert: an incident opened, or resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The incident's id in CarbonSync (one alert opens it, one resolves it).
    pub incident_id: i64,
    pub kind: AlertKind,
    /// `true` for the message that says the incident is over.
    pub resolved: bool,
    /// The connection's id in CarbonSync.
    pub connection_id: i64,
    /// "Xero: Harbour & Pine Ltd".
    pub connection: String,
    /// What happened, in words (never a token or a URL with a secret).
    pub what: String,
    /// What to do about it, in words; empty for a resolved incident.
    pub fix: String,
    pub at: DateTime<Utc>,
    /// Offer a "Retry sync" button (Slack, where CarbonSync's server takes the click).
    pub retry_button: bool,
    pub sandbox: bool,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    Report(Box<EsgReport>),
    Alert(Alert),
}

/// The chart of a report, drawn as PNG.
#[derive(Clone)]
pub struct ChartImage {
    pub png: Vec<u8>,
    /// "emissions-2024-11.png".
    pub file_name: String,
    /// Words for people who cannot see the image.
    pub alt_text: String,
}

impl std::fmt::Debug for ChartImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChartImage({}, {} bytes)",
            self.file_name,
            self.png.len()
        )
    }
}

/// Where a message went, as the platform names it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    /// The platform's id of the message (Slack: the channel id and `ts`, as `C123/1700.0001`),
    /// when it gives one; a webhook gives none.
    pub message_ref: Option<String>,
    /// Whether the chart arrived as an image.
    pub chart_sent: bool,
    /// Why the chart was left out, in words, when it was.
    pub chart_note: Option<String>,
}

/// A destination's platform, able to deliver [`Message`]s. Built per destination with its
/// secret (an incoming-webhook URL, a bot token) and never keeps it beyond the call.
#[async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// The catalogue id (`slack`, `teams`).
    fn platform(&self) -> &'static str;

    /// Sends `message`, with `chart` where the route can carry an image. A refused message is
    /// a [`ProviderError`] whose words say what to do (`channel_not_found`: invite the app or
    /// pick another channel); a rate limit is waited out within the retry policy.
    async fn send(
        &self,
        message: &Message,
        chart: Option<&ChartImage>,
        meter: &CallMeter,
    ) -> Result<Delivered, ProviderError>;
}

/// A platform CarbonSync sends to, and the routes it takes.
#[derive(Debug)]
pub struct NotifierRegistration {
    /// The catalogue id.
    pub platform: &'static str,
    /// A pasted webhook URL (Slack's incoming webhook, a Teams Workflows URL).
    pub webhook: bool,
    /// A sign-in that gives a token and a channel to choose (Slack's app).
    pub sign_in: bool,
}

/// Every platform CarbonSync sends to.
pub static NOTIFIER_REGISTRY: &[NotifierRegistration] = &[
    NotifierRegistration {
        platform: "slack",
        webhook: true,
        sign_in: true,
    },
    NotifierRegistration {
        platform: "teams",
        webhook: true,
        sign_in: false,
    },
];

/// The registration of `platform`, if CarbonSync sends to it.
pub fn notifier_registration(platform: &str) -> Option<&'static NotifierRegistration> {
    NOTIFIER_REGISTRY.iter().find(|r| r.platform == platform)
}
