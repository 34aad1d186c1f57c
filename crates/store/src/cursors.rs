use crate::{now_text, Result, Store};
use rusqlite::OptionalExtension;

impl Store {
    /// The newest modification time (ms since epoch) stored for a stream, if any.
    pub fn cursor(&self, connection_id: i64, stream: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT modified_since FROM cursors WHERE connection_id = ?1 AND stream = ?2",
                rusqlite::params![connection_id, stream],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    pub(crate) fn set_cursor_in(
        tx: &rusqlite::Transaction<'_>,
        connection_id: i64,
        stream: &str,
        modified_since: Option<i64>,
    ) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO cursors (connection_id, stream, modified_since, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (connection_id, stream) DO UPDATE
             SET modified_since = excluded.modified_since, updated_at = excluded.updated_at",
        )?
        .execute(rusqlite::params![connection_id, stream, modified_since, now_text()])?;
        Ok(())
    }

    /// Forgets every stream position of a connection so that the next sync is full.
    pub fn reset_cursors(&self, connection_id: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM cursors WHERE connection_id = ?1",
            [connection_id],
        )?;
        Ok(())
    }

    /// All stream positions of a connection, for the connection view.
    pub fn cursors(&self, connection_id: i64) -> Result<Vec<(String, Option<i64>)>> {
        let mut stmt = self.conn.prepare(
            "SELECT stream, modified_since FROM cursors WHERE connection_id = ?1 ORDER BY stream",
        )?;
        let rows = stmt.query_map([connection_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
