//! Reports and alerts sent where the team already talks (Slack, Microsoft Teams): the
//! destinations, what is sent to them, and their history.
//!
//! A destination's secret (an incoming-webhook or Workflows URL, a Slack bot token) goes to
//! the keychain; the database keeps a reference to it, the channel's name and the history
//! of every delivery.

mod alerts;
mod report;
mod schedule;
mod slack_connect;

use carbonsync_providers::notifier::{Alert, ChartImage, EsgReport, Message, Notifier};
use carbonsync_providers::slack::client::{SlackApi, SlackNotifier, SlackRoute};
use carbonsync_providers::teams::client::TeamsNotifier;
use carbonsync_providers::{CallMeter, ProviderError, RetryPolicy};
use carbonsync_store::{
    Delivery, DeliveryOutcome, Destination, DestinationSettings, NewDestination,
};
use carbonsync_vault::Sensitive;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::{App, AppError};

pub use alerts::ALERT_AFTER_FAILURES;
pub use report::CHART_MONTHS;
pub use slack_connect::{ChannelOption, SLACK_BOUNCE_PATH};

/// A report as the window previews it before sending: the figures and the chart.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReportPreview {
    /// The report's figures (`EsgReport`), as JSON.
    #[ts(type = "Record<string, unknown>")]
    pub report: serde_json::Value,
    /// The message as plain text, exactly as the notification shows it.
    pub text: String,
    /// The chart as a PNG, base64; `None` when it could not be drawn (`chart_note` says why).
    pub chart_png_base64: Option<String>,
    pub chart_note: Option<String>,
}

/// Which kind of message a delivery carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliveryKind {
    Report,
    Alert,
    Resolved,
    Test,
}

impl DeliveryKind {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Report => "report",
            DeliveryKind::Alert => "alert",
            DeliveryKind::Resolved => "resolved",
            DeliveryKind::Test => "test",
        }
    }
}

/// How a platform's refusal reads to the person who sends.
fn send_error(platform: &str, e: ProviderError) -> AppError {
    let name = if platform == "slack" {
        "Slack"
    } else {
        "Microsoft Teams"
    };
    match e {
        ProviderError::Refused { code, words } => AppError::new(&code, format!("{words}.")),
        ProviderError::RateLimited { .. } => AppError::new(
            "rate_limited",
            format!("{name} is limiting how fast CarbonSync may post and did not let this message through in time. Send it again in a minute."),
        ),
        ProviderError::Transport { detail } => AppError::new(
            "network",
            format!("CarbonSync could not reach {name}. Check the network connection and send again."),
        )
        .with_detail(detail),
        ProviderError::Unauthorized { .. } | ProviderError::Forbidden { .. } => AppError::new(
            "reconnect",
            format!("{name} no longer accepts this destination's credentials. Connect it again in CarbonSync."),
        ),
        other => AppError::from(other),
    }
}

impl App {
    fn notify_retry(&self) -> RetryPolicy {
        crate::platform::Platform::retry(self)
    }

    /// How messages name a connection: "Xero: Harbour & Pine Ltd".
    pub(crate) fn connection_label(&self, c: &carbonsync_store::Connection) -> String {
        let platform = self
            .catalogue_entry(&c.provider)
            .map_or_else(|_| c.provider.clone(), |e| e.name.clone());
        format!("{platform}: {}", c.tenant_name)
    }

    /// Whether `platform` is one CarbonSync sends to (Slack, Teams) rather than syncs from.
    pub fn is_destination_platform(&self, platform: &str) -> bool {
        carbonsync_providers::notifier::notifier_registration(platform).is_some()
    }

    /// Incidents, newest first; `open_only` leaves out resolved ones.
    pub fn incidents(
        &self,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<carbonsync_store::Incident>, AppError> {
        Ok(self.store()?.incidents(open_only, limit)?)
    }

    /// A webhook URL of the sandbox's stand-in (Slack's incoming webhook for #esg-reports,
    /// a Teams workflow), for `connect … --sandbox` and the window's "Use the sandbox's".
    /// Errors: `not_sandbox` when the platform is set up with the organisation's own app.
    pub async fn sandbox_destination_url(
        &self,
        platform: &str,
    ) -> Result<Sensitive<String>, AppError> {
        if self.config().provider(platform).client_id.is_some() {
            return Err(AppError::new(
                "not_sandbox",
                format!("{platform} is set up with your own app: paste a real webhook URL instead of the sandbox's."),
            ));
        }
        let base = self.sandbox_url().await?;
        let failed = |e: reqwest::Error| {
            AppError::new(
                "sandbox",
                format!("The sandbox did not give a {platform} webhook URL: {e}"),
            )
        };
        // The same URL every time (Slack's #esg-reports hook, Teams' default workflow), so
        // adding the sandbox's again is the same destination, not a second one.
        let url = if platform == "slack" {
            let answer: serde_json::Value = reqwest::Client::new()
                .post(format!("{base}/_control/slack/webhook"))
                .json(&serde_json::json!({ "channel": "esg-reports" }))
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(failed)?
                .json()
                .await
                .map_err(failed)?;
            answer["url"].as_str().unwrap_or_default().to_owned()
        } else {
            let workflows: Vec<serde_json::Value> =
                reqwest::get(format!("{base}/_control/teams/workflows"))
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(failed)?
                    .json()
                    .await
                    .map_err(failed)?;
            workflows
                .iter()
                .find(|w| w["default"] == true)
                .and_then(|w| w["url"].as_str())
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Sensitive::new(url))
    }

    /// What the sandbox's Slack and Teams stand-ins received, oldest first, summarised:
    /// `{"slack": [{received_at, channel, via, title, files}], "teams": [{received_at,
    /// posted, reason, title, images}]}`. Errors: `sandbox` when it does not answer.
    pub async fn sandbox_inbox(&self) -> Result<serde_json::Value, AppError> {
        let base = self.sandbox_url().await?;
        let get = |path: &str| {
            let url = format!("{base}{path}");
            async move {
                reqwest::get(&url)
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| {
                        AppError::new("sandbox", format!("The sandbox did not answer: {e}"))
                    })?
                    .json::<Vec<serde_json::Value>>()
                    .await
                    .map_err(|e| {
                        AppError::new(
                            "sandbox",
                            format!("The sandbox's answer could not be read: {e}"),
                        )
                    })
            }
        };
        // Slack keeps its mrkdwn escapes; the inbox shows the words.
        let first_line = |text: &str| {
            text.lines()
                .next()
                .unwrap_or_default()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        };
        let slack: Vec<serde_json::Value> = get("/_control/slack/messages")
            .await?
            .iter()
            .map(|m| {
                serde_json::json!({
                    "received_at": m["received_at"],
                    "channel": m["channel_name"],
                    "via": m["via"],
                    "title": first_line(m["text"].as_str().unwrap_or_default()),
                    "files": m["files"],
                    "updates": m["updates"].as_array().map_or(0, Vec::len),
                })
            })
            .collect();
        let teams: Vec<serde_json::Value> = get("/_control/teams/messages")
            .await?
            .iter()
            .map(|m| {
                let title = m["card"]["body"]
                    .as_array()
                    .and_then(|b| b.iter().find_map(|e| e["text"].as_str()))
                    .unwrap_or_default()
                    .to_owned();
                serde_json::json!({
                    "received_at": m["received_at"],
                    "posted": m["posted"],
                    "reason": m["reason"],
                    "title": title,
                    "images": m["images"],
                })
            })
            .collect();
        Ok(serde_json::json!({ "slack": slack, "teams": teams }))
    }

    /// The latest month (`YYYY-MM`) with counted or reported emissions, if any.
    pub fn latest_period(&self) -> Result<Option<String>, AppError> {
        let store = self.store()?;
        let spend = store
            .emissions_by(carbonsync_store::GroupBy::Month, &Default::default())?
            .into_iter()
            .filter(|g| g.totals.kg_co2e > rust_decimal::Decimal::ZERO)
            .map(|g| g.key)
            .max();
        let reported = store
            .reported_by(
                carbonsync_store::ReportedGroupBy::Month,
                &Default::default(),
            )?
            .into_iter()
            .filter(|g| g.totals.location_kg_co2e > rust_decimal::Decimal::ZERO)
            .map(|g| g.key)
            .max();
        Ok(spend.max(reported))
    }

    /// A sandbox destination's URL moved onto the sandbox running now: a sandbox started by
    /// another process listened on another port.
    async fn on_current_sandbox(&self, url: &str) -> Result<String, AppError> {
        let base = self.sandbox_url().await?;
        let (Ok(mut parsed), Ok(now)) = (url::Url::parse(url), url::Url::parse(&base)) else {
            return Ok(url.to_owned());
        };
        let _ = parsed.set_host(now.host_str());
        let _ = parsed.set_port(now.port());
        Ok(parsed.to_string())
    }

    /// Every destination in use.
    pub fn destinations(&self) -> Result<Vec<Destination>, AppError> {
        Ok(self.store()?.destinations()?)
    }

    /// A destination's deliveries, newest first.
    pub fn destination_history(&self, id: i64, limit: i64) -> Result<Vec<Delivery>, AppError> {
        let store = self.store()?;
        let history = store.deliveries(id, limit)?;
        // A removed destination keeps its history: only an id never used is an error.
        if history.is_empty() {
            store.destination(id)?;
        }
        Ok(history)
    }

    /// Changes when reports go out and which alerts come. Errors: `usage` for a day outside
    /// 1–28, a time that is not `HH:MM`, an unknown alert kind.
    pub fn set_destination_settings(
        &self,
        id: i64,
        settings: &DestinationSettings,
    ) -> Result<Destination, AppError> {
        if let Some(day) = settings.report_day {
            if !(1..=28).contains(&day) {
                return Err(AppError::new(
                    "usage",
                    format!("The report day must be 1 to 28 (every month has it), not {day}."),
                ));
            }
        }
        if let Some(time) = &settings.report_time {
            if chrono::NaiveTime::parse_from_str(time, "%H:%M").is_err() {
                return Err(AppError::new(
                    "usage",
                    format!("{time:?} is not a time of day: give it as HH:MM, e.g. 09:00."),
                ));
            }
        }
        if let Some(Some(ids)) = &settings.alert_connections {
            let known: Vec<i64> = self.connections()?.iter().map(|c| c.id).collect();
            if let Some(id) = ids.iter().find(|id| !known.contains(id)) {
                return Err(AppError::new(
                    "usage",
                    format!("There is no connection {id}: `carbonsync connections` lists them."),
                ));
            }
        }
        for kind in settings.alert_kinds.iter().flatten() {
            if !alerts::KINDS.contains(&kind.as_str()) {
                return Err(AppError::new(
                    "usage",
                    format!(
                        "{kind:?} is not an alert kind; choose from {}.",
                        alerts::KINDS.join(", ")
                    ),
                ));
            }
        }
        let before = self.store()?.destination(id)?;
        let after = self.store()?.set_destination_settings(id, settings)?;
        self.record_change(
            "destination_changed",
            &format!("destination:{id}"),
            Some(&before),
            Some(&after),
            None,
        )?;
        Ok(after)
    }

    /// Adds a destination reached by a pasted URL: a Slack incoming webhook or a Teams
    /// Workflows webhook. The URL is checked, then kept in the keychain only.
    ///
    /// Errors: `usage` for a URL of the wrong shape (the words say where to copy it from);
    /// `keychain` when it cannot be stored (nothing is added then).
    pub async fn add_webhook_destination(
        &self,
        platform: &str,
        url: &Sensitive<String>,
        name: Option<&str>,
        sandbox: bool,
    ) -> Result<Destination, AppError> {
        let url_text = url.expose().trim();
        let (default_name, channel) = match platform {
            "slack" => {
                check_slack_webhook(url_text, sandbox)?;
                ("Slack incoming webhook".to_owned(), None)
            }
            "teams" => {
                carbonsync_providers::teams::client::check_url(url_text).map_err(|e| {
                    AppError::new(
                        "usage",
                        crate::error::capitalised(
                            e.to_string()
                                .replace("invalid provider configuration: ", ""),
                        ),
                    )
                })?;
                ("Teams workflow".to_owned(), None::<String>)
            }
            other => {
                return Err(AppError::new(
                    "usage",
                    format!("{other:?} takes no webhook URL; destinations are slack or teams."),
                ))
            }
        };
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .unwrap_or(default_name);
        // The same URL pasted again is the same destination, not a second one that would
        // receive every message twice.
        // A destination of the same name whose keychain entry is gone (another keychain, a
        // reinstall) takes the URL again and keeps its history.
        for existing in self.destinations()? {
            if existing.platform == platform && existing.route == "webhook" {
                match self.vault().get(&existing.vault_key)? {
                    Some(s) if s.expose().trim() == url_text => return Ok(existing),
                    None if existing.name == name => {
                        self.vault()
                            .put(&existing.vault_key, &Sensitive::new(url_text.to_owned()))?;
                        return Ok(existing);
                    }
                    _ => {}
                }
            }
        }
        self.store_destination(
            NewDestination {
                platform: platform.to_owned(),
                route: "webhook".to_owned(),
                name,
                workspace_id: None,
                workspace_name: None,
                channel_id: None,
                channel_name: channel,
                vault_key: String::new(),
                sandbox,
            },
            &Sensitive::new(url_text.to_owned()),
        )
    }

    /// Keeps the secret in the keychain, then the destination in the database; a failure
    /// of the second removes the first.
    pub(crate) fn store_destination(
        &self,
        mut new: NewDestination,
        secret: &Sensitive<String>,
    ) -> Result<Destination, AppError> {
        let store = self.store()?;
        new.vault_key = format!(
            "{}/destination/{}",
            store.install_id()?,
            uuid::Uuid::new_v4().simple()
        );
        self.vault().put(&new.vault_key, secret)?;
        match store.add_destination(&new, chrono::Utc::now().timestamp_millis()) {
            Ok(d) => {
                crate::audit::record(
                    &store,
                    "destination_added",
                    &format!("destination:{}", d.id),
                    None::<&Destination>,
                    Some(&d),
                    None,
                )?;
                Ok(d)
            }
            Err(e) => {
                let _ = self.vault().delete(&new.vault_key);
                Err(e.into())
            }
        }
    }

    /// Removes a destination: a Slack bot token is revoked with Slack, the secret leaves
    /// the keychain, the history stays. Returns a warning when Slack could not be told.
    pub async fn remove_destination(&self, id: i64) -> Result<Option<String>, AppError> {
        let dest = self.store()?.destination(id)?;
        let mut warning = None;
        if dest.route == "bot" {
            if let Some(secret) = self.vault().get(&dest.vault_key)? {
                let api = self.slack_api(dest.sandbox).await?;
                if let Err(e) = api.revoke(&bot_token(&secret), &CallMeter::default()).await {
                    warning = Some(format!(
                        "Slack was not told to revoke CarbonSync's token ({e}); remove the app in Slack's settings if it still shows."
                    ));
                }
            }
        }
        self.vault().delete(&dest.vault_key)?;
        self.store()?
            .remove_destination(id, chrono::Utc::now().timestamp_millis())?;
        self.record_change(
            "destination_removed",
            &format!("destination:{id}"),
            Some(&dest),
            None::<&Destination>,
            None,
        )?;
        Ok(warning)
    }

    pub(crate) async fn slack_api(&self, sandbox: bool) -> Result<SlackApi, AppError> {
        let platform = self.platform("slack", Some(sandbox)).await?;
        let base = platform.endpoints.api_base.clone().ok_or_else(|| {
            AppError::new(
                "config",
                "Slack has no API address: set api_base under [providers.slack] in the configuration file",
            )
        })?;
        Ok(SlackApi::new(&base, &self.notify_retry())?)
    }

    /// The notifier of a destination, with its secret from the keychain.
    async fn notifier(&self, dest: &Destination) -> Result<Arc<dyn Notifier>, AppError> {
        let secret = self.vault().get(&dest.vault_key)?.ok_or_else(|| {
            AppError::new(
                "reconnect",
                format!(
                    "The keychain no longer holds {}'s address or token. Remove the destination and add it again.",
                    dest.name
                ),
            )
        })?;
        let retry = self.notify_retry();
        let url = if dest.sandbox && dest.route == "webhook" {
            self.on_current_sandbox(secret.expose()).await?
        } else {
            secret.expose().clone()
        };
        Ok(match (dest.platform.as_str(), dest.route.as_str()) {
            ("slack", "webhook") => {
                Arc::new(SlackNotifier::new(SlackRoute::Webhook { url }, retry))
            }
            ("slack", _) => {
                let token = bot_token(&secret);
                Arc::new(SlackNotifier::new(
                    SlackRoute::Bot {
                        api: Box::new(self.slack_api(dest.sandbox).await?),
                        token,
                        channel: dest.channel_id.clone().unwrap_or_default(),
                    },
                    retry,
                ))
            }
            _ => Arc::new(TeamsNotifier::new(&url, &retry)?),
        })
    }

    /// Sends `message` to `dest` and records the delivery. With `once`, a delivery of the
    /// same kind and subject by the same trigger that was sent before is not repeated (and
    /// one that failed `once` times is not tried again): returns `Ok(None)` then.
    ///
    /// Errors: the platform's refusal in words (the delivery is recorded as failed first).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn deliver(
        &self,
        dest: &Destination,
        kind: DeliveryKind,
        subject: &str,
        trigger: &str,
        incident_id: Option<i64>,
        message: &Message,
        chart: Option<&ChartImage>,
        once: Option<u32>,
    ) -> Result<Option<Delivery>, AppError> {
        let summary = carbonsync_providers::notifier::words::fallback_text(message);
        let now = || chrono::Utc::now().timestamp_millis();
        let Some(id) = self.store()?.begin_delivery(
            dest.id,
            kind.as_str(),
            subject,
            trigger,
            incident_id,
            &summary,
            once,
            now(),
        )?
        else {
            return Ok(None);
        };
        let meter = CallMeter::default();
        let sent = match self.notifier(dest).await {
            Ok(notifier) => notifier
                .send(message, chart, &meter)
                .await
                .map_err(|e| send_error(&dest.platform, e)),
            Err(e) => Err(e),
        };
        let mut outcome = DeliveryOutcome {
            calls: i64::from(meter.calls()),
            waited_ms: meter.waited().as_millis() as i64,
            ..DeliveryOutcome::default()
        };
        match &sent {
            Ok(d) => {
                outcome.message_ref = d.message_ref.clone();
                outcome.chart_sent = d.chart_sent;
                outcome.chart_note = d.chart_note.clone();
            }
            Err(e) => outcome.error = Some((e.code.clone(), e.message.clone())),
        }
        let store = self.store()?;
        store.finish_delivery(id, &outcome, now())?;
        tracing::info!(
            destination = dest.id,
            kind = kind.as_str(),
            subject,
            ok = sent.is_ok(),
            "delivery"
        );
        match sent {
            Ok(_) => Ok(store
                .deliveries(dest.id, 1)?
                .into_iter()
                .find(|d| d.id == id)),
            Err(e) => Err(e),
        }
    }

    /// The report of `period` with its chart drawn; the note says why a chart is missing.
    pub(crate) fn report_with_chart(
        &self,
        period: &str,
    ) -> Result<(EsgReport, Option<ChartImage>, Option<String>), AppError> {
        let report = self.esg_report(period)?;
        let first = report::parse_period(period)?;
        self.refuse_empty(period, &report)?;
        let from = first - chrono::Months::new(CHART_MONTHS - 1);
        let title = format!(
            "Emissions by scope, {} – {} (t CO2e)",
            from.format("%b %Y"),
            first.format("%b %Y")
        );
        let drawn = carbonsync_charts::monthly_by_scope_png(
            &report::chart_input(&report),
            &carbonsync_charts::ChartOptions {
                title: title.clone(),
                ..Default::default()
            },
        );
        Ok(match drawn {
            Ok(png) => {
                let chart = ChartImage {
                    png,
                    file_name: format!("emissions-{period}.png"),
                    alt_text: title,
                };
                (report, Some(chart), None)
            }
            Err(e) => (
                report,
                None,
                Some(format!("The chart could not be drawn: {e}")),
            ),
        })
    }

    /// A month with nothing in it (no ledger entry, no reported row) makes a report of zeros
    /// that reads like a month without emissions: refused, naming the latest month with data.
    fn refuse_empty(&self, period: &str, report: &EsgReport) -> Result<(), AppError> {
        let first = report::parse_period(period)?;
        let last = (first + chrono::Months::new(1))
            .pred_opt()
            .expect("a day before");
        let (first, last) = (first.to_string(), last.to_string());
        let store = self.store()?;
        let totals = store.totals(&carbonsync_store::LedgerFilter {
            from: Some(first.clone()),
            to: Some(last.clone()),
            ..Default::default()
        })?;
        let reported = store.reported_totals(&carbonsync_store::ReportedFilter {
            from: Some(first),
            to: Some(last),
            ..Default::default()
        })?;
        if totals.counted + totals.excluded + totals.unmapped > 0 || reported.rows > 0 {
            return Ok(());
        }
        Err(AppError::new(
            "empty_period",
            format!(
                "Nothing was synced for {}: a report would show zeros. {}",
                report.period_label,
                match self.latest_period()? {
                    Some(latest) => format!("The latest month with emissions is {latest}; send that one (--period {latest} or latest), or sync first."),
                    None => "Connect and sync a platform first.".to_owned(),
                }
            ),
        ))
    }

    /// The report of `period` as it would be sent, for the window's preview.
    pub fn preview_report(&self, period: &str) -> Result<ReportPreview, AppError> {
        use base64::Engine;
        let (report, chart, note) = self.report_with_chart(period)?;
        let text = carbonsync_providers::notifier::words::fallback_text(&Message::Report(
            Box::new(report.clone()),
        ));
        Ok(ReportPreview {
            report: serde_json::to_value(&report).expect("serialisable"),
            text,
            chart_png_base64: chart
                .map(|c| base64::engine::general_purpose::STANDARD.encode(c.png)),
            chart_note: note,
        })
    }

    /// Sends the report of `period` to a destination now ("Send now", `carbonsync report
    /// send`). Errors: the platform's refusal in words; the delivery is in the history
    /// either way.
    pub async fn send_report(
        &self,
        destination_id: i64,
        period: &str,
    ) -> Result<Delivery, AppError> {
        let dest = self.store()?.destination(destination_id)?;
        let (report, chart, _) = self.report_with_chart(period)?;
        let delivery = self
            .deliver(
                &dest,
                DeliveryKind::Report,
                &report.period.clone(),
                "manual",
                None,
                &Message::Report(Box::new(report)),
                chart.as_ref(),
                None,
            )
            .await?;
        Ok(delivery.expect("a manual delivery is always made"))
    }

    /// Sends a short test alert, so a person sees the destination works.
    pub async fn send_test(&self, destination_id: i64) -> Result<Delivery, AppError> {
        let dest = self.store()?.destination(destination_id)?;
        let alert = Alert {
            incident_id: 0,
            kind: carbonsync_providers::notifier::AlertKind::SyncFailed,
            resolved: true,
            connection_id: 0,
            connection: "CarbonSync".to_owned(),
            what: format!(
                "This is a test: {} receives CarbonSync's reports and alerts.",
                dest.name
            ),
            fix: String::new(),
            at: chrono::Utc::now(),
            retry_button: false,
            sandbox: dest.sandbox,
        };
        let delivery = self
            .deliver(
                &dest,
                DeliveryKind::Test,
                "test",
                "manual",
                None,
                &Message::Alert(alert),
                None,
                None,
            )
            .await?;
        Ok(delivery.expect("a manual delivery is always made"))
    }
}

/// The bot token of a Slack destination's keychain entry (the sign-in's token set).
fn bot_token(secret: &Sensitive<String>) -> String {
    carbonsync_oauth::TokenSet::from_secret(secret)
        .map(|t| t.access_token.expose().clone())
        .unwrap_or_else(|| secret.expose().clone())
}

/// A Slack incoming-webhook URL: `https://hooks.slack.com/services/T…/B…/…` (loopback http
/// for the sandbox). Errors: `usage`, saying where to copy a good one from.
fn check_slack_webhook(url: &str, sandbox: bool) -> Result<(), AppError> {
    let bad = || {
        AppError::new(
            "usage",
            "This is not a Slack incoming-webhook URL. In Slack, open the app's Incoming Webhooks page, copy the Webhook URL (https://hooks.slack.com/services/…) and paste it whole.",
        )
    };
    let parsed = url::Url::parse(url).map_err(|_| bad())?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost"));
    let ok = if sandbox && loopback {
        parsed.path().contains("/hooks/")
    } else {
        parsed.scheme() == "https"
            && parsed.host_str() == Some("hooks.slack.com")
            && parsed.path().starts_with("/services/")
    };
    ok.then_some(()).ok_or_else(bad)
}
