//! Alerts: a connection's problem becomes an incident the first time a check sees it and
//! stays one until a sync succeeds again, so a destination hears once when it starts and
//! once when it is over, however many ticks see it in between.

use carbonsync_providers::notifier::{Alert, AlertKind, Message};
use carbonsync_store::{Connection, ConnectionStatus, Delivery, Incident};
use chrono::{TimeZone, Utc};

use super::DeliveryKind;
use crate::{App, AppError};

/// Syncs in a row that must fail (each after its own retries) before a failure that may
/// pass is an incident: one failed sync of a flaky network is not worth a message.
pub const ALERT_AFTER_FAILURES: i64 = 3;

/// The alert kinds a destination can choose.
pub(crate) const KINDS: &[&str] = &["sync_failed", "needs_reconnect", "limit_paused"];

/// Attempts at sending one alert to one destination before it is left in the history as
/// failed.
const ALERT_ATTEMPTS: u32 = 3;

/// How long after it is resolved an incident's messages are still sent (a destination that
/// was unreachable then hears it on a later tick).
const RESOLVED_KEPT_MS: i64 = 24 * 3_600_000;

fn kind_of(text: &str) -> AlertKind {
    match text {
        "needs_reconnect" => AlertKind::NeedsReconnect,
        "limit_paused" => AlertKind::LimitPaused,
        _ => AlertKind::SyncFailed,
    }
}

/// The problem a connection has now, if any: (kind, what happened, what to do).
fn problem(c: &Connection) -> Option<(&'static str, String, String)> {
    let said = |fallback: &str| {
        c.pause_reason
            .clone()
            .or_else(|| c.last_error.clone())
            .unwrap_or_else(|| fallback.to_owned())
    };
    if c.status == ConnectionStatus::NeedsReconnect {
        return Some((
            "needs_reconnect",
            c.last_error
                .clone()
                .unwrap_or_else(|| "The platform no longer accepts CarbonSync's access.".into()),
            "Open CarbonSync → Integrations and click Reconnect on this connection.".into(),
        ));
    }
    if c.status != ConnectionStatus::Active {
        return None;
    }
    if c.schedule_stopped {
        return Some((
            "sync_failed",
            said("A sync failed in a way retrying cannot fix."),
            "Fix what the message says, then click Sync now in CarbonSync; the schedule starts again after a sync succeeds.".into(),
        ));
    }
    if c.is_paused() {
        let until = c
            .paused_until_ms
            .and_then(|ms| chrono::Local.timestamp_millis_opt(ms).single())
            .map(|t| t.format("%H:%M on %-d %B").to_string())
            .unwrap_or_else(|| "the limit resets".into());
        return Some((
            "limit_paused",
            said("A platform limit paused syncing."),
            format!("Nothing to do: syncing resumes at {until} by itself."),
        ));
    }
    if c.failure_streak >= ALERT_AFTER_FAILURES {
        return Some((
            "sync_failed",
            said("Syncs keep failing."),
            format!(
                "{} syncs in a row failed; CarbonSync keeps retrying. If it goes on, check the network and the platform's status page, or use Retry sync.",
                c.failure_streak
            ),
        ));
    }
    None
}

/// A connection that works again: active, no failures, no hold.
fn healthy(c: &Connection) -> bool {
    c.status == ConnectionStatus::Active
        && !c.schedule_stopped
        && c.failure_streak == 0
        && c.paused_until_ms.is_none()
}

impl App {
    /// Looks at every connection: opens an incident for a new problem, resolves one whose
    /// connection works again, and sends each destination that wants it one message per
    /// incident opened and one when resolved (a failed send is tried again on later checks,
    /// up to three times). Called after every sync and on the schedule's ticks.
    ///
    /// Returns the deliveries made by this check.
    pub async fn check_alerts(&self) -> Result<Vec<Delivery>, AppError> {
        let now = Utc::now().timestamp_millis();
        let connections = self.connections()?;
        {
            let store = self.store()?;
            for c in &connections {
                match problem(c) {
                    Some((kind, what, fix)) => {
                        let opened = store.open_incident_once(c.id, kind, &what, &fix, now)?;
                        if opened.is_some() {
                            tracing::info!(connection = c.id, kind, "incident opened");
                        }
                    }
                    None if healthy(c) => {
                        let resolved = store.resolve_incident(c.id, "A sync succeeded.", now)?;
                        if resolved.is_some() {
                            tracing::info!(connection = c.id, "incident resolved");
                        }
                    }
                    None if c.status == ConnectionStatus::Disconnected => {
                        store.resolve_incident(c.id, "The connection was disconnected.", now)?;
                    }
                    None => {}
                }
            }
        }
        let destinations = self.destinations()?;
        if destinations.is_empty() {
            return Ok(Vec::new());
        }
        let incidents: Vec<Incident> = self
            .store()?
            .incidents(false, 500)?
            .into_iter()
            .filter(|i| {
                i.resolved_at_ms
                    .is_none_or(|at| now - at < RESOLVED_KEPT_MS)
            })
            .collect();
        let retry_button = self.slack_interactions_enabled();
        let mut sent = Vec::new();
        for incident in &incidents {
            let Some(c) = connections.iter().find(|c| c.id == incident.connection_id) else {
                continue;
            };
            let name = self.connection_label(c);
            for dest in destinations
                .iter()
                .filter(|d| d.wants_alert(&incident.kind, c.id))
            {
                // The opening message first; the resolution only after it went out, so
                // nobody reads "resolved" about something never announced.
                let mut steps = vec![false];
                if incident.resolved_at_ms.is_some() {
                    steps.push(true);
                }
                for resolved in steps {
                    let alert = Alert {
                        incident_id: incident.id,
                        kind: kind_of(&incident.kind),
                        resolved,
                        connection_id: c.id,
                        connection: name.clone(),
                        what: if resolved {
                            incident.resolved_how.clone().unwrap_or_default()
                        } else {
                            incident.what.clone()
                        },
                        fix: if resolved {
                            String::new()
                        } else {
                            incident.fix.clone()
                        },
                        at: Utc
                            .timestamp_millis_opt(
                                incident
                                    .resolved_at_ms
                                    .filter(|_| resolved)
                                    .unwrap_or(incident.opened_at_ms),
                            )
                            .single()
                            .unwrap_or_else(Utc::now),
                        retry_button: retry_button && dest.platform == "slack" && !resolved,
                        sandbox: dest.sandbox,
                    };
                    let kind = if resolved {
                        DeliveryKind::Resolved
                    } else {
                        DeliveryKind::Alert
                    };
                    let opened_was_sent = resolved
                        && self
                            .store()?
                            .deliveries_of(dest.id, "alert", &incident.id.to_string())?
                            .iter()
                            .any(|d| d.status == "sent");
                    if resolved && !opened_was_sent {
                        break;
                    }
                    match self
                        .deliver(
                            dest,
                            kind,
                            &incident.id.to_string(),
                            "alert",
                            Some(incident.id),
                            &Message::Alert(alert),
                            None,
                            Some(ALERT_ATTEMPTS),
                        )
                        .await
                    {
                        Ok(Some(d)) => sent.push(d),
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(destination = dest.id, incident = incident.id, error = %e.message, "alert not sent");
                            break;
                        }
                    }
                }
            }
        }
        Ok(sent)
    }
}
