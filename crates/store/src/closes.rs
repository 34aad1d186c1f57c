//! Period close (migration 012): a period's numbers frozen as reported, the changes a later
//! sync made to its entries, and restatements. Every change here is written with its
//! audit-trail row in the same transaction.

use chrono::Datelike;
use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::review::{audit, json};
use crate::{decimal, Actor, LedgerFilter, LedgerStatus, Result, Store, StoreError, Totals};

/// The ledger's columns, as `closed_ledger` copies them (same names, same order).
const LEDGER_COLUMNS: &str = "id, record_ref, connection_id, line_no, date, contact, description,
    account_code, account_name, net_amount, currency, status, reason, rule_id, category, scope,
    scope3_category, factor_ref, factor_version, factor_code, factor_value, conversion_ref,
    fx_rate, deflator, usd_2022_micros, co2e_mg, covered_by, covered_reason, decision_id,
    review_rule_id, computed_at, market_co2e_mg, part_no, share_percent, line_amount";

/// What of an entry, on alias `x`, makes its reported number: when two rows' fingerprints are
/// equal, the reported totals cannot tell them apart. The status and kg CO2e are the effective
/// ones (an entry covered by a cloud provider's own report is excluded).
fn fingerprint(x: &str) -> String {
    format!(
        "quote(CASE WHEN {x}.covered_by IS NOT NULL THEN 'excluded' ELSE {x}.status END)
         || '|' || quote(CASE WHEN {x}.status = 'counted' AND {x}.covered_by IS NULL THEN {x}.co2e_mg END)
         || '|' || quote(CASE WHEN {x}.status = 'counted' AND {x}.covered_by IS NULL THEN {x}.usd_2022_micros END)
         || '|' || quote({x}.date) || '|' || quote({x}.net_amount) || '|' || quote({x}.currency)
         || '|' || quote({x}.account_code) || '|' || quote({x}.category) || '|' || quote({x}.scope)
         || '|' || quote({x}.scope3_category) || '|' || quote({x}.factor_code)
         || '|' || quote(CASE WHEN {x}.status = 'counted' AND {x}.covered_by IS NULL THEN {x}.market_co2e_mg END)"
    )
}

/// A closed period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PeriodClose {
    pub id: i64,
    /// As it was named when closed: `2024-03`, `2024-Q2`, `FY2024`.
    pub label: String,
    /// Inclusive `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// ms since 1970, UTC.
    #[ts(type = "number")]
    pub closed_at_ms: i64,
    /// The operating-system user.
    pub closed_by: String,
    pub note: Option<String>,
    #[ts(type = "number | null")]
    pub reopened_at_ms: Option<i64>,
    pub reopened_by: Option<String>,
    pub reopen_reason: Option<String>,
    /// The longer close that took this one in (a month closed, then its year), while that
    /// close stands: this close's rows are in its copy as this close reported them, and this
    /// one stands again, as it reported, when that one is reopened.
    pub taken_into: Option<String>,
    /// The shorter closes this one took in when it was closed, by first day (given back
    /// when this one is reopened).
    pub took_in: Vec<String>,
    /// The period's numbers as reported: the frozen copy, with the restatements accepted.
    pub reported: Totals,
    /// Entries frozen in the copy.
    pub entries: i64,
    /// Changes after close still waiting for a person (0 once reopened).
    pub changes_after_close: i64,
}

impl PeriodClose {
    /// Still in force: neither reopened nor taken into a longer close.
    pub fn standing(&self) -> bool {
        self.reopened_at_ms.is_none() && self.taken_into.is_none()
    }
}

/// What a change after close did to an entry of the closed period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum CloseChangeKind {
    /// A new entry dated in the period (a record created or back-dated after the close).
    Added,
    /// The entry left the period: its record was removed, or its date moved out.
    Removed,
    /// The entry is still in the period with another amount, classification or result.
    Changed,
}

/// An entry as it counts: the fields that make its reported number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ClosedLine {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// In `currency`, exactly. Decimal text on the wire.
    #[ts(type = "string")]
    pub net_amount: Decimal,
    pub currency: String,
    pub status: LedgerStatus,
    pub reason: Option<String>,
    pub account_code: Option<String>,
    pub category: Option<String>,
    pub scope: Option<u8>,
    pub scope3_category: Option<u8>,
    pub factor_code: Option<String>,
    /// kg CO2e counted, exactly; `None` when not counted. Decimal text on the wire.
    #[ts(type = "string | null")]
    pub kg_co2e: Option<Decimal>,
}

/// One entry whose live ledger no longer matches what a standing close reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ChangeAfterClose {
    pub close_id: i64,
    pub label: String,
    pub entry_id: i64,
    pub kind: CloseChangeKind,
    pub connection_id: i64,
    pub record_id: String,
    pub line_no: i64,
    pub contact: Option<String>,
    pub description: Option<String>,
    /// As reported at close (or last restated); `None` for an added entry.
    pub reported: Option<ClosedLine>,
    /// As the ledger has it now; `None` when its record is gone.
    pub now: Option<ClosedLine>,
    /// kg CO2e the period would change by if this were restated (now − reported, each
    /// counted only while in the period). Decimal text on the wire.
    #[ts(type = "string")]
    pub kg_co2e_difference: Decimal,
}

/// A restatement: changes after close accepted into a closed period's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Restatement {
    pub close_id: i64,
    pub label: String,
    /// Entries restated.
    pub entries: i64,
    pub before: Totals,
    pub after: Totals,
}

const CLOSE_COLUMNS: &str = "p.id, p.label, p.from_date, p.to_date, p.closed_at_ms, p.closed_by,
    p.note, p.reopened_at_ms, p.reopened_by, p.reopen_reason,
    (SELECT t.label FROM period_closes t WHERE t.id = p.taken_into AND t.reopened_at_ms IS NULL)";

/// A close in force, on alias `p`: not reopened, and not taken into a longer close that
/// stands (one reopened gives back the closes it took in). At most one stands on any day.
const STANDING: &str = "p.reopened_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM period_closes t
    WHERE t.id = p.taken_into AND t.reopened_at_ms IS NULL)";

struct CloseHead {
    id: i64,
    label: String,
    from: String,
    to: String,
    closed_at_ms: i64,
    closed_by: String,
    note: Option<String>,
    reopened_at_ms: Option<i64>,
    reopened_by: Option<String>,
    reopen_reason: Option<String>,
    /// The label of the close that took this one in, while that close stands.
    taken_into: Option<String>,
}

impl CloseHead {
    fn standing(&self) -> bool {
        self.reopened_at_ms.is_none() && self.taken_into.is_none()
    }
}

fn read_head(r: &rusqlite::Row<'_>) -> rusqlite::Result<CloseHead> {
    Ok(CloseHead {
        id: r.get(0)?,
        label: r.get(1)?,
        from: r.get(2)?,
        to: r.get(3)?,
        closed_at_ms: r.get(4)?,
        closed_by: r.get(5)?,
        note: r.get(6)?,
        reopened_at_ms: r.get(7)?,
        reopened_by: r.get(8)?,
        reopen_reason: r.get(9)?,
        taken_into: r.get(10)?,
    })
}

/// The totals of rows on alias `l` (the same sums as the ledger's own totals).
const SNAPSHOT_TOTALS: &str = "COALESCE(SUM(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN l.co2e_mg END), 0),
    COALESCE(SUM(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN l.usd_2022_micros END), 0),
    COUNT(CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN 1 END),
    COUNT(CASE WHEN l.status = 'excluded' OR l.covered_by IS NOT NULL THEN 1 END),
    COUNT(CASE WHEN l.status = 'unmapped' AND l.covered_by IS NULL THEN 1 END),
    COUNT(*)";

/// A change found by [`Store::change_keys`]: the entry, and its live fingerprint (`None` when
/// the entry is gone from the ledger).
struct ChangeKey {
    entry_id: i64,
    in_copy: bool,
    live_in_period: bool,
    live_fingerprint: Option<String>,
}

impl Store {
    /// The ledger as reported, for totals: the live ledger, except that the dates of a
    /// standing close read from its frozen copy. An SQL table expression with the ledger's
    /// columns, to be aliased by the caller; plain `ledger` while nothing is closed.
    pub(crate) fn reported_ledger(&self) -> Result<String> {
        let standing: Vec<(i64, String, String)> = {
            let mut stmt = self.db().prepare_cached(&format!(
                "SELECT p.id, p.from_date, p.to_date FROM period_closes p WHERE {STANDING}"
            ))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if standing.is_empty() {
            return Ok("ledger".to_owned());
        }
        // The standing closes' days are written into the SQL as literals (they are dates the
        // store wrote, `YYYY-MM-DD`, checked again here), so SQLite tests each live row against
        // a few constant ranges instead of querying the closes once per row.
        let day = |d: &str| {
            d.len() == 10
                && d.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
        };
        if !standing.iter().all(|(_, f, t)| day(f) && day(t)) {
            return Err(StoreError::Invalid(
                "a closed period's days are not YYYY-MM-DD".into(),
            ));
        }
        let outside = standing
            .iter()
            .map(|(_, f, t)| format!("lv.date NOT BETWEEN '{f}' AND '{t}'"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let ids = standing
            .iter()
            .map(|(id, _, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Ok(format!(
            "(SELECT {LEDGER_COLUMNS} FROM ledger lv WHERE {outside}
              UNION ALL
              SELECT {copy} FROM closed_ledger k WHERE k.close_id IN ({ids}))",
            copy = LEDGER_COLUMNS
                .split(',')
                .map(|c| format!("k.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// The month totals (migration 015) as reported, with the ledger's column names, when
    /// they answer `filter` exactly: whole months (or no bound), no single record, and every
    /// standing close made of whole months. `None` otherwise: the caller reads the entries.
    pub(crate) fn month_totals_source(&self, filter: &LedgerFilter) -> Result<Option<String>> {
        let first_of_month =
            |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok_and(|d| d.day() == 1);
        let last_of_month = |d: &str| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .is_ok_and(|d| d.succ_opt().is_some_and(|n| n.day() == 1))
        };
        if filter.record_id.is_some()
            || !filter.from.as_deref().is_none_or(first_of_month)
            || !filter.to.as_deref().is_none_or(last_of_month)
        {
            return Ok(None);
        }
        let standing: Vec<(i64, String, String)> = {
            let mut stmt = self.db().prepare_cached(&format!(
                "SELECT p.id, p.from_date, p.to_date FROM period_closes p WHERE {STANDING}"
            ))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if !standing
            .iter()
            .all(|(_, f, t)| first_of_month(f) && last_of_month(t))
        {
            return Ok(None);
        }
        const COLUMNS: &str = "date, connection_id, status, NULL AS covered_by,
            NULLIF(scope, 0) AS scope, NULLIF(scope3_category, 0) AS scope3_category,
            NULLIF(category, '') AS category, entries, co2e_mg, usd_2022_micros";
        // A row whose entries have all moved elsewhere stays, at zero; it is no group.
        if standing.is_empty() {
            return Ok(Some(format!(
                "(SELECT {COLUMNS} FROM month_totals WHERE entries <> 0)"
            )));
        }
        // Checked above to be dates, so they are safe as literals.
        let outside = standing
            .iter()
            .map(|(_, f, t)| format!("date NOT BETWEEN '{f}' AND '{t}'"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let ids = standing
            .iter()
            .map(|(id, _, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Some(format!(
            "(SELECT {COLUMNS} FROM month_totals WHERE entries <> 0 AND {outside}
              UNION ALL
              SELECT {COLUMNS} FROM closed_month_totals
              WHERE entries <> 0 AND close_id IN ({ids}))"
        )))
    }

    /// The line (record, line number) entry `id` belongs to, live or in close `close_id`'s
    /// copy (a part folded back since the close is only there).
    fn line_of(&self, close_id: i64, id: i64) -> Result<Option<(i64, i64)>> {
        Ok(self
            .db()
            .query_row(
                "SELECT record_ref, line_no FROM ledger WHERE id = ?2
                 UNION ALL
                 SELECT record_ref, line_no FROM closed_ledger WHERE close_id = ?1 AND id = ?2
                 LIMIT 1",
                params![close_id, id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn close_head(&self, id: i64) -> Result<CloseHead> {
        self.db()
            .query_row(
                &format!("SELECT {CLOSE_COLUMNS} FROM period_closes p WHERE p.id = ?1"),
                [id],
                read_head,
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "closed period",
                id,
            })
    }

    fn with_numbers(&self, h: CloseHead) -> Result<PeriodClose> {
        self.numbers(h, true)
    }

    /// The close with its reported totals; its waiting changes counted only when `changes`.
    fn numbers(&self, h: CloseHead, changes: bool) -> Result<PeriodClose> {
        let (reported, entries) = self.db().query_row(
            &format!("SELECT {SNAPSHOT_TOTALS} FROM closed_ledger l WHERE l.close_id = ?1"),
            [h.id],
            |r| {
                Ok((
                    Totals {
                        kg_co2e: decimal::from_millionths(r.get(0)?),
                        spend_usd_2022: decimal::from_millionths(r.get(1)?),
                        counted: r.get(2)?,
                        excluded: r.get(3)?,
                        unmapped: r.get(4)?,
                    },
                    r.get::<_, i64>(5)?,
                ))
            },
        )?;
        let changes_after_close = if changes && h.standing() {
            self.change_keys(h.id, &h.from, &h.to)?.len() as i64
        } else {
            0
        };
        let took_in = {
            let mut stmt = self.db().prepare_cached(
                "SELECT label FROM period_closes WHERE taken_into = ?1 ORDER BY from_date, id",
            )?;
            let rows = stmt.query_map([h.id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()?
        };
        Ok(PeriodClose {
            id: h.id,
            label: h.label,
            from: h.from,
            to: h.to,
            closed_at_ms: h.closed_at_ms,
            closed_by: h.closed_by,
            note: h.note,
            reopened_at_ms: h.reopened_at_ms,
            reopened_by: h.reopened_by,
            reopen_reason: h.reopen_reason,
            taken_into: h.taken_into,
            took_in,
            reported,
            entries,
            changes_after_close,
        })
    }

    /// Every close, newest first, with its reported numbers and waiting changes.
    pub fn period_closes(&self) -> Result<Vec<PeriodClose>> {
        let heads = {
            let mut stmt = self.db().prepare(&format!(
                "SELECT {CLOSE_COLUMNS} FROM period_closes p ORDER BY p.closed_at_ms DESC, p.id DESC"
            ))?;
            let rows = stmt.query_map([], read_head)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        heads.into_iter().map(|h| self.with_numbers(h)).collect()
    }

    /// One close.
    pub fn period_close(&self, id: i64) -> Result<PeriodClose> {
        let h = self.close_head(id)?;
        self.with_numbers(h)
    }

    fn standing_heads_within(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<CloseHead>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {CLOSE_COLUMNS} FROM period_closes p WHERE {STANDING}
               AND (?1 IS NULL OR p.to_date >= ?1) AND (?2 IS NULL OR p.from_date <= ?2)
             ORDER BY p.from_date"
        ))?;
        let rows = stmt.query_map(params![from, to], read_head)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The standing closes that overlap `from..=to` (either end open).
    pub fn standing_closes_within(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<PeriodClose>> {
        self.standing_heads_within(from, to)?
            .into_iter()
            .map(|h| self.with_numbers(h))
            .collect()
    }

    /// The label and days (inclusive `YYYY-MM-DD`) of each standing close that overlaps
    /// `from..=to`, by first day: where a change to an entry waits, without working out the
    /// closes' numbers and changes.
    pub fn standing_close_days_within(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<(String, String, String)>> {
        Ok(self
            .standing_heads_within(from, to)?
            .into_iter()
            .map(|h| (h.label, h.from, h.to))
            .collect())
    }

    /// The standing closes that overlap `from..=to`, and their changes after close: each
    /// close's live ledger compared with its copy once, for both.
    pub fn standing_closes_and_changes_within(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(Vec<PeriodClose>, Vec<ChangeAfterClose>)> {
        let mut closes = Vec::new();
        let mut changes = Vec::new();
        for h in self.standing_heads_within(from, to)? {
            let keys = self.change_keys(h.id, &h.from, &h.to)?;
            for k in &keys {
                changes.push(self.change_of(&h, k)?);
            }
            let mut close = self.numbers(h, false)?;
            close.changes_after_close = keys.len() as i64;
            closes.push(close);
        }
        Ok((closes, changes))
    }

    /// Closes `from..=to` (inclusive `YYYY-MM-DD`) as `label`: the ledger's entries dated in
    /// it are copied as reported, and the close is in the audit trail (`period_closed`,
    /// subject `period:<label>`, with the reported totals).
    ///
    /// Standing closes wholly inside the period (its months, closed one by one) are taken in:
    /// the copy holds their rows as they reported them, restatements included, instead of
    /// the live ledger's, so the longer period reports what its parts did; their changes
    /// after close become its own (those a person left stay left), and each is audited as
    /// `period_taken_in`. Refused, writing nothing, when the same days are already closed or
    /// a standing close reaches past either end of the period.
    pub fn close_period(
        &self,
        label: &str,
        from: &str,
        to: &str,
        note: Option<&str>,
        who: &Actor<'_>,
    ) -> Result<PeriodClose> {
        let tx = self.db().unchecked_transaction()?;
        let overlapping: Vec<CloseHead> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {CLOSE_COLUMNS} FROM period_closes p WHERE {STANDING}
                   AND p.from_date <= ?2 AND p.to_date >= ?1 ORDER BY p.from_date"
            ))?;
            let rows = stmt.query_map(params![from, to], read_head)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if let Some(same) = overlapping.iter().find(|o| o.from == from && o.to == to) {
            let named = if same.label.eq_ignore_ascii_case(label) {
                String::new()
            } else {
                format!(" as {}", same.label)
            };
            return Err(StoreError::Refused(format!(
                "{label} is already closed{named}; `carbonsync period list` shows it, and \
                 `carbonsync period reopen {} --reason …` reopens it",
                same.label
            )));
        }
        if let Some(other) = overlapping
            .iter()
            .find(|o| o.from.as_str() < from || o.to.as_str() > to)
        {
            let other = &other.label;
            return Err(StoreError::Refused(format!(
                "{label} overlaps {other}, which is closed and reaches past it: reopen {other} \
                 first (`carbonsync period reopen {other} --reason …`), or close a period that \
                 holds all of {other} or none of it"
            )));
        }
        tx.execute(
            "INSERT INTO period_closes (label, from_date, to_date, closed_at_ms, closed_by, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![label, from, to, who.at_ms, who.os_user, note],
        )?;
        let id = tx.last_insert_rowid();
        // Each close taken in, as it reported its days. An entry two of them reported (it
        // moved from one month into the next between their closes) is taken from the one
        // closed last; the other's stale row was its change after close.
        let mut newest_first: Vec<&CloseHead> = overlapping.iter().collect();
        newest_first.sort_by_key(|t| std::cmp::Reverse((t.closed_at_ms, t.id)));
        for t in newest_first {
            tx.execute(
                &format!(
                    "INSERT OR IGNORE INTO closed_ledger (close_id, {LEDGER_COLUMNS})
                     SELECT ?1, {LEDGER_COLUMNS} FROM closed_ledger WHERE close_id = ?2"
                ),
                params![id, t.id],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO close_left_changes
                   (close_id, entry_id, fingerprint, left_at_ms, left_by)
                 SELECT ?1, entry_id, fingerprint, left_at_ms, left_by
                 FROM close_left_changes WHERE close_id = ?2",
                params![id, t.id],
            )?;
        }
        // Then the live ledger for the days no close takes in (their dates are the store's own
        // `YYYY-MM-DD`, bound as parameters), less the entries a close taken in reported: one
        // that moved from a closed month to an open day of the period since counts as it was
        // reported, and its move waits as a change after close, for a person to restate.
        let mut outside = String::new();
        let mut days: Vec<&str> = vec![from, to];
        for o in &overlapping {
            days.push(&o.from);
            days.push(&o.to);
            // ?1 is the close's id, so day i is ?(i + 2).
            outside.push_str(&format!(
                " AND date NOT BETWEEN ?{} AND ?{}",
                days.len(),
                days.len() + 1
            ));
        }
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&id];
        args.extend(days.iter().map(|d| d as &dyn rusqlite::ToSql));
        tx.execute(
            &format!(
                "INSERT OR IGNORE INTO closed_ledger (close_id, {LEDGER_COLUMNS})
                 SELECT ?1, {LEDGER_COLUMNS} FROM ledger WHERE date BETWEEN ?2 AND ?3{outside}"
            ),
            rusqlite::params_from_iter(args),
        )?;
        let mut parts = Vec::new();
        for t in &overlapping {
            parts.push(self.numbers(self.close_head(t.id)?, false)?);
            tx.execute(
                "UPDATE period_closes SET taken_into = ?1 WHERE id = ?2",
                params![id, t.id],
            )?;
        }
        // Nothing can have changed since the copy was made a moment ago, in this transaction,
        // but what the closes taken in were still waiting for.
        let close = self.numbers(self.close_head(id)?, !parts.is_empty())?;
        self.audit_moved(&tx, who, "period_taken_in", &parts, note)?;
        audit(
            &tx,
            who,
            "period_closed",
            &format!("period:{label}"),
            None,
            Some(json(&CloseAudit::of(&close))),
            note,
        )?;
        tx.commit()?;
        Ok(close)
    }

    /// Reopens a standing close, for `reason` (required by the caller): its dates read from
    /// the live ledger again, but for those of the closes it took in, which stand again as
    /// they reported (each audited as `period_given_back`). The copy is kept. Audited as
    /// `period_reopened`.
    pub fn reopen_period(&self, id: i64, reason: &str, who: &Actor<'_>) -> Result<PeriodClose> {
        let tx = self.db().unchecked_transaction()?;
        let before = self.numbers(self.close_head(id)?, false)?;
        if let Some(into) = &before.taken_into {
            return Err(taken_in(&before.label, into));
        }
        if !before.standing() {
            return Err(StoreError::Refused(format!(
                "{} was already reopened; nothing changed",
                before.label
            )));
        }
        let given_back: Vec<PeriodClose> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT {CLOSE_COLUMNS} FROM period_closes p
                 WHERE p.taken_into = ?1 AND p.reopened_at_ms IS NULL ORDER BY p.from_date"
            ))?;
            let rows = stmt.query_map([id], read_head)?;
            let heads = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            heads
                .into_iter()
                .map(|h| self.numbers(h, false))
                .collect::<Result<_>>()?
        };
        tx.execute(
            "UPDATE period_closes SET reopened_at_ms = ?2, reopened_by = ?3, reopen_reason = ?4
             WHERE id = ?1",
            params![id, who.at_ms, who.os_user, reason],
        )?;
        let after = self.numbers(self.close_head(id)?, false)?;
        audit(
            &tx,
            who,
            "period_reopened",
            &format!("period:{}", before.label),
            Some(json(&CloseAudit::of(&before))),
            Some(json(&CloseAudit::of(&after))),
            Some(reason),
        )?;
        // The closes it took in stand again, as they reported their days.
        self.audit_moved(&tx, who, "period_given_back", &given_back, Some(reason))?;
        tx.commit()?;
        Ok(after)
    }

    /// One audit row per close in `closes` (each as it was before), with the close as it is
    /// now: taken into a longer close, or given back by it.
    fn audit_moved(
        &self,
        tx: &rusqlite::Transaction<'_>,
        who: &Actor<'_>,
        action: &str,
        closes: &[PeriodClose],
        why: Option<&str>,
    ) -> Result<()> {
        for before in closes {
            let after = self.numbers(self.close_head(before.id)?, false)?;
            audit(
                tx,
                who,
                action,
                &format!("period:{}", before.label),
                Some(json(&CloseAudit::of(before))),
                Some(json(&CloseAudit::of(&after))),
                why,
            )?;
        }
        Ok(())
    }

    /// The entries of close `id` whose live ledger row differs from its copy, and the live
    /// entries dated in the period that the copy lacks, less the changes a person left.
    fn change_keys(&self, id: i64, from: &str, to: &str) -> Result<Vec<ChangeKey>> {
        let fk = fingerprint("k");
        let fl = fingerprint("l");
        let sql = format!(
            "SELECT k.id, 1, COALESCE(l.date BETWEEN ?2 AND ?3, 0), CASE WHEN l.id IS NOT NULL THEN {fl} END
             FROM closed_ledger k LEFT JOIN ledger l ON l.id = k.id
             WHERE k.close_id = ?1
               AND (l.id IS NULL OR l.date NOT BETWEEN ?2 AND ?3 OR {fk} IS NOT {fl})
             UNION ALL
             SELECT l.id, 0, 1, {fl} FROM ledger l
             WHERE l.date BETWEEN ?2 AND ?3
               AND NOT EXISTS (SELECT 1 FROM closed_ledger k WHERE k.close_id = ?1 AND k.id = l.id)
             ORDER BY 1"
        );
        let left: std::collections::HashMap<i64, String> = {
            let mut stmt = self.db().prepare_cached(
                "SELECT entry_id, fingerprint FROM close_left_changes WHERE close_id = ?1",
            )?;
            let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(params![id, from, to], |r| {
            Ok(ChangeKey {
                entry_id: r.get(0)?,
                in_copy: r.get(1)?,
                live_in_period: r.get(2)?,
                live_fingerprint: r.get(3)?,
            })
        })?;
        let mut keys = Vec::new();
        for k in rows {
            let k = k?;
            let seen = k.live_fingerprint.as_deref().unwrap_or("gone");
            if left.get(&k.entry_id).map(String::as_str) == Some(seen) {
                continue;
            }
            keys.push(k);
        }
        Ok(keys)
    }

    /// The changes after close of standing close `h` a person may `verb` (restate, leave):
    /// all, or those of the entries named. Refused in words when the close was reopened or
    /// none is waiting.
    fn waiting(
        &self,
        h: &CloseHead,
        entries: Option<&[i64]>,
        verb: &str,
    ) -> Result<Vec<ChangeKey>> {
        if h.reopened_at_ms.is_some() {
            return Err(StoreError::Refused(format!(
                "{} was reopened: its numbers are the live ledger's, so there is nothing to {verb}",
                h.label
            )));
        }
        if let Some(into) = &h.taken_into {
            return Err(taken_in(&h.label, into));
        }
        // A split line's parts go together: naming one part names its whole line.
        let lines: Option<Vec<(i64, i64)>> = match entries {
            None => None,
            Some(e) => Some(
                e.iter()
                    .map(|&id| self.line_of(h.id, id))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .flatten()
                    .collect(),
            ),
        };
        let mut keys = Vec::new();
        for k in self.change_keys(h.id, &h.from, &h.to)? {
            let named = match &lines {
                None => true,
                Some(lines) => self
                    .line_of(h.id, k.entry_id)?
                    .is_some_and(|line| lines.contains(&line)),
            };
            if named {
                keys.push(k);
            }
        }
        if keys.is_empty() {
            return Err(StoreError::Refused(format!(
                "{} has no change after close{} to {verb}",
                h.label,
                if entries.is_some() {
                    " among the entries named"
                } else {
                    ""
                }
            )));
        }
        Ok(keys)
    }

    /// The changes after close of every standing close (or only of close `id`), by entry.
    pub fn changes_after_close(&self, id: Option<i64>) -> Result<Vec<ChangeAfterClose>> {
        let heads = match id {
            Some(id) => vec![self.close_head(id)?],
            None => {
                let mut stmt = self.db().prepare(&format!(
                    "SELECT {CLOSE_COLUMNS} FROM period_closes p WHERE {STANDING}
                     ORDER BY p.from_date"
                ))?;
                let rows = stmt.query_map([], read_head)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        let mut out = Vec::new();
        for h in heads.iter().filter(|h| h.standing()) {
            for k in self.change_keys(h.id, &h.from, &h.to)? {
                out.push(self.change_of(h, &k)?);
            }
        }
        Ok(out)
    }

    fn change_of(&self, h: &CloseHead, k: &ChangeKey) -> Result<ChangeAfterClose> {
        let line = |table: &str, cond: &str, args: &[&dyn rusqlite::ToSql]| {
            self.db()
                .query_row(
                    &format!(
                        "SELECT l.date, l.net_amount, l.currency,
                           CASE WHEN l.covered_by IS NOT NULL THEN 'excluded' ELSE l.status END,
                           COALESCE(l.covered_reason, l.reason), l.account_code, l.category,
                           l.scope, l.scope3_category, l.factor_code,
                           CASE WHEN l.status = 'counted' AND l.covered_by IS NULL THEN l.co2e_mg END,
                           l.connection_id, COALESCE(r.record_id, ''), l.line_no, l.contact, l.description
                         FROM {table} l LEFT JOIN records r ON r.id = l.record_ref WHERE {cond}"
                    ),
                    args,
                    |r| {
                        Ok((
                            ClosedLine {
                                date: r.get(0)?,
                                net_amount: decimal::read(r, 1)?,
                                currency: r.get(2)?,
                                status: LedgerStatus::parse(&r.get::<_, String>(3)?),
                                reason: r.get(4)?,
                                account_code: r.get(5)?,
                                category: r.get(6)?,
                                scope: r.get(7)?,
                                scope3_category: r.get(8)?,
                                factor_code: r.get(9)?,
                                kg_co2e: r
                                    .get::<_, Option<i64>>(10)?
                                    .map(decimal::from_millionths),
                            },
                            (
                                r.get::<_, i64>(11)?,
                                r.get::<_, String>(12)?,
                                r.get::<_, i64>(13)?,
                                r.get::<_, Option<String>>(14)?,
                                r.get::<_, Option<String>>(15)?,
                            ),
                        ))
                    },
                )
                .optional()
        };
        let reported = if k.in_copy {
            line(
                "closed_ledger",
                "l.close_id = ?1 AND l.id = ?2",
                &[&h.id, &k.entry_id],
            )?
        } else {
            None
        };
        let now = if k.live_fingerprint.is_some() {
            line("ledger", "l.id = ?1", &[&k.entry_id])?
        } else {
            None
        };
        let (connection_id, record_id, line_no, contact, description) = now
            .as_ref()
            .or(reported.as_ref())
            .map(|(_, who)| who.clone())
            .ok_or(StoreError::NotFound {
                what: "ledger entry",
                id: k.entry_id,
            })?;
        let counted = |l: &Option<(ClosedLine, _)>| {
            l.as_ref()
                .and_then(|(l, _)| l.kg_co2e)
                .unwrap_or(Decimal::ZERO)
        };
        let now_kg = if k.live_in_period {
            counted(&now)
        } else {
            Decimal::ZERO
        };
        let kind = match (k.in_copy, k.live_in_period) {
            (false, _) => CloseChangeKind::Added,
            (true, false) => CloseChangeKind::Removed,
            (true, true) => CloseChangeKind::Changed,
        };
        Ok(ChangeAfterClose {
            close_id: h.id,
            label: h.label.clone(),
            entry_id: k.entry_id,
            kind,
            connection_id,
            record_id,
            line_no,
            contact,
            description,
            kg_co2e_difference: now_kg - counted(&reported),
            reported: reported.map(|(l, _)| l),
            now: now.map(|(l, _)| l),
        })
    }

    /// Accepts changes after close into close `id`'s numbers (all of them, or the entries
    /// named): each copied row is replaced by the live one (or dropped when the entry left
    /// the period). Audited as `period_restated` with the totals before and after and the
    /// entries. Refused for a reopened close, and when none of the entries named has a change.
    pub fn restate_period(
        &self,
        id: i64,
        entries: Option<&[i64]>,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<Restatement> {
        let tx = self.db().unchecked_transaction()?;
        let h = self.close_head(id)?;
        let keys = self.waiting(&h, entries, "restate")?;
        let before = self.numbers(self.close_head(id)?, false)?;
        let mut changed = Vec::new();
        for k in &keys {
            changed.push(self.change_of(&h, k)?);
            tx.execute(
                "DELETE FROM closed_ledger WHERE close_id = ?1 AND id = ?2",
                params![id, k.entry_id],
            )?;
            tx.execute(
                &format!(
                    "INSERT INTO closed_ledger (close_id, {LEDGER_COLUMNS})
                     SELECT ?1, {LEDGER_COLUMNS} FROM ledger
                     WHERE id = ?2 AND date BETWEEN ?3 AND ?4"
                ),
                params![id, k.entry_id, h.from, h.to],
            )?;
            tx.execute(
                "DELETE FROM close_left_changes WHERE close_id = ?1 AND entry_id = ?2",
                params![id, k.entry_id],
            )?;
        }
        let after = self.numbers(self.close_head(id)?, false)?;
        audit(
            &tx,
            who,
            "period_restated",
            &format!("period:{}", h.label),
            Some(json(&CloseAudit::of(&before))),
            Some(json(&RestatementAudit {
                close: CloseAudit::of(&after),
                changes: &changed,
            })),
            why,
        )?;
        tx.commit()?;
        Ok(Restatement {
            close_id: id,
            label: h.label,
            entries: keys.len() as i64,
            before: before.reported,
            after: after.reported,
        })
    }

    /// Leaves changes after close of close `id` (all, or the entries named) out of its
    /// numbers: they are no longer listed until the entry changes again. Audited as
    /// `period_changes_left`. Returns how many were left.
    pub fn leave_changes(
        &self,
        id: i64,
        entries: Option<&[i64]>,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<i64> {
        let tx = self.db().unchecked_transaction()?;
        let h = self.close_head(id)?;
        let keys = self.waiting(&h, entries, "leave")?;
        let mut changed = Vec::new();
        for k in &keys {
            changed.push(self.change_of(&h, k)?);
            tx.execute(
                "INSERT INTO close_left_changes (close_id, entry_id, fingerprint, left_at_ms, left_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (close_id, entry_id) DO UPDATE SET fingerprint = excluded.fingerprint,
                   left_at_ms = excluded.left_at_ms, left_by = excluded.left_by",
                params![
                    id,
                    k.entry_id,
                    k.live_fingerprint.as_deref().unwrap_or("gone"),
                    who.at_ms,
                    who.os_user
                ],
            )?;
        }
        audit(
            &tx,
            who,
            "period_changes_left",
            &format!("period:{}", h.label),
            None,
            Some(json(&changed)),
            why,
        )?;
        tx.commit()?;
        Ok(keys.len() as i64)
    }
}

/// A close as its audit rows record it.
#[derive(Serialize)]
struct CloseAudit<'a> {
    label: &'a str,
    from: &'a str,
    to: &'a str,
    entries: i64,
    kg_co2e: Decimal,
    spend_usd_2022: Decimal,
    counted: i64,
    excluded: i64,
    unmapped: i64,
    reopened: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    taken_into: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    took_in: &'a [String],
}

impl<'a> CloseAudit<'a> {
    fn of(c: &'a PeriodClose) -> Self {
        CloseAudit {
            label: &c.label,
            from: &c.from,
            to: &c.to,
            entries: c.entries,
            kg_co2e: c.reported.kg_co2e,
            spend_usd_2022: c.reported.spend_usd_2022,
            counted: c.reported.counted,
            excluded: c.reported.excluded,
            unmapped: c.reported.unmapped,
            reopened: c.reopened_at_ms.is_some(),
            taken_into: c.taken_into.as_deref(),
            took_in: &c.took_in,
        }
    }
}

/// Why close `label`, taken into close `into`, can no longer be reopened, restated or left:
/// its days are that close's now.
pub fn taken_in_words(label: &str, into: &str) -> String {
    format!(
        "{label} was taken into {into} when {into} was closed: its days are {into}'s now \
         (`carbonsync period changes {into}`, `carbonsync period reopen {into} --reason …`)"
    )
}

fn taken_in(label: &str, into: &str) -> StoreError {
    StoreError::Refused(taken_in_words(label, into))
}

#[derive(Serialize)]
struct RestatementAudit<'a> {
    close: CloseAudit<'a>,
    changes: &'a [ChangeAfterClose],
}
