//! Destinations (a Slack channel, a Teams workflow), the incidents alerts are about, and the
//! deliveries made to each destination: its history, like a connection's sync log.

use crate::{Result, Store, StoreError};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// A place reports and alerts are sent to. Its secret (webhook URL, bot token) is in the
/// keychain under `vault_key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Destination {
    pub id: i64,
    /// `slack` or `teams`.
    pub platform: String,
    /// `webhook` (an incoming-webhook or Workflows URL) or `bot` (a Slack bot token).
    pub route: String,
    /// How people name it: `#esg-reports (Harbour & Pine)`.
    pub name: String,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    pub channel_id: Option<String>,
    pub channel_name: Option<String>,
    /// The keychain entry with its secret: a reference, never the secret.
    pub vault_key: String,
    pub sandbox: bool,
    pub report_enabled: bool,
    /// Day of the month (1–28) the previous month's report is sent.
    pub report_day: u8,
    /// `HH:MM`, the machine's local time.
    pub report_time: String,
    /// The alert kinds sent here (`sync_failed`, `needs_reconnect`, `limit_paused`).
    pub alert_kinds: Vec<String>,
    /// The connections whose alerts come here; `None` for every connection.
    pub alert_connections: Option<Vec<i64>>,
    /// ms since 1970, UTC.
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

impl Destination {
    /// Whether alerts of `kind` about `connection_id` are sent here.
    pub fn wants_alert(&self, kind: &str, connection_id: i64) -> bool {
        self.alert_kinds.iter().any(|k| k == kind)
            && self
                .alert_connections
                .as_ref()
                .is_none_or(|ids| ids.contains(&connection_id))
    }
}

/// A destination to add.
#[derive(Debug, Clone)]
pub struct NewDestination {
    pub platform: String,
    pub route: String,
    pub name: String,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
    pub channel_id: Option<String>,
    pub channel_name: Option<String>,
    pub vault_key: String,
    pub sandbox: bool,
}

/// What a person may change about a destination.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct DestinationSettings {
    pub report_enabled: Option<bool>,
    pub report_day: Option<u8>,
    pub report_time: Option<String>,
    pub alert_kinds: Option<Vec<String>>,
    /// Absent: unchanged; `null` (`Some(None)`): every connection's alerts;
    /// `[ids]` (`Some(Some(ids))`): only those.
    #[ts(type = "number[] | null | undefined")]
    pub alert_connections: Option<Option<Vec<i64>>>,
}

/// [`DestinationSettings`] as JSON has it: written by hand so that `alert_connections` tells
/// an absent field (unchanged) from `null` (every connection).
impl<'de> Deserialize<'de> for DestinationSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            report_enabled: Option<bool>,
            #[serde(default)]
            report_day: Option<u8>,
            #[serde(default)]
            report_time: Option<String>,
            #[serde(default)]
            alert_kinds: Option<Vec<String>>,
            #[serde(default, deserialize_with = "present")]
            alert_connections: Option<Option<Vec<i64>>>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(DestinationSettings {
            report_enabled: raw.report_enabled,
            report_day: raw.report_day,
            report_time: raw.report_time,
            alert_kinds: raw.alert_kinds,
            alert_connections: raw.alert_connections,
        })
    }
}

/// A field that is present, `null` included: `Some(value)`; an absent one stays `None`.
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A problem with one connection, open until a sync succeeds again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Incident {
    pub id: i64,
    pub connection_id: i64,
    /// `sync_failed`, `needs_reconnect` or `limit_paused`.
    pub kind: String,
    pub what: String,
    pub fix: String,
    #[ts(type = "number")]
    pub opened_at_ms: i64,
    #[ts(type = "number | null")]
    pub resolved_at_ms: Option<i64>,
    pub resolved_how: Option<String>,
}

/// One message sent, or attempted, to a destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Delivery {
    pub id: i64,
    pub destination_id: i64,
    /// `report`, `alert`, `resolved`, `retry_result` or `test`.
    pub kind: String,
    /// A report's period (`YYYY-MM`); an alert's incident id.
    pub subject: String,
    /// `schedule`, `manual`, `alert` or `interaction`.
    pub trigger: String,
    #[ts(type = "number | null")]
    pub incident_id: Option<i64>,
    /// What was said, as plain text.
    pub summary: String,
    #[ts(type = "number")]
    pub started_at_ms: i64,
    #[ts(type = "number | null")]
    pub finished_at_ms: Option<i64>,
    /// `sending`, `sent` or `failed`.
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The platform's id of the message (Slack: `channel/ts`), when it gave one.
    pub message_ref: Option<String>,
    pub chart_sent: bool,
    pub chart_note: Option<String>,
    pub calls: i64,
    #[ts(type = "number")]
    pub waited_ms: i64,
}

/// How a delivery ended.
#[derive(Debug, Clone, Default)]
pub struct DeliveryOutcome {
    pub error: Option<(String, String)>,
    pub message_ref: Option<String>,
    pub chart_sent: bool,
    pub chart_note: Option<String>,
    pub calls: i64,
    pub waited_ms: i64,
}

const DESTINATION_COLS: &str =
    "id, platform, route, name, workspace_id, workspace_name, channel_id,
    channel_name, vault_key, sandbox, report_enabled, report_day, report_time, alert_kinds,
    alert_connections, created_at_ms";

fn destination_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Destination> {
    let kinds: String = r.get(13)?;
    let connections: Option<String> = r.get(14)?;
    Ok(Destination {
        id: r.get(0)?,
        platform: r.get(1)?,
        route: r.get(2)?,
        name: r.get(3)?,
        workspace_id: r.get(4)?,
        workspace_name: r.get(5)?,
        channel_id: r.get(6)?,
        channel_name: r.get(7)?,
        vault_key: r.get(8)?,
        sandbox: r.get(9)?,
        report_enabled: r.get(10)?,
        report_day: r.get(11)?,
        report_time: r.get(12)?,
        alert_kinds: split_list(&kinds),
        alert_connections: connections.map(|c| {
            split_list(&c)
                .iter()
                .filter_map(|id| id.parse().ok())
                .collect()
        }),
        created_at_ms: r.get(15)?,
    })
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

const INCIDENT_COLS: &str =
    "id, connection_id, kind, what, fix, opened_at_ms, resolved_at_ms, resolved_how";

fn incident_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: r.get(0)?,
        connection_id: r.get(1)?,
        kind: r.get(2)?,
        what: r.get(3)?,
        fix: r.get(4)?,
        opened_at_ms: r.get(5)?,
        resolved_at_ms: r.get(6)?,
        resolved_how: r.get(7)?,
    })
}

const DELIVERY_COLS: &str = "id, destination_id, kind, subject, trigger, incident_id, summary,
    started_at_ms, finished_at_ms, status, error_code, error_message, message_ref, chart_sent,
    chart_note, calls, waited_ms";

fn delivery_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        destination_id: r.get(1)?,
        kind: r.get(2)?,
        subject: r.get(3)?,
        trigger: r.get(4)?,
        incident_id: r.get(5)?,
        summary: r.get(6)?,
        started_at_ms: r.get(7)?,
        finished_at_ms: r.get(8)?,
        status: r.get(9)?,
        error_code: r.get(10)?,
        error_message: r.get(11)?,
        message_ref: r.get(12)?,
        chart_sent: r.get(13)?,
        chart_note: r.get(14)?,
        calls: r.get(15)?,
        waited_ms: r.get(16)?,
    })
}

impl Store {
    /// Adds a destination; `now_ms` is ms since 1970, UTC.
    pub fn add_destination(&self, new: &NewDestination, now_ms: i64) -> Result<Destination> {
        self.db().execute(
            "INSERT INTO destinations (platform, route, name, workspace_id, workspace_name,
               channel_id, channel_name, vault_key, sandbox, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                new.platform,
                new.route,
                new.name,
                new.workspace_id,
                new.workspace_name,
                new.channel_id,
                new.channel_name,
                new.vault_key,
                new.sandbox,
                now_ms
            ],
        )?;
        self.destination(self.db().last_insert_rowid())
    }

    /// The destinations still in use, oldest first.
    pub fn destinations(&self) -> Result<Vec<Destination>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {DESTINATION_COLS} FROM destinations WHERE removed_at_ms IS NULL ORDER BY id"
        ))?;
        let rows = stmt.query_map([], destination_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One destination still in use. Errors: [`StoreError::NotFound`].
    pub fn destination(&self, id: i64) -> Result<Destination> {
        self.db()
            .query_row(
                &format!(
                    "SELECT {DESTINATION_COLS} FROM destinations WHERE id = ?1 AND removed_at_ms IS NULL"
                ),
                [id],
                destination_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "destination",
                id,
            })
    }

    /// Changes what is sent to a destination. A report day outside 1–28 or a time that is
    /// not `HH:MM` is refused by the caller; the database checks the day again.
    pub fn set_destination_settings(
        &self,
        id: i64,
        settings: &DestinationSettings,
    ) -> Result<Destination> {
        let current = self.destination(id)?;
        let kinds = settings
            .alert_kinds
            .clone()
            .unwrap_or(current.alert_kinds)
            .join(",");
        let connections = match &settings.alert_connections {
            Some(choice) => choice.clone(),
            None => current.alert_connections,
        }
        .map(|ids| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        self.db().execute(
            "UPDATE destinations SET report_enabled = ?2, report_day = ?3, report_time = ?4,
               alert_kinds = ?5, alert_connections = ?6 WHERE id = ?1",
            params![
                id,
                settings.report_enabled.unwrap_or(current.report_enabled),
                settings.report_day.unwrap_or(current.report_day),
                settings.report_time.clone().unwrap_or(current.report_time),
                kinds,
                connections
            ],
        )?;
        self.destination(id)
    }

    /// Marks a destination removed; its history stays.
    pub fn remove_destination(&self, id: i64, now_ms: i64) -> Result<()> {
        self.destination(id)?;
        self.db().execute(
            "UPDATE destinations SET removed_at_ms = ?2 WHERE id = ?1",
            params![id, now_ms],
        )?;
        Ok(())
    }

    /// The open incident of a connection, if any.
    pub fn open_incident(&self, connection_id: i64) -> Result<Option<Incident>> {
        Ok(self
            .db()
            .query_row(
                &format!(
                    "SELECT {INCIDENT_COLS} FROM incidents
                     WHERE connection_id = ?1 AND resolved_at_ms IS NULL"
                ),
                [connection_id],
                incident_row,
            )
            .optional()?)
    }

    /// Opens an incident unless the connection already has one open; returns the new one,
    /// or `None` when one was open (one incident, however many ticks see the problem).
    pub fn open_incident_once(
        &self,
        connection_id: i64,
        kind: &str,
        what: &str,
        fix: &str,
        now_ms: i64,
    ) -> Result<Option<Incident>> {
        let inserted = self.db().execute(
            "INSERT INTO incidents (connection_id, kind, what, fix, opened_at_ms)
             SELECT ?1, ?2, ?3, ?4, ?5
             WHERE NOT EXISTS (SELECT 1 FROM incidents WHERE connection_id = ?1 AND resolved_at_ms IS NULL)",
            params![connection_id, kind, what, fix, now_ms],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        self.incident(self.db().last_insert_rowid()).map(Some)
    }

    /// Resolves the connection's open incident; returns it, or `None` when none was open.
    pub fn resolve_incident(
        &self,
        connection_id: i64,
        how: &str,
        now_ms: i64,
    ) -> Result<Option<Incident>> {
        let Some(open) = self.open_incident(connection_id)? else {
            return Ok(None);
        };
        self.db().execute(
            "UPDATE incidents SET resolved_at_ms = ?2, resolved_how = ?3
             WHERE id = ?1 AND resolved_at_ms IS NULL",
            params![open.id, now_ms, how],
        )?;
        self.incident(open.id).map(Some)
    }

    /// One incident. Errors: [`StoreError::NotFound`].
    pub fn incident(&self, id: i64) -> Result<Incident> {
        self.db()
            .query_row(
                &format!("SELECT {INCIDENT_COLS} FROM incidents WHERE id = ?1"),
                [id],
                incident_row,
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "incident",
                id,
            })
    }

    /// Incidents, newest first; `open_only` leaves out resolved ones.
    pub fn incidents(&self, open_only: bool, limit: i64) -> Result<Vec<Incident>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {INCIDENT_COLS} FROM incidents
             WHERE (?1 = 0 OR resolved_at_ms IS NULL) ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![open_only, limit], incident_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Begins a delivery unless one of the same kind and subject was already sent (or is
    /// being sent) to this destination, for triggers that must send once (`schedule`,
    /// `alert`); returns its id, or `None` when it was already sent. A failed attempt does
    /// not count: the next tick tries again, up to `max_failures` failed attempts.
    #[allow(clippy::too_many_arguments)]
    pub fn begin_delivery(
        &self,
        destination_id: i64,
        kind: &str,
        subject: &str,
        trigger: &str,
        incident_id: Option<i64>,
        summary: &str,
        once: Option<u32>,
        now_ms: i64,
    ) -> Result<Option<i64>> {
        let tx = self.db().unchecked_transaction()?;
        if let Some(max_failures) = once {
            let (done, failed): (i64, i64) = tx.query_row(
                "SELECT COUNT(CASE WHEN status IN ('sent', 'sending') THEN 1 END),
                        COUNT(CASE WHEN status = 'failed' THEN 1 END)
                 FROM deliveries WHERE destination_id = ?1 AND kind = ?2 AND subject = ?3
                   AND trigger = ?4",
                params![destination_id, kind, subject, trigger],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if done > 0 || failed >= i64::from(max_failures) {
                return Ok(None);
            }
        }
        tx.execute(
            "INSERT INTO deliveries (destination_id, kind, subject, trigger, incident_id, summary,
               started_at_ms, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'sending')",
            params![
                destination_id,
                kind,
                subject,
                trigger,
                incident_id,
                summary,
                now_ms
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Some(id))
    }

    /// Records how a delivery ended.
    pub fn finish_delivery(&self, id: i64, outcome: &DeliveryOutcome, now_ms: i64) -> Result<()> {
        let (status, code, message) = match &outcome.error {
            Some((code, message)) => ("failed", Some(code.as_str()), Some(message.as_str())),
            None => ("sent", None, None),
        };
        self.db().execute(
            "UPDATE deliveries SET finished_at_ms = ?2, status = ?3, error_code = ?4,
               error_message = ?5, message_ref = ?6, chart_sent = ?7, chart_note = ?8,
               calls = ?9, waited_ms = ?10
             WHERE id = ?1",
            params![
                id,
                now_ms,
                status,
                code,
                message,
                outcome.message_ref,
                outcome.chart_sent,
                outcome.chart_note,
                outcome.calls,
                outcome.waited_ms
            ],
        )?;
        Ok(())
    }

    /// A destination's deliveries, newest first.
    pub fn deliveries(&self, destination_id: i64, limit: i64) -> Result<Vec<Delivery>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {DELIVERY_COLS} FROM deliveries WHERE destination_id = ?1
             ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![destination_id, limit], delivery_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The delivery that sent `message_ref` (to update it after a button click).
    pub fn delivery_by_message(&self, message_ref: &str) -> Result<Option<Delivery>> {
        Ok(self
            .db()
            .query_row(
                &format!("SELECT {DELIVERY_COLS} FROM deliveries WHERE message_ref = ?1 ORDER BY id DESC LIMIT 1"),
                [message_ref],
                delivery_row,
            )
            .optional()?)
    }

    /// Deliveries still `sending` that began before `started_before_ms` (a process stopped
    /// mid-send: no send takes that long) become failed, with words saying so, so that a
    /// scheduled report or an alert is tried again; returns how many.
    pub fn fail_interrupted_deliveries(
        &self,
        started_before_ms: i64,
        now_ms: i64,
    ) -> Result<usize> {
        Ok(self.db().execute(
            "UPDATE deliveries SET status = 'failed', finished_at_ms = ?2, error_code = 'interrupted',
               error_message = 'CarbonSync stopped while sending; whether the message arrived is unknown.'
             WHERE status = 'sending' AND started_at_ms < ?1",
            params![started_before_ms, now_ms],
        )?)
    }
}

impl Store {
    /// A destination's deliveries of one kind and subject, oldest first.
    pub fn deliveries_of(
        &self,
        destination_id: i64,
        kind: &str,
        subject: &str,
    ) -> Result<Vec<Delivery>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {DELIVERY_COLS} FROM deliveries
             WHERE destination_id = ?1 AND kind = ?2 AND subject = ?3 ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![destination_id, kind, subject], delivery_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::DestinationSettings;

    #[test]
    fn alert_connections_tells_unchanged_from_every_connection_from_some() {
        let read = |json: &str| {
            serde_json::from_str::<DestinationSettings>(json)
                .unwrap()
                .alert_connections
        };
        assert_eq!(read("{}"), None);
        assert_eq!(read(r#"{"alert_connections": null}"#), Some(None));
        assert_eq!(
            read(r#"{"alert_connections": [3, 4]}"#),
            Some(Some(vec![3, 4]))
        );
    }
}
