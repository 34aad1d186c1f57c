//! The audit trail: an append-only, hash-chained log of changes (see migration 010).
//!
//! Each row's `hash` is the hex SHA-256 of its fields, each written as its byte length
//! (8 bytes, big-endian) then its bytes, in this order: id, at_ms, os_user, machine, action,
//! subject, before, after, reason (an absent value as length `u64::MAX` and no bytes), then
//! `prev_hash`. The length prefixes keep two different rows from ever hashing the same
//! bytes ("ab"+"c" vs "a"+"bc").

use crate::{Result, Store};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A change to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// ms since 1970, UTC.
    pub at_ms: i64,
    pub os_user: &'a str,
    pub machine: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    /// JSON, or `None` when the thing did not exist before.
    pub before: Option<&'a str>,
    /// JSON, or `None` when the thing is gone after.
    pub after: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// One row of the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditRow {
    pub id: i64,
    #[ts(type = "number")]
    pub at_ms: i64,
    pub os_user: String,
    pub machine: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Whether the chain is intact, and where it breaks if not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditCheck {
    /// Rows read.
    #[ts(type = "number")]
    pub rows: i64,
    pub intact: bool,
    /// The first row that does not fit the chain.
    #[ts(type = "number | null")]
    pub broken_at: Option<i64>,
    /// What is wrong there, in words.
    pub problem: Option<String>,
}

fn field(hash: &mut Sha256, value: Option<&[u8]>) {
    match value {
        Some(bytes) => {
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        }
        None => hash.update(u64::MAX.to_be_bytes()),
    }
}

/// The hash a row must carry.
#[allow(clippy::too_many_arguments)]
fn row_hash(
    id: i64,
    at_ms: i64,
    os_user: &str,
    machine: &str,
    action: &str,
    subject: &str,
    before: Option<&str>,
    after: Option<&str>,
    reason: Option<&str>,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    field(&mut h, Some(id.to_string().as_bytes()));
    field(&mut h, Some(at_ms.to_string().as_bytes()));
    for v in [
        Some(os_user),
        Some(machine),
        Some(action),
        Some(subject),
        before,
        after,
        reason,
    ] {
        field(&mut h, v.map(str::as_bytes));
    }
    field(&mut h, Some(prev_hash.as_bytes()));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

const COLS: &str =
    "id, at_ms, os_user, machine, action, subject, before, after, reason, prev_hash, hash";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        at_ms: r.get(1)?,
        os_user: r.get(2)?,
        machine: r.get(3)?,
        action: r.get(4)?,
        subject: r.get(5)?,
        before: r.get(6)?,
        after: r.get(7)?,
        reason: r.get(8)?,
        prev_hash: r.get(9)?,
        hash: r.get(10)?,
    })
}

impl Store {
    /// Appends a change to the trail, chained to the last row, in one transaction (a writer
    /// at a time, so two processes never chain to the same row).
    pub fn append_audit(&self, e: &AuditEntry<'_>) -> Result<AuditRow> {
        let tx = self.db().unchecked_transaction()?;
        let row = append_in(&tx, e)?;
        tx.commit()?;
        Ok(row)
    }

    /// The trail, newest first; `subject` keeps only the rows about it.
    pub fn audit_rows(&self, subject: Option<&str>, limit: i64) -> Result<Vec<AuditRow>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {COLS} FROM audit_log WHERE (?1 IS NULL OR subject = ?1)
             ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![subject, limit], read_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Walks the whole chain from the first row: each row's hash must be what its fields
    /// give, its `prev_hash` the row before's hash, and the ids must follow one another
    /// (a removed row leaves a gap). Returns where it first breaks.
    pub fn verify_audit(&self) -> Result<AuditCheck> {
        let mut stmt = self
            .db()
            .prepare(&format!("SELECT {COLS} FROM audit_log ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        let mut expected_prev = GENESIS_HASH.to_owned();
        let mut expected_id = 1;
        let mut count = 0;
        while let Some(r) = rows.next()? {
            let row = read_row(r)?;
            count += 1;
            let broken = |problem: String| AuditCheck {
                rows: count,
                intact: false,
                broken_at: Some(row.id),
                problem: Some(problem),
            };
            if row.id != expected_id {
                return Ok(broken(format!(
                    "row {} follows row {}: the rows between were removed",
                    row.id,
                    expected_id - 1
                )));
            }
            if row.prev_hash != expected_prev {
                return Ok(broken(format!(
                    "row {} does not follow the row before it (it was inserted, or the row before was changed)",
                    row.id
                )));
            }
            let hash = row_hash(
                row.id,
                row.at_ms,
                &row.os_user,
                &row.machine,
                &row.action,
                &row.subject,
                row.before.as_deref(),
                row.after.as_deref(),
                row.reason.as_deref(),
                &row.prev_hash,
            );
            if hash != row.hash {
                return Ok(broken(format!(
                    "row {} was changed after it was written: its content no longer matches its hash",
                    row.id
                )));
            }
            expected_prev = row.hash;
            expected_id += 1;
        }
        drop(rows);
        let last = expected_id - 1;
        let head: Option<String> = self
            .db()
            .query_row("SELECT value FROM meta WHERE key = ?1", [AUDIT_HEAD], |r| {
                r.get(0)
            })
            .optional()?;
        let head = head.and_then(|h| {
            let (id, hash) = h.split_once(' ')?;
            Some((id.parse::<i64>().ok()?, hash.to_owned()))
        });
        let cut = |at: i64, problem: String| AuditCheck {
            rows: count,
            intact: false,
            broken_at: Some(at),
            problem: Some(problem),
        };
        match head {
            None if count > 0 => {
                return Ok(cut(
                    last,
                    "the record of the trail's last row is gone: rows may have been removed \
                     from its end"
                        .into(),
                ))
            }
            Some((id, _)) if id > last => {
                return Ok(cut(
                    last + 1,
                    format!(
                        "the trail ends at row {last}, but CarbonSync wrote rows up to {id}: \
                         the rows after {last} were removed"
                    ),
                ))
            }
            Some((id, _)) if id < last => {
                return Ok(cut(
                    id + 1,
                    format!(
                        "CarbonSync's last row is {id}, but the trail goes on to row {last}: \
                         the rows after {id} were not written by CarbonSync"
                    ),
                ))
            }
            Some((id, hash)) if hash != expected_prev => {
                return Ok(cut(
                    id,
                    format!("row {id} is not the row CarbonSync wrote last"),
                ))
            }
            _ => {}
        }
        Ok(AuditCheck {
            rows: count,
            intact: true,
            broken_at: None,
            problem: None,
        })
    }
}

/// The `meta` key of the trail's last row as CarbonSync wrote it (`"<id> <hash>"`, migration
/// 020): a trail cut short at its end still chains, and only this shows the rows are gone.
const AUDIT_HEAD: &str = "audit_head";

/// The triggers that keep the trail append-only (migration 010), made again when someone
/// dropped them: the app must never be able to change a row, whoever removed the guard.
pub(crate) fn restore_protection(conn: &rusqlite::Connection) -> Result<()> {
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Ok(());
    }
    let missing: i64 = conn.query_row(
        "SELECT 2 - COUNT(*) FROM sqlite_schema WHERE type = 'trigger'
           AND name IN ('audit_log_append_only_update', 'audit_log_append_only_delete')",
        [],
        |r| r.get(0),
    )?;
    if missing > 0 {
        tracing::warn!("the audit trail's append-only triggers were removed; made them again");
        conn.execute_batch(
            "CREATE TRIGGER IF NOT EXISTS audit_log_append_only_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
             CREATE TRIGGER IF NOT EXISTS audit_log_append_only_delete BEFORE DELETE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
        )?;
    }
    Ok(())
}

/// Appends a change to the trail inside the caller's transaction, chained to the last row: the
/// change and its row are written together or not at all.
pub(crate) fn append_in(tx: &rusqlite::Connection, e: &AuditEntry<'_>) -> Result<AuditRow> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (id, prev) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let hash = row_hash(
        id, e.at_ms, e.os_user, e.machine, e.action, e.subject, e.before, e.after, e.reason, &prev,
    );
    tx.execute(
        "INSERT INTO audit_log (id, at_ms, os_user, machine, action, subject, before, after,
           reason, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            id, e.at_ms, e.os_user, e.machine, e.action, e.subject, e.before, e.after, e.reason,
            prev, hash
        ],
    )?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![AUDIT_HEAD, format!("{id} {hash}")],
    )?;
    Ok(AuditRow {
        id,
        at_ms: e.at_ms,
        os_user: e.os_user.to_owned(),
        machine: e.machine.to_owned(),
        action: e.action.to_owned(),
        subject: e.subject.to_owned(),
        before: e.before.map(str::to_owned),
        after: e.after.map(str::to_owned),
        reason: e.reason.map(str::to_owned),
        prev_hash: prev,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(subject: &'a str, after: &'a str) -> AuditEntry<'a> {
        AuditEntry {
            at_ms: 1_733_050_000_000,
            os_user: "alex",
            machine: "finance-laptop",
            action: "supplier_rule_added",
            subject,
            before: None,
            after: Some(after),
            reason: Some("cloud bill covered"),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.sqlite3")).unwrap();
        (dir, store)
    }

    #[test]
    fn rows_chain_and_verify_and_the_app_cannot_change_them() {
        let (_dir, s) = store();
        assert!(s.verify_audit().unwrap().intact, "an empty trail is intact");
        let a = s.append_audit(&entry("rule:1", "{\"a\":1}")).unwrap();
        let b = s.append_audit(&entry("rule:2", "{\"b\":2}")).unwrap();
        assert_eq!(a.prev_hash, GENESIS_HASH);
        assert_eq!(b.prev_hash, a.hash);
        let check = s.verify_audit().unwrap();
        assert_eq!((check.rows, check.intact), (2, true));
        assert!(s
            .conn
            .execute("UPDATE audit_log SET reason = 'x'", [])
            .is_err());
        assert!(s.conn.execute("DELETE FROM audit_log", []).is_err());
        assert_eq!(s.audit_rows(Some("rule:2"), 10).unwrap(), vec![b]);
    }

    #[test]
    fn an_edit_a_removal_or_an_insertion_behind_the_apps_back_is_found_where_it_happened() {
        for tamper in [
            "UPDATE audit_log SET after = '{\"a\":9}' WHERE id = 2",
            "DELETE FROM audit_log WHERE id = 2",
            "UPDATE audit_log SET prev_hash = hash WHERE id = 3",
            // The end cut off: what is left still chains.
            "DELETE FROM audit_log WHERE id >= 3",
        ] {
            let (_dir, s) = store();
            for i in 1..=4 {
                s.append_audit(&entry(&format!("rule:{i}"), "{}")).unwrap();
            }
            s.conn
                .execute_batch(&format!(
                    "DROP TRIGGER audit_log_append_only_update;
                     DROP TRIGGER audit_log_append_only_delete; {tamper};"
                ))
                .unwrap();
            let check = s.verify_audit().unwrap();
            assert!(!check.intact, "{tamper}");
            let at = check.broken_at.unwrap();
            assert!((2..=3).contains(&at), "{tamper}: {check:?}");
        }
    }

    #[test]
    fn a_row_chained_on_behind_the_apps_back_is_found() {
        let (_dir, s) = store();
        let a = s.append_audit(&entry("rule:1", "{}")).unwrap();
        // A forger who knows the hashing appends a row that chains.
        let hash = row_hash(
            2, 1, "mallory", "m", "x", "rule:9", None, None, None, &a.hash,
        );
        s.conn
            .execute(
                "INSERT INTO audit_log VALUES (2, 1, 'mallory', 'm', 'x', 'rule:9', NULL, NULL,
                   NULL, ?1, ?2)",
                params![a.hash, hash],
            )
            .unwrap();
        let check = s.verify_audit().unwrap();
        assert_eq!(
            (check.intact, check.broken_at),
            (false, Some(2)),
            "{check:?}"
        );
        assert!(check.problem.unwrap().contains("not written by CarbonSync"));
    }

    #[test]
    fn the_guards_a_person_dropped_are_made_again_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let s = Store::open(&path).unwrap();
        s.append_audit(&entry("rule:1", "{}")).unwrap();
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_log_append_only_update;
                 DROP TRIGGER audit_log_append_only_delete;",
            )
            .unwrap();
        drop(s);
        let s = Store::open(&path).unwrap();
        assert!(s
            .conn
            .execute("UPDATE audit_log SET reason = 'x'", [])
            .is_err());
        assert!(s.conn.execute("DELETE FROM audit_log", []).is_err());
    }

    #[test]
    fn the_hash_keeps_field_boundaries() {
        let one = row_hash(1, 0, "ab", "c", "x", "s", None, None, None, GENESIS_HASH);
        let two = row_hash(1, 0, "a", "bc", "x", "s", None, None, None, GENESIS_HASH);
        let three = row_hash(
            1,
            0,
            "ab",
            "c",
            "x",
            "s",
            Some(""),
            None,
            None,
            GENESIS_HASH,
        );
        assert_ne!(one, two);
        assert_ne!(one, three, "absent is not empty");
    }
}
