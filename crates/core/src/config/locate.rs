//! Finds keys in the configuration text, so that every error names the key and its line
//! as the user wrote them (`[providers.xero] page_size`, line 3).

use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// One key of the file: its path from the top (`["providers", "xero", "page_size"]`),
/// where the key is written, and where its value is.
struct Entry {
    path: Vec<String>,
    key: Range<usize>,
    value: Range<usize>,
    is_table: bool,
}

/// Every key of `text`, tables first then their keys; empty when the text is not TOML.
fn entries(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    if let Ok(root) = DeTable::parse(text) {
        collect(root.get_ref(), &mut Vec::new(), &mut out);
    }
    out
}

fn collect(table: &DeTable<'_>, prefix: &mut Vec<String>, out: &mut Vec<Entry>) {
    for (key, value) in table.iter() {
        prefix.push(key.get_ref().to_string());
        let is_table = matches!(value.get_ref(), DeValue::Table(_));
        out.push(Entry {
            path: prefix.clone(),
            key: key.span(),
            value: value.span(),
            is_table,
        });
        if let DeValue::Table(inner) = value.get_ref() {
            collect(inner, prefix, out);
        }
        prefix.pop();
    }
}

/// A key as the user reads it: `[providers.xero] page_size`, or `[synk]` for a table.
pub(super) fn describe(path: &[String], is_table: bool) -> String {
    match path.split_last() {
        None => String::new(),
        Some(_) if is_table => format!("[{}]", path.join(".")),
        Some((last, [])) => last.clone(),
        Some((last, section)) => format!("[{}] {last}", section.join(".")),
    }
}

/// The 1-based line that holds byte `at` of `text`.
pub(super) fn line_at(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The key an error at `span` is about: the innermost key whose name or value covers it,
/// described as the user reads it.
pub(super) fn key_at(text: &str, span: Range<usize>) -> Option<String> {
    let covers = |r: &Range<usize>| r.start <= span.start && span.start < r.end.max(r.start + 1);
    entries(text)
        .into_iter()
        .filter(|e| covers(&e.key) || covers(&e.value))
        .max_by_key(|e| e.path.len())
        .map(|e| describe(&e.path, e.is_table))
}

/// Where the key at `path` is written, when the file has it.
pub(super) fn span_of(text: &str, path: &[&str]) -> Option<Range<usize>> {
    entries(text)
        .into_iter()
        .find(|e| e.path.iter().map(String::as_str).eq(path.iter().copied()))
        .map(|e| e.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[sandbox]\nurl = \"x\"\n\n[providers.xero]\npage_size = 0\n";

    #[test]
    fn keys_are_found_by_position_and_by_path() {
        let at = TEXT.find("0\n").unwrap();
        assert_eq!(
            key_at(TEXT, at..at + 1).as_deref(),
            Some("[providers.xero] page_size")
        );
        let span = span_of(TEXT, &["providers", "xero", "page_size"]).unwrap();
        assert_eq!(line_at(TEXT, span.start), 5);
        let header = span_of(TEXT, &["providers", "xero"]).unwrap();
        assert_eq!(line_at(TEXT, header.start), 4);
        assert_eq!(span_of(TEXT, &["sync"]), None);
    }
}
