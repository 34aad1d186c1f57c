use crate::{Result, Store};
use serde::{Deserialize, Serialize};

/// An account of the organisation's chart of accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    pub account_id: String,
    /// How documents' lines name the account (Xero: its code; QuickBooks: its id).
    pub line_ref: Option<String>,
    /// What the platform's mapping table keys on for it (Xero: the code).
    pub mapping_key: Option<String>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub account_type: Option<String>,
    pub class: Option<String>,
    pub status: Option<String>,
    pub tax_type: Option<String>,
    /// ms since epoch; `None` when the platform did not say (Xero's examples omit it).
    pub updated_ms: Option<i64>,
}

impl Store {
    /// Writes a page of accounts and the stream cursor together. Returns how many were
    /// new and how many changed.
    pub fn write_accounts(
        &mut self,
        connection_id: i64,
        accounts: &[AccountRow],
        cursor: Option<i64>,
    ) -> Result<(i64, i64)> {
        let tx = self.db_mut().transaction()?;
        let (mut created, mut updated) = (0, 0);
        {
            let mut find = tx.prepare_cached(
                "SELECT updated_ms FROM accounts WHERE connection_id = ?1 AND account_id = ?2",
            )?;
            let mut put = tx.prepare_cached(
                "INSERT INTO accounts (connection_id, account_id, code, name, type, class, status, tax_type, updated_ms, line_ref, mapping_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (connection_id, account_id) DO UPDATE SET code = excluded.code,
                 line_ref = excluded.line_ref, mapping_key = excluded.mapping_key,
                 name = excluded.name, type = excluded.type, class = excluded.class,
                 status = excluded.status, tax_type = excluded.tax_type, updated_ms = excluded.updated_ms",
            )?;
            for a in accounts {
                use rusqlite::OptionalExtension;
                let before: Option<Option<i64>> = find
                    .query_row(rusqlite::params![connection_id, a.account_id], |r| r.get(0))
                    .optional()?;
                match before {
                    // Without a modification time every answer may be a change: write it, but
                    // count it as changed only when it was dated before.
                    Some(Some(ms)) if Some(ms) == a.updated_ms => continue,
                    Some(None) if a.updated_ms.is_none() => {}
                    Some(_) => updated += 1,
                    None => created += 1,
                }
                put.execute(rusqlite::params![
                    connection_id,
                    a.account_id,
                    a.code,
                    a.name,
                    a.account_type,
                    a.class,
                    a.status,
                    a.tax_type,
                    a.updated_ms,
                    a.line_ref,
                    a.mapping_key
                ])?;
            }
        }
        Store::set_cursor_in(&tx, connection_id, "accounts", cursor)?;
        tx.commit()?;
        Ok((created, updated))
    }

    /// The chart of accounts of a connection, by code.
    pub fn accounts(&self, connection_id: i64) -> Result<Vec<AccountRow>> {
        let mut stmt = self.db().prepare(
            "SELECT account_id, code, name, type, class, status, tax_type, updated_ms, line_ref,
             mapping_key FROM accounts WHERE connection_id = ?1 ORDER BY code",
        )?;
        let rows = stmt.query_map([connection_id], |r| {
            Ok(AccountRow {
                account_id: r.get(0)?,
                line_ref: r.get(8)?,
                mapping_key: r.get(9)?,
                code: r.get(1)?,
                name: r.get(2)?,
                account_type: r.get(3)?,
                class: r.get(4)?,
                status: r.get(5)?,
                tax_type: r.get(6)?,
                updated_ms: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
