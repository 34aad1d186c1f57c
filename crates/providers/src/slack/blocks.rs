//! CarbonSync's messages as Slack Block Kit: the monthly report, an alert, and an alert
//! updated after its "Retry sync" button was clicked.
//!
//! Slack's limits are kept here, not left to Slack to refuse (numbers from Slack's Block Kit
//! reference: <https://api.slack.com/reference/block-kit/blocks>): at most [`MAX_BLOCKS`]
//! blocks a message, a `header`'s plain text at most [`MAX_HEADER_CHARS`] characters, a
//! `section`'s text at most [`MAX_SECTION_CHARS`], at most [`MAX_FIELDS`] fields a section of
//! at most [`MAX_FIELD_CHARS`] each. Long text is cut on a character boundary, never inside
//! an escape, and ends with `…`.
//!
//! Every piece of user data put into `mrkdwn` (labels, supplier and connection names, notes,
//! what happened) has `&`, `<` and `>` escaped, as Slack asks
//! (<https://api.slack.com/reference/surfaces/formatting#escaping>), so a supplier named
//! `<!channel>` is shown, not obeyed.

use serde_json::{json, Value};

use crate::notifier::words::{
    alert_status, change_line, fallback_text, report_title, share_line, t_co2e, unmapped_line,
    utc_time,
};
use crate::notifier::{Alert, EsgReport, Figure, Message};

/// Blocks a message may have (Slack: 50).
pub const MAX_BLOCKS: usize = 50;
/// Characters of a `header` block's text (Slack: 150).
pub const MAX_HEADER_CHARS: usize = 150;
/// Characters of a `section` block's text (Slack: 3000).
pub const MAX_SECTION_CHARS: usize = 3000;
/// Fields of a `section` block (Slack: 10).
pub const MAX_FIELDS: usize = 10;
/// Characters of one field of a `section` block (Slack: 2000).
pub const MAX_FIELD_CHARS: usize = 2000;
/// Characters of a `context` block's text element (Slack: 3000 for any text object; kept
/// shorter since a context line is small print).
pub const MAX_CONTEXT_CHARS: usize = 1000;

/// Characters of one label (a category or supplier name) in a list; CarbonSync's own cap,
/// so that five of them always fit a section.
pub const MAX_LABEL_CHARS: usize = 120;
/// Characters of a connection's name, what happened, or the fix, in an alert.
pub const MAX_ALERT_TEXT_CHARS: usize = 900;
/// Items of a "largest" list shown (the report holds the five largest).
pub const MAX_LIST_ITEMS: usize = 10;

/// The `action_id` of the "Retry sync" button; its `value` is the connection's id.
pub const RETRY_ACTION_ID: &str = "retry_sync";

/// `s` with `&`, `<` and `>` replaced by `&amp;`, `&lt;` and `&gt;`: Slack's rule for text
/// put into `mrkdwn` (or a message's top-level `text`) that must be shown, not parsed.
pub fn escape_mrkdwn(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The message's top-level `text` for `chat.postMessage` or a webhook: the plain-text
/// [`fallback_text`] escaped for Slack, cut to [`MAX_SECTION_CHARS`] characters (Slack's
/// notifications show only the beginning).
pub fn notification_text(m: &Message) -> String {
    cut_mrkdwn(&escape_mrkdwn(&fallback_text(m)), MAX_SECTION_CHARS)
}

/// The monthly report as Block Kit: a JSON array of at most [`MAX_BLOCKS`] blocks.
///
/// In order: a `header` ("Emissions report · November 2024", "(sandbox)" added for sandbox
/// data); a `section` with the total and the spend-based and reported split as fields; a
/// `section` by scope; the month-on-month and year-on-year changes; the largest categories
/// and suppliers as numbered lists; the share spend-based vs reported; the entries to review
/// (only when there are some); the overlap note (when there is one); a `context` block with
/// the method; and `chart_note` (why a chart is missing, say) as a last `context` line.
pub fn report_blocks(r: &EsgReport, chart_note: Option<&str>) -> Value {
    let mut blocks = vec![
        header(&report_title(r)),
        json!({
            "type": "section",
            "text": mrkdwn(format!("*Total: {}*", tonnes(r.total_t_co2e))),
            "fields": fields(
                [
                    Some(format!("*Spend-based, from the books*\n{}", tonnes(r.spend_based_t_co2e))),
                    Some(format!("*Reported by providers*\n{}", tonnes(r.reported_t_co2e))),
                    (!r.overlap_t_co2e.is_zero()).then(|| {
                        format!("*Counted in both, left out*\n{}", tonnes(r.overlap_t_co2e))
                    }),
                ]
                .into_iter()
                .flatten(),
            ),
        }),
    ];

    let mut scope = json!({ "type": "section", "text": mrkdwn("*By scope*".to_owned()) });
    if !r.by_scope.is_empty() {
        scope["fields"] = fields(r.by_scope.iter().map(|f| {
            format!(
                "*{}*\n{}",
                escape_mrkdwn(&cut(&f.label, MAX_LABEL_CHARS)),
                tonnes(f.t_co2e)
            )
        }));
    }
    blocks.push(scope);

    blocks.push(section(format!(
        "*Month on month:* {}\n*Year on year:* {}",
        escape_mrkdwn(&change_line(&r.vs_previous_month)),
        escape_mrkdwn(&change_line(&r.vs_year_before)),
    )));
    blocks.push(section(list("Largest categories", &r.top_categories)));
    blocks.push(section(list("Largest suppliers", &r.top_suppliers)));
    blocks.push(section(format!("*Share:* {}", share_line(r))));
    if let Some(line) = unmapped_line(r.unmapped_entries) {
        // "3 entries to review: …" with the count in bold.
        let (count, rest) = line.split_once(':').unwrap_or((&line, ""));
        blocks.push(section(format!("*{count}:*{}", escape_mrkdwn(rest))));
    }
    if let Some(note) = &r.overlap_note {
        blocks.push(section(format!(
            "*Overlap:* {}",
            escape_mrkdwn(&cut(note, MAX_ALERT_TEXT_CHARS))
        )));
    }
    blocks.push(context(&escape_mrkdwn(&r.method)));
    if let Some(note) = chart_note {
        blocks.push(context(&escape_mrkdwn(note)));
    }
    within_limit(blocks)
}

/// An alert as Block Kit: a `section` whose text is the status in words ("Sync failed",
/// "Reconnect needed", "Syncs paused by a platform limit", "Resolved: …"), what happened and
/// the fix, with the connection and the time (Slack's `<!date^…>`, shown in each reader's
/// time zone) as fields; then, when `a.retry_button` is set and the incident is open, an
/// `actions` block with one primary button "Retry sync" (`action_id` [`RETRY_ACTION_ID`],
/// `value` the connection id).
pub fn alert_blocks(a: &Alert) -> Value {
    let mut blocks = vec![alert_section(a)];
    if a.retry_button && !a.resolved {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "action_id": RETRY_ACTION_ID,
                "text": { "type": "plain_text", "text": "Retry sync" },
                "value": a.connection_id.to_string(),
                "style": "primary",
            }],
        }));
    }
    within_limit(blocks)
}

/// The alert's blocks after its button was clicked: as [`alert_blocks`], with the button
/// replaced by a `context` line saying `outcome` ("Retried: 214 records read"), for
/// `chat.update` of the same message.
pub fn retry_result_blocks(a: &Alert, outcome: &str) -> Value {
    within_limit(vec![
        alert_section(a),
        context(&escape_mrkdwn(&cut(outcome, MAX_ALERT_TEXT_CHARS))),
    ])
}

fn alert_section(a: &Alert) -> Value {
    let sandbox = if a.sandbox { " (sandbox)" } else { "" };
    let mut text = format!(
        "*{}*{sandbox}\n{}",
        alert_status(a),
        escape_mrkdwn(&cut(&a.what, MAX_ALERT_TEXT_CHARS))
    );
    if !a.resolved && !a.fix.trim().is_empty() {
        text.push_str("\n*What to do:* ");
        text.push_str(&escape_mrkdwn(&cut(&a.fix, MAX_ALERT_TEXT_CHARS)));
    }
    json!({
        "type": "section",
        "text": mrkdwn(text),
        "fields": fields([
            format!("*Connection*\n{}", escape_mrkdwn(&cut(&a.connection, MAX_ALERT_TEXT_CHARS))),
            format!("*When*\n{}", slack_date(a)),
        ]),
    })
}

/// `<!date^1732975500^{date_short_pretty} {time}|30 Nov 2024 14:05 UTC>`: the reader's own
/// time zone in Slack, the UTC words where the client cannot format it.
fn slack_date(a: &Alert) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
        a.at.timestamp(),
        utc_time(a.at)
    )
}

/// `*Title*` then `1. Label: 12.3 t CO2e` a line (labels escaped and cut), or `None yet.`
fn list(title: &str, figures: &[Figure]) -> String {
    let mut text = format!("*{title}*");
    if figures.is_empty() {
        text.push_str("\nNone this period.");
    }
    for (i, f) in figures.iter().take(MAX_LIST_ITEMS).enumerate() {
        let label = escape_mrkdwn(&cut(&f.label, MAX_LABEL_CHARS));
        text.push_str(&format!("\n{}. {label}: {}", i + 1, tonnes(f.t_co2e)));
    }
    text
}

/// Tonnes as [`t_co2e`] words them, escaped: `< 0.1 t CO2e` holds a `<`.
fn tonnes(t: rust_decimal::Decimal) -> String {
    escape_mrkdwn(&t_co2e(t))
}

fn header(text: &str) -> Value {
    json!({
        "type": "header",
        "text": { "type": "plain_text", "text": cut(text, MAX_HEADER_CHARS) },
    })
}

fn section(text: String) -> Value {
    json!({ "type": "section", "text": mrkdwn(text) })
}

fn context(text: &str) -> Value {
    json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": cut_mrkdwn(text, MAX_CONTEXT_CHARS) }],
    })
}

fn mrkdwn(text: String) -> Value {
    json!({ "type": "mrkdwn", "text": cut_mrkdwn(&text, MAX_SECTION_CHARS) })
}

fn fields(texts: impl IntoIterator<Item = String>) -> Value {
    Value::Array(
        texts
            .into_iter()
            .take(MAX_FIELDS)
            .map(|t| json!({ "type": "mrkdwn", "text": cut_mrkdwn(&t, MAX_FIELD_CHARS) }))
            .collect(),
    )
}

fn within_limit(mut blocks: Vec<Value>) -> Value {
    blocks.truncate(MAX_BLOCKS);
    Value::Array(blocks)
}

/// Plain text cut to at most `max` characters, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// Escaped `mrkdwn` cut to at most `max` characters without leaving half an escape
/// (`&am`) or half a Slack tag (`<!date^…`) at the end.
fn cut_mrkdwn(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut kept: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(amp) = kept.rfind('&') {
        if !kept[amp..].contains(';') {
            kept.truncate(amp);
        }
    }
    if let Some(open) = kept.rfind('<') {
        if !kept[open..].contains('>') {
            kept.truncate(open);
        }
    }
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifier::words::tests::{alert, report};
    use crate::notifier::AlertKind;

    fn blocks(v: &Value) -> &Vec<Value> {
        v.as_array().expect("an array of blocks")
    }

    fn all_text(v: &Value) -> String {
        serde_json::to_string(v).unwrap()
    }

    /// Every `mrkdwn` text in the blocks.
    fn mrkdwn_texts(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("mrkdwn") {
                    out.push(map["text"].as_str().unwrap().to_owned());
                }
                map.values().for_each(|v| mrkdwn_texts(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| mrkdwn_texts(v, out)),
            _ => {}
        }
    }

    fn assert_within_slack_limits(v: &Value) {
        let blocks = blocks(v);
        assert!(blocks.len() <= MAX_BLOCKS);
        for block in blocks {
            match block["type"].as_str().unwrap() {
                "header" => {
                    assert_eq!(block["text"]["type"], "plain_text");
                    let text = block["text"]["text"].as_str().unwrap();
                    assert!(text.chars().count() <= MAX_HEADER_CHARS);
                }
                "section" => {
                    let text = block["text"]["text"].as_str().unwrap();
                    assert!(text.chars().count() <= MAX_SECTION_CHARS);
                    if let Some(fields) = block.get("fields") {
                        let fields = fields.as_array().unwrap();
                        assert!(!fields.is_empty() && fields.len() <= MAX_FIELDS);
                        for field in fields {
                            let text = field["text"].as_str().unwrap();
                            assert!(text.chars().count() <= MAX_FIELD_CHARS);
                        }
                    }
                }
                "context" => {
                    let elements = block["elements"].as_array().unwrap();
                    assert!(!elements.is_empty() && elements.len() <= 10);
                }
                "actions" => {
                    let elements = block["elements"].as_array().unwrap();
                    assert!(!elements.is_empty() && elements.len() <= 25);
                }
                other => panic!("unexpected block type {other}"),
            }
        }
    }

    #[test]
    fn report_blocks_in_order() {
        let v = report_blocks(&report(), Some("The chart was left out: no font."));
        assert_within_slack_limits(&v);
        let blocks = blocks(&v);
        let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "header", "section", "section", "section", "section", "section", "section",
                "section", "section", "context", "context"
            ]
        );
        assert_eq!(
            blocks[0]["text"]["text"],
            "Emissions report · November 2024"
        );
        assert_eq!(blocks[1]["text"]["text"], "*Total: 1,234.5 t CO2e*");
        assert_eq!(blocks[1]["fields"].as_array().unwrap().len(), 2);
        assert_eq!(
            blocks[1]["fields"][0]["text"],
            "*Spend-based, from the books*\n1,000.1 t CO2e"
        );
        assert_eq!(blocks[2]["fields"].as_array().unwrap().len(), 3);
        assert_eq!(blocks[2]["fields"][1]["text"], "*Scope 2*\n&lt; 0.1 t CO2e");
        let changes = blocks[3]["text"]["text"].as_str().unwrap();
        assert!(changes.contains("*Month on month:* +12.2% against October 2024 (1,100.0 t CO2e)"));
        assert!(changes.contains("*Year on year:* \u{2212}4.0% against November 2023"));
        let categories = blocks[4]["text"]["text"].as_str().unwrap();
        assert!(categories.starts_with(
            "*Largest categories*\n1. Purchased goods and services: 800.1 t CO2e\n2. "
        ));
        assert_eq!(categories.lines().count(), 6);
        assert!(blocks[7]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("open CarbonSync → Emissions to map them"));
        assert!(blocks[8]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("*Overlap:* "));
        assert_eq!(
            blocks[10]["elements"][0]["text"],
            "The chart was left out: no font."
        );
    }

    #[test]
    fn report_blocks_leave_out_what_is_not_there() {
        let mut r = report();
        r.unmapped_entries = 0;
        r.overlap_note = None;
        r.sandbox = true;
        r.top_suppliers.clear();
        let v = report_blocks(&r, None);
        assert_within_slack_limits(&v);
        let text = all_text(&v);
        assert!(!text.contains("to review"));
        assert!(!text.contains("Overlap"));
        assert!(text.contains("*Largest suppliers*\\nNone this period."));
        assert_eq!(
            blocks(&v)[0]["text"]["text"],
            "Emissions report · November 2024 (sandbox)"
        );
        assert_eq!(blocks(&v).len(), 8);
    }

    #[test]
    fn user_data_is_escaped_so_nobody_is_pinged() {
        let mut r = report();
        r.overlap_note = Some("See <https://evil.example|this> & <!here>".to_owned());
        r.method = "<@U123> method".to_owned();
        let v = report_blocks(&r, Some("<!everyone>"));
        let mut texts = Vec::new();
        mrkdwn_texts(&v, &mut texts);
        let joined = texts.join("\n");
        assert!(
            joined.contains("2. &lt;!channel&gt;: 300.0 t CO2e"),
            "{joined}"
        );
        assert!(
            joined.contains("1. Harbour &amp; Pine Ltd: 500.0 t CO2e"),
            "{joined}"
        );
        assert!(
            joined.contains("Acme &lt;b&gt;Travel&lt;/b&gt;"),
            "{joined}"
        );
        assert!(joined.contains("&lt;https://evil.example|this&gt; &amp; &lt;!here&gt;"));
        assert!(joined.contains("&lt;@U123&gt; method"));
        assert!(joined.contains("&lt;!everyone&gt;"));
        for text in &texts {
            assert!(
                !text.contains('<') && !text.contains('>'),
                "unescaped: {text}"
            );
            // Every & starts an escape.
            for (i, _) in text.match_indices('&') {
                let rest = &text[i..];
                assert!(
                    rest.starts_with("&amp;")
                        || rest.starts_with("&lt;")
                        || rest.starts_with("&gt;"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn long_labels_are_cut_within_limits() {
        let mut r = report();
        r.period_label = "N".repeat(400);
        let long = "é&<".repeat(2000);
        for f in r
            .top_categories
            .iter_mut()
            .chain(r.top_suppliers.iter_mut())
        {
            f.label = long.clone();
        }
        r.by_scope = (0..14)
            .map(|i| Figure {
                label: format!("{i}{long}"),
                t_co2e: rust_decimal::Decimal::ONE,
            })
            .collect();
        r.overlap_note = Some(long.clone());
        r.method = long.clone();
        let v = report_blocks(&r, Some(&long));
        assert_within_slack_limits(&v);
        let header = blocks(&v)[0]["text"]["text"].as_str().unwrap();
        assert_eq!(header.chars().count(), MAX_HEADER_CHARS);
        assert!(header.ends_with('…'));
        assert_eq!(
            blocks(&v)[2]["fields"].as_array().unwrap().len(),
            MAX_FIELDS
        );
        let mut texts = Vec::new();
        mrkdwn_texts(&v, &mut texts);
        for text in &texts {
            for (i, _) in text.match_indices('&') {
                let rest = &text[i..];
                assert!(
                    rest.starts_with("&amp;") || rest.starts_with("&lt;"),
                    "half an escape"
                );
            }
        }
    }

    #[test]
    fn cutting_never_splits_an_escape() {
        let text = escape_mrkdwn("aaaa&bbbb");
        // "aaaa&amp;bbbb": a cut at 7 would leave "aaaa&am".
        assert_eq!(cut_mrkdwn(&text, 8), "aaaa…");
        assert_eq!(cut_mrkdwn("ab <!date^1^x|y> cd", 10), "ab…");
        assert_eq!(cut("ééééé", 3), "éé…");
        assert_eq!(cut("short", 5), "short");
    }

    #[test]
    fn alert_with_a_retry_button() {
        let a = alert();
        let v = alert_blocks(&a);
        assert_within_slack_limits(&v);
        let blocks = blocks(&v);
        assert_eq!(blocks.len(), 2);
        let text = blocks[0]["text"]["text"].as_str().unwrap();
        assert!(text.starts_with("*Sync failed*\n"), "{text}");
        assert!(text.contains("Xero answered 500 &lt;!here&gt;."), "{text}");
        assert!(text.contains("*What to do:* Retry later"), "{text}");
        assert_eq!(
            blocks[0]["fields"][0]["text"],
            "*Connection*\nXero: Harbour &amp; Pine Ltd"
        );
        assert_eq!(
            blocks[0]["fields"][1]["text"],
            "*When*\n<!date^1732975500^{date_short_pretty} {time}|30 Nov 2024 14:05 UTC>"
        );
        let button = &blocks[1]["elements"][0];
        assert_eq!(blocks[1]["type"], "actions");
        assert_eq!(button["type"], "button");
        assert_eq!(button["action_id"], "retry_sync");
        assert_eq!(button["value"], "42");
        assert_eq!(button["style"], "primary");
        assert_eq!(button["text"]["text"], "Retry sync");
    }

    #[test]
    fn no_button_when_resolved_or_not_asked() {
        let mut a = alert();
        a.retry_button = false;
        assert_eq!(blocks(&alert_blocks(&a)).len(), 1);

        let mut a = alert();
        a.resolved = true;
        a.kind = AlertKind::LimitPaused;
        let v = alert_blocks(&a);
        assert_eq!(blocks(&v).len(), 1);
        let text = blocks(&v)[0]["text"]["text"].as_str().unwrap();
        assert!(text.starts_with("*Resolved: syncs resumed*\n"), "{text}");
        assert!(!text.contains("What to do"), "{text}");
        assert!(!all_text(&v).contains("retry_sync"));

        let mut a = alert();
        a.kind = AlertKind::NeedsReconnect;
        a.sandbox = true;
        let v = alert_blocks(&a);
        let text = blocks(&v)[0]["text"]["text"].as_str().unwrap();
        assert!(text.starts_with("*Reconnect needed* (sandbox)\n"), "{text}");
    }

    #[test]
    fn retry_result_replaces_the_button() {
        let v = retry_result_blocks(&alert(), "Retried: 214 records read <ok>");
        assert_within_slack_limits(&v);
        let blocks = blocks(&v);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0], alert_blocks(&alert())[0]);
        assert_eq!(blocks[1]["type"], "context");
        assert_eq!(
            blocks[1]["elements"][0]["text"],
            "Retried: 214 records read &lt;ok&gt;"
        );
        assert!(!all_text(&v).contains("\"actions\""));
    }

    #[test]
    fn notification_text_is_escaped() {
        let text = notification_text(&Message::Alert(alert()));
        assert!(
            text.starts_with("Sync failed: Xero: Harbour &amp; Pine Ltd\n"),
            "{text}"
        );
        assert!(text.contains("&lt;!here&gt;"));
    }
}
