//! CarbonSync's messages as an Adaptive Card (version 1.5, full width) inside the body a
//! Power Automate Workflows webhook ("Post to a channel when a webhook request is
//! received") takes: a `message` with one Adaptive Card attachment.
//!
//! The words are those of Slack's blocks ([`crate::notifier::words`]); figures go into
//! FactSets, the chart into an `Image` whose URL is a `data:` URI. An alert has no button:
//! a workflow cannot call CarbonSync back.

use base64::Engine;
use serde_json::{json, Value};

use crate::notifier::words::{
    alert_status, change_line, report_title, share_line, t_co2e, unmapped_line,
};
use crate::notifier::{Alert, ChartImage, EsgReport, Figure, Message};

/// The largest body Teams takes, in bytes of serialized JSON, image included. Microsoft
/// documents "about 28 KB" for a message posted to a channel, beyond which the post fails
/// with "Request Entity too large" (the Microsoft Teams connector's known limitations,
/// <https://learn.microsoft.com/connectors/teams/#known-issues-and-limitations-with-actions>,
/// and "the message size limit is 28 KB" for incoming webhooks,
/// <https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook>).
pub const TEAMS_MESSAGE_LIMIT_BYTES: usize = 28 * 1024;

/// Characters of one label (a category or supplier name), CarbonSync's own cap.
pub const MAX_LABEL_CHARS: usize = 120;
/// Characters of free text (what happened, the fix, the overlap note, the method).
pub const MAX_TEXT_CHARS: usize = 900;

/// The whole request body for a Workflows webhook: `{"type": "message", "attachments":
/// [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null,
/// "content": <AdaptiveCard 1.5, msteams width Full>}]}`.
///
/// A report's card has its title, the total and its split, FactSets by scope, of the changes,
/// of the largest categories and suppliers, the share, the entries to review, the overlap
/// note and the method; `chart` (when given) goes in after the changes as an `Image` with
/// a `data:image/png;base64,…` URL and its alt text. An alert's card has its status, the
/// connection, what happened, the fix and the time (shown in the reader's time zone), and
/// no button. Check the result with [`fits`]: a chart too large for Teams must be left out.
pub fn payload(message: &Message, chart: Option<&ChartImage>) -> Value {
    let body = match message {
        Message::Report(r) => report_body(r, chart),
        Message::Alert(a) => alert_body(a),
    };
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.5",
                "msteams": { "width": "Full" },
                "body": body,
            },
        }],
    })
}

/// Whether `payload` serialized is at most [`TEAMS_MESSAGE_LIMIT_BYTES`] bytes.
pub fn fits(payload: &Value) -> bool {
    serde_json::to_vec(payload).is_ok_and(|bytes| bytes.len() <= TEAMS_MESSAGE_LIMIT_BYTES)
}

fn report_body(r: &EsgReport, chart: Option<&ChartImage>) -> Vec<Value> {
    let mut body = vec![
        json!({
            "type": "TextBlock",
            "text": plain(&report_title(r), MAX_LABEL_CHARS),
            "size": "Large",
            "weight": "Bolder",
            "style": "heading",
            "wrap": true,
        }),
        json!({
            "type": "TextBlock",
            "text": format!("Total: {}", t_co2e(r.total_t_co2e)),
            "size": "Medium",
            "weight": "Bolder",
            "wrap": true,
        }),
        fact_set(
            [
                Some((
                    "Spend-based, from the books".to_owned(),
                    t_co2e(r.spend_based_t_co2e),
                )),
                Some((
                    "Reported by providers".to_owned(),
                    t_co2e(r.reported_t_co2e),
                )),
                (!r.overlap_t_co2e.is_zero()).then(|| {
                    (
                        "Counted in both, left out".to_owned(),
                        t_co2e(r.overlap_t_co2e),
                    )
                }),
            ]
            .into_iter()
            .flatten(),
        ),
        heading("By scope"),
        figures(&r.by_scope),
        fact_set([
            (
                "Month on month".to_owned(),
                plain(&change_line(&r.vs_previous_month), MAX_TEXT_CHARS),
            ),
            (
                "Year on year".to_owned(),
                plain(&change_line(&r.vs_year_before), MAX_TEXT_CHARS),
            ),
        ]),
    ];
    if let Some(chart) = chart {
        body.push(json!({
            "type": "Image",
            "url": data_uri(&chart.png),
            "altText": plain(&chart.alt_text, MAX_TEXT_CHARS),
            "size": "Auto",
            "spacing": "Medium",
        }));
    }
    body.push(heading("Largest categories"));
    body.push(figures(&r.top_categories));
    body.push(heading("Largest suppliers"));
    body.push(figures(&r.top_suppliers));
    body.push(text(format!("Share: {}", share_line(r))));
    if let Some(line) = unmapped_line(r.unmapped_entries) {
        let mut block = text(line);
        block["color"] = json!("Warning");
        body.push(block);
    }
    if let Some(note) = &r.overlap_note {
        body.push(text(format!("Overlap: {}", plain(note, MAX_TEXT_CHARS))));
    }
    body.push(json!({
        "type": "TextBlock",
        "text": plain(&r.method, MAX_TEXT_CHARS),
        "size": "Small",
        "isSubtle": true,
        "wrap": true,
        "spacing": "Medium",
    }));
    body
}

fn alert_body(a: &Alert) -> Vec<Value> {
    let sandbox = if a.sandbox { " (sandbox)" } else { "" };
    let mut body = vec![
        json!({
            "type": "TextBlock",
            "text": format!("{}{sandbox}", alert_status(a)),
            "size": "Medium",
            "weight": "Bolder",
            "style": "heading",
            "color": if a.resolved { "Good" } else { "Attention" },
            "wrap": true,
        }),
        fact_set([(
            "Connection".to_owned(),
            plain(&a.connection, MAX_TEXT_CHARS),
        )]),
        text(plain(&a.what, MAX_TEXT_CHARS)),
    ];
    if !a.resolved && !a.fix.trim().is_empty() {
        body.push(text(format!(
            "What to do: {}",
            plain(&a.fix, MAX_TEXT_CHARS)
        )));
    }
    // Adaptive Cards' DATE and TIME functions show the moment in the reader's time zone;
    // they take RFC 3339 without fractions of a second.
    let at = a.at.format("%Y-%m-%dT%H:%M:%SZ");
    body.push(json!({
        "type": "TextBlock",
        "text": format!("{{{{DATE({at}, SHORT)}}}} {{{{TIME({at})}}}}"),
        "size": "Small",
        "isSubtle": true,
        "wrap": true,
    }));
    body
}

/// `data:image/png;base64,…` of `png`.
fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

fn heading(words: &str) -> Value {
    json!({
        "type": "TextBlock",
        "text": words,
        "weight": "Bolder",
        "spacing": "Medium",
        "wrap": true,
    })
}

fn text(words: String) -> Value {
    json!({ "type": "TextBlock", "text": words, "wrap": true })
}

/// A FactSet of labelled figures, or "None this period." when there are none.
fn figures(figures: &[Figure]) -> Value {
    if figures.is_empty() {
        return text("None this period.".to_owned());
    }
    fact_set(
        figures
            .iter()
            .map(|f| (plain(&f.label, MAX_LABEL_CHARS), t_co2e(f.t_co2e))),
    )
}

fn fact_set(facts: impl IntoIterator<Item = (String, String)>) -> Value {
    let facts: Vec<Value> = facts
        .into_iter()
        .map(|(title, value)| json!({ "title": title, "value": value }))
        .collect();
    json!({ "type": "FactSet", "facts": facts })
}

/// User data cut to `max` characters (ending with `…`), with Markdown link syntax broken
/// (a zero-width space between `]` and `(`) so that a supplier named `[Pay here](https://…)`
/// shows as words, not a link: TextBlocks and facts render a subset of Markdown.
fn plain(words: &str, max: usize) -> String {
    let cut = if words.chars().count() <= max {
        words.to_owned()
    } else {
        let kept: String = words.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    };
    cut.replace("](", "]\u{200B}(")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifier::words::tests::{alert, report};

    fn chart(bytes: Vec<u8>) -> ChartImage {
        ChartImage {
            png: bytes,
            file_name: "emissions-2024-11.png".to_owned(),
            alt_text: "Stacked bars of emissions by scope, Dec 2023 to Nov 2024".to_owned(),
        }
    }

    fn card(v: &Value) -> &Value {
        &v["attachments"][0]["content"]
    }

    fn body(v: &Value) -> &Vec<Value> {
        card(v)["body"].as_array().unwrap()
    }

    #[test]
    fn workflow_message_shape() {
        let v = payload(&Message::Report(Box::new(report())), None);
        assert_eq!(v["type"], "message");
        let attachments = v["attachments"].as_array().unwrap();
        assert_eq!(attachments.len(), 1);
        assert_eq!(
            attachments[0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert!(attachments[0]["contentUrl"].is_null());
        let card = card(&v);
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["version"], "1.5");
        assert_eq!(
            card["$schema"],
            "http://adaptivecards.io/schemas/adaptive-card.json"
        );
        assert_eq!(card["msteams"]["width"], "Full");
        for element in body(&v) {
            match element["type"].as_str().unwrap() {
                "TextBlock" => assert_eq!(element["wrap"], true),
                "FactSet" => assert!(!element["facts"].as_array().unwrap().is_empty()),
                other => panic!("unexpected {other}"),
            }
        }
        assert!(fits(&v));
    }

    #[test]
    fn report_card_has_the_figures() {
        let v = payload(&Message::Report(Box::new(report())), None);
        let body = body(&v);
        assert_eq!(body[0]["text"], "Emissions report · November 2024");
        assert_eq!(body[0]["weight"], "Bolder");
        assert_eq!(body[0]["size"], "Large");
        assert_eq!(body[1]["text"], "Total: 1,234.5 t CO2e");
        let scope = &body[4]["facts"];
        assert_eq!(scope.as_array().unwrap().len(), 3);
        assert_eq!(scope[1]["title"], "Scope 2");
        assert_eq!(scope[1]["value"], "< 0.1 t CO2e");
        assert_eq!(
            body[5]["facts"][0]["value"],
            "+12.2% against October 2024 (1,100.0 t CO2e)"
        );
        let all = serde_json::to_string(&v).unwrap();
        assert!(all.contains(r#"{"title":"<!channel>","value":"300.0 t CO2e"}"#));
        assert!(all.contains("Harbour & Pine Ltd"), "Teams takes & as it is");
        assert!(all.contains("open CarbonSync → Emissions to map them"));
        assert!(all.contains("\"color\":\"Warning\""));
        assert!(all.contains("Overlap: Salesforce reports"));
        assert!(all.contains("Share: 81.0% spend-based, 19.0% reported by providers"));
        assert!(!all.contains("\"Image\""));
    }

    #[test]
    fn chart_travels_as_a_data_uri() {
        let png: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let v = payload(
            &Message::Report(Box::new(report())),
            Some(&chart(png.clone())),
        );
        let image = body(&v)
            .iter()
            .find(|e| e["type"] == "Image")
            .expect("an Image element");
        let url = image["url"].as_str().unwrap();
        let encoded = url
            .strip_prefix("data:image/png;base64,")
            .expect("a PNG data URI");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(decoded, png);
        assert_eq!(
            image["altText"],
            "Stacked bars of emissions by scope, Dec 2023 to Nov 2024"
        );
        assert!(fits(&v));
    }

    #[test]
    fn an_18_kb_chart_fits_and_a_larger_one_is_caught() {
        let report = Message::Report(Box::new(report()));
        let v = payload(&report, Some(&chart(vec![7; 18 * 1024])));
        let size = serde_json::to_vec(&v).unwrap().len();
        println!("report card with an 18 KB chart: {size} bytes");
        assert!(fits(&v), "{size} bytes");
        assert!(!fits(&payload(&report, Some(&chart(vec![7; 21 * 1024])))));
    }

    #[test]
    fn alert_card_has_the_same_words_and_no_button() {
        let v = payload(&Message::Alert(alert()), None);
        let elements = body(&v);
        assert_eq!(elements[0]["text"], "Sync failed");
        assert_eq!(elements[0]["color"], "Attention");
        assert_eq!(elements[1]["facts"][0]["title"], "Connection");
        assert_eq!(elements[1]["facts"][0]["value"], "Xero: Harbour & Pine Ltd");
        assert_eq!(
            elements[2]["text"],
            "The last 3 syncs failed: Xero answered 500 <!here>."
        );
        assert_eq!(
            elements[3]["text"],
            "What to do: Retry later; if it goes on, check Xero's status page."
        );
        assert_eq!(
            elements[4]["text"],
            "{{DATE(2024-11-30T14:05:00Z, SHORT)}} {{TIME(2024-11-30T14:05:00Z)}}"
        );
        assert!(card(&v).get("actions").is_none());
        let all = serde_json::to_string(&v).unwrap();
        assert!(!all.contains("Action."), "{all}");
        assert!(fits(&v));

        let mut resolved = alert();
        resolved.resolved = true;
        let v = payload(&Message::Alert(resolved), None);
        assert_eq!(body(&v)[0]["text"], "Resolved: syncs work again");
        assert_eq!(body(&v)[0]["color"], "Good");
        assert!(!serde_json::to_string(&v).unwrap().contains("What to do"));
    }

    #[test]
    fn links_in_user_data_are_broken() {
        let mut r = report();
        r.top_suppliers[0].label = "[Pay here](https://evil.example)".to_owned();
        let v = payload(&Message::Report(Box::new(r)), None);
        let all = serde_json::to_string(&v).unwrap();
        assert!(!all.contains("](https://evil"));
        assert!(all.contains("[Pay here]\u{200B}(https://evil.example)"));
        assert_eq!(plain(&"é".repeat(10), 4), "ééé…");
    }
}
