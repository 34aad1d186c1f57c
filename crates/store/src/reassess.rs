//! Recomputing ledger entries from the records they came from, without asking the platform
//! again: after an upgrade that changed how results are kept, and (through the same call) when
//! a mapping or factor table changes.

use std::sync::mpsc;

use rust_decimal::Decimal;

use rusqlite::types::Value;

use crate::entry_writer::{Decided, EntryValues, EntryWriter, MonthTotals};
use crate::{decimal, now_text, LedgerRow, Result, RuleMatch, Store, StoreError};

/// The page cache while many entries are written at once, in KiB as SQLite's negative
/// `cache_size` takes it: 256 MiB, about the ledger of a million entries.
const BULK_CACHE_KIB: i64 = -256 * 1024;

/// The `meta` key present while a recomputation of every ledger entry is owed.
pub const REASSESS_LEDGER: &str = "reassess_ledger";

/// The `meta` key counting changes of a person's rules whose entries are not decided again
/// yet: a change adds one in its own transaction, and the recomputation after it takes one
/// away in its. A process stopped between the two leaves it above zero, and the next start
/// decides every entry again ([`Store::rules_owe_work`]).
pub(crate) const REASSESS_RULES: &str = "reassess_rules";

/// Counts one change of the rules as owed, inside `tx` (the change's own transaction).
pub(crate) fn owe_rule_work(tx: &rusqlite::Connection) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [REASSESS_RULES],
    )?;
    Ok(())
}

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
        let share = |d: &Option<Decimal>| d.as_ref().map(decimal::text);
        self.result_differs(row)
            || self.decision_id != row.decision_id
            || self.review_rule_id != row.review_rule_id
            || self.share_percent.map(str::to_owned) != share(&row.share_percent)
            || !row.more_parts.is_empty()
    }

    /// Whether `row` would change what the entry counts, as the report shows it: its status
    /// and reason, category, scope and Scope 3 category, factor, kg CO2e (location- and
    /// market-based) or 2022 USD. A row that differs only in who decided it (a person's
    /// decision, a rule) or in its share does not.
    pub fn result_differs(&self, row: &LedgerRow) -> bool {
        let mg = |d: &Option<Decimal>| decimal::opt_millionths(d).ok();
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
        let sql = candidates_sql(&cond);
        if !write {
            // One statement: one consistent reading of the ledger.
            let mut lines = self.db().prepare(&sql)?;
            let mut rows = lines.query(rusqlite::params_from_iter(params))?;
            let mut count = 0;
            while let Some(row) = rows.next()? {
                decide(&line_at(row)?.line);
                count += 1;
            }
            return Ok(count);
        }
        let mut refs = std::mem::take(&mut self.refs);
        // A rule or a recomputation can rewrite most of the ledger's pages; kept in memory
        // until the commit instead of spilled to the log half-way, they are written once.
        // The cache shrinks back once the work is done.
        self.db()
            .pragma_update(None, "cache_size", BULK_CACHE_KIB)?;
        let result = self.write_decisions(which, &sql, params, &mut refs, decide);
        // The work is done (or failed) either way; a cache left large costs only memory.
        let _ = self
            .db()
            .pragma_update(None, "cache_size", crate::schema::CACHE_KIB);
        // A failed transaction may have cached references it then rolled back.
        self.refs = if result.is_ok() {
            refs
        } else {
            Default::default()
        };
        result
    }

    /// Reads and decides the lines on this thread while another writes the decisions, on
    /// this store's connection, in one transaction: deciding a line and writing an entry
    /// take about as long as each other, and a rule can decide a hundred thousand.
    ///
    /// The writer takes the write lock first; the lines are then read through a second
    /// (read-only) connection, which therefore sees the database exactly as the writer's
    /// transaction began. A failure on either side rolls the whole transaction back.
    fn write_decisions(
        &mut self,
        which: &Reassess,
        sql: &str,
        params: Vec<Value>,
        refs: &mut crate::records::RefCache,
        decide: &mut dyn FnMut(&LedgerLine<'_>) -> LedgerRow,
    ) -> Result<usize> {
        let path = self.path.clone();
        let read_from = self.path.clone();
        let in_use = self.in_use.clone();
        let owed = match which {
            Reassess::All => Owed::Everything,
            Reassess::RuleChange(_) => Owed::OneRuleChange,
            _ => Owed::Nothing,
        };
        let now = now_text();
        let conn = self.db_mut();
        std::thread::scope(|scope| {
            let (ready, writer_ready) = mpsc::sync_channel::<()>(1);
            let (lines, lines_rx) = mpsc::sync_channel::<Batch>(4);
            let writer = std::thread::Builder::new()
                .name("ledger-writer".into())
                .spawn_scoped(scope, move || {
                    crate::schema::touch(&in_use);
                    write_all(conn, &path, now, refs, owed, ready, lines_rx)
                })
                .map_err(|e| {
                    StoreError::Refused(format!(
                        "could not start writing the ledger ({e}); close other programs to \
                         free memory and try again"
                    ))
                })?;
            let joined = |w: std::thread::ScopedJoinHandle<'_, Result<()>>| {
                w.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
            };
            if writer_ready.recv().is_err() {
                // The writer could not begin (the database is locked, read-only, …).
                return joined(writer).map(|()| 0);
            }
            match read_and_decide(&read_from, sql, params, decide, &lines) {
                Ok(Some(count)) => joined(writer).map(|()| count),
                Ok(None) => {
                    // The writer stopped on an error; it says which.
                    drop(lines);
                    joined(writer).map(|()| 0)
                }
                Err(e) => {
                    drop(lines);
                    let _ = joined(writer);
                    Err(e)
                }
            }
        })
    }
}

/// The writer's side of [`Store::reassess_entries`]: begins the transaction, says it is
/// `ready`, writes what arrives on `lines` and commits at the end; when `lines` closes
/// before the end (the reader failed) nothing is kept.
fn write_all(
    conn: &mut rusqlite::Connection,
    path: &std::path::Path,
    now: String,
    refs: &mut crate::records::RefCache,
    owed: Owed,
    ready: mpsc::SyncSender<()>,
    lines: mpsc::Receiver<Batch>,
) -> Result<()> {
    // The only references written are to factor and conversion rows this transaction looked
    // up or made (RefCache) and, for a split line's parts, the record and connection of the
    // line they copy: checking each against its table again would cost a lookup per entry.
    // (The setting cannot change inside a transaction, so it is set around it.)
    conn.pragma_update(None, "foreign_keys", false)?;
    let written = crate::schema::commit_large(conn, path, |tx| {
        let mut entries = EntryWriter::new(tx, now)?;
        let _ = ready.send(());
        for batch in lines {
            match batch {
                Batch::Lines(decided) => {
                    for d in &decided {
                        entries.write(refs, d)?;
                    }
                }
                Batch::End(counted) => {
                    entries.finish(counted)?;
                    match owed {
                        Owed::Everything => {
                            tx.execute(
                                "DELETE FROM meta WHERE key IN (?1, ?2)",
                                [REASSESS_LEDGER, REASSESS_RULES],
                            )?;
                        }
                        Owed::OneRuleChange => {
                            tx.execute(
                                "UPDATE meta SET value = CAST(value AS INTEGER) - 1 WHERE key = ?1",
                                [REASSESS_RULES],
                            )?;
                            tx.execute(
                                "DELETE FROM meta WHERE key = ?1 AND CAST(value AS INTEGER) <= 0",
                                [REASSESS_RULES],
                            )?;
                        }
                        Owed::Nothing => {}
                    }
                    return Ok(());
                }
            }
        }
        Err(StoreError::Invalid(
            "the reading of the ledger stopped before its end".into(),
        ))
    });
    conn.pragma_update(None, "foreign_keys", true)?;
    written
}

/// What owed work a recomputation settles when it commits.
#[derive(Clone, Copy)]
enum Owed {
    /// Every entry was decided again: nothing is owed any more.
    Everything,
    /// The entries one change of the rules may change were decided again.
    OneRuleChange,
    Nothing,
}

/// What the reader hands the writer: decided lines, in the ledger's order, then the end.
enum Batch {
    Lines(Vec<Decided>),
    /// Every line was read and decided, with what the unsplit ones move in the month
    /// totals: the writer may commit.
    End(MonthTotals),
}

/// Lines handed to the writer at a time.
const BATCH_LINES: usize = 512;

/// Reads the candidates (`sql`, from [`candidates_sql`]) through a read-only connection of
/// its own and decides each, sending the decisions to the writer. `None` when the writer
/// stopped taking them (it failed).
fn read_and_decide(
    path: &std::path::Path,
    sql: &str,
    params: Vec<Value>,
    decide: &mut dyn FnMut(&LedgerLine<'_>) -> LedgerRow,
    to_writer: &mpsc::SyncSender<Batch>,
) -> Result<Option<usize>> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "cache_size", crate::schema::CACHE_KIB)?;
    let mut lines = conn.prepare(sql)?;
    let mut rows = lines.query(rusqlite::params_from_iter(params))?;
    let mut batch = Vec::with_capacity(BATCH_LINES);
    let mut totals = MonthTotals::default();
    let mut count = 0;
    while let Some(row) = rows.next()? {
        let read = line_at(row)?;
        let row = decide(&read.line);
        let values = EntryValues::of(&row)?;
        if !read.was_split && row.more_parts.is_empty() {
            totals.count_change(
                read.line.date,
                read.line.connection_id,
                read.covered,
                &read.line.stored,
                &row,
                &values,
            );
        }
        batch.push(Decided {
            entry_id: read.line.entry_id,
            was_split: read.was_split,
            row,
            values,
        });
        count += 1;
        if batch.len() == BATCH_LINES
            && to_writer
                .send(Batch::Lines(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(BATCH_LINES),
                )))
                .is_err()
        {
            return Ok(None);
        }
    }
    if (!batch.is_empty() && to_writer.send(Batch::Lines(batch)).is_err())
        || to_writer.send(Batch::End(totals)).is_err()
    {
        return Ok(None);
    }
    Ok(Some(count))
}

/// The lines `cond` selects (first parts only: a part stands for its line), with what they
/// were decided from and what the ledger holds for them, in the columns [`line_at`] reads.
fn candidates_sql(cond: &str) -> String {
    format!(
        "SELECT l.id, r.kind, r.deleted, l.date, l.currency, l.mapping_key,
         l.account_name, COALESCE(l.line_amount, l.net_amount), c.provider,
         l.connection_id, r.stream, r.record_id, l.line_no, l.contact, l.description,
         l.account_code, l.line_amount IS NOT NULL, l.status, l.reason, l.category,
         l.scope, l.scope3_category, l.factor_code, l.factor_version, l.co2e_mg,
         l.market_co2e_mg, l.usd_2022_micros, l.decision_id, l.review_rule_id,
         l.share_percent, l.covered_by IS NOT NULL
         FROM ledger l JOIN records r ON r.id = l.record_ref
         JOIN connections c ON c.id = l.connection_id
         WHERE ({cond}) AND l.part_no = 0 ORDER BY l.id"
    )
}

/// A candidate line as [`candidates_sql`] reads it.
struct ReadLine<'r> {
    line: LedgerLine<'r>,
    /// The line is split into parts now.
    was_split: bool,
    /// A cloud provider's report covers the entry.
    covered: bool,
}

/// Reads a candidate in place (no copy of each text per entry): a rule's candidates are
/// counted in hundreds of thousands.
fn line_at<'r>(row: &'r rusqlite::Row<'_>) -> rusqlite::Result<ReadLine<'r>> {
    Ok(ReadLine {
        line: LedgerLine {
            entry_id: row.get(0)?,
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
        },
        was_split: row.get(16)?,
        covered: row.get(30)?,
    })
}

/// Column `i` as text, borrowed from the row.
pub(crate) fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Column `i` as text or NULL, borrowed from the row.
pub(crate) fn opt_text<'r>(
    row: &'r rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<&'r str>> {
    row.get_ref(i)?.as_str_or_null().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}
