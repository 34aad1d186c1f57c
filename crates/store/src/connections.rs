use crate::{now_text, Result, Store, StoreError};
use rusqlite::{OptionalExtension, Row};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    NeedsReconnect,
    Disconnected,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Disconnected => "disconnected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "needs_reconnect" => Self::NeedsReconnect,
            "disconnected" => Self::Disconnected,
            _ => Self::Active,
        }
    }
}

/// A connected organisation (one tenant of one platform).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Connection {
    pub id: i64,
    pub provider: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub base_currency: Option<String>,
    pub sandbox: bool,
    pub status: ConnectionStatus,
    /// The keychain entry holding this connection's tokens: a reference, never a secret.
    pub vault_key: String,
    pub frequency: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_sync_at: Option<String>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    /// The schedule leaves the connection alone until this moment (ms since 1970, UTC),
    /// then syncs it: a retry after a failure that may pass when `failure_streak` > 0,
    /// otherwise the end of a platform's limit (a long `Retry-After`, a daily limit).
    pub paused_until_ms: Option<i64>,
    /// Why the schedule is paused or stopped, in words (the error's message, or e.g.
    /// "Xero's daily limit"); never a token or a response body.
    pub pause_reason: Option<String>,
    /// The schedule is stopped until the person acts: a sync that retrying cannot fix
    /// failed (access withdrawn, a refused permission, a configuration error).
    /// Reconnecting, changing the frequency, or a successful sync by hand restarts it.
    pub schedule_stopped: bool,
    /// Syncs in a row that failed for a reason that may pass; 0 after a success.
    pub failure_streak: i64,
}

impl Connection {
    /// The schedule is waiting to retry after a failure that may pass.
    pub fn is_retrying(&self) -> bool {
        self.paused_until_ms.is_some() && self.failure_streak > 0 && !self.schedule_stopped
    }

    /// The schedule is paused by a platform's limit until `paused_until_ms`.
    pub fn is_paused(&self) -> bool {
        self.paused_until_ms.is_some() && self.failure_streak == 0 && !self.schedule_stopped
    }

    /// Whether a scheduled tick at `now_ms` (ms since 1970) should sync this connection:
    /// it is active, its schedule is not stopped, and no pause is running.
    pub fn schedule_due(&self, now_ms: i64) -> bool {
        self.status == ConnectionStatus::Active
            && !self.schedule_stopped
            && self.paused_until_ms.is_none_or(|until| until <= now_ms)
    }

    /// The schedule's state in words when it is held, in local time, for a list or a
    /// menu: `Paused until 09:14 tomorrow: Xero's daily limit`, `Retrying at 14:05
    /// today (3 failures in a row): …`, `Schedule stopped: …`. `None` when the schedule
    /// runs as usual (or the connection is disconnected).
    pub fn schedule_hold_words<Tz: chrono::TimeZone>(
        &self,
        now: &chrono::DateTime<Tz>,
    ) -> Option<String>
    where
        Tz::Offset: std::fmt::Display,
    {
        if self.status == ConnectionStatus::Disconnected {
            return None;
        }
        let reason = self
            .pause_reason
            .as_deref()
            .unwrap_or("the last sync failed");
        if self.schedule_stopped {
            return Some(format!("Schedule stopped: {}", sentence(reason)));
        }
        let until = self.paused_until_ms?;
        let when = moment_words(until, now)?;
        if self.failure_streak > 0 {
            let times = match self.failure_streak {
                1 => "1 failure".to_string(),
                n => format!("{n} failures in a row"),
            };
            Some(format!("Retrying {when} ({times}): {}", sentence(reason)))
        } else {
            Some(format!(
                "Paused until {}: {reason}",
                when.trim_start_matches("at ")
            ))
        }
    }

    /// [`Connection::schedule_hold_words`] in this computer's local time, now.
    pub fn schedule_hold_words_local(&self) -> Option<String> {
        self.schedule_hold_words(&chrono::Local::now())
    }
}

/// `at 09:14 today`, `at 09:14 tomorrow`, `at 09:14 on 3 Mar 2026`, in `now`'s time zone.
fn moment_words<Tz: chrono::TimeZone>(ms: i64, now: &chrono::DateTime<Tz>) -> Option<String>
where
    Tz::Offset: std::fmt::Display,
{
    let at = now.timezone().timestamp_millis_opt(ms).single()?;
    let day = at.date_naive();
    let today = now.date_naive();
    let time = at.format("%H:%M");
    Some(if day == today {
        format!("at {time} today")
    } else if today.succ_opt() == Some(day) {
        format!("at {time} tomorrow")
    } else {
        format!("at {time} on {}", at.format("%-d %b %Y"))
    })
}

/// Ends `s` with a full stop unless it already ends a sentence.
fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

/// A connection whose making was stopped part way, as a crash leaves it (the steps are in
/// `migrations/003_connection_setup.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnfinishedSetup {
    /// Being created: not listed, scheduled or synced until it is finished; its tokens
    /// may or may not be in the keychain.
    New,
    /// An existing connection being given a new sign-in: listed in its old state; the
    /// new tokens may be staged in the keychain, or already in the old ones' place.
    Reconnect,
}

impl UnfinishedSetup {
    /// Whether the connection was being created (rather than reconnected).
    pub fn is_new(self) -> bool {
        self == UnfinishedSetup::New
    }
}

pub struct NewConnection<'a> {
    pub provider: &'a str,
    pub tenant_id: &'a str,
    pub tenant_name: &'a str,
    pub base_currency: Option<&'a str>,
    pub sandbox: bool,
    pub frequency: &'a str,
}

const COLUMNS: &str = "id, provider, tenant_id, tenant_name, base_currency, sandbox, status, \
    vault_key, frequency, created_at, updated_at, last_sync_at, last_status, last_error, \
    paused_until_ms, pause_reason, schedule_stopped, failure_streak";

/// The rows that are connections for the person: not one still being created, whose
/// credentials may not be stored yet.
const LISTED: &str = "setup IS NOT 'new'";

/// Everything that holds back the schedule, cleared: what a success or a reconnect does.
const NO_HOLD: &str =
    "paused_until_ms = NULL, pause_reason = NULL, schedule_stopped = 0, failure_streak = 0";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Connection> {
    Ok(Connection {
        id: r.get(0)?,
        provider: r.get(1)?,
        tenant_id: r.get(2)?,
        tenant_name: r.get(3)?,
        base_currency: r.get(4)?,
        sandbox: r.get(5)?,
        status: ConnectionStatus::parse(&r.get::<_, String>(6)?),
        vault_key: r.get(7)?,
        frequency: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        last_sync_at: r.get(11)?,
        last_status: r.get(12)?,
        last_error: r.get(13)?,
        paused_until_ms: r.get(14)?,
        pause_reason: r.get(15)?,
        schedule_stopped: r.get(16)?,
        failure_streak: r.get(17)?,
    })
}

impl Store {
    /// Records a connection, or revives the existing one for the same organisation so
    /// that reconnecting keeps its history and data. `vault_key_for` names the keychain
    /// entry from the connection's id. Reconnecting is the person acting on the
    /// connection, so it also restarts a stopped or paused schedule.
    pub fn upsert_connection(
        &self,
        new: &NewConnection<'_>,
        vault_key_for: impl Fn(i64) -> String,
    ) -> Result<(Connection, bool)> {
        let now = now_text();
        let existing: Option<i64> = self
            .db()
            .query_row(
                "SELECT id FROM connections WHERE provider = ?1 AND tenant_id = ?2 AND sandbox = ?3
                 ORDER BY id DESC LIMIT 1",
                rusqlite::params![new.provider, new.tenant_id, new.sandbox],
                |r| r.get(0),
            )
            .optional()?;
        let created = existing.is_none();
        let id = match existing {
            Some(id) => {
                self.db().execute(
                    &format!(
                        "UPDATE connections SET tenant_name = ?2, base_currency = ?3, status = 'active',
                         last_error = NULL, updated_at = ?4, {NO_HOLD} WHERE id = ?1"
                    ),
                    rusqlite::params![id, new.tenant_name, new.base_currency, now],
                )?;
                id
            }
            None => {
                self.db().execute(
                    "INSERT INTO connections (provider, tenant_id, tenant_name, base_currency, sandbox,
                     vault_key, frequency, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?7, ?7)",
                    rusqlite::params![
                        new.provider,
                        new.tenant_id,
                        new.tenant_name,
                        new.base_currency,
                        new.sandbox,
                        new.frequency,
                        now
                    ],
                )?;
                let id = self.db().last_insert_rowid();
                self.db().execute(
                    "UPDATE connections SET vault_key = ?2 WHERE id = ?1",
                    rusqlite::params![id, vault_key_for(id)],
                )?;
                id
            }
        };
        Ok((self.connection(id)?, created))
    }

    /// Starts making a connection, before its tokens go to the keychain: a new
    /// organisation gets a row that stays unlisted until [`Store::activate_connection`]
    /// (`true`); an organisation already connected keeps its row, as it is, marked as
    /// being reconnected (`false`). A row left unfinished for the same organisation is
    /// taken over. `vault_key_for` names the keychain entry from the connection's id.
    pub fn start_connection(
        &self,
        new: &NewConnection<'_>,
        vault_key_for: impl Fn(i64) -> String,
    ) -> Result<(Connection, bool)> {
        let tx = self.db().unchecked_transaction()?;
        let existing: Option<(i64, Option<String>)> = tx
            .query_row(
                "SELECT id, setup FROM connections WHERE provider = ?1 AND tenant_id = ?2 AND sandbox = ?3
                 ORDER BY id DESC LIMIT 1",
                rusqlite::params![new.provider, new.tenant_id, new.sandbox],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (id, created) = match existing {
            Some((id, Some(setup))) if setup == "new" => (id, true),
            Some((id, _)) => {
                tx.execute(
                    "UPDATE connections SET setup = 'reconnect' WHERE id = ?1",
                    [id],
                )?;
                (id, false)
            }
            None => {
                let now = now_text();
                tx.execute(
                    "INSERT INTO connections (provider, tenant_id, tenant_name, base_currency, sandbox,
                     vault_key, frequency, created_at, updated_at, setup)
                     VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?7, ?7, 'new')",
                    rusqlite::params![
                        new.provider,
                        new.tenant_id,
                        new.tenant_name,
                        new.base_currency,
                        new.sandbox,
                        new.frequency,
                        now
                    ],
                )?;
                let id = tx.last_insert_rowid();
                tx.execute(
                    "UPDATE connections SET vault_key = ?2 WHERE id = ?1",
                    rusqlite::params![id, vault_key_for(id)],
                )?;
                (id, true)
            }
        };
        tx.commit()?;
        Ok((self.connection_in_any_state(id)?, created))
    }

    /// Makes a connection whose new tokens are in the keychain what it says: active, with
    /// the organisation's current name and currency, its schedule free and its streams to
    /// be read again from the start. A new connection becomes listed; a reconnected one
    /// keeps its mark until [`Store::end_connection_setup`], once the old grant is retired.
    pub fn activate_connection(
        &self,
        id: i64,
        tenant_name: &str,
        base_currency: Option<&str>,
    ) -> Result<Connection> {
        let tx = self.db().unchecked_transaction()?;
        let n = tx.execute(
            &format!(
                "UPDATE connections SET tenant_name = ?2, base_currency = ?3, status = 'active',
                 last_error = NULL, updated_at = ?4, {NO_HOLD},
                 setup = CASE WHEN setup = 'new' THEN NULL ELSE setup END
                 WHERE id = ?1"
            ),
            rusqlite::params![id, tenant_name, base_currency, now_text()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchConnection(id));
        }
        tx.execute("DELETE FROM cursors WHERE connection_id = ?1", [id])?;
        tx.commit()?;
        self.connection_in_any_state(id)
    }

    /// Clears a reconnect's mark: its new sign-in is in place and the old one retired, or
    /// it was abandoned and the old one kept.
    pub fn end_connection_setup(&self, id: i64) -> Result<()> {
        self.update_hold(id, "setup = NULL", rusqlite::params![id])
    }

    /// Every connection whose making was stopped part way, oldest first.
    pub fn unfinished_connections(&self) -> Result<Vec<(Connection, UnfinishedSetup)>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {COLUMNS}, setup FROM connections WHERE setup IS NOT NULL ORDER BY id"
        ))?;
        let rows = stmt.query_map([], |r| {
            let setup = match r.get::<_, String>(18)?.as_str() {
                "new" => UnfinishedSetup::New,
                _ => UnfinishedSetup::Reconnect,
            };
            Ok((from_row(r)?, setup))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn connection_in_any_state(&self, id: i64) -> Result<Connection> {
        self.db()
            .query_row(
                &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()?
            .ok_or(StoreError::NoSuchConnection(id))
    }

    /// A connection that exists for the person: one still being created is not.
    pub fn connection(&self, id: i64) -> Result<Connection> {
        self.db()
            .query_row(
                &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1 AND {LISTED}"),
                [id],
                from_row,
            )
            .optional()?
            .ok_or(StoreError::NoSuchConnection(id))
    }

    /// The connections that exist for the person (see [`Store::connection`]).
    pub fn connections(&self) -> Result<Vec<Connection>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {COLUMNS} FROM connections WHERE {LISTED} ORDER BY id"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_connection_status(
        &self,
        id: i64,
        status: ConnectionStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let n = self.db().execute(
            "UPDATE connections SET status = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
            rusqlite::params![id, status.as_str(), error, now_text()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchConnection(id));
        }
        Ok(())
    }

    /// Changes how often the connection syncs. Choosing a frequency is the person acting
    /// on the connection, so a stopped schedule starts again; a pause set by the platform
    /// (or a retry under way) stays, since the new frequency does not change it.
    pub fn set_connection_frequency(&self, id: i64, frequency: &str) -> Result<()> {
        let n = self.db().execute(
            "UPDATE connections SET frequency = ?2, updated_at = ?3,
             pause_reason = CASE WHEN schedule_stopped = 1 THEN NULL ELSE pause_reason END,
             schedule_stopped = 0
             WHERE id = ?1",
            rusqlite::params![id, frequency, now_text()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchConnection(id));
        }
        Ok(())
    }

    pub fn record_sync_outcome(
        &self,
        id: i64,
        finished_at: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<()> {
        self.db().execute(
            "UPDATE connections SET last_sync_at = ?2, last_status = ?3, last_error = ?4 WHERE id = ?1",
            rusqlite::params![id, finished_at, status, error],
        )?;
        Ok(())
    }

    /// Counts one more failure that may pass and sets when the schedule retries:
    /// `retry_at` gets the new number of failures in a row and answers the moment (ms
    /// since 1970), or `None` for a connection without a schedule. Returns the count.
    pub fn record_retryable_failure(
        &self,
        id: i64,
        reason: &str,
        retry_at: impl FnOnce(i64) -> Option<i64>,
    ) -> Result<i64> {
        let tx = self.db().unchecked_transaction()?;
        let streak: i64 = tx
            .query_row(
                "UPDATE connections SET failure_streak = failure_streak + 1
                 WHERE id = ?1 RETURNING failure_streak",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NoSuchConnection(id))?;
        tx.execute(
            "UPDATE connections SET paused_until_ms = ?2, pause_reason = ?3, schedule_stopped = 0
             WHERE id = ?1",
            rusqlite::params![id, retry_at(streak), reason],
        )?;
        tx.commit()?;
        Ok(streak)
    }

    /// Pauses the schedule until `until_ms` (ms since 1970) because the platform asked for
    /// it (a daily limit, a long `Retry-After`); the failures in a row start again.
    pub fn pause_schedule(&self, id: i64, until_ms: i64, reason: &str) -> Result<()> {
        self.update_hold(
            id,
            "paused_until_ms = ?2, pause_reason = ?3, schedule_stopped = 0, failure_streak = 0",
            rusqlite::params![id, until_ms, reason],
        )
    }

    /// Stops the schedule until the person acts (see [`Connection::schedule_stopped`]).
    pub fn stop_schedule(&self, id: i64, reason: &str) -> Result<()> {
        self.update_hold(
            id,
            "paused_until_ms = NULL, pause_reason = ?2, schedule_stopped = 1, failure_streak = 0",
            rusqlite::params![id, reason],
        )
    }

    /// Lets the schedule run as usual again: after a successful sync.
    pub fn clear_schedule_hold(&self, id: i64) -> Result<()> {
        self.update_hold(id, NO_HOLD, rusqlite::params![id])
    }

    fn update_hold(&self, id: i64, set: &str, params: &[&dyn rusqlite::ToSql]) -> Result<()> {
        let n = self.db().execute(
            &format!("UPDATE connections SET {set} WHERE id = ?1"),
            params,
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchConnection(id));
        }
        Ok(())
    }

    /// Removes a connection and, through the foreign keys, every record, ledger entry,
    /// cursor and sync log that belonged to it.
    pub fn delete_connection(&self, id: i64) -> Result<()> {
        let tx = self.db().unchecked_transaction()?;
        tx.execute("DELETE FROM ledger WHERE connection_id = ?1", [id])?;
        tx.execute("DELETE FROM records WHERE connection_id = ?1", [id])?;
        tx.execute("DELETE FROM connections WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset};

    fn new_org() -> NewConnection<'static> {
        NewConnection {
            provider: "xero",
            tenant_id: "t-1",
            tenant_name: "Harbour & Pine Ltd",
            base_currency: Some("GBP"),
            sandbox: true,
            frequency: "hourly",
        }
    }

    #[test]
    fn a_new_connection_is_unlisted_until_activated_and_a_reconnect_stays_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let (conn, created) = store
            .start_connection(&new_org(), |id| format!("install/connection/{id}"))
            .unwrap();
        assert!(created);
        assert_eq!(conn.vault_key, format!("install/connection/{}", conn.id));
        assert!(store.connections().unwrap().is_empty());
        assert!(matches!(
            store.connection(conn.id),
            Err(StoreError::NoSuchConnection(_))
        ));
        assert_eq!(
            store.unfinished_connections().unwrap(),
            vec![(conn.clone(), UnfinishedSetup::New)]
        );
        // A second start for the same organisation takes the unfinished row over.
        let (again, created) = store
            .start_connection(&new_org(), |_| unreachable!())
            .unwrap();
        assert!(created);
        assert_eq!(again.id, conn.id);

        let active = store
            .activate_connection(conn.id, "Harbour & Pine Ltd", Some("GBP"))
            .unwrap();
        assert_eq!(active.status, ConnectionStatus::Active);
        assert_eq!(store.connections().unwrap(), vec![active.clone()]);
        assert!(store.unfinished_connections().unwrap().is_empty());

        // Reconnecting keeps the row listed, as it was, until the mark is cleared.
        store
            .set_connection_status(conn.id, ConnectionStatus::NeedsReconnect, Some("revoked"))
            .unwrap();
        let (re, created) = store
            .start_connection(&new_org(), |_| unreachable!())
            .unwrap();
        assert!(!created);
        assert_eq!(re.status, ConnectionStatus::NeedsReconnect);
        assert_eq!(store.connections().unwrap().len(), 1);
        assert_eq!(
            store.unfinished_connections().unwrap()[0].1,
            UnfinishedSetup::Reconnect
        );
        let back = store
            .activate_connection(conn.id, "Harbour & Pine Ltd (renamed)", Some("GBP"))
            .unwrap();
        assert_eq!(back.status, ConnectionStatus::Active);
        assert_eq!(back.tenant_name, "Harbour & Pine Ltd (renamed)");
        assert_eq!(store.unfinished_connections().unwrap().len(), 1);
        store.end_connection_setup(conn.id).unwrap();
        assert!(store.unfinished_connections().unwrap().is_empty());
    }

    fn open() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let (c, _) = store
            .upsert_connection(&new_org(), |id| format!("install/connection/{id}"))
            .unwrap();
        (dir, store, c.id)
    }

    /// 21:30 on 5 March 2025 in Paris (UTC+1).
    fn evening() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2025-03-05T21:30:00+01:00").unwrap()
    }

    fn ms(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn a_new_connection_runs_on_schedule() {
        let (_dir, store, id) = open();
        let c = store.connection(id).unwrap();
        assert_eq!(c.paused_until_ms, None);
        assert!(!c.schedule_stopped);
        assert_eq!(c.failure_streak, 0);
        assert!(c.schedule_due(0));
        assert_eq!(c.schedule_hold_words(&evening()), None);
    }

    #[test]
    fn failures_in_a_row_are_counted_and_each_sets_the_retry() {
        let (_dir, store, id) = open();
        let retry = ms("2025-03-05T21:35:00+01:00");
        let mut seen = Vec::new();
        for _ in 0..3 {
            let n = store
                .record_retryable_failure(id, "Could not reach the platform", |n| {
                    seen.push(n);
                    Some(retry + n)
                })
                .unwrap();
            assert_eq!(Some(&n), seen.last());
        }
        assert_eq!(seen, [1, 2, 3]);
        let c = store.connection(id).unwrap();
        assert_eq!(c.failure_streak, 3);
        assert_eq!(c.paused_until_ms, Some(retry + 3));
        assert!(c.is_retrying() && !c.is_paused());
        assert!(!c.schedule_due(retry));
        assert!(c.schedule_due(retry + 3));
        assert_eq!(
            c.schedule_hold_words(&evening()).unwrap(),
            "Retrying at 21:35 today (3 failures in a row): Could not reach the platform."
        );

        store.clear_schedule_hold(id).unwrap();
        let c = store.connection(id).unwrap();
        assert_eq!((c.failure_streak, c.paused_until_ms), (0, None));
        assert!(c.schedule_due(0));
    }

    #[test]
    fn a_daily_limit_pauses_until_a_time_said_in_local_words() {
        let (_dir, store, id) = open();
        store
            .record_retryable_failure(id, "Could not reach the platform", |_| Some(1))
            .unwrap();
        let until = ms("2025-03-06T09:14:00+01:00");
        store
            .pause_schedule(id, until, "Xero's daily limit")
            .unwrap();
        let c = store.connection(id).unwrap();
        assert!(c.is_paused() && !c.is_retrying());
        assert_eq!(c.failure_streak, 0, "a pause starts the count again");
        assert!(!c.schedule_due(until - 1));
        assert!(c.schedule_due(until));
        assert_eq!(
            c.schedule_hold_words(&evening()).unwrap(),
            "Paused until 09:14 tomorrow: Xero's daily limit"
        );
        let morning = DateTime::parse_from_rfc3339("2025-03-06T08:00:00+01:00").unwrap();
        assert_eq!(
            c.schedule_hold_words(&morning).unwrap(),
            "Paused until 09:14 today: Xero's daily limit"
        );
        let before = DateTime::parse_from_rfc3339("2025-03-01T08:00:00+01:00").unwrap();
        assert_eq!(
            c.schedule_hold_words(&before).unwrap(),
            "Paused until 09:14 on 6 Mar 2025: Xero's daily limit"
        );
        // The same moment, read in UTC.
        let utc = DateTime::parse_from_rfc3339("2025-03-05T20:30:00+00:00").unwrap();
        assert_eq!(
            c.schedule_hold_words(&utc).unwrap(),
            "Paused until 08:14 tomorrow: Xero's daily limit"
        );
    }

    #[test]
    fn a_stop_lasts_until_the_frequency_changes() {
        let (_dir, store, id) = open();
        store
            .stop_schedule(id, "The platform refused the request")
            .unwrap();
        let c = store.connection(id).unwrap();
        assert!(c.schedule_stopped && !c.schedule_due(i64::MAX));
        assert_eq!(
            c.schedule_hold_words(&evening()).unwrap(),
            "Schedule stopped: The platform refused the request."
        );
        store.set_connection_frequency(id, "daily").unwrap();
        let c = store.connection(id).unwrap();
        assert!(!c.schedule_stopped && c.schedule_due(0));
        assert_eq!(c.pause_reason, None);
        assert_eq!(c.frequency, "daily");
    }

    #[test]
    fn a_new_frequency_keeps_the_platforms_pause() {
        let (_dir, store, id) = open();
        let until = ms("2025-03-06T09:14:00+01:00");
        store
            .pause_schedule(id, until, "Xero's daily limit")
            .unwrap();
        store.set_connection_frequency(id, "daily").unwrap();
        let c = store.connection(id).unwrap();
        assert_eq!(c.paused_until_ms, Some(until));
        assert_eq!(c.pause_reason.as_deref(), Some("Xero's daily limit"));
    }

    #[test]
    fn reconnecting_restarts_a_stopped_schedule() {
        let (_dir, store, id) = open();
        store
            .set_connection_status(id, ConnectionStatus::NeedsReconnect, Some("withdrawn"))
            .unwrap();
        store
            .stop_schedule(id, "Xero no longer accepts access")
            .unwrap();
        assert!(!store.connection(id).unwrap().schedule_due(i64::MAX));
        let (c, created) = store
            .upsert_connection(&new_org(), |_| unreachable!())
            .unwrap();
        assert!(!created);
        assert_eq!(c.status, ConnectionStatus::Active);
        assert!(!c.schedule_stopped && c.pause_reason.is_none());
        assert!(c.schedule_due(0));
    }

    #[test]
    fn a_disconnected_connection_shows_no_schedule_state() {
        let (_dir, store, id) = open();
        store.stop_schedule(id, "refused").unwrap();
        store
            .set_connection_status(id, ConnectionStatus::Disconnected, None)
            .unwrap();
        let c = store.connection(id).unwrap();
        assert_eq!(c.schedule_hold_words(&evening()), None);
        assert!(!c.schedule_due(i64::MAX));
    }

    #[test]
    fn holds_on_a_missing_connection_are_refused() {
        let (_dir, store, _) = open();
        assert!(matches!(
            store.stop_schedule(99, "x"),
            Err(StoreError::NoSuchConnection(99))
        ));
        assert!(matches!(
            store.record_retryable_failure(99, "x", |_| None),
            Err(StoreError::NoSuchConnection(99))
        ));
    }
}
