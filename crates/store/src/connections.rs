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
    vault_key, frequency, created_at, updated_at, last_sync_at, last_status, last_error";

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
    })
}

impl Store {
    /// Records a connection, or revives the existing one for the same organisation so
    /// that reconnecting keeps its history and data. `vault_key_for` names the keychain
    /// entry from the connection's id.
    pub fn upsert_connection(
        &self,
        new: &NewConnection<'_>,
        vault_key_for: impl Fn(i64) -> String,
    ) -> Result<(Connection, bool)> {
        let now = now_text();
        let existing: Option<i64> = self
            .conn
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
                self.conn.execute(
                    "UPDATE connections SET tenant_name = ?2, base_currency = ?3, status = 'active',
                     last_error = NULL, updated_at = ?4 WHERE id = ?1",
                    rusqlite::params![id, new.tenant_name, new.base_currency, now],
                )?;
                id
            }
            None => {
                self.conn.execute(
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
                let id = self.conn.last_insert_rowid();
                self.conn.execute(
                    "UPDATE connections SET vault_key = ?2 WHERE id = ?1",
                    rusqlite::params![id, vault_key_for(id)],
                )?;
                id
            }
        };
        Ok((self.connection(id)?, created))
    }

    pub fn connection(&self, id: i64) -> Result<Connection> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()?
            .ok_or(StoreError::NoSuchConnection(id))
    }

    pub fn connections(&self) -> Result<Vec<Connection>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM connections ORDER BY id"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_connection_status(
        &self,
        id: i64,
        status: ConnectionStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE connections SET status = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
            rusqlite::params![id, status.as_str(), error, now_text()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchConnection(id));
        }
        Ok(())
    }

    pub fn set_connection_frequency(&self, id: i64, frequency: &str) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE connections SET frequency = ?2, updated_at = ?3 WHERE id = ?1",
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
        self.conn.execute(
            "UPDATE connections SET last_sync_at = ?2, last_status = ?3, last_error = ?4 WHERE id = ?1",
            rusqlite::params![id, finished_at, status, error],
        )?;
        Ok(())
    }

    /// Removes a connection and, through the foreign keys, every record, ledger entry,
    /// cursor and sync log that belonged to it.
    pub fn delete_connection(&self, id: i64) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM ledger WHERE connection_id = ?1", [id])?;
        tx.execute("DELETE FROM records WHERE connection_id = ?1", [id])?;
        tx.execute("DELETE FROM connections WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }
}
