//! Edits made through the control API: amending or deleting records the way a bookkeeper would
//! in Xero, so a client's incremental sync has something to pick up.

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

impl Company {
    /// Applies `op` to the selected records, stamping each with a fresh `UpdatedDateUTC`, and
    /// returns their ids in the order they were changed.
    pub fn apply(
        &mut self,
        tenant: Uuid,
        stream_name: StreamName,
        op: Op,
        selection: Selection,
        now_ms: i64,
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
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            modify(stream, seq, op);
            let updated_ms = stream.touch(seq, now_ms);
            entries.push(ChangeEntry {
                tenant_id: tenant,
                stream: stream_name,
                id: stream.id_of(seq),
                op,
                updated_ms,
            });
        }
        let ids = entries.iter().map(|e| e.id).collect();
        self.changes.extend(entries);
        Ok(ids)
    }

    /// Re-applies persisted changes with their original timestamps. Entries that no longer
    /// match a record (the data was generated differently) are skipped; returns how many were.
    pub fn replay(&mut self, entries: &[ChangeEntry]) -> usize {
        let mut skipped = 0;
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
            let updated = entry.updated_ms.max(stream.last_updated_ms + 1);
            stream.move_to_end(seq, updated);
            self.changes.push(ChangeEntry {
                updated_ms: updated,
                ..entry.clone()
            });
        }
        skipped
    }
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

/// Untouched, live, ordinary spend records (SPEND / ACCPAY, not fixtures) at evenly spaced
/// points of the data, so changes land across the whole date range rather than in one month.
fn pick_spread(stream: &Stream, count: usize) -> Vec<u32> {
    let n = stream.records.len();
    let mut picked: Vec<u32> = Vec::with_capacity(count.min(n));
    if n == 0 {
        return picked;
    }
    let eligible = |seq: usize| {
        let r = &stream.records[seq];
        matches!(r.kind, Kind::Spend | Kind::AccPay)
            && matches!(r.status, Status::Authorised | Status::Paid)
            && !r.is_fixture()
            && !r.is_amended()
    };
    for i in 0..count {
        let start = ((2 * i + 1) * n) / (2 * count);
        let found = (0..n)
            .map(|k| (start + k) % n)
            .find(|&seq| eligible(seq) && !picked.contains(&(seq as u32)));
        match found {
            Some(seq) => picked.push(seq as u32),
            None => break,
        }
    }
    picked
}
