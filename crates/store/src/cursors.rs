use crate::{now_text, Result, Store};
use rusqlite::OptionalExtension;

/// Where a stream of a connection stands.
///
/// `modified_since` (ms since epoch) is where the next incremental sync starts: every record
/// changed before it has been stored. `walk` is the sync engine's own note (JSON it alone reads)
/// of a walk through the stream's pages that has not finished, so an interrupted sync resumes
/// where it stopped; `None` when the stream is at rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamPosition {
    pub modified_since: Option<i64>,
    pub walk: Option<String>,
}

impl Store {
    /// The newest modification time (ms since epoch) a stream is known to be complete up to.
    pub fn cursor(&self, connection_id: i64, stream: &str) -> Result<Option<i64>> {
        Ok(self.position(connection_id, stream)?.modified_since)
    }

    /// The whole position of a stream (default: never synced).
    pub fn position(&self, connection_id: i64, stream: &str) -> Result<StreamPosition> {
        Ok(self
            .db()
            .query_row(
                "SELECT modified_since, walk FROM cursors WHERE connection_id = ?1 AND stream = ?2",
                rusqlite::params![connection_id, stream],
                |r| {
                    Ok(StreamPosition {
                        modified_since: r.get(0)?,
                        walk: r.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    pub(crate) fn set_position_in(
        tx: &rusqlite::Transaction<'_>,
        connection_id: i64,
        stream: &str,
        position: &StreamPosition,
    ) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO cursors (connection_id, stream, modified_since, walk, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (connection_id, stream) DO UPDATE
             SET modified_since = excluded.modified_since, walk = excluded.walk,
                 updated_at = excluded.updated_at",
        )?
        .execute(rusqlite::params![
            connection_id,
            stream,
            position.modified_since,
            position.walk,
            now_text()
        ])?;
        Ok(())
    }

    pub(crate) fn set_cursor_in(
        tx: &rusqlite::Transaction<'_>,
        connection_id: i64,
        stream: &str,
        modified_since: Option<i64>,
    ) -> Result<()> {
        Store::set_position_in(
            tx,
            connection_id,
            stream,
            &StreamPosition {
                modified_since,
                walk: None,
            },
        )
    }

    /// Forgets every stream position of a connection so that the next sync is full.
    pub fn reset_cursors(&self, connection_id: i64) -> Result<()> {
        self.db().execute(
            "DELETE FROM cursors WHERE connection_id = ?1",
            [connection_id],
        )?;
        Ok(())
    }

    /// All stream positions of a connection, for the connection view: (stream, complete up to,
    /// a walk unfinished).
    pub fn cursors(&self, connection_id: i64) -> Result<Vec<(String, Option<i64>, bool)>> {
        let mut stmt = self.db().prepare(
            "SELECT stream, modified_since, walk IS NOT NULL FROM cursors
             WHERE connection_id = ?1 ORDER BY stream",
        )?;
        let rows = stmt.query_map([connection_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
