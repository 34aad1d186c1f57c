//! Recomputing ledger entries from the records they came from, without asking the platform
//! again: after an upgrade that changed how results are kept, and (through the same call) when
//! a mapping or factor table changes.

use rust_decimal::Decimal;

use rusqlite::types::Value;

use crate::{decimal, now_text, LedgerRow, Result, RuleMatch, Store};

/// The page cache while many entries are written at once, in KiB as SQLite's negative
/// `cache_size` takes it: 256 MiB, about the ledger of a million entries.
const BULK_CACHE_KIB: i64 = -256 * 1024;

/// The `meta` key present while a recomputation of every ledger entry is owed.
pub const REASSESS_LEDGER: &str = "reassess_ledger";

/// One line as its record has it: what a calculation (and a person's decision or rule) needs
/// to decide its entry again.
#[derive(Debug, Clone, Copy)]
pub struct LedgerLine<'a> {
    /// The entry's id.
    pub entry_id: i64,
    pub connection_id: i64,
    /// The record's stream (`bank_transactions`) and its id at the platform.
    pub stream: &'a str,
    pub record_id: &'a str,
    /// The line's position in its record, from 0.
    pub line_no: i64,
    /// The supplier (the record's contact).
    pub contact: Option<&'a str>,
    pub description: Option<&'a str>,
    /// The code people know the account by.
    pub account_code: Option<&'a str>,
    /// The catalogue id of the connection's platform (`xero`): which account mapping applies.
    pub platform: &'a str,
    /// The record's kind as the platform names it (Xero `Type`: `SPEND`, `ACCPAY`, …).
    pub kind: &'a str,
    /// Deleted or voided in the source.
    pub deleted: bool,
    /// `YYYY-MM-DD`.
    pub date: &'a str,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// What the platform's mapping is looked up with (Xero: the account code).
    pub mapping_key: Option<&'a str>,
    pub account_name: Option<&'a str>,
    /// The line before tax, signed as spend (negative for refunds and credits).
    pub net_amount: Decimal,
    /// What the ledger holds for the line now.
    pub stored: StoredOutcome<'a>,
}

/// What the ledger holds for a line now: the outcome a new decision is compared with to tell
/// whether it changes the entry (status, reason, category, scopes, factor, kg, the decision or
/// rule that decided it). The write also compares what follows from these for the same line
/// (the factor's value and set, the conversions), so a preview may miss only a row whose
/// outcome stays and whose factor table or conversion changed underneath.
#[derive(Debug, Clone, Copy)]
pub struct StoredOutcome<'a> {
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub category: Option<&'a str>,
    pub scope: Option<i64>,
    pub scope3_category: Option<i64>,
    pub factor_code: Option<&'a str>,
    pub factor_version: Option<&'a str>,
    /// kg CO2e in milligrams (millionths of a kg), location-based and market-based.
    pub co2e_mg: Option<i64>,
    pub market_co2e_mg: Option<i64>,
    /// The amount in USD 2022, in millionths.
    pub usd_2022_micros: Option<i64>,
    pub decision_id: Option<i64>,
    pub review_rule_id: Option<i64>,
    /// A split part's share, decimal text; `None` for a whole line.
    pub share_percent: Option<&'a str>,
}

impl StoredOutcome<'_> {
    /// kg CO2e as stored (exact: whole milligrams).
    pub fn kg_co2e(&self) -> Option<Decimal> {
        self.co2e_mg.map(decimal::from_millionths)
    }

    /// Whether writing `row` would change the entry. A row whose kg cannot be kept in
    /// milligrams, or that splits the line, always does.
    pub fn differs(&self, row: &LedgerRow) -> bool {
        let mg = |d: &Option<Decimal>| decimal::opt_millionths(d).ok();
        let share = |d: &Option<Decimal>| d.as_ref().map(decimal::text);
        self.status != row.status.as_str()
            || self.reason != row.reason.as_deref()
            || self.category != row.category.as_deref()
            || self.scope != row.scope.map(i64::from)
            || self.scope3_category != row.scope3_category.map(i64::from)
            || self.factor_code != row.factor_code.as_deref()
            || self.factor_version != row.factor_version.as_deref()
            || Some(self.co2e_mg) != mg(&row.kg_co2e)
            || Some(self.market_co2e_mg) != mg(&row.market_kg_co2e)
            || Some(self.usd_2022_micros) != mg(&row.amount_usd_2022)
            || self.decision_id != row.decision_id
            || self.review_rule_id != row.review_rule_id
            || self.share_percent.map(str::to_owned) != share(&row.share_percent)
            || !row.more_parts.is_empty()
    }
}

/// Which entries [`Store::reassess_entries`] decides again.
#[derive(Debug, Clone, PartialEq)]
pub enum Reassess {
    /// Every entry.
    All,
    /// One entry (by id), after a person decided it.
    Entry(i64),
    /// Every line of one record (by `records.id`).
    Record(i64),
    /// Every entry of one connection.
    Connection(i64),
    /// Every entry a change to a person's rules could change: those no person decided that
    /// one of these matches may now match (a superset: the rules themselves decide), and those
    /// a rule decided.
    RuleChange(Vec<RuleMatch>),
}

impl Store {
    /// Whether work named `name` (e.g. [`REASSESS_LEDGER`]) is owed to this database.
    pub fn has_pending_work(&self, name: &str) -> Result<bool> {
        Ok(self.meta_get(name)?.is_some())
    }

    /// Decides every ledger entry again with `decide` and writes the results, in one
    /// transaction that also clears [`REASSESS_LEDGER`]: an interruption leaves the old
    /// entries and the work still owed. Returns how many entries were decided.
    pub fn reassess_ledger(
        &mut self,
        decide: &mut dyn FnMut(&LedgerLine<'_>) -> LedgerRow,
    ) -> Result<usize> {
        self.reassess_entries(&Reassess::All, decide)
    }

    /// Decides the entries `which` selects again with `decide` and writes the results, in one
    /// transaction; with [`Reassess::All`] the transaction also clears [`REASSESS_LEDGER`].
    /// Returns how many entries were decided.
    pub fn reassess_entries(
        &mut self,
        which: &Reassess,
        decide: &mut dyn FnMut(&LedgerLine<'_>) -> LedgerRow,
    ) -> Result<usize> {
        self.decide_entries(which, true, decide)
    }

    /// Calls `decide` on the entries `which` selects, as [`Store::reassess_entries`] does, and
    /// writes nothing: to preview what a change would do.
    pub fn preview_entries(
        &mut self,
        which: &Reassess,
        decide: &mut dyn FnMut(&LedgerLine<'_>) -> LedgerRow,
    ) -> Result<usize> {
        self.decide_entries(which, false, decide)
    }

    fn decide_entries(
        &mut self,
        which: &Reassess,
        write: bool,
        decide: &mut dyn FnMut(&LedgerLine<'_>) -> LedgerRow,
    ) -> Result<usize> {
        let (cond, params): (String, Vec<Value>) = match which {
            Reassess::All => ("1 = 1".into(), vec![]),
            // Any part of a line stands for the line.
            Reassess::Entry(id) => (
                "(l.record_ref, l.line_no) = (SELECT record_ref, line_no FROM ledger WHERE id = ?1)"
                    .into(),
                vec![Value::Integer(*id)],
            ),
            Reassess::Record(id) => ("l.record_ref = ?1".into(), vec![Value::Integer(*id)]),
            Reassess::Connection(id) => ("l.connection_id = ?1".into(), vec![Value::Integer(*id)]),
            Reassess::RuleChange(matches) => crate::review::rule_candidates(matches),
        };
        let mut refs = std::mem::take(&mut self.refs);
        if write {
            // A rule or a recomputation can rewrite most of the ledger's pages; kept in
            // memory until the commit instead of spilled to the log half-way, they are
            // written once. The cache shrinks back once the work is done.
            self.db()
                .pragma_update(None, "cache_size", BULK_CACHE_KIB)?;
        }
        let result = self.write_decisions(which, cond, params, write, &mut refs, decide);
        if write {
            // The work is done (or failed) either way; a cache left large costs only memory.
            let _ = self
                .conn
                .pragma_update(None, "cache_size", crate::schema::CACHE_KIB);
        }
        // A failed transaction may have cached references it then rolled back.
        self.refs = if result.is_ok() {
            refs
        } else {
            Default::default()
        };
        result
    }

    fn write_decisions(
        &mut self,
        which: &Reassess,
        cond: String,
        params: Vec<Value>,
        write: bool,
        refs: &mut crate::records::RefCache,
        decide: &mut dyn FnMut(&LedgerLine<'_>) -> LedgerRow,
    ) -> Result<usize> {
        let now = now_text();
        let tx = self.db_mut().transaction()?;
        let mut count = 0;
        {
            let mut lines = tx.prepare(&format!(
                "SELECT l.id, r.kind, r.deleted, l.date, l.currency, l.mapping_key,
                 l.account_name, COALESCE(l.line_amount, l.net_amount), c.provider,
                 l.connection_id, r.stream, r.record_id, l.line_no, l.contact, l.description,
                 l.account_code, l.line_amount IS NOT NULL, l.status, l.reason, l.category,
                 l.scope, l.scope3_category, l.factor_code, l.factor_version, l.co2e_mg,
                 l.market_co2e_mg, l.usd_2022_micros, l.decision_id, l.review_rule_id,
                 l.share_percent
                 FROM ledger l JOIN records r ON r.id = l.record_ref
                 JOIN connections c ON c.id = l.connection_id
                 WHERE ({cond}) AND l.part_no = 0 ORDER BY l.id"
            ))?;
            let mut put = tx.prepare(
                "UPDATE ledger SET status = ?2, reason = ?3, rule_id = ?4, category = ?5,
                 scope = ?6, scope3_category = ?7, factor_ref = ?8, factor_version = ?9,
                 factor_code = ?10, factor_value = ?11, conversion_ref = ?12, fx_rate = ?13,
                 deflator = ?14, usd_2022_micros = ?15, co2e_mg = ?16, computed_at = ?17,
                 decision_id = ?18, review_rule_id = ?19, market_co2e_mg = ?20,
                 net_amount = COALESCE(?21, COALESCE(line_amount, net_amount)),
                 line_amount = CASE WHEN ?21 IS NULL THEN NULL
                                    ELSE COALESCE(line_amount, net_amount) END,
                 share_percent = ?22
                 WHERE id = ?1
                   -- Only what changes is written: a rule or a recomputation that leaves most
                   -- entries as they were costs no write (and no trigger) for them.
                   AND (status IS NOT ?2 OR reason IS NOT ?3 OR rule_id IS NOT ?4
                     OR category IS NOT ?5 OR scope IS NOT ?6 OR scope3_category IS NOT ?7
                     OR factor_ref IS NOT ?8 OR factor_version IS NOT ?9 OR factor_code IS NOT ?10
                     OR factor_value IS NOT ?11 OR conversion_ref IS NOT ?12 OR fx_rate IS NOT ?13
                     OR deflator IS NOT ?14 OR usd_2022_micros IS NOT ?15 OR co2e_mg IS NOT ?16
                     OR decision_id IS NOT ?18 OR review_rule_id IS NOT ?19
                     OR market_co2e_mg IS NOT ?20 OR share_percent IS NOT ?22
                     OR (?21 IS NULL AND line_amount IS NOT NULL)
                     OR (?21 IS NOT NULL AND (line_amount IS NULL OR net_amount IS NOT ?21)))",
            )?;
            // A split line's other parts, copied from its first (already written) and then
            // given their own share, amount and assessment.
            let mut put_part = tx.prepare(
                "INSERT INTO ledger (record_ref, connection_id, line_no, part_no, date, contact,
                   description, account_code, account_name, currency, mapping_key, net_amount,
                   line_amount, share_percent, status, reason, rule_id, category, scope,
                   scope3_category, factor_ref, factor_version, factor_code, factor_value,
                   conversion_ref, fx_rate, deflator, usd_2022_micros, co2e_mg, computed_at,
                   decision_id, review_rule_id, market_co2e_mg)
                 SELECT record_ref, connection_id, line_no, ?2, date, contact, description,
                   account_code, account_name, currency, mapping_key, ?3, line_amount, ?4, ?5,
                   ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                   ?22, ?23
                 FROM ledger WHERE id = ?1
                 ON CONFLICT (record_ref, line_no, part_no) DO UPDATE SET
                   net_amount = excluded.net_amount, line_amount = excluded.line_amount,
                   share_percent = excluded.share_percent, status = excluded.status,
                   reason = excluded.reason, rule_id = excluded.rule_id,
                   category = excluded.category, scope = excluded.scope,
                   scope3_category = excluded.scope3_category, factor_ref = excluded.factor_ref,
                   factor_version = excluded.factor_version, factor_code = excluded.factor_code,
                   factor_value = excluded.factor_value, conversion_ref = excluded.conversion_ref,
                   fx_rate = excluded.fx_rate, deflator = excluded.deflator,
                   usd_2022_micros = excluded.usd_2022_micros, co2e_mg = excluded.co2e_mg,
                   computed_at = excluded.computed_at, decision_id = excluded.decision_id,
                   review_rule_id = excluded.review_rule_id,
                   market_co2e_mg = excluded.market_co2e_mg",
            )?;
            let mut drop_parts = tx.prepare(
                "DELETE FROM ledger WHERE (record_ref, line_no) =
                   (SELECT record_ref, line_no FROM ledger WHERE id = ?1) AND part_no > ?2",
            )?;
            let mut rows = lines.query(rusqlite::params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let was_split: bool = row.get(16)?;
                // Read in place (no copy of each text per entry): a rule's candidates are
                // counted in hundreds of thousands.
                let e = decide(&LedgerLine {
                    entry_id: id,
                    connection_id: row.get(9)?,
                    stream: text(row, 10)?,
                    record_id: text(row, 11)?,
                    line_no: row.get(12)?,
                    contact: opt_text(row, 13)?,
                    description: opt_text(row, 14)?,
                    account_code: opt_text(row, 15)?,
                    platform: text(row, 8)?,
                    kind: text(row, 1)?,
                    deleted: row.get(2)?,
                    date: text(row, 3)?,
                    currency: text(row, 4)?,
                    mapping_key: opt_text(row, 5)?,
                    account_name: opt_text(row, 6)?,
                    net_amount: decimal::read(row, 7)?,
                    stored: StoredOutcome {
                        status: text(row, 17)?,
                        reason: opt_text(row, 18)?,
                        category: opt_text(row, 19)?,
                        scope: row.get(20)?,
                        scope3_category: row.get(21)?,
                        factor_code: opt_text(row, 22)?,
                        factor_version: opt_text(row, 23)?,
                        co2e_mg: row.get(24)?,
                        market_co2e_mg: row.get(25)?,
                        usd_2022_micros: row.get(26)?,
                        decision_id: row.get(27)?,
                        review_rule_id: row.get(28)?,
                        share_percent: opt_text(row, 29)?,
                    },
                });
                count += 1;
                if !write {
                    continue;
                }
                let factor_ref = refs.factor(&tx, &e)?;
                let conversion_ref = refs.conversion(&tx, &e)?;
                put.execute(rusqlite::params![
                    id,
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
                    e.decision_id,
                    e.review_rule_id,
                    decimal::opt_millionths(&e.market_kg_co2e)?,
                    decimal::opt_text(&e.part_amount),
                    decimal::opt_text(&e.share_percent)
                ])?;
                for p in &e.more_parts {
                    let factor_ref = refs.factor(&tx, p)?;
                    let conversion_ref = refs.conversion(&tx, p)?;
                    put_part.execute(rusqlite::params![
                        id,
                        p.part_no,
                        decimal::text(&p.part_amount.unwrap_or_default()),
                        decimal::opt_text(&p.share_percent),
                        p.status.as_str(),
                        p.reason,
                        p.rule_id,
                        p.category,
                        p.scope,
                        p.scope3_category,
                        factor_ref,
                        p.factor_version,
                        p.factor_code,
                        decimal::opt_text(&p.factor_value),
                        conversion_ref,
                        decimal::opt_text(&p.fx_rate),
                        decimal::opt_text(&p.deflator),
                        decimal::opt_millionths(&p.amount_usd_2022)?,
                        decimal::opt_millionths(&p.kg_co2e)?,
                        now,
                        p.decision_id,
                        p.review_rule_id,
                        decimal::opt_millionths(&p.market_kg_co2e)?
                    ])?;
                }
                // Only a line that was split can have parts to lose.
                if was_split {
                    drop_parts.execute(rusqlite::params![id, e.more_parts.len() as i64])?;
                }
            }
        }
        if !write {
            return Ok(count);
        }
        if matches!(which, Reassess::All) {
            tx.execute("DELETE FROM meta WHERE key = ?1", [REASSESS_LEDGER])?;
        }
        tx.commit()?;
        Ok(count)
    }
}

/// Column `i` as text, borrowed from the row.
fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Column `i` as text or NULL, borrowed from the row.
fn opt_text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    row.get_ref(i)?.as_str_or_null().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}
