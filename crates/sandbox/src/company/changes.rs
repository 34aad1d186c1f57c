//! Edits made through the control API: amending or deleting records the way a bookkeeper would
//! in Xero, so a client's incremental sync has something to pick up.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::record::{Kind, Status, FLAG_AMENDED};
use super::{Company, Stream, StreamName};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// First line +10.00, " (amended)" on the reference, totals follow.
    Change,
    Delete,
}

/// One applied change, as persisted and replayed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEntry {
    pub tenant_id: Uuid,
    pub stream: StreamName,
    pub id: Uuid,
    pub op: Op,
    pub updated_ms: i64,
}

pub enum Selection {
    /// Let the sandbox pick this many ordinary spend records spread through the data.
    Count(usize),
    Ids(Vec<Uuid>),
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("unknown tenant {0}")]
    UnknownTenant(Uuid),
    #[error("no record with id {0} in this tenant and stream")]
    UnknownId(Uuid),
}

/// What an amendment adds to the first line.
const AMENDMENT_CENTS: i64 = 1000;

/// How an edit stamps `UpdatedDateUTC`. Whatever the choice, every stamp is later than any
/// already in the stream, as a fresh edit in Xero is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamping {
    /// One stamp shared by every record of the edit, instead of one each: Xero does not
    /// promise unique stamps, and a bulk edit there gives many records the same one.
    pub same_updated: bool,
    /// Stamps fall on whole seconds (millisecond part 000), the granularity Xero compares
    /// `If-Modified-Since` at.
    pub whole_second: bool,
}

impl Stamping {
    /// The first stamp that is later than `after`, not before `now_ms`, and on a whole
    /// second if asked.
    fn next(self, after: i64, now_ms: i64) -> i64 {
        let t = now_ms.max(after.saturating_add(1));
        if self.whole_second {
            let part = t.rem_euclid(1000);
            if part == 0 {
                t
            } else {
                t + (1000 - part)
            }
        } else {
            t
        }
    }
}

impl Company {
    /// `apply_stamped` with one fresh stamp per record, each later than the one before.
    #[cfg(test)]
    pub fn apply(
        &mut self,
        tenant: Uuid,
        stream_name: StreamName,
        op: Op,
        selection: Selection,
        now_ms: i64,
    ) -> Result<Vec<Uuid>, ChangeError> {
        self.apply_stamped(
            tenant,
            stream_name,
            op,
            selection,
            now_ms,
            Stamping::default(),
        )
    }

    /// Applies `op` to the selected records, stamping them with fresh `UpdatedDateUTC`s as
    /// `stamping` says, and returns their ids in the order they were changed.
    pub fn apply_stamped(
        &mut self,
        tenant: Uuid,
        stream_name: StreamName,
        op: Op,
        selection: Selection,
        now_ms: i64,
        stamping: Stamping,
    ) -> Result<Vec<Uuid>, ChangeError> {
        let org = self
            .org_mut(&tenant)
            .ok_or(ChangeError::UnknownTenant(tenant))?;
        let stream = org.stream_mut(stream_name);
        let seqs = match selection {
            Selection::Count(n) => pick_spread(stream, n),
            // Resolve every id before touching anything, so one bad id changes nothing.
            Selection::Ids(ids) => ids
                .iter()
                .map(|id| stream.seq_of(id).ok_or(ChangeError::UnknownId(*id)))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let shared = stamping
            .same_updated
            .then(|| stamping.next(stream.last_updated_ms, now_ms));
        let mut last = stream.last_updated_ms;
        let mut stamps = HashMap::with_capacity(seqs.len());
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            modify(stream, seq, op);
            let updated = shared.unwrap_or_else(|| stamping.next(last, now_ms));
            last = updated;
            // A record named twice keeps its later stamp.
            stamps.insert(seq, updated);
            entries.push(ChangeEntry {
                tenant_id: tenant,
                stream: stream_name,
                id: stream.id_of(seq),
                op,
                updated_ms: updated,
            });
        }
        stream.restamp(&stamps.into_iter().collect::<Vec<_>>());
        let ids = entries.iter().map(|e| e.id).collect();
        self.changes.extend(entries);
        Ok(ids)
    }

    /// Re-applies persisted changes with their original timestamps, ties included. Entries
    /// that no longer match a record (the data was generated differently) are skipped;
    /// returns how many were.
    pub fn replay(&mut self, entries: &[ChangeEntry]) -> usize {
        let mut skipped = 0;
        // Stamps are settled per stream once all its entries are in: moving records into
        // place one entry at a time would cost a pass over the stream per entry.
        let mut pending: HashMap<(Uuid, StreamName), Replayed> = HashMap::new();
        for entry in entries {
            let Some(org) = self.org_mut(&entry.tenant_id) else {
                skipped += 1;
                continue;
            };
            let stream = org.stream_mut(entry.stream);
            let Some(seq) = stream.seq_of(&entry.id) else {
                skipped += 1;
                continue;
            };
            modify(stream, seq, entry.op);
            let replayed = pending
                .entry((entry.tenant_id, entry.stream))
                .or_insert_with(|| Replayed {
                    floor: stream.last_updated_ms.saturating_add(1),
                    stamps: HashMap::new(),
                });
            // On the same data the saved stamps come back unchanged; the floor only keeps a
            // hand-edited file from stamping an edit earlier than the records it follows.
            let updated = entry.updated_ms.max(replayed.floor);
            replayed.floor = updated;
            replayed.stamps.insert(seq, updated);
            self.changes.push(ChangeEntry {
                updated_ms: updated,
                ..entry.clone()
            });
        }
        for ((tenant, name), replayed) in pending {
            if let Some(org) = self.org_mut(&tenant) {
                let stamps: Vec<(u32, i64)> = replayed.stamps.into_iter().collect();
                org.stream_mut(name).restamp(&stamps);
            }
        }
        skipped
    }
}

/// A stream's replayed stamps so far.
struct Replayed {
    /// The earliest stamp the next entry may carry: the previous entry's (ties replay as
    /// ties), or just after the stream's newest record for the first.
    floor: i64,
    /// The final stamp of each record replayed.
    stamps: HashMap<u32, i64>,
}

fn modify(stream: &mut Stream, seq: u32, op: Op) {
    let record = &mut stream.records[seq as usize];
    match op {
        Op::Change => {
            let line = &mut stream.lines[record.line_start as usize];
            let cents = line.line_cents() + AMENDMENT_CENTS;
            // Folding the quantity into the unit price keeps "+10.00 on the line" exact.
            line.qty = 1;
            line.unit_cents = i32::try_from(cents).unwrap_or(i32::MAX);
            record.flags |= FLAG_AMENDED;
        }
        Op::Delete => {
            if record.status != Status::Deleted {
                record.status = Status::Deleted;
                stream.deleted += 1;
            }
        }
    }
}

/// Untouched, live, ordinary spend records (SPEND, ACCPAY or ACCPAYCREDIT, not fixtures) at
/// evenly spaced points of the data, so changes land across the whole date range rather than
/// in one month.
fn pick_spread(stream: &Stream, count: usize) -> Vec<u32> {
    let n = stream.records.len();
    let mut picked: Vec<u32> = Vec::with_capacity(count.min(n));
    if n == 0 {
        return picked;
    }
    let mut taken = vec![false; n];
    let eligible = |seq: usize| {
        let r = &stream.records[seq];
        matches!(r.kind, Kind::Spend | Kind::AccPay | Kind::AccPayCredit)
            && matches!(r.status, Status::Authorised | Status::Paid)
            && !r.is_fixture()
            && !r.is_amended()
    };
    for i in 0..count {
        let start = ((2 * i + 1) * n) / (2 * count);
        let found = (0..n)
            .map(|k| (start + k) % n)
            .find(|&seq| !taken[seq] && eligible(seq));
        match found {
            Some(seq) => {
                taken[seq] = true;
                picked.push(seq as u32);
            }
            None => break,
        }
    }
    picked
}
