//! Query locators: a query whose result is larger than one batch keeps its records in a
//! cursor, and `nextRecordsUrl` names the cursor and the offset of the next batch
//! (`/services/data/v62.0/query/01g8d0000000001AAA-2000`). The records are those of the
//! moment of the query, as with Salesforce's cursors.

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::ids::{record_id, QUERY_LOCATOR_PREFIX};

/// How long a cursor and its records stay available. Source: Salesforce Developer Limits
/// and Allocations Quick Reference, "API Query Cursor Limits": since API version 56.0
/// "cursors and their related query results are available for 2 days" and there is no
/// limit on the number of open cursors (before, 10 per user, closed after 15 minutes idle).
pub const CURSOR_LIFETIME: Duration = Duration::from_secs(2 * 24 * 3600);
/// The sandbox's own guard on memory, not a Salesforce limit: past this many open cursors
/// the oldest is closed.
pub const MAX_OPEN_CURSORS: usize = 1_000;

struct Cursor {
    /// 18 characters, key prefix `01g`.
    id: String,
    records: Vec<Json>,
    opened: Instant,
}

/// The open cursors, oldest first.
#[derive(Default)]
pub struct Cursors {
    open: Vec<Cursor>,
    issued: u64,
}

/// One batch read from a cursor.
pub struct Batch {
    pub records: Vec<Json>,
    pub total: usize,
    /// Where the batch after this one starts, if there is one.
    pub next_offset: Option<usize>,
}

impl Cursors {
    fn close_expired(&mut self, now: Instant) {
        self.open
            .retain(|c| now.duration_since(c.opened) < CURSOR_LIFETIME);
    }

    /// Keeps `records` for later batches; returns the cursor's id.
    pub fn open(&mut self, records: Vec<Json>, now: Instant) -> String {
        self.close_expired(now);
        if self.open.len() >= MAX_OPEN_CURSORS {
            self.open.remove(0);
        }
        self.issued += 1;
        let id = record_id(QUERY_LOCATOR_PREFIX, self.issued);
        self.open.push(Cursor {
            id: id.clone(),
            records,
            opened: now,
        });
        id
    }

    /// Up to `size` records of cursor `id` from `offset`; `None` for a cursor that is unknown,
    /// closed, or shorter than `offset`. A batch may be read again while the cursor is open.
    pub fn batch(&mut self, id: &str, offset: usize, size: usize, now: Instant) -> Option<Batch> {
        self.close_expired(now);
        let cursor = self.open.iter_mut().find(|c| c.id == id)?;
        if offset >= cursor.records.len() {
            return None;
        }
        let end = offset.saturating_add(size.max(1)).min(cursor.records.len());
        Some(Batch {
            records: cursor.records[offset..end].to_vec(),
            total: cursor.records.len(),
            next_offset: (end < cursor.records.len()).then_some(end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_follow_each_other_and_old_or_surplus_cursors_close() {
        let mut cursors = Cursors::default();
        let now = Instant::now();
        let id = cursors.open((0..5).map(|i| json!(i)).collect(), now);
        assert!(id.starts_with("01g"));
        let first = cursors.batch(&id, 2, 2, now).unwrap();
        assert_eq!(first.records, [json!(2), json!(3)]);
        assert_eq!((first.total, first.next_offset), (5, Some(4)));
        assert_eq!(cursors.batch(&id, 4, 2, now).unwrap().next_offset, None);
        assert!(cursors.batch(&id, 5, 2, now).is_none());
        assert!(cursors.batch(&id, 0, 2, now + CURSOR_LIFETIME).is_none());

        let first = cursors.open(vec![json!(0)], now);
        for _ in 0..MAX_OPEN_CURSORS {
            cursors.open(vec![json!(0)], now);
        }
        assert!(
            cursors.batch(&first, 0, 1, now).is_none(),
            "the oldest closed"
        );
    }
}
