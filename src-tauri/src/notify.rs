//! Desktop notifications for what needs a person: a failed sync, a connection that
//! must be reconnected, a schedule paused or stopped. Said once: the retries that follow
//! a failure that may pass do not notify again.

use crate::shell::Shell;
use carbonsync_core::{AppError, Connection, SyncFinished};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

pub fn sync_finished(app: &AppHandle, f: &SyncFinished) {
    let Some(error) = &f.error else { return };
    // The schedule has already recorded how it reacts to this failure.
    let connection = app
        .try_state::<Shell>()
        .and_then(|shell| shell.app.connection(f.connection_id).ok());
    let Some((title, body)) = words(error, connection.as_ref(), &chrono::Local::now()) else {
        return;
    };
    // A desktop without a notification service just doesn't show it; the window and
    // the sync history still say what happened.
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::info!("notification not shown: {e}");
    }
}

/// The notification for a failed sync of `connection`, or `None` when the person was already
/// told (a retry that failed again).
fn words<Tz: chrono::TimeZone>(
    error: &AppError,
    connection: Option<&Connection>,
    now: &chrono::DateTime<Tz>,
) -> Option<(&'static str, String)>
where
    Tz::Offset: std::fmt::Display,
{
    let Some(c) = connection else {
        let title = if error.code == "needs_reconnect" {
            "A connection needs reconnecting"
        } else {
            "A sync failed"
        };
        return Some((title, error.message.clone()));
    };
    if c.is_retrying() && c.failure_streak > 1 {
        return None;
    }
    let title = if error.code == "needs_reconnect" {
        "A connection needs reconnecting"
    } else if c.schedule_stopped {
        "A connection's schedule stopped"
    } else if c.is_paused() {
        "Syncing paused"
    } else {
        "A sync failed"
    };
    let mut body = format!("{}: {}", c.tenant_name, error.message);
    if let Some(hold) = c.schedule_hold_words(now) {
        body.push('\n');
        body.push_str(&hold);
    }
    Some((title, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbonsync_core::ConnectionStatus;

    fn connection(streak: i64, stopped: bool, paused_until_ms: Option<i64>) -> Connection {
        Connection {
            id: 1,
            provider: "xero".into(),
            tenant_id: "t".into(),
            tenant_name: "Harbour & Pine Ltd".into(),
            base_currency: Some("GBP".into()),
            sandbox: true,
            status: ConnectionStatus::Active,
            vault_key: "k".into(),
            frequency: "hourly".into(),
            created_at: String::new(),
            updated_at: String::new(),
            last_sync_at: None,
            last_status: Some("failed".into()),
            last_error: None,
            paused_until_ms,
            pause_reason: Some("Xero could not be reached".into()),
            schedule_stopped: stopped,
            failure_streak: streak,
        }
    }

    #[test]
    fn a_failure_that_may_pass_is_told_once_not_at_every_retry() {
        let now = chrono::Utc::now();
        let soon = Some(now.timestamp_millis() + 60_000);
        let error = AppError::new("network", "CarbonSync could not reach the platform.");
        let first = words(&error, Some(&connection(1, false, soon)), &now).unwrap();
        assert_eq!(first.0, "A sync failed");
        assert!(first
            .1
            .starts_with("Harbour & Pine Ltd: CarbonSync could not reach"));
        assert!(first.1.contains("Retrying"), "{}", first.1);
        assert_eq!(words(&error, Some(&connection(2, false, soon)), &now), None);
        assert_eq!(words(&error, Some(&connection(5, false, soon)), &now), None);
    }

    #[test]
    fn a_stop_and_a_pause_are_each_told_with_their_own_title() {
        let now = chrono::Utc::now();
        let error = AppError::new("platform_refused", "The platform refused the request.");
        let stopped = words(&error, Some(&connection(0, true, None)), &now).unwrap();
        assert_eq!(stopped.0, "A connection's schedule stopped");
        let later = Some(now.timestamp_millis() + 3_600_000);
        let paused = words(&error, Some(&connection(0, false, later)), &now).unwrap();
        assert_eq!(paused.0, "Syncing paused");
        assert!(paused.1.contains("Paused until"), "{}", paused.1);
    }
}
