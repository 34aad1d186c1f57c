//! What "Post card in a chat or channel" makes of a trigger's body: the first attachment of
//! the Adaptive Card type is the card; it is posted unless Teams would refuse it (see the
//! module docs of `teams` for the reasons), and every `data:` image in it is decoded so a
//! test can check what a chart arrived as.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CARD_CONTENT_TYPE, MAX_CARD_VERSION, MAX_MESSAGE_BYTES};

/// An image found in the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Decoded bytes (0 when the data does not decode).
    pub size: u64,
    /// Whether the bytes start with the PNG signature.
    pub png: bool,
    /// The media type the `data:` URL names (`image/png`).
    pub mime: String,
}

/// The flow's verdict on one trigger body.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    pub posted: bool,
    /// Why the card was not posted.
    pub reason: Option<String>,
    /// The card (the attachment's `content`), or `null` when there is none.
    pub card: Value,
    pub images: Vec<Image>,
}

fn refused(reason: &str, card: Value, images: Vec<Image>) -> Verdict {
    Verdict {
        posted: false,
        reason: Some(format!("the card could not be posted: {reason}")),
        card,
        images,
    }
}

/// Judges a trigger body (`size` bytes long).
pub fn judge(payload: &Value, size: usize) -> Verdict {
    let attachment = payload
        .get("attachments")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .find(|a| a.get("contentType").and_then(Value::as_str) == Some(CARD_CONTENT_TYPE))
        });
    let Some(attachment) = attachment else {
        return refused(
            &format!("the message has no attachment of type {CARD_CONTENT_TYPE}"),
            Value::Null,
            Vec::new(),
        );
    };
    let card = match attachment.get("content") {
        // Some senders put the card in as a JSON string.
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(card) => card.clone(),
        None => Value::Null,
    };
    let mut images = Vec::new();
    collect_images(&card, &mut images);
    if card.get("type").and_then(Value::as_str) != Some("AdaptiveCard") {
        return refused(
            "the attachment's content is not an AdaptiveCard",
            card,
            images,
        );
    }
    let version = card.get("version").and_then(Value::as_str).and_then(|v| {
        let (major, minor) = v.trim().split_once('.')?;
        Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
    });
    match version {
        None => return refused("the card has no version Teams can read", card, images),
        Some(v) if v > MAX_CARD_VERSION => {
            let (major, minor) = MAX_CARD_VERSION;
            return refused(
                &format!(
                    "Teams shows Adaptive Cards up to version {major}.{minor}, and this card is version {}.{}",
                    v.0, v.1
                ),
                card,
                images,
            );
        }
        Some(_) => {}
    }
    if size > MAX_MESSAGE_BYTES {
        return refused("the message is larger than Teams' 28 KB", card, images);
    }
    Verdict {
        posted: true,
        reason: None,
        card,
        images,
    }
}

/// Every `Image` element's `data:` URL, depth first (ImageSets and containers included).
fn collect_images(value: &Value, out: &mut Vec<Image>) {
    match value {
        Value::Object(object) => {
            if object.get("type").and_then(Value::as_str) == Some("Image") {
                if let Some(url) = object.get("url").and_then(Value::as_str) {
                    if let Some(image) = decode_data_url(url) {
                        out.push(image);
                    }
                }
            }
            for child in object.values() {
                collect_images(child, out);
            }
        }
        Value::Array(list) => list.iter().for_each(|v| collect_images(v, out)),
        _ => {}
    }
}

/// `data:image/png;base64,…` → its size and whether it is a PNG; `None` for another URL.
fn decode_data_url(url: &str) -> Option<Image> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.split(';').next().unwrap_or("").to_owned();
    let bytes = if meta.ends_with(";base64") {
        STANDARD.decode(data.trim()).unwrap_or_default()
    } else {
        data.as_bytes().to_vec()
    };
    Some(Image {
        size: bytes.len() as u64,
        png: crate::slack::is_png(&bytes),
        mime,
    })
}

/// The card with every long `data:` URL cut to a stub, for the state file (the image's size
/// and kind stay in `images`).
pub fn elided(card: &Value) -> Value {
    match card {
        Value::String(s) if s.starts_with("data:") && s.len() > 256 => {
            let head = s.split(',').next().unwrap_or("data:");
            Value::String(format!("{head},…({} bytes elided by the sandbox)", s.len()))
        }
        Value::Array(list) => Value::Array(list.iter().map(elided).collect()),
        Value::Object(object) => {
            Value::Object(object.iter().map(|(k, v)| (k.clone(), elided(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(card: Value) -> Value {
        json!({"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": null, "content": card}]})
    }

    #[test]
    fn a_good_card_is_posted_and_its_png_found() {
        let png = STANDARD.encode([0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]);
        let card = json!({"type": "AdaptiveCard", "version": "1.5", "body": [
            {"type": "TextBlock", "text": "November"},
            {"type": "Container", "items": [{"type": "Image", "url": format!("data:image/png;base64,{png}")}]},
            {"type": "Image", "url": "https://example.org/x.png"},
        ]});
        let verdict = judge(&message(card.clone()), 500);
        assert!(verdict.posted, "{verdict:?}");
        assert_eq!(verdict.card, card);
        assert_eq!(
            verdict.images,
            vec![Image {
                size: 10,
                png: true,
                mime: "image/png".into()
            }]
        );
    }

    #[test]
    fn cards_teams_cannot_post_are_kept_with_the_reason() {
        let card = json!({"type": "AdaptiveCard", "version": "1.5", "body": []});
        let big = judge(&message(card.clone()), MAX_MESSAGE_BYTES + 1);
        assert_eq!(
            big.reason.as_deref(),
            Some("the card could not be posted: the message is larger than Teams' 28 KB")
        );
        let newer = judge(
            &message(json!({"type": "AdaptiveCard", "version": "1.6", "body": []})),
            10,
        );
        assert!(!newer.posted && newer.reason.unwrap().contains("1.6"));
        let none = judge(&json!({"type": "message", "text": "hi"}), 10);
        assert!(!none.posted && none.card.is_null());
        assert!(judge(&message(card), MAX_MESSAGE_BYTES).posted);
    }

    #[test]
    fn long_data_urls_are_cut_for_the_state_file() {
        let long = format!("data:image/png;base64,{}", "A".repeat(1000));
        let cut = elided(&json!({"url": long, "n": 1}));
        assert!(cut["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,…("));
        assert_eq!(cut["n"], 1);
    }
}
