//! Edits made through the control API, as a bookkeeper would make them in QuickBooks: an
//! amended line or a deleted record, each stamped with a fresh `LastUpdatedTime` so queries
//! by time and change data capture pick it up.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{
    Entity, Realm, Table, FLAG_AMENDED, FLAG_DELETED, FLAG_FIXTURE, FLAG_VOIDED, STAMP_EPOCH_S,
};
use crate::company::Op;

/// What an amendment adds to the first line, in cents.
const AMENDMENT_CENTS: i32 = 1000;

/// One applied edit, as persisted in the state file and replayed on a restart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QbChange {
    pub entity: Entity,
    pub id: String,
    pub op: Op,
    /// The `LastUpdatedTime` it was given, seconds since 1970.
    pub updated: i64,
}

pub enum Selection {
    /// Let the sandbox pick this many untouched generated records spread through the data.
    Count(usize),
    Ids(Vec<String>),
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("there is no {0} with Id {1:?}")]
    UnknownId(&'static str, String),
    #[error("{0} {1} is deleted")]
    Deleted(&'static str, String),
}

impl Realm {
    /// Applies `op` to the selected records, each stamped later than every record before it
    /// (and not before `now_ms`), and returns their Ids in the order they were changed. One
    /// bad Id changes nothing. A change adds 10.00 to the first line's `Amount` (and so to
    /// `TotalAmt`; the tax stays as it was) and bumps `SyncToken`; a delete hides the record
    /// from queries and has change data capture report it as deleted.
    pub fn apply(
        &mut self,
        entity: Entity,
        op: Op,
        selection: Selection,
        now_ms: i64,
    ) -> Result<Vec<String>, ChangeError> {
        let table = self.table(entity);
        let positions: Vec<u32> = match selection {
            Selection::Count(n) => pick_spread(table, n),
            Selection::Ids(ids) => {
                let mut positions = Vec::with_capacity(ids.len());
                for id in ids {
                    let pos = id
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .and_then(|n| table.position_of(n))
                        .ok_or_else(|| ChangeError::UnknownId(entity.name(), id.clone()))?;
                    if table.txns[pos as usize].has(FLAG_DELETED) {
                        return Err(ChangeError::Deleted(entity.name(), id));
                    }
                    // A record named twice is edited once.
                    if !positions.contains(&pos) {
                        positions.push(pos);
                    }
                }
                positions
            }
        };
        let now = u32::try_from((now_ms.div_euclid(1000) - STAMP_EPOCH_S).max(0)).unwrap_or(0);
        let mut last = self.last_stamp;
        let mut updates = Vec::with_capacity(positions.len());
        let mut entries = Vec::with_capacity(positions.len());
        let table = self.table_mut(entity);
        for pos in positions {
            let stamp = now.max(last + 1);
            last = stamp;
            modify(table, pos, op);
            updates.push((pos, stamp));
            entries.push(QbChange {
                entity,
                id: table.txns[pos as usize].id.to_string(),
                op,
                updated: STAMP_EPOCH_S + i64::from(stamp),
            });
        }
        table.restamp(&updates);
        self.last_stamp = last;
        let ids = entries.iter().map(|e| e.id.clone()).collect();
        self.changes.extend(entries);
        Ok(ids)
    }

    /// Re-applies persisted edits with their original stamps. Entries that match no record
    /// (the data was generated differently) are skipped; returns how many were.
    pub fn replay(&mut self, entries: &[QbChange]) -> usize {
        let mut skipped = 0;
        let mut stamps: HashMap<Entity, HashMap<u32, u32>> = HashMap::new();
        let mut floor = self.last_stamp + 1;
        for entry in entries {
            let table = self.table_mut(entry.entity);
            let Some(pos) = entry
                .id
                .parse::<u32>()
                .ok()
                .and_then(|id| table.position_of(id))
            else {
                skipped += 1;
                continue;
            };
            modify(table, pos, entry.op);
            // On the same data the saved stamps come back unchanged; the floor only keeps a
            // hand-edited file from stamping an edit before the records it follows.
            let saved = u32::try_from((entry.updated - STAMP_EPOCH_S).max(0)).unwrap_or(0);
            let stamp = saved.max(floor);
            floor = stamp;
            self.last_stamp = self.last_stamp.max(stamp);
            stamps.entry(entry.entity).or_default().insert(pos, stamp);
            self.changes.push(QbChange {
                updated: STAMP_EPOCH_S + i64::from(stamp),
                ..entry.clone()
            });
        }
        for (entity, stamps) in stamps {
            let updates: Vec<(u32, u32)> = stamps.into_iter().collect();
            self.table_mut(entity).restamp(&updates);
        }
        skipped
    }
}

fn modify(table: &mut Table, pos: u32, op: Op) {
    let txn = &mut table.txns[pos as usize];
    match op {
        Op::Change => {
            if txn.line_count > 0 {
                let line = &mut table.lines[txn.line_start as usize];
                line.amount = line.amount.saturating_add(AMENDMENT_CENTS);
                // An item line keeps UnitPrice × Qty = Amount exact by becoming one unit.
                if line.item != 0 {
                    line.qty = 1;
                }
            }
            txn.flags |= FLAG_AMENDED;
            txn.sync = txn.sync.saturating_add(1);
        }
        Op::Delete => {
            if !txn.has(FLAG_DELETED) {
                txn.flags |= FLAG_DELETED;
                table.deleted += 1;
            }
        }
    }
}

/// Untouched, live, generated records (not fixtures, not voided) at evenly spaced points of
/// the data, so edits land across the whole date range.
fn pick_spread(table: &Table, count: usize) -> Vec<u32> {
    let n = table.txns.len();
    let mut picked: Vec<u32> = Vec::with_capacity(count.min(n));
    if n == 0 {
        return picked;
    }
    let mut taken = vec![false; n];
    let eligible = |pos: usize| {
        let t = &table.txns[pos];
        !t.has(FLAG_DELETED | FLAG_FIXTURE | FLAG_VOIDED | FLAG_AMENDED)
    };
    for i in 0..count {
        let start = ((2 * i + 1) * n) / (2 * count);
        let found = (0..n)
            .map(|k| (start + k) % n)
            .find(|&pos| !taken[pos] && eligible(pos));
        match found {
            Some(pos) => {
                taken[pos] = true;
                picked.push(pos as u32);
            }
            None => break,
        }
    }
    picked
}
