//! The review: people's decisions on ledger entries, their rules for similar entries, and the
//! queue of entries that still need a person (migration 011). Every change here is written
//! with its audit-trail row in the same transaction.

use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::audit::append_in;
use crate::ledger::{read_entry, ENTRY_COLUMNS, ENTRY_COLUMN_COUNT, ENTRY_TABLES};
use crate::{decimal, AuditRow, LedgerEntry, LedgerFilter, Result, Store, StoreError};

/// What a person makes of an entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// Right as it is: the entry keeps what the mapping (or a rule) made of it, and counts as
    /// reviewed.
    #[default]
    Accept,
    /// Counted with the factor the person chose (`factor_code`, in the spend-based set).
    Reclassify,
    /// Not counted, for the reason given.
    Exclude,
    /// Counted from a quantity (`quantity` of `activity`, in `quantity_unit`) with the
    /// activity's factor, in place of the spend-based estimate.
    Activity,
    /// Split between categories by share (`parts`): one entry per part, each counted with its
    /// own factor on its share of the amount.
    Split,
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Reclassify => "reclassify",
            Self::Exclude => "exclude",
            Self::Activity => "activity",
            Self::Split => "split",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "reclassify" => Self::Reclassify,
            "exclude" => Self::Exclude,
            "activity" => Self::Activity,
            "split" => Self::Split,
            _ => Self::Accept,
        }
    }
}

/// One part of a split line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SplitPart {
    /// Percent of the line, exactly; the parts add up to 100. Decimal text on the wire.
    #[ts(type = "string")]
    pub share_percent: Decimal,
    /// The category shown and reported (the factor's title when not given).
    pub category: Option<String>,
    /// The factor's code in the spend-based factor set.
    pub factor_code: String,
    /// The GHG Protocol Scope 3 category (1-15); 1 when not given.
    pub scope3_category: Option<u8>,
}

/// What a decision or a rule makes of an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Classification {
    pub action: ReviewAction,
    /// The category shown and reported (`Air travel`); required to reclassify.
    pub category: Option<String>,
    /// The factor's code in the spend-based factor set (a 2017 NAICS code for US EPA USEEIO
    /// v1.3); required to reclassify.
    pub factor_code: Option<String>,
    /// The GHG Protocol Scope 3 category (1-15) of a reclassified entry.
    pub scope3_category: Option<u8>,
    /// Why; required to exclude.
    pub reason: Option<String>,
    /// The activity's key (`electricity-uk`, `diesel`, …); required for activity data.
    #[serde(default)]
    pub activity: Option<String>,
    /// How much, in `quantity_unit`. Decimal text on the wire.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub quantity: Option<Decimal>,
    /// `kWh`, `litres`, `passenger-km`, `km`, `room-nights`, `tonne-km` or `kg`.
    #[serde(default)]
    pub quantity_unit: Option<String>,
    /// A supplier-specific or contractual factor for purchased electricity (Scope 2
    /// market-based), kg CO2e per unit of the quantity. Decimal text on the wire.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub market_factor: Option<Decimal>,
    /// Where the market-based factor comes from (the supplier's fuel mix disclosure, a
    /// contract); required with it.
    #[serde(default)]
    pub market_factor_source: Option<String>,
    /// For a quantity estimated from spend (instead of `quantity`): the price per unit of
    /// the quantity, in `unit_price_currency`. Decimal text on the wire.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub unit_price: Option<Decimal>,
    /// ISO 4217 code of `unit_price`; the line must be in the same currency.
    #[serde(default)]
    pub unit_price_currency: Option<String>,
    /// Where the price comes from (e.g. national energy price statistics, with the year);
    /// required with it.
    #[serde(default)]
    pub unit_price_source: Option<String>,
    /// For a split: the parts, in order (at least two).
    #[serde(default)]
    pub parts: Vec<SplitPart>,
}

/// A line as it stood when a person decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LineSnapshot {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// In the record's currency, exactly. Decimal text on the wire.
    #[ts(type = "string")]
    pub net_amount: Decimal,
    pub account_code: Option<String>,
    /// Deleted at the platform.
    pub deleted: bool,
}

/// A person's decision on one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Decision {
    pub id: i64,
    /// The entry it decides (absent when its record no longer has the line).
    pub entry_id: Option<i64>,
    pub connection_id: i64,
    pub stream: String,
    pub record_id: String,
    pub line_no: i64,
    #[serde(flatten)]
    pub classification: Classification,
    pub note: Option<String>,
    /// The line when it was decided.
    pub seen: LineSnapshot,
    /// ms since 1970, UTC.
    #[ts(type = "number")]
    pub decided_at_ms: i64,
    /// The operating-system user.
    pub decided_by: String,
}

/// What a rule matches: every field given must match (none given matches nothing, and is
/// refused when the rule is saved).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RuleMatch {
    /// The platform's catalogue id (`xero`, `quickbooks`).
    pub platform: Option<String>,
    /// The supplier (the record's contact), whole, letters' case aside.
    pub supplier: Option<String>,
    /// The account code, whole, letters' case aside.
    pub account_code: Option<String>,
    /// Text found in the line's description, letters' case aside.
    pub description_contains: Option<String>,
    /// The line's amount in its own currency, inclusive bounds. Decimal text on the wire.
    #[ts(type = "string | null")]
    pub amount_min: Option<Decimal>,
    #[ts(type = "string | null")]
    pub amount_max: Option<Decimal>,
}

impl RuleMatch {
    pub fn is_empty(&self) -> bool {
        self.platform.is_none()
            && self.supplier.is_none()
            && self.account_code.is_none()
            && self.description_contains.is_none()
            && self.amount_min.is_none()
            && self.amount_max.is_none()
    }

    /// Whether a line matches. Letters' case is compared as ASCII, as SQLite compares it, so
    /// the database can narrow the lines before this decides.
    pub fn matches(
        &self,
        platform: &str,
        contact: Option<&str>,
        account_code: Option<&str>,
        description: Option<&str>,
        net_amount: Decimal,
    ) -> bool {
        let same = |want: &Option<String>, have: Option<&str>| match want {
            None => true,
            Some(w) => have.is_some_and(|h| h.trim().eq_ignore_ascii_case(w.trim())),
        };
        let contains = match &self.description_contains {
            None => true,
            Some(text) => description.is_some_and(|d| {
                d.to_ascii_lowercase()
                    .contains(&text.trim().to_ascii_lowercase())
            }),
        };
        !self.is_empty()
            && self.platform.as_deref().is_none_or(|p| p == platform)
            && same(&self.supplier, contact)
            && same(&self.account_code, account_code)
            && contains
            && self.amount_min.is_none_or(|min| net_amount >= min)
            && self.amount_max.is_none_or(|max| net_amount <= max)
    }
}

/// A person's rule for similar entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReviewRule {
    pub id: i64,
    /// Its place in the order rules are tried, from 1.
    pub position: i64,
    pub name: String,
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    pub classification: Classification,
    /// How many entries it decides now.
    #[ts(type = "number")]
    pub entries: i64,
    #[ts(type = "number")]
    pub created_at_ms: i64,
    #[ts(type = "number")]
    pub updated_at_ms: i64,
}

/// A rule as a person writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RuleInput {
    pub name: String,
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    pub classification: Classification,
}

/// Who makes a change and when, for the decision and its audit-trail row.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub os_user: &'a str,
    pub machine: &'a str,
    /// ms since 1970, UTC.
    pub at_ms: i64,
}

/// Why an entry is in the review queue, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum QueueReason {
    /// A person decided it, and the platform has since changed the line.
    ChangedSinceReview,
    /// Counted from a quantity estimated from spend at a stated price (data quality 3): it
    /// stays in the queue until someone gives the measured quantity.
    Estimated,
    /// No rule could classify it.
    Unmapped,
    /// Its supplier appears for the first time in the period (nothing from it before).
    NewSupplier,
    /// Counted by the account mapping, not yet looked at.
    NotReviewed,
}

/// One entry of the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct QueueItem {
    pub entry: LedgerEntry,
    pub why: QueueReason,
    /// For an entry changed since review: the line as it was when decided.
    pub seen: Option<LineSnapshot>,
}

/// Reviewed against the whole, for one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct SpendProgress {
    pub currency: String,
    /// Sum of the lines' absolute amounts, exactly. Decimal text on the wire.
    #[ts(type = "string")]
    pub total: Decimal,
    #[ts(type = "string")]
    pub reviewed: Decimal,
}

/// How far the review of a period has come. Entries that are purchases (counted or unmapped)
/// or that a person or a rule decided are reviewed once a person decided them (and the line
/// has not changed since) or a person's rule decided them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReviewProgress {
    #[ts(type = "number")]
    pub entries: i64,
    #[ts(type = "number")]
    pub reviewed: i64,
    #[ts(type = "number")]
    pub changed_since_review: i64,
    #[ts(type = "number")]
    pub unmapped: i64,
    /// kg CO2e of the counted entries, and of those reviewed. Decimal text on the wire.
    #[ts(type = "string")]
    pub kg_co2e: Decimal,
    #[ts(type = "string")]
    pub kg_co2e_reviewed: Decimal,
    /// By currency: amounts in different currencies are never added together.
    pub spend: Vec<SpendProgress>,
}

/// True when a person's decision counts the entry from a quantity estimated from spend.
const ESTIMATED: &str = "(d.action = 'activity' AND d.unit_price IS NOT NULL)";

/// True when the entry's decision saw another line than the one stored now.
const CHANGED: &str = "(d.id IS NOT NULL AND (d.seen_date <> l.date
    OR CAST(d.seen_net_amount AS REAL) <> CAST(COALESCE(l.line_amount, l.net_amount) AS REAL)
    OR IFNULL(d.seen_account_code, '') <> IFNULL(l.account_code, '')
    OR d.seen_deleted <> r.deleted))";

/// The entries a review covers: purchases, and whatever a person or a rule decided.
const IN_REVIEW: &str = "((l.covered_by IS NULL AND l.status IN ('counted', 'unmapped'))
    OR l.decision_id IS NOT NULL OR l.review_rule_id IS NOT NULL)";

const DECISION_COLUMNS: &str = "d.id, l2.id, rr.connection_id, rr.stream, rr.record_id,
    d.line_no, d.action, d.category, d.factor_code, d.scope3_category, d.reason, d.note,
    d.seen_date, d.seen_net_amount, d.seen_account_code, d.seen_deleted, d.decided_at_ms,
    d.decided_by, d.activity, d.quantity, d.quantity_unit, d.market_factor,
    d.market_factor_source, d.unit_price, d.unit_price_currency, d.unit_price_source, d.parts";

const DECISION_TABLES: &str = "review_decisions d JOIN records rr ON rr.id = d.record_ref
    LEFT JOIN ledger l2 ON l2.record_ref = d.record_ref AND l2.line_no = d.line_no
      AND l2.part_no = 0";

fn read_decision(r: &rusqlite::Row<'_>) -> rusqlite::Result<Decision> {
    Ok(Decision {
        id: r.get(0)?,
        entry_id: r.get(1)?,
        connection_id: r.get(2)?,
        stream: r.get(3)?,
        record_id: r.get(4)?,
        line_no: r.get(5)?,
        classification: Classification {
            action: ReviewAction::parse(&r.get::<_, String>(6)?),
            category: r.get(7)?,
            factor_code: r.get(8)?,
            scope3_category: r.get(9)?,
            reason: r.get(10)?,
            activity: r.get(18)?,
            quantity: decimal::read_opt(r, 19)?,
            quantity_unit: r.get(20)?,
            market_factor: decimal::read_opt(r, 21)?,
            market_factor_source: r.get(22)?,
            unit_price: decimal::read_opt(r, 23)?,
            unit_price_currency: r.get(24)?,
            unit_price_source: r.get(25)?,
            parts: match r.get::<_, Option<String>>(26)? {
                Some(json) => serde_json::from_str(&json).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        26,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                None => Vec::new(),
            },
        },
        note: r.get(11)?,
        seen: LineSnapshot {
            date: r.get(12)?,
            net_amount: decimal::read(r, 13)?,
            account_code: r.get(14)?,
            deleted: r.get(15)?,
        },
        decided_at_ms: r.get(16)?,
        decided_by: r.get(17)?,
    })
}

const RULE_COLUMNS: &str = "id, position, name, platform, supplier, account_code,
    description_contains, amount_min, amount_max, action, category, factor_code,
    scope3_category, reason, created_at_ms, updated_at_ms,
    (SELECT COUNT(*) FROM ledger l WHERE l.review_rule_id = review_rules.id
       AND l.decision_id IS NULL)";

fn read_rule(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReviewRule> {
    Ok(ReviewRule {
        id: r.get(0)?,
        position: r.get(1)?,
        name: r.get(2)?,
        matches: RuleMatch {
            platform: r.get(3)?,
            supplier: r.get(4)?,
            account_code: r.get(5)?,
            description_contains: r.get(6)?,
            amount_min: decimal::read_opt(r, 7)?,
            amount_max: decimal::read_opt(r, 8)?,
        },
        classification: Classification {
            action: ReviewAction::parse(&r.get::<_, String>(9)?),
            category: r.get(10)?,
            factor_code: r.get(11)?,
            scope3_category: r.get(12)?,
            reason: r.get(13)?,
            ..Default::default()
        },
        created_at_ms: r.get(14)?,
        updated_at_ms: r.get(15)?,
        entries: r.get(16)?,
    })
}

pub(crate) fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("serialisable")
}

/// Appends one change to the trail inside `tx`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit(
    tx: &rusqlite::Connection,
    who: &Actor<'_>,
    action: &str,
    subject: &str,
    before: Option<String>,
    after: Option<String>,
    why: Option<&str>,
) -> Result<AuditRow> {
    append_in(
        tx,
        &crate::AuditEntry {
            at_ms: who.at_ms,
            os_user: who.os_user,
            machine: who.machine,
            action,
            subject,
            before: before.as_deref(),
            after: after.as_deref(),
            reason: why,
        },
    )
}

/// The SQL condition (on `ledger l`, `records r`, `connections c`) that narrows the entries a
/// change to rules with these matches could change, and its parameters: the entries no person
/// decided that one of them may match, and those a rule decided. A superset: the rules decide.
pub(crate) fn rule_candidates(matches: &[RuleMatch]) -> (String, Vec<Value>) {
    let mut params: Vec<Value> = Vec::new();
    let mut any = vec!["l.review_rule_id IS NOT NULL".to_owned()];
    for m in matches {
        let mut all = vec!["1 = 1".to_owned()];
        let mut push = |clause: &str, v: String| {
            params.push(Value::Text(v));
            all.push(clause.replace('?', &format!("?{}", params.len())));
        };
        if let Some(p) = &m.platform {
            push("c.provider = ?", p.clone());
        }
        if let Some(s) = &m.supplier {
            push("TRIM(l.contact) = ? COLLATE NOCASE", s.trim().to_owned());
        }
        if let Some(a) = &m.account_code {
            push(
                "TRIM(l.account_code) = ? COLLATE NOCASE",
                a.trim().to_owned(),
            );
        }
        if let Some(d) = &m.description_contains {
            push(
                "instr(lower(l.description), lower(?)) > 0",
                d.trim().to_owned(),
            );
        }
        // Amounts are exact decimal text; SQLite can compare them only as binary floating
        // point. That narrows the lines, no more: the bound is widened past any rounding of
        // the conversion, and the rule itself then compares the exact amounts.
        let amount = "CAST(COALESCE(l.line_amount, l.net_amount) AS REAL)";
        for (bound, op, outward) in [(m.amount_min, ">=", -1.0), (m.amount_max, "<=", 1.0)] {
            if let Some(b) = bound.and_then(|b| f64::try_from(b).ok()) {
                params.push(Value::Real(b + outward * (b.abs() * 1e-9 + 1e-6)));
                all.push(format!("{amount} {op} ?{}", params.len()));
            }
        }
        any.push(format!("({})", all.join(" AND ")));
    }
    (
        format!("l.decision_id IS NULL AND ({})", any.join(" OR ")),
        params,
    )
}

impl Store {
    /// Changes whenever a decision or a rule changes (the last such row of the audit trail):
    /// a sync compares it before and after to know whether the review moved under it.
    pub fn review_stamp(&self) -> Result<i64> {
        Ok(self.db().query_row(
            "SELECT COALESCE(MAX(id), 0) FROM audit_log
             WHERE action LIKE 'entry!_%' ESCAPE '!' OR action LIKE 'review!_rule!_%' ESCAPE '!'",
            [],
            |r| r.get(0),
        )?)
    }

    /// One entry, by id.
    pub fn entry(&self, id: i64) -> Result<LedgerEntry> {
        self.db()
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM {ENTRY_TABLES} WHERE l.id = ?1"),
                [id],
                |r| read_entry(r, 0),
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "ledger entry",
                id,
            })
    }

    /// The entries of entry `id`'s line, by part: the entry alone unless the line is split.
    /// Decisions, their audit rows and restatements belong to the line, named by its first
    /// part. Errors: `NotFound` for an unknown entry.
    pub fn line_entries(&self, id: i64) -> Result<Vec<i64>> {
        let mut stmt = self.db().prepare_cached(
            "SELECT l.id FROM ledger l
             WHERE (l.record_ref, l.line_no) = (SELECT record_ref, line_no FROM ledger WHERE id = ?1)
             ORDER BY l.part_no",
        )?;
        let ids = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        if ids.is_empty() {
            return Err(StoreError::NotFound {
                what: "ledger entry",
                id,
            });
        }
        Ok(ids)
    }

    /// Whether a person decided entry `id` and the platform has changed the line since.
    pub fn changed_since_review(&self, id: i64) -> Result<bool> {
        Ok(self.db().query_row(
            &format!(
                "SELECT {CHANGED} FROM ledger l JOIN records r ON r.id = l.record_ref
                 LEFT JOIN review_decisions d ON d.id = l.decision_id WHERE l.id = ?1"
            ),
            [id],
            |r| r.get(0),
        )?)
    }

    /// The decision on entry `id`, if a person made one.
    pub fn decision(&self, entry_id: i64) -> Result<Option<Decision>> {
        Ok(self
            .db()
            .query_row(
                &format!(
                    "SELECT {DECISION_COLUMNS} FROM {DECISION_TABLES}
                     JOIN ledger l ON l.record_ref = d.record_ref AND l.line_no = d.line_no
                     WHERE l.id = ?1"
                ),
                [entry_id],
                read_decision,
            )
            .optional()?)
    }

    /// Every decision, of one connection or all, oldest first.
    pub fn decisions(&self, connection_id: Option<i64>) -> Result<Vec<Decision>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {DECISION_COLUMNS} FROM {DECISION_TABLES}
             WHERE ?1 IS NULL OR rr.connection_id = ?1 ORDER BY d.id"
        ))?;
        let rows = stmt.query_map([connection_id], read_decision)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a person's decision on entry `id` (replacing the one before, if any) with the
    /// line as it stands now, and its audit-trail row (`entry_accepted`, `entry_reclassified`,
    /// `entry_excluded`, or `entry_confirmed` when it repeats the decision before; subject
    /// `entry:<id>`),
    /// in one transaction. The entry itself is decided again by the caller, which has the
    /// factors. Returns the decision before and the one now.
    pub fn put_decision(
        &self,
        entry_id: i64,
        classification: &Classification,
        note: Option<&str>,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<(Option<Decision>, Decision)> {
        let tx = self.db().unchecked_transaction()?;
        let before = self.decision(entry_id)?;
        let n = tx.execute(
            "INSERT INTO review_decisions (record_ref, line_no, action, category, factor_code,
               scope3_category, reason, note, seen_date, seen_net_amount, seen_account_code,
               seen_deleted, decided_at_ms, decided_by, activity, quantity, quantity_unit,
               market_factor, market_factor_source, unit_price, unit_price_currency,
               unit_price_source, parts)
             SELECT l.record_ref, l.line_no, ?2, ?3, ?4, ?5, ?6, ?7, l.date,
               COALESCE(l.line_amount, l.net_amount), l.account_code, r.deleted, ?8, ?9, ?10,
               ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18
             FROM ledger l JOIN records r ON r.id = l.record_ref WHERE l.id = ?1
             ON CONFLICT (record_ref, line_no) DO UPDATE SET action = excluded.action,
               category = excluded.category, factor_code = excluded.factor_code,
               scope3_category = excluded.scope3_category, reason = excluded.reason,
               activity = excluded.activity, quantity = excluded.quantity,
               quantity_unit = excluded.quantity_unit, market_factor = excluded.market_factor,
               market_factor_source = excluded.market_factor_source,
               unit_price = excluded.unit_price, unit_price_currency = excluded.unit_price_currency,
               unit_price_source = excluded.unit_price_source, parts = excluded.parts,
               note = excluded.note, seen_date = excluded.seen_date,
               seen_net_amount = excluded.seen_net_amount,
               seen_account_code = excluded.seen_account_code,
               seen_deleted = excluded.seen_deleted, decided_at_ms = excluded.decided_at_ms,
               decided_by = excluded.decided_by",
            params![
                entry_id,
                classification.action.as_str(),
                classification.category,
                classification.factor_code,
                classification.scope3_category,
                classification.reason,
                note,
                who.at_ms,
                who.os_user,
                classification.activity,
                decimal::opt_text(&classification.quantity),
                classification.quantity_unit,
                decimal::opt_text(&classification.market_factor),
                classification.market_factor_source,
                decimal::opt_text(&classification.unit_price),
                classification.unit_price_currency,
                classification.unit_price_source,
                (!classification.parts.is_empty()).then(|| json(&classification.parts))
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "ledger entry",
                id: entry_id,
            });
        }
        let after = self.decision(entry_id)?.ok_or(StoreError::NotFound {
            what: "ledger entry",
            id: entry_id,
        })?;
        let confirmed = before
            .as_ref()
            .is_some_and(|b| b.classification == *classification);
        let action = match classification.action {
            _ if confirmed => "entry_confirmed",
            ReviewAction::Accept => "entry_accepted",
            ReviewAction::Reclassify => "entry_reclassified",
            ReviewAction::Exclude => "entry_excluded",
            ReviewAction::Activity => "entry_activity_data",
            ReviewAction::Split => "entry_split",
        };
        audit(
            &tx,
            who,
            action,
            &format!("entry:{entry_id}"),
            before.as_ref().map(json),
            Some(json(&after)),
            why,
        )?;
        tx.commit()?;
        Ok((before, after))
    }

    /// Removes the person's decision on entry `id` (the entry goes back to what the rules and
    /// the mapping make of it), with its audit-trail row (`entry_decision_removed`). Returns
    /// the decision removed, `None` when there was none (and nothing is written).
    pub fn remove_decision(
        &self,
        entry_id: i64,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<Option<Decision>> {
        let tx = self.db().unchecked_transaction()?;
        let Some(before) = self.decision(entry_id)? else {
            return Ok(None);
        };
        tx.execute("DELETE FROM review_decisions WHERE id = ?1", [before.id])?;
        audit(
            &tx,
            who,
            "entry_decision_removed",
            &format!("entry:{entry_id}"),
            Some(json(&before)),
            None,
            why,
        )?;
        tx.commit()?;
        Ok(Some(before))
    }

    /// The rules, in the order they are tried.
    pub fn review_rules(&self) -> Result<Vec<ReviewRule>> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {RULE_COLUMNS} FROM review_rules ORDER BY position, id"
        ))?;
        let rows = stmt.query_map([], read_rule)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One rule.
    pub fn review_rule(&self, id: i64) -> Result<ReviewRule> {
        self.db()
            .query_row(
                &format!("SELECT {RULE_COLUMNS} FROM review_rules WHERE id = ?1"),
                [id],
                read_rule,
            )
            .optional()?
            .ok_or(StoreError::NotFound { what: "rule", id })
    }

    /// Adds a rule, tried after every rule there is, with its audit-trail row
    /// (`review_rule_added`, subject `review_rule:<id>`).
    pub fn add_review_rule(
        &self,
        rule: &RuleInput,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<ReviewRule> {
        let tx = self.db().unchecked_transaction()?;
        let position: i64 = tx.query_row(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM review_rules",
            [],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO review_rules (position, name, platform, supplier, account_code,
               description_contains, amount_min, amount_max, action, category, factor_code,
               scope3_category, reason, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
            params![
                position,
                rule.name,
                rule.matches.platform,
                rule.matches.supplier,
                rule.matches.account_code,
                rule.matches.description_contains,
                decimal::opt_text(&rule.matches.amount_min),
                decimal::opt_text(&rule.matches.amount_max),
                rule.classification.action.as_str(),
                rule.classification.category,
                rule.classification.factor_code,
                rule.classification.scope3_category,
                rule.classification.reason,
                who.at_ms
            ],
        )?;
        let id = tx.last_insert_rowid();
        let after = self.review_rule(id)?;
        audit(
            &tx,
            who,
            "review_rule_added",
            &format!("review_rule:{id}"),
            None,
            Some(json(&RuleInput::from(&after))),
            why,
        )?;
        crate::reassess::owe_rule_work(&tx)?;
        tx.commit()?;
        Ok(after)
    }

    /// Replaces what rule `id` matches and does, with its audit-trail row
    /// (`review_rule_edited`). Returns the rule before and after.
    pub fn update_review_rule(
        &self,
        id: i64,
        rule: &RuleInput,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<(ReviewRule, ReviewRule)> {
        let tx = self.db().unchecked_transaction()?;
        let before = self.review_rule(id)?;
        tx.execute(
            "UPDATE review_rules SET name = ?2, platform = ?3, supplier = ?4, account_code = ?5,
               description_contains = ?6, amount_min = ?7, amount_max = ?8, action = ?9,
               category = ?10, factor_code = ?11, scope3_category = ?12, reason = ?13,
               updated_at_ms = ?14
             WHERE id = ?1",
            params![
                id,
                rule.name,
                rule.matches.platform,
                rule.matches.supplier,
                rule.matches.account_code,
                rule.matches.description_contains,
                decimal::opt_text(&rule.matches.amount_min),
                decimal::opt_text(&rule.matches.amount_max),
                rule.classification.action.as_str(),
                rule.classification.category,
                rule.classification.factor_code,
                rule.classification.scope3_category,
                rule.classification.reason,
                who.at_ms
            ],
        )?;
        let after = self.review_rule(id)?;
        audit(
            &tx,
            who,
            "review_rule_edited",
            &format!("review_rule:{id}"),
            Some(json(&RuleInput::from(&before))),
            Some(json(&RuleInput::from(&after))),
            why,
        )?;
        crate::reassess::owe_rule_work(&tx)?;
        tx.commit()?;
        Ok((before, after))
    }

    /// Moves rule `id` to `position` (from 1; past the end means last), renumbering the others,
    /// with its audit-trail row (`review_rule_moved`).
    pub fn move_review_rule(
        &self,
        id: i64,
        position: i64,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<Vec<ReviewRule>> {
        let tx = self.db().unchecked_transaction()?;
        let before = self.review_rule(id)?;
        let mut order: Vec<i64> = self.review_rules()?.iter().map(|r| r.id).collect();
        order.retain(|r| *r != id);
        let at = (position.max(1) as usize - 1).min(order.len());
        order.insert(at, id);
        for (i, rule) in order.iter().enumerate() {
            tx.execute(
                "UPDATE review_rules SET position = ?2 WHERE id = ?1",
                params![rule, i as i64 + 1],
            )?;
        }
        audit(
            &tx,
            who,
            "review_rule_moved",
            &format!("review_rule:{id}"),
            Some(format!("{{\"position\":{}}}", before.position)),
            Some(format!("{{\"position\":{}}}", at + 1)),
            why,
        )?;
        crate::reassess::owe_rule_work(&tx)?;
        tx.commit()?;
        self.review_rules()
    }

    /// Removes rule `id`, with its audit-trail row (`review_rule_removed`). The entries it
    /// decided are decided again by the caller.
    pub fn remove_review_rule(
        &self,
        id: i64,
        who: &Actor<'_>,
        why: Option<&str>,
    ) -> Result<ReviewRule> {
        let tx = self.db().unchecked_transaction()?;
        let before = self.review_rule(id)?;
        tx.execute("DELETE FROM review_rules WHERE id = ?1", [id])?;
        audit(
            &tx,
            who,
            "review_rule_removed",
            &format!("review_rule:{id}"),
            Some(json(&RuleInput::from(&before))),
            None,
            why,
        )?;
        crate::reassess::owe_rule_work(&tx)?;
        tx.commit()?;
        Ok(before)
    }

    /// The entries of `filter` that still need a person, most pressing first: changed since
    /// review, estimated from spend, unmapped, from a supplier new in the period (when
    /// `filter.from` is given), then the rest; within each, by kg CO2e and then by amount,
    /// largest first. Unmapped entries, which have no kg CO2e, go by their amount in 2022 US
    /// dollars, then (those whose currency has no rate) by their own amount.
    ///
    /// Each section is read on its own, walking an index in the queue's order (migration 016)
    /// and stopping at the page's end, so the first page costs about as much as a page of the
    /// ledger however large the period; a later page counts the sections it skips.
    pub fn review_queue(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<QueueItem>> {
        let (cond, base) = filter.to_sql();
        let n = base.len();
        // Not decided by a person or a rule, and a purchase no provider's report covers.
        let open = "l.decision_id IS NULL AND l.review_rule_id IS NULL AND l.covered_by IS NULL";
        let new_supplier = |new: bool| match &filter.from {
            Some(_) => format!(
                "{} EXISTS (SELECT 1 FROM supplier_first_seen s
                   WHERE s.connection_id = l.connection_id AND s.contact = l.contact
                   AND s.first_date >= ?{})",
                if new { "" } else { "NOT" },
                n + 1
            ),
            None if new => "0".to_owned(),
            None => "1".to_owned(),
        };
        let by_kg = "COALESCE(l.co2e_mg, 0) DESC, ABS(CAST(l.net_amount AS REAL)) DESC, l.id";
        let sections: [(QueueReason, &str, String, &str); 5] = [
            (
                QueueReason::ChangedSinceReview,
                "ledger_by_decision",
                format!("l.decision_id IS NOT NULL AND {CHANGED}"),
                by_kg,
            ),
            (
                QueueReason::Estimated,
                "ledger_by_decision",
                format!("l.decision_id IS NOT NULL AND {ESTIMATED} AND NOT {CHANGED}"),
                by_kg,
            ),
            (
                QueueReason::Unmapped,
                "ledger_unmapped_by_amount",
                format!("l.status = 'unmapped' AND {open}"),
                "l.usd_2022_micros IS NULL, ABS(l.usd_2022_micros) DESC,
                 ABS(CAST(l.net_amount AS REAL)) DESC, l.id",
            ),
            (
                QueueReason::NewSupplier,
                "ledger_counted_by_kg",
                format!("l.status = 'counted' AND {open} AND {}", new_supplier(true)),
                "l.co2e_mg DESC, ABS(CAST(l.net_amount AS REAL)) DESC, l.id",
            ),
            (
                QueueReason::NotReviewed,
                "ledger_counted_by_kg",
                format!(
                    "l.status = 'counted' AND {open} AND {}",
                    new_supplier(false)
                ),
                "l.co2e_mg DESC, ABS(CAST(l.net_amount AS REAL)) DESC, l.id",
            ),
        ];
        let (mut skip, mut want) = (offset.max(0), limit.max(0));
        let mut out = Vec::new();
        for (why, index, section, order) in sections {
            if want == 0 {
                break;
            }
            if why == QueueReason::NewSupplier && filter.from.is_none() {
                continue;
            }
            // The ledger first, through the section's index, so the walk is in page order.
            let from = format!(
                "ledger l INDEXED BY {index}
                 CROSS JOIN records r ON r.id = l.record_ref
                 CROSS JOIN connections c ON c.id = l.connection_id
                 LEFT JOIN review_decisions d ON d.id = l.decision_id
                 LEFT JOIN factor_refs f ON f.id = l.factor_ref
                 LEFT JOIN conversion_refs v ON v.id = l.conversion_ref"
            );
            let filter_sql = format!("{cond} AND {section}");
            // The period's first day, for the sections that ask whether a supplier is new.
            let mut params = base.clone();
            if filter_sql.contains(&format!("?{}", n + 1)) {
                if let Some(from) = &filter.from {
                    params.push(Value::Text(from.clone()));
                }
            }
            if skip > 0 {
                let count: i64 = self.db().query_row(
                    &format!("SELECT COUNT(*) FROM {from} WHERE {filter_sql}"),
                    rusqlite::params_from_iter(params.iter()),
                    |r| r.get(0),
                )?;
                if skip >= count {
                    skip -= count;
                    continue;
                }
            }
            let mut page_params = params.clone();
            page_params.push(Value::Integer(want));
            page_params.push(Value::Integer(skip));
            let k = page_params.len();
            let sql = format!(
                "SELECT {ENTRY_COLUMNS}, d.seen_date, d.seen_net_amount, d.seen_account_code,
                   d.seen_deleted
                 FROM {from} WHERE {filter_sql} ORDER BY {order} LIMIT ?{} OFFSET ?{k}",
                k - 1
            );
            let mut stmt = self.db().prepare_cached(&sql)?;
            let at = ENTRY_COLUMN_COUNT;
            let rows = stmt.query_map(rusqlite::params_from_iter(page_params), |r| {
                let seen = match why {
                    QueueReason::ChangedSinceReview => Some(LineSnapshot {
                        date: r.get(at)?,
                        net_amount: decimal::read(r, at + 1)?,
                        account_code: r.get(at + 2)?,
                        deleted: r.get(at + 3)?,
                    }),
                    _ => None,
                };
                Ok(QueueItem {
                    entry: read_entry(r, 0)?,
                    why,
                    seen,
                })
            })?;
            let page = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            skip = 0;
            want -= page.len() as i64;
            out.extend(page);
        }
        Ok(out)
    }

    /// How far the review of the entries of `filter` has come.
    pub fn review_progress(&self, filter: &LedgerFilter) -> Result<ReviewProgress> {
        let (cond, params) = filter.to_sql();
        // Grouped in SQL, exactly: each amount's digits as an integer (its decimal point
        // removed) summed per currency and number of decimal places, so no row's text crosses
        // into Rust and nothing is rounded. Whether a decided entry changed since is asked
        // only of decided entries.
        let changed = format!(
            "CASE WHEN l.decision_id IS NULL THEN 0 ELSE (SELECT {CHANGED}
               FROM review_decisions d JOIN records r ON r.id = l.record_ref
               WHERE d.id = l.decision_id) END"
        );
        let sql = format!(
            "SELECT currency, places, reviewed, COUNT(*), SUM(digits), SUM(changed),
               SUM(unmapped), COALESCE(SUM(mg), 0)
             FROM (SELECT l.currency AS currency,
                     CASE WHEN instr(l.net_amount, '.') > 0
                          THEN length(l.net_amount) - instr(l.net_amount, '.') ELSE 0 END AS places,
                     ABS(CAST(replace(l.net_amount, '.', '') AS INTEGER)) AS digits,
                     ch AS changed,
                     CASE WHEN l.decision_id IS NOT NULL THEN NOT ch
                          ELSE l.review_rule_id IS NOT NULL END AS reviewed,
                     l.status = 'unmapped' AS unmapped,
                     CASE WHEN l.status = 'counted' AND l.covered_by IS NULL
                          THEN l.co2e_mg END AS mg
                   FROM (SELECT l.*, {changed} AS ch FROM ledger l
                         WHERE {cond} AND {IN_REVIEW}) l)
             GROUP BY 1, 2, 3"
        );
        let mut stmt = self.db().prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut p = ReviewProgress {
            entries: 0,
            reviewed: 0,
            changed_since_review: 0,
            unmapped: 0,
            kg_co2e: Decimal::ZERO,
            kg_co2e_reviewed: Decimal::ZERO,
            spend: Vec::new(),
        };
        let (mut mg, mut mg_reviewed) = (0i64, 0i64);
        let mut spend: std::collections::BTreeMap<String, (Decimal, Decimal)> = Default::default();
        while let Some(r) = rows.next()? {
            let currency: String = r.get(0)?;
            let places: u32 = r.get(1)?;
            let is_reviewed: bool = r.get(2)?;
            let entries: i64 = r.get(3)?;
            let digits: i64 = r.get(4)?;
            let amount = Decimal::try_from_i128_with_scale(i128::from(digits), places)
                .map_err(|e| StoreError::Invalid(format!("an amount out of range: {e}")))?;
            let group_mg: i64 = r.get(7)?;
            p.entries += entries;
            p.changed_since_review += r.get::<_, i64>(5)?;
            p.unmapped += r.get::<_, i64>(6)?;
            mg += group_mg;
            let s = spend.entry(currency).or_default();
            s.0 += amount;
            if is_reviewed {
                p.reviewed += entries;
                mg_reviewed += group_mg;
                s.1 += amount;
            }
        }
        p.kg_co2e = decimal::from_millionths(mg);
        p.kg_co2e_reviewed = decimal::from_millionths(mg_reviewed);
        p.spend = spend
            .into_iter()
            .map(|(currency, (total, reviewed))| SpendProgress {
                currency,
                total: total.normalize(),
                reviewed: reviewed.normalize(),
            })
            .collect();
        Ok(p)
    }
}

impl From<&ReviewRule> for RuleInput {
    fn from(r: &ReviewRule) -> RuleInput {
        RuleInput {
            name: r.name.clone(),
            matches: r.matches.clone(),
            classification: r.classification.clone(),
        }
    }
}
