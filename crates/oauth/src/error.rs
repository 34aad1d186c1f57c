/// What can go wrong while authorising, in words that say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("access was declined at {provider} ({code}); nothing was stored. Connect again and choose Approve to continue")]
    Denied { provider: String, code: String },
    #[error("{provider} answered the sign-in with an error: {code}{}; nothing was stored", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
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
    #[error("{provider} no longer accepts this sign-in (invalid_grant): the access was revoked or has expired. Reconnect to continue")]
    InvalidGrant { provider: String, detail: String },
    #[error("{provider} refused the request: {code}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        provider: String,
        code: String,
        description: Option<String>,
    },
    #[error(
        "could not reach {provider}'s sign-in service: {detail}. Check the network and try again"
    )]
    Network { provider: String, detail: String },
    #[error("{provider}'s sign-in service sent an answer CarbonSync could not read: {detail}")]
    BadResponse { provider: String, detail: String },
    #[error("the OAuth settings for {provider} are invalid: {detail}")]
    Config { provider: String, detail: String },
    #[error("could not listen for the browser's answer on the loopback interface: {0}")]
    Listener(String),
}

impl OAuthError {
    /// True when trying again later cannot help without the user doing something.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, OAuthError::Network { .. })
    }
}
