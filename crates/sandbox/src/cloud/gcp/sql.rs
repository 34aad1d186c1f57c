//! Just enough GoogleSQL to answer queries of the Carbon Footprint export: what a reader of it
//! writes, not a SQL engine.
//!
//! ```text
//! SELECT [DISTINCT] * | path [[AS] alias], …
//! FROM `project.dataset.table`            -- or dataset.table, or `project`.`dataset`.`table`
//! [WHERE cond AND cond …]                 -- cond: path BETWEEN x AND y | path op x |
//!                                         --       path IS [NOT] NULL; x: @param | DATE 'YYYY-MM-DD' | 'YYYY-MM-DD'
//! [ORDER BY path [ASC|DESC], …]           -- accepted; the rows keep the table's order
//! [LIMIT n] [;]
//! ```
//!
//! Errors carry BigQuery's wording and its `at [line:column]` position.

use std::fmt;

/// A position in the query text, 1-based, as BigQuery reports it (`[1:8]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}:{}]", self.line, self.col)
    }
}

/// A query BigQuery would refuse, in its words (`Syntax error: Unexpected … at [1:8]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Param(String),
    Str(String),
    Num(u64),
    Sym(&'static str),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: Pos,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier \"{s}\""),
            Tok::Quoted(s) => format!("identifier \"`{s}`\""),
            Tok::Param(s) => format!("\"@{s}\""),
            Tok::Str(s) => format!("string literal \"{s}\""),
            Tok::Num(n) => format!("integer literal \"{n}\""),
            Tok::Sym(s) => format!("\"{s}\""),
            Tok::End => "end of input".to_owned(),
        }
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(word))
    }
}

const KEYWORDS: &[&str] = &[
    "SELECT", "DISTINCT", "FROM", "WHERE", "AND", "BETWEEN", "ORDER", "BY", "ASC", "DESC", "LIMIT",
    "AS", "IS", "NOT", "NULL",
];

/// Walks the query's characters, keeping BigQuery's line and column.
struct Scanner {
    chars: Vec<char>,
    at: usize,
    pos: Pos,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek2(&self) -> Option<char> {
        self.chars.get(self.at + 1).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.col = 1;
        } else {
            self.pos.col += 1;
        }
        Some(c)
    }

    /// The characters from here on that `keep` accepts.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|c| keep(*c)) {
            out.push(c);
            self.bump();
        }
        out
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn tokenize(text: &str) -> Result<Vec<Token>, SqlError> {
    let mut sc = Scanner {
        chars: text.chars().collect(),
        at: 0,
        pos: Pos { line: 1, col: 1 },
    };
    let mut out = Vec::new();
    while let Some(c) = sc.peek() {
        let pos = sc.pos;
        if c.is_whitespace() {
            sc.bump();
            continue;
        }
        if c == '-' && sc.peek2() == Some('-') {
            sc.take_while(|c| c != '\n');
            continue;
        }
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            Tok::Ident(sc.take_while(is_word))
        } else if c.is_ascii_digit() {
            let digits = sc.take_while(|c| c.is_ascii_digit());
            Tok::Num(digits.parse().map_err(|_| {
                SqlError(format!(
                    "Syntax error: Integer literal out of range at {pos}"
                ))
            })?)
        } else if c == '@' {
            sc.bump();
            let name = sc.take_while(is_word);
            if name.is_empty() {
                return Err(SqlError(format!("Syntax error: Unexpected \"@\" at {pos}")));
            }
            Tok::Param(name)
        } else if c == '`' || c == '\'' || c == '"' {
            sc.bump();
            let inner = sc.take_while(|q| q != c);
            if sc.bump() != Some(c) {
                return Err(SqlError(format!(
                    "Syntax error: Unclosed {} at {pos}",
                    if c == '`' {
                        "identifier literal"
                    } else {
                        "string literal"
                    }
                )));
            }
            if c == '`' {
                Tok::Quoted(inner)
            } else {
                Tok::Str(inner)
            }
        } else {
            let two = match (c, sc.peek2()) {
                ('<', Some('=')) => Some("<="),
                ('>', Some('=')) => Some(">="),
                ('!', Some('=')) => Some("!="),
                ('<', Some('>')) => Some("<>"),
                _ => None,
            };
            let sym = match two {
                Some(sym) => {
                    sc.bump();
                    sym
                }
                None => match c {
                    ',' => ",",
                    '.' => ".",
                    '*' => "*",
                    '(' => "(",
                    ')' => ")",
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    ';' => ";",
                    '-' => "-",
                    _ => {
                        return Err(SqlError(format!(
                            "Syntax error: Illegal input character \"{c}\" at {pos}"
                        )))
                    }
                },
            };
            sc.bump();
            Tok::Sym(sym)
        };
        out.push(Token { tok, pos });
    }
    out.push(Token {
        tok: Tok::End,
        pos: sc.pos,
    });
    Ok(out)
}

/// A column or a field of a RECORD column, by its dotted path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRef {
    pub names: Vec<String>,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    Star,
    Path {
        path: PathRef,
        alias: Option<String>,
    },
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A named parameter, `@from_month`.
    Param { name: String, pos: Pos },
    /// A literal, `DATE '2024-01-01'` or `'2024-01-01'`.
    Literal { text: String, pos: Pos },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Between {
        path: PathRef,
        low: Operand,
        high: Operand,
    },
    Compare {
        path: PathRef,
        op: CompareOp,
        value: Operand,
    },
    IsNull {
        path: PathRef,
        negated: bool,
    },
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub distinct: bool,
    pub select: Vec<SelectItem>,
    /// The table's name parts as written (`["cedar-finch-carbon", "carbon_footprint_export",
    /// "carbon_footprint"]`, or two without a project).
    pub table: Vec<String>,
    pub table_pos: Pos,
    pub conditions: Vec<Condition>,
    pub limit: Option<u64>,
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn unexpected(&self) -> SqlError {
        let t = self.peek();
        let what = match &t.tok {
            Tok::Ident(s) if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s)) => {
                format!("keyword {}", s.to_ascii_uppercase())
            }
            other => other.describe(),
        };
        SqlError(format!("Syntax error: Unexpected {what} at {}", t.pos))
    }

    fn expect_keyword(&mut self, word: &str) -> Result<(), SqlError> {
        if self.peek().tok.is_keyword(word) {
            self.next();
            Ok(())
        } else {
            let t = self.peek();
            Err(SqlError(format!(
                "Syntax error: Expected keyword {word} but got {} at {}",
                t.tok.describe(),
                t.pos
            )))
        }
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if self.peek().tok.is_keyword(word) {
            self.next();
            true
        } else {
            false
        }
    }

    fn eat_sym(&mut self, sym: &'static str) -> bool {
        if self.peek().tok == Tok::Sym(sym) {
            self.next();
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<(String, Pos), SqlError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Ident(s) if !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&s)) => {
                self.next();
                Ok((s, t.pos))
            }
            Tok::Quoted(s) => {
                self.next();
                Ok((s, t.pos))
            }
            _ => Err(self.unexpected()),
        }
    }

    fn path(&mut self) -> Result<PathRef, SqlError> {
        let (first, pos) = self.name()?;
        let mut names = vec![first];
        while self.eat_sym(".") {
            names.push(self.name()?.0);
        }
        Ok(PathRef { names, pos })
    }

    fn operand(&mut self) -> Result<Operand, SqlError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Param(name) => {
                self.next();
                Ok(Operand::Param { name, pos: t.pos })
            }
            Tok::Str(text) => {
                self.next();
                Ok(Operand::Literal { text, pos: t.pos })
            }
            Tok::Ident(ref s) if s.eq_ignore_ascii_case("DATE") => {
                self.next();
                match self.next().tok {
                    Tok::Str(text) => Ok(Operand::Literal { text, pos: t.pos }),
                    _ => Err(SqlError(format!(
                        "Syntax error: Expected string literal after DATE at {}",
                        t.pos
                    ))),
                }
            }
            _ => Err(self.unexpected()),
        }
    }

    fn condition(&mut self) -> Result<Condition, SqlError> {
        let path = self.path()?;
        if self.eat_keyword("BETWEEN") {
            let low = self.operand()?;
            self.expect_keyword("AND")?;
            let high = self.operand()?;
            return Ok(Condition::Between { path, low, high });
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            self.expect_keyword("NULL")?;
            return Ok(Condition::IsNull { path, negated });
        }
        let op = match self.peek().tok {
            Tok::Sym("=") => CompareOp::Eq,
            Tok::Sym("!=") | Tok::Sym("<>") => CompareOp::Ne,
            Tok::Sym("<") => CompareOp::Lt,
            Tok::Sym("<=") => CompareOp::Le,
            Tok::Sym(">") => CompareOp::Gt,
            Tok::Sym(">=") => CompareOp::Ge,
            _ => return Err(self.unexpected()),
        };
        self.next();
        let value = self.operand()?;
        Ok(Condition::Compare { path, op, value })
    }
}

/// Parses `text`.
///
/// Errors: [`SqlError`] in BigQuery's words with the position.
pub fn parse(text: &str) -> Result<Query, SqlError> {
    let mut p = Parser {
        tokens: tokenize(text)?,
        at: 0,
    };
    p.expect_keyword("SELECT")?;
    let distinct = p.eat_keyword("DISTINCT");
    let mut select = Vec::new();
    loop {
        if p.eat_sym("*") {
            select.push(SelectItem::Star);
        } else {
            let path = p.path()?;
            // `AS` is optional before an alias.
            let explicit = p.eat_keyword("AS");
            let alias = if explicit
                || matches!(&p.peek().tok, Tok::Ident(s) if !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s)))
            {
                Some(p.name()?.0)
            } else {
                None
            };
            select.push(SelectItem::Path { path, alias });
        }
        if !p.eat_sym(",") {
            break;
        }
    }
    p.expect_keyword("FROM")?;
    let table_pos = p.peek().pos;
    let mut table = Vec::new();
    loop {
        let (name, _) = p.name()?;
        // A backticked name may hold the whole `project.dataset.table`.
        table.extend(name.split('.').map(str::to_owned));
        if !p.eat_sym(".") {
            break;
        }
    }
    let mut conditions = Vec::new();
    if p.eat_keyword("WHERE") {
        conditions.push(p.condition()?);
        while p.eat_keyword("AND") {
            conditions.push(p.condition()?);
        }
    }
    if p.eat_keyword("ORDER") {
        p.expect_keyword("BY")?;
        loop {
            p.path()?;
            let _ = p.eat_keyword("ASC") || p.eat_keyword("DESC");
            if !p.eat_sym(",") {
                break;
            }
        }
    }
    let mut limit = None;
    if p.eat_keyword("LIMIT") {
        match p.next().tok {
            Tok::Num(n) => limit = Some(n),
            _ => {
                p.at -= 1;
                return Err(p.unexpected());
            }
        }
    }
    p.eat_sym(";");
    if p.peek().tok != Tok::End {
        return Err(p.unexpected());
    }
    Ok(Query {
        distinct,
        select,
        table,
        table_pos,
        conditions,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connectors_queries_parse() {
        let q = parse(
            "SELECT usage_month, billing_account_id, project, service, location, carbon_model_version, carbon_footprint_kgCO2e \
             FROM `cedar-finch-carbon.carbon_footprint_export.carbon_footprint` \
             WHERE usage_month BETWEEN @from_month AND @to_month \
             ORDER BY usage_month, billing_account_id, project.id, service.description, location.location",
        )
        .unwrap();
        assert!(!q.distinct);
        assert_eq!(q.select.len(), 7);
        assert_eq!(
            q.table,
            [
                "cedar-finch-carbon",
                "carbon_footprint_export",
                "carbon_footprint"
            ]
        );
        assert!(
            matches!(&q.conditions[0], Condition::Between { low: Operand::Param { name, .. }, .. } if name == "from_month")
        );

        let q = parse(
            "SELECT DISTINCT project.id AS project_id FROM `cedar-finch-carbon.carbon_footprint_export.carbon_footprint` \
             WHERE project.id IS NOT NULL ORDER BY project_id LIMIT 1000",
        )
        .unwrap();
        assert!(q.distinct);
        assert_eq!(q.limit, Some(1000));
        assert_eq!(
            q.select,
            vec![SelectItem::Path {
                path: PathRef {
                    names: vec!["project".into(), "id".into()],
                    pos: Pos { line: 1, col: 17 }
                },
                alias: Some("project_id".into())
            }]
        );
        let q = parse("select * from carbon_footprint_export.carbon_footprint where usage_month >= DATE '2024-01-01' limit 5;").unwrap();
        assert_eq!(q.select, vec![SelectItem::Star]);
        assert_eq!(q.table.len(), 2);
    }

    #[test]
    fn errors_say_where_in_bigquerys_words() {
        assert_eq!(
            parse("SELECT FROM t").unwrap_err().0,
            "Syntax error: Unexpected keyword FROM at [1:8]"
        );
        assert_eq!(
            parse("SELECT a\nFROM t WHERE").unwrap_err().0,
            "Syntax error: Unexpected end of input at [2:13]"
        );
        assert!(parse("DELETE FROM t")
            .unwrap_err()
            .0
            .contains("Expected keyword SELECT"));
    }
}
