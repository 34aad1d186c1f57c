//! A Web API call's arguments, wherever Slack takes them from (Slack's docs: "Web API basics",
//! "POST bodies"): the query string, a form body, a multipart body, or a JSON body (with
//! `Content-Type: application/json`; a token must then come in the `Authorization` header).
//! A JSON body without `charset=utf-8` in its content type gets Slack's `missing_charset`
//! warning.

use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};

/// One call's arguments and token.
#[derive(Debug, Default)]
pub struct Call {
    pub args: Map<String, Value>,
    pub token: Option<String>,
    /// The body was JSON.
    pub json_body: bool,
    /// Slack's `warning` codes to add to the answer.
    pub warnings: Vec<&'static str>,
}

/// One part of a `multipart/form-data` body.
#[derive(Debug)]
pub struct Part {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// Reads a call, or gives Slack's error code for a body it cannot read: `invalid_json`,
/// `invalid_form_data`, `missing_post_type`, `invalid_post_type`.
pub fn read(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<Call, &'static str> {
    let mut call = Call::default();
    if let Some(query) = query {
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            call.args
                .insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !body.is_empty() {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        match essence {
            "application/json" => {
                let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
                    return Err("invalid_json");
                };
                call.json_body = true;
                if !content_type.contains("charset") {
                    call.warnings.push("missing_charset");
                }
                // A token in a JSON body is not read (Slack's docs: "JSON-encoded bodies").
                call.args.remove("token");
                call.args
                    .extend(object.into_iter().filter(|(k, _)| k != "token"));
            }
            "application/x-www-form-urlencoded" => {
                if std::str::from_utf8(body).is_err() {
                    return Err("invalid_form_data");
                }
                for (k, v) in url::form_urlencoded::parse(body) {
                    call.args
                        .insert(k.into_owned(), Value::String(v.into_owned()));
                }
            }
            "multipart/form-data" => {
                let parts =
                    multipart(&content_type_raw(headers), body).ok_or("invalid_form_data")?;
                for part in parts.into_iter().filter(|p| p.filename.is_none()) {
                    if let (Some(name), Ok(text)) = (part.name, String::from_utf8(part.data)) {
                        call.args.insert(name, Value::String(text));
                    }
                }
            }
            "" => return Err("missing_post_type"),
            _ => return Err("invalid_post_type"),
        }
    }
    let from_args = call
        .args
        .remove("token")
        .and_then(|t| t.as_str().map(str::to_owned));
    call.token = bearer(headers).or(from_args).filter(|t| !t.is_empty());
    Ok(call)
}

/// The content type as sent (a multipart boundary is case-sensitive).
fn content_type_raw(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The bearer token of a request, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl Call {
    /// A string argument (a number or boolean given in JSON reads as its text); `None` when
    /// absent or empty.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.args.get(name)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A structured argument (`blocks`, `files`): given as JSON in a JSON body, or as a
    /// JSON-encoded string in a form. `Some(Err(()))` when a string does not parse.
    pub fn json(&self, name: &str) -> Option<Result<Value, ()>> {
        match self.args.get(name)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(serde_json::from_str(s).map_err(|_| ())),
            other => Some(Ok(other.clone())),
        }
    }

    /// A boolean argument: `true`, `1` (Slack's forms) or JSON `true`.
    pub fn flag(&self, name: &str) -> bool {
        match self.args.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "1",
            Some(Value::Number(n)) => n.as_u64() == Some(1),
            _ => false,
        }
    }
}

/// The parts of a `multipart/form-data` body (RFC 7578), or `None` when it is not one.
pub fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })?;
    if boundary.is_empty() {
        return None;
    }
    let delimiter = format!("--{boundary}").into_bytes();
    let mut closing = b"\r\n".to_vec();
    closing.extend_from_slice(&delimiter);
    let mut pos = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        pos += if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") {
            1
        } else {
            return None;
        };
        let end = find(body, &closing, pos)?;
        let part = &body[pos..end];
        let split = find(part, b"\r\n\r\n", 0);
        let (head, data) = match split {
            Some(i) => (&part[..i], &part[i + 4..]),
            // A part with no headers at all.
            None if part.starts_with(b"\r\n") => (&part[..0], &part[2..]),
            None => return None,
        };
        let head = String::from_utf8_lossy(head);
        let disposition = head
            .lines()
            .find(|l| {
                l.to_ascii_lowercase()
                    .trim_start()
                    .starts_with("content-disposition:")
            })
            .unwrap_or("");
        parts.push(Part {
            name: disposition_param(disposition, "name"),
            filename: disposition_param(disposition, "filename"),
            data: data.to_vec(),
        });
        pos = end + closing.len();
    }
}

/// `name="…"` from a `Content-Disposition` line.
fn disposition_param(line: &str, name: &str) -> Option<String> {
    line.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Where `needle` first occurs in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: &str, auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn json_form_and_query_arguments_are_read() {
        let call = read(
            &headers("application/json", Some("Bearer xoxb-1")),
            Some("limit=5"),
            br#"{"channel":"C1","blocks":[{"type":"divider"}],"token":"ignored"}"#,
        )
        .unwrap();
        assert_eq!(call.token.as_deref(), Some("xoxb-1"));
        assert_eq!(call.str("channel").as_deref(), Some("C1"));
        assert_eq!(call.str("limit").as_deref(), Some("5"));
        assert!(call.json("blocks").unwrap().unwrap().is_array());
        assert_eq!(call.warnings, vec!["missing_charset"]);

        let call = read(
            &headers("application/x-www-form-urlencoded", None),
            None,
            b"token=xoxb-2&blocks=%5B%5D&test=1",
        )
        .unwrap();
        assert_eq!(call.token.as_deref(), Some("xoxb-2"));
        assert_eq!(call.json("blocks").unwrap().unwrap(), Value::Array(vec![]));
        assert!(call.flag("test"));
        assert!(call.warnings.is_empty());

        assert_eq!(
            read(&headers("application/json", None), None, b"[1]").unwrap_err(),
            "invalid_json"
        );
        assert_eq!(
            read(&headers("text/plain", None), None, b"x").unwrap_err(),
            "invalid_post_type"
        );
    }

    #[test]
    fn multipart_bodies_split_into_parts() {
        let body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nchart.png\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"chart.png\"\r\n\
Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--XyZ--\r\n";
        let parts = multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name.as_deref(), Some("filename"));
        assert_eq!(parts[0].data, b"chart.png");
        assert_eq!(parts[1].filename.as_deref(), Some("chart.png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x1a\n");
        assert!(multipart("multipart/form-data", body).is_none());
    }
}
