//! SOQL's tokens: words (keywords and names, compared without case by the parser), quoted
//! strings with backslash escapes, numbers, unquoted date and dateTime literals, comparison
//! operators and punctuation. Each token remembers where it starts (row and column, from 1),
//! which Salesforce's error messages point at.

use chrono::NaiveDate;

use crate::salesforce::time::{parse_date, parse_datetime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub row: usize,
    pub col: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A keyword or a name (letters, digits, `_` and `.`).
    Word(String),
    /// A quoted string, escapes resolved.
    Str(String),
    /// A number as written (`-12.5`).
    Number(String),
    Date(NaiveDate),
    /// Milliseconds since 1970.
    DateTime(i64),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
    End,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub at: Pos,
    /// The source text, for messages (`<EOF>` for the end).
    pub text: String,
}

impl Token {
    /// Whether this is the keyword `keyword`, in any case.
    pub fn is(&self, keyword: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

/// A query that cannot be read: where, and what Salesforce would say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: Pos,
    pub message: String,
}

struct Cursor {
    chars: Vec<char>,
    i: usize,
    pos: Pos,
}

impl Cursor {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.pos.row += 1;
            self.pos.col = 1;
        } else {
            self.pos.col += 1;
        }
        Some(c)
    }

    /// Consumes characters while `keep` holds.
    fn skip_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek(0).is_some_and(&keep) {
            self.bump();
        }
    }

    fn text_from(&self, start: usize) -> String {
        self.chars[start..self.i].iter().collect()
    }

    /// Whether `YYYY-MM-DD` starts here.
    fn at_date(&self) -> bool {
        "dddd-dd-dd"
            .chars()
            .enumerate()
            .all(|(k, shape)| match self.peek(k) {
                Some(c) if shape == 'd' => c.is_ascii_digit(),
                Some(c) => c == shape,
                None => false,
            })
    }
}

fn unexpected_character(at: Pos, c: char) -> SyntaxError {
    SyntaxError {
        at,
        message: format!("no viable alternative at character '{c}'"),
    }
}

/// The tokens of `source`, ending with [`Tok::End`].
pub fn lex(source: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut cur = Cursor {
        chars: source.chars().collect(),
        i: 0,
        pos: Pos { row: 1, col: 1 },
    };
    let mut tokens = Vec::new();
    loop {
        cur.skip_while(char::is_whitespace);
        let (at, start) = (cur.pos, cur.i);
        let Some(c) = cur.peek(0) else {
            tokens.push(Token {
                tok: Tok::End,
                at,
                text: "<EOF>".into(),
            });
            return Ok(tokens);
        };
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            cur.skip_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            Tok::Word(cur.text_from(start))
        } else if c == '\'' {
            Tok::Str(string(&mut cur, at)?)
        } else if cur.at_date() {
            date_or_datetime(&mut cur, at, start)?
        } else if c.is_ascii_digit()
            || (c == '-' || c == '+') && cur.peek(1).is_some_and(|d| d.is_ascii_digit())
        {
            number(&mut cur)?;
            Tok::Number(cur.text_from(start))
        } else {
            cur.bump();
            let mut then = |next: char| {
                let follows = cur.peek(0) == Some(next);
                if follows {
                    cur.bump();
                }
                follows
            };
            match c {
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                '=' => Tok::Op(CmpOp::Eq),
                '!' if then('=') => Tok::Op(CmpOp::Ne),
                '<' if then('>') => Tok::Op(CmpOp::Ne),
                '<' if then('=') => Tok::Op(CmpOp::Le),
                '<' => Tok::Op(CmpOp::Lt),
                '>' if then('=') => Tok::Op(CmpOp::Ge),
                '>' => Tok::Op(CmpOp::Gt),
                other => return Err(unexpected_character(at, other)),
            }
        };
        tokens.push(Token {
            tok,
            at,
            text: cur.text_from(start),
        });
    }
}

/// `'…'` with SOQL's escapes: `\'`, `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, and `\_`, `\%`
/// (kept escaped: they only mean something to LIKE).
fn string(cur: &mut Cursor, at: Pos) -> Result<String, SyntaxError> {
    cur.bump();
    let mut value = String::new();
    loop {
        match cur.bump() {
            None => return Err(unexpected_character(at, '\'')),
            Some('\'') => return Ok(value),
            Some('\\') => {
                let escape_at = cur.pos;
                let resolved = match cur.bump() {
                    None => return Err(unexpected_character(at, '\'')),
                    Some('n') => "\n",
                    Some('r') => "\r",
                    Some('t') => "\t",
                    Some('b') => "\u{8}",
                    Some('f') => "\u{c}",
                    Some('\'') => "'",
                    Some('"') => "\"",
                    Some('\\') => "\\",
                    Some('_') => "\\_",
                    Some('%') => "\\%",
                    Some(other) => {
                        return Err(SyntaxError {
                            at: escape_at,
                            message: format!(
                                "Illegal character sequence '\\{other}' in string literal."
                            ),
                        })
                    }
                };
                value.push_str(resolved);
            }
            Some(c) => value.push(c),
        }
    }
}

/// `YYYY-MM-DD`, or a dateTime `YYYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm|±hhmm)`.
fn date_or_datetime(cur: &mut Cursor, at: Pos, start: usize) -> Result<Tok, SyntaxError> {
    for _ in 0..10 {
        cur.bump();
    }
    if cur.peek(0) == Some('T') {
        cur.skip_while(|c| c.is_ascii_digit() || matches!(c, 'T' | 'Z' | ':' | '.' | '+' | '-'));
        let text = cur.text_from(start);
        return parse_datetime(&text)
            .map(Tok::DateTime)
            .ok_or_else(|| SyntaxError {
                at,
                message: format!("invalid dateTime literal: {text}"),
            });
    }
    let text = cur.text_from(start);
    parse_date(&text).map(Tok::Date).ok_or_else(|| SyntaxError {
        at,
        message: format!("invalid date literal: {text}"),
    })
}

/// `[+-]digits[.digits]`, not run into a name.
fn number(cur: &mut Cursor) -> Result<(), SyntaxError> {
    if cur.peek(0).is_some_and(|c| c == '-' || c == '+') {
        cur.bump();
    }
    cur.skip_while(|c| c.is_ascii_digit());
    if cur.peek(0) == Some('.') && cur.peek(1).is_some_and(|d| d.is_ascii_digit()) {
        cur.bump();
        cur.skip_while(|c| c.is_ascii_digit());
    }
    match cur.peek(0).filter(|c| c.is_ascii_alphabetic() || *c == '_') {
        Some(c) => Err(unexpected_character(cur.pos, c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(source: &str) -> Vec<Tok> {
        lex(source).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn a_keyset_query_lexes_into_its_parts() {
        let source = "SELECT Id FROM X WHERE SystemModstamp > 2024-01-05T02:00:00Z \
                      OR (SystemModstamp = 2024-01-05T02:00:00.000+0000 AND Id > '0t2\\'x')";
        let tokens = toks(source);
        assert_eq!(tokens[0], Tok::Word("SELECT".into()));
        let ms = parse_datetime("2024-01-05T02:00:00Z").unwrap();
        assert_eq!(tokens[6], Tok::Op(CmpOp::Gt));
        assert_eq!(tokens[7], Tok::DateTime(ms));
        assert_eq!(tokens[12], Tok::DateTime(ms));
        assert_eq!(tokens[16], Tok::Str("0t2'x".into()));
        assert_eq!(tokens.last(), Some(&Tok::End));
    }

    #[test]
    fn positions_count_rows_and_columns_from_one() {
        let tokens = lex("SELECT Id\n  FROM X LIMIT 10").unwrap();
        assert_eq!(tokens[2].at, Pos { row: 2, col: 3 });
        assert_eq!(tokens[5].tok, Tok::Number("10".into()));
        assert_eq!(tokens[5].text, "10");
        let err = lex("SELECT Id FROM X WHERE Name = 'open").unwrap_err();
        assert_eq!(err.at, Pos { row: 1, col: 31 });
        assert!(lex("SELECT Id FROM X WHERE A % 2").is_err());
        assert!(lex("SELECT Id FROM X WHERE D = 2024-02-30").is_err());
        assert_eq!(
            toks("A <> 1 != -2.5 <= >= < > = 2024-02-28"),
            [
                Tok::Word("A".into()),
                Tok::Op(CmpOp::Ne),
                Tok::Number("1".into()),
                Tok::Op(CmpOp::Ne),
                Tok::Number("-2.5".into()),
                Tok::Op(CmpOp::Le),
                Tok::Op(CmpOp::Ge),
                Tok::Op(CmpOp::Lt),
                Tok::Op(CmpOp::Gt),
                Tok::Op(CmpOp::Eq),
                Tok::Date(NaiveDate::from_ymd_opt(2024, 2, 28).unwrap()),
                Tok::End,
            ]
        );
    }
}
