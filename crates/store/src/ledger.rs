use crate::{decimal, Result, Store};
use rusqlite::types::Value;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// Turned into emissions with a factor.
    Counted,
    /// Not a purchase (transfer, tax, payroll, income, deleted …); the reason says which.
    Excluded,
    /// A purchase that no rule could classify; the reason says what to do.
    Unmapped,
}

impl LedgerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counted => "counted",
            Self::Excluded => "excluded",
            Self::Unmapped => "unmapped",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "counted" => Self::Counted,
            "excluded" => Self::Excluded,
            _ => Self::Unmapped,
        }
    }
}

/// The assessment of one line: what it became and everything needed to retrace it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LedgerRow {
    pub status: LedgerStatus,
    pub reason: Option<String>,
    pub rule_id: Option<String>,
    pub category: Option<String>,
    pub scope: Option<u8>,
    pub scope3_category: Option<u8>,
    pub factor_set: Option<String>,
    pub factor_version: Option<String>,
    pub factor_code: Option<String>,
    pub factor_title: Option<String>,
    /// kg CO2e per 2022 USD, exactly as in the factor set. Decimal text on the wire.
    #[ts(type = "string | null")]
    pub factor_value: Option<Decimal>,
    pub factor_unit: Option<String>,
    /// USD per unit of the entry's currency, exactly as in the rate table.
    #[ts(type = "string | null")]
    pub fx_rate: Option<Decimal>,
    pub fx_source: Option<String>,
    /// index(2022) / index(year), to 12 places.
    #[ts(type = "string | null")]
    pub deflator: Option<Decimal>,
    pub deflator_source: Option<String>,
    /// 2022 USD, six decimal places.
    #[ts(type = "string | null")]
    pub amount_usd_2022: Option<Decimal>,
    /// kg CO2e, six decimal places (milligrams).
    #[ts(type = "string | null")]
    pub kg_co2e: Option<Decimal>,
    /// The person's decision on this entry that decided it (see `Decision`), if one did: it
    /// outranks every rule.
    #[serde(default)]
    pub decision_id: Option<i64>,
    /// The person's rule for similar entries that decided it (see `ReviewRule`), if one did;
    /// `None` with no decision means the account mapping (`rule_id`) decided.
    #[serde(default)]
    pub review_rule_id: Option<i64>,
    /// kg CO2e market-based (GHG Protocol Scope 2 Guidance), six decimal places, where a
    /// person gave a supplier-specific or contractual factor; `None` elsewhere, where
    /// `kg_co2e` (location-based) stands for both.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub market_kg_co2e: Option<Decimal>,
    /// Which part of its line the entry is: 0 for a line that is not split (and for a split
    /// line's first part), 1, 2, … for the other parts of a line a person split.
    #[serde(default)]
    pub part_no: i64,
    /// A split line's part: its share of the line, percent, exactly (the parts' shares add up
    /// to 100). Decimal text on the wire.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub share_percent: Option<Decimal>,
    /// A split line's part: its amount, the line's × share ÷ 100, exactly. Decimal text on
    /// the wire.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub part_amount: Option<Decimal>,
    /// The other parts of a split line, written with this one (part 0); always empty when read
    /// (each part is an entry of its own).
    #[serde(skip)]
    #[ts(skip)]
    pub more_parts: Vec<LedgerRow>,
}

/// A ledger entry as the user reviews it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LedgerEntry {
    /// The entry's id: the same across re-syncs of its record, so decisions and the audit
    /// trail (`entry:<id>`) can name it.
    pub id: i64,
    pub connection_id: i64,
    pub source: String,
    pub stream: String,
    pub record_id: String,
    pub line_no: i64,
    pub date: String,
    pub contact: Option<String>,
    pub description: Option<String>,
    pub account_code: Option<String>,
    pub account_name: Option<String>,
    /// The line before tax, in `currency`, exactly as the platform sent it; negative for
    /// refunds and credits. Decimal text on the wire.
    #[ts(type = "string")]
    pub net_amount: Decimal,
    pub currency: String,
    /// For a part of a split line: the whole line's amount (`net_amount` is the part's).
    #[serde(default)]
    #[ts(type = "string | null")]
    pub line_net_amount: Option<Decimal>,
    #[serde(flatten)]
    pub assessment: LedgerRow,
}

/// An entry's status as reviewed: its own, or `excluded` while a cloud connection's reported
/// month covers it (the entry keeps its own assessment underneath, and counts again when the
/// cover goes).
pub(crate) const EFFECTIVE_STATUS: &str =
    "(CASE WHEN l.covered_by IS NOT NULL THEN 'excluded' ELSE l.status END)";

/// Which entries to read; every field narrows the selection.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LedgerFilter {
    pub connection_id: Option<i64>,
    /// Inclusive `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Inclusive `YYYY-MM-DD`.
    pub to: Option<String>,
    pub status: Option<LedgerStatus>,
    pub scope: Option<u8>,
    pub category: Option<String>,
    pub record_id: Option<String>,
}

impl LedgerFilter {
    /// The SQL condition (on table alias `l`) and its parameters.
    pub(crate) fn to_sql(&self) -> (String, Vec<Value>) {
        let mut clauses = vec!["1 = 1".to_string()];
        let mut params: Vec<Value> = Vec::new();
        let mut push = |clause: &str, v: Value| {
            params.push(v);
            clauses.push(clause.replace('?', &format!("?{}", params.len())));
        };
        if let Some(id) = self.connection_id {
            push("l.connection_id = ?", Value::Integer(id));
        }
        if let Some(from) = &self.from {
            push("l.date >= ?", Value::Text(from.clone()));
        }
        if let Some(to) = &self.to {
            push("l.date <= ?", Value::Text(to.clone()));
        }
        if let Some(status) = self.status {
            push(
                &format!("{EFFECTIVE_STATUS} = ?"),
                Value::Text(status.as_str().into()),
            );
        }
        if let Some(scope) = self.scope {
            push("l.scope = ?", Value::Integer(scope.into()));
        }
        if let Some(category) = &self.category {
            push("l.category = ?", Value::Text(category.clone()));
        }
        if let Some(record) = &self.record_id {
            push(
                "l.record_ref IN (SELECT id FROM records WHERE record_id = ?)",
                Value::Text(record.clone()),
            );
        }
        (clauses.join(" AND "), params)
    }
}

/// The columns [`read_entry`] reads, on [`ENTRY_TABLES`].
pub(crate) const ENTRY_COLUMNS: &str = "l.id, l.connection_id, c.tenant_name, r.stream,
    r.record_id, l.line_no, l.date, l.contact, l.description, l.account_code, l.account_name,
    l.net_amount, l.currency,
    (CASE WHEN l.covered_by IS NOT NULL THEN 'excluded' ELSE l.status END),
    COALESCE(l.covered_reason, l.reason), l.rule_id, l.category, l.scope, l.scope3_category,
    f.factor_set, l.factor_version, l.factor_code, f.factor_title, l.factor_value, f.factor_unit,
    l.fx_rate, v.fx_source, l.deflator, v.deflator_source, l.usd_2022_micros,
    CASE WHEN l.covered_by IS NULL THEN l.co2e_mg END, l.decision_id, l.review_rule_id,
    CASE WHEN l.covered_by IS NULL THEN l.market_co2e_mg END, l.part_no, l.share_percent,
    l.line_amount";

/// How many columns [`ENTRY_COLUMNS`] has.
pub(crate) const ENTRY_COLUMN_COUNT: usize = 37;

/// The ledger (`l`) with its connection (`c`), record (`r`), factor (`f`) and conversion (`v`).
pub(crate) const ENTRY_TABLES: &str = "ledger l JOIN connections c ON c.id = l.connection_id
    JOIN records r ON r.id = l.record_ref
    LEFT JOIN factor_refs f ON f.id = l.factor_ref
    LEFT JOIN conversion_refs v ON v.id = l.conversion_ref";

/// An entry from [`ENTRY_COLUMNS`], starting at column `at`.
pub(crate) fn read_entry(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<LedgerEntry> {
    let c = |i: usize| at + i;
    Ok(LedgerEntry {
        id: r.get(c(0))?,
        connection_id: r.get(c(1))?,
        source: r.get(c(2))?,
        stream: r.get(c(3))?,
        record_id: r.get(c(4))?,
        line_no: r.get(c(5))?,
        date: r.get(c(6))?,
        contact: r.get(c(7))?,
        description: r.get(c(8))?,
        account_code: r.get(c(9))?,
        account_name: r.get(c(10))?,
        net_amount: decimal::read(r, c(11))?,
        currency: r.get(c(12))?,
        line_net_amount: decimal::read_opt(r, c(36))?,
        assessment: LedgerRow {
            status: LedgerStatus::parse(&r.get::<_, String>(c(13))?),
            reason: r.get(c(14))?,
            rule_id: r.get(c(15))?,
            category: r.get(c(16))?,
            scope: r.get(c(17))?,
            scope3_category: r.get(c(18))?,
            factor_set: r.get(c(19))?,
            factor_version: r.get(c(20))?,
            factor_code: r.get(c(21))?,
            factor_title: r.get(c(22))?,
            factor_value: decimal::read_opt(r, c(23))?,
            factor_unit: r.get(c(24))?,
            fx_rate: decimal::read_opt(r, c(25))?,
            fx_source: r.get(c(26))?,
            deflator: decimal::read_opt(r, c(27))?,
            deflator_source: r.get(c(28))?,
            amount_usd_2022: decimal::read_opt_millionths(r, c(29))?,
            kg_co2e: decimal::read_opt_millionths(r, c(30))?,
            decision_id: r.get(c(31))?,
            review_rule_id: r.get(c(32))?,
            market_kg_co2e: decimal::read_opt_millionths(r, c(33))?,
            part_no: r.get(c(34))?,
            share_percent: decimal::read_opt(r, c(35))?,
            part_amount: match r.get::<_, Option<String>>(c(35))? {
                Some(_) => Some(decimal::read(r, c(11))?),
                None => None,
            },
            more_parts: Vec::new(),
        },
    })
}

impl Store {
    /// Ledger entries matching `filter`, newest first.
    pub fn ledger(
        &self,
        filter: &LedgerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>> {
        let (cond, mut params) = filter.to_sql();
        params.push(Value::Integer(limit));
        params.push(Value::Integer(offset));
        let n = params.len();
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM {ENTRY_TABLES}
             WHERE {cond} ORDER BY l.date DESC, l.id DESC LIMIT ?{} OFFSET ?{}",
            n - 1,
            n
        );
        let mut stmt = self.db().prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| read_entry(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// How many entries match `filter`.
    pub fn ledger_count(&self, filter: &LedgerFilter) -> Result<i64> {
        let (cond, params) = filter.to_sql();
        Ok(self.db().query_row(
            &format!("SELECT COUNT(*) FROM ledger l WHERE {cond}"),
            rusqlite::params_from_iter(params),
            |r| r.get(0),
        )?)
    }
}
