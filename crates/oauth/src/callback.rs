use std::borrow::Cow;

/// The query of the redirect that brings the authorization answer back, by whatever
/// route it came (loopback, deep link, https bounce).
///
/// The values are exactly as sent: never show one raw (the errors built from them
/// carry cleaned, bounded copies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// RFC 9207: the issuer, when the server sends it, to defend against mix-up.
    pub iss: Option<String>,
    /// Every other parameter, in order, as (name, value): what a platform adds to the answer
    /// (QuickBooks' `realmId`). At most [`OTHER_PARAMS_MAX`] are kept, and none whose value is
    /// longer than [`OTHER_VALUE_MAX_BYTES`]; which of them count is the flow's choice
    /// ([`crate::OAuthConfig::callback_extras`]).
    pub others: Vec<(String, String)>,
}

/// How many parameters beyond the standard ones an answer may bring that are kept.
pub const OTHER_PARAMS_MAX: usize = 16;
/// The longest value of such a parameter that is kept, in bytes.
pub const OTHER_VALUE_MAX_BYTES: usize = 512;

/// A sign-in answer that names one of its parameters more than once. RFC 6749 §3.1
/// says a parameter must not be repeated; accepting one would let a forged value
/// stand in front of (or behind) the real one, depending on which a reader keeps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sign-in answer names `{0}` more than once, which no authorization server does; it may be forged. Nothing was stored; start the connection again")]
pub struct RepeatedParameter(pub &'static str);

/// How many characters of text from outside (a callback, a platform's error) are shown.
pub const SHOWN_TEXT_MAX_CHARS: usize = 200;

impl CallbackParams {
    /// Reads the answer's parameters from decoded query pairs. Unknown parameters are
    /// ignored; invalid UTF-8 arrives already replaced (U+FFFD) by the decoder.
    ///
    /// Errors: `RepeatedParameter` when `code`, `state`, `error`,
    /// `error_description` or `iss` appears more than once.
    pub fn from_query_pairs<'a>(
        pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
    ) -> Result<Self, RepeatedParameter> {
        let mut params = CallbackParams::default();
        for (key, value) in pairs {
            let (name, slot) = match key.as_ref() {
                "code" => ("code", &mut params.code),
                "state" => ("state", &mut params.state),
                "error" => ("error", &mut params.error),
                "error_description" => ("error_description", &mut params.error_description),
                "iss" => ("iss", &mut params.iss),
                _ => {
                    if params.others.len() < OTHER_PARAMS_MAX
                        && key.len() <= 64
                        && value.len() <= OTHER_VALUE_MAX_BYTES
                    {
                        params.others.push((key.into_owned(), value.into_owned()));
                    }
                    continue;
                }
            };
            if slot.is_some() {
                return Err(RepeatedParameter(name));
            }
            *slot = Some(value.into_owned());
        }
        Ok(params)
    }

    /// The parameters of a redirect URL's query (see [`Self::from_query_pairs`]).
    pub fn from_url(url: &url::Url) -> Result<Self, RepeatedParameter> {
        Self::from_query_pairs(url.query_pairs())
    }

    /// The parameters of a raw (still percent-encoded) query string.
    pub fn from_query(query: &str) -> Result<Self, RepeatedParameter> {
        Self::from_query_pairs(url::form_urlencoded::parse(query.as_bytes()))
    }

    /// Compares the returned `state` with the expected one in constant time, so the
    /// comparison leaks nothing about how much of a guess was right.
    pub fn state_matches(&self, expected: &str) -> bool {
        let Some(got) = self.state.as_deref() else {
            return false;
        };
        got.len() == expected.len()
            && got
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Text that came from outside (a callback's `error`, a platform's description) made
/// safe to show in a terminal, a log or the window: control characters (escape
/// sequences, newlines, carriage returns) become spaces, runs of spaces shrink to one,
/// and at most `max` characters are kept, with "…" when some were cut.
pub fn clean_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut kept = 0;
    let mut cut = false;
    for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if kept == max {
            cut = true;
            break;
        }
        out.push(c);
        kept += 1;
    }
    let mut out = out.trim_end().to_owned();
    if cut {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_state_code_or_error_is_refused_whatever_its_order() {
        for query in [
            "code=C&state=forged&state=REAL",
            "state=REAL&code=C&state=forged",
            "code=C&code=D&state=REAL",
            "error=access_denied&error=server_error&state=REAL",
        ] {
            assert!(CallbackParams::from_query(query).is_err(), "{query}");
        }
        let err = CallbackParams::from_query("code=C&state=a&state=b").unwrap_err();
        assert_eq!(err, RepeatedParameter("state"));
        assert!(err.to_string().contains("`state` more than once"));
    }

    #[test]
    fn other_parameters_are_kept_in_order_within_bounds() {
        let long = "x".repeat(OTHER_VALUE_MAX_BYTES + 1);
        let many: String = (0..40).map(|n| format!("&p{n}=v")).collect();
        let p =
            CallbackParams::from_query(&format!("code=C&state=S&realmId=9130&long={long}{many}"))
                .unwrap();
        assert_eq!(p.others[0], ("realmId".to_owned(), "9130".to_owned()));
        assert!(
            p.others.iter().all(|(name, _)| name != "long"),
            "too long a value is dropped"
        );
        assert_eq!(p.others.len(), OTHER_PARAMS_MAX);
    }

    #[test]
    fn one_of_each_parameter_is_read_and_unknown_ones_are_ignored() {
        let p = CallbackParams::from_query("code=C%2B1&state=S&scope=a&scope=b").unwrap();
        assert_eq!(p.code.as_deref(), Some("C+1"));
        assert_eq!(p.state.as_deref(), Some("S"));
        assert!(p.state_matches("S") && !p.state_matches("T") && !p.state_matches("SS"));
    }

    #[test]
    fn invalid_utf8_in_the_state_is_read_as_replacement_characters_and_never_matches() {
        let p = CallbackParams::from_query("state=%ff%fe").unwrap();
        assert_eq!(p.state.as_deref(), Some("\u{fffd}\u{fffd}"));
        assert!(!p.state_matches("\u{fffd}"));
    }

    #[test]
    fn clean_text_removes_escapes_and_newlines_and_bounds_the_length() {
        assert_eq!(
            clean_text("\u{1b}[31mred\u{1b}[0m\r\nline\ttwo", 100),
            "[31mred [0m line two"
        );
        let long = "é".repeat(10_000);
        let shown = clean_text(&long, 50);
        assert_eq!(shown.chars().count(), 51);
        assert!(shown.ends_with('…'));
        assert_eq!(clean_text("  \u{7}  ", 10), "");
    }
}
