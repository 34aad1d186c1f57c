use crate::decimal;
use crate::{now_text, LedgerRow, Result, SetAsideInput, Store, StreamPosition};
use rusqlite::OptionalExtension;
use rust_decimal::Decimal;
use serde::Serialize;

/// A bank transaction or bill as it arrives from a platform, with the ledger entry
/// already decided for each of its lines.
#[derive(Debug, Clone)]
pub struct RecordInput {
    pub record_id: String,
    pub kind: String,
    pub status: String,
    pub deleted: bool,
    /// `YYYY-MM-DD`
    pub date: String,
    pub contact: Option<String>,
    pub reference: Option<String>,
    pub currency: String,
    pub line_amount_types: Option<String>,
    /// The document total in `currency`, exactly as the platform sent it (signed as spend).
    pub total: Decimal,
    pub updated_ms: i64,
    pub lines: Vec<LineInput>,
    /// Only the deletion is known (a change feed's deleted entry): the stored record keeps its
    /// content, is marked deleted and its entries are excluded as [`DELETED_REASON`].
    pub tombstone: bool,
}

/// Why the entries of a record deleted at its platform count nothing: the same words the
/// emissions rules give a line of a deleted record.
pub const DELETED_REASON: &str = "deleted in the source";

#[derive(Debug, Clone)]
pub struct LineInput {
    pub description: Option<String>,
    /// The code people know the account by (or the line's reference when the chart does not
    /// have the account).
    pub account_code: Option<String>,
    /// What the platform's mapping was looked up with (see `AccountRow::mapping_key`), kept so
    /// the entry can be decided again without the platform.
    pub mapping_key: Option<String>,
    pub account_name: Option<String>,
    /// The line's amount before tax in the record's currency, exactly; negative for refunds.
    pub net_amount: Decimal,
    pub entry: LedgerRow,
}

/// What one page did to the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PageOutcome {
    pub created: i64,
    pub updated: i64,
    pub deleted: i64,
    /// Received again with the same modification time: nothing to write.
    pub unchanged: i64,
    /// Ledger entries written with status `counted`.
    pub entries_counted: i64,
    /// Change of the connection's total kg CO2e caused by this page, exactly.
    pub kg_delta: Decimal,
    /// Unchanged records at or before [`PageInput::overlap_until_ms`]: the margin a walk reads
    /// again on purpose, not news.
    pub overlap: i64,
    /// Records set aside (unreadable) on this page.
    pub set_aside: i64,
    /// The earliest former modification time (ms) of a record that [`PageInput::watch`] says
    /// may have shifted the platform's paging (see there).
    pub rewind_to: Option<i64>,
}

/// Tells [`Store::write_page`] which revised records may have moved the platform's page
/// boundaries during a walk: a record whose stored version was inside the walk's range
/// (modified at or after `from_ms`, or any when `None`) and whose new version was made after the
/// walk began (`changed_after_ms`). Paging by page number then shifted the records after its old
/// place by one, so the walk must read again from its old modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionWatch {
    pub from_ms: Option<i64>,
    pub changed_after_ms: i64,
}

/// One page to write, with where the stream stands once it is written.
#[derive(Clone, Copy)]
pub struct PageInput<'a> {
    pub connection_id: i64,
    /// The sync run writing it (set-aside records cite it).
    pub run_id: i64,
    pub stream: &'a str,
    pub records: &'a [RecordInput],
    pub set_aside: &'a [SetAsideInput],
    /// Where the stream stands after this page, decided from what writing it found (its
    /// revisions); written in the same transaction as the records.
    pub position: &'a dyn Fn(&PageOutcome) -> StreamPosition,
    /// Unchanged records modified at or before this (ms) are counted as `overlap`.
    pub overlap_until_ms: Option<i64>,
    pub watch: Option<RevisionWatch>,
    /// The page belongs to a whole read of a platform that leaves deleted records out of its
    /// listings: every record of the page is marked with this, and when the page ends the read
    /// (the position it leaves has no walk), every record of the stream not marked is deleted.
    pub sweep_mark: Option<i64>,
}

impl PageOutcome {
    pub fn add(&mut self, o: &PageOutcome) {
        self.created += o.created;
        self.updated += o.updated;
        self.deleted += o.deleted;
        self.unchanged += o.unchanged;
        self.entries_counted += o.entries_counted;
        self.kg_delta += o.kg_delta;
        self.overlap += o.overlap;
        self.set_aside += o.set_aside;
        self.rewind_to = match (self.rewind_to, o.rewind_to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

impl Store {
    /// Upserts a page of records (by the platform's id) with their ledger entries, keeps the
    /// records set aside, and moves the stream's position, all in one transaction: an
    /// interrupted sync either has the whole page and its position, or neither, so a re-run
    /// never duplicates. A record received with the modification time already stored (or an
    /// older one) changes nothing.
    pub fn write_page(&mut self, page: &PageInput<'_>) -> Result<PageOutcome> {
        let PageInput {
            connection_id,
            stream,
            records,
            ..
        } = *page;
        let now = now_text();
        let mut refs = std::mem::take(&mut self.refs);
        let tx = self.db_mut().transaction()?;
        let mut out = PageOutcome::default();
        {
            let mut find = tx.prepare_cached(
                "SELECT id, updated_ms, deleted FROM records
                 WHERE connection_id = ?1 AND stream = ?2 AND record_id = ?3",
            )?;
            // A revised record's lines are updated in place (their ids, which decisions and
            // the audit trail name, stay); lines it no longer has go.
            let mut drop_lines =
                tx.prepare_cached("DELETE FROM ledger WHERE record_ref = ?1 AND line_no >= ?2")?;
            let mut drop_parts = tx.prepare_cached(
                "DELETE FROM ledger WHERE record_ref = ?1 AND line_no = ?2 AND part_no > ?3",
            )?;
            // Tried first: a new record costs one probe of the unique index, not two.
            let mut insert_record = tx.prepare_cached(
                "INSERT INTO records (connection_id, stream, record_id, kind, status, deleted, date,
                 contact, reference, currency, line_amount_types, total, updated_ms, synced_at,
                 seen_mark)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (connection_id, stream, record_id) DO NOTHING RETURNING id",
            )?;
            let mut update_record = tx.prepare_cached(
                "UPDATE records SET kind = ?2, status = ?3, deleted = ?4, date = ?5, contact = ?6,
                 reference = ?7, currency = ?8, line_amount_types = ?9, total = ?10,
                 updated_ms = ?11, synced_at = ?12, seen_mark = COALESCE(?13, seen_mark)
                 WHERE id = ?1",
            )?;
            let mut mark_seen =
                tx.prepare_cached("UPDATE records SET seen_mark = ?2 WHERE id = ?1")?;
            let mut put_line = tx.prepare_cached(
                "INSERT INTO ledger (record_ref, connection_id, line_no, date, contact,
                 description, account_code, account_name, net_amount, currency, status, reason,
                 rule_id, category, scope, scope3_category, factor_ref, factor_version, factor_code,
                 factor_value, conversion_ref, fx_rate, deflator, usd_2022_micros, co2e_mg,
                 computed_at, mapping_key, decision_id, review_rule_id, market_co2e_mg, part_no,
                 share_percent, line_amount)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)
                 ON CONFLICT (record_ref, line_no, part_no) DO UPDATE SET
                 date = excluded.date, contact = excluded.contact,
                 description = excluded.description, account_code = excluded.account_code,
                 account_name = excluded.account_name, net_amount = excluded.net_amount,
                 currency = excluded.currency, status = excluded.status, reason = excluded.reason,
                 rule_id = excluded.rule_id, category = excluded.category, scope = excluded.scope,
                 scope3_category = excluded.scope3_category, factor_ref = excluded.factor_ref,
                 factor_version = excluded.factor_version, factor_code = excluded.factor_code,
                 factor_value = excluded.factor_value, conversion_ref = excluded.conversion_ref,
                 fx_rate = excluded.fx_rate, deflator = excluded.deflator,
                 usd_2022_micros = excluded.usd_2022_micros, co2e_mg = excluded.co2e_mg,
                 computed_at = excluded.computed_at, mapping_key = excluded.mapping_key,
                 decision_id = excluded.decision_id, review_rule_id = excluded.review_rule_id,
                 market_co2e_mg = excluded.market_co2e_mg,
                 share_percent = excluded.share_percent, line_amount = excluded.line_amount,
                 covered_by = NULL, covered_reason = NULL",
            )?;

            for rec in records {
                if rec.tombstone {
                    let found: Option<(i64, i64, bool)> = find
                        .query_row(
                            rusqlite::params![connection_id, stream, rec.record_id],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?;
                    match found {
                        Some((_, ms, _)) if ms >= rec.updated_ms => out.unchanged += 1,
                        // Already known to be gone (a whole read found it missing): not news,
                        // but its time is kept so the feed's next report of it is recognised.
                        Some((id, _, true)) => {
                            mark_deleted(&tx, id, &rec.status, Some(rec.updated_ms), &now)?;
                            out.unchanged += 1;
                            out.overlap += 1;
                        }
                        Some((id, _, false)) => {
                            out.kg_delta -= bury(&tx, id, &rec.status, Some(rec.updated_ms), &now)?;
                            out.deleted += 1;
                        }
                        // Deleted before it was ever read: nothing to keep.
                        None => out.unchanged += 1,
                    }
                    continue;
                }
                let inserted: Option<i64> = insert_record
                    .query_row(
                        rusqlite::params![
                            connection_id,
                            stream,
                            rec.record_id,
                            rec.kind,
                            rec.status,
                            rec.deleted,
                            rec.date,
                            rec.contact,
                            rec.reference,
                            rec.currency,
                            rec.line_amount_types,
                            decimal::text(&rec.total),
                            rec.updated_ms,
                            now,
                            page.sweep_mark
                        ],
                        |r| r.get(0),
                    )
                    .optional()?;
                let fresh = inserted.is_some();
                let record_ref = match inserted {
                    Some(id) => {
                        out.created += 1;
                        id
                    }
                    None => {
                        let (id, ms, was_deleted): (i64, i64, bool) = find.query_row(
                            rusqlite::params![connection_id, stream, rec.record_id],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )?;
                        if ms >= rec.updated_ms {
                            if let Some(mark) = page.sweep_mark {
                                mark_seen.execute(rusqlite::params![id, mark])?;
                            }
                            out.unchanged += 1;
                            if page.overlap_until_ms.is_some_and(|o| rec.updated_ms <= o) {
                                out.overlap += 1;
                            }
                            continue;
                        }
                        if let Some(w) = page.watch {
                            let inside = w.from_ms.is_none_or(|from| ms >= from);
                            if inside && rec.updated_ms >= w.changed_after_ms {
                                out.rewind_to = Some(out.rewind_to.map_or(ms, |r| r.min(ms)));
                            }
                        }
                        out.kg_delta -= counted_kg(&tx, id)?;
                        drop_lines.execute(rusqlite::params![id, rec.lines.len() as i64])?;
                        if rec.deleted && !was_deleted {
                            out.deleted += 1;
                        } else {
                            out.updated += 1;
                        }
                        update_record.execute(rusqlite::params![
                            id,
                            rec.kind,
                            rec.status,
                            rec.deleted,
                            rec.date,
                            rec.contact,
                            rec.reference,
                            rec.currency,
                            rec.line_amount_types,
                            decimal::text(&rec.total),
                            rec.updated_ms,
                            now,
                            page.sweep_mark
                        ])?;
                        id
                    }
                };
                for (line_no, line) in rec.lines.iter().enumerate() {
                    let parts = std::iter::once(&line.entry).chain(&line.entry.more_parts);
                    for e in parts {
                        let factor_ref = refs.factor(&tx, e)?;
                        let conversion_ref = refs.conversion(&tx, e)?;
                        if e.status == crate::LedgerStatus::Counted {
                            out.entries_counted += 1;
                            out.kg_delta += e.kg_co2e.unwrap_or_default();
                        }
                        put_line.execute(rusqlite::params![
                            record_ref,
                            connection_id,
                            line_no as i64,
                            rec.date,
                            rec.contact,
                            line.description,
                            line.account_code,
                            line.account_name,
                            decimal::text(&e.part_amount.unwrap_or(line.net_amount)),
                            rec.currency,
                            e.status.as_str(),
                            e.reason,
                            e.rule_id,
                            e.category,
                            e.scope,
                            e.scope3_category,
                            factor_ref,
                            e.factor_version,
                            e.factor_code,
                            decimal::opt_text(&e.factor_value),
                            conversion_ref,
                            decimal::opt_text(&e.fx_rate),
                            decimal::opt_text(&e.deflator),
                            decimal::opt_millionths(&e.amount_usd_2022)?,
                            decimal::opt_millionths(&e.kg_co2e)?,
                            now,
                            line.mapping_key,
                            e.decision_id,
                            e.review_rule_id,
                            decimal::opt_millionths(&e.market_kg_co2e)?,
                            e.part_no,
                            decimal::opt_text(&e.share_percent),
                            e.part_amount.map(|_| decimal::text(&line.net_amount))
                        ])?;
                    }
                    // A line no longer split (or split in fewer parts) loses its other parts.
                    if !fresh {
                        drop_parts.execute(rusqlite::params![
                            record_ref,
                            line_no as i64,
                            line.entry.more_parts.len() as i64
                        ])?;
                    }
                }
            }
        }
        out.set_aside = Store::keep_set_aside_in(&tx, page, records)?;
        let position = (page.position)(&out);
        if let Some(mark) = page.sweep_mark {
            // Unreadable records are still there at the platform.
            for s in page.set_aside {
                if let Some(id) = &s.record_id {
                    tx.execute(
                        "UPDATE records SET seen_mark = ?4
                         WHERE connection_id = ?1 AND stream = ?2 AND record_id = ?3",
                        rusqlite::params![connection_id, stream, id, mark],
                    )?;
                }
            }
            if position.walk.is_none() {
                sweep(&tx, connection_id, stream, mark, &now, &mut out)?;
            }
        }
        Store::set_position_in(&tx, connection_id, stream, &position)?;
        tx.commit()?;
        self.refs = refs;
        Ok(out)
    }

    /// How many records of a stream a connection holds (deleted ones included).
    pub fn record_count(&self, connection_id: i64, stream: &str) -> Result<i64> {
        Ok(self.db().query_row(
            "SELECT COUNT(*) FROM records WHERE connection_id = ?1 AND stream = ?2",
            rusqlite::params![connection_id, stream],
            |r| r.get(0),
        )?)
    }
}

/// The ids of the factor and conversion rows that ledger entries cite, remembered so
/// that a page costs no lookups for the few distinct factors a company uses. Dropped
/// on a failed page, since ids written in a rolled-back transaction do not exist.
///
/// Looked up twice for every entry written, with keys from the shipped factor sets and
/// conversion sources: hashed with the Fx hash, not the default SipHash, whose resistance to
/// chosen keys these do not need and which cost a tenth of a rule's write.
#[derive(Default)]
pub(crate) struct RefCache {
    /// By factor code: (set, version, id). Looked up by `&str`, so a hit allocates nothing.
    factors: rustc_hash::FxHashMap<String, (String, String, i64)>,
    /// By FX source: (deflator source, id).
    conversions: rustc_hash::FxHashMap<String, (String, i64)>,
}

impl RefCache {
    pub(crate) fn factor(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        e: &LedgerRow,
    ) -> Result<Option<i64>> {
        let (Some(set), Some(version), Some(code)) =
            (&e.factor_set, &e.factor_version, &e.factor_code)
        else {
            return Ok(None);
        };
        if let Some((s, v, id)) = self.factors.get(code.as_str()) {
            if s == set && v == version {
                return Ok(Some(*id));
            }
        }
        tx.prepare_cached(
            "INSERT INTO factor_refs (factor_set, factor_version, factor_code, factor_title, factor_unit)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )?
        .execute(rusqlite::params![set, version, code, e.factor_title, e.factor_unit])?;
        let id: i64 = tx
            .prepare_cached(
                "SELECT id FROM factor_refs WHERE factor_set = ?1 AND factor_version = ?2 AND factor_code = ?3",
            )?
            .query_row(rusqlite::params![set, version, code], |r| r.get(0))?;
        self.factors
            .insert(code.clone(), (set.clone(), version.clone(), id));
        Ok(Some(id))
    }

    pub(crate) fn conversion(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        e: &LedgerRow,
    ) -> Result<Option<i64>> {
        let (Some(fx), Some(deflator)) = (&e.fx_source, &e.deflator_source) else {
            return Ok(None);
        };
        if let Some((d, id)) = self.conversions.get(fx.as_str()) {
            if d == deflator {
                return Ok(Some(*id));
            }
        }
        tx.prepare_cached(
            "INSERT INTO conversion_refs (fx_source, deflator_source) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute(rusqlite::params![fx, deflator])?;
        let id: i64 = tx
            .prepare_cached(
                "SELECT id FROM conversion_refs WHERE fx_source = ?1 AND deflator_source = ?2",
            )?
            .query_row(rusqlite::params![fx, deflator], |r| r.get(0))?;
        self.conversions.insert(fx.clone(), (deflator.clone(), id));
        Ok(Some(id))
    }
}

/// Marks a record deleted at its platform: the kg CO2e its entries counted is returned, and the
/// entries are kept for the trail, excluded as [`DELETED_REASON`]. `updated_ms` is the
/// platform's time of the deletion, when it said (the stored time is kept otherwise).
fn bury(
    tx: &rusqlite::Transaction<'_>,
    record_ref: i64,
    status: &str,
    updated_ms: Option<i64>,
    now: &str,
) -> Result<Decimal> {
    let counted = counted_kg(tx, record_ref)?;
    tx.prepare_cached(
        "UPDATE ledger SET status = 'excluded', reason = ?2, rule_id = NULL, category = NULL,
         scope = NULL, scope3_category = NULL, factor_ref = NULL, factor_version = NULL,
         factor_code = NULL, factor_value = NULL, conversion_ref = NULL, fx_rate = NULL,
         deflator = NULL, usd_2022_micros = NULL, co2e_mg = NULL, market_co2e_mg = NULL,
         computed_at = ?3
         WHERE record_ref = ?1",
    )?
    .execute(rusqlite::params![record_ref, DELETED_REASON, now])?;
    mark_deleted(tx, record_ref, status, updated_ms, now)?;
    Ok(counted)
}

/// The kg CO2e a record's entries count now, exactly.
fn counted_kg(tx: &rusqlite::Transaction<'_>, record_ref: i64) -> Result<Decimal> {
    let mg: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(SUM(co2e_mg), 0) FROM ledger WHERE record_ref = ?1 AND status = 'counted'",
        )?
        .query_row([record_ref], |r| r.get(0))?;
    Ok(decimal::from_millionths(mg))
}

/// Sets a record's deleted flag and status (and the time of the deletion, when known).
fn mark_deleted(
    tx: &rusqlite::Transaction<'_>,
    record_ref: i64,
    status: &str,
    updated_ms: Option<i64>,
    now: &str,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE records SET status = ?2, deleted = 1, updated_ms = COALESCE(?3, updated_ms),
         synced_at = ?4 WHERE id = ?1",
    )?
    .execute(rusqlite::params![record_ref, status, updated_ms, now])?;
    Ok(())
}

/// Deletes every live record of the stream that the whole read marked `mark` did not list.
fn sweep(
    tx: &rusqlite::Transaction<'_>,
    connection_id: i64,
    stream: &str,
    mark: i64,
    now: &str,
    out: &mut PageOutcome,
) -> Result<()> {
    let gone: Vec<i64> = tx
        .prepare(
            "SELECT id FROM records
             WHERE connection_id = ?1 AND stream = ?2 AND deleted = 0
               AND (seen_mark IS NULL OR seen_mark <> ?3)",
        )?
        .query_map(rusqlite::params![connection_id, stream, mark], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    for id in gone {
        out.kg_delta -= bury(tx, id, "Deleted", None, now)?;
        out.deleted += 1;
    }
    Ok(())
}
