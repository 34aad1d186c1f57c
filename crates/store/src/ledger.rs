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

    fn parse(s: &str) -> Self {
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
}

/// A ledger entry as the user reviews it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct LedgerEntry {
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
            "SELECT l.connection_id, c.tenant_name, r.stream, r.record_id, l.line_no, l.date,
             l.contact, l.description, l.account_code, l.account_name, l.net_amount, l.currency,
             {EFFECTIVE_STATUS}, COALESCE(l.covered_reason, l.reason), l.rule_id, l.category,
             l.scope, l.scope3_category, f.factor_set,
             l.factor_version, l.factor_code, f.factor_title, l.factor_value, f.factor_unit,
             l.fx_rate, v.fx_source, l.deflator, v.deflator_source, l.usd_2022_micros,
             CASE WHEN l.covered_by IS NULL THEN l.co2e_mg END
             FROM ledger l JOIN connections c ON c.id = l.connection_id
             JOIN records r ON r.id = l.record_ref
             LEFT JOIN factor_refs f ON f.id = l.factor_ref
             LEFT JOIN conversion_refs v ON v.id = l.conversion_ref
             WHERE {cond} ORDER BY l.date DESC, l.id DESC LIMIT ?{} OFFSET ?{}",
            n - 1,
            n
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok(LedgerEntry {
                connection_id: r.get(0)?,
                source: r.get(1)?,
                stream: r.get(2)?,
                record_id: r.get(3)?,
                line_no: r.get(4)?,
                date: r.get(5)?,
                contact: r.get(6)?,
                description: r.get(7)?,
                account_code: r.get(8)?,
                account_name: r.get(9)?,
                net_amount: decimal::read(r, 10)?,
                currency: r.get(11)?,
                assessment: LedgerRow {
                    status: LedgerStatus::parse(&r.get::<_, String>(12)?),
                    reason: r.get(13)?,
                    rule_id: r.get(14)?,
                    category: r.get(15)?,
                    scope: r.get(16)?,
                    scope3_category: r.get(17)?,
                    factor_set: r.get(18)?,
                    factor_version: r.get(19)?,
                    factor_code: r.get(20)?,
                    factor_title: r.get(21)?,
                    factor_value: decimal::read_opt(r, 22)?,
                    factor_unit: r.get(23)?,
                    fx_rate: decimal::read_opt(r, 24)?,
                    fx_source: r.get(25)?,
                    deflator: decimal::read_opt(r, 26)?,
                    deflator_source: r.get(27)?,
                    amount_usd_2022: decimal::read_opt_millionths(r, 28)?,
                    kg_co2e: decimal::read_opt_millionths(r, 29)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// How many entries match `filter`.
    pub fn ledger_count(&self, filter: &LedgerFilter) -> Result<i64> {
        let (cond, params) = filter.to_sql();
        Ok(self.conn.query_row(
            &format!("SELECT COUNT(*) FROM ledger l WHERE {cond}"),
            rusqlite::params_from_iter(params),
            |r| r.get(0),
        )?)
    }
}
