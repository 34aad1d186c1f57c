//! Block Kit checks, as Slack makes them before it posts a message (Slack's docs: "Blocks"
//! reference and each block's and element's field limits). A refused message answers
//! `invalid_blocks` with Slack's `errors` list, each naming the field by JSON pointer:
//!
//! `{"ok":false,"error":"invalid_blocks","errors":["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]}`
//!
//! A form argument that is not JSON at all answers `invalid_blocks_format`.

use std::collections::HashSet;

use serde_json::Value;

/// Blocks in one message (Slack's docs: "You can include up to 50 blocks in each message").
pub const MAX_BLOCKS: usize = 50;
/// A section block's `text` (Slack's docs: section block, "Maximum length for the text in
/// this field is 3000 characters").
pub const MAX_SECTION_TEXT: usize = 3000;
/// Each of a section block's `fields` ("Maximum length for the text in each item is 2000").
pub const MAX_SECTION_FIELD: usize = 2000;
/// A section block's `fields` items ("Maximum number of items is 10").
pub const MAX_SECTION_FIELDS: usize = 10;
/// A header block's `text` ("Maximum length for the text in this field is 150 characters").
pub const MAX_HEADER_TEXT: usize = 150;
/// An actions block's `elements` ("There is a maximum of 25 elements in each action block").
pub const MAX_ACTIONS: usize = 25;
/// A context block's `elements` ("Maximum number of items is 10").
pub const MAX_CONTEXT: usize = 10;
/// A button's `text` ("Maximum length for the text in this field is 75 characters").
pub const MAX_BUTTON_TEXT: usize = 75;
/// A button's `value` ("Maximum length for this field is 2000 characters").
pub const MAX_BUTTON_VALUE: usize = 2000;
/// `block_id` and `action_id` ("Maximum length for this field is 255 characters").
pub const MAX_ID: usize = 255;
/// An image block's `alt_text` and `image_url` limits (2000 and 3000 characters).
pub const MAX_ALT_TEXT: usize = 2000;
/// See [`MAX_ALT_TEXT`].
pub const MAX_IMAGE_URL: usize = 3000;
/// A markdown block's `text` (12,000 characters cumulative per payload).
pub const MAX_MARKDOWN_TEXT: usize = 12_000;

/// Checks `blocks` (already decoded from a form's string where it was one) and gives them
/// back as a list, or Slack's `errors` for `invalid_blocks`.
pub fn check(blocks: &Value) -> Result<Vec<Value>, Vec<String>> {
    let Some(list) = blocks.as_array() else {
        return Err(vec!["must provide an array [json-pointer:/blocks]".into()]);
    };
    let mut errors = Vec::new();
    if list.len() > MAX_BLOCKS {
        errors.push(format!(
            "no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
        ));
    }
    let mut block_ids = HashSet::new();
    for (i, block) in list.iter().enumerate() {
        let at = format!("/blocks/{i}");
        let Some(obj) = block.as_object() else {
            errors.push(format!("must provide an object [json-pointer:{at}]"));
            continue;
        };
        if let Some(id) = obj.get("block_id") {
            match id.as_str() {
                Some(id) if id.chars().count() > MAX_ID => {
                    errors.push(too_long(MAX_ID, &format!("{at}/block_id")))
                }
                Some(id) if !block_ids.insert(id.to_owned()) => errors.push(format!(
                    "duplicate block_id {id} [json-pointer:{at}/block_id]"
                )),
                Some(_) => {}
                None => errors.push(format!(
                    "must provide a string [json-pointer:{at}/block_id]"
                )),
            }
        }
        let Some(kind) = obj.get("type").and_then(Value::as_str) else {
            errors.push(format!("missing required field: type [json-pointer:{at}]"));
            continue;
        };
        match kind {
            "section" => section(block, &at, &mut errors),
            "header" => match block.get("text") {
                Some(text) => text_object(
                    text,
                    &format!("{at}/text"),
                    MAX_HEADER_TEXT,
                    true,
                    &mut errors,
                ),
                None => errors.push(missing("text", &at)),
            },
            "divider" => {}
            "context" => match block.get("elements").and_then(Value::as_array) {
                Some(elements) if !elements.is_empty() && elements.len() <= MAX_CONTEXT => {
                    for (j, element) in elements.iter().enumerate() {
                        let here = format!("{at}/elements/{j}");
                        match element.get("type").and_then(Value::as_str) {
                            Some("plain_text") | Some("mrkdwn") => {
                                text_object(element, &here, usize::MAX, false, &mut errors)
                            }
                            Some("image") => {}
                            _ => errors.push(format!(
                                "must be a text object or an image element [json-pointer:{here}]"
                            )),
                        }
                    }
                }
                Some(elements) if elements.len() > MAX_CONTEXT => errors.push(format!(
                    "no more than {MAX_CONTEXT} items allowed [json-pointer:{at}/elements]"
                )),
                _ => errors.push(missing("elements", &at)),
            },
            "actions" => match block.get("elements").and_then(Value::as_array) {
                Some(elements) if !elements.is_empty() && elements.len() <= MAX_ACTIONS => {
                    for (j, element) in elements.iter().enumerate() {
                        interactive(element, &format!("{at}/elements/{j}"), &mut errors);
                    }
                }
                Some(elements) if elements.len() > MAX_ACTIONS => errors.push(format!(
                    "no more than {MAX_ACTIONS} items allowed [json-pointer:{at}/elements]"
                )),
                _ => errors.push(missing("elements", &at)),
            },
            "image" => image(block, &at, &mut errors),
            "markdown" => match block.get("text").and_then(Value::as_str) {
                Some(text) if text.chars().count() > MAX_MARKDOWN_TEXT => {
                    errors.push(too_long(MAX_MARKDOWN_TEXT, &format!("{at}/text")))
                }
                Some(_) => {}
                None => errors.push(missing("text", &at)),
            },
            // Not checked further: the stand-in keeps them as sent.
            "rich_text" | "file" | "input" | "video" | "context_actions" => {}
            other => errors.push(format!(
                "unsupported type: {other} [json-pointer:{at}/type]"
            )),
        }
    }
    if errors.is_empty() {
        Ok(list.clone())
    } else {
        Err(errors)
    }
}

fn missing(field: &str, at: &str) -> String {
    format!("missing required field: {field} [json-pointer:{at}]")
}

fn too_long(max: usize, at: &str) -> String {
    format!(
        "must be less than {} characters [json-pointer:{at}]",
        max + 1
    )
}

/// A text object: `{"type": "plain_text" | "mrkdwn", "text": "…"}`, 1 to `max` characters.
fn text_object(text: &Value, at: &str, max: usize, plain_only: bool, errors: &mut Vec<String>) {
    match text.get("type").and_then(Value::as_str) {
        Some("plain_text") => {}
        Some("mrkdwn") if !plain_only => {}
        Some("mrkdwn") => errors.push(format!("must be plain_text [json-pointer:{at}/type]")),
        _ => errors.push(format!(
            "must be one of plain_text, mrkdwn [json-pointer:{at}/type]"
        )),
    }
    match text.get("text").and_then(Value::as_str) {
        Some("") => errors.push(format!(
            "must be more than 0 characters [json-pointer:{at}/text]"
        )),
        Some(s) if s.chars().count() > max => errors.push(too_long(max, &format!("{at}/text"))),
        Some(_) => {}
        None => errors.push(missing("text", at)),
    }
}

fn section(block: &Value, at: &str, errors: &mut Vec<String>) {
    let text = block.get("text");
    let fields = block.get("fields").and_then(Value::as_array);
    if text.is_none() && fields.is_none() {
        errors.push(format!(
            "must provide either text or fields [json-pointer:{at}]"
        ));
    }
    if let Some(text) = text {
        text_object(text, &format!("{at}/text"), MAX_SECTION_TEXT, false, errors);
    }
    if let Some(fields) = fields {
        if fields.len() > MAX_SECTION_FIELDS {
            errors.push(format!(
                "no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{at}/fields]"
            ));
        }
        for (j, field) in fields.iter().enumerate() {
            text_object(
                field,
                &format!("{at}/fields/{j}"),
                MAX_SECTION_FIELD,
                false,
                errors,
            );
        }
    }
    if let Some(accessory) = block.get("accessory") {
        if accessory.get("type").and_then(Value::as_str) == Some("image") {
            return;
        }
        interactive(accessory, &format!("{at}/accessory"), errors);
    }
}

fn image(block: &Value, at: &str, errors: &mut Vec<String>) {
    match (
        block.get("image_url").and_then(Value::as_str),
        block.get("slack_file"),
    ) {
        (Some(url), _) if url.chars().count() > MAX_IMAGE_URL => {
            errors.push(too_long(MAX_IMAGE_URL, &format!("{at}/image_url")))
        }
        (Some(_), _) | (None, Some(_)) => {}
        (None, None) => errors.push(missing("image_url", at)),
    }
    match block.get("alt_text").and_then(Value::as_str) {
        Some(alt) if alt.chars().count() > MAX_ALT_TEXT => {
            errors.push(too_long(MAX_ALT_TEXT, &format!("{at}/alt_text")))
        }
        Some(_) => {}
        None => errors.push(missing("alt_text", at)),
    }
}

/// An interactive element; buttons are checked field by field, others only for a type.
fn interactive(element: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(kind) = element.get("type").and_then(Value::as_str) else {
        errors.push(format!("missing required field: type [json-pointer:{at}]"));
        return;
    };
    if let Some(id) = element.get("action_id").and_then(Value::as_str) {
        if id.chars().count() > MAX_ID {
            errors.push(too_long(MAX_ID, &format!("{at}/action_id")));
        }
    }
    if kind != "button" {
        return;
    }
    match element.get("text") {
        Some(text) => text_object(text, &format!("{at}/text"), MAX_BUTTON_TEXT, true, errors),
        None => errors.push(missing("text", at)),
    }
    if let Some(value) = element.get("value").and_then(Value::as_str) {
        if value.chars().count() > MAX_BUTTON_VALUE {
            errors.push(too_long(MAX_BUTTON_VALUE, &format!("{at}/value")));
        }
    }
    if let Some(style) = element.get("style").and_then(Value::as_str) {
        if style != "primary" && style != "danger" {
            errors.push(format!(
                "must be one of primary, danger [json-pointer:{at}/style]"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(blocks: Value) -> Vec<String> {
        match check(&blocks) {
            Err(e) => e,
            other => panic!("expected invalid blocks, got {other:?}"),
        }
    }

    #[test]
    fn good_blocks_pass() {
        let blocks = json!([
            {"type": "header", "text": {"type": "plain_text", "text": "November 2024"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*12.3 t*"},
             "fields": [{"type": "mrkdwn", "text": "a"}]},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "sandbox"}]},
            {"type": "actions", "elements": [{"type": "button", "action_id": "retry_sync",
              "text": {"type": "plain_text", "text": "Retry sync"}, "value": "7", "style": "primary"}]},
            {"type": "image", "image_url": "https://example.org/c.png", "alt_text": "chart"},
        ]);
        assert_eq!(check(&blocks).unwrap().len(), 6);
    }

    #[test]
    fn limits_and_shapes_are_refused_with_pointers() {
        assert_eq!(
            errors(json!({"type": "divider"})),
            vec!["must provide an array [json-pointer:/blocks]"]
        );
        let many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
        assert!(errors(Value::Array(many))[0].contains("no more than 50"));
        assert_eq!(
            errors(json!([{"text": "x"}])),
            vec!["missing required field: type [json-pointer:/blocks/0]"]
        );
        let long = "x".repeat(3001);
        assert_eq!(
            errors(json!([{"type": "section", "text": {"type": "mrkdwn", "text": long}}])),
            vec!["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
        );
        assert!(check(
            &json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3000)}}])
        )
        .is_ok());
        let header = "h".repeat(151);
        assert_eq!(
            errors(json!([{"type": "header", "text": {"type": "plain_text", "text": header}}])),
            vec!["must be less than 151 characters [json-pointer:/blocks/0/text/text]"]
        );
        assert!(
            !errors(json!([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]))
                .is_empty()
        );
        assert!(!errors(json!([{"type": "sparkle"}])).is_empty());
        assert!(!errors(json!([{"type": "actions", "elements": []}])).is_empty());
    }
}
