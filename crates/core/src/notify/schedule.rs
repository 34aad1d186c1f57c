//! The monthly report's schedule: on each destination's day and time (the machine's local
//! time), the previous month's report, once.

use carbonsync_providers::notifier::Message;
use carbonsync_store::{Delivery, Destination};
use chrono::{DateTime, Datelike, Local, NaiveTime, TimeZone};

use super::report::previous_month;
use super::DeliveryKind;
use crate::{App, AppError};

/// Attempts at a scheduled report before it is left in the history as failed.
const REPORT_ATTEMPTS: u32 = 3;

/// A delivery still "sending" after this long was cut short by a stop (a send, with Slack's
/// waits, takes seconds).
const INTERRUPTED_AFTER_MS: i64 = 10 * 60_000;

/// When this month's report of `dest` is due, in local time.
fn due_at(dest: &Destination, now: &DateTime<Local>) -> Option<DateTime<Local>> {
    let time = NaiveTime::parse_from_str(&dest.report_time, "%H:%M").ok()?;
    let day = now.date_naive().with_day(u32::from(dest.report_day))?;
    Local.from_local_datetime(&day.and_time(time)).earliest()
}

impl App {
    /// Sends every report that is due and not yet sent: for each destination with the
    /// monthly report on, once its day and time have come this month, the previous month's
    /// report (a destination added after that moment waits for the next month). Returns the
    /// deliveries made.
    pub async fn send_due_reports(&self, now: DateTime<Local>) -> Result<Vec<Delivery>, AppError> {
        let mut sent = Vec::new();
        let period = previous_month(now.date_naive());
        let mut composed = None;
        for dest in self.destinations()? {
            if !dest.report_enabled {
                continue;
            }
            let Some(due) = due_at(&dest, &now) else {
                continue;
            };
            if now < due || dest.created_at_ms > due.timestamp_millis() {
                continue;
            }
            // Most ticks find it sent already: no need to compose it again to learn that.
            let earlier = self.store()?.deliveries_of(dest.id, "report", &period)?;
            let scheduled = earlier.iter().filter(|d| d.trigger == "schedule");
            let (done, failed) = scheduled.fold((false, 0u32), |(done, failed), d| {
                (
                    done || d.status != "failed",
                    failed + u32::from(d.status == "failed"),
                )
            });
            let empty_said = earlier
                .iter()
                .any(|d| d.error_code.as_deref() == Some("empty_period"));
            if done || failed >= REPORT_ATTEMPTS || empty_said {
                continue;
            }
            // Composed once for every destination due this tick: the same month, the same
            // figures and chart.
            if composed.is_none() {
                composed = Some(self.report_with_chart(&period));
            }
            let (report, chart, _) = match composed.clone().expect("composed above") {
                Ok(composed) => composed,
                Err(e) if e.code == "empty_period" => {
                    // Zeros would read as a month without emissions: the history says why
                    // no report came, once; "Send now" sends it when the month is synced.
                    self.record_not_sent(&dest, &period, &e)?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            match self
                .deliver(
                    &dest,
                    DeliveryKind::Report,
                    &period,
                    "schedule",
                    None,
                    &Message::Report(Box::new(report)),
                    chart.as_ref(),
                    Some(REPORT_ATTEMPTS),
                )
                .await
            {
                Ok(Some(d)) => sent.push(d),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(destination = dest.id, period, error = %e.message, "scheduled report not sent")
                }
            }
        }
        Ok(sent)
    }

    /// A scheduled report that was not sent, in the destination's history with the reason.
    fn record_not_sent(
        &self,
        dest: &Destination,
        period: &str,
        why: &AppError,
    ) -> Result<(), AppError> {
        let store = self.store()?;
        let now = chrono::Utc::now().timestamp_millis();
        if let Some(id) = store.begin_delivery(
            dest.id,
            "report",
            period,
            "schedule",
            None,
            &why.message,
            None,
            now,
        )? {
            store.finish_delivery(
                id,
                &carbonsync_store::DeliveryOutcome {
                    error: Some((why.code.clone(), why.message.clone())),
                    ..Default::default()
                },
                now,
            )?;
        }
        tracing::warn!(
            destination = dest.id,
            period,
            "scheduled report not sent: {}",
            why.message
        );
        Ok(())
    }

    /// One tick of the notifications: alerts, then reports due. Errors are logged, never
    /// stop the schedule.
    pub async fn notifications_tick(&self) {
        // A send cut short by a crash would otherwise count as sent for ever.
        let now = chrono::Utc::now().timestamp_millis();
        let stale = self
            .store()
            .and_then(|s| Ok(s.fail_interrupted_deliveries(now - INTERRUPTED_AFTER_MS, now)?));
        match stale {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                deliveries = n,
                "deliveries cut short by a stop; they are tried again"
            ),
            Err(e) => tracing::warn!(error = %e.message, "interrupted deliveries not checked"),
        }
        if let Err(e) = self.check_alerts().await {
            tracing::warn!(error = %e.message, "checking alerts failed");
        }
        if let Err(e) = self.send_due_reports(Local::now()).await {
            tracing::warn!(error = %e.message, "sending due reports failed");
        }
    }
}
