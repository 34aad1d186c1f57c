//! The SOQL subset a replicating client needs, read into a syntax tree:
//!
//! ```text
//! query     := SELECT name (',' name)* FROM name [WHERE condition]
//!              [ORDER BY order (',' order)*] [LIMIT number]
//! condition := term (AND term)* | term (OR term)*
//! term      := NOT term | '(' condition ')' | name operator literal
//! order     := name [ASC | DESC] [NULLS (FIRST | LAST)]
//! literal   := 'string' | number | date | dateTime | TRUE | FALSE | NULL
//! ```
//!
//! As in SOQL, AND and OR have no precedence over each other: mixing them needs parentheses.
//! Names are resolved against the org's objects later (`plan.rs`).

use chrono::NaiveDate;

use super::lex::{lex, CmpOp, Pos, SyntaxError, Tok, Token};

/// A name as written, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub at: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Number(String),
    Date(NaiveDate),
    DateTime(i64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Compare {
        field: Name,
        op: CmpOp,
        value: Literal,
    },
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub field: Name,
    pub descending: bool,
    /// Salesforce's default: nulls first when ascending, last when descending.
    pub nulls_last: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub fields: Vec<Name>,
    pub object: Name,
    pub filter: Option<Condition>,
    pub order: Vec<Order>,
    pub limit: Option<usize>,
}

/// Words that end a list or start a clause, so never read as a name.
const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "LIMIT", "OFFSET", "ASC", "DESC",
    "NULLS", "NULL", "TRUE", "FALSE", "GROUP", "HAVING",
];

struct Parser {
    tokens: Vec<Token>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends with `End`, and `next` never moves past it.
        &self.tokens[self.i.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::End {
            self.i += 1;
        }
        token
    }

    fn unexpected(&self) -> SyntaxError {
        let token = self.peek();
        let shown = if token.tok == Tok::End {
            "<EOF>".to_owned()
        } else {
            format!("'{}'", token.text)
        };
        SyntaxError {
            at: token.at,
            message: format!("unexpected token: {shown}"),
        }
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), SyntaxError> {
        if self.peek().is(keyword) {
            self.next();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn eat(&mut self, keyword: &str) -> bool {
        let found = self.peek().is(keyword);
        if found {
            self.next();
        }
        found
    }

    fn name(&mut self) -> Result<Name, SyntaxError> {
        match &self.peek().tok {
            Tok::Word(w) if !RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r)) => {
                let token = self.next();
                Ok(Name {
                    text: token.text,
                    at: token.at,
                })
            }
            _ => Err(self.unexpected()),
        }
    }

    fn query(&mut self) -> Result<Query, SyntaxError> {
        self.keyword("SELECT")?;
        let mut fields = vec![self.name()?];
        while self.peek().tok == Tok::Comma {
            self.next();
            fields.push(self.name()?);
        }
        self.keyword("FROM")?;
        let object = self.name()?;
        let filter = if self.eat("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        let mut order = Vec::new();
        if self.eat("ORDER") {
            self.keyword("BY")?;
            order.push(self.order()?);
            while self.peek().tok == Tok::Comma {
                self.next();
                order.push(self.order()?);
            }
        }
        let limit = if self.eat("LIMIT") {
            match &self.peek().tok {
                Tok::Number(n) => match n.parse::<usize>() {
                    Ok(limit) => {
                        self.next();
                        Some(limit)
                    }
                    Err(_) => return Err(self.unexpected()),
                },
                _ => return Err(self.unexpected()),
            }
        } else {
            None
        };
        if self.peek().tok != Tok::End {
            return Err(self.unexpected());
        }
        Ok(Query {
            fields,
            object,
            filter,
            order,
            limit,
        })
    }

    fn condition(&mut self) -> Result<Condition, SyntaxError> {
        let first = self.term()?;
        let joiner = if self.peek().is("AND") {
            "AND"
        } else if self.peek().is("OR") {
            "OR"
        } else {
            return Ok(first);
        };
        let mut terms = vec![first];
        while self.eat(joiner) {
            terms.push(self.term()?);
        }
        // `a AND b OR c` is ambiguous in SOQL: the other joiner is refused right here.
        if self.peek().is("AND") || self.peek().is("OR") {
            return Err(self.unexpected());
        }
        Ok(if joiner == "AND" {
            Condition::And(terms)
        } else {
            Condition::Or(terms)
        })
    }

    fn term(&mut self) -> Result<Condition, SyntaxError> {
        if self.eat("NOT") {
            return Ok(Condition::Not(Box::new(self.term()?)));
        }
        if self.peek().tok == Tok::LParen {
            self.next();
            let inner = self.condition()?;
            if self.peek().tok != Tok::RParen {
                return Err(self.unexpected());
            }
            self.next();
            return Ok(inner);
        }
        let field = self.name()?;
        let Tok::Op(op) = self.peek().tok else {
            return Err(self.unexpected());
        };
        self.next();
        let value = self.literal()?;
        Ok(Condition::Compare { field, op, value })
    }

    fn literal(&mut self) -> Result<Literal, SyntaxError> {
        let literal = match &self.peek().tok {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Number(n) => Literal::Number(n.clone()),
            Tok::Date(d) => Literal::Date(*d),
            Tok::DateTime(ms) => Literal::DateTime(*ms),
            _ if self.peek().is("TRUE") => Literal::Bool(true),
            _ if self.peek().is("FALSE") => Literal::Bool(false),
            _ if self.peek().is("NULL") => Literal::Null,
            _ => return Err(self.unexpected()),
        };
        self.next();
        Ok(literal)
    }

    fn order(&mut self) -> Result<Order, SyntaxError> {
        let field = self.name()?;
        let descending = if self.eat("DESC") {
            true
        } else {
            self.eat("ASC");
            false
        };
        let nulls_last = if self.eat("NULLS") {
            if self.eat("LAST") {
                true
            } else {
                self.keyword("FIRST")?;
                false
            }
        } else {
            descending
        };
        Ok(Order {
            field,
            descending,
            nulls_last,
        })
    }
}

/// Reads a query, or says where it stops making sense.
pub fn parse(source: &str) -> Result<Query, SyntaxError> {
    let tokens = lex(source)?;
    Parser { tokens, i: 0 }.query()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyset_query_parses() {
        let q = parse(
            "select Id, Name from StnryAssetCrbnFtprnt where SystemModstamp > 2024-01-05T02:00:00Z \
             or (SystemModstamp = 2024-01-05T02:00:00Z and Id > '0t28d0000000001') \
             order by SystemModstamp, Id desc nulls first limit 200",
        )
        .unwrap();
        assert_eq!(q.fields.len(), 2);
        assert_eq!(q.object.text, "StnryAssetCrbnFtprnt");
        let Some(Condition::Or(terms)) = &q.filter else {
            panic!("{:?}", q.filter)
        };
        assert!(matches!(&terms[1], Condition::And(inner) if inner.len() == 2));
        assert_eq!(q.order.len(), 2);
        assert!(!q.order[0].descending && !q.order[0].nulls_last);
        assert!(q.order[1].descending && !q.order[1].nulls_last);
        assert_eq!(q.limit, Some(200));
    }

    #[test]
    fn mistakes_point_at_the_token_that_breaks_the_query() {
        let err = parse("SELECT Id FROM X WHERE A = 1 AND B = 2 OR C = 3").unwrap_err();
        assert_eq!(err.message, "unexpected token: 'OR'");
        assert_eq!(err.at.col, 40);
        let err = parse("SELECT FROM X").unwrap_err();
        assert_eq!(err.message, "unexpected token: 'FROM'");
        let err = parse("SELECT Id FROM X WHERE").unwrap_err();
        assert_eq!(err.message, "unexpected token: <EOF>");
        assert!(parse("SELECT Id FROM X LIMIT 1.5").is_err());
        assert!(parse("SELECT Id FROM X WHERE (A = 1").is_err());
        assert!(parse("SELECT Id FROM X Y").is_err());
    }
}
