use std::collections::HashMap;

/// The query of the redirect that brings the authorization answer back, by whatever
/// route it came (loopback, deep link, https bounce).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// RFC 9207: the issuer, when the server sends it, to defend against mix-up.
    pub iss: Option<String>,
}

impl CallbackParams {
    pub fn from_query_pairs<'a>(
        pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    ) -> Self {
        let map: HashMap<String, String> = pairs
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        CallbackParams {
            code: map.get("code").cloned(),
            state: map.get("state").cloned(),
            error: map.get("error").cloned(),
            error_description: map.get("error_description").cloned(),
            iss: map.get("iss").cloned(),
        }
    }

    pub fn from_url(url: &url::Url) -> Self {
        Self::from_query_pairs(url.query_pairs())
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
