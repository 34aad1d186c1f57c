/// What can go wrong while authorising, in words that say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("access was declined at {provider} ({code}); nothing was stored. Connect again and choose Approve to continue")]
    Denied { provider: String, code: String },
    #[error("{provider} answered the sign-in with an error: {code}{}; nothing was stored. Start the connection again; if the same error comes back, check the app's settings at {provider}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    CallbackError {
        provider: String,
        code: String,
        description: Option<String>,
    },
    #[error("the sign-in answer does not belong to a sign-in started here (unknown, expired or already used state); it may be forged or replayed. Nothing was stored; start the connection again")]
    StateMismatch,
    #[error("the sign-in answer carried no authorization code; nothing was stored; start the connection again")]
    MissingCode,
    #[error("no answer from the browser within {seconds} s; nothing was stored. Start the connection again and finish it in the browser")]
    Timeout { seconds: u64 },
    /// The platform's `invalid_grant` for a refresh token: the access given earlier is gone.
    #[error("{provider} no longer accepts this sign-in (invalid_grant): the access was revoked or has expired. Reconnect to continue")]
    InvalidGrant { provider: String, detail: String },
    /// The platform's `invalid_grant` for the authorization code that ends a sign-in: the
    /// code in the answer was garbled, already used or too old. Nothing was ever granted,
    /// so nothing was revoked; see [`OAuthError::at_code_exchange`].
    #[error("{provider} could not use the sign-in answer (invalid_grant): its authorization code was garbled, already used or expired. Nothing was stored; sign in again from the start")]
    CodeRejected { provider: String, detail: String },
    /// Any other refusal by the token or revocation endpoint; the words after the code say
    /// what usually fixes it.
    #[error("{provider} refused the request: {code}{}. {}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(), refused_help(provider, code))]
    Refused {
        provider: String,
        code: String,
        description: Option<String>,
    },
    #[error(
        "could not reach {provider}'s sign-in service: {detail}. Check the network and try again"
    )]
    Network { provider: String, detail: String },
    #[error("{provider}'s sign-in service sent an answer CarbonSync could not read: {detail}. Nothing was stored; try again later, and if it keeps happening check that the configured token_url is {provider}'s token endpoint")]
    BadResponse { provider: String, detail: String },
    #[error("the OAuth settings for {provider} are invalid: {detail}. Correct them under [providers] in the configuration file")]
    Config { provider: String, detail: String },
    #[error("could not listen for the browser's answer on the loopback interface: {0}. Nothing was stored; try again, and if it keeps happening check that 127.0.0.1 is up and that nothing forbids this program to listen on it")]
    Listener(String),
    /// Every port of a fixed list (the redirect URIs registered with the platform)
    /// is taken or refused. `ports` lists each port tried, in order, with the reason.
    #[error("none of the registered sign-in ports is free ({}): close the program that uses one of them and try again, or register another http://localhost:PORT/callback redirect URI with the platform and add that port to the list", describe_ports(.ports))]
    PortsUnavailable { ports: Vec<PortProblem> },
}

/// Why one loopback port could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortProblem {
    pub port: u16,
    /// "in use", or the operating system's reason ("permission denied", ...).
    pub reason: String,
}

/// "53682 in use, 53683 in use".
pub fn describe_ports(ports: &[PortProblem]) -> String {
    ports
        .iter()
        .map(|p| format!("{} {}", p.port, p.reason))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What usually fixes a refusal with OAuth error `code` (RFC 6749 section 5.2).
fn refused_help(provider: &str, code: &str) -> String {
    match code {
        "invalid_client" | "unauthorized_client" => format!(
            "Check the client id (and secret, if the app has one) set for {provider} in Settings or the configuration file, then connect again"
        ),
        "invalid_scope" => format!(
            "Check the scopes configured for {provider}, or remove them to use the usual ones, then connect again"
        ),
        _ => format!("Try again; if it keeps happening, check the app's settings at {provider}"),
    }
}

impl OAuthError {
    /// The error as it applies to the code exchange that ends a sign-in: there an
    /// `invalid_grant` means the answer's code could not be used
    /// ([`OAuthError::CodeRejected`]), not that an access was revoked.
    pub fn at_code_exchange(self) -> OAuthError {
        match self {
            OAuthError::InvalidGrant { provider, detail } => {
                OAuthError::CodeRejected { provider, detail }
            }
            other => other,
        }
    }

    /// True when trying again later cannot help without the user doing something.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, OAuthError::Network { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_grant() -> OAuthError {
        OAuthError::InvalidGrant {
            provider: "Xero".into(),
            detail: "the code is unknown".into(),
        }
    }

    #[test]
    fn invalid_grant_at_sign_in_says_to_sign_in_again_and_at_a_refresh_that_access_is_gone() {
        let at_sign_in = invalid_grant().at_code_exchange().to_string();
        assert_eq!(
            at_sign_in,
            "Xero could not use the sign-in answer (invalid_grant): its authorization code was garbled, already used or expired. Nothing was stored; sign in again from the start"
        );
        let at_refresh = invalid_grant().to_string();
        assert!(
            at_refresh.contains("the access was revoked or has expired. Reconnect"),
            "{at_refresh}"
        );
        assert!(matches!(
            OAuthError::MissingCode.at_code_exchange(),
            OAuthError::MissingCode
        ));
    }

    #[test]
    fn a_refusal_says_what_usually_fixes_it() {
        let refused = |code: &str| {
            OAuthError::Refused {
                provider: "Xero".into(),
                code: code.into(),
                description: None,
            }
            .to_string()
        };
        assert_eq!(
            refused("invalid_client"),
            "Xero refused the request: invalid_client. Check the client id (and secret, if the app has one) set for Xero in Settings or the configuration file, then connect again"
        );
        assert!(refused("invalid_scope").contains("Check the scopes configured for Xero"));
        assert!(refused("temporarily_unavailable").contains("Try again; if it keeps happening"));
    }
}
