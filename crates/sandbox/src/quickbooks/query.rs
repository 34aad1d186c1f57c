//! Intuit's query language, as far as clients of the sandbox use it:
//!
//! ```text
//! SELECT * | COUNT(*) FROM <Entity>
//!     [WHERE <condition> [AND <condition>]…]
//!     [ORDERBY Metadata.LastUpdatedTime [ASC|DESC]]
//!     [STARTPOSITION n] [MAXRESULTS m]
//! ```
//!
//! Keywords, entity and property names are case-insensitive. Conditions:
//! `Metadata.LastUpdatedTime` compared (`=`, `<`, `>`, `<=`, `>=`) with a quoted timestamp,
//! `Id = '…'` or `Id IN ('…', …)`, and `Active = true|false` or `Active IN (true, false)`.
//! `STARTPOSITION` counts from 1; `MAXRESULTS` defaults to 100 and is capped at 1000, as at
//! Intuit. A statement that does not follow the grammar is a parse error (code 4000); one
//! that does but asks for what the sandbox does not serve is an invalid query (code 4001).

use super::errors::Fault;
use super::time;

/// The most records one query answers, whatever `MAXRESULTS` asks for.
pub const MAX_RESULTS_CAP: usize = 1000;
/// `MAXRESULTS` when the query has none.
pub const DEFAULT_MAX_RESULTS: usize = 100;

/// What a query can select from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Purchase,
    Bill,
    VendorCredit,
    Account,
    Vendor,
    Item,
}

impl Target {
    pub const ALL: [Target; 6] = [
        Target::Purchase,
        Target::Bill,
        Target::VendorCredit,
        Target::Account,
        Target::Vendor,
        Target::Item,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Purchase => "Purchase",
            Target::Bill => "Bill",
            Target::VendorCredit => "VendorCredit",
            Target::Account => "Account",
            Target::Vendor => "Vendor",
            Target::Item => "Item",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Target::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub target: Target,
    /// `SELECT COUNT(*)`.
    pub count: bool,
    /// The earliest `LastUpdatedTime` included, ms since 1970 (inclusive).
    pub from_ms: Option<i64>,
    /// The latest `LastUpdatedTime` included, ms since 1970 (inclusive).
    pub to_ms: Option<i64>,
    /// `Id = …` / `Id IN (…)`: only these.
    pub ids: Option<Vec<String>>,
    /// `Active = …` / `Active IN (…)`: the values allowed.
    pub active: Option<Vec<bool>>,
    pub descending: bool,
    /// 1-based.
    pub start: usize,
    pub max: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Number(String),
    Symbol(&'static str),
}

fn describe(token: Option<&Token>) -> String {
    match token {
        None => "<EOF>".into(),
        Some(Token::Word(w)) => format!("\"{w}\""),
        Some(Token::Text(t)) => format!("\"'{t}'\""),
        Some(Token::Number(n)) => format!("\"{n}\""),
        Some(Token::Symbol(s)) => format!("\"{s}\""),
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, Fault> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            // A quoted value; a quote inside is escaped with a backslash.
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(Fault::parse(format!(
                            "Lexical error at line 1, column {}. Encountered: <EOF> inside a quoted value",
                            i + 1
                        )))
                    }
                    Some('\\') if chars.get(i + 1) == Some(&'\'') => {
                        value.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            tokens.push(Token::Text(value));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let symbol = match (two.as_str(), c) {
                ("<=", _) => "<=",
                (">=", _) => ">=",
                ("!=", _) => "!=",
                (_, '*') => "*",
                (_, '(') => "(",
                (_, ')') => ")",
                (_, ',') => ",",
                (_, '=') => "=",
                (_, '<') => "<",
                (_, '>') => ">",
                _ => {
                    return Err(Fault::parse(format!(
                        "Lexical error at line 1, column {}. Encountered: \"{c}\"",
                        i + 1
                    )))
                }
            };
            i += symbol.len();
            tokens.push(Token::Symbol(symbol));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn unexpected(&self, expecting: &str) -> Fault {
        Fault::parse(format!(
            "Encountered {} at token {}. Was expecting {expecting}.",
            describe(self.peek()),
            self.at + 1
        ))
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn keyword(&mut self, word: &str) -> Result<(), Fault> {
        if self.is_word(word) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("\"{word}\"")))
        }
    }

    fn symbol(&mut self, symbol: &str) -> Result<(), Fault> {
        if self.accept_symbol(symbol) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("\"{symbol}\"")))
        }
    }

    fn accept_symbol(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self, expecting: &str) -> Result<String, Fault> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let w = w.clone();
                self.at += 1;
                Ok(w)
            }
            _ => Err(self.unexpected(expecting)),
        }
    }

    fn number(&mut self, what: &str) -> Result<usize, Fault> {
        match self.peek() {
            Some(Token::Number(n)) => {
                let value = n
                    .parse::<u64>()
                    .map_err(|_| self.unexpected(&format!("a whole number after {what}")))?;
                self.at += 1;
                Ok(usize::try_from(value).unwrap_or(usize::MAX))
            }
            _ => Err(self.unexpected(&format!("a whole number after {what}"))),
        }
    }

    /// A value: a quoted text, a number or `true`/`false`, as text.
    fn value(&mut self) -> Result<String, Fault> {
        match self.peek() {
            Some(Token::Text(t)) | Some(Token::Number(t)) => {
                let t = t.clone();
                self.at += 1;
                Ok(t)
            }
            Some(Token::Word(w))
                if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") =>
            {
                let w = w.to_ascii_lowercase();
                self.at += 1;
                Ok(w)
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    /// `(` value [, value]… `)`
    fn value_list(&mut self) -> Result<Vec<String>, Fault> {
        self.symbol("(")?;
        let mut values = vec![self.value()?];
        while self.accept_symbol(",") {
            values.push(self.value()?);
        }
        self.symbol(")")?;
        Ok(values)
    }
}

/// One `WHERE` condition before it is checked against what the sandbox serves.
struct Condition {
    property: String,
    operator: &'static str,
    values: Vec<String>,
}

fn condition(p: &mut Parser) -> Result<Condition, Fault> {
    let property = p.word("a property name")?;
    let operator = match p.peek() {
        Some(Token::Symbol(s)) if ["=", "<", ">", "<=", ">=", "!="].contains(s) => {
            let s = *s;
            p.at += 1;
            s
        }
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("in") => {
            p.at += 1;
            "in"
        }
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("like") => {
            p.at += 1;
            "like"
        }
        _ => return Err(p.unexpected("an operator (=, <, >, <=, >=, IN, LIKE)")),
    };
    let values = if operator == "in" {
        p.value_list()?
    } else {
        vec![p.value()?]
    };
    Ok(Condition {
        property,
        operator,
        values,
    })
}

fn is_last_updated(property: &str) -> bool {
    property.eq_ignore_ascii_case("Metadata.LastUpdatedTime")
}

/// Parses a statement; the error is the fault to answer with.
pub fn parse(text: &str) -> Result<Query, Fault> {
    let mut p = Parser {
        tokens: tokenize(text)?,
        at: 0,
    };
    p.keyword("select")?;
    let count = if p.accept_symbol("*") {
        false
    } else if p.is_word("count") {
        p.at += 1;
        p.symbol("(")?;
        p.symbol("*")?;
        p.symbol(")")?;
        true
    } else if matches!(p.peek(), Some(Token::Word(_))) {
        // A property list parses at Intuit; the sandbox answers whole records only.
        let first = p.word("a property")?;
        while p.accept_symbol(",") {
            p.word("a property")?;
        }
        p.keyword("from")?;
        let _ = p.word("an entity name");
        return Err(Fault::invalid_query(format!(
            "the sandbox answers SELECT * and SELECT COUNT(*) only, not a list of properties \
             ({first}, …)"
        )));
    } else {
        return Err(p.unexpected("\"*\", \"COUNT\" or a property"));
    };
    p.keyword("from")?;
    let entity = p.word("an entity name")?;

    let mut conditions = Vec::new();
    if p.is_word("where") {
        p.at += 1;
        conditions.push(condition(&mut p)?);
        while p.is_word("and") {
            p.at += 1;
            conditions.push(condition(&mut p)?);
        }
        if p.is_word("or") {
            return Err(p.unexpected("\"AND\", \"ORDERBY\", \"STARTPOSITION\" or \"MAXRESULTS\" (Intuit's queries have no OR)"));
        }
    }

    let mut descending = false;
    let mut ordered_by = None;
    if p.is_word("orderby") || p.is_word("order") {
        if p.is_word("order") {
            p.at += 1;
            p.keyword("by")?;
        } else {
            p.at += 1;
        }
        let property = p.word("a property to order by")?;
        if p.is_word("asc") {
            p.at += 1;
        } else if p.is_word("desc") {
            p.at += 1;
            descending = true;
        }
        if p.accept_symbol(",") {
            let _ = p.word("a property to order by");
            return Err(Fault::invalid_query(
                "the sandbox orders by one property only",
            ));
        }
        ordered_by = Some(property);
    }

    let (mut start, mut max) = (None, None);
    loop {
        if p.is_word("startposition") && start.is_none() {
            p.at += 1;
            start = Some(p.number("STARTPOSITION")?);
        } else if p.is_word("maxresults") && max.is_none() {
            p.at += 1;
            max = Some(p.number("MAXRESULTS")?);
        } else {
            break;
        }
    }
    if p.peek().is_some() {
        return Err(
            p.unexpected("\"WHERE\", \"ORDERBY\", \"STARTPOSITION\", \"MAXRESULTS\" or the end")
        );
    }

    // The statement parses; now what it asks for.
    let target = Target::parse(&entity).ok_or_else(|| {
        Fault::invalid_query(format!(
            "the entity {entity:?} is not served by the sandbox (it serves Purchase, Bill, \
             VendorCredit, Account, Vendor and Item)"
        ))
    })?;
    if let Some(property) = ordered_by {
        if !is_last_updated(&property) {
            return Err(Fault::invalid_query(format!(
                "the sandbox orders by Metadata.LastUpdatedTime only, not {property}"
            )));
        }
    }
    let max = match max {
        Some(0) => {
            return Err(Fault::invalid_query(
                "MAXRESULTS must be at least 1".to_owned(),
            ))
        }
        Some(m) => m.min(MAX_RESULTS_CAP),
        None => DEFAULT_MAX_RESULTS,
    };
    let mut query = Query {
        target,
        count,
        from_ms: None,
        to_ms: None,
        ids: None,
        active: None,
        descending,
        start: start.unwrap_or(1).max(1),
        max,
    };
    for c in conditions {
        apply(&mut query, c)?;
    }
    Ok(query)
}

fn apply(query: &mut Query, c: Condition) -> Result<(), Fault> {
    if is_last_updated(&c.property) {
        if matches!(c.operator, "in" | "like" | "!=") {
            return Err(Fault::invalid_query(format!(
                "Metadata.LastUpdatedTime takes =, <, >, <= or >=, not {}",
                c.operator.to_uppercase()
            )));
        }
        let ms = time::parse(&c.values[0]).ok_or_else(|| {
            Fault::parse(format!(
                "the timestamp '{}' is not a date-time such as 2024-03-05T10:15:30-08:00",
                c.values[0]
            ))
        })?;
        let tighten_from =
            |q: &mut Query, v: i64| q.from_ms = Some(q.from_ms.map_or(v, |f| f.max(v)));
        let tighten_to = |q: &mut Query, v: i64| q.to_ms = Some(q.to_ms.map_or(v, |t| t.min(v)));
        match c.operator {
            ">" => tighten_from(query, ms.saturating_add(1)),
            ">=" => tighten_from(query, ms),
            "<" => tighten_to(query, ms.saturating_sub(1)),
            "<=" => tighten_to(query, ms),
            _ => {
                tighten_from(query, ms);
                tighten_to(query, ms);
            }
        }
        return Ok(());
    }
    if c.property.eq_ignore_ascii_case("Id") {
        if !matches!(c.operator, "=" | "in") {
            return Err(Fault::invalid_query("Id takes = or IN in the sandbox"));
        }
        query.ids = Some(match query.ids.take() {
            None => c.values,
            Some(before) => before
                .into_iter()
                .filter(|v| c.values.contains(v))
                .collect(),
        });
        return Ok(());
    }
    if c.property.eq_ignore_ascii_case("Active") {
        if !matches!(c.operator, "=" | "in") {
            return Err(Fault::invalid_query("Active takes = or IN"));
        }
        let values = c
            .values
            .iter()
            .map(|v| match v.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(Fault::invalid_query(format!(
                    "Active is true or false, not {other:?}"
                ))),
            })
            .collect::<Result<Vec<bool>, Fault>>()?;
        query.active = Some(values);
        return Ok(());
    }
    Err(Fault::invalid_query(format!(
        "the property {} cannot be filtered on in the sandbox (it filters on \
         Metadata.LastUpdatedTime, Id and Active)",
        c.property
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn what_clients_send_parses() {
        let q = parse(
            "select * from Purchase where Metadata.LastUpdatedTime > '2024-03-05T10:15:30-08:00' \
             orderby Metadata.LastUpdatedTime startposition 1001 maxresults 1000",
        )
        .unwrap();
        assert_eq!(q.target, Target::Purchase);
        assert!(!q.count && !q.descending);
        assert_eq!(q.from_ms, Some(ms("2024-03-05T10:15:30-08:00") + 1));
        assert_eq!((q.start, q.max), (1001, 1000));

        let q = parse("SELECT COUNT(*) FROM vendorcredit").unwrap();
        assert_eq!(q.target, Target::VendorCredit);
        assert!(q.count);
        assert_eq!((q.start, q.max), (1, 100));

        let q = parse(
            "SELECT * FROM Bill WHERE MetaData.LastUpdatedTime >= '2024-01-01' AND \
             Metadata.LastUpdatedTime < '2024-02-01T00:00:00Z' ORDER BY \
             Metadata.LastUpdatedTime DESC MAXRESULTS 5000 STARTPOSITION 0",
        )
        .unwrap();
        assert_eq!(q.from_ms, Some(ms("2024-01-01T00:00:00-08:00")));
        assert_eq!(q.to_ms, Some(ms("2024-02-01T00:00:00Z") - 1));
        assert!(q.descending);
        assert_eq!((q.start, q.max), (1, 1000), "capped, and counted from 1");

        let q = parse("select * from Account where Active in (true, false) and Id = '29'").unwrap();
        assert_eq!(q.active, Some(vec![true, false]));
        assert_eq!(q.ids, Some(vec!["29".to_owned()]));
    }

    #[test]
    fn broken_statements_are_parse_errors() {
        for text in [
            "",
            "select from Purchase",
            "select * Purchase",
            "select * from Purchase where",
            "select * from Purchase where Metadata.LastUpdatedTime > '2024-01-01",
            "select * from Purchase maxresults ten",
            "select * from Purchase where Id = '1' or Id = '2'",
            "select * from Purchase limit 5",
            "select * from Purchase where Metadata.LastUpdatedTime > 'yesterday'",
            "drop table Purchase",
        ] {
            let fault = parse(text).unwrap_err();
            assert_eq!(
                (fault.code, fault.message.as_str()),
                ("4000", "Error parsing query"),
                "{text}"
            );
            assert!(fault.detail.starts_with("QueryParserError: "), "{text}");
        }
    }

    #[test]
    fn what_the_sandbox_does_not_serve_is_an_invalid_query() {
        for text in [
            "select * from Invoice",
            "select Id, TotalAmt from Purchase",
            "select * from Purchase where TotalAmt > '5'",
            "select * from Purchase orderby TxnDate",
            "select * from Purchase maxresults 0",
        ] {
            assert_eq!(parse(text).unwrap_err().code, "4001", "{text}");
        }
    }
}
