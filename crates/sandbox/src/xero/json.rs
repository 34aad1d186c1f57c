//! A tiny JSON writer for the record listings. Pages are built straight from the compact
//! records, and Xero prints money with exactly two decimals (`500.00`), which serde_json's
//! float output (`500.0`) cannot do; writing the text ourselves gives both.

use std::fmt::{self, Write};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, key);
        self.out.push(':');
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_str(self.out, value);
        self
    }

    /// Cents as a JSON number with two decimals.
    pub fn money(&mut self, key: &str, cents: i64) -> &mut Self {
        self.key(key);
        push_money(self.out, cents);
        self
    }

    /// A value that is already JSON text (numbers, literals).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.out.push_str(json);
        self
    }

    /// Lets `fill` write the value's JSON text directly (used for long record arrays).
    pub fn raw_with(&mut self, key: &str, fill: impl FnOnce(&mut String)) -> &mut Self {
        self.key(key);
        fill(self.out);
        self
    }

    pub fn int(&mut self, key: &str, value: i64) -> &mut Self {
        self.key(key);
        let _ = write!(self.out, "{value}");
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    pub fn obj(&mut self, key: &str, fill: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        self.key(key);
        let mut inner = Obj::open(self.out);
        fill(&mut inner);
        inner.close();
        self
    }

    /// An array whose elements `fill` writes, each through the `Arr` it is given.
    pub fn arr(&mut self, key: &str, fill: impl FnOnce(&mut Arr<'_>)) -> &mut Self {
        self.key(key);
        let mut inner = Arr::open(self.out);
        fill(&mut inner);
        inner.close();
        self
    }

    pub fn close(self) {
        self.out.push('}');
    }
}

pub struct Arr<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Arr<'a> {
    pub fn open(out: &'a mut String) -> Self {
        out.push('[');
        Arr { out, first: true }
    }

    pub fn obj(&mut self, fill: impl FnOnce(&mut Obj<'_>)) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        let mut inner = Obj::open(self.out);
        fill(&mut inner);
        inner.close();
    }

    pub fn close(self) {
        self.out.push(']');
    }
}

pub fn push_money(out: &mut String, cents: i64) {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:02}", abs / 100, abs % 100);
}

pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The top-level members of a JSON object in their written order, each value as its exact
/// text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Members<'a>, M::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor(std::marker::PhantomData))
    }
}

/// Rewrites the top-level fields of the JSON object `object`: drops those named in `remove`,
/// then replaces those in `set` (or adds them at the end). Every other field keeps its exact
/// text, so amounts keep their two decimals. `None` if `object` is not a JSON object.
pub fn reshape(object: &str, remove: &[String], set: &Map<String, Value>) -> Option<String> {
    let Members(members) = serde_json::from_str(object).ok()?;
    let mut out = String::with_capacity(object.len() + 64);
    let mut o = Obj::open(&mut out);
    for (key, value) in &members {
        if remove.contains(key) {
            continue;
        }
        match set.get(key) {
            Some(new) => o.raw(key, &new.to_string()),
            None => o.raw(key, value.get()),
        };
    }
    for (key, new) in set {
        if !members.iter().any(|(k, _)| k == key) || remove.contains(key) {
            o.raw(key, &new.to_string());
        }
    }
    o.close();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_json_parses_and_keeps_two_decimals() {
        let mut out = String::new();
        let mut o = Obj::open(&mut out);
        o.str("Name", "Harbour & Pine \"Ltd\"\n")
            .money("Total", 50_000)
            .money("Neg", -5)
            .arr("Items", |a| {
                a.obj(|o| {
                    o.int("n", 1);
                });
                a.obj(|o| {
                    o.bool("b", false);
                });
            });
        o.close();
        assert!(out.contains("\"Total\":500.00"));
        assert!(out.contains("\"Neg\":-0.05"));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["Name"], "Harbour & Pine \"Ltd\"\n");
        assert_eq!(v["Items"][1]["b"], false);
    }

    #[test]
    fn reshaping_touches_only_the_named_fields() {
        let record =
            r#"{"Date":"/Date(1)/","Total":500.00,"Status":"PAID","Lines":[{"Status":"x"}]}"#;
        let mut set = Map::new();
        set.insert("Date".into(), serde_json::json!("/Date(abc)/"));
        set.insert("Extra".into(), serde_json::json!({"a": null}));
        let out = reshape(record, &["Status".into()], &set).unwrap();
        assert_eq!(
            out,
            r#"{"Date":"/Date(abc)/","Total":500.00,"Lines":[{"Status":"x"}],"Extra":{"a":null}}"#
        );
        assert!(reshape("[1]", &[], &set).is_none());
    }
}
